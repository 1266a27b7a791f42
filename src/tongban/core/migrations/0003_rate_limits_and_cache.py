"""Shared counters (ADR 0091): the rate-limit counter table, and the table of Django's
database cache (settings.CACHES) so that nothing is cached per process. createcachetable
skips tables that exist and caches that are not database caches (Redis)."""

from django.core.management import call_command
from django.db import migrations, models


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditevent_digest")]

    operations = [
        migrations.CreateModel(
            name="RateLimitCounter",
            fields=[
                (
                    "key",
                    models.CharField(
                        max_length=200, primary_key=True, serialize=False, verbose_name="计数键"
                    ),
                ),
                ("window_ends", models.DateTimeField(db_index=True, verbose_name="窗口结束")),
                ("count", models.PositiveIntegerField(default=0, verbose_name="次数")),
            ],
            options={"verbose_name": "频率限制计数", "verbose_name_plural": "频率限制计数"},
        ),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
