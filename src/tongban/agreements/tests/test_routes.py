"""routes(item, receiving, on): every handling jurisdiction and mode open to a window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.agreements import actions
from tongban.agreements.models import AgreementItem
from tongban.agreements.selectors import find_agreement_item, routes
from tongban.catalog import actions as catalog_actions

pytestmark = pytest.mark.django_db


def pairs(found) -> list[tuple[str, str]]:
    return [(r.handling.code, r.mode) for r in found]


def test_company_routes_from_huangzhou(world, wehh):
    today = timezone.localdate()
    found = routes(world.items["company"], world.huangzhou, today)
    # agreement: proxy + joint; every implementation also has online, which the
    # agreement does not list, so no online route
    assert pairs(found) == [
        ("420100Z01", "proxy"),
        ("420100Z01", "joint"),
        ("420205", "proxy"),
        ("420205", "joint"),
        ("420703400", "proxy"),
        ("420703400", "joint"),
    ]
    route = found[0]
    assert route.agreement == wehh
    assert route.implementation == world.implementations[("company", "420100Z01")]
    for r in found:
        assert (
            find_agreement_item(world.items["company"], world.huangzhou, r.handling, r.mode, today)
            == r.agreement_item
        )


def test_marriage_is_proxy_only(world):
    found = routes(world.items["marriage"], world.gedian, timezone.localdate())
    assert pairs(found) == [("420100Z01", "proxy"), ("420205", "proxy"), ("421102", "proxy")]


def test_non_party_has_no_routes(world):
    assert routes(world.items["company"], world.outsider, timezone.localdate()) == []


def test_before_the_agreement_starts(world):
    assert routes(world.items["company"], world.huangzhou, dt.date(2020, 1, 1)) == []


def test_handling_place_must_publish_the_mode(world):
    platform = world.user("platform-admin")
    catalog_actions.retire_implementation(platform, world.implementations[("company", "420205")])
    gedian = world.implementations[("company", "420703400")]
    draft = catalog_actions.new_implementation_version(platform, gedian)
    catalog_actions.update_draft(platform, draft, modes=["online", "proxy"])
    catalog_actions.publish_implementation(platform, draft)
    found = routes(world.items["company"], world.huangzhou, timezone.localdate())
    assert pairs(found) == [
        ("420100Z01", "proxy"),
        ("420100Z01", "joint"),
        ("420703400", "proxy"),
    ]
    assert found[-1].implementation.version == 2


def test_online_only_when_the_agreement_lists_it(world, wehh):
    platform = world.user("platform-admin")
    draft = actions.new_agreement_version(platform, wehh)
    actions.update_agreement_draft(
        platform,
        draft,
        items=[
            {"item": world.items["company"], "modes": ["online", "proxy"]},
            {"item": world.items["marriage"], "modes": ["online", "proxy"]},
        ],
    )
    actions.activate_agreement(platform, draft)
    today = timezone.localdate()
    company = routes(world.items["company"], world.huangzhou, today)
    assert ("420100Z01", "online") in pairs(company)
    assert ("420100Z01", "joint") not in pairs(company)
    assert all(r.agreement.version == 2 for r in company)
    # marriage implementations only support proxy: no online route despite the agreement
    assert {m for _, m in pairs(routes(world.items["marriage"], world.huangzhou, today))} == {
        "proxy"
    }


def test_directions(world, wehh):
    row = AgreementItem.objects.get(agreement=wehh, item=world.items["company"])
    row.handling_jurisdictions.set([world.donghu])
    today = timezone.localdate()
    assert {h for h, _ in pairs(routes(world.items["company"], world.huangzhou, today))} == {
        "420100Z01"
    }
    assert routes(world.items["company"], world.donghu, today) == []  # only handler left is itself
    row.receiving_jurisdictions.set([world.gedian])
    assert routes(world.items["company"], world.huangzhou, today) == []


def test_suspended_agreement_has_no_routes(world, wehh):
    actions.suspend_agreement(world.user("platform-admin"), wehh)
    assert routes(world.items["company"], world.huangzhou, timezone.localdate()) == []


def test_bounded_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        assert len(routes(world.items["company"], world.huangzhou, timezone.localdate())) == 6
