"""reports reads the plan and kpi apps and aggregates them; its one model is the public pages'
cache version."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicVersion(models.Model):
    """公開頁版本: a number that moves whenever anything the public pages show may have changed.

    One row. Every save or deletion of what the public pages and the open-data files are
    built from (a year published or withdrawn, an approved or corrected figure, a target,
    a name in the plan) gives it a new random value inside the same transaction (`reports.signals`), so
    the cached public pages, whose cache key carries the number (`reports.page_cache`), are
    never served once the change has committed: nothing is ever invalidated, a new key is
    simply used. The row lock also orders concurrent changes, so the number a reader sees
    is never older than the data it then reads.
    """

    value = models.PositiveBigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("public pages version")
        verbose_name_plural = _("public pages versions")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="public_version_one_row")]

    def __str__(self):
        return str(self.value)
