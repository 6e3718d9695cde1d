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
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models, router
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from common.numbers import optional_id
from common.spreadsheets import writing
from common.wording import join_list
from plans import people
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
from plans.people import plan_order

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
    change_list_template = "admin/plans/membership/change_list.html"

    def get_urls(self):
        return [
            path("roles/", self.admin_site.admin_view(self.roles_view), name="plans_membership_roles"),
            *super().get_urls(),
        ]

    def roles_view(self, request):
        """Who holds which role where: department × role × person, filtered, or as a CSV file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        filters = RoleFilterForm(request.GET or None)
        values = filters.cleaned_data if filters.is_valid() else {}
        holders = people.role_holders(
            department_id=values["department"].pk if values.get("department") else None,
            role=values.get("role") or "",
            active={"yes": True, "no": False}.get(values.get("active") or ""),
            search=values.get("q") or "",
        )
        if request.GET.get("format") == "csv":
            return _roles_csv(holders)
        query = request.GET.copy()
        query["format"] = "csv"
        context = {
            **self.admin_site.each_context(request),
            "title": _("Who holds which role"),
            "opts": self.model._meta,
            "filters": filters,
            "holders": holders,
            "people_count": len({h.user.pk for h in holders}),
            "csv_query": query.urlencode(),
        }
        return TemplateResponse(request, "admin/plans/membership/roles.html", context)


class RoleFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.order_by(*plan_order()),
        required=False,
        empty_label=_("All departments"),
    )
    role = forms.ChoiceField(
        label=_("role"),
        choices=[("", _("All roles")), *people.ROLE_FILTER_LABELS.items()],
        required=False,
    )
    active = forms.ChoiceField(
        label=_("Account"),
        choices=[("", _("Active and inactive")), ("yes", _("Active")), ("no", _("Inactive"))],
        required=False,
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


ROLES_CSV_HEADERS = ["單位", "角色", "帳號", "姓名", "電子郵件", "啟用"]


def _roles_csv(holders):
    """The listing as a CSV file (with a BOM, so that Excel in Taiwan reads it as UTF-8). The
    columns are the import file's words (plans.people)."""
    rows = [
        [
            h.department.name if h.department else "",
            h.role_text,
            h.user.username,
            h.user.first_name,
            h.user.email,
            "是" if h.user.is_active else "否",
        ]
        for h in holders
    ]
    sheet = writing.Sheet(title="角色名冊", headers=ROLES_CSV_HEADERS, rows=rows)
    return writing.download("csv", [sheet], stem="角色名冊", ascii_stem="roles")


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
    """Accounts are deactivated, not deleted: what a person reported, reviewed or changed stays
    on the record under their name (those records PROTECT the account). Deleting is left for
    accounts that did nothing yet (a typing mistake); for any other it is refused with a
    message saying what keeps the account, and the deactivate action is offered instead."""

    inlines = [*DjangoUserAdmin.inlines, MembershipInline]
    list_display = ["username", "first_name", "email", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "memberships__role", "memberships__department"]
    actions = ["deactivate", "reactivate", "send_password_links", "delete_unused"]
    change_list_template = "admin/plans/user_change_list.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_unused, which refuses accounts with a record
        return actions

    @admin.action(
        description=_("Deactivate the selected accounts (they keep their record and roles)"), permissions=["change"]
    )
    def deactivate(self, request, queryset):
        changed = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, gettext("You cannot deactivate your own account."), messages.ERROR)
                continue
            changed += people.user_set_active(user=user, active=False)
        self.message_user(
            request,
            ngettext(
                "%(count)s account deactivated; its API tokens were revoked.",
                "%(count)s accounts deactivated; their API tokens were revoked.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reactivate the selected accounts"), permissions=["change"])
    def reactivate(self, request, queryset):
        changed = sum(people.user_set_active(user=user, active=True) for user in queryset)
        self.message_user(
            request,
            ngettext("%(count)s account reactivated.", "%(count)s accounts reactivated.", changed) % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("E-mail the selected accounts a link to set their password"), permissions=["change"])
    def send_password_links(self, request, queryset):
        """For new accounts (which have no password; Django's own reset form skips them) and for
        anyone whose link expired. Inactive accounts and those without an address are skipped."""
        users = list(queryset)
        sent = people.password_links_send(users)
        self.message_user(
            request,
            ngettext(
                "A link to set the password was e-mailed to %(count)s account.",
                "A link to set the password was e-mailed to %(count)s accounts.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )
        skipped = len(users) - sent
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)s account was skipped: it is inactive or has no e-mail address.",
                    "%(count)s accounts were skipped: they are inactive or have no e-mail address.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Delete the selected accounts that have no record"), permissions=["delete"])
    def delete_unused(self, request, queryset):
        deletable = [user.pk for user in queryset if not self._refuse_delete(request, user)]
        doomed = queryset.model.objects.filter(pk__in=deletable)
        self.log_deletions(request, doomed)
        deleted = len(deletable)
        for user in doomed:
            user.delete()
        if deleted:
            self.message_user(
                request,
                ngettext("%(count)s account deleted.", "%(count)s accounts deleted.", deleted) % {"count": deleted},
                messages.SUCCESS,
            )

    def _refuse_delete(self, request, user) -> bool:
        """True (with a message) when the account may not be deleted: it is one's own, or records keep it."""
        if user.pk == request.user.pk:
            self.message_user(request, gettext("You cannot delete your own account."), messages.ERROR)
            return True
        kept_by = records_of(user)
        if kept_by:
            self.message_user(
                request,
                gettext(
                    "%(user)s cannot be deleted: the record keeps what they did (%(records)s). Deactivate the "
                    "account instead."
                )
                % {"user": user.get_username(), "records": join_list(f"{name} {count}" for name, count in kept_by)},
                messages.ERROR,
            )
            return True
        return False

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        if user is not None and self._refuse_delete(request, user):
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)


def records_of(user) -> list[tuple[str, int]]:
    """What keeps an account from being deleted: the records that PROTECT it (reports, reviews,
    events, evidence …), by kind and count. Found through Django's deletion collector, so this
    module need not know the models of the apps above it."""
    collector = NestedObjects(using=router.db_for_write(User))
    collector.collect([user])
    counts: dict[str, int] = {}
    for obj in collector.protected:
        name = str(obj._meta.verbose_name_plural)
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items())


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
