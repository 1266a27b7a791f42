"""Issue 8, part 4: yellow / red warnings reach the responsible staff and the supervisors
of both legs, once per case and level (ADR 0093)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from tongban.cases.actions import send_overdue_warnings
from tongban.cases.models import Case, OverdueAlert
from tongban.cases.tests.conftest import company_submission
from tongban.core.models import AuditEvent
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

# received and transferred Fri 2024-09-27: pending acceptance has 5 working days,
# so the step is due Thu 10-10 (yellow that day) and red from Fri 10-11
STEP_DUE = dt.date(2024, 10, 10)


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _pending_case(world, api):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def _warned(number, level=None):
    messages = OutboxMessage.objects.filter(case__number=number, template="overdue_warning")
    if level:
        messages = messages.filter(context__level=level)
    return sorted(
        (m.recipient.username, m.context["as_supervisor"]) for m in messages if m.recipient
    )


def test_yellow_then_red_reach_the_officer_and_the_supervisors_of_both_legs(world, api):
    number = _pending_case(world, api)
    assert send_overdue_warnings(STEP_DUE - dt.timedelta(days=1)) == 0
    assert send_overdue_warnings(STEP_DUE) == 1
    expected = [
        ("420100Z01-officer", False),
        ("420100Z01-supervisor", True),
        ("421102-supervisor", True),
    ]
    assert _warned(number, "yellow") == expected
    # idempotent: the same day again, or the next run, sends nothing new
    assert send_overdue_warnings(STEP_DUE) == 0
    assert send_overdue_warnings(STEP_DUE + dt.timedelta(days=1)) == 1
    assert _warned(number, "red") == expected
    assert send_overdue_warnings(STEP_DUE + dt.timedelta(days=2)) == 0
    alerts = OverdueAlert.objects.filter(case__number=number).order_by("created_at")
    assert [(a.level, a.on, a.status) for a in alerts] == [
        ("yellow", STEP_DUE, "pending_acceptance"),
        ("red", STEP_DUE, "pending_acceptance"),
    ]
    assert AuditEvent.objects.filter(action="case.overdue_warning").count() == 2
    # nothing for the applicant, and nobody of an unrelated jurisdiction hears of it
    assert not OutboxMessage.objects.filter(
        case__number=number, template="overdue_warning", applicant__isnull=False
    ).exists()
    everyone = {name for name, _ in _warned(number)}
    assert not {u for u in everyone if u.startswith(("420703400", "420115"))}
    assert "421102-clerk" not in everyone and "420100Z01-head" not in everyone


def test_a_step_nobody_has_taken_warns_everyone_who_may_take_it(world, api):
    body = company_submission(world, mode="online", channel="web")
    body["receiving"] = None
    number = _ok(api("enterprise-1").post("/cases", body), 201)["number"]
    case = Case.objects.get(number=number)
    assert case.status == "pending_acceptance" and case.receiving_jurisdiction is None
    assert case.overdue_on is not None
    assert send_overdue_warnings(case.overdue_on + dt.timedelta(days=1)) == 1
    assert _warned(number) == [
        ("420100Z01-head", False),
        ("420100Z01-officer", False),
        ("420100Z01-supervisor", True),
    ]


def test_a_new_due_date_may_warn_again_and_a_finished_case_never(world, api, monkeypatch):
    number = _pending_case(world, api)
    assert send_overdue_warnings(STEP_DUE) == 1
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "refuse", reason="不属于本机关职权", competent_authority="某局"))
    assert send_overdue_warnings(STEP_DUE + dt.timedelta(days=5)) == 0
    assert len(_warned(number)) == 3


def test_the_command_runs_the_sweep_and_is_idempotent(world, api, monkeypatch, capsys):
    number = _pending_case(world, api)
    monkeypatch.setattr(
        "tongban.cases.deadlines.local_today", lambda: STEP_DUE + dt.timedelta(days=1)
    )
    call_command("send_overdue_warnings")
    call_command("send_overdue_warnings", every=0.01, runs=2)
    assert OverdueAlert.objects.filter(case__number=number).count() == 1
    assert "overdue warnings: 1" in capsys.readouterr().out
