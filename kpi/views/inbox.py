"""The inbox (收件匣), notification settings (通知設定) and a report's comments (留言)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kpi import access, services
from kpi.models import EmailChoice
from kpi.services import notifications
from kpi.views.reporting import _detail_url, _forbidden, _safe_next

INBOX_LIMIT = 200  # the latest notifications shown; older ones stay in the database


@login_required
@require_http_methods(["GET", "HEAD"])
def inbox(request):
    items = list(notifications.inbox_for(request.user)[:INBOX_LIMIT])
    for n in items:
        n.url = notifications.link(n)
    unread = sum(1 for n in items if n.read_at is None)
    return render(request, "kpi/inbox.html", {"items": items, "unread": unread})


@login_required
@require_POST
def inbox_read(request, notification_id):
    """Mark one notification read, then go where it leads (or back to the inbox)."""
    notification = get_object_or_404(notifications.inbox_for(request.user), pk=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.POST.get("open"):
        return redirect(notifications.link(notification))
    return redirect(_safe_next(request, reverse("kpi:inbox")))


@login_required
@require_POST
def inbox_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect(reverse("kpi:inbox"))


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label=gettext_lazy("E-mail me notifications"), choices=EmailChoice.choices, widget=forms.RadioSelect
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request):
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(user=request.user, email=form.cleaned_data["email"])
            messages.success(request, _("Your notification settings are saved."))
            return redirect(reverse("kpi:notification_settings"))
        status = 400
    else:
        form = PreferenceForm(initial={"email": notifications.email_choice(request.user)})
        status = 200
    return render(
        request, "kpi/notification_settings.html", {"form": form, "has_email": bool(request.user.email)}, status=status
    )


@login_required
@require_POST
def report_comment(request, report_id):
    """Add a comment to a report's conversation, then back to the report on its KPI page."""
    report = get_object_or_404(access.reports_for(request.user), pk=report_id)
    back = _safe_next(request, _detail_url(report.indicator_id, report.period.year, f"comments-{report.pk}"))
    try:
        services.report_comment(report=report, user=request.user, text=request.POST.get("text", ""))
    except PermissionDenied as exc:
        return _forbidden(request, str(exc), report.indicator)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(request, _("Your comment was added."))
    return redirect(back)
