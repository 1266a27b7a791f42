"""An index for `core.jobs.nudge`'s question "is a pass of this task waiting?" (ADR 0141).

django-tasks' own queue index orders every waiting task by priority and time: asked for
one task's waiting pass, PostgreSQL walked all the waiting tasks of the others. With 3,000
licence signings queued behind a stopped signer, every notifying case action paid
0.23 ms of backend CPU for that walk, more than for its own lock. The index is on
django-tasks' table, so it is written here as SQL (the same on both databases); a
SQLite table rebuild by a later django-tasks migration would drop it, which costs speed,
never correctness."""

from django.db import migrations

INDEX = "tongban_tasks_waiting_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_scheduled_jobs"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON django_tasks_database_dbtaskresult "
            "(task_path, backend_name, run_after) WHERE status = 'READY'",
            f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
