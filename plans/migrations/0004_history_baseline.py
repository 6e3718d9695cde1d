"""The record of changes starts from each plan's settings as they stand (see kpi 0004)."""

from django.db import migrations
from django.utils import timezone

BASELINE_REASON = "啟用變更紀錄時的既有資料"


def forwards(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    HistoricalPlan = apps.get_model("plans", "HistoricalPlan")
    now = timezone.now()
    names = [f.attname for f in Plan._meta.concrete_fields]
    HistoricalPlan.objects.bulk_create(
        HistoricalPlan(
            **{name: getattr(plan, name) for name in names},
            history_date=now,
            history_type="+",
            history_change_reason=BASELINE_REASON,
        )
        for plan in Plan.objects.order_by("pk")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_history"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
