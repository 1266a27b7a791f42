"""find_agreement_item: may A receive item X for B in mode M on a date?"""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.agreements import actions
from tongban.agreements.models import Agreement, AgreementItem
from tongban.agreements.selectors import find_agreement_item, open_items
from tongban.agreements.tests.conftest import parties_of

pytestmark = pytest.mark.django_db

ON = dt.date(2024, 6, 3)


@pytest.fixture
def company(world):
    return world.items["company"]


def test_parties_in_an_allowed_mode(world, wehh, company):
    found = find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON)
    assert found is not None and found.agreement == wehh
    assert find_agreement_item(company, world.donghu, world.huangzhou, "joint", ON) == found
    assert find_agreement_item(world.items["marriage"], world.gedian, world.tieshan, "proxy", ON)


def test_mode_must_be_listed(world, company):
    assert find_agreement_item(company, world.huangzhou, world.donghu, "online", ON) is None
    assert (
        find_agreement_item(world.items["marriage"], world.huangzhou, world.donghu, "joint", ON)
        is None
    )


def test_same_jurisdiction_needs_no_agreement(world, company):
    assert find_agreement_item(company, world.huangzhou, world.huangzhou, "proxy", ON) is None


def test_both_must_be_parties(world, company):
    assert find_agreement_item(company, world.outsider, world.donghu, "proxy", ON) is None
    assert find_agreement_item(company, world.huangzhou, world.outsider, "proxy", ON) is None


def test_directions_restrict_receivers_and_handlers(world, wehh, company):
    row = AgreementItem.objects.get(agreement=wehh, item=company)
    row.receiving_jurisdictions.set([world.huangzhou])
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON) == row
    assert find_agreement_item(company, world.donghu, world.huangzhou, "proxy", ON) is None
    row.handling_jurisdictions.set([world.gedian])
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON) is None
    assert find_agreement_item(company, world.huangzhou, world.gedian, "proxy", ON) == row


def test_validity_dates(world, wehh, company):
    assert (
        find_agreement_item(company, world.huangzhou, world.donghu, "proxy", dt.date(2023, 3, 6))
        is None
    )
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", dt.date(2023, 3, 7))
    Agreement.objects.filter(pk=wehh.pk).update(valid_to=dt.date(2024, 6, 2))
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON) is None
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", dt.date(2024, 6, 2))


@pytest.mark.parametrize("action", ["suspend", "expire", "supersede"])
def test_agreements_not_in_force_open_nothing(world, wehh, company, action):
    platform = world.user("platform-admin")
    if action == "suspend":
        actions.suspend_agreement(platform, wehh)
    elif action == "expire":
        actions.expire_agreement(platform, wehh)
    else:
        draft = actions.new_agreement_version(platform, wehh)
        actions.update_agreement_draft(
            platform, draft, items=[{"item": world.items["marriage"], "modes": ["proxy"]}]
        )
        actions.activate_agreement(platform, draft)
    wehh.refresh_from_db()
    assert wehh.status != Agreement.Status.ACTIVE
    assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON) is None


def test_a_draft_opens_nothing(world, wehh, company):
    platform = world.user("platform-admin")
    actions.create_agreement_draft(
        platform,
        code="HZ-JX",
        title="黄州—江夏",
        parties=parties_of(world, "421102", "420115"),
        items=[{"item": company, "modes": ["proxy"]}],
        valid_from=dt.date(2024, 1, 1),
    )
    assert find_agreement_item(company, world.huangzhou, world.outsider, "proxy", ON) is None


def test_the_oldest_agreement_in_force_wins(world, wehh, company):
    platform = world.user("platform-admin")
    other = actions.create_agreement_draft(
        platform,
        code="HZ-DH",
        title="黄州—东湖",
        parties=parties_of(world, "421102", "420100Z01"),
        items=[{"item": company, "modes": ["proxy", "online"]}],
        valid_from=dt.date(2024, 1, 1),
    )
    actions.activate_agreement(platform, other)
    found = find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON)
    assert found is not None and found.agreement == wehh
    online = find_agreement_item(company, world.huangzhou, world.donghu, "online", ON)
    assert online is not None and online.agreement == other


def test_bounded_queries(world, company, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert find_agreement_item(company, world.huangzhou, world.donghu, "proxy", ON)


# ---------------------------------------------------------------- open_items, its list form


def _agrees_with_find(world, receiving, handling, mode, on) -> dict:
    """open_items gives, for every item, what find_agreement_item gives."""
    found = open_items(receiving, handling, mode, on)
    for item in world.items.values():
        assert found.get(item.pk) == find_agreement_item(item, receiving, handling, mode, on)
    return found


def test_open_items_is_find_agreement_item_for_every_item(world, wehh, company):
    marriage = world.items["marriage"]
    both = _agrees_with_find(world, world.huangzhou, world.donghu, "proxy", ON)
    assert set(both) == {company.pk, marriage.pk}
    assert set(_agrees_with_find(world, world.huangzhou, world.donghu, "joint", ON)) == {company.pk}
    # outsiders, the same place, the day before the agreement: nothing
    assert _agrees_with_find(world, world.outsider, world.donghu, "proxy", ON) == {}
    assert _agrees_with_find(world, world.huangzhou, world.outsider, "proxy", ON) == {}
    assert _agrees_with_find(world, world.huangzhou, world.huangzhou, "proxy", ON) == {}
    assert (
        _agrees_with_find(world, world.huangzhou, world.donghu, "proxy", dt.date(2023, 3, 6)) == {}
    )


def test_open_items_follows_directions_and_the_oldest_agreement(world, wehh, company):
    row = AgreementItem.objects.get(agreement=wehh, item=company)
    row.handling_jurisdictions.set([world.gedian])
    assert set(_agrees_with_find(world, world.huangzhou, world.donghu, "proxy", ON)) == {
        world.items["marriage"].pk
    }
    platform = world.user("platform-admin")
    other = actions.create_agreement_draft(
        platform,
        code="HZ-DH",
        title="黄州—东湖",
        parties=parties_of(world, "421102", "420100Z01"),
        items=[{"item": company, "modes": ["proxy", "online"]}],
        valid_from=dt.date(2024, 1, 1),
    )
    actions.activate_agreement(platform, other)
    found = _agrees_with_find(world, world.huangzhou, world.donghu, "proxy", ON)
    assert found[company.pk].agreement == other  # WEHH's row no longer lets 东湖 handle
    row.handling_jurisdictions.clear()
    found = _agrees_with_find(world, world.huangzhou, world.donghu, "proxy", ON)
    assert found[company.pk].agreement == wehh  # in force longest


def test_open_items_bounded_queries(world, wehh, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert open_items(world.huangzhou, world.donghu, "proxy", ON)
