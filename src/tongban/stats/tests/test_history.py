from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from tongban.cases.models import Case, CaseEvent
from tongban.consultations.models import Consultation
from tongban.ratings.models import Rating
from tongban.stats import selectors
from tongban.stats.history import (
    DONGHU,
    GEDIAN,
    apportion,
    plan_cases,
    plan_consultations,
    targets_for,
)
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


def test_seed_history_small_scale_totals_show_in_the_statistics(world, capsys):
    call_command("seed_history", "--year", "2022", "--scale", "0.02", "--seed", "3")
    out = capsys.readouterr().out
    assert "办件 cases" in out and "统计已刷新" in out
    t = targets_for(2022, 0.02)
    admin = world.user("platform-admin")
    year = StatsFilter(
        month_from=selectors.parse_month("2022-01"), month_to=selectors.parse_month("2022-12")
    )

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
