"""Admin for the plan hierarchy (department plan → goals, objectives, common goals),
departments, and who belongs where (memberships, also inline on the user).

The plan itself is administered in kpi/admin.py: its light thresholds move lights, and
the rule that such a change needs a reason (kpi.history) is kpi's.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from common.numbers import optional_id
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    Membership,
    ObjectiveItem,
    PublishedYear,
    StrategicObjective,
)

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = _("Administration")


def _object_id(request) -> int | None:
    """The id of the object whose change page this request is for, if any."""
    match = getattr(request, "resolver_match", None)
    object_id = match.kwargs.get("object_id") if match else None
    return optional_id(object_id)


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.department_plan.department.name} · {obj.number} {obj.name}"


# department plan ---------------------------------------------------------------------


class GoalInline(admin.TabularInline):
    model = Goal
    fields = ["number", "name"]
    ordering = ["number"]
    extra = 0


class StrategicObjectiveInline(admin.TabularInline):
    model = StrategicObjective
    fields = ["number", "name", "dimension", "goal", "goal_inferred"]
    ordering = ["number"]
    extra = 0
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "goal":
            # Only the goals of the department plan being edited.
            kwargs["queryset"] = Goal.objects.filter(department_plan_id=_object_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


COMPACT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


class CommonGoalInline(admin.TabularInline):
    model = CommonGoal
    fields = ["number", "name", "dimension", "description"]
    ordering = ["number"]
    extra = 0
    formfield_overrides = COMPACT_TEXT


@admin.register(DepartmentPlan)
class DepartmentPlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plan", "toc_number", "page", "has_content_display"]
    list_display_links = ["__str__"]
    list_filter = ["plan"]
    list_select_related = ["plan", "department"]
    ordering = ["plan", "toc_number"]
    search_fields = ["department__name", "vision"]
    inlines = [GoalInline, StrategicObjectiveInline, CommonGoalInline]
    fieldsets = [
        (None, {"fields": ["plan", "department", "toc_number", "toc_label", "page"]}),
        (_("Mission and vision"), {"fields": ["mission", "vision", "vision_statement"]}),
        (
            _("Narrative"),
            {
                "classes": ["collapse"],
                "fields": ["results_review", "situation_analysis", "priority_issues", "four_year_focus"],
            },
        ),
    ]

    @admin.display(description=_("content entered"), boolean=True)
    def has_content_display(self, obj):
        return obj.has_content


# strategic objective --------------------------------------------------------------------


class ObjectiveItemInline(admin.TabularInline):
    model = ObjectiveItem
    fields = ["number", "title", "description"]
    ordering = ["number"]
    extra = 0
    formfield_overrides = COMPACT_TEXT


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department_display", "goal", "goal_inferred", "dimension"]
    list_filter = ["department_plan__plan", "department_plan__department", "dimension", "goal_inferred"]
    list_select_related = ["department_plan__department", "goal"]
    search_fields = ["name", "summary"]
    inlines = [ObjectiveItemInline]
    fields = ["department_plan", "number", "name", "dimension", "goal", "goal_inferred", "summary"]

    @admin.display(description=_("department"), ordering="department_plan__toc_number")
    def department_display(self, obj):
        return obj.department_plan.department.name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "goal":
            goals = Goal.objects.select_related("department_plan__department")
            objective_id = _object_id(request)
            if objective_id is not None:
                dp_id = StrategicObjective.objects.filter(pk=objective_id).values("department_plan_id")
                goals = goals.filter(department_plan_id__in=dp_id)
            kwargs["queryset"] = goals
            kwargs["form_class"] = GoalChoiceField
        elif db_field.name == "department_plan":
            kwargs["queryset"] = DepartmentPlan.objects.select_related("department")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "department_plan"]
    list_filter = ["department_plan__plan", "department_plan__department"]
    list_select_related = ["department_plan__department"]
    search_fields = ["name"]


@admin.register(CommonGoal)
class CommonGoalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department_plan", "dimension"]
    list_filter = ["department_plan__plan", "department_plan__department", "dimension"]
    list_select_related = ["department_plan__department"]
    search_fields = ["name", "description"]


# departments and people -----------------------------------------------------------------


def plan_order():
    """Departments in the order of the latest plan's table of contents, as the plan lists them.

    Sorting by name would sort by character code (主計處, 交通處, 人事處 …), which no one
    reading the plan expects. Admin uses a related model admin's ordering for its list
    filters and drop-downs, so every department filter and choice follows this order.
    """
    toc_number = (
        DepartmentPlan.objects.filter(department=OuterRef("pk")).order_by("-plan__start_year").values("toc_number")[:1]
    )
    return [Subquery(toc_number).asc(nulls_last=True), "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name"]
    search_fields = ["name", "short_name"]

    def get_ordering(self, request):
        return plan_order()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["user"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["department", "role"]
    extra = 0
    verbose_name_plural = _("memberships in departments")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [*DjangoUserAdmin.inlines, MembershipInline]


@admin.register(PublishedYear)
class PublishedYearAdmin(admin.ModelAdmin):
    """Publishing a year makes its approved results public (施政績效公開, open data)."""

    list_display = ["plan", "year", "published_at", "published_by", "note"]
    list_filter = ["plan"]
    fields = ["plan", "year", "note", "published_at", "published_by"]
    readonly_fields = ["published_at", "published_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.published_by = request.user
        super().save_model(request, obj, form, change)


# django-axes ----------------------------------------------------------------------------


def _sign_in_record(text):
    """A `__str__` for axes' records, which name themselves in English ("Attempted Access: …")
    in admin's breadcrumbs, page titles and delete confirmations."""

    def __str__(self):
        return gettext(text) % {
            "username": self.username or "–",
            "time": formats.localize(timezone.template_localtime(self.attempt_time)),
            "ip": self.ip_address or "–",
        }

    return __str__


AccessAttempt.__str__ = _sign_in_record(gettext_noop("Sign-in attempts by %(username)s (%(time)s, %(ip)s)"))
AccessFailureLog.__str__ = _sign_in_record(gettext_noop("Failed sign-in by %(username)s (%(time)s, %(ip)s)"))
AccessLog.__str__ = _sign_in_record(gettext_noop("Sign-in by %(username)s (%(time)s, %(ip)s)"))


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """django-axes' sign-in attempts, with labels for the two columns it leaves unlabelled
    (they would read "Status" and "Expiration", and a status "3 Attempt Remaining")."""

    @admin.display(description=_("Status"))
    def status(self, obj):
        remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if remaining > 0:
            return ngettext("%(count)s attempt left", "%(count)s attempts left", remaining) % {"count": remaining}
        return gettext("Locked Out")

    @admin.display(description=_("Expires At"))
    def expiration(self, obj):
        return super().expiration(obj)


if admin.site.is_registered(AccessAttempt):  # unless AXES_ENABLE_ADMIN is off
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)
