"""Demo accounts for the local demo mode: one per role, all with the same password.

Only created when settings.DEMO_MODE is on; the sign-in page lists them in that mode.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from plans.models import Department, Membership, Role

DEMO_PASSWORD = "demo1234"
HOME_DEPARTMENT = "都市發展處"
OTHER_DEPARTMENT = "民政處"


@dataclass(frozen=True)
class DemoUser:
    username: str
    description: str
    full_name: str
    role: str | None = None
    department: str | None = None
    superuser: bool = False


DEMO_USERS = [
    DemoUser("staff", "填報人（都市發展處）", "王小明", Role.REPORTER, HOME_DEPARTMENT),
    DemoUser("supervisor", "審核人（都市發展處）", "李主任", Role.REVIEWER, HOME_DEPARTMENT),
    DemoUser("planner", "研考（綜合發展處，全府）", "陳研考", Role.PLANNING_OFFICE),
    DemoUser("admin", "系統管理者", "系統管理者", superuser=True),
    DemoUser("other", "填報人（民政處）", "林小華", Role.REPORTER, OTHER_DEPARTMENT),
]


@transaction.atomic
def ensure_demo_users():
    User = get_user_model()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(username=demo.username)
        if created:
            user.first_name = demo.full_name
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = demo.superuser
            user.save()
        if demo.role:
            department = Department.objects.filter(name=demo.department).first() if demo.department else None
            if demo.department and department is None:
                continue  # plan not seeded yet
            Membership.objects.get_or_create(user=user, department=department, role=demo.role)
