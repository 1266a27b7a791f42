"""Issue 9.5: a history nobody can rewrite. Append-only triggers on both databases, SM3
chains, signed checkpoints and `tongban audit verify` finding what was done with the
triggers switched off."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from gmssl import func, sm3

from tongban.cases.models import Case, CaseEvent, case_event_content
from tongban.core import guards
from tongban.core.audit import record_audit
from tongban.core.chain import canonical
from tongban.core.models import AuditEvent
from tongban.integrity.actions import sign_heads
from tongban.integrity.models import Checkpoint
from tongban.integrity.testing import settle_deferred_constraints, unguarded
from tongban.integrity.verify import verify
from tongban.licences import sm2
from tongban.licences.models import Licence
from tongban.ratings import actions as rating_actions
from tongban.ratings.models import Rating, RatingEvent
from tongban.stats.tests.helpers import completed_case
from tongban.testing.licences import make_case as make_licence_case
from tongban.testing.licences import use_test_pki

pytestmark = pytest.mark.django_db

IN_PERSON = {"efficiency": 5, "competence": 4, "attitude": 5}
GUARDED = ["cases_caseevent", "core_auditevent", "ratings_ratingevent"]


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def platform_pki(settings, pki_files: Path) -> Path:
    settings.TONGBAN_PKI_DIR = pki_files
    settings.TONGBAN_PKI_PASSPHRASE = "test-pki-passphrase"
    return pki_files


@pytest.fixture
def case(world) -> Case:
    return completed_case(world)


def _sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _refused(statement: str, params: list[Any] | None = None) -> str:
    """Run SQL that the database must refuse; the savepoint keeps the test's transaction
    usable on PostgreSQL."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        _sql(statement, params)
    return str(refused.value)


def _audit_verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


# ---- the chain -------------------------------------------------------------------------


def test_case_events_are_chained_with_sm3(case):
    events = list(case.events.order_by("seq"))
    assert len(events) > 3
    prev = ""
    for event in events:
        assert event.prev_digest == prev
        # gmssl's independent SM3 gives the same digest as OpenSSL's
        message = prev.encode() + b"\n" + canonical(case_event_content(event))
        assert event.digest == sm3.sm3_hash(func.bytes_to_list(message))
        prev = event.digest
    report = verify()
    assert report.breaks == [] and report.rows >= len(events)


def test_audit_rows_are_chained_per_object(world, case):
    first = record_audit(None, "test.one", case, "一")
    second = record_audit(None, "test.two", case, "二")
    other = record_audit(None, "test.one", world.items["company"], "三")
    assert second.prev_digest == first.digest and len(second.digest) == 64
    assert other.prev_digest == (
        AuditEvent.objects.filter(object_type="catalog.serviceitem", object_id=str(other.object_id))
        .exclude(pk=other.pk)
        .order_by("-id")
        .values_list("digest", flat=True)
        .first()
        or ""
    )
    assert verify().breaks == []


# ---- append-only in the database -------------------------------------------------------


@pytest.mark.parametrize("table", GUARDED)
def test_sql_update_and_delete_of_history_are_refused(case, table):
    record_audit(None, "test.one", case, "一")
    if table == "ratings_ratingevent":
        rating_actions.submit_rating(
            case.applicant.user, case.number, level=5, indicators=IN_PERSON
        )
    row = _first_id(table)
    assert "append-only" in _refused(
        f'UPDATE "{table}" SET "digest" = %s WHERE id = %s', ["0", row]
    )
    assert "append-only" in _refused(f'DELETE FROM "{table}" WHERE id = %s', [row])
    if connection.vendor == "postgresql":
        settle_deferred_constraints()
        assert "append-only" in _refused(f'TRUNCATE "{table}" CASCADE')
    _sql(f'SELECT count(*) FROM "{table}" WHERE id = %s', [row])  # still usable, still there
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE id = %s', [row])
        assert cursor.fetchone()[0] == 1


def _first_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min(id) FROM "{table}"')
        value = cursor.fetchone()[0]
    assert value is not None
    return int(value)


def test_a_rating_keeps_its_content_while_its_workflow_moves(world, case):
    rating = rating_actions.submit_rating(
        world.user("applicant-1"),
        case.number,
        level=1,
        indicators={"efficiency": 1, "competence": 1, "attitude": 1},
        comment="等了很久",
    )
    task = rating.rectification
    rating_actions.appeal_rectification(world.user("421102-head"), task.pk, reason="恶意差评")
    rating_actions.review_appeal(
        world.user("421102-supervisor"), task.pk, decision="annul", note="核实为误评"
    )
    rating.refresh_from_db()
    assert rating.status == "annulled"  # the trigger lets the workflow columns move
    assert RatingEvent.objects.filter(rating=rating).count() == rating.event_count
    for column, value in (("level", 5), ("comment", "很好"), ("rated_at", "2020-01-01")):
        message = _refused(
            f'UPDATE "ratings_rating" SET "{column}" = %s WHERE id = %s', [value, rating.pk]
        )
        assert "append-only" in message
    assert "append-only" in _refused('DELETE FROM "ratings_rating" WHERE id = %s', [rating.pk])
    assert Rating.objects.get(pk=rating.pk).level == 1


def test_a_licence_changes_only_by_revocation_and_only_once(world, settings, pki_files):
    from tongban.licences.actions import revoke_licence
    from tongban.testing.licences import issue_signed

    use_test_pki(settings, pki_files)
    approved = make_licence_case(world, status="approved")
    licence = issue_signed(approved, world.user("420100Z01-officer"))
    update = 'UPDATE "licences_licence" SET "holder_name" = %s WHERE id = %s'
    assert "append-only" in _refused(update, ["别人", licence.pk])
    assert "append-only" in _refused('DELETE FROM "licences_licence" WHERE id = %s', [licence.pk])
    revoke_licence(world.user("420100Z01-head"), licence, "信息有误")
    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.revoked_at is not None
    # revoked is final: not even the revocation columns move any more
    again = 'UPDATE "licences_licence" SET "revocation_reason" = %s WHERE id = %s'
    assert "append-only" in _refused(again, ["改写", licence.pk])
    assert Licence.objects.get(pk=licence.pk).revocation_reason == "信息有误"


def test_the_purge_switch_is_for_flush_only(case):
    event = case.events.order_by("seq").first()
    assert event is not None
    _refused('DELETE FROM "cases_caseevent" WHERE id = %s', [event.pk])
    with transaction.atomic():
        with guards.history_purge(connection):
            _sql('DELETE FROM "cases_caseevent" WHERE case_id = %s', [case.pk])
        assert not CaseEvent.objects.filter(case=case).exists()
        transaction.set_rollback(True)
    # switched off again: deleting is refused, and an UPDATE never had a switch
    _refused('DELETE FROM "cases_caseevent" WHERE id = %s', [event.pk])
    with guards.history_purge(connection):
        _refused('UPDATE "cases_caseevent" SET "reason" = %s WHERE id = %s', ["x", event.pk])


# ---- verify finds what was done with the triggers off ----------------------------------


def test_verify_reports_an_edited_event(case):
    ok, output = _audit_verify()
    assert ok and "OK" in output
    event = case.events.get(seq=2)
    with unguarded("cases_caseevent"):
        _sql('UPDATE "cases_caseevent" SET "reason" = %s WHERE id = %s', ["改过", event.pk])
    ok, output = _audit_verify()
    assert not ok
    assert f"altered: case {case.number} #2" in output


def test_verify_reports_a_rehashed_edit_at_the_next_link(case):
    event = case.events.get(seq=2)
    event.reason = "改过"
    from tongban.cases.models import seal_case_event

    seal_case_event(event, event.prev_digest)  # the forger recomputes the row's own digest
    with unguarded("cases_caseevent"):
        _sql(
            'UPDATE "cases_caseevent" SET "reason" = %s, "digest" = %s WHERE id = %s',
            [event.reason, event.digest, event.pk],
        )
    breaks = verify().breaks
    assert [(b.kind, b.chain, b.position) for b in breaks] == [
        ("broken_link", f"case {case.number}", 3)
    ]


def test_verify_reports_a_deleted_event(case):
    event = case.events.get(seq=2)
    with unguarded("cases_caseevent"):
        _sql('DELETE FROM "cases_caseevent" WHERE id = %s', [event.pk])
    kinds = {(b.kind, b.chain) for b in verify().breaks}
    assert ("missing", f"case {case.number}") in kinds
    assert ("broken_link", f"case {case.number}") in kinds


def test_verify_reports_newest_events_removed_after_a_checkpoint(case, platform_pki):
    checkpoint = sign_heads()
    assert checkpoint is not None
    assert checkpoint.heads["case"][str(case.pk)] == [case.event_count, _head(case)]
    last = case.events.order_by("-seq").first()
    assert last is not None
    with unguarded("cases_caseevent"):
        _sql('DELETE FROM "cases_caseevent" WHERE id = %s', [last.pk])
    # the chain that is left is intact: only the signed head shows the loss
    breaks = verify().breaks
    assert [(b.kind, b.chain, b.position) for b in breaks] == [
        ("head_missing", f"case {case.number}", last.seq)
    ]


def test_verify_reports_a_removed_audit_row(case):
    first = record_audit(None, "test.one", case, "一")
    record_audit(None, "test.two", case, "二")
    with unguarded("core_auditevent"):
        _sql('DELETE FROM "core_auditevent" WHERE id = %s', [first.pk])
    breaks = verify().breaks
    assert [(b.kind, b.chain) for b in breaks] == [("broken_link", f"audit cases.case:{case.pk}")]


def test_verify_reports_a_missing_guard(case):
    if connection.vendor == "postgresql":
        settle_deferred_constraints()
        _sql('ALTER TABLE "ratings_ratingevent" DISABLE TRIGGER USER')
    else:
        _sql(f"DROP TRIGGER {guards.PREFIX}_ratings_ratingevent_delete")
    assert [(b.kind, b.chain) for b in verify().breaks] == [
        ("guard_missing", "ratings_ratingevent")
    ]


def _head(case: Case) -> str:
    return str(case.events.order_by("-seq").values_list("digest", flat=True).first())


# ---- checkpoints -----------------------------------------------------------------------


def test_checkpoints_sign_what_grew_and_chain_to_each_other(world, case, platform_pki):
    out = io.StringIO()
    call_command("audit", "sign-heads", stdout=out)
    first = Checkpoint.objects.get()
    assert "chain head(s) signed" in out.getvalue()
    assert sm2.verify(first.public_key, first.digest.encode(), bytes.fromhex(first.signature))
    assert sign_heads() is None  # nothing new
    other = completed_case(world)
    second = sign_heads()
    assert second is not None and second.prev_digest == first.digest
    assert set(second.heads["case"]) == {str(other.pk)}
    assert verify().breaks == [] and verify().checkpoints == 2
    # a checkpoint is history too: refused, and an edit made anyway is found
    update = 'UPDATE "integrity_checkpoint" SET "heads" = %s WHERE id = %s'
    assert "append-only" in _refused(update, ['{"case": {}}', first.pk])
    with unguarded("integrity_checkpoint"):
        _sql(update, ['{"case": {}, "rating": {}, "audit": {}}', first.pk])
    assert ("checkpoint", f"checkpoint {first.pk}") in {(b.kind, b.chain) for b in verify().breaks}


def test_bulk_created_audit_rows_are_chained_too(world, case):
    existing = record_audit(None, "test.one", case, "一")
    rows = AuditEvent.objects.bulk_create(
        [
            AuditEvent(action="test.bulk", object_type="cases.case", object_id=str(case.pk)),
            AuditEvent(action="test.bulk", object_type="cases.case", object_id=str(case.pk)),
            AuditEvent(action="test.bulk", object_type="demo.bulk", object_id="1"),
        ]
    )
    assert rows[0].prev_digest == existing.digest
    assert rows[1].prev_digest == rows[0].digest
    assert rows[2].prev_digest == "" and len(rows[2].digest) == 64
    assert verify().breaks == []
