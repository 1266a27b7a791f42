"""Issue 8, part 4: 行政许可法 §32 — a supplement notice not given within 5 working days
of receipt means the case counts as accepted from the day of receipt (ADR 0093)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import TODAY, company_submission
from tongban.integrity.testing import unguarded

pytestmark = pytest.mark.django_db

# received Fri 2024-09-27 (conftest TODAY); the 5th working day after it is Thu 10-10
# (Sun 09-29 is a make-up working day, 10-01..07 are holidays)
NOTICE_DUE = dt.date(2024, 10, 10)


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))


def _submit(world, api):
    """The tests move `local_today`, not the clock: put the stored receipt time on the
    same (mocked) day."""
    number = _ok(api("421102-clerk").post("/cases", company_submission(world)), 201)["number"]
    Case.objects.filter(number=number).update(received_at=_at(TODAY))
    return number


def _pending_case(world, api):
    clerk = api("421102-clerk")
    number = _submit(world, api)
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def _on(monkeypatch, day):
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: day)


def _first_material(number):
    return Case.objects.get(number=number).materials.order_by("pk")[0].pk


def test_a_late_supplement_notice_is_refused_and_changes_nothing(world, api, monkeypatch):
    number = _pending_case(world, api)
    _on(monkeypatch, NOTICE_DUE + dt.timedelta(days=1))
    response = api("420100Z01-officer").act(
        number, "request_supplement", missing=[_first_material(number)]
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "supplement_notice_late"
    assert body["details"] == {"receipt_day": "2024-09-27", "notice_due": "2024-10-10"}
    case = Case.objects.get(number=number)
    assert case.status == "pending_acceptance" and case.supplement_due is None
    assert not case.events.filter(action="request_supplement").exists()


def test_acceptance_after_the_missed_notice_counts_from_receipt(world, api, monkeypatch):
    number = _pending_case(world, api)
    _on(monkeypatch, dt.date(2024, 10, 14))
    case = _ok(api("420100Z01-officer").act(number, "accept"))
    # 3 promised working days from the receipt on 09-27, not from 10-14
    assert case["due_date"] == "2024-10-08"
    assert case["event"]["data"]["deemed_accepted_from"] == "2024-09-27"
    assert case["overdue_level"] == "red"


def test_a_notice_on_the_fifth_working_day_is_in_time(world, api, monkeypatch):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    _on(monkeypatch, NOTICE_DUE)
    material = _first_material(number)
    _ok(officer.act(number, "request_supplement", missing=[material]))
    _on(monkeypatch, dt.date(2024, 10, 15))
    _ok(api("421102-clerk").act(number, "supplement", provided=[material]))
    case = _ok(officer.act(number, "accept"))
    # asked in time: the count starts the day after acceptance (3 working days)
    assert case["due_date"] == "2024-10-18"
    assert "deemed_accepted_from" not in case["event"]["data"]


def test_a_supplement_at_the_window_moves_the_receipt_day(world, api, monkeypatch):
    clerk = api("421102-clerk")
    number = _submit(world, api)
    material = _first_material(number)
    _ok(clerk.act(number, "request_supplement", missing=[material]))
    _on(monkeypatch, dt.date(2024, 10, 9))
    _ok(clerk.act(number, "supplement", provided=[material]))
    # back-date the supplement's event (the clock was moved after it was written): test
    # set-up rewriting history, so the append-only guard is off for it (ADR 0092)
    with unguarded(CaseEvent._meta.db_table):
        CaseEvent.objects.filter(case__number=number, action="supplement").update(
            at=_at(dt.date(2024, 10, 9))
        )
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "receive_transfer"))
    # receipt is now 10-09: on 10-14 the notice is still in time
    _on(monkeypatch, dt.date(2024, 10, 14))
    _ok(officer.act(number, "request_supplement", missing=[material]))


def test_only_the_handling_officer_may_ask_and_others_learn_nothing(world, api, monkeypatch):
    number = _pending_case(world, api)
    _on(monkeypatch, NOTICE_DUE + dt.timedelta(days=1))
    material = _first_material(number)
    # another jurisdiction's officer: the case does not exist for them
    other = api("420703400-officer").act(number, "request_supplement", missing=[material])
    assert other.status_code == 404
    # the receiving clerk is on the case but not on this leg
    clerk = api("421102-clerk").act(number, "request_supplement", missing=[material])
    assert clerk.status_code == 403 and clerk.json()["code"] == "action_not_permitted"
    assert api(None).act(number, "request_supplement", missing=[material]).status_code == 401
