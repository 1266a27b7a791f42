"""Append-only history in the database itself (ADR 0092): row triggers that refuse an
UPDATE or DELETE of case events, audit rows, rating events and checkpoints whoever sends
it (the ORM, a console, a script), and that let ratings and licences change only in the
columns their workflow changes. PostgreSQL: one PL/pgSQL function and a row trigger plus a
TRUNCATE trigger per table; SQLite: BEFORE UPDATE / BEFORE DELETE triggers with
RAISE(ABORT).

The only way to delete is a whole-database wipe (`tongban flush`, which the test suite
runs between transactional tests): it turns a per-connection switch on,
`tongban.history_purge` on PostgreSQL (a session setting) and the SQL function
`tongban_history_purge()` on SQLite (registered on Django's connections only; any other
client has no such function, so its DELETE fails too). No switch exists for UPDATE.

Installing is idempotent (drop and create) and runs from the integrity migration and after
every `migrate`: SQLite rebuilds a table for many schema changes and the rebuilt table
would otherwise lose its triggers; the SQLite column lists are recomputed the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

PURGE_SETTING = "tongban.history_purge"
SQLITE_PURGE_FUNCTION = "tongban_history_purge"
PREFIX = "tongban_append_only"


@dataclass(frozen=True)
class Guard:
    model: str  # app_label.ModelName
    # columns an UPDATE may change; none: no UPDATE at all
    mutable: tuple[str, ...] = ()
    # once this column is set, no column may change any more (a revoked licence)
    final_when_set: str = ""
    # while the row is in this state ("column=value"), `open_mutable` may change too
    # (a licence being signed gets its signatures, ADR 0121)
    open_when: str = ""
    open_mutable: tuple[str, ...] = ()


GUARDS: tuple[Guard, ...] = (
    Guard("cases.CaseEvent"),
    Guard("core.AuditEvent"),
    Guard("ratings.RatingEvent"),
    # the rating itself (level, indicators, comment, who, when) is fixed; its workflow
    # state moves, and every move is a RatingEvent
    Guard("ratings.Rating", mutable=("status", "annulled_at", "event_count", "updated_at")),
    # a licence's content is signed and fixed; revocation is the one change, and final;
    # its signatures are written once, by the signer, while it is `signing` (ADR 0121)
    Guard(
        "licences.Licence",
        mutable=("status", "revoked_at", "revocation_reason", "revoked_by_id"),
        final_when_set="revoked_at",
        open_when="status=signing",
        open_mutable=(
            "data_signature",
            "algorithm",
            "signing_key_id",
            "certificate_serial",
            "pdf",
            "pdf_sha256",
            "signing_started_at",
            "signing_attempts",
        ),
    ),
    Guard("integrity.Checkpoint"),
    # 个人信息查阅记录 (ADR 0100): what the person is told was read about them
    Guard("accounts.PersonalDataRead"),
)

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {PREFIX}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    may_change text[] := '{{}}';
    is_open boolean := false;
    arg text;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    -- TG_ARGV: the column that makes the row final once set ('' for none), the state
    -- "column=value" in which the "?"-marked columns may change too ('' for none), then
    -- the columns an UPDATE may change
    IF TG_OP = 'UPDATE' AND TG_NARGS > 2
       AND (TG_ARGV[0] = '' OR (to_jsonb(OLD) ->> TG_ARGV[0]) IS NULL) THEN
        IF TG_ARGV[1] <> '' THEN
            is_open := (to_jsonb(OLD) ->> split_part(TG_ARGV[1], '=', 1))
                       = split_part(TG_ARGV[1], '=', 2);
        END IF;
        FOREACH arg IN ARRAY TG_ARGV[2:] LOOP
            IF left(arg, 1) <> '?' THEN
                may_change := may_change || arg;
            ELSIF is_open THEN
                may_change := may_change || substr(arg, 2);
            END IF;
        END LOOP;
        IF (to_jsonb(NEW) - may_change) = (to_jsonb(OLD) - may_change) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'tongban: % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'P0092';
END
$$;
"""


def _table_and_columns(apps: Any, guard: Guard) -> tuple[str, list[str]]:
    model = apps.get_model(guard.model)
    return model._meta.db_table, [f.column for f in model._meta.concrete_fields]


def _present(apps: Any, guards: tuple[Guard, ...] = GUARDS) -> list[Guard]:
    """The guards whose model exists in `apps`: a migration's historical state may not
    have a table guarded later (it gets its triggers from its own migration and from
    the reinstall after every migrate)."""
    found = []
    for guard in guards:
        try:
            apps.get_model(guard.model)
        except LookupError:
            continue
        found.append(guard)
    return found


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return str(connection.ops.quote_name(name))


def install_statements(
    connection: BaseDatabaseWrapper, apps: Any, only: tuple[Guard, ...] = GUARDS
) -> list[str]:
    statements: list[str] = []
    if connection.vendor == "postgresql":
        statements.append(_PG_FUNCTION)
    for guard in _present(apps, only):
        table, columns = _table_and_columns(apps, guard)
        t = _quote(connection, table)
        if connection.vendor == "postgresql":
            args = ""
            if guard.mutable:
                opened = tuple(f"?{c}" for c in guard.open_mutable)
                args = ", ".join(
                    f"'{c}'"
                    for c in (guard.final_when_set, guard.open_when, *guard.mutable, *opened)
                )
            statements += [
                f"DROP TRIGGER IF EXISTS {PREFIX} ON {t}",
                f"CREATE TRIGGER {PREFIX} BEFORE UPDATE OR DELETE ON {t} "
                f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}({args})",
                f"DROP TRIGGER IF EXISTS {PREFIX}_truncate ON {t}",
                f"CREATE TRIGGER {PREFIX}_truncate BEFORE TRUNCATE ON {t} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}()",
            ]
        elif connection.vendor == "sqlite":
            when = ""
            if guard.mutable:
                fixed = [c for c in columns if c not in guard.mutable]
                same = " AND ".join(
                    f"NEW.{_quote(connection, c)} IS OLD.{_quote(connection, c)}" for c in fixed
                )
                if guard.open_when:
                    # in the open state the signatures may be written as well
                    column, _, value = guard.open_when.partition("=")
                    also = (*guard.mutable, *guard.open_mutable)
                    same_open = " AND ".join(
                        f"NEW.{_quote(connection, c)} IS OLD.{_quote(connection, c)}"
                        for c in columns
                        if c not in also
                    )
                    same = (
                        f"({same}) OR (OLD.{_quote(connection, column)} = '{value}' "
                        f"AND {same_open})"
                    )
                when = f" WHEN NOT ({same})"
                if guard.final_when_set:
                    final = _quote(connection, guard.final_when_set)
                    when = f" WHEN OLD.{final} IS NOT NULL OR NOT ({same})"
            statements += [
                f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_update",
                f"CREATE TRIGGER {PREFIX}_{table}_update BEFORE UPDATE ON {t}{when} BEGIN "
                f"SELECT RAISE(ABORT, 'tongban: {table} is append-only: UPDATE refused'); END",
                f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_delete",
                f"CREATE TRIGGER {PREFIX}_{table}_delete BEFORE DELETE ON {t} "
                f"WHEN NOT {SQLITE_PURGE_FUNCTION}() BEGIN "
                f"SELECT RAISE(ABORT, 'tongban: {table} is append-only: DELETE refused'); END",
            ]
    return statements


def uninstall_statements(connection: BaseDatabaseWrapper, apps: Any) -> list[str]:
    statements: list[str] = []
    for guard in _present(apps):
        table, _ = _table_and_columns(apps, guard)
        t = _quote(connection, table)
        if connection.vendor == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {PREFIX} ON {t}",
                f"DROP TRIGGER IF EXISTS {PREFIX}_truncate ON {t}",
            ]
        elif connection.vendor == "sqlite":
            statements += [
                f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_update",
                f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_delete",
            ]
    if connection.vendor == "postgresql":
        statements.append(f"DROP FUNCTION IF EXISTS {PREFIX}()")
    return statements


def install(connection: BaseDatabaseWrapper, apps: Any) -> None:
    with connection.cursor() as cursor:
        for statement in install_statements(connection, apps):
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper, apps: Any) -> None:
    with connection.cursor() as cursor:
        for statement in uninstall_statements(connection, apps):
            cursor.execute(statement)


def _update_trigger_present(connection: BaseDatabaseWrapper, table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
                [_quote(connection, table), PREFIX],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [f"{PREFIX}_{table}_update"],
            )
        else:
            return False
        return bool(cursor.fetchone()[0])


@contextlib.contextmanager
def reencrypting(model: Any) -> Iterator[None]:
    """Re-encryption of personal data at rest (ADR 0098) inside ONE transaction: a
    guarded table holding encrypted columns (a licence's holder identifier and signed
    data) gets its UPDATE trigger dropped and re-created around the rewrite. DDL is
    transactional on PostgreSQL and SQLite, so no other session ever sees the table
    unguarded (the DROP locks it until commit) and a failure restores the trigger. The
    caller (core.keyrotation) only writes values that decrypt to what was stored.
    A table that is not guarded, or not guarded yet (a fresh database migrating), is
    rewritten as it is."""
    from django.db import connection, transaction

    label = model._meta.label
    guard = next((g for g in GUARDS if g.model == label), None)
    table = model._meta.db_table
    if guard is None or not _update_trigger_present(connection, table):
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("re-encrypting a guarded table needs a transaction")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX} ON {_quote(connection, table)}")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}_{table}_update")
    yield
    with connection.cursor() as cursor:
        for statement in install_statements(connection, model._meta.apps, only=(guard,)):
            cursor.execute(statement)


def missing(connection: BaseDatabaseWrapper, apps: Any) -> list[str]:
    """Guarded tables whose triggers are absent or disabled (for `tongban audit verify`)."""
    absent: list[str] = []
    with connection.cursor() as cursor:
        for guard in _present(apps):
            table, _ = _table_and_columns(apps, guard)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                    "AND tgname IN (%s, %s) AND tgenabled <> 'D'",
                    [_quote(connection, table), PREFIX, f"{PREFIX}_truncate"],
                )
                expected = 2
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = %s AND name IN (%s, %s)",
                    [table, f"{PREFIX}_{table}_update", f"{PREFIX}_{table}_delete"],
                )
                expected = 2
            else:
                continue
            if cursor.fetchone()[0] != expected:
                absent.append(table)
    return absent


# ---- the purge switch ----------------------------------------------------------------


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: give each SQLite connection its purge switch, off."""
    if connection.vendor != "sqlite":
        return
    connection.tongban_history_purge = False  # type: ignore[attr-defined]
    connection.connection.create_function(
        SQLITE_PURGE_FUNCTION,
        0,
        lambda: 1 if getattr(connection, "tongban_history_purge", False) else 0,
    )


@contextlib.contextmanager
def history_purge(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Allow DELETE (and TRUNCATE) of guarded rows on this connection, for a wipe of the
    whole database only (flush)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PURGE_SETTING])
    connection.tongban_history_purge = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection.tongban_history_purge = False  # type: ignore[attr-defined]
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PURGE_SETTING])
