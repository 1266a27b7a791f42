"""Saves sent together (`prepared.saves_together`, ADR 0141): the prepared saves of the
named models wait, and reach the database before the next other statement or at the end
of the block; on PostgreSQL as one statement. Nothing else about them changes: the same
rows, in the same order relative to every other statement, savepoints included."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission
from tongban.core import prepared
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LABELS = ("cases.Case", "notifications.OutboxMessage")


def _case(world: Any, api: Any) -> Case:
    response = api("421102-clerk").post("/cases", company_submission(world))
    assert response.status_code == 201, response.content.decode()
    return Case.objects.get(number=response.json()["number"])


def _message(case: Case, template: str) -> OutboxMessage:
    return OutboxMessage(
        case=case,
        applicant_id=case.applicant_id,
        template=template,
        context={"case_number": case.number},
        next_attempt_at=case.created_at,
    )


def _warm(case: Case) -> None:
    """The first save of a shape runs Django's own path (and is checked against it):
    only a kept statement waits."""
    with transaction.atomic():
        _message(case, "warm").save()
        case.save(update_fields=["refusal_reason", "updated_at"])


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK"))
    ]


def test_the_saves_arrive_together_at_the_end_of_the_block(world, api):
    case = _case(world, api)
    _warm(case)
    first, second = _message(case, "first"), _message(case, "second")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with prepared.saves_together(*LABELS):
            first.save()
            case.refusal_reason = "材料不全"
            case.save(update_fields=["refusal_reason", "updated_at"])
            second.save()
            # nothing sent yet: no key for the new rows
            assert first.pk is None and second.pk is None
            assert _writes(queries) == []
        assert first.pk is not None and second.pk is not None and first.pk != second.pk
    sent = _writes(queries)
    if connection.vendor == "postgresql":
        assert len(sent) == 1 and sent[0].startswith("WITH "), sent
    else:
        assert len(sent) == 3, sent
    stored = {m.pk: m.template for m in OutboxMessage.objects.filter(case=case)}
    assert stored[first.pk] == "first" and stored[second.pk] == "second"
    assert Case.objects.get(pk=case.pk).refusal_reason == "材料不全"


def test_any_other_statement_finds_them_written(world, api):
    case = _case(world, api)
    _warm(case)
    with transaction.atomic(), prepared.saves_together(*LABELS):
        message = _message(case, "read-after")
        message.save()
        case.refusal_reason = "先写后读"
        case.save(update_fields=["refusal_reason", "updated_at"])
        # a read is a statement like any other: the waiting rows go first
        assert OutboxMessage.objects.filter(case=case, template="read-after").exists()
        assert message.pk is not None
        assert Case.objects.get(pk=case.pk).refusal_reason == "先写后读"


def test_a_savepoint_rolled_back_takes_its_saves_with_it(world, api):
    case = _case(world, api)
    _warm(case)
    with transaction.atomic(), prepared.saves_together(*LABELS):
        _message(case, "kept").save()
        try:
            with transaction.atomic():  # SAVEPOINT: the message before goes first
                _message(case, "undone").save()
                raise RuntimeError("the inner step fails")
        except RuntimeError:
            pass  # ROLLBACK TO SAVEPOINT: the message inside was sent before it
        _message(case, "after").save()
    templates = set(OutboxMessage.objects.filter(case=case).values_list("template", flat=True))
    assert {"kept", "after"} <= templates and "undone" not in templates


def test_an_exception_drops_what_waits_and_rolls_back(world, api):
    case = _case(world, api)
    _warm(case)
    before = OutboxMessage.objects.filter(case=case).count()
    with pytest.raises(ValueError), transaction.atomic(), prepared.saves_together(*LABELS):
        _message(case, "never").save()
        raise ValueError("the move fails after its saves")
    assert OutboxMessage.objects.filter(case=case).count() == before
    assert not OutboxMessage.objects.filter(template="never").exists()
    # caught inside the transaction, it still ends the transaction: what the block saved
    # would otherwise be silently missing from a transaction that commits
    with transaction.atomic():
        _message(case, "before-block").save()
        try:
            with prepared.saves_together(*LABELS):
                _message(case, "never-either").save()
                raise ValueError("caught below")
        except ValueError:
            pass
        assert transaction.get_rollback()
    assert not OutboxMessage.objects.filter(template__in=["before-block", "never-either"]).exists()


def test_an_update_of_no_row_fails_as_django_fails_it(world, api):
    case = _case(world, api)
    _warm(case)
    ghost = Case.objects.get(pk=case.pk)
    ghost.pk = -1
    with (
        pytest.raises(DatabaseError, match="did not affect any rows"),
        transaction.atomic(),
        prepared.saves_together(*LABELS),
    ):
        _message(case, "with-ghost").save()
        ghost.save(update_fields=["refusal_reason", "updated_at"])
    assert not OutboxMessage.objects.filter(template="with-ghost").exists()


def test_a_save_that_may_insert_does_not_wait(world, api):
    """A plain save() of an existing row INSERTs it if the row is gone: Django needs the
    UPDATE's answer at once, so only saves with `update_fields` (or `force_update`) wait."""
    case = _case(world, api)
    _warm(case)
    case.save()  # warms the statement of a whole-row save too
    writes = vars(connections["default"])["_tongban_prepared_writes"]
    whole = [w for key, w in writes.items() if key[:2] == ("update", Case) and len(key[2]) > 40]
    assert whole and all(w.usable for w in whole)  # kept: it could have waited
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        prepared.saves_together(*LABELS),
    ):
        case.refusal_reason = "整行保存"
        case.save()
        assert [s for s in _writes(queries) if 'UPDATE "cases_case"' in s]
    assert Case.objects.get(pk=case.pk).refusal_reason == "整行保存"


def test_only_the_models_named_wait(world, api):
    case = _case(world, api)
    _warm(case)
    with transaction.atomic(), prepared.saves_together("cases.Case"):
        message = _message(case, "not-named")
        message.save()
        assert message.pk is not None  # sent at once
        case.refusal_reason = "等一等"
        case.save(update_fields=["refusal_reason", "updated_at"])
        with prepared.saves_together(*LABELS):  # nested: changes nothing
            inner = _message(case, "nested")
            inner.save()
            assert inner.pk is not None
    assert Case.objects.get(pk=case.pk).refusal_reason == "等一等"


def test_a_move_sends_its_event_update_and_notification_in_one_statement(world, api):
    """The action path uses it: `check` writes its event, the case row and the
    applicant's notification as one statement on PostgreSQL, and the rows are there."""
    clerk = api("421102-clerk")
    for _ in range(2):  # the second walk runs the kept statements
        case = _case(world, api)
        with CaptureQueriesContext(connection) as queries:
            answer = clerk.act(case.number, "check")
        assert answer.status_code == 200, answer.content.decode()
    together = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH ")]
    if connection.vendor == "postgresql":
        assert len(together) == 1
        assert all(
            table in together[0]
            for table in ('"cases_caseevent"', '"cases_case"', '"notifications_outboxmessage"')
        )
    else:
        assert together == []
    case.refresh_from_db()
    assert case.status == "checked" and case.event_count == 2
    assert case.events.order_by("-seq").values_list("action", flat=True)[0] == "check"
    assert OutboxMessage.objects.filter(case=case, template="checked").exists()
