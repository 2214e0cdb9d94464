"""Seed the period table with the defaults of luodian_platform.periods (issue 15)."""

from django.db import migrations


def seed(apps, schema_editor):
    from luodian_platform.periods import seed_periods

    seed_periods(apps.get_model("luodian_platform", "Period"))


class Migration(migrations.Migration):
    dependencies = [("luodian_platform", "0003_period_table")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
