"""Prepared statements (core/prepared.py, ADR 0137): compiled once per connection and key,
they answer exactly what the queryset answers, and a build whose value does not reach the
SQL as one parameter is refused when it is prepared, not run wrong."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models import F, OuterRef, QuerySet, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from tongban.cases.actions.transitions import _lock_queryset
from tongban.cases.models import Case, CaseEvent
from tongban.cases.selectors import CaseScope, case_scope, readable_cases
from tongban.cases.tests.conftest import company_submission
from tongban.core.prepared import Prepared, PrepareError, kept_cursor

pytestmark = pytest.mark.django_db


def _numbers(world: Any, api: Any, count: int) -> list[str]:
    clerk = api("421102-clerk")
    numbers = []
    for _ in range(count):
        response = clerk.post("/cases", company_submission(world))
        assert response.status_code == 201, response.content.decode()
        numbers.append(response.json()["number"])
    return numbers


def _joined(key: str, number: str) -> QuerySet[Case]:
    return (
        Case.objects.filter(number=number)
        .select_related("applicant", "handling_jurisdiction")
        .annotate(
            tag=Value(key),
            label=Concat(F("number"), Value("/"), F("status")),
            head=CaseEvent.head_subquery(OuterRef("pk"), OuterRef("event_count")),
        )
    )


def _same(prepared: Case, plain: Case) -> None:
    for field in Case._meta.concrete_fields:
        assert getattr(prepared, field.attname) == getattr(plain, field.attname), field.name
    for field in type(plain.applicant)._meta.concrete_fields:
        assert getattr(prepared.applicant, field.attname) == getattr(
            plain.applicant, field.attname
        ), field.name
    assert len(prepared.applicant.agent_id_number) == 18  # decrypted, as the ORM does
    assert prepared.handling_jurisdiction.code == plain.handling_jurisdiction.code
    for attr in ("tag", "label", "head"):
        assert getattr(prepared, attr) == getattr(plain, attr), attr
    # nothing read again: the relations came with the row
    assert prepared._state.fields_cache.keys() >= {"applicant", "handling_jurisdiction"}


def test_it_answers_what_the_queryset_answers(world, api):
    statement = Prepared("test_joined", _joined)
    for number in _numbers(world, api, 3):
        (row,) = statement.fetch("k", number=number)
        (plain,) = list(_joined("k", number))
        _same(row, plain)
        assert row.created_at.tzinfo is not None  # the database converters ran
    assert statement.fetch("k", number="no-such-case") == []


def test_it_builds_and_compiles_once_per_key_and_connection(world, api):
    built: list[str] = []

    def build(key: str, number: str) -> QuerySet[Case]:
        built.append(key)
        return _joined(key, number)

    statement = Prepared("test_counted", build, size=2)
    first, second = _numbers(world, api, 2)
    assert getattr(statement.fetch("a", number=first)[0], "tag") == "a"  # noqa: B009
    assert statement.fetch("a", number=second)[0].number == second
    assert getattr(statement.fetch("b", number=first)[0], "tag") == "b"  # noqa: B009
    assert built == ["a", "b"]
    statement.fetch("c", number=first)  # the third key pushes out the least recent, "a"
    statement.fetch("b", number=first)
    statement.fetch("a", number=first)
    assert built == ["a", "b", "c", "a"]


def test_a_value_that_does_not_reach_the_sql_as_one_parameter_is_refused(world):
    transformed = Prepared("test_transformed", lambda key, number: Case.objects.filter(
        number__startswith=number))  # fmt: skip
    with pytest.raises(PrepareError, match="transformed"):
        transformed.fetch("k", number="WH")
    unused = Prepared("test_unused", lambda key, number: Case.objects.all())
    with pytest.raises(PrepareError, match="not a parameter"):
        unused.fetch("k", number="WH")
    folded = Prepared("test_folded", lambda key, number: Case.objects.extra(
        where=[f"number = '{number}'"]))  # fmt: skip
    with pytest.raises(PrepareError, match="folded"):
        folded.fetch("k", number="WH")


USERS = ["421102-clerk", "420100Z01-officer", "420703400-clerk", "421102-supervisor",
         "applicant-1", "enterprise-1"]  # fmt: skip


def test_the_lock_statement_finds_what_the_scope_reads_for_every_user(world, api):
    """One compiled lock statement per shape of scope serves every user of that shape, each
    with their own ids: it answers, user after user, what `readable_cases` answers."""
    numbers = _numbers(world, api, 2)
    other = api("420703400-clerk")  # a case received at 葛店, not at 黄州
    response = other.post("/cases", company_submission(world, receiving="420703400"))
    assert response.status_code == 201, response.content.decode()
    numbers.append(response.json()["number"])
    built: list[Any] = []

    def build(shape: Any, number: str, **scope: Any) -> QuerySet[Case]:
        built.append(shape)
        return _lock_queryset(shape, number, **scope)

    statement = Prepared("test_lock", build)
    seen_any = False
    for username in USERS:
        user = world.user(username)
        scope = case_scope(user)
        readable = set(
            readable_cases(user).filter(number__in=numbers).values_list("number", flat=True)
        )
        seen_any |= bool(readable)
        with transaction.atomic():
            found = {
                n
                for n in numbers
                if any(c.number == n for c in statement.fetch(scope.shape(), number=n,
                                                                **scope.values()))
            }  # fmt: skip
        assert found == readable, username
        assert CaseScope.of_shape(scope.shape(), scope.values()) == scope
    assert seen_any
    # the clerks of 黄州 and 葛店 (one jurisdiction each) share one compiled statement
    assert len(built) == len(set(built)) < len(USERS)


def test_the_cache_is_the_connections_own(world, api):
    (number,) = _numbers(world, api, 1)
    statement = Prepared("test_own", _joined)
    statement.fetch("k", number=number)
    assert ("k", (("number", "str"),)) in vars(connections["default"])["_tongban_prepared_test_own"]


def test_the_statements_share_the_connections_kept_cursor(world, api):
    """ADR 0150: one DB-API cursor per connection, wrapped anew each time, so the query
    log still sees every statement; a new connection gets a new one."""
    (number,) = _numbers(world, api, 1)
    statement = Prepared("test_kept", _joined)
    connection = connections["default"]
    first, second = kept_cursor(connection), kept_cursor(connection)
    assert first is not second and first.cursor is second.cursor
    with CaptureQueriesContext(connection) as logged:
        assert statement.fetch("k", number=number)[0].number == number
        assert statement.fetch("k", number=number)[0].number == number
    assert len(logged) == 2 and all("cases_case" in q["sql"] for q in logged)
    assert kept_cursor(connection).cursor is first.cursor


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_a_new_kept_cursor(world, api):
    (number,) = _numbers(world, api, 1)
    statement = Prepared("test_kept_reconnect", _joined)
    connection = connections["default"]
    before = kept_cursor(connection).cursor
    connection.close()
    assert statement.fetch("k", number=number)[0].number == number
    after = kept_cursor(connection).cursor
    assert after is not before and not getattr(after, "closed", False)


def test_integer_values_and_values_list_rows(world, api):
    numbers = _numbers(world, api, 2)
    cases = {c.number: c.pk for c in Case.objects.filter(number__in=numbers)}
    statement = Prepared(
        "test_values",
        lambda key, case_id, action: (
            CaseEvent.objects.filter(case_id=case_id, action=action)
            .values_list("seq", "action", "at")
            .order_by("seq")
        ),
    )
    for pk in cases.values():
        rows = statement.fetch(None, case_id=pk, action="submit")
        plain = list(
            CaseEvent.objects.filter(case_id=pk, action="submit")
            .values_list("seq", "action", "at")
            .order_by("seq")
        )
        assert rows == plain and len(rows) == 1 and rows[0][2].tzinfo is not None
    assert statement.fetch(None, case_id=-1, action="submit") == []


def test_a_value_of_another_type_is_refused_before_anything_runs(world):
    import decimal

    statement = Prepared("test_decimal", lambda key, n: Case.objects.filter(promised_days=n))
    with pytest.raises(PrepareError, match="only str, int, date and datetime"):
        statement.fetch(None, n=decimal.Decimal("1.5"))


def test_a_date_reaches_the_sql_unchanged_on_postgresql_only(world, api, is_postgres):
    import datetime as dt

    (number,) = _numbers(world, api, 1)
    case = Case.objects.get(number=number)
    statement = Prepared(
        "test_date", lambda key, day: Case.objects.filter(received_at__date__lte=day)
    )
    if not is_postgres:  # SQLite: the field makes a string of it, refused when prepared
        with pytest.raises(PrepareError, match="not a parameter"):
            statement.fetch(None, day=dt.date(2099, 1, 1))
        return
    assert case in statement.fetch(None, day=dt.date(2099, 1, 1))
    assert statement.fetch(None, day=dt.date(2000, 1, 1)) == []


def test_prepared_saves_write_what_django_writes(world, api):
    """The INSERT and UPDATE kept per shape write the same row as Django's own path, the
    second time as the first; an expression value takes Django's path."""
    from django.db import DatabaseError
    from django.db.models import F

    from tongban.notifications.models import OutboxMessage

    first, second = _numbers(world, api, 2)
    vars(connections["default"]).pop("_tongban_prepared_writes", None)  # this test's shapes
    for number in (first, second):  # the first save of a shape compiles, the second reuses
        case = Case.objects.get(number=number)
        message = OutboxMessage.objects.create(
            case=case, applicant_id=case.applicant_id, template="received",
            context={"case_number": number, "名称": "营业执照"}, next_attempt_at=case.created_at,
        )  # fmt: skip
        stored = OutboxMessage.objects.get(pk=message.pk)
        assert stored.context == {"case_number": number, "名称": "营业执照"}
        assert stored.case_id == case.pk and stored.next_attempt_at == case.created_at
        case.refusal_reason = f"理由 {number}"
        case.delivery_address = "湖北省武汉市洪山区珞喻路1号"  # encrypted
        case.save(update_fields=["refusal_reason", "delivery_address", "updated_at"])
        stored_case = Case.objects.get(pk=case.pk)
        assert stored_case.refusal_reason == f"理由 {number}"
        assert stored_case.delivery_address == "湖北省武汉市洪山区珞喻路1号"
        assert stored_case.updated_at == case.updated_at
    writes = vars(connections["default"])["_tongban_prepared_writes"]
    assert all(write.usable for write in writes.values()), [
        shape[:2] for shape, write in writes.items() if not write.usable
    ]
    # a None is a bound NULL (`col = %s`), never `col = NULL` in the text: the statement
    # compiled from a save with a None is kept and takes a value the next time (ADR 0141)
    case = Case.objects.get(number=first)
    case.refusal_reason, case.decided_at = "x", None
    case.save(update_fields=["refusal_reason", "decided_at"])
    kept = [w for key, w in writes.items() if set(key[2]) == {"refusal_reason", "decided_at"}]
    assert len(kept) == 1 and kept[0].usable and "NULL" not in kept[0].sql
    assert Case.objects.get(number=first).decided_at is None
    case.decided_at = case.created_at
    case.save(update_fields=["refusal_reason", "decided_at"])
    assert Case.objects.get(number=first).decided_at == case.created_at
    case.decided_at = None
    case.save(update_fields=["refusal_reason", "decided_at"])
    assert Case.objects.get(number=first).decided_at is None
    # an expression is Django's to compile
    case = Case.objects.get(number=first)
    case.event_count = F("event_count") + 0
    case.save(update_fields=["event_count"])
    case.refresh_from_db()
    assert case.event_count == Case.objects.get(number=first).event_count
    # a row that is gone: no row matched, as Django reports it
    ghost = Case.objects.get(number=second)
    Case.objects.filter(pk=ghost.pk).update(refusal_reason="x")
    ghost.pk = -1
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        ghost.save(update_fields=["refusal_reason"])


def _shipment(case: Case, **fields: Any) -> Any:
    from django.utils import timezone

    from tongban.cases.models import Shipment

    return Shipment.objects.create(
        case=case, purpose=Shipment.Purpose.RESULT, destination=Shipment.Destination.APPLICANT,
        carrier="EMS", waybill_number="EMS-1", address="湖北省武汉市洪山区珞喻路1号",
        shipped_at=timezone.now(), **fields,
    )  # fmt: skip


def _sign(key: Any, case_id: int, signed_at: Any, note: str) -> Any:
    from tongban.cases.models import Shipment

    return (
        Shipment.objects.filter(case_id=case_id, state=Shipment.State.IN_TRANSIT),
        {"state": Shipment.State.SIGNED, "signed_at": signed_at, "note": note},
    )


def test_a_prepared_update_writes_what_the_queryset_update_writes(world, api):
    """Compiled once, it sets the same columns of the same rows as `update()`, on both
    databases: the datetime set on a column is prepared by its field every time (text on
    SQLite), the values compared are bound as given."""
    import datetime as dt

    from tongban.cases.models import Shipment
    from tongban.core.prepared import PreparedUpdate

    built: list[Any] = []

    def build(key: Any, **values: Any) -> Any:
        built.append(key)
        return _sign(key, **values)

    statement = PreparedUpdate("test_sign", build)
    first, second = (Case.objects.get(number=n) for n in _numbers(world, api, 2))
    shipments = [_shipment(first), _shipment(first), _shipment(second)]
    signed_at = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    assert statement.run(None, case_id=first.pk, signed_at=signed_at, note="门卫代收") == 2
    assert statement.run(None, case_id=first.pk, signed_at=signed_at, note="again") == 0
    later = signed_at + dt.timedelta(days=1)
    assert statement.run(None, case_id=second.pk, signed_at=later, note="本人") == 1
    assert built == [None]
    stored = [Shipment.objects.get(pk=s.pk) for s in shipments]
    assert [(s.state, s.signed_at, s.note) for s in stored] == [
        ("signed", signed_at, "门卫代收"), ("signed", signed_at, "门卫代收"),
        ("signed", later, "本人"),
    ]  # fmt: skip


def test_a_prepared_update_refuses_what_it_cannot_keep(world):
    import datetime as dt

    from tongban.cases.models import Shipment
    from tongban.core.prepared import PreparedUpdate

    both = PreparedUpdate("test_both", lambda key, note: (
        Shipment.objects.filter(note=note), {"note": note}))  # fmt: skip
    with pytest.raises(PrepareError, match="set once, as one parameter, and not compared"):
        both.run(None, note="x")
    unused = PreparedUpdate("test_unused_update", lambda key, case_id: (
        Shipment.objects.all(), {"note": "x"}))  # fmt: skip
    with pytest.raises(PrepareError, match="not a parameter"):
        unused.run(None, case_id=1)
    transformed = PreparedUpdate("test_transformed_update", lambda key, waybill: (
        Shipment.objects.filter(waybill_number__startswith=waybill), {"note": "x"}))  # fmt: skip
    with pytest.raises(PrepareError, match="transformed"):
        transformed.run(None, waybill="EMS")
    sliced = PreparedUpdate("test_sliced_update", lambda key, case_id: (
        Shipment.objects.filter(case_id=case_id)[:1], {"note": "x"}))  # fmt: skip
    with pytest.raises(PrepareError, match="sliced"):
        sliced.run(None, case_id=1)
    # a date compared (not set) is a parameter on PostgreSQL only, as with Prepared
    shipped = PreparedUpdate("test_shipped_update", lambda key, day: (
        Shipment.objects.filter(shipped_at__date=day), {"note": "x"}))  # fmt: skip
    if connections["default"].vendor != "postgresql":
        with pytest.raises(PrepareError, match="not a parameter"):
            shipped.run(None, day=dt.date(2026, 1, 1))


def test_shipments_are_saved_through_kept_statements(world, api):
    """Shipment's INSERT and UPDATE are kept (PreparedSaves) and write what Django writes,
    the encrypted address included."""
    from tongban.cases.models import Shipment

    vars(connections["default"]).pop("_tongban_prepared_writes", None)
    for number in _numbers(world, api, 2):
        shipment = _shipment(Case.objects.get(number=number))
        shipment.note = f"签收 {number}"
        shipment.save(update_fields=["note"])
        stored = Shipment.objects.get(pk=shipment.pk)
        assert stored.address == "湖北省武汉市洪山区珞喻路1号" and stored.note == shipment.note
        assert stored.shipped_at == shipment.shipped_at
    writes = vars(connections["default"])["_tongban_prepared_writes"]
    kept = {key[0]: write for key, write in writes.items() if key[1] is Shipment}
    assert set(kept) == {"insert", "update"} and all(w.usable for w in kept.values())


def _count_decryptions(monkeypatch: Any) -> list[str]:
    """The field contexts of every decryption from now on, in order."""
    from tongban.core import crypto

    decrypted: list[str] = []
    real = crypto.decrypt

    def counted(value: str, context: str) -> str:
        decrypted.append(context)
        return real(value, context)

    monkeypatch.setattr(crypto, "decrypt", counted)
    return decrypted


def test_encrypted_values_of_a_model_row_are_decrypted_when_first_read(world, api, monkeypatch):
    """ADR 0146: a prepared model row holds its encrypted values sealed; the attribute
    decrypts on first read and keeps the clear value; nothing else sees a difference."""
    import copy
    import pickle

    from tongban.core.fields import Sealed

    (number,) = _numbers(world, api, 1)
    (plain,) = list(_joined("k", number))
    decrypted = _count_decryptions(monkeypatch)
    (row,) = Prepared("test_sealed", _joined).fetch("k", number=number)
    assert decrypted == []  # the row came without a decryption
    sealed = vars(row.applicant)["phone"]
    assert type(sealed) is Sealed and plain.applicant.phone not in repr(sealed)
    assert sealed.raw not in repr(sealed)
    assert row.applicant.phone == plain.applicant.phone
    assert decrypted == ["accounts.applicant.phone"]
    assert row.applicant.phone == plain.applicant.phone
    assert vars(row.applicant)["phone"] == plain.applicant.phone  # kept in clear
    assert decrypted == ["accounts.applicant.phone"]  # once
    # a copy, a pickle and a refresh see the clear values
    clone = pickle.loads(pickle.dumps(row))
    assert copy.deepcopy(row).form_data == clone.form_data == plain.form_data
    row.refresh_from_db()
    assert row.form_data == plain.form_data
    _same(Prepared("test_sealed", _joined).fetch("k", number=number)[0], plain)


def test_a_move_neither_decrypts_nor_writes_an_encrypted_column_it_did_not_change(
    world, api, monkeypatch
):
    """The changed-column UPDATE of a move (`_row_state`/`_save_changes`): a sealed value
    is never read and not written; a JSON value changed in place after its first read is
    written (the comparison decrypts the loaded one anew)."""
    from tongban.cases.actions import common

    (number,) = _numbers(world, api, 1)
    (case,) = Prepared("test_sealed_move", _joined).fetch("k", number=number)
    decrypted = _count_decryptions(monkeypatch)
    saved: list[list[str]] = []
    monkeypatch.setattr(
        Case, "save", lambda self, update_fields=None, **k: saved.append(list(update_fields))
    )
    before = common._row_state(case)
    case.status = "checked"
    common._save_changes(case, before)
    assert saved == [["status", "updated_at"]] and decrypted == []

    before = common._row_state(case)
    case.form_data["note"] = "changed in place"
    common._save_changes(case, before)
    assert saved[-1] == ["form_data", "updated_at"]
