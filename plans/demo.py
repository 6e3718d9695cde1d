"""Demo accounts for the local demo mode: one per role, all with the same password.

Only created when settings.DEMO_MODE is on; the sign-in page lists them in that mode.
The people's names and departments are demo data (zh-Hant); their roles are translated.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plans.models import Department, Membership, Role

DEMO_PASSWORD = "demo1234"
TAIPEI = ZoneInfo("Asia/Taipei")
# The demo's calendar. Its today (KPI_TODAY in the demo's .env, scripts/make-local-env.sh):
# everything seeded happens before it, in the order a real plan's years would bring.
DEMO_TODAY = datetime.date(2025, 10, 8)
# The demo accounts are opened once the plan is entered (seed_plan dates it at the plan's
# publication, 民國111年2月: `plan_published_at`) and before the first quarter is reported.
DEMO_JOINED = datetime.datetime(2022, 3, 1, 9, 0, tzinfo=TAIPEI)


def plan_published_at(published_year: int, published_month: int) -> datetime.datetime:
    """When a plan published in (ROC year, month) was entered: the 15th of that month, 10:00 in Taipei."""
    return datetime.datetime(published_year + 1911, published_month, 15, 10, 0, tzinfo=TAIPEI)


HOME_DEPARTMENT = "都市發展處"
OTHER_DEPARTMENT = "民政處"
PLANNING_DEPARTMENT = "綜合發展處"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role_text: str  # what the account is for; %(department)s is the department's name
    full_name: str
    role: str | None = None
    department: str | None = None
    superuser: bool = False

    @property
    def description(self) -> str:
        """The account's role as the sign-in page lists it: 填報人（都市發展處）."""
        return str(self.role_text) % {"department": self.department or PLANNING_DEPARTMENT}


DEMO_USERS = [
    DemoUser("staff", _("Reporter (%(department)s)"), "王小明", Role.REPORTER, HOME_DEPARTMENT),
    DemoUser("supervisor", _("Reviewer (%(department)s)"), "李主任", Role.REVIEWER, HOME_DEPARTMENT),
    DemoUser("planner", _("Planning office (%(department)s, the whole city)"), "陳研考", Role.PLANNING_OFFICE),
    DemoUser("admin", _("System administrator"), "系統管理者", superuser=True),
    DemoUser("other", _("Reporter (%(department)s)"), "林小華", Role.REPORTER, OTHER_DEPARTMENT),
]


@transaction.atomic
def ensure_demo_users(joined: datetime.datetime | None = None):
    """The demo accounts (those missing), opened at `joined` (default: now)."""
    User = get_user_model()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(username=demo.username)
        if created:
            user.date_joined = joined or timezone.now()
            user.first_name = demo.full_name
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = demo.superuser
            user.save()
        if demo.role:
            department = Department.objects.filter(name=demo.department).first() if demo.department else None
            if demo.department and department is None:
                continue  # plan not seeded yet
            Membership.objects.get_or_create(user=user, department=department, role=demo.role)
