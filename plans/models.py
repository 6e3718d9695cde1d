"""The plan hierarchy: plan → department plan → goals → strategic objectives.

Years are stored as ROC years (民國年, Gregorian − 1911) everywhere, because that is
how every document, form and review meeting speaks of them; `common.years` converts
at the edges.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.models import HistoricalRecords

from common.formatting import roc_year
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR


class Dimension(models.TextChoices):
    """面向: the perspective an objective or common goal is judged from."""

    BUSINESS_RESULTS = "business_results", _("Business results")  # 業務成果
    ADMINISTRATIVE_EFFICIENCY = "administrative_efficiency", _("Administrative efficiency")  # 行政效率
    SERVICE_EFFECTIVENESS = "service_effectiveness", _("Service effectiveness")  # 服務效能
    FINANCIAL_MANAGEMENT = "financial_management", _("Financial management")  # 財務管理
    ORGANIZATIONAL_LEARNING = "organizational_learning", _("Organizational learning")  # 組織學習


OBJECTIVE_DIMENSIONS = [
    Dimension.BUSINESS_RESULTS,
    Dimension.ADMINISTRATIVE_EFFICIENCY,
    Dimension.SERVICE_EFFECTIVENESS,
]
COMMON_GOAL_DIMENSIONS = [Dimension.FINANCIAL_MANAGEMENT, Dimension.ORGANIZATIONAL_LEARNING]


class ReportingFrequency(models.TextChoices):
    """How often departments report progress within a year (填報頻率)."""

    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self]


PERIODS_PER_YEAR = {ReportingFrequency.MONTHLY: 12, ReportingFrequency.QUARTERLY: 4, ReportingFrequency.HALF_YEARLY: 2}


class ReviewStages(models.IntegerChoices):
    """How many reviews a report passes before its figure counts (審核層級).

    One: the department's head approves (單位主管核定). Two: the department's head
    approves first (單位主管初核), then the planning office checks (研考複核); only the
    second approval makes the figure the period's actual.
    """

    ONE = 1, _("One stage: the department approves")
    TWO = 2, _("Two stages: the department, then the planning office")


class Plan(models.Model):
    """中程施政計畫: a city government's medium-term administrative plan.

    A plan covers a run of ROC years (Keelung's: 111–114) for the whole city
    government; each department contributes its own part (`DepartmentPlan`). The plan
    also carries the settings that decide how progress is judged, so that a city
    can change the traffic-light thresholds without a code change.
    """

    name = models.CharField(_("name"), max_length=200)
    start_year = models.PositiveSmallIntegerField(_("first year (ROC)"))
    end_year = models.PositiveSmallIntegerField(_("last year (ROC)"))
    edition = models.CharField(_("edition"), max_length=50, help_text=_("e.g. the approved edition"))
    published_year = models.PositiveSmallIntegerField(_("year published (ROC)"))
    published_month = models.PositiveSmallIntegerField(_("month published"))
    reporting_frequency = models.CharField(
        _("reporting frequency"),
        max_length=20,
        choices=ReportingFrequency.choices,
        default=ReportingFrequency.QUARTERLY,
    )
    report_due_days = models.PositiveSmallIntegerField(_("days to report after a period ends"), default=15)
    review_stages = models.PositiveSmallIntegerField(
        _("review stages"),
        choices=ReviewStages.choices,
        default=ReviewStages.ONE,
        help_text=_(
            "A report already submitted finishes under the stages it was submitted under; a change applies to "
            "reports submitted from then on."
        ),
    )
    green_threshold = models.DecimalField(
        _("green light from (attainment %)"), max_digits=6, decimal_places=2, default=100
    )
    yellow_threshold = models.DecimalField(
        _("yellow light from (attainment %)"), max_digits=6, decimal_places=2, default=80
    )

    # The record of changes (django-simple-history); the thresholds move every light of
    # the plan, so changing them needs a reason (kpi.history.LIGHT_FIELDS).
    history = HistoricalRecords(
        verbose_name=_("plan change"),
        verbose_name_plural=_("plan changes"),
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-start_year"]
        constraints = [
            models.UniqueConstraint(fields=["name", "start_year"], name="plan_unique_name_start"),
            models.CheckConstraint(
                condition=Q(start_year__gte=MIN_ROC_YEAR) & Q(end_year__lte=MAX_ROC_YEAR),
                name="plan_years_are_roc_years",
            ),
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="plan_end_not_before_start"),
            models.CheckConstraint(
                condition=Q(published_month__gte=1) & Q(published_month__lte=12),
                name="plan_published_month_valid",
            ),
            models.CheckConstraint(
                condition=Q(yellow_threshold__gte=0) & Q(green_threshold__gte=models.F("yellow_threshold")),
                name="plan_thresholds_ordered",
            ),
            models.CheckConstraint(condition=Q(review_stages__in=[1, 2]), name="plan_review_stages_one_or_two"),
        ]

    def __str__(self):
        # The plan's name is its own (data); the years and brackets are the page's.
        return pgettext("a plan and its years", "%(name)s (%(start)s–%(end)s)") % {
            "name": self.name,
            "start": self.start_year,
            "end": self.end_year,
        }

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def contains_year(self, year: int) -> bool:
        return self.start_year <= year <= self.end_year


class Department(models.Model):
    """機關: a department or agency of the city government (處, 局).

    Departments outlive plans, so the ordering and page numbers of a plan's table of
    contents live on `DepartmentPlan`.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DepartmentPlan(models.Model):
    """機關中程施政計畫: one department's part of a plan.

    Holds the department's mission (使命), vision (願景) and the narrative sections of
    貳、施政重點 that supervisors read for context. `toc_number` and `page` record
    where the department stands in the plan's table of contents (捌、都市發展處 P.67).
    A department whose text the city has not yet entered simply has empty sections.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="department_plans")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="department_plans",
    )
    toc_number = models.PositiveSmallIntegerField(_("order in the table of contents"))
    toc_label = models.CharField(
        _("table-of-contents numeral"),
        max_length=10,
        help_text=_("The numeral the plan's table of contents gives the department."),
    )
    page = models.PositiveSmallIntegerField(_("page"), null=True, blank=True)
    mission = models.TextField(_("mission"), blank=True)
    vision = models.CharField(_("vision"), max_length=200, blank=True)
    vision_statement = models.TextField(_("vision statement"), blank=True)
    results_review = models.TextField(_("review of current programmes"), blank=True)
    situation_analysis = models.TextField(_("situation analysis"), blank=True)
    priority_issues = models.TextField(_("priority issues"), blank=True)
    four_year_focus = models.TextField(_("four-year focus"), blank=True)

    class Meta:
        verbose_name = _("department plan")
        verbose_name_plural = _("department plans")
        ordering = ["plan", "toc_number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "department"], name="deptplan_unique_department"),
            models.UniqueConstraint(fields=["plan", "toc_number"], name="deptplan_unique_toc_number"),
            models.CheckConstraint(condition=Q(toc_number__gte=1), name="deptplan_toc_number_positive"),
        ]

    def __str__(self):
        return pgettext("a numbered entry", "%(number)s. %(text)s") % {
            "number": self.toc_label,
            "text": self.department.name,
        }

    @property
    def has_content(self) -> bool:
        return bool(self.vision or self.mission)


class Goal(models.Model):
    """目標: one of a department's goals under its vision (繽紛·魅力 …)."""

    department_plan = models.ForeignKey(
        DepartmentPlan, verbose_name=_("department plan"), on_delete=models.CASCADE, related_name="goals"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["department_plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["department_plan", "number"], name="goal_unique_number"),
            models.UniqueConstraint(fields=["department_plan", "name"], name="goal_unique_name"),
            models.CheckConstraint(condition=Q(number__gte=1), name="goal_number_positive"),
        ]

    def __str__(self):
        return self.name


class StrategicObjective(models.Model):
    """關鍵策略目標: a strategic objective, judged from one dimension (面向).

    `number` is the objective's 序號 in table 參、三 (1 市港再生 … 6 智慧城市); KPIs are
    numbered within it (1-1 … 6-3). The plan document does not say which goal an
    objective serves; where the link was inferred rather than read from the document,
    `goal_inferred` says so and admins can change it.
    """

    department_plan = models.ForeignKey(
        DepartmentPlan,
        verbose_name=_("department plan"),
        on_delete=models.CASCADE,
        related_name="objectives",
    )
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="objectives",
    )
    goal_inferred = models.BooleanField(
        _("goal link inferred"),
        default=False,
        help_text=_("The plan document does not state this link; it was inferred by order and theme."),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    dimension = models.CharField(
        _("dimension"), max_length=30, choices=[(d.value, d.label) for d in OBJECTIVE_DIMENSIONS]
    )
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["department_plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["department_plan", "number"], name="objective_unique_number"),
            models.UniqueConstraint(fields=["department_plan", "name"], name="objective_unique_name"),
            models.CheckConstraint(condition=Q(number__gte=1), name="objective_number_positive"),
            models.CheckConstraint(
                condition=Q(dimension__in=[d.value for d in OBJECTIVE_DIMENSIONS]),
                name="objective_dimension_valid",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def clean(self):
        if self.goal_id and self.goal.department_plan_id != self.department_plan_id:
            raise ValidationError({"goal": _("The goal must belong to the same department plan.")})


class ObjectiveItem(models.Model):
    """關鍵策略目標的分項: a numbered sub-item of a strategic objective (what will be done)."""

    objective = models.ForeignKey(
        StrategicObjective, verbose_name=_("strategic objective"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("objective item")
        verbose_name_plural = _("objective items")
        ordering = ["objective", "number"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "number"], name="objective_item_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="objective_item_number_positive"),
        ]

    def __str__(self):
        return pgettext("a numbered entry", "%(number)s. %(text)s") % {"number": self.number, "text": self.title}


class CommonGoal(models.Model):
    """共同性目標: a goal every department shares (節約政府支出 …), judged from 財務管理 or 組織學習.

    Its indicators (共同性指標) are computed from a formula and are reported beside,
    not inside, the KPI roll-up.
    """

    department_plan = models.ForeignKey(
        DepartmentPlan,
        verbose_name=_("department plan"),
        on_delete=models.CASCADE,
        related_name="common_goals",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    dimension = models.CharField(
        _("dimension"), max_length=30, choices=[(d.value, d.label) for d in COMMON_GOAL_DIMENSIONS]
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("common goal")
        verbose_name_plural = _("common goals")
        ordering = ["department_plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["department_plan", "number"], name="common_goal_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="common_goal_number_positive"),
            models.CheckConstraint(
                condition=Q(dimension__in=[d.value for d in COMMON_GOAL_DIMENSIONS]),
                name="common_goal_dimension_valid",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Role(models.TextChoices):
    """What a person does in the reporting cycle. Admins are Django superusers."""

    REPORTER = "reporter", _("Reporter")  # 填報人
    REVIEWER = "reviewer", _("Reviewer")  # 審核人 / 主管
    PLANNING_OFFICE = "planning_office", _("Planning office")  # 研考


class Membership(models.Model):
    """機關成員: a person's role in a department, or in the planning office (研考).

    A reporter (填報人) reports on the department's indicators; a reviewer (審核人)
    reviews them. The planning office sees and reviews every department, so its
    memberships name no department. Roles are data that admins edit, not code.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user", "department", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="membership_unique_department_role"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role="planning_office"),
                name="membership_unique_planning_office",
            ),
            models.CheckConstraint(
                condition=(Q(role="planning_office", department__isnull=True))
                | (Q(role__in=["reporter", "reviewer"], department__isnull=False)),
                name="membership_department_matches_role",
            ),
        ]

    def __str__(self):
        if self.department_id:
            return f"{self.user} · {self.department} · {self.get_role_display()}"
        return f"{self.user} · {self.get_role_display()}"

    def clean(self):
        if self.role == Role.PLANNING_OFFICE and self.department_id:
            raise ValidationError(
                {"department": _("Planning-office membership covers every department; leave it empty.")}
            )
        if self.role != Role.PLANNING_OFFICE and not self.department_id:
            raise ValidationError({"department": _("Choose the department.")})


class PublishedYear(models.Model):
    """公開年度: a plan year whose approved results the public may read.

    An admin publishes a year once its figures are final; only published years appear
    on the public transparency page (施政績效公開) and in the open-data attainment
    files, and even then only approved figures.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="published_years")
    year = models.PositiveSmallIntegerField(_("year (ROC)"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("published year")
        verbose_name_plural = _("published years")
        ordering = ["plan", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="published_year_unique"),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_ROC_YEAR) & Q(year__lte=MAX_ROC_YEAR), name="published_year_is_roc_year"
            ),
        ]

    def __str__(self):
        return f"{self.plan.name} {roc_year(self.year)}"

    def clean(self):
        if self.plan_id and not self.plan.contains_year(self.year):
            raise ValidationError(
                {
                    "year": _("The year must lie within the plan (%(start)s–%(end)s).")
                    % {"start": self.plan.start_year, "end": self.plan.end_year}
                }
            )
