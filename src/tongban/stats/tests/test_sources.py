"""Every count table a selector may read (stats.selectors._case_source) gives the figures
CaseCount gives: the roll-ups change the speed, never a number."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Q, Sum

from tongban.accounts.models import RoleAssignment
from tongban.core.inputs import parse_month
from tongban.stats import selectors
from tongban.stats.models import CaseCount
from tongban.stats.selectors import StatsFilter
from tongban.stats.tests.helpers import DONGHU, GEDIAN, HUANGZHOU, KAITIE, make_case, walk


def _direct(ids: set[int] | None, leg: str, groups: list[str], **where) -> dict:
    """The same figure straight from CaseCount."""
    qs = CaseCount.objects.filter(**where)
    if ids is not None:
        if leg == "any":
            qs = qs.filter(Q(receiving_id__in=ids) | Q(handling_id__in=ids))
        else:
            qs = qs.filter(**{f"{leg}_id__in": ids})
    columns = [selectors.CASE_GROUPS[g] for g in groups]
    return {
        tuple(r[c] for c in columns): (r["cases"], r["completed"], r["review_s"])
        for r in qs.values(*columns).annotate(
            cases=Sum("cases"), completed=Sum("completed"), review_s=Sum("review_s")
        )
    }


def _selected(user, f: StatsFilter, groups: list[str]) -> dict:
    out = selectors.case_stats(user, f, ",".join(groups))
    columns = {g: g for g in ("item", "department", "month", "mode", "channel", "status")}
    result = {}
    for row in out["rows"]:
        key = []
        for g in groups:
            value = row[columns[g]]
            if g == "item":
                value = next(i.pk for i in selectors.ServiceItem.objects.filter(code=value))
            elif g == "month":
                value = parse_month(value)
            key.append(value)
        result[tuple(key)] = (row["cases"], row["completed"], row["review_s"])
    return result


@pytest.fixture
def history(world):
    """Cases of every shape, including one received and handled by the same place."""
    places = (DONGHU, GEDIAN, HUANGZHOU, KAITIE)
    for n, (receiving, handling) in enumerate(itertools.permutations(places, 2)):
        case = make_case(world, receiving=receiving, handling=handling,
                         item="company" if n % 2 else "marriage")  # fmt: skip
        walk(case, steps=n % 10)
    for handling in places:
        walk(make_case(world, receiving=None, handling=handling))
    walk(make_case(world, receiving=DONGHU, handling=DONGHU, agreement=False))
    from tongban.stats import refresh

    refresh.refresh()
    return world


@pytest.mark.parametrize(
    "groups",
    [["item"], ["department"], ["item", "mode"], ["month"], ["month", "channel"], ["status"]],
)
@pytest.mark.parametrize("leg", ["any", "receiving", "handling"])
def test_rollups_give_the_figures_of_the_count_table(history, groups, leg):
    world = history
    admin = world.user("platform-admin")
    for code in (DONGHU, GEDIAN, HUANGZHOU):
        pk = world.jurisdictions[code].pk
        got = _selected(admin, StatsFilter(jurisdiction=code, leg=leg), groups)
        assert got == _direct({pk}, leg, groups), (code, leg, groups)
    assert _selected(admin, StatsFilter(), groups) == _direct(None, "any", groups)
    # a supervisor of two places: on one leg the roll-up, on either leg CaseCount
    supervisor = world.user(f"{DONGHU}-supervisor")
    RoleAssignment.objects.create(user=supervisor, role="supervisor", jurisdiction=world.gedian)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    ids = {world.donghu.pk, world.gedian.pk}
    assert _selected(supervisor, StatsFilter(leg=leg), groups) == _direct(ids, leg, groups)
    filtered = StatsFilter(jurisdiction=DONGHU, leg=leg, item="ITEM-COMPANY")
    assert _selected(admin, filtered, ["mode"]) == _direct(
        {world.donghu.pk}, leg, ["mode"], item_id=world.items["company"].pk
    )
    # the platform-wide figures (CaseMonthCount) with a filter
    completed = StatsFilter(status="completed", channel="window")
    assert _selected(admin, completed, groups) == _direct(
        None, "any", groups, status="completed", channel="window"
    )
