from __future__ import annotations

import random
import zoneinfo
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from tongban.agreements.selectors import find_agreement_item
from tongban.cases.models import Case, CaseEvent
from tongban.catalog.models import Mode
from tongban.catalog.selectors import published_implementation
from tongban.consultations.models import Consultation
from tongban.core.errors import Invalid
from tongban.core.inputs import parse_month
from tongban.demo.history import (
    DONGHU,
    GEDIAN,
    apportion,
    plan_cases,
    plan_consultations,
    seed_history,
    targets_for,
)
from tongban.ratings.models import Rating
from tongban.stats import selectors
from tongban.stats.models import HistoryImport
from tongban.stats.selectors import StatsFilter


def test_targets_at_scale_one_are_the_seed_figures():
    t = targets_for(2022, 1.0)
    assert (t.donghu_cases, t.donghu_consultations) == (17_300, 29_500)
    assert (t.donghu_hf_cases, t.donghu_hf_consultations) == (10_899, 18_585)  # 63%
    assert (t.gedian_cases, t.gedian_terminal, t.gedian_window) == (1_965, 318, 1_647)


def test_full_year_plan_reproduces_the_seed_exactly():
    t = targets_for(2022, 1.0)
    plans = plan_cases(t, random.Random(7))
    donghu = [p for p in plans if DONGHU in (p.receiving, p.handling)]
    gedian = [p for p in plans if GEDIAN in (p.receiving, p.handling)]
    assert len(donghu) == 17_300
    assert sum(p.high_frequency for p in donghu) == 10_899
    assert len(gedian) == 1_965 and all(p.receiving == GEDIAN for p in gedian)
    assert Counter(p.channel for p in gedian) == {"terminal": 318, "window": 1_647}
    per_month = Counter(p.month for p in donghu)
    assert sorted(per_month) == list(range(1, 13)) and sum(per_month.values()) == 17_300
    assert all(1_000 < n < 1_700 for n in per_month.values())  # ≈1,500 a month
    consultations = plan_consultations(t, random.Random(7))
    mine = [c for c in consultations if c.jurisdiction == DONGHU]
    assert len(mine) == 29_500 and sum(c.high_frequency for c in mine) == 18_585
    assert not any(c.forwarded_to == DONGHU for c in consultations)


def test_apportion_is_exact():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(apportion(17_300, [1.0, 0.75, 1.05] * 4)) == 17_300


def test_bad_arguments():
    with pytest.raises(Exception, match="2022"):
        targets_for(2019)
    with pytest.raises(Exception, match="scale"):
        targets_for(2022, 1.5)


def test_seed_history_small_scale_totals_show_in_the_statistics(demo_world, capsys):
    call_command("seed_history", "--year", "2022", "--scale", "0.02", "--seed", "3")
    out = capsys.readouterr().out
    assert "办件 cases" in out and "统计已刷新" in out
    # the bulk-written events and rating events are sealed into intact SM3 chains (ADR 0092)
    from tongban.integrity.verify import verify

    assert verify().breaks == []
    t = targets_for(2022, 0.02)
    admin = demo_world.user("platform-admin")
    year = StatsFilter(month_from=parse_month("2022-01"), month_to=parse_month("2022-12"))

    def cases(code, **kwargs):
        f = StatsFilter(**{**year.__dict__, "jurisdiction": code, **kwargs})
        return selectors.case_stats(admin, f, None)["total"]["cases"]

    assert cases(DONGHU) == t.donghu_cases
    assert cases(DONGHU, high_frequency=True) == t.donghu_hf_cases
    assert cases(GEDIAN) == t.gedian_cases
    assert cases(GEDIAN, channel="terminal") == t.gedian_terminal
    assert cases(GEDIAN, channel="window") == t.gedian_window
    consultations = selectors.consultation_stats(
        admin, StatsFilter(**{**year.__dict__, "jurisdiction": DONGHU}), None
    )["total"]
    assert consultations["consultations"] == t.donghu_consultations
    hf = selectors.high_frequency_share(
        admin, StatsFilter(**{**year.__dict__, "jurisdiction": DONGHU})
    )
    assert hf["high_frequency_consultations"] == t.donghu_hf_consultations
    assert hf["case_share"] == round(t.donghu_hf_cases / t.donghu_cases, 4)

    # the history is marked and consistent
    assert HistoryImport.objects.get(year=2022).cases == Case.objects.count()
    assert not Case.objects.exclude(number__startswith="SYN-").exists()
    assert not CaseEvent.objects.exclude(data__synthetic=True).exists()
    assert Consultation.objects.count() == t.donghu_consultations + t.gedian_consultations
    assert Rating.objects.exists()
    assert not Rating.objects.exclude(case__status="completed").exists()
    for case in Case.objects.order_by("?")[:20]:
        assert case.event_count == case.events.count()
        last = case.events.order_by("-seq").first()
        assert last is not None and last.to_status == case.status

    with pytest.raises(CommandError):
        call_command("seed_history", "--year", "2022", "--scale", "0.02")


def test_every_generated_case_is_one_the_live_rules_allow(demo_world):
    """The history is opened the way `submit_case` opens a case: an agreement in force on
    the day of receipt lists the item for the pair and the mode (the same selector
    answers), and the handling place's implementation offers the mode, the channel and
    the delivery method. Checked on a sample, against the selectors the live system asks."""
    call_command("seed_history", "--year", "2022", "--scale", "0.02", "--seed", "11")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    cases = list(
        Case.objects.select_related(
            "item", "implementation", "receiving_jurisdiction", "handling_jurisdiction"
        ).select_related("receiving_window")
    )
    sample = random.Random(4).sample(cases, 150)
    modes = Counter(c.mode for c in sample)
    assert modes["proxy"] > 50 and modes["online"] > 10  # both paths are exercised
    for case in sample:
        on = case.received_at.astimezone(zone).date()
        assert on.year == 2022
        if case.mode == Mode.ONLINE:
            assert case.receiving_jurisdiction is None and case.agreement_id is None
            assert case.channel in ("web", "app")
        else:
            assert case.receiving_jurisdiction is not None
            allowed = find_agreement_item(
                case.item, case.receiving_jurisdiction, case.handling_jurisdiction, case.mode, on
            )
            assert allowed is not None, (case.number, case.item.code, on)
            assert allowed.agreement_id == case.agreement_id
            assert allowed.agreement.valid_from <= on
            assert case.channel in ("window", "terminal")
            assert case.receiving_window is not None
            assert case.receiving_window.kind == (
                "terminal" if case.channel == "terminal" else "dedicated"
            )
        implementation = published_implementation(case.item, case.handling_jurisdiction, today)
        assert implementation == case.implementation
        assert case.mode in implementation.modes
        assert case.channel in implementation.channels
        assert case.delivery_method in implementation.delivery_methods
        assert case.delivery_address or case.delivery_method != "post"
    # the only high-frequency items are the three the article names
    hf = {c.item.code for c in cases if c.item.high_frequency}
    assert hf <= {"ITEM-HUKOU-MIGRATION", "ITEM-DRIVING-LICENCE", "ITEM-MARRIAGE"}
    # 2022 cases use agreements of 2022 or earlier: WEHH-2023 did not exist yet
    used = set(Case.objects.exclude(agreement=None).values_list("agreement__code", flat=True))
    assert used and "WEHH-2023" not in used and used <= {"WH-1P8-2022", "GD-DH-2021"}


def test_seed_history_refuses_a_world_whose_agreements_do_not_allow_it(world):
    """The small test world has only WEHH-2023 (from 2023-03-07): no 2022 case is allowed,
    so nothing is written rather than cases the live system would refuse."""
    with pytest.raises(Invalid) as refused:
        seed_history(2022, scale=0.02, seed=3)
    assert refused.value.code == "history_not_allowed"
    assert not Case.objects.exists() and not HistoryImport.objects.exists()
    assert not Consultation.objects.exists()
