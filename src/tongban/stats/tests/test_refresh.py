"""The count tables equal a direct recount over the source tables, however the history was
produced and whenever the refresh ran; the incremental refresh equals a full rebuild."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.assistance.actions import AssistanceInput, record_assistance
from tongban.assistance.models import AssistanceRecord
from tongban.cases.models import Case, CaseEvent
from tongban.consultations import actions as consultation_actions
from tongban.consultations.models import Consultation
from tongban.ratings import actions as rating_actions
from tongban.ratings.models import Rating
from tongban.stats import refresh
from tongban.stats.models import (
    ASSISTANCE_DIMENSIONS,
    ASSISTANCE_MEASURES,
    CASE_DIMENSIONS,
    CASE_MEASURES,
    CONSULTATION_DIMENSIONS,
    CONSULTATION_MEASURES,
    FLOW_DIMENSIONS,
    ITEM_DIMENSIONS,
    LEG_ITEM_DIMENSIONS,
    MONTH_DIMENSIONS,
    RATING_DIMENSIONS,
    AssistanceCount,
    CaseCount,
    CaseFact,
    CaseFlowCount,
    CaseItemCount,
    CaseLegItemCount,
    CaseMonthCount,
    ConsultationCount,
    Cursor,
    RatingCount,
)
from tongban.stats.tests.helpers import (
    ZONE,
    advance,
    completed_case,
    local,
    make_case,
    path_of,
    walk,
)

JURISDICTIONS = ("420100Z01", "420703400", "421102", "420205")


def _table(model: Any, dimensions: tuple[str, ...], measures: tuple[str, ...]) -> dict:
    rows = model.objects.values(*dimensions, *measures)
    return {
        tuple(r[d] for d in dimensions): tuple(r[m] for m in measures)
        for r in rows
        if any(r[m] for m in measures)
    }


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> tuple[int, int]:
    if a is None or b is None:
        return (0, 0)
    return (1, max(0, int((b - a).total_seconds())))


def recount_cases() -> dict:
    """Straight from Case rows (their own date columns) and a look at their events."""
    first: dict[tuple[int, str], dt.datetime] = {}
    for case_id, action, to_status, at in CaseEvent.objects.values_list(
        "case_id", "action", "to_status", "at"
    ):
        for marker in ((case_id, action), (case_id, f"to:{to_status}")):
            if marker not in first or at < first[marker]:
                first[marker] = at
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(CASE_MEASURES))
    for c in Case.objects.filter(parent__isnull=True).select_related("item"):
        key = (
            c.received_at.astimezone(ZONE).date().replace(day=1),
            c.receiving_jurisdiction_id or 0,
            c.handling_jurisdiction_id,
            c.item_id,
            c.agreement_id or 0,
            c.item.department_kind,
            c.mode,
            c.channel,
            c.status,
            c.item.high_frequency,
        )
        transferred = first.get((c.pk, "transfer"))
        delivered = first.get((c.pk, "to:delivered"))
        decided = c.decided_at is not None
        on_time = bool(
            decided
            and c.due_date is not None
            and c.decided_at is not None
            and c.decided_at.astimezone(ZONE).date() <= c.due_date
        )
        values = [1, int(decided), int(on_time), int(c.status == "completed")]
        values += _seconds(c.received_at, transferred)
        values += _seconds(c.received_at if c.mode == "online" else transferred, c.accepted_at)
        values += _seconds(c.accepted_at, c.decided_at)
        values += _seconds(c.decided_at, delivered or c.completed_at)
        values += _seconds(c.received_at, c.completed_at)
        row = totals[key]
        for i, v in enumerate(values):
            row[i] += v
    return {k: tuple(v) for k, v in totals.items()}


def recount_consultations() -> dict:
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for c in Consultation.objects.select_related("item"):
        key = (
            c.asked_at.astimezone(ZONE).date().replace(day=1),
            c.jurisdiction_id,
            c.forwarded_to_id or 0,
            c.item_id or 0,
            bool(c.item and c.item.high_frequency),
            c.channel,
            c.status,
        )
        answered = c.answered_at is not None
        row = totals[key]
        row[0] += 1
        row[1] += int(c.forwarded_to_id is not None)
        row[2] += int(answered)
        if c.answered_at is not None:
            row[3] += int((c.answered_at - c.asked_at).total_seconds())
    return {k: tuple(v) for k, v in totals.items()}


def recount_ratings() -> dict:
    totals: Counter[tuple] = Counter()
    for r in Rating.objects.select_related("case", "consultation"):
        task = getattr(r, "rectification", None)
        if r.case is not None:
            legs = (r.case.receiving_jurisdiction_id or 0, r.case.handling_jurisdiction_id)
            item, agreement = r.case.item_id, r.case.agreement_id or 0
        else:  # a consultation's legs: owner (首问) and forwarded-to
            assert r.consultation is not None
            legs = (r.consultation.jurisdiction_id, r.consultation.forwarded_to_id or 0)
            item, agreement = r.consultation.item_id or 0, 0
        totals[
            (
                r.rated_at.astimezone(ZONE).date().replace(day=1),
                *legs,
                r.target_jurisdiction_id,
                item,
                agreement,
                r.channel_kind,
                r.level,
                r.status,
                task.status if task else "",
            )
        ] += 1
    return {k: (v,) for k, v in totals.items()}


def recount_assistance() -> dict:
    totals: dict[tuple, list[int]] = {}
    for r in AssistanceRecord.objects.select_related("case"):
        key = (
            r.recorded_at.astimezone(ZONE).date().replace(day=1),
            r.jurisdiction_id,
            r.case.handling_jurisdiction_id,
            r.case.item_id,
            r.role,
            r.consent_method,
        )
        row = totals.setdefault(key, [0] * len(ASSISTANCE_MEASURES))
        row[0] += 1
        for i, step in enumerate(ASSISTANCE_MEASURES[1:], start=1):
            row[i] += int(step in r.steps)
    return {k: tuple(v) for k, v in totals.items()}


def _rollup(counts: dict, onto: tuple[str, ...]) -> dict:
    index = [CASE_DIMENSIONS.index(d) for d in onto]
    out: dict = {}
    for key, values in counts.items():
        short = tuple(key[i] for i in index)
        before = out.get(short, (0,) * len(values))
        out[short] = tuple(a + b for a, b in zip(before, values, strict=True))
    return {k: v for k, v in out.items() if any(v)}


def _by_leg(counts: dict) -> dict:
    """CaseLegItemCount's definition: a key once per place of the case (`both` when the
    receiving and the handling place are the same; an online case has no receiving)."""
    out: dict = {}
    for key, values in counts.items():
        month, receiving, handling, item, _agreement, department, mode, channel, status, hf = key
        if receiving == handling:
            places = [(handling, "both")]
        else:
            places = [(handling, "handling")] + ([(receiving, "receiving")] if receiving else [])
        for place, leg in places:
            short = (month, place, leg, item, department, mode, channel, status, hf)
            before = out.get(short, (0,) * len(values))
            out[short] = tuple(a + b for a, b in zip(before, values, strict=True))
    return {k: v for k, v in out.items() if any(v)}


def assert_counts_match() -> None:
    cases = recount_cases()
    assert _table(CaseCount, CASE_DIMENSIONS, CASE_MEASURES) == cases
    # the roll-ups are CaseCount summed over the dimensions they leave out
    assert _table(CaseFlowCount, FLOW_DIMENSIONS, CASE_MEASURES) == _rollup(cases, FLOW_DIMENSIONS)
    assert _table(CaseItemCount, ITEM_DIMENSIONS, CASE_MEASURES) == _rollup(cases, ITEM_DIMENSIONS)
    assert _table(CaseLegItemCount, LEG_ITEM_DIMENSIONS, CASE_MEASURES) == _by_leg(cases)
    assert _table(CaseMonthCount, MONTH_DIMENSIONS, CASE_MEASURES) == _rollup(
        cases, MONTH_DIMENSIONS
    )
    assert _table(ConsultationCount, CONSULTATION_DIMENSIONS, CONSULTATION_MEASURES) == (
        recount_consultations()
    )
    assert _table(RatingCount, RATING_DIMENSIONS, ("ratings",)) == recount_ratings()
    assert _table(AssistanceCount, ASSISTANCE_DIMENSIONS, ASSISTANCE_MEASURES) == (
        recount_assistance()
    )


def snapshot() -> tuple[dict, ...]:
    return (
        _table(CaseCount, CASE_DIMENSIONS, CASE_MEASURES),
        _table(CaseFlowCount, FLOW_DIMENSIONS, CASE_MEASURES),
        _table(CaseItemCount, ITEM_DIMENSIONS, CASE_MEASURES),
        _table(CaseLegItemCount, LEG_ITEM_DIMENSIONS, CASE_MEASURES),
        _table(CaseMonthCount, MONTH_DIMENSIONS, CASE_MEASURES),
        _table(ConsultationCount, CONSULTATION_DIMENSIONS, CONSULTATION_MEASURES),
        _table(RatingCount, RATING_DIMENSIONS, ("ratings",)),
        _table(AssistanceCount, ASSISTANCE_DIMENSIONS, ASSISTANCE_MEASURES),
    )


# -- property: random histories, refreshes at random moments --------------------------

case_spec = st.fixed_dictionaries(
    {
        "receiving": st.sampled_from((None, *JURISDICTIONS)),
        "handling": st.sampled_from(JURISDICTIONS),
        "item": st.sampled_from(("company", "marriage")),
        "channel": st.sampled_from(("window", "terminal")),
        "day": st.integers(0, 80),
        "hour": st.integers(0, 23),
        "agreement": st.booleans(),
    }
)
operation = st.one_of(
    st.tuples(st.just("new"), case_spec),
    st.tuples(st.just("advance"), st.integers(0, 30), st.integers(1, 10), st.integers(1, 200)),
    st.tuples(st.just("branch"), st.integers(0, 30), st.sampled_from(("withdraw", "refuse"))),
    st.tuples(st.just("refresh"), st.integers(1, 7)),
    st.tuples(
        st.just("assist"),
        st.integers(0, 30),
        st.sampled_from(("help", "act")),
        st.sets(st.sampled_from(("fill_form", "scan", "submit", "follow_up")), min_size=1),
    ),
)


def _new_case(world: Any, spec: dict) -> Case | None:
    handling = spec["handling"]
    receiving = spec["receiving"]
    if receiving == handling:
        receiving = None
    if spec["item"] == "marriage" and receiving is None:
        return None  # marriage registration is not offered online
    start = dt.datetime(2024, 1, 30, tzinfo=ZONE) + dt.timedelta(
        days=spec["day"], hours=spec["hour"]
    )
    return make_case(
        world,
        item=spec["item"],
        receiving=receiving,
        handling=handling,
        channel=(spec["channel"] if receiving else "app"),
        received_at=start,
        agreement=spec["agreement"],
    )


def _branch(case: Case, action: str) -> None:
    at = case.events.order_by("-seq").values_list("at", flat=True)[0] + dt.timedelta(hours=3)
    if action == "refuse" and case.status == "pending_acceptance":
        advance(case, "refuse", at)
    elif action == "withdraw" and case.status in ("received", "checked", "pending_acceptance"):
        advance(case, "withdraw", at)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_counts_equal_a_recount_and_incremental_equals_rebuild(world, ops):
    with transaction.atomic():
        cases: list[Case] = []
        for op in ops:
            if op[0] == "new":
                case = _new_case(world, op[1])
                if case is not None:
                    cases.append(case)
            elif op[0] == "advance" and cases:
                case = cases[op[1] % len(cases)]
                if len(path_of(case)) >= case.event_count and case.status not in (
                    "withdrawn",
                    "refused",
                ):
                    walk(case, steps=op[2], every=dt.timedelta(hours=op[3]))
            elif op[0] == "branch" and cases:
                _branch(cases[op[1] % len(cases)], op[2])
            elif op[0] == "assist" and cases:
                case = cases[op[1] % len(cases)]
                place = case.receiving_jurisdiction or case.handling_jurisdiction
                record_assistance(
                    world.user(f"{place.code}-clerk"),
                    case.number,
                    AssistanceInput(role=op[2], steps=sorted(op[3]), consent_method="portal"),
                )
            elif op[0] == "refresh":
                refresh.refresh(batch=op[1])
                assert_counts_match()
        refresh.refresh(batch=3)
        assert_counts_match()
        incremental = snapshot()
        refresh.rebuild(batch=5)
        assert snapshot() == incremental
        transaction.set_rollback(True)


# -- deterministic checks ---------------------------------------------------------------


def test_status_moves_between_buckets_and_legs_are_measured(world):
    case = make_case(world, received_at=local(2024, 3, 4, 9))
    refresh.refresh()
    assert CaseCount.objects.get().status == "received"
    walk(case, every=dt.timedelta(hours=2))
    refresh.refresh()
    row = CaseCount.objects.get()  # the "received" bucket is gone, not left at zero
    assert (row.status, row.cases, row.completed, row.decided, row.on_time) == (
        "completed",
        1,
        1,
        1,
        1,
    )
    assert (row.receipt_n, row.receipt_s) == (1, 4 * 3600)  # check + transfer, 2h each
    assert (row.transfer_n, row.transfer_s) == (1, 2 * 2 * 3600)  # receive_transfer + accept
    assert (row.review_n, row.review_s) == (1, 2 * 3600)
    assert (row.delivery_n, row.delivery_s) == (1, 3 * 2 * 3600)  # issue, ship, sign_for
    assert row.total_s == 9 * 2 * 3600
    fact = CaseFact.objects.get()
    assert fact.last_seq == 10 and fact.status == "completed"


def test_a_refresh_that_dies_half_way_leaves_the_counts_as_they_were(world, monkeypatch):
    """The batch dies after CaseCount and its first roll-ups moved, before the last count
    table: its transaction takes everything back (facts, counts, watermark), and the next
    run folds the same events in as if nothing had happened."""
    case = make_case(world, received_at=local(2024, 3, 4, 9))
    refresh.refresh()
    before, watermark = snapshot(), Cursor.objects.get(name="case_events").last_id
    facts = list(CaseFact.objects.values_list("case_id", "status", "last_seq"))
    walk(case, every=dt.timedelta(hours=2))
    make_case(world, receiving="420703400", handling="420205", received_at=local(2024, 3, 6))
    # the last count table each path writes: the SQL fold's and the Python fold's
    name = "_apply_contributions" if connection.vendor == "postgresql" else "apply_deltas"
    real = getattr(refresh, name)
    written: list[Any] = []

    def dies(model: Any, *args: Any) -> Any:
        if model is CaseLegItemCount:
            raise RuntimeError("the job was killed")
        written.append(model)
        return real(model, *args)

    monkeypatch.setattr(refresh, name, dies)
    with pytest.raises(RuntimeError):
        refresh.refresh()
    assert CaseCount in written and CaseMonthCount in written  # it did die half-way
    assert snapshot() == before
    assert list(CaseFact.objects.values_list("case_id", "status", "last_seq")) == facts
    assert Cursor.objects.get(name="case_events").last_id == watermark
    monkeypatch.undo()
    refresh.refresh()
    assert_counts_match()
    assert CaseFact.objects.get(case=case).status == "completed"


def test_subcases_are_not_counted_twice(world):
    parent = make_case(world)
    part = make_case(world, receiving="420703400", handling="420205")
    Case.objects.filter(pk=part.pk).update(parent=parent)
    refresh.refresh()
    assert sum(CaseCount.objects.values_list("cases", flat=True)) == 1
    assert CaseFact.objects.get(case=part).is_part


def test_late_events_below_the_watermark_are_picked_up(world):
    """An event whose id is below the watermark because its transaction committed after a
    later one (a gap) is folded in when it appears."""
    case = make_case(world, received_at=local(2024, 3, 4, 9))
    refresh.refresh()
    other = make_case(world, received_at=local(2024, 3, 5, 9))
    in_flight = CaseEvent.objects.get(case=other).pk
    # the later transaction commits first: its event holds the next id, `in_flight` is free
    # (staged by renumbering a row, which the database refuses unless unguarded)
    from tongban.integrity.testing import unguarded

    with unguarded("cases_caseevent"):
        CaseEvent.objects.filter(pk=in_flight).update(id=in_flight + 1)
    refresh.refresh()
    cursor = Cursor.objects.get(name="case_events")
    assert cursor.last_id == in_flight + 1
    assert str(in_flight) in cursor.pending
    # now the slow transaction commits the missing id
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                id=in_flight,
                case=case,
                seq=2,
                action="check",
                from_status="received",
                to_status="checked",
                practice_code=1,
                at=local(2024, 3, 4, 11),
            )
        ]
    )
    Case.objects.filter(pk=case.pk).update(status="checked", event_count=2)
    refresh.refresh()
    assert CaseFact.objects.get(case=case).status == "checked"
    assert Cursor.objects.get(name="case_events").pending == {}
    assert_counts_match()


def test_gaps_are_remembered_and_expire(world, settings):
    make_case(world)
    refresh.refresh()
    cursor = Cursor.objects.get(name="case_events")
    ghost = cursor.last_id + 5
    # an event two ids ahead arrives while ids in between are missing
    case = make_case(world, received_at=local(2024, 4, 1))
    event = CaseEvent.objects.get(case=case)
    from tongban.integrity.testing import unguarded

    with unguarded("cases_caseevent"):
        CaseEvent.objects.filter(pk=event.pk).update(id=ghost)
    refresh.refresh()
    pending = Cursor.objects.get(name="case_events").pending
    assert set(pending) == {str(i) for i in range(cursor.last_id + 1, ghost)}
    assert Cursor.objects.get(name="case_events").last_id == ghost
    settings.TONGBAN_STATS_GAP_GRACE_SECONDS = 0
    refresh.refresh()
    assert Cursor.objects.get(name="case_events").pending == {}
    assert_counts_match()


def test_consultation_and_rating_counts_follow_changes_and_annulment(world):
    clerk = world.user("420100Z01-clerk")
    c = consultation_actions.record_consultation(
        clerk,
        jurisdiction=world.donghu.code,
        channel="hotline",
        topic="咨询",
        question="问题",
        item=world.items["marriage"].code,
    )
    refresh.refresh()
    assert_counts_match()
    consultation_actions.forward_consultation(clerk, c.pk, world.gedian.code)
    consultation_actions.answer_consultation(world.user("420703400-clerk"), c.pk, "答复")
    refresh.refresh()
    assert_counts_match()
    row = ConsultationCount.objects.get()
    assert (row.status, row.forwarded, row.answered, row.high_frequency) == (
        "answered",
        1,
        1,
        True,
    )

    case = completed_case(world)
    rating = rating_actions.submit_rating(
        world.user("applicant-1"),
        case.number,
        level=1,
        comment="差",
        indicators={"efficiency": 1, "competence": 1, "attitude": 1},
    )
    refresh.refresh()
    assert_counts_match()
    assert RatingCount.objects.get().task_status == "open"
    task = rating.rectification
    rating_actions.appeal_rectification(world.user("421102-head"), task.pk, reason="恶意")
    rating_actions.review_appeal(
        world.user("421102-supervisor"), task.pk, decision="annul", note="恶意差评"
    )
    refresh.refresh()
    assert_counts_match()
    rating_row = RatingCount.objects.get()
    assert (rating_row.status, rating_row.task_status, rating_row.ratings) == (
        "annulled",
        "annulled",
        1,
    )
    assert not RatingCount.objects.filter(status="valid").exists()


def test_refresh_command_and_rebuild_print_progress(world, capsys):
    from django.core.management import call_command

    walk(make_case(world))
    call_command("refresh_stats", "--batch", "100")
    out = capsys.readouterr().out
    assert "办件记录: 10" in out and "完成" in out
    before = snapshot()
    call_command("refresh_stats", "--rebuild")
    assert "重建" in capsys.readouterr().out
    assert snapshot() == before
    assert before[0]
