"""Who may change the catalogue: the platform admin anywhere, a jurisdiction's admin for
its own implementations; everyone else is refused (drafts of others are not disclosed)."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog import actions
from tongban.catalog.models import ItemImplementation
from tongban.catalog.selectors import get_implementation_for, readable_implementations
from tongban.catalog.tests.conftest import MATERIALS, company_fields
from tongban.core.errors import Forbidden, NotAuthenticated, NotFound
from tongban.core.models import AuditEvent
from tongban.regions.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1(world):
    return world.implementations[("company", "421102")]


@pytest.mark.parametrize("name", ["421102-admin", "platform-admin"])
def test_own_admin_and_platform_admin_may_version(world, v1, name):
    draft = actions.new_implementation_version(world.user(name), v1)
    actions.publish_implementation(world.user(name), draft)
    assert AuditEvent.objects.filter(
        actor=world.user(name), action="catalog.implementation.publish"
    ).exists()


@pytest.mark.parametrize(
    "name", ["420205-admin", "421102-clerk", "421102-officer", "421102-head", "applicant-1"]
)
def test_others_may_not_touch_a_published_version(world, v1, name):
    user = world.user(name)
    for attempt in (
        actions.new_implementation_version,
        actions.retire_implementation,
        lambda u, i: actions.update_draft(u, i, promised_limit_days=1),
    ):
        with pytest.raises(Forbidden) as caught:
            attempt(user, v1)
        assert caught.value.code == "not_catalogue_admin"
    v1.refresh_from_db()
    assert v1.status == ItemImplementation.Status.PUBLISHED


def test_drafts_of_other_jurisdictions_are_not_disclosed(world, v1):
    draft = actions.new_implementation_version(world.user("421102-admin"), v1)
    other_admin = world.user("420205-admin")
    for attempt in (
        actions.publish_implementation,
        actions.delete_draft,
        lambda u, i: actions.update_draft(u, i, promised_limit_days=1),
        lambda u, i: actions.set_materials(u, i, MATERIALS),
    ):
        with pytest.raises(NotFound):
            attempt(other_admin, draft)
    with pytest.raises(NotFound):
        get_implementation_for(other_admin, draft.pk)
    with pytest.raises(NotFound):
        get_implementation_for(world.user("421102-clerk"), draft.pk)
    assert get_implementation_for(world.user("421102-admin"), draft.pk) == draft
    assert draft in readable_implementations(world.user("platform-admin"))
    # published and retired versions are public to every logged-in user
    assert get_implementation_for(world.user("applicant-1"), v1.pk) == v1


def test_admin_cannot_create_in_another_jurisdiction(world):
    with pytest.raises(Forbidden):
        actions.create_implementation_draft(
            world.user("421102-admin"),
            world.items["company"],
            world.tieshan,
            Department.objects.get(jurisdiction=world.tieshan, kind="market_regulation"),
            materials=MATERIALS,
            **company_fields(),
        )


def test_unauthenticated_is_refused(world, v1, anonymous):
    with pytest.raises(NotAuthenticated):
        actions.new_implementation_version(anonymous, v1)
    with pytest.raises(NotAuthenticated):
        readable_implementations(anonymous)


def test_basic_catalogue_is_platform_admin_only(world):
    fields: dict[str, Any] = {
        "code": "ITEM-NEW",
        "name": "新事项",
        "item_type": "licensing",
        "department_kind": "health",
    }
    for name in ("421102-admin", "421102-clerk", "applicant-1"):
        with pytest.raises(Forbidden):
            actions.create_item(world.user(name), **fields)
        with pytest.raises(Forbidden):
            actions.update_item(world.user(name), world.items["company"], name="改名")
    item = actions.create_item(world.user("platform-admin"), **fields)
    assert item.pinyin_initials == "xsx"
