"""KPI page versions: a number per scope that moves with every change of what the KPI page shows.

`kpi.page_cache` keeps the KPI page's content rendered under a key holding these numbers.
Each save or deletion of what the page is built from gives its scope a new random value in
the same transaction (`kpi.signals`), so a page cached before the change is never served once
the change has committed; nothing is invalidated, a new key is simply used.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageVersion(models.Model):
    """頁面版本: the version of one scope of the KPI pages.

    Scopes: "indicator:<id>" (its reports, their record and evidence, its targets, revisions,
    planned values, settings and their history), "plan:<id>" (its thresholds, periods, period
    locks, names in its structure) and "all" (people's names, departments, a bulk load). The
    value is random, not counted: a database restored or flushed goes back to older rows,
    and counting on from there would reuse keys of pages built from data it no longer holds.
    """

    scope = models.CharField(_("scope"), max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(_("version"))

    class Meta:
        verbose_name = _("KPI page version")
        verbose_name_plural = _("KPI page versions")

    def __str__(self) -> str:
        return f"{self.scope}={self.value}"
