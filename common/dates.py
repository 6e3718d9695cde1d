""" "Today" for the reporting cycle, and a clock for writing the past.

KPI_TODAY (an ISO date in the environment) makes the app behave as if it were that
day: for training, for the local demo (the Keelung plan ends in 2025), and for tests.
Unset, it is the real date in Asia/Taipei.

`Clock` is for seeding a history (the local demo): while it runs, what is written is
dated at the clock's moment and the rules judge by the clock's day.
"""

from __future__ import annotations

import contextlib
import datetime

from django.conf import settings
from django.utils import timezone

_running: Clock | None = None


def today() -> datetime.date:
    if _running is not None:
        return _running.today
    if settings.KPI_TODAY:
        return settings.KPI_TODAY
    return timezone.localdate()


class Clock:
    """A clock that stands at the moment it is set to, for writing what happened in the past.

    While it runs (`with clock.running():`) `django.utils.timezone.now` answers its moment
    — the one source of "now" that the services, every `auto_now`/`auto_now_add` field and
    django-simple-history's record read — and `today()` answers `today` (by default the
    moment's day). `before`, if given, is a day every moment must lie before: setting a
    later one is a mistake of the caller and raises ValueError. One clock at a time; the
    real clock is back when the block ends, whatever happens in it.

    Fields whose default is `timezone.now` itself (e.g. `User.date_joined`) took the real
    function when their model was defined: set those from `timezone.now()` explicitly.
    """

    def __init__(
        self,
        moment: datetime.datetime,
        *,
        today: datetime.date | None = None,
        before: datetime.date | None = None,
    ):
        self.before = before
        self.moment = moment
        self.set(moment)
        self.today = today or timezone.localtime(moment).date()

    def set(self, moment: datetime.datetime) -> None:
        if timezone.is_naive(moment):
            raise ValueError(f"The clock takes aware datetimes; {moment} is naive.")
        if self.before is not None and timezone.localtime(moment).date() >= self.before:
            raise ValueError(f"Everything written here happens before {self.before}; {moment} does not.")
        self.moment = moment

    def now(self) -> datetime.datetime:
        return self.moment

    @contextlib.contextmanager
    def running(self):
        global _running
        if _running is not None:
            raise RuntimeError("Another clock is already running.")
        real_now = timezone.now
        _running, timezone.now = self, self.now
        try:
            yield self
        finally:
            _running, timezone.now = None, real_now
