"""个人信息查阅记录 join the append-only tables (ADR 0100)."""

from django.db import migrations

from tongban.core import guards


def install_guards(apps, schema_editor):
    guards.install(schema_editor.connection, apps)


class Migration(migrations.Migration):
    dependencies = [
        ("integrity", "0001_initial"),
        ("accounts", "0004_personal_data_read"),
    ]

    operations = [migrations.RunPython(install_guards, migrations.RunPython.noop)]
