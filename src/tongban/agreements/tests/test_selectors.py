"""Who sees which agreement versions."""

from __future__ import annotations

import pytest

from tongban.agreements import actions
from tongban.agreements.selectors import get_agreement_for, readable_agreements
from tongban.core.errors import NotAuthenticated, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_versions(world, wehh):
    """v1 superseded, v2 active, v3 draft."""
    platform = world.user("platform-admin")
    v2 = actions.activate_agreement(platform, actions.new_agreement_version(platform, wehh))
    v3 = actions.new_agreement_version(platform, v2)
    wehh.refresh_from_db()
    return wehh, v2, v3


def versions(user) -> list[int]:
    return sorted(readable_agreements(user).values_list("version", flat=True))


def test_visibility(world, three_versions, anonymous):
    assert versions(world.user("platform-admin")) == [1, 2, 3]
    assert versions(world.user("421102-admin")) == [1, 2, 3]  # admin of a party: drafts too
    assert versions(world.user("421102-clerk")) == [1, 2]  # staff of a party: no drafts
    assert versions(world.user("420115-clerk")) == [2]  # non-party: the public active one
    assert versions(world.user("420115-admin")) == [2]
    assert versions(world.user("applicant-1")) == [2]
    with pytest.raises(NotAuthenticated):
        readable_agreements(anonymous)


def test_current_version(world, three_versions):
    v1, v2, v3 = three_versions
    for name in ("platform-admin", "421102-clerk", "applicant-1"):
        assert get_agreement_for(world.user(name), "WEHH-2023") == v2
    assert get_agreement_for(world.user("421102-admin"), "WEHH-2023", 3) == v3
    assert get_agreement_for(world.user("421102-clerk"), "WEHH-2023", 1) == v1
    with pytest.raises(NotFound):
        get_agreement_for(world.user("421102-clerk"), "WEHH-2023", 3)
    with pytest.raises(NotFound):
        get_agreement_for(world.user("applicant-1"), "WEHH-2023", 1)
    with pytest.raises(NotFound) as caught:
        get_agreement_for(world.user("platform-admin"), "NOPE")
    assert caught.value.code == "agreement_not_found"


def test_suspended_is_current_for_parties_only(world, wehh):
    actions.suspend_agreement(world.user("platform-admin"), wehh)
    assert get_agreement_for(world.user("421102-clerk"), wehh.code) == wehh
    with pytest.raises(NotFound):
        get_agreement_for(world.user("applicant-1"), wehh.code)
