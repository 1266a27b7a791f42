from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tongban.accounts.selectors import (
    find_applicant,
    find_applicant_for,
    get_applicant_for,
    readable_applicants,
)
from tongban.core.errors import NotFound


def test_find_applicant_by_id_number_or_uscc_in_any_case(world):
    person, enterprise = world.applicants["person"], world.applicants["enterprise"]
    assert find_applicant(person.id_number) == person
    assert find_applicant(" " + enterprise.uscc.lower() + " ") == enterprise
    assert find_applicant("110101199001011234") is None
    assert find_applicant("") is None


def test_an_agents_id_number_does_not_find_the_enterprise(world):
    assert find_applicant(world.applicants["enterprise"].agent_id_number) is None


@pytest.mark.parametrize(
    "username", ["421102-clerk", "420100Z01-officer", "420205-supervisor", "platform-admin"]
)
def test_staff_may_look_up_every_applicant(world, username):
    readable = readable_applicants(world.user(username))
    assert set(readable) == set(world.applicants.values())
    person = world.applicants["person"]
    assert find_applicant_for(world.user(username), person.id_number) == person


def test_applicant_sees_only_their_own(world):
    me, other = world.user("applicant-1"), world.applicants["other"]
    assert list(readable_applicants(me)) == [world.applicants["person"]]
    with pytest.raises(NotFound):
        find_applicant_for(me, other.id_number)
    with pytest.raises(NotFound):
        get_applicant_for(me, other.pk)
    assert get_applicant_for(me, world.applicants["person"].pk) == world.applicants["person"]


def test_enterprise_agent_sees_the_enterprise(world):
    agent = world.user("enterprise-1")
    assert list(readable_applicants(agent)) == [world.applicants["enterprise"]]


def test_anonymous_and_inactive_users_see_nothing(world):
    assert not readable_applicants(AnonymousUser()).exists()
    assert not readable_applicants(None).exists()
    clerk = world.user("421102-clerk")
    clerk.is_active = False
    assert not readable_applicants(clerk).exists()
    with pytest.raises(NotFound):
        find_applicant_for(AnonymousUser(), world.applicants["person"].id_number)


def test_unknown_identifier_is_not_found_for_staff(world):
    with pytest.raises(NotFound):
        find_applicant_for(world.user("421102-clerk"), "110101199001011234")


def test_applicant_lookup_endpoint_needs_the_exact_identifier_and_masks(world):
    import datetime as dt
    import secrets

    from django.test import Client
    from django.utils import timezone

    from tongban.accounts.auth import hash_token
    from tongban.accounts.models import ApiToken

    def client_for(username):
        key = secrets.token_urlsafe(16)
        ApiToken.objects.create(
            user=world.user(username),
            key_hash=hash_token(key),
            expires_at=timezone.now() + dt.timedelta(hours=1),
        )
        return {"Authorization": f"Bearer {key}"}

    person = world.applicants["person"]
    clerk = client_for("421102-clerk")

    def lookup(identifier: str, headers: dict[str, str] | None = None) -> Any:
        return Client().post(
            "/api/v1/applicants/lookup",
            {"identifier": identifier},
            content_type="application/json",
            headers=headers or {},
        )

    found = lookup(person.id_number, clerk)
    assert found.status_code == 200
    assert found.json()["id"] == person.pk
    assert person.id_number not in found.content.decode()
    assert lookup(person.id_number[:10], clerk).status_code == 404
    assert lookup(person.id_number, client_for("applicant-2")).status_code == 404
    assert lookup(person.id_number).status_code == 401
    # the old GET with the number in the query string is gone
    gone = Client().get(
        "/api/v1/applicants/lookup", {"identifier": person.id_number}, headers=clerk
    )
    assert gone.status_code == 405
