# The whole city's meeting pack (施政績效報告, pdf and odt) is prepared by the same job as the
# whole city's spreadsheets, of the year or of the year as of a period.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0010_stored_assessments"),
        ("reports", "0002_yearly_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="yearlyexport",
            name="period",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="kpi.reportingperiod",
                verbose_name="as of the period",
            ),
        ),
        migrations.RemoveConstraint(model_name="yearlyexport", name="yearly_export_known_format"),
        migrations.AddConstraint(
            model_name="yearlyexport",
            constraint=models.CheckConstraint(
                condition=models.Q(("format__in", ["xlsx", "ods", "csv", "pdf", "odt"])),
                name="yearly_export_known_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="yearlyexport",
            constraint=models.CheckConstraint(
                condition=models.Q(("period__isnull", True), ("format__in", ("pdf", "odt")), _connector="OR"),
                name="yearly_export_period_for_pack_only",
            ),
        ),
    ]
