"""Searching the basic catalogue by name, code prefix and pinyin initials."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.catalog import actions
from tongban.catalog.models import ServiceItem
from tongban.catalog.pinyin import pinyin_initials
from tongban.catalog.selectors import search_items
from tongban.core.errors import Conflict, Invalid, NotAuthenticated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("企业设立登记", "qysldj"),
        ("内地居民结婚登记", "ndjmjhdj"),
        ("机动车驾驶证核发、审验", "jdcjszhfsy"),
        ("银行开户许可", "yhkhxk"),  # 行 read as háng inside 银行
        ("E证通(A类)申领", "ezta" + "lsl"),
        ("", ""),
    ],
)
def test_pinyin_initials(name, initials):
    assert pinyin_initials(name) == initials


def codes(qs) -> list[str]:
    return [item.code for item in qs]


def test_create_and_update_item_fill_pinyin(world):
    platform = world.user("platform-admin")
    item = actions.create_item(
        platform,
        code="ITEM-HUKOU",
        name="户口迁移审批",
        item_type="licensing",
        department_kind="public_security",
    )
    assert item.pinyin_initials == "hkqysp"
    item = actions.update_item(platform, item, name="户口迁入审批")
    assert item.pinyin_initials == "hkqrsp"
    with pytest.raises(Invalid):
        actions.update_item(platform, item, code="OTHER")
    with pytest.raises(Conflict) as caught:
        actions.create_item(
            platform,
            code="ITEM-HUKOU",
            name="重复",
            item_type="licensing",
            department_kind="public_security",
        )
    assert caught.value.code == "item_code_exists"
    with pytest.raises(Invalid) as invalid:
        actions.create_item(
            platform, code="X", name="", item_type="magic", department_kind="public_security"
        )
    assert invalid.value.code == "item_invalid"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("结婚", ["ITEM-MARRIAGE"]),  # name contains
        ("登记", ["ITEM-COMPANY", "ITEM-MARRIAGE"]),
        ("item-com", ["ITEM-COMPANY"]),  # code prefix, any case
        ("COMPANY", []),  # not a prefix of the code
        ("QYSL", ["ITEM-COMPANY"]),  # pinyin initials prefix, any case
        ("ndjm", ["ITEM-MARRIAGE"]),
        ("ysl", []),  # not a prefix of the initials
        ("  ", ["ITEM-COMPANY", "ITEM-MARRIAGE"]),
    ],
)
def test_search_by_text(world, q, expected):
    assert codes(search_items(world.user("421102-clerk"), q=q)) == expected


def test_filters(world):
    user = world.user("applicant-1")
    assert codes(search_items(user, department_kind="civil_affairs")) == ["ITEM-MARRIAGE"]
    assert codes(search_items(user, mode="online")) == ["ITEM-COMPANY"]
    assert codes(search_items(user, mode="proxy")) == ["ITEM-COMPANY", "ITEM-MARRIAGE"]
    assert codes(search_items(user, mode="teleport")) == []
    assert codes(search_items(user, jurisdiction=world.tieshan)) == [
        "ITEM-COMPANY",
        "ITEM-MARRIAGE",
    ]
    actions.retire_implementation(
        world.user("platform-admin"), world.implementations[("company", "420205")]
    )
    assert codes(search_items(user, jurisdiction=world.tieshan)) == ["ITEM-MARRIAGE"]
    assert codes(search_items(user, jurisdiction=world.tieshan, mode="online")) == []
    assert codes(search_items(user, jurisdiction=world.donghu, mode="online")) == ["ITEM-COMPANY"]


def test_results_carry_publishing_jurisdictions(world, django_assert_max_num_queries):
    platform = world.user("platform-admin")
    for n in range(20):
        actions.create_item(
            platform,
            code=f"ITEM-X{n:02d}",
            name=f"测试事项{n}",
            item_type="other",
            department_kind="health",
        )
    actions.retire_implementation(platform, world.implementations[("company", "420205")])
    with django_assert_max_num_queries(3):
        items = list(search_items(world.user("421102-clerk")))
        published = {
            i.code: [v.jurisdiction.code for v in i.published_versions]  # type: ignore[attr-defined]
            for i in items
        }
    assert len(items) == 22
    assert published["ITEM-COMPANY"] == ["420100Z01", "420115", "420703400", "421102"]
    assert published["ITEM-X00"] == []


def test_search_needs_login(world, anonymous):
    with pytest.raises(NotAuthenticated):
        search_items(anonymous)


def test_search_defaults_to_today(world):
    # an implementation that has not started is not "published there" yet
    ServiceItem.objects.get(code="ITEM-COMPANY").implementations.filter(
        jurisdiction=world.gedian
    ).update(valid_from=timezone.localdate() + dt.timedelta(days=30))
    assert codes(search_items(world.user("421102-clerk"), jurisdiction=world.gedian)) == [
        "ITEM-MARRIAGE"
    ]
