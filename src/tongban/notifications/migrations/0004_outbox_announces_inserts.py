"""On PostgreSQL, a new outbox row announces itself to the workers (ADR 0144).

A statement-level trigger runs `pg_notify('tongban_jobs', 'notifications')` inside the
transaction that writes outbox rows; PostgreSQL delivers the notification only when that
transaction commits, and only once however many rows or statements wrote (it folds equal
notifications of one transaction). The listening worker then nudges a delivery pass
(`core.jobs.Listener`). The request that queued the message no longer asks the task queue
anything after its commit. SQLite has no LISTEN/NOTIFY: there the nudge after commit
stays (`notifications.actions`), and this migration does nothing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tongban_outbox_announce() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tongban_jobs', 'notifications');
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS tongban_outbox_announce ON notifications_outboxmessage;
CREATE TRIGGER tongban_outbox_announce
    AFTER INSERT ON notifications_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION tongban_outbox_announce();
"""

DROP = """
DROP TRIGGER IF EXISTS tongban_outbox_announce ON notifications_outboxmessage;
DROP FUNCTION IF EXISTS tongban_outbox_announce();
"""


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_outboxmessage_recipient")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
