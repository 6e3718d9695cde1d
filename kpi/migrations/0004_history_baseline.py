"""The record of changes starts from the values as they stand.

Without a first historical row, the first change after this migration would have no
"before" to compare with: the KPI page and admin could not say what the old value was.
New rows get theirs when they are saved (django-simple-history's post_save).
"""

from django.db import migrations
from django.utils import timezone

BASELINE_REASON = "啟用變更紀錄時的既有資料"


def baseline(apps, model_name, batch=1000):
    model = apps.get_model("kpi", model_name)
    historical = apps.get_model("kpi", f"Historical{model_name}")
    now = timezone.now()
    names = [f.attname for f in model._meta.concrete_fields]
    rows = [
        historical(
            **{name: getattr(obj, name) for name in names},
            history_date=now,
            history_type="+",
            history_change_reason=BASELINE_REASON,
        )
        for obj in model.objects.order_by("pk").iterator(chunk_size=batch)
    ]
    historical.objects.bulk_create(rows, batch_size=batch)


def forwards(apps, schema_editor):
    baseline(apps, "Indicator")
    baseline(apps, "YearlyTarget")


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0003_history"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
