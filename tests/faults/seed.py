"""Seed a fault test's own database: `python -m tests.faults.seed N` (settings from the environment).

The Keelung plan (one review stage), N reporters of 都市發展處 with API tokens, and a
supervisor; prints JSON: the tokens and the (indicator, period) pairs a reporter may save,
counted indicators (場, 件, 處) in the periods of 113 and 114, so that a figure can keep growing.
"""

import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from common.api.tokens import token_issue  # noqa: E402
from kpi import units  # noqa: E402
from kpi.models import Indicator, ReportingPeriod  # noqa: E402
from kpi.seeding import load_fixture, seed_plan  # noqa: E402
from plans.models import Department, Membership, Plan, Role  # noqa: E402

HOME = "都市發展處"


def main(count: int) -> dict:
    plan, _ = seed_plan(load_fixture())
    Plan.objects.filter(pk=plan.pk).update(review_stages=1)
    home = Department.objects.get(name=HOME)
    tokens = []
    for number in range(count):
        user = get_user_model().objects.create_user(username=f"reporter{number}", password=f"pw-reporter{number}")
        Membership.objects.create(user=user, department=home, role=Role.REPORTER)
        tokens.append(token_issue(user=user)[1])
    indicators = [
        i
        for i in Indicator.objects.filter(department_plan__department=home).order_by("pk")
        if units.is_counted(i.unit) and not i.formula_spec
    ]
    periods = ReportingPeriod.objects.filter(plan=plan, year__in=(113, 114)).order_by("year", "number")
    return {
        "tokens": tokens,
        "pairs": [[indicator.pk, period.pk] for period in periods for indicator in indicators],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
