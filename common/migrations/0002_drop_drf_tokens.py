# The API's tokens were DRF's (rest_framework.authtoken) until django-rest-knox replaced
# them. DRF kept each key in plain text; they no longer sign anyone in, so their table goes,
# and with it DRF's record of having created it (so that the app could be installed afresh).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('common', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL("DELETE FROM django_migrations WHERE app = 'authtoken'", reverse_sql=migrations.RunSQL.noop),
    ]
