"""The public transparency page (施政績效公開) and the open-data files: no sign-in needed.

    reports:public_home        /public/                                      the latest published year
    reports:public_year        /public/<year>/                               a published year (ROC)
    reports:public_department  /public/<year>/departments/<department_id>/   one department's results
    reports:open_data          /open-data/                                   the files, fields and licence
    reports:open_data_json     /open-data/attainment/<year>.json
    reports:open_data_csv      /open-data/attainment/<year>.csv

Everything comes from `reports.public`, which reads only published years and approved
reports. A year that is not published is a plain 404 on every page and file, so
nothing hints that it exists. What anonymous visitors get is cached until what it shows
changes (reports.page_cache).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from common.spreadsheets import writing
from plans.models import DepartmentPlan, PublishedYear
from reports import public
from reports.page_cache import cached_public_page


def _published_or_404(year: int, published: list[PublishedYear] | None = None) -> PublishedYear:
    found = public.find_published_year(year, published)
    if found is None:
        raise Http404("No such year.")
    return found


def _open_data_headers(response: HttpResponse) -> HttpResponse:
    # Open data may be read by anyone, from any site.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@cached_public_page
def public_home(request, year: int | None = None):
    """The city and every department for a published year; the latest one without a year."""
    years = public.published_years()
    if year is None:
        chosen = max(years, key=lambda p: (p.year, p.plan.start_year), default=None)
    else:
        chosen = _published_or_404(year, years)
    plan = chosen.plan if chosen else public.latest_plan()
    # The scores only, from the stored roll-ups: the indicators are on the department pages.
    # Lazily: the template's cached fragment needs them only when it is not in the cache.
    data = SimpleLazyObject(lambda: public.public_city(chosen)) if chosen else None
    return render(
        request,
        "reports/public/home.html",
        {
            "plan": plan,
            "published_years": years,
            "several_plans": len({p.plan_id for p in years}) > 1,
            "chosen": chosen,
            "data": data,
        },
    )


@require_safe
@cached_public_page
def public_department(request, year: int, department_id: int):
    """One department's plan, targets, approved actuals, lights and narratives for a published year."""
    years = public.published_years()
    published = _published_or_404(year, years)
    siblings = list(
        DepartmentPlan.objects.filter(plan=published.plan).select_related("department").order_by("toc_number")
    )
    department_plan = next((dp for dp in siblings if dp.department_id == department_id), None)
    if department_plan is None:
        raise Http404("No such department in this plan.")
    # Lazily: the template's cached fragment needs the figures only when it is not in the cache.
    data = SimpleLazyObject(lambda: public.public_year(published, department_id=department_id))
    return render(
        request,
        "reports/public/department.html",
        {
            "plan": published.plan,
            "published_years": [p for p in years if p.plan_id == published.plan_id],
            "chosen": published,
            "data": data,
            "dept": SimpleLazyObject(lambda: data.departments[0]),
            "department": department_plan.department,
            "siblings": siblings,
        },
    )


@require_safe
@cached_public_page
def open_data(request):
    """The open-data index: the published years' files, the field dictionary and the licence."""
    return render(
        request,
        "reports/public/open_data.html",
        {
            "published_years": public.published_years(),
            "license": public.license_info(),
            "indicator_fields": public.INDICATOR_FIELDS,
            "csv_extra_fields": public.CSV_EXTRA_FIELDS,
            "summary_fields": public.SUMMARY_FIELDS,
        },
    )


@require_safe
@cached_public_page
def open_data_json(request, year: int):
    published = _published_or_404(year)
    with translation.override(settings.LANGUAGE_CODE):  # open data speaks zh-Hant (reports.public)
        data = public.public_year(published)
        document = public.open_data_document(
            data, documentation_url=request.build_absolute_uri(reverse("reports:open_data"))
        )
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/json; charset=utf-8"
    response["Content-Disposition"] = f'inline; filename="kpi-attainment-{year}.json"'
    return _open_data_headers(response)


@require_safe
@cached_public_page
def open_data_csv(request, year: int):
    published = _published_or_404(year)
    with translation.override(settings.LANGUAGE_CODE):  # open data speaks zh-Hant (reports.public)
        data = public.public_year(published)
        body = public.open_data_csv(data)  # UTF-8 with a byte-order mark (common.spreadsheets.writing)
    response = HttpResponse(body, content_type=writing.FORMATS["csv"])
    response["Content-Disposition"] = f'attachment; filename="kpi-attainment-{year}.csv"'
    return _open_data_headers(response)
