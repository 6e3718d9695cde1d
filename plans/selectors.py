"""Which plan a page shows: the one asked for (?plan=), else the plan in force.

Medium-term plans follow one another (111–114, then 115–118, …), and nothing may assume
one of them. `plan_in_force` is the one rule for "the plan of today": every page,
command and admin screen that needs a plan without being told one calls it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.utils.translation import gettext as _

from common import dates
from common.numbers import optional_id, shown
from common.years import to_roc
from plans.models import Plan

# Query parameters that belong to one plan and so are dropped when switching plans: a
# year of 111–114 is not a year of 115–118, and a page number counts that plan's rows.
PLAN_BOUND_PARAMS = ("plan", "year", "page")


def plans_in_order() -> list[Plan]:
    """Every plan, the latest first (the first created, should two start the same year): one query."""
    return list(Plan.objects.order_by("-start_year", "id"))


def plan_in_force(plans: Iterable[Plan] | None = None, today: datetime.date | None = None) -> Plan | None:
    """The plan in force on `today` (`common.dates.today`, i.e. KPI_TODAY when set).

    A plan is in force when today's ROC year lies within its years. When none is (between
    plans, or after the last one ended), the latest plan that has started; when every plan
    lies in the future, the first of them. Should two plans cover the year, the one that
    started later wins (the first created, should both start the same year).
    """
    ordered = sorted(plans_in_order() if plans is None else plans, key=lambda p: (-p.start_year, p.pk))
    if not ordered:
        return None
    year = to_roc((today or dates.today()).year)
    for plan in ordered:
        if plan.contains_year(year):
            return plan
    started = [plan for plan in ordered if plan.start_year <= year]
    return started[0] if started else ordered[-1]


@dataclass
class PlanChoice:
    """The plan a page shows, the plans it may switch to, and how its links keep the choice."""

    plan: Plan
    plans: list[Plan]
    in_force: Plan
    kept: list[tuple[str, str]] = field(default_factory=list)  # the other parameters a switch keeps

    @property
    def is_in_force(self) -> bool:
        return self.plan.pk == self.in_force.pk

    @property
    def params(self) -> dict[str, int]:
        """What a link adds to keep the plan: nothing for the plan in force, so that the
        addresses of the plan of today stay as short as they always were."""
        return {} if self.is_in_force else {"plan": self.plan.pk}

    @property
    def query_suffix(self) -> str:
        """`params` to append to a query string that already has a parameter ("&plan=3" or "")."""
        return "" if self.is_in_force else f"&plan={self.plan.pk}"

    @property
    def switchable(self) -> bool:
        return len(self.plans) > 1


def plan_choice(request, raw: str | None = None) -> PlanChoice | None:
    """The plan of `raw` (default: the request's ?plan=), else the plan in force; None when
    there is no plan at all. A plan id that is not a number or not a plan is left out with a
    message, as the pages treat any filter they cannot use (`common.params`)."""
    plans = plans_in_order()
    if not plans:
        return None
    in_force = plan_in_force(plans)
    raw = (request.GET.get("plan", "") if raw is None else raw).strip()
    chosen = None
    if raw:
        plan_id = optional_id(raw)
        chosen = next((p for p in plans if p.pk == plan_id), None)
        if chosen is None:
            messages.warning(
                request,
                _("“%(value)s” in the address is not a plan: the plan in force is shown.") % {"value": shown(raw)},
            )
    kept = [(name, value) for name, value in request.GET.items() if name not in PLAN_BOUND_PARAMS]
    return PlanChoice(plan=chosen or in_force, plans=plans, in_force=in_force, kept=kept)
