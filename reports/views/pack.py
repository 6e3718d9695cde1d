"""The meeting pack (施政績效報告) of the yearly report, as PDF or ODT (reports.pack).

    reports:pack_download  /reports/yearly/pack/?format=pdf|odt&year=113&department=<id>&period=3

The same choice as the yearly report's page (reports.views.yearly: the year, and a
department the user may view, else 404), plus an optional period (its number within the
year) for the pack of the year as it stood at that period's end. One department's pack is
written in the request; the whole city's is prepared in the background like the city's
spreadsheets (POST reports:yearly_export_start with format pdf or odt), so asking for it
here sends the reader back to the page's button.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.spreadsheets.writing import content_disposition
from reports import pack
from reports.pack.periods import BadPeriod, period_of
from reports.views.yearly import BadYear, _choice
from reports.yearly import build_yearly_report


def _bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@login_required
@require_safe
def pack_download(request):
    fmt = request.GET.get("format", "").strip().lower()
    if fmt not in pack.FORMATS:
        return _bad_request(_("Unknown meeting pack format “%(format)s”: choose pdf or odt.") % {"format": fmt[:20]})
    try:
        choice = _choice(request)
    except BadYear as exc:
        return _bad_request(str(exc))
    try:
        period = period_of(choice.plan, choice.year, request.GET.get("period"))
    except BadPeriod as exc:
        return _bad_request(str(exc))
    if choice.department is None:
        messages.info(
            request, _("The whole city's meeting pack is prepared in the background: press its button below.")
        )
        query = urlencode({"year": choice.year, **choice.plan_params, **({"period": period.number} if period else {})})
        return HttpResponseRedirect(f"{reverse('reports:yearly')}?{query}#meeting-pack")
    # The pack is the city's document: written in zh-Hant, like the downloads, whatever the
    # reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        report = build_yearly_report(
            plan=choice.plan,
            year=choice.year,
            user=request.user,
            department=choice.department,
            viewable=choice.viewable,
            period=period,
        )
        meeting_pack = pack.build_pack(report)
        content = pack.render(fmt, meeting_pack)
    response = HttpResponse(content, content_type=pack.FORMATS[fmt])
    response["Content-Disposition"] = content_disposition(
        f"{meeting_pack.filename_stem}.{fmt}", f"{meeting_pack.ascii_filename_stem}.{fmt}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
