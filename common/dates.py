""" "Today" for the reporting cycle.

KPI_TODAY (an ISO date in the environment) makes the app behave as if it were that
day: for training, for the local demo (the Keelung plan ends in 2025), and for tests.
Unset, it is the real date in Asia/Taipei.
"""

import datetime

from django.conf import settings
from django.utils import timezone


def today() -> datetime.date:
    if settings.KPI_TODAY:
        return settings.KPI_TODAY
    return timezone.localdate()
