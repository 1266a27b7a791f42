"""Signing off the request path (issue 12 §3, ADR 0121): `issue_result` leaves the licence
`signing`; the worker signs it after commit, moves it to `valid` with a compare-and-set and
only then tells the applicant. A lost nudge is made good by the sweep, a second signer's
work is discarded, and the database refuses signature changes of a signed licence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.cases.actions import perform_case_action
from tongban.cases.actions.inputs import ActionInput
from tongban.core.models import AuditEvent
from tongban.licences import actions
from tongban.licences.models import Licence
from tongban.licences.selectors import (
    LicenceState,
    VerificationStatus,
    licence_state,
    verify_licence,
)
from tongban.notifications.models import OutboxMessage
from tongban.testing.jobs import run_jobs
from tongban.testing.licences import make_case

pytestmark = pytest.mark.django_db

OFFICER = "420100Z01-officer"


def _issue_result(world):
    case = make_case(world, status="approved")
    perform_case_action(world.user(OFFICER), case.number, "issue_result", ActionInput())
    return case, Licence.objects.get(case=case)


def _result_notices(case) -> int:
    return OutboxMessage.objects.filter(case=case, template="result_issued").count()


def test_issue_result_returns_a_licence_being_signed_and_tells_nobody_yet(pki, world):
    case, licence = _issue_result(world)
    case.refresh_from_db()
    assert case.status == "result_issued"
    assert licence.status == Licence.Status.SIGNING
    assert licence_state(licence) == LicenceState.SIGNING
    assert licence.data_signature == "" and bytes(licence.pdf) == b""
    assert licence.signing_key_id is None
    assert _result_notices(case) == 0
    assert verify_licence(licence.identifier).status == VerificationStatus.SIGNING


def test_the_worker_signs_it_and_then_the_applicant_is_told(pki, world):
    case, licence = _issue_result(world)
    assert run_jobs() >= 1
    licence.refresh_from_db()
    assert licence.status == Licence.Status.VALID
    assert bytes(licence.pdf).startswith(b"%PDF")
    assert licence.signing_attempts == 1
    assert verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf)).status == "valid"
    assert _result_notices(case) == 1
    assert AuditEvent.objects.filter(action="licence.sign", object_id=str(licence.pk)).count() == 1
    # the task ran on the database backend, and a second round finds nothing to do
    assert DBTaskResult.objects.filter(task_path__endswith="sign_licence_task").exists()
    run_jobs()
    assert _result_notices(case) == 1
    assert actions.sign_licence(licence.pk) == "done"


def test_a_fresh_lease_keeps_other_signers_away_and_an_expired_one_does_not(pki, world):
    _, licence = _issue_result(world)
    now = timezone.now()
    Licence.objects.filter(pk=licence.pk).update(signing_started_at=now)
    assert actions.licences_to_sign() == []
    assert actions.sign_licence(licence.pk) == "busy"
    stale = now - dt.timedelta(seconds=600)
    Licence.objects.filter(pk=licence.pk).update(signing_started_at=stale)
    assert actions.licences_to_sign() == [licence.pk]
    assert actions.sign_licence(licence.pk) == "signed"


def test_of_two_signers_only_the_first_to_store_counts(pki, world, monkeypatch):
    """Signer A's lease runs out while it signs; B takes over and finishes first. A's
    compare-and-set then matches nothing: its signatures are discarded, no second audit
    row, no second notice."""
    case, licence = _issue_result(world)
    real_sign_pdf = actions.sign_pdf
    outcome: dict[str, str] = {}

    def slow_signer(*args, **kwargs):
        pdf = real_sign_pdf(*args, **kwargs)
        if "b" not in outcome:
            outcome["b"] = "running"
            stale = timezone.now() - dt.timedelta(hours=1)
            Licence.objects.filter(pk=licence.pk).update(signing_started_at=stale)
            outcome["b"] = actions.sign_licence(licence.pk)
        return pdf

    monkeypatch.setattr(actions, "sign_pdf", slow_signer)
    outcome["a"] = actions.sign_licence(licence.pk)
    assert outcome == {"b": "signed", "a": "discarded"}
    licence.refresh_from_db()
    assert licence.status == Licence.Status.VALID and licence.signing_attempts == 2
    assert AuditEvent.objects.filter(action="licence.sign", object_id=str(licence.pk)).count() == 1
    assert _result_notices(case) == 1


def test_the_database_refuses_changing_a_signed_licences_signature(pki, world):
    _, licence = _issue_result(world)
    # while signing, the signer may write the signature columns
    Licence.objects.filter(pk=licence.pk).update(certificate_serial="in-progress")
    run_jobs()
    with pytest.raises(DatabaseError), transaction.atomic():
        Licence.objects.filter(pk=licence.pk).update(data_signature="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        Licence.objects.filter(pk=licence.pk).update(status="signing", pdf=b"%PDF forged")


def test_a_missing_signing_certificate_is_told_at_once(world):
    """No PKI set up: the decision fails now (409), no licence waits forever."""
    case = make_case(world, status="approved")
    with pytest.raises(Exception) as raised:
        perform_case_action(world.user(OFFICER), case.number, "issue_result", ActionInput())
    assert getattr(raised.value, "code", "") == "pki_not_configured"
    assert not Licence.objects.filter(case=case).exists()


def test_the_pdf_of_a_licence_being_signed_is_a_409_inside_the_scope_and_404_outside(
    pki, world, client
):
    _, licence = _issue_result(world)
    url = f"/api/v1/licences/{licence.identifier}/pdf"
    assert client.get(url).status_code == 401
    client.force_login(world.user("421102-head"))  # received the case, did not issue
    assert client.get(url).status_code == 404
    client.force_login(world.user("420100Z01-clerk"))
    inside = client.get(url)
    assert inside.status_code == 409 and inside.json()["code"] == "licence_being_signed"
    listed = client.get("/api/v1/licences").json()["items"]
    assert [item["status"] for item in listed] == ["signing"]
    run_jobs()
    assert client.get(url).status_code == 200


def test_my_licences_shows_being_signed_in_both_languages(pki, world, client):
    case, licence = _issue_result(world)
    client.force_login(world.user("enterprise-1"))
    case_page = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert 'data-testid="licence-signing"' in case_page and "签发中" in case_page
    assert 'data-testid="licence-pdf"' not in case_page
    body = client.get("/api/v1/me/licences").json()
    assert [item["state"] for item in body["items"]] == ["signing"]
    page = client.get("/my/licences/").content.decode()
    assert 'data-state="signing"' in page and "签发中" in page
    assert f"/licences/{licence.identifier}/pdf" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/my/licences/"})
    english = client.get("/my/licences/").content.decode()
    assert "Being signed" in english
    run_jobs()
    assert 'data-state="valid"' in client.get("/my/licences/").content.decode()
