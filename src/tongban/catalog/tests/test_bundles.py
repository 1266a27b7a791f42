""" "一件事" bundles (ADR 0096): defined by the platform admin through one action."""

from __future__ import annotations

import pytest

from tongban.catalog.actions import define_bundle
from tongban.catalog.models import ItemBundle
from tongban.core.errors import Forbidden, Invalid, NotAuthenticated
from tongban.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_platform_admin_defines_and_redefines_a_bundle(world):
    admin = world.user("platform-admin")
    company, marriage = world.items["company"], world.items["marriage"]
    bundle = define_bundle(
        admin, code="B-1", name="企业开办一件事", lead_item=company, parts=[(marriage, False)]
    )
    assert [(p.item.code, p.optional) for p in bundle.parts.all()] == [("ITEM-MARRIAGE", False)]
    again = define_bundle(
        admin, code="B-1", name="企业开办一件事", lead_item=company, parts=[(marriage, True)]
    )
    assert again.pk == bundle.pk and ItemBundle.objects.count() == 1
    assert [(p.item.code, p.optional) for p in again.parts.all()] == [("ITEM-MARRIAGE", True)]
    assert AuditEvent.objects.filter(action="catalog.bundle.define").count() == 2


@pytest.mark.parametrize("username", ["420100Z01-admin", "420100Z01-clerk"])
def test_only_the_platform_admin_defines_bundles(world, username):
    with pytest.raises(Forbidden):
        define_bundle(
            world.user(username),
            code="B-1",
            name="企业开办一件事",
            lead_item=world.items["company"],
            parts=[],
        )
    assert not ItemBundle.objects.exists()


def test_anonymous_cannot_define_bundles(world, anonymous):
    with pytest.raises(NotAuthenticated):
        define_bundle(anonymous, code="B-1", name="x", lead_item=world.items["company"], parts=[])


def test_a_part_cannot_repeat_or_be_the_lead(world):
    admin, company = world.user("platform-admin"), world.items["company"]
    for parts in ([(company, False)], [(world.items["marriage"], False)] * 2):
        with pytest.raises(Invalid) as refused:
            define_bundle(admin, code="B-1", name="一件事", lead_item=company, parts=parts)
        assert refused.value.code == "bundle_invalid"
    assert not ItemBundle.objects.exists()
