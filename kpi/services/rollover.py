"""The next plan period (次期中程施政計畫): a new plan started from the previous one's structure.

A medium-term plan covers four years (Keelung: 111–114, then 115–118). The next one keeps
the city's structure — the same departments with their mission and vision, goals,
strategic objectives with their sub-items, common goals and indicators with every
definition field — and gets new targets. `plan_rollover` copies that structure in one
transaction and creates the new plan's reporting periods; the old plan is only read,
never written, so its pages, exports and open data stay exactly as they were.

Targets are not copied: a target is the new plan's to set. With `carry_targets`, each
indicator's target of the old plan's last year is carried into every year of the new
plan as a `TargetProposal` (沿用前期目標值), which nothing that assesses reads; the
planning office accepts proposals into targets (`target_proposals_accept`).

The management command `plan_rollover` and the plan admin's action call these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from common import dates
from common.years import MAX_ROC_YEAR, is_roc_year, to_roc
from kpi import stored
from kpi.history import record_change
from kpi.models import Indicator, TargetProposal, TargetRevision, YearlyTarget
from kpi.services.periods import periods_ensure
from kpi.services.targets import target_set
from plans.models import CommonGoal, DepartmentPlan, Goal, ObjectiveItem, Plan, StrategicObjective

# Stored in the records, like every reason people type, in the city's language.
DRAFT_EDITION = "草案"
ROLLOVER_REASON = "由%(name)s（%(old_start)s–%(old_end)s）轉入次期計畫（%(start)s–%(end)s）"
CARRIED_NOTE = "沿用%(start)s–%(end)s年計畫%(year)s年目標值"
ACCEPT_REASON = "採用目標值提案：%(note)s"

_YEARS = re.compile(r"^\s*(\d{1,3})\s*[-–—~～至]\s*(\d{1,3})\s*$")


@dataclass
class RolloverResult:
    plan: Plan
    source: Plan
    created: dict[str, int] = field(default_factory=dict)


def parse_plan_years(text: str, *, field: str = "years") -> tuple[int, int]:
    """ "115-118" (or 115–118, 115~118, 115至118) → (115, 118): ROC years, first not after last."""
    match = _YEARS.match(str(text or ""))
    if match is None:
        raise ValidationError(
            {
                field: _("“%(text)s” is not a plan's years: write its first and last ROC years, e.g. 115-118.")
                % {"text": str(text or "")[:20]}
            }
        )
    start, end = int(match.group(1)), int(match.group(2))
    if not (is_roc_year(start) and is_roc_year(end)) or end < start:
        raise ValidationError(
            {
                field: _("“%(text)s” is not a plan's years: write its first and last ROC years, e.g. 115-118.")
                % {"text": str(text)[:20]}
            }
        )
    return start, end


def plan_with_years(start: int, end: int, *, name: str = "") -> Plan:
    """The one plan of these years (and this name, if given); a ValidationError otherwise."""
    plans = list(Plan.objects.filter(start_year=start, end_year=end, **({"name": name} if name else {})))
    if not plans:
        raise ValidationError(_("There is no plan of ROC years %(start)s–%(end)s.") % {"start": start, "end": end})
    if len(plans) > 1:
        raise ValidationError(
            _("Several plans cover ROC years %(start)s–%(end)s (%(names)s): name the one to roll over.")
            % {"start": start, "end": end, "names": "、".join(p.name for p in plans)}
        )
    return plans[0]


def next_years(source: Plan) -> tuple[int, int]:
    """The years of the plan after `source`: as many years, starting the year after it ends."""
    length = source.end_year - source.start_year
    return source.end_year + 1, source.end_year + 1 + length


def next_plan_name(source: Plan, start: int, end: int) -> str:
    """The source's name with its years replaced when it names them ("…111-114…" → "…115-118…");
    otherwise the same name (a plan's years are shown beside its name)."""
    pattern = re.compile(rf"{source.start_year}(\s*[-–—~～至]\s*){source.end_year}")
    return pattern.sub(lambda m: f"{start}{m.group(1)}{end}", source.name)


def rollover_refusal(source: Plan, start: int, end: int, name: str) -> str | None:
    """Why the plan of `start`–`end` cannot be rolled over from `source`, or None when it can."""
    expected_start, expected_end = next_years(source)
    if (start, end) != (expected_start, expected_end):
        return _(
            "The next plan after %(source)s covers ROC years %(expected_start)s–%(expected_end)s (as many years, "
            "starting the year after it ends), not %(start)s–%(end)s. Nothing was created."
        ) % {
            "source": source,
            "expected_start": expected_start,
            "expected_end": expected_end,
            "start": start,
            "end": end,
        }
    if end > MAX_ROC_YEAR:
        return _("ROC year %(year)s is beyond the years a plan may cover.") % {"year": end}
    existing = Plan.objects.filter(start_year__lte=end, end_year__gte=start).order_by("start_year", "id").first()
    if existing is not None:
        return _(
            "%(plan)s already covers ROC years %(start)s–%(end)s: a year belongs to one plan. Nothing was created."
        ) % {"plan": existing, "start": start, "end": end}
    if Plan.objects.filter(name=name, start_year=start).exists():  # the unique name and first year
        return _("A plan named “%(name)s” starting in %(start)s already exists. Nothing was created.") % {
            "name": name,
            "start": start,
        }
    return None


def _copy(instance: models.Model, **overrides) -> models.Model:
    """A new, unsaved row with every concrete field of `instance` (so a field added later is
    copied too), but its primary key and the parents given as `overrides` (by attname)."""
    model = type(instance)
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    values.update(overrides)
    return model(**values)


@transaction.atomic
def plan_rollover(
    *,
    source: Plan,
    start_year: int,
    end_year: int,
    carry_targets: bool = False,
    name: str = "",
    user=None,
) -> RolloverResult:
    """Create the plan of `start_year`–`end_year` from `source`'s structure; return what was created.

    Refused with a ValidationError (and nothing written) when the years are not the ones
    after `source` or any plan already covers one of them.
    """
    # Two rollovers of one plan take turns: the second then finds the first's plan.
    source = Plan.objects.select_for_update().get(pk=source.pk)
    name = (name or "").strip() or next_plan_name(source, start_year, end_year)
    refusal = rollover_refusal(source, start_year, end_year, name)
    if refusal:
        raise ValidationError(refusal, code="refused")
    today = dates.today()
    plan = Plan(
        name=name,
        start_year=start_year,
        end_year=end_year,
        edition=DRAFT_EDITION,
        published_year=min(max(to_roc(today.year), 1), MAX_ROC_YEAR),
        published_month=today.month,
        reporting_frequency=source.reporting_frequency,
        report_due_days=source.report_due_days,
        review_stages=source.review_stages,
        green_threshold=source.green_threshold,
        yellow_threshold=source.yellow_threshold,
    )
    plan.full_clean()
    reason = ROLLOVER_REASON % {
        "name": source.name,
        "old_start": source.start_year,
        "old_end": source.end_year,
        "start": start_year,
        "end": end_year,
    }
    result = RolloverResult(plan=plan, source=source)
    with stored.deferred():
        record_change(plan, reason=reason, user=user)
        plan.save()
        result.created["plans"] = 1
        result.created["reporting periods"] = len(periods_ensure(plan=plan))
        indicators = _copy_structure(source, plan, result, user=user, reason=reason)
        if carry_targets:
            _carry_targets(source, plan, indicators, result, user=user)
    return result


def _copy_structure(source: Plan, plan: Plan, result: RolloverResult, *, user, reason: str) -> dict[int, Indicator]:
    """Departments → goals → objectives (with items) → common goals → indicators; returns the
    new indicators by the id of the one each copies. A fixed number of queries per level."""
    old_dps = list(DepartmentPlan.objects.filter(plan=source).order_by("toc_number"))
    new_dps = DepartmentPlan.objects.bulk_create([_copy(dp, plan_id=plan.pk) for dp in old_dps])
    dp_map = {old.pk: new.pk for old, new in zip(old_dps, new_dps, strict=True)}
    result.created["department plans"] = len(new_dps)

    old_goals = list(Goal.objects.filter(department_plan__plan=source).order_by("pk"))
    new_goals = Goal.objects.bulk_create([_copy(g, department_plan_id=dp_map[g.department_plan_id]) for g in old_goals])
    goal_map = {old.pk: new.pk for old, new in zip(old_goals, new_goals, strict=True)}
    result.created["goals"] = len(new_goals)

    old_objectives = list(StrategicObjective.objects.filter(department_plan__plan=source).order_by("pk"))
    new_objectives = StrategicObjective.objects.bulk_create(
        [
            _copy(o, department_plan_id=dp_map[o.department_plan_id], goal_id=goal_map.get(o.goal_id))
            for o in old_objectives
        ]
    )
    objective_map = {old.pk: new.pk for old, new in zip(old_objectives, new_objectives, strict=True)}
    result.created["objectives"] = len(new_objectives)

    old_items = list(ObjectiveItem.objects.filter(objective__department_plan__plan=source).order_by("pk"))
    new_items = ObjectiveItem.objects.bulk_create(
        [_copy(i, objective_id=objective_map[i.objective_id]) for i in old_items]
    )
    result.created["objective items"] = len(new_items)

    old_common = list(CommonGoal.objects.filter(department_plan__plan=source).order_by("pk"))
    new_common = CommonGoal.objects.bulk_create(
        [_copy(c, department_plan_id=dp_map[c.department_plan_id]) for c in old_common]
    )
    common_map = {old.pk: new.pk for old, new in zip(old_common, new_common, strict=True)}
    result.created["common goals"] = len(new_common)

    old_indicators = list(Indicator.objects.filter(department_plan__plan=source).order_by("pk"))
    copies = [
        _copy(
            i,
            department_plan_id=dp_map[i.department_plan_id],
            objective_id=objective_map.get(i.objective_id),
            common_goal_id=common_map.get(i.common_goal_id),
        )
        for i in old_indicators
    ]
    # With their first entry on the record of changes, as if saved one by one; no signal is
    # sent, so their KPI-years' stored assessments are asked for here.
    new_indicators = bulk_create_with_history(
        copies,
        Indicator,
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=reason,
    )
    by_key = {(i.department_plan_id, i.kind, i.objective_id, i.common_goal_id, i.number): i for i in new_indicators}
    indicator_map = {
        old.pk: by_key[(c.department_plan_id, c.kind, c.objective_id, c.common_goal_id, c.number)]
        for old, c in zip(old_indicators, copies, strict=True)
    }
    stored.touch_indicators([i.pk for i in indicator_map.values()])
    result.created["indicators"] = len(indicator_map)
    return indicator_map


def _carry_targets(source: Plan, plan: Plan, indicators: dict[int, Indicator], result: RolloverResult, *, user) -> None:
    """Each indicator's target of the source's last year, proposed for every year of the new plan."""
    note = CARRIED_NOTE % {"start": source.start_year, "end": source.end_year, "year": source.end_year}
    last = YearlyTarget.objects.filter(indicator_id__in=list(indicators), year=source.end_year).order_by("pk")
    proposals = [
        TargetProposal(
            indicator=indicators[target.indicator_id],
            year=year,
            value=target.value,
            carried_from=target,
            note=note,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        for target in last
        for year in plan.years
    ]
    TargetProposal.objects.bulk_create(proposals)
    result.created["target proposals"] = len(proposals)


@transaction.atomic
def target_proposals_accept(
    *, proposals: Iterable[TargetProposal], user=None, source: str = TargetRevision.Source.ADMIN
) -> int:
    """Make these proposals the targets of their years (through `target_set`, with the
    proposal's note in the reason on the record) and remove them; returns how many became
    targets. A year that already has a target keeps it, and its proposal is removed."""
    ids = [p.pk for p in proposals]
    accepted = 0
    with stored.deferred():
        chosen = (
            TargetProposal.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("indicator__department_plan__plan")
            .order_by("pk")
        )
        for proposal in chosen:
            if not YearlyTarget.objects.filter(indicator_id=proposal.indicator_id, year=proposal.year).exists():
                target_set(
                    indicator=proposal.indicator,
                    year=proposal.year,
                    value=proposal.value,
                    reason=ACCEPT_REASON % {"note": proposal.note},
                    user=user,
                    source=source,
                )
                accepted += 1
            proposal.delete()
    return accepted
