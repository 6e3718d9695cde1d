"""Reporting periods exist as soon as their plan year does.

A plan's periods are created (and their due dates follow the plan's setting) whenever the
plan is saved: in admin, by the seeder, by a rollover. Pages, the API and an import's
check-only step then only read them; no GET request writes (two first requests used to
race on the periods' unique constraint).

At the end of every request, evidence files whose rows were rolled back (a failed save, a
failed commit) are deleted (`kpi.services.evidence_discard_uncommitted`).

And at sign-in, what someone else typed before their session ended (`kpi.stash`) is dropped.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished
from django.db.models.signals import post_save
from django.dispatch import receiver

from kpi import stash
from kpi.services import evidence_discard_uncommitted, periods_ensure
from plans.models import Plan


@receiver(post_save, sender=Plan, dispatch_uid="kpi.periods_for_plan")
def create_periods_for_plan(sender, instance: Plan, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata (a restore) brings the periods with it
        return
    periods_ensure(plan=instance)


@receiver(user_logged_in, dispatch_uid="kpi.stash_for_owner_only")
def drop_others_stash(sender, request, user, **kwargs) -> None:
    """What someone else typed before their session ended is not handed to the next person."""
    stash.drop_unless_owner(request, user)


@receiver(request_finished, dispatch_uid="kpi.evidence_discard_uncommitted")
def discard_rolled_back_evidence(sender, **kwargs) -> None:
    # By now the request's transaction (ATOMIC_REQUESTS) has committed or rolled back.
    evidence_discard_uncommitted()
