"""The KPI page's timeline: every change to its reports, targets and periods, oldest first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from common import formatting
from common.wording import choice_label
from kpi import services, units
from kpi.models import (
    Indicator,
    PeriodAction,
    PeriodEvent,
    ReportAction,
    ReportEvent,
    TargetRevision,
)
from kpi.selectors.display import format_field


@dataclass
class TimelineChange:
    label: str
    old: str
    new: str

    @property
    def is_long(self) -> bool:
        return len(self.old) + len(self.new) > 120


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str  # report | target | period
    action: str
    action_label: str
    actor: str
    subject: str  # the period or year the entry is about
    comment: str = ""
    changes: list[TimelineChange] = field(default_factory=list)
    order: int = 0
    note: str = ""  # a sentence of its own under the entry (the figure a correction keeps)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _reopen_note(indicator: Indicator, changes: dict) -> str:
    """A reopened report's record names the figure that had been approved: it stays the
    period's actual until the correction is approved."""
    pair = changes.get("approved_actual")
    value = pair[0] if isinstance(pair, list | tuple) and pair else None
    if value is None:
        return ""
    return _(
        "The figure that had been approved, %(figure)s, stays the period's actual until the corrected report is "
        "approved."
    ) % {"figure": units.amount(indicator, value)}


def report_timeline(indicator: Indicator, events: list[ReportEvent]) -> list[TimelineEntry]:
    entries = []
    for event in events:
        note = _reopen_note(indicator, event.changes or {}) if event.action == ReportAction.REOPENED else ""
        changes = [
            TimelineChange(
                label=services.FIELD_LABELS.get(name, name),
                old=format_field(indicator, name, pair[0] if isinstance(pair, list | tuple) and pair else None),
                new=format_field(
                    indicator, name, pair[1] if isinstance(pair, list | tuple) and len(pair) > 1 else pair
                ),
            )
            for name, pair in (event.changes or {}).items()
            if name != "approved_actual"
        ]
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="report",
                action=event.action,
                action_label=choice_label(ReportAction, event.action),
                actor=_person(event.actor),
                subject=event.report.period.label,
                comment=event.comment,
                changes=changes,
                order=event.pk,
                note=note,
            )
        )
    return entries


def target_timeline(indicator: Indicator) -> list[TimelineEntry]:
    entries = []
    for target in indicator.targets.all():
        for revision in target.revisions.all():
            set_now = revision.old_value is None
            entries.append(
                TimelineEntry(
                    at=revision.changed_at,
                    kind="target",
                    action="target_set" if set_now else "target_revised",
                    action_label=_("Target set") if set_now else _("Target revised"),
                    actor=_person(revision.changed_by) or choice_label(TargetRevision.Source, revision.source),
                    subject=formatting.roc_year(target.year),
                    comment=revision.reason,
                    changes=[
                        TimelineChange(
                            label=_("Target"),
                            old=units.amount(indicator, revision.old_value),
                            new=units.amount(indicator, revision.new_value),
                        )
                    ],
                    order=revision.pk,
                )
            )
    return entries


def period_timeline(indicator: Indicator) -> list[TimelineEntry]:
    """Locks and unlocks of the periods this indicator has reports in."""
    events = (
        PeriodEvent.objects.filter(period__reports__indicator=indicator)
        .select_related("actor", "period")
        .distinct()
        .order_by("at", "id")
    )
    return [
        TimelineEntry(
            at=e.at,
            kind="period",
            action=e.action,
            action_label=_period_action_label(e),
            actor=_person(e.actor),
            subject=e.period.label,
            comment=e.reason,
            order=e.pk,
        )
        for e in events
    ]


def _period_action_label(event: PeriodEvent) -> str:
    if event.action == PeriodAction.UNLOCKED:
        return _("Period unlocked")
    if event.forced:
        return _("Period locked anyway, with reports unfinished")
    return _("Period locked")
