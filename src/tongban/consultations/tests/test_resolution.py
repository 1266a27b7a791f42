"""Consultation actions take codes and resolve them with the caller's scope, once, in
consultations.selectors (ADR 0106): the API and the pages answer the same bad reference
with the same status and code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tongban.consultations import actions, selectors
from tongban.consultations.models import Consultation
from tongban.core.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.stats.tests.helpers import DONGHU, GEDIAN, HUANGZHOU, client_for

RECORD: dict[str, Any] = {
    "jurisdiction": DONGHU,
    "channel": "hotline",
    "topic": "异地办理营业执照",
    "question": "我在黄州,能在东湖注册公司吗?",
}


def _api_post(client, path, body):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def _page_code(response) -> str:
    html = response.content.decode()
    return html.split('data-code="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"item": "NO-SUCH-ITEM"}, 422, "unknown_item"),
        ({"jurisdiction": "999999"}, 422, "unknown_jurisdiction"),
        # another jurisdiction's consultation may not be recorded by this clerk
        ({"jurisdiction": HUANGZHOU}, 403, "consultation_forbidden"),
    ],
)
def test_record_answers_the_same_on_the_api_and_the_page(world, change, status, code):
    clerk = client_for(world.user(f"{DONGHU}-clerk"))
    api = _api_post(clerk, "/consultations", {**RECORD, **change})
    page = clerk.post("/consultations/new/", {**RECORD, **change})
    assert api.status_code == page.status_code == status
    assert api.json()["code"] == _page_code(page) == code
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [
        ("000000", 422, "unknown_jurisdiction"),
        (DONGHU, 422, "invalid"),  # the owner itself
    ],
)
def test_forward_answers_the_same_on_the_api_and_the_page(world, target, status, code):
    c = actions.record_consultation(world.user(f"{DONGHU}-clerk"), **RECORD)
    clerk = client_for(world.user(f"{DONGHU}-clerk"))
    api = _api_post(clerk, f"/consultations/{c.pk}/forward", {"to_jurisdiction": target})
    page = clerk.post(f"/consultations/{c.pk}/forward/", {"to_jurisdiction": target})
    assert api.status_code == page.status_code == status
    assert api.json()["code"] == _page_code(page) == code
    c.refresh_from_db()
    assert c.status == Consultation.Status.OPEN and c.event_count == 1


def test_record_resolves_item_and_applicant_by_code_and_id(world):
    clerk = client_for(world.user(f"{DONGHU}-clerk"))
    person = world.applicants["person"]
    body = {**RECORD, "item": "ITEM-COMPANY", "applicant_id": person.pk}
    answer = _api_post(clerk, "/consultations", body)
    assert answer.status_code == 201, answer.content
    c = Consultation.objects.get(pk=answer.json()["id"])
    assert c.item == world.items["company"] and c.applicant == person
    unknown = _api_post(clerk, "/consultations", {**RECORD, "applicant_id": 999_999})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_applicant"
    assert Consultation.objects.count() == 1


def test_references_outside_the_scope_are_not_resolved(world):
    """An applicant's account sees only its own applicant records: another applicant is
    'unknown', exactly like one that does not exist (existence is not disclosed)."""
    own, other = world.applicants["person"], world.applicants["other"]
    portal_user = world.user("applicant-1")
    assert selectors.applicant_by_id(portal_user, own.pk) == own
    with pytest.raises(Invalid) as error:
        selectors.applicant_by_id(portal_user, other.pk)
    assert error.value.code == "unknown_applicant"
    # and such an account records nothing, whatever it names
    with pytest.raises(Forbidden):
        actions.record_consultation(portal_user, **RECORD, applicant_id=own.pk)


def test_out_of_jurisdiction_and_unauthenticated_callers(world):
    c = actions.record_consultation(world.user(f"{DONGHU}-clerk"), **RECORD)
    outsider = world.user(f"{GEDIAN}-clerk")
    # not visible to the outsider: 404 before any code is looked at
    with pytest.raises(NotFound):
        actions.forward_consultation(outsider, c.pk, "000000")
    answer = _api_post(
        client_for(outsider), f"/consultations/{c.pk}/forward", {"to_jurisdiction": HUANGZHOU}
    )
    assert answer.status_code == 404
    page = client_for(outsider).post(
        f"/consultations/{c.pk}/forward/", {"to_jurisdiction": HUANGZHOU}
    )
    assert page.status_code == 404
    with pytest.raises(NotAuthenticated):
        actions.record_consultation(AnonymousUser(), **RECORD)
    assert _api_post(client_for(None), "/consultations", RECORD).status_code == 401
    anonymous_page = client_for(None).post("/consultations/new/", RECORD)
    assert anonymous_page.status_code == 302 and "/login" in anonymous_page["Location"]
    c.refresh_from_db()
    assert c.status == Consultation.Status.OPEN and Consultation.objects.count() == 1


@pytest.mark.parametrize("query", ["status=bogus", "channel=pigeon"])
def test_list_filters_are_refused_the_same_on_the_api_and_the_page(world, query):
    clerk = client_for(world.user(f"{DONGHU}-clerk"))
    api = clerk.get(f"/api/v1/consultations?{query}")
    page = clerk.get(f"/consultations/?{query}")
    assert api.status_code == page.status_code == 422
    assert api.json()["code"] == _page_code(page) == "invalid_filter"
    assert clerk.get("/api/v1/consultations?status=open&channel=hotline").status_code == 200
