"""The demo catalogue and the agreements' item lists, as data (no database): the
article's counts, real codes of the catalogue's vocabularies, no duplicates."""

from __future__ import annotations

from collections import Counter

from tongban.catalog.models import Channel, DeliveryMethod, Mode, ServiceItem
from tongban.demo import catalogue, data
from tongban.regions.models import Department


def test_codes_and_names_are_unique_and_valid():
    codes = Counter(i.code for i in data.ITEMS)
    names = Counter(i.name for i in data.ITEMS)
    assert max(codes.values()) == 1 and max(names.values()) == 1
    assert len(data.ITEMS) == len(data.DETAILED_ITEMS) + len(catalogue.CATALOGUE) >= 106
    department_kinds = {kind for kind, _ in data.DEPARTMENTS}
    for item in data.ITEMS:
        assert len(item.code) <= 32 and item.code.startswith("ITEM-")
        assert item.department_kind in Department.Kind.values
        assert item.department_kind in department_kinds, item.code  # the demo has one
        assert item.item_type in ServiceItem.ItemType.values
        assert item.modes and set(item.modes) <= set(Mode.values)
        assert item.channels and set(item.channels) <= set(Channel.values)
        assert item.delivery_methods and set(item.delivery_methods) <= set(DeliveryMethod.values)
        assert 1 <= item.promised <= item.statutory
        assert item.materials and all(m.name for m in item.materials)


def test_only_the_articles_three_items_are_high_frequency():
    flagged = {i.code: i.name for i in data.ITEMS if i.high_frequency}
    assert flagged == {
        "ITEM-HUKOU-MIGRATION": "户口迁移审批",
        "ITEM-DRIVING-LICENCE": "机动车驾驶证核发、审验",
        "ITEM-MARRIAGE": "内地居民结婚登记",
    }
    assert set(flagged) == set(data.HIGH_FREQUENCY_ITEMS)


def test_the_agreements_carry_the_articles_counts():
    agreements = {a.code: a for a in data.AGREEMENTS}
    sizes = {code: len(a.items) for code, a in agreements.items()}
    assert sizes["GD-XY-2022"] == len(catalogue.XINYANG_ITEMS) == 63
    assert sizes["HZ-XY-2023"] == len(catalogue.XUNYANG_ITEMS) == 54
    assert sizes["KT-ZK-2022"] == sizes["KT-ZB-2022"] == len(catalogue.KAITIE_ITEMS) == 59
    assert sizes["WH-1P8-2022"] == len(catalogue.CIRCLE_ITEMS) == 106
    for agreement in data.AGREEMENTS:
        listed = [ai.item for ai in agreement.items]
        assert len(listed) == len(set(listed)), agreement.code
        for ai in agreement.items:
            item = data.ITEMS_BY_CODE[ai.item]  # every listed item is in the catalogue
            assert ai.modes and set(ai.modes) <= set(item.modes), (agreement.code, ai.item)
            assert set(ai.receiving) <= set(agreement.parties)
            assert set(ai.handling) <= set(agreement.parties)
    # the high-frequency items are open across the circle in 2022 (东湖's history)
    assert set(data.HIGH_FREQUENCY_ITEMS) <= set(catalogue.CIRCLE_ITEMS)
    # 开铁's cross-province partners are in other provinces
    for code in ("KT-ZK-2022", "KT-ZB-2022"):
        partner = next(p for p in agreements[code].parties if p != "420205")
        assert not partner.startswith("42")


def test_every_jurisdiction_publishes_what_its_agreements_list():
    for agreement in data.AGREEMENTS:
        for party in agreement.parties:
            assert {ai.item for ai in agreement.items} <= set(data.IMPLEMENTED_ITEMS[party])
    assert set(data.IMPLEMENTED_ITEMS["420115"]) == set(data.DETAILED_ITEM_CODES)  # 江夏
