"""API v1 endpoints for indicators, periods and progress reports.

Views only ask and show: who sees what comes from `kpi.access`, every write goes
through `kpi.services` (the same services as the report form and the review page),
and the services' zh-Hant messages come back as they are (see `common.api.base`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import set_rollback

from common.api.base import (
    DETAIL_ERRORS,
    ERROR_400,
    ERROR_401,
    ERROR_403,
    ERROR_404,
    ERROR_503,
    ID_PATH,
    LIST_ERRORS,
    NON_FIELD,
    WRITE_ERRORS,
    ApiMixin,
    FilterBackend,
    Pagination,
    StrictOrderingFilter,
    or_empty,
    param_error,
)
from common.api.filters import ID_SCHEMA, YEAR_SCHEMA, IdField, parse_roc_year
from common.numbers import optional_id
from kpi import access, selectors, services
from kpi.api import serializers as s
from kpi.api.filters import PeriodFilter, ReportFilter
from kpi.api.serializers import IndicatorSerializer
from kpi.models import (
    Indicator,
    PlannedValue,
    ProgressReport,
    ReportAction,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    YearlyTarget,
)

# --- Indicators ------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter(
            "department",
            {"type": "string", "pattern": "^[^\\u0000]*$"},
            description="Department name (as the plan writes it) or id; a name without a NUL character.",
        ),
        OpenApiParameter(
            "year",
            or_empty(YEAR_SCHEMA),
            description="ROC year, e.g. 112; only that year's targets. Empty: every year.",
        ),
        OpenApiParameter(
            "plan", or_empty(dict(ID_SCHEMA)), description="Plan id: only that plan's indicators. Empty: every plan."
        ),
    ],
    responses={
        200: IndicatorSerializer(many=True),
        400: ERROR_400,
        401: OpenApiResponse(ERROR_401.response, description="A token was sent but is not valid (none is needed here)"),
    },
    auth=[],
)
class IndicatorListView(generics.ListAPIView):
    """Open data: every indicator (KPIs and common indicators) with its yearly targets."""

    serializer_class = IndicatorSerializer
    # Anyone may read it; a token that is sent must still be valid, and is refused as every
    # endpoint refuses it: 401 with WWW-Authenticate (the token first, as `ApiMixin`).
    authentication_classes = ApiMixin.authentication_classes
    permission_classes = [permissions.AllowAny]
    filter_backends = []
    pagination_class = None
    open_data = True  # anonymous answers may be cached (config.middleware.PrivateNoStoreMiddleware)

    def get_year(self):
        try:
            return parse_roc_year(self.request.query_params.get("year"))
        except DjangoValidationError as exc:
            raise ValidationError({"year": exc.messages}) from None

    def get_plan(self):
        try:
            return IdField(required=False).clean(self.request.query_params.get("plan"))
        except DjangoValidationError as exc:
            raise ValidationError({"plan": exc.messages}) from None

    def get_queryset(self):
        qs = Indicator.objects.select_related(
            "department_plan__department", "department_plan__plan", "objective__goal", "common_goal"
        ).prefetch_related(Prefetch("targets", queryset=YearlyTarget.objects.order_by("year")))
        plan = self.get_plan()
        if plan is not None:
            qs = qs.filter(department_plan__plan_id=plan)
        department = self.request.query_params.get("department", "").strip()
        if "\x00" in department:
            raise ValidationError({"department": [_("A department's name cannot contain a NUL character.")]})
        if department:
            if department.isascii() and department.isdigit():
                # All digits: an id (none past the databases' range), never a department's name.
                number = optional_id(department)
                qs = qs.filter(department_plan__department_id=number) if number is not None else qs.none()
            else:
                qs = qs.filter(department_plan__department__name=department)
        year = self.get_year()
        if year is not None:
            qs = qs.filter(targets__year=year)
        return qs.order_by(
            "department_plan__plan__start_year",
            "department_plan__toc_number",
            "-kind",  # KPIs (kind "kpi") before common indicators
            "objective__number",
            "common_goal__number",
            "number",
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["year"] = self.get_year()
        return context

    def list(self, request, *args, **kwargs):
        # The serializer's output, built from plain values (s.indicator_rows says why).
        return Response(s.indicator_rows(self.get_queryset(), year=self.get_year()))


@extend_schema(parameters=[ID_PATH], responses={200: s.IndicatorDetailSerializer, **DETAIL_ERRORS})
class IndicatorDetailView(ApiMixin, generics.RetrieveAPIView):
    """An indicator in full: the open-data fields, ids, every target with its original value and revisions
    (who, when, why), and the planned value (分期預定值) of every period of every year, set or by default.
    Visible to the members of its department, reviewers, the planning office."""

    serializer_class = s.IndicatorDetailSerializer

    def get_queryset(self):
        # A fixed number of queries, whatever the number of years, revisions and planned values.
        return (
            selectors.indicator_queryset(self.request.user)
            .select_related("common_goal", "department_plan__department", "department_plan__plan")
            .prefetch_related(Prefetch("targets__planned_values", queryset=PlannedValue.objects.order_by("number")))
        )


# --- Periods ---------------------------------------------------------------------------


@extend_schema(responses={200: s.PeriodSerializer(many=True), **LIST_ERRORS})
class PeriodListView(ApiMixin, generics.ListAPIView):
    """Reporting periods (填報期間): plan-wide facts any signed-in user may read."""

    serializer_class = s.PeriodSerializer
    pagination_class = Pagination
    filter_backends = [FilterBackend, StrictOrderingFilter]
    filterset_class = PeriodFilter
    ordering_fields = {
        "year": ("year", "number"),
        "start_date": "start_date",
        "end_date": "end_date",
        "due_date": "due_date",
        "id": "id",
    }
    ordering = ["plan_id", "year", "frequency", "number"]

    def get_queryset(self):
        return access.periods_for(self.request.user)


@extend_schema(parameters=[ID_PATH], responses={200: s.PeriodSerializer, **DETAIL_ERRORS})
class PeriodDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.PeriodSerializer

    def get_queryset(self):
        return access.periods_for(self.request.user)


LOCK_400 = OpenApiResponse(
    response={"anyOf": [ERROR_400.response, s.UNFINISHED_SCHEMA]},
    description="Refused: unfinished reports (`detail` and `unfinished`), or field errors (`reason` required, "
    "already locked)",
)


class PeriodActionView(ApiMixin, generics.GenericAPIView):
    """Lock or unlock a period (the planning office and admins); `run` calls the service."""

    serializer_class = s.PeriodSerializer
    request_serializer = s.UnlockSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return access.periods_for(self.request.user)

    def post(self, request, *args, **kwargs):
        period = self.get_object()
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = self.run(period, request.user, serializer.validated_data)
        return Response(s.PeriodSerializer(period, context={"request": request}).data)

    def run(self, period, user, data):  # pragma: no cover - overridden
        raise NotImplementedError


@extend_schema(
    parameters=[ID_PATH],
    summary="Lock a reporting period (the planning office or an admin)",
    description=(
        "Nothing in a locked period can change until it is unlocked (corrections of approved reports aside). "
        "While the period still holds reports submitted, awaiting the second review or returned, locking is "
        'refused with 400 `{"detail": …, "unfinished": [{"report", "department", "indicator", "status"}]}`: '
        "finish their review, or send `force: true` with a `reason` to lock anyway (the record keeps the reason "
        "and the list; the reports stay on their queues, marked locked). 400 when already locked; 403 for anyone "
        "but the planning office and admins."
    ),
    request=s.LockSerializer,
    responses={200: s.PeriodSerializer, 400: LOCK_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404},
)
class PeriodLockView(PeriodActionView):
    request_serializer = s.LockSerializer

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except services.UnfinishedReports as exc:
            set_rollback()
            return Response(
                {"detail": exc.messages[0], "unfinished": s.unfinished_rows(exc.reports)},
                status=status.HTTP_400_BAD_REQUEST,
            )

    def run(self, period, user, data):
        return services.period_lock(period=period, user=user, force=data["force"], reason=data["reason"])


@extend_schema(
    parameters=[ID_PATH],
    summary="Unlock a reporting period, with a reason (the planning office or an admin)",
    description="400 (`reason`) without a reason, or when the period is not locked; 403 for anyone but the "
    "planning office and admins.",
    request=s.UnlockSerializer,
    responses={200: s.PeriodSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404},
)
class PeriodUnlockView(PeriodActionView):
    request_serializer = s.UnlockSerializer

    def run(self, period, user, data):
        return services.period_unlock(period=period, user=user, reason=data["reason"])


# --- Reports: reading ----------------------------------------------------------------------

USERS = ("created_by", "updated_by", "submitted_by", "reviewed_by", "first_reviewed_by")


def visible_reports(user):
    """The reports the user may view (`kpi.access`), with what the serializers read."""
    return access.reports_for(user, access.VIEW).select_related(*USERS)


def report_detail_queryset(user):
    events = Prefetch("events", queryset=ReportEvent.objects.select_related("actor").order_by("at", "id"))
    corrections = Prefetch(
        "corrections",
        queryset=ReportCorrection.objects.select_related("reopened_by", "approved_by", "resolved_by").order_by(
            "reopened_at", "id"
        ),
    )
    return visible_reports(user).prefetch_related(selectors.active_evidence(), events, corrections)


def report_response(request, report_id: int, code: int = status.HTTP_200_OK) -> Response:
    report = report_detail_queryset(request.user).get(pk=report_id)
    return Response(s.ReportDetailSerializer(report, context={"request": request}).data, status=code)


@extend_schema_view(
    get=extend_schema(
        summary="List the progress reports you may view",
        responses={200: s.ReportSerializer(many=True), **LIST_ERRORS},
    ),
    post=extend_schema(
        summary="Create (or, with the current version, save over) the report for an indicator and period",
        description=(
            "The same rules as the report form (kpi.services.report_save): only the department's reporters; "
            "not in a locked period; a submission needs the figure, the narrative and — when the figure is "
            "behind — the reason and the plan. If a report already exists for that indicator and period, "
            "the answer is 409 unless `version` is its current version.\n\n"
            "What the schema cannot say, refused with 400 naming the field: `indicator` that does not exist or "
            "that you may not view; `period` that does not exist or is not of the indicator's plan; `actual` "
            "for a common indicator (send `inputs`, all of them to submit) or `inputs` for any other; a figure "
            "its unit does not allow (see `actual`); a period that is locked, or a submission before the period "
            "opens for submission (14 days before it ends; a draft may be saved before); 403 when you are not "
            "one of the indicator's department's reporters."
        ),
        request=s.ReportCreateSerializer,
        responses={
            201: s.ReportDetailSerializer,
            200: OpenApiResponse(s.ReportDetailSerializer, description="Saved over the existing report"),
            **WRITE_ERRORS,
        },
    ),
)
class ReportListView(ApiMixin, generics.ListAPIView):
    serializer_class = s.ReportSerializer
    pagination_class = Pagination
    filter_backends = [FilterBackend, StrictOrderingFilter]
    filterset_class = ReportFilter
    ordering_fields = {
        "id": "id",
        "period": ("period__end_date", "period__number"),
        "indicator": ("indicator__department_plan__toc_number", "indicator_id"),
        "status": "status",
        "updated_at": "updated_at",
        "submitted_at": "submitted_at",
        "reviewed_at": "reviewed_at",
    }
    ordering = ["-period__end_date", "indicator__department_plan__toc_number", "indicator_id"]
    parser_classes = [JSONParser]

    def get_queryset(self):
        return visible_reports(self.request.user)

    def post(self, request, *args, **kwargs):
        serializer = s.ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        indicator = access.indicators_for(request.user, access.VIEW).filter(pk=data["indicator"]).first()
        if indicator is None:
            raise param_error("indicator", _("There is no such indicator, or you may not view it."))
        period = ReportingPeriod.objects.select_related("plan").filter(pk=data["period"]).first()
        if period is None:
            raise param_error("period", _("There is no such reporting period."))
        values = report_values(indicator, data, current=None)
        existed = ProgressReport.objects.filter(indicator=indicator, period=period).exists()
        report = services.report_save(
            indicator=indicator,
            period=period,
            user=request.user,
            expected_version=data.get("version"),
            submit=data["submit"],
            **values,
        )
        return report_response(request, report.pk, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


def report_values(indicator: Indicator, data: dict, current: ProgressReport | None) -> dict:
    """What to pass to `services.report_save`: the fields sent, the rest as saved (or empty)."""
    formula = bool(indicator.formula_spec)
    if formula and data.get("actual") not in (None, ""):
        raise param_error(
            "actual", _("A common indicator's actual is computed from its formula inputs: send inputs instead.")
        )
    if not formula and data.get("inputs"):
        raise param_error("inputs", _("This indicator has no formula: send actual."))
    values = {
        "actual": current.actual if current else None,
        "inputs": dict(current.inputs or {}) if current else {},
        "narrative": current.narrative if current else "",
        "shortfall_reason": current.shortfall_reason if current else "",
        "improvement_plan": current.improvement_plan if current else "",
    }
    for name in values:
        if name in data:
            values[name] = data[name]
    if formula:
        values.pop("actual")
    else:
        values.pop("inputs")
    return values


@extend_schema_view(
    get=extend_schema(
        parameters=[ID_PATH],
        summary="A progress report with its evidence and its record",
        responses={200: s.ReportDetailSerializer, **DETAIL_ERRORS},
    ),
    patch=extend_schema(
        parameters=[ID_PATH],
        summary="Edit a draft or returned report (and optionally submit it)",
        description=(
            "Fields not sent keep their saved values (`inputs`, when sent, replaces the saved inputs as a whole). "
            "`version` is required: 409 if the report moved on since.\n\n"
            "Only a draft or a returned report can change (400 otherwise). A draft may be saved without a figure; "
            "a returned report keeps one: emptying `actual` (or an input of a common indicator) is refused with "
            "400 on that field, and nothing is saved. The rules of POST /api/v1/reports/ apply as well."
        ),
        request=s.ReportUpdateSerializer,
        responses={200: s.ReportDetailSerializer, **WRITE_ERRORS},
    ),
)
class ReportDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.ReportDetailSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return report_detail_queryset(self.request.user)

    def patch(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = s.ReportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = services.report_save(
            indicator=report.indicator,
            period=report.period,
            user=request.user,
            expected_version=data["version"],
            submit=data["submit"],
            **report_values(report.indicator, data, current=report),
        )
        return report_response(request, report.pk)


@extend_schema(parameters=[ID_PATH], responses={200: s.ReportEventSerializer(many=True), **LIST_ERRORS})
class ReportEventListView(ApiMixin, generics.ListAPIView):
    """A report's record (review history), oldest first."""

    serializer_class = s.ReportEventSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        return ReportEvent.objects.filter(report_id=self.kwargs.get("pk")).select_related("actor").order_by("at", "id")

    def list(self, request, *args, **kwargs):
        generics.get_object_or_404(visible_reports(request.user), pk=kwargs["pk"])  # 404 unless visible
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(
        summary="A report's comments (its conversation), oldest first",
        parameters=[ID_PATH],
        responses={200: s.CommentSerializer(many=True), **LIST_ERRORS},
    ),
    post=extend_schema(
        summary="Comment on a report",
        description=(
            "Whoever may see the report may comment on it: its department's reporters and reviewers, the "
            "planning office, admins (kpi.services.report_comment, as the KPI page). The comment goes on the "
            "report's record and its participants are notified. 400 (`text`) when empty or longer than 5,000 "
            "characters; 404 when you may not see the report."
        ),
        parameters=[ID_PATH],
        request=s.CommentCreateSerializer,
        responses={201: s.CommentSerializer, **WRITE_ERRORS},
    ),
)
class ReportCommentListView(ApiMixin, generics.ListCreateAPIView):
    serializer_class = s.CommentSerializer
    pagination_class = Pagination
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        return (
            ReportEvent.objects.filter(report_id=self.kwargs.get("pk"), action=ReportAction.COMMENTED)
            .select_related("actor")
            .order_by("at", "id")
        )

    def list(self, request, *args, **kwargs):
        generics.get_object_or_404(visible_reports(request.user), pk=kwargs["pk"])  # 404 unless visible
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        report = generics.get_object_or_404(visible_reports(request.user), pk=kwargs["pk"])
        serializer = s.CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.report_comment(report=report, user=request.user, text=serializer.validated_data["text"])
        return Response(s.CommentSerializer(event).data, status=status.HTTP_201_CREATED)


# --- Reports: the workflow's steps -----------------------------------------------------------


class ReportActionView(ApiMixin, generics.GenericAPIView):
    """A step of the workflow on one report; `run` calls the service."""

    request_serializer = s.VersionSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return visible_reports(self.request.user)

    def post(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.run(report, request.user, serializer.validated_data)
        return report_response(request, report.pk)

    def run(self, report, user, data):  # pragma: no cover - overridden
        raise NotImplementedError


@extend_schema(
    parameters=[ID_PATH],
    summary="Submit a draft or returned report for review",
    request=s.VersionSerializer,
    responses={200: s.ReportDetailSerializer, **WRITE_ERRORS},
)
class ReportSubmitView(ReportActionView):
    serializer_class = s.VersionSerializer

    def run(self, report, user, data):
        services.report_submit(report=report, user=user, expected_version=data["version"])


@extend_schema(
    parameters=[ID_PATH],
    summary="Approve a report at the review it waits for (reviewers; never your own report)",
    description=(
        "Stage-aware, as the review page (kpi.services.report_approve); `review_stages` on the report says which "
        "rule it was submitted under. Under one stage, the department's reviewers, the planning office or an "
        "admin approve a `submitted` report and it becomes `approved`: its figure is the period's actual. Under "
        "two stages, the first approval (初核, by the department's reviewers or an admin) moves a `submitted` "
        "report to `first_approved`, and the planning office's approval (研考複核, by the planning office or an "
        "admin, never the person who passed the first review) makes it `approved`.\n\n"
        "403 with the reason when the report is not yours to review at the stage it waits for, or you wrote it; "
        "400 when it waits for no review (a draft, returned or approved report); 409 if it moved on since "
        "`version`. To approve several at once, all or none: `POST /api/v1/reports/approve/`."
    ),
    request=s.ApproveSerializer,
    responses={200: s.ReportDetailSerializer, **WRITE_ERRORS},
)
class ReportApproveView(ReportActionView):
    request_serializer = serializer_class = s.ApproveSerializer

    def run(self, report, user, data):
        services.report_approve(report=report, user=user, comment=data["comment"], expected_version=data["version"])


@extend_schema(
    parameters=[ID_PATH],
    summary="Return a report for revision at either review stage, with a comment (required)",
    description=(
        "At the review the report waits for (the first or, under two stages, the planning office's; see approve "
        "for who reviews which): it goes back to its reporter as `returned`, and a resubmission starts the review "
        "again from the first stage. 403 with the reason when it is not yours to review; 400 without a comment or "
        "when it waits for no review; 409 if it moved on since `version`."
    ),
    request=s.ReturnSerializer,
    responses={200: s.ReportDetailSerializer, **WRITE_ERRORS},
)
class ReportReturnView(ReportActionView):
    request_serializer = serializer_class = s.ReturnSerializer

    def run(self, report, user, data):
        services.report_return(report=report, user=user, comment=data["comment"], expected_version=data["version"])


@extend_schema(
    parameters=[ID_PATH],
    summary="Reopen an approved report for correction (撤銷核定／更正; the planning office or an admin)",
    description=(
        "The report goes back to its reporter as `returned` with `correcting` true and the reason as its review "
        "comment; it is corrected, submitted and reviewed again under the plan's review stages. Until it is "
        "approved again, the figure that had been approved stays the period's actual (`GET /api/v1/attainment/` "
        "keeps showing it) and is kept in `corrections`; the new approval sets "
        "`corrected_at` and `correction_reason`. A locked period does not stop a correction.\n\n"
        "403 for anyone but the planning office and admins; 400 (`reason`) without a reason, or when the report is "
        "not approved; 409 if it moved on since `version`."
    ),
    request=s.ReopenSerializer,
    responses={200: s.ReportDetailSerializer, **WRITE_ERRORS},
)
class ReportReopenView(ReportActionView):
    request_serializer = serializer_class = s.ReopenSerializer

    def run(self, report, user, data):
        services.report_reopen(report=report, user=user, reason=data["reason"], expected_version=data.get("version"))


class _Refused(Exception):
    """Leave `transaction.atomic` without keeping anything."""


class ReportBulkApproveView(ApiMixin, generics.GenericAPIView):
    serializer_class = s.BulkApproveSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return visible_reports(self.request.user)

    @extend_schema(
        summary="Approve several reports at once, each at the review it waits for: all of them or none",
        description=(
            "Each report is approved as by `POST /api/v1/reports/{id}/approve/` (the same rules, stage by stage), "
            "with the same comment. If any is refused — not yours to review, not awaiting review, changed since "
            "the version you sent, or not found (a report you may not view is not found) — nothing is approved and "
            "the answer is 400: `non_field_errors` says so and `reports` maps each refused report's id to why, e.g. "
            '`{"reports": {"12": ["…"]}}`. Otherwise 200 with the reports as they are now, in the order sent.'
        ),
        operation_id="reports_approve_many_create",
        request=s.BulkApproveSerializer,
        responses={200: s.ReportSerializer(many=True), 400: ERROR_400, 401: ERROR_401, 403: ERROR_403},
    )
    def post(self, request, *args, **kwargs):
        serializer = s.BulkApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        versions = serializer.validated_data["reports"]
        found = {report.pk: report for report in self.get_queryset().filter(pk__in=list(versions))}
        refused = {pk: _("There is no such report, or you may not view it.") for pk in versions if pk not in found}
        try:
            with transaction.atomic():
                services.reports_approve(
                    reports=[found[pk] for pk in versions if pk in found],
                    user=request.user,
                    comment=serializer.validated_data["comment"],
                    versions=versions,
                )
                if refused:
                    raise _Refused
        except services.ManyRefused as exc:
            refused.update((report.pk, message) for report, message in exc.errors)
        except _Refused:
            pass
        if refused:
            set_rollback()
            if len(versions) == 1:
                summary = _("Nothing was approved: the report was refused.")
            else:
                summary = _("Nothing was approved: %(refused)s of the %(count)s reports were refused.") % {
                    "refused": len(refused),
                    "count": len(versions),
                }
            return Response(
                {NON_FIELD: [summary], "reports": {str(pk): [refused[pk]] for pk in versions if pk in refused}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        reports = {report.pk: report for report in self.get_queryset().filter(pk__in=list(versions))}
        rows = [reports[pk] for pk in versions]
        return Response(s.ReportSerializer(rows, many=True, context={"request": request}).data)


@extend_schema(
    parameters=[ID_PATH],
    summary="Add evidence (a file or a link) to a draft or returned report",
    description="The same checks as the report form: one file (its type, size, and content matching its "
    "extension) or one link, not both; a file or link already attached is refused (400). Only a draft or "
    "returned report in an open period takes evidence (400 otherwise), of an indicator you report on (403 "
    "otherwise; 404 when you may not see the report).",
    request={"multipart/form-data": s.EvidenceUploadSerializer},
    responses={201: s.EvidenceSerializer, **WRITE_ERRORS, 503: ERROR_503},
)
class EvidenceUploadView(ApiMixin, generics.GenericAPIView):
    serializer_class = s.EvidenceUploadSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return visible_reports(self.request.user)

    def post(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = s.EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = services.evidence_add(
            report=report,
            user=request.user,
            file=data.get("file"),
            url=data.get("url", ""),
            description=data.get("description", ""),
        )
        return Response(
            s.EvidenceSerializer(evidence, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
