"""publish_first_versions: many first versions at once (the demo seed), under the same
rules as create_implementation_draft + publish_implementation."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tongban.catalog import actions
from tongban.catalog.models import ItemImplementation, Material
from tongban.catalog.selectors import published_implementation
from tongban.catalog.tests.conftest import MATERIALS, company_fields
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated
from tongban.core.models import AuditEvent
from tongban.regions.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(world):
    return actions.create_item(
        world.user("platform-admin"),
        code="ITEM-FOOD-LICENCE",
        name="食品经营许可",
        item_type="licensing",
        department_kind="market_regulation",
    )


def row(world, item, code: str, **overrides: Any) -> actions.NewImplementation:
    j = world.jurisdictions[code]
    materials = overrides.pop("materials", MATERIALS)
    return actions.NewImplementation(
        item,
        j,
        Department.objects.get(jurisdiction=j, kind="market_regulation"),
        company_fields(**overrides),
        materials,
    )


def nothing_written(item) -> bool:
    return not ItemImplementation.objects.filter(item=item).exists() and not (
        AuditEvent.objects.filter(action="catalog.implementation.publish").exists()
    )


def test_publishes_version_one_with_materials_and_audit_rows(world, item):
    made = actions.publish_first_versions(
        world.user("platform-admin"),
        [row(world, item, "421102"), row(world, item, "420100Z01", promised_limit_days=3)],
    )
    assert len(made) == 2
    today = timezone.localdate()
    for impl in made:
        impl.refresh_from_db()
        assert (impl.version, impl.status, impl.valid_from) == (1, "published", today)
        assert impl.published_at is not None
        assert list(impl.materials.values_list("name", "position")) == [("申请书", 1), ("章程", 2)]
        assert published_implementation(item, impl.jurisdiction, today) == impl
    assert made[1].promised_limit_days == 3
    audits = AuditEvent.objects.filter(action="catalog.implementation.publish")
    assert sorted(audits.values_list("object_id", flat=True)) == sorted(str(i.pk) for i in made)
    assert all(a.actor == world.user("platform-admin") for a in audits)
    assert Material.objects.filter(implementation__item=item).count() == 4


def test_a_jurisdiction_admin_publishes_only_at_home(world, item):
    admin = world.user("421102-admin")
    with pytest.raises(Forbidden):
        actions.publish_first_versions(
            admin, [row(world, item, "421102"), row(world, item, "420100Z01")]
        )
    assert nothing_written(item)
    (made,) = actions.publish_first_versions(admin, [row(world, item, "421102")])
    assert made.jurisdiction == world.huangzhou


@pytest.mark.parametrize("who", ["421102-clerk", "421102-officer", "421102-supervisor"])
def test_other_roles_are_refused(world, item, who):
    with pytest.raises(Forbidden):
        actions.publish_first_versions(world.user(who), [row(world, item, "421102")])
    assert nothing_written(item)


def test_unauthenticated_is_refused(world, item, anonymous):
    with pytest.raises(NotAuthenticated):
        actions.publish_first_versions(anonymous, [row(world, item, "421102")])
    assert nothing_written(item)


def test_every_problem_of_every_row_at_once_and_nothing_written(world, item):
    with pytest.raises(Invalid) as refused:
        actions.publish_first_versions(
            world.user("platform-admin"),
            [
                row(world, item, "421102"),
                row(world, item, "420100Z01", promised_limit_days=30, materials=[]),
                row(world, item, "420703400", modes=["teleport"]),
            ],
        )
    problems = {(p["field"], p["code"]) for p in refused.value.details["problems"]}
    assert ("rows[1].promised_limit_days", "promised_exceeds_statutory") in problems
    assert ("rows[1].materials", "no_materials") in problems
    assert any(f.startswith("rows[2].modes") for f, _ in problems)
    assert not any(f.startswith("rows[0]") for f, _ in problems)
    assert nothing_written(item)


def test_a_department_of_another_jurisdiction_is_refused(world, item):
    wrong = row(world, item, "421102")
    wrong = actions.NewImplementation(
        wrong.item,
        wrong.jurisdiction,
        Department.objects.get(jurisdiction=world.donghu, kind="market_regulation"),
        wrong.fields,
        wrong.materials,
    )
    with pytest.raises(Invalid) as refused:
        actions.publish_first_versions(world.user("platform-admin"), [wrong])
    assert refused.value.details["problems"][0]["code"] == "department_outside_jurisdiction"
    assert nothing_written(item)


def test_an_existing_version_or_a_repeated_row_is_a_conflict(world, item):
    platform = world.user("platform-admin")
    company = world.items["company"]
    with pytest.raises(Conflict) as existing:
        actions.publish_first_versions(
            platform, [row(world, item, "421102"), row(world, company, "421102")]
        )
    assert existing.value.code == "implementation_exists"
    with pytest.raises(Conflict):
        actions.publish_first_versions(
            platform, [row(world, item, "421102"), row(world, item, "421102")]
        )
    assert nothing_written(item)
    assert (
        ItemImplementation.objects.filter(item=company, jurisdiction=world.huangzhou).count() == 1
    )
