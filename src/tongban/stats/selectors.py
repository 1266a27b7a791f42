"""Every read of statistics: GROUP BY over the pre-computed count tables (never over
cases), scoped to the caller.

Scope: a platform admin sees everything. A supervisor or jurisdiction admin sees the
figures of cases where one of their jurisdictions is the receiving or the handling place
(consultations: owner or forwarded-to; ratings: receiving, handling or rated place), and
the whole figures of every agreement their jurisdiction is a party to, which all parties
see identically. Anyone else is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tongban.accounts.access import is_platform_admin, jurisdictions_with, require_authenticated
from tongban.accounts.models import Role, User
from tongban.agreements.models import Agreement, AgreementParty
from tongban.assistance.models import AssistanceRole, ConsentMethod
from tongban.cases.models import Status
from tongban.catalog.models import Channel, Mode, ServiceItem
from tongban.consultations.models import Consultation, ConsultationChannel
from tongban.core.errors import Forbidden, Invalid, not_found
from tongban.core.inputs import parse_month
from tongban.ratings.models import LEVEL_CHOICES, ChannelKind, Rating, Rectification
from tongban.regions.models import Department, Jurisdiction
from tongban.stats.models import (
    ASSISTANCE_MEASURES,
    CASE_MEASURES,
    CONSULTATION_MEASURES,
    AssistanceCount,
    CaseCount,
    CaseFlowCount,
    CaseItemCount,
    CaseLegItemCount,
    CaseMonthCount,
    ConsultationCount,
    Cursor,
    RatingCount,
)

STATS_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})

LEGS = ("any", "receiving", "handling")
# the longest period one query may cover (a bounded amount of work per request)
MAX_MONTHS = 120
YEARS = (2000, 2100)


def refreshed_at() -> dt.datetime | None:
    """When the figures were last brought up to date: every refresh steps (and saves the
    cursor of) each event source, so the oldest cursor is the last complete refresh. None
    before the first refresh, when every figure would read zero (issue 15 §7)."""
    # refresh imports this module (stats/hall.py reads its filters): import it here
    from tongban.stats.refresh import SOURCES

    names = [source.name for source in SOURCES]
    summary = Cursor.objects.filter(name__in=names).aggregate(
        sources=Count("name"), oldest=Min("updated_at")
    )
    if summary["sources"] < len(names):
        return None
    oldest: dt.datetime | None = summary["oldest"]
    return oldest


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _bad_filter(message: Any, **kwargs: Any) -> Invalid:
    return Invalid(message, code="invalid_filter", **kwargs)


def parse_period(
    from_month: str | None,
    to_month: str | None,
    leg: str | None = "any",
    *,
    year: str | None = None,
    whole: bool = False,
    today: dt.date | None = None,
) -> tuple[dt.date | None, dt.date | None, str]:
    """The period (first and last month, inclusive) and the leg of a statistics query:
    the one reading of these filters for the API and the dashboard, so that both refuse
    the same values with the same answer (422 `invalid_filter`; a month not written
    `YYYY-MM` is refused by the callers' `Month` contract first).

    A missing bound leaves the period open, unless `whole` (the dashboard, which always
    shows a whole period): then a missing end is the end of the start's year, a missing
    start the start of the end's year, and neither the calendar year `year` (default:
    this year)."""
    start = parse_month(from_month or None)
    end = parse_month(to_month or None)
    if whole:
        if start is None and end is None:
            chosen = (today or timezone.localdate()).year
            if year:
                chosen = int(year) if year.isdigit() else 0
                if not YEARS[0] <= chosen <= YEARS[1]:
                    raise _bad_filter(
                        gettext_lazy("%(name)s is not valid."),
                        details={"year": year[:32]},
                        params={"name": "year"},
                    )
            start, end = dt.date(chosen, 1, 1), dt.date(chosen, 12, 1)
        elif start is None:
            assert end is not None
            start = end.replace(month=1)
        elif end is None:
            end = start.replace(month=12)
    if start is not None and end is not None:
        if start > end:
            raise _bad_filter(gettext_lazy("The first month must not be after the last."))
        if add_months(start, MAX_MONTHS) <= end:
            raise _bad_filter(gettext_lazy("The period is at most ten years."))
    leg = leg or "any"
    if leg not in LEGS:
        raise _bad_filter(
            gettext_lazy("leg is any, receiving or handling."), details={"leg": leg[:32]}
        )
    return start, end, leg


@dataclass
class StatsScope:
    everything: bool
    jurisdictions: frozenset[int] = field(default_factory=frozenset)


def stats_scope(user: User | AnonymousUser) -> StatsScope:
    require_authenticated(user)
    if is_platform_admin(user):
        return StatsScope(True)
    mine = frozenset(jurisdictions_with(user, STATS_ROLES))
    if not mine:
        raise Forbidden(
            gettext_lazy(
                "Only supervisors, jurisdiction admins and platform admins may see statistics."
            ),
            code="stats_forbidden",
        )
    return StatsScope(False, mine)


@dataclass
class StatsFilter:
    """Parsed query: period (months, inclusive), one jurisdiction and its leg, and the
    dimension filters. Codes are resolved to ids by `resolve_filter`."""

    month_from: dt.date | None = None
    month_to: dt.date | None = None
    jurisdiction: str | None = None
    leg: str = "any"
    item: str | None = None
    department: str | None = None
    mode: str | None = None
    channel: str | None = None
    status: str | None = None
    high_frequency: bool | None = None
    agreement: int | None = None


def _jurisdiction_id(scope: StatsScope, code: str) -> int:
    j = Jurisdiction.objects.filter(code=code).values_list("pk", flat=True).first()
    if j is None or (not scope.everything and j not in scope.jurisdictions):
        raise not_found("jurisdiction")
    return j


def _period(qs: QuerySet, f: StatsFilter) -> QuerySet:
    if f.month_from:
        qs = qs.filter(month__gte=f.month_from)
    if f.month_to:
        qs = qs.filter(month__lte=f.month_to)
    return qs


def _legs_q(ids: set[int] | frozenset[int], leg: str, fields: dict[str, str]) -> Q:
    if leg not in LEGS:
        raise _bad_filter(
            gettext_lazy("leg is any, receiving or handling."), details={"leg": leg[:32]}
        )
    if leg == "any":
        q = Q()
        for name in fields.values():
            q |= Q(**{f"{name}__in": ids})
        return q
    return Q(**{f"{fields[leg]}__in": ids})


def _scoped(qs: QuerySet, scope: StatsScope, f: StatsFilter, fields: dict[str, str]) -> QuerySet:
    """Restrict to the scope (or the one jurisdiction asked for, if in scope)."""
    if f.jurisdiction:
        ids = {_jurisdiction_id(scope, f.jurisdiction)}
        return qs.filter(_legs_q(ids, f.leg, fields))
    if scope.everything:
        return qs
    return qs.filter(_legs_q(scope.jurisdictions, f.leg, fields))


def _item_id(code: str) -> int:
    pk = ServiceItem.objects.filter(code=code).values_list("pk", flat=True).first()
    return pk if pk is not None else -1


# -- dimensions and labels --------------------------------------------------------------

CASE_GROUPS = {
    "month": "month",
    "receiving": "receiving_id",
    "handling": "handling_id",
    "item": "item_id",
    "department": "department_kind",
    "mode": "mode",
    "channel": "channel",
    "status": "status",
    "high_frequency": "high_frequency",
    "agreement": "agreement_id",
}
CONSULTATION_GROUPS = {
    "month": "month",
    "jurisdiction": "jurisdiction_id",
    "forwarded_to": "forwarded_to_id",
    "item": "item_id",
    "high_frequency": "high_frequency",
    "channel": "channel",
    "status": "status",
}
RATING_GROUPS = {
    "month": "month",
    "receiving": "receiving_id",
    "handling": "handling_id",
    "target": "target_id",
    "item": "item_id",
    "agreement": "agreement_id",
    "channel_kind": "channel_kind",
    "level": "level",
    "task_status": "task_status",
}
ASSISTANCE_GROUPS = {
    "month": "month",
    "jurisdiction": "jurisdiction_id",
    "handling": "handling_id",
    "item": "item_id",
    "role": "role",
    "consent_method": "consent_method",
}
_JURISDICTION_GROUPS = {"receiving", "handling", "jurisdiction", "forwarded_to", "target"}
_CHOICE_LABELS: dict[str, dict[Any, str]] = {
    "department": dict(Department.Kind.choices),
    "mode": dict(Mode.choices),
    "channel": {**dict(Channel.choices), **dict(ConsultationChannel.choices)},
    "status": {
        **dict(Status.choices),
        **{k: v for k, v in Consultation.Status.choices if k not in Status.values},
    },
    "high_frequency": {True: "高频事项", False: "其他事项"},
    "channel_kind": dict(ChannelKind.choices),
    "level": dict(LEVEL_CHOICES),
    "task_status": {"": "无整改", **dict(Rectification.Status.choices)},
    "role": dict(AssistanceRole.choices),
    "consent_method": dict(ConsentMethod.choices),
}


def _group_list(group_by: str | None, allowed: dict[str, str]) -> list[str]:
    groups = [g.strip() for g in (group_by or "").split(",") if g.strip()]
    if len(groups) > 2:
        raise Invalid(gettext_lazy("Group by at most two dimensions."))
    for g in groups:
        if g not in allowed:
            raise Invalid(
                gettext_lazy("Unknown group_by dimension."),
                details={"group_by": g, "allowed": sorted(allowed)},
            )
    return groups


def _labels(groups: list[str], rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
    """Add `<group>_label` (and `<group>` as a code for ids) to every row, with one query
    per kind of id."""
    for g in groups:
        column = columns[g]
        values = {row[column] for row in rows}
        if g in _JURISDICTION_GROUPS:
            names = {
                pk: (code, name)
                for pk, code, name in Jurisdiction.objects.filter(pk__in=values).values_list(
                    "pk", "code", "name"
                )
            }
            for row in rows:
                code, name = names.get(
                    row[column], ("", "网办(无收件地)" if g == "receiving" else "无")
                )
                row[g], row[f"{g}_label"] = code, name
        elif g == "item":
            names = {
                pk: (code, name)
                for pk, code, name in ServiceItem.objects.filter(pk__in=values).values_list(
                    "pk", "code", "name"
                )
            }
            for row in rows:
                code, name = names.get(row[column], ("", "未指定事项"))
                row[g], row[f"{g}_label"] = code, name
        elif g == "agreement":
            titles = dict(Agreement.objects.filter(pk__in=values).values_list("pk", "title"))
            for row in rows:
                row[g] = row[column] or None
                row[f"{g}_label"] = titles.get(row[column], "无协议")
        elif g == "month":
            for row in rows:
                month = row[column]
                row[g] = f"{month:%Y-%m}"
                row[f"{g}_label"] = f"{month.year}年{month.month}月"
        else:
            choices = _CHOICE_LABELS.get(g, {})
            for row in rows:
                row[g] = row[column]
                row[f"{g}_label"] = choices.get(row[column], str(row[column]))
        if column != g:
            for row in rows:
                row.pop(column, None)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(seconds: int, n: int) -> float | None:
    return round(seconds / n / 3600, 2) if n else None


# -- cases ------------------------------------------------------------------------------

CASE_LEGS = ("receipt", "transfer", "review", "delivery", "total")
CASE_FIELDS = {"receiving": "receiving_id", "handling": "handling_id"}


def _case_derived(row: dict[str, Any]) -> None:
    """Rates and average hours from the measures the row has (all of them unless the
    caller asked for fewer)."""
    if "on_time" in row and "decided" in row:
        row["on_time_rate"] = _ratio(row["on_time"], row["decided"])
    for leg in CASE_LEGS:
        if f"{leg}_s" in row and f"{leg}_n" in row:
            row[f"{leg}_hours"] = _hours(row[f"{leg}_s"], row[f"{leg}_n"])


_ITEM_GROUPS = frozenset({"item", "department"})
_PLACE_GROUPS = frozenset({"receiving", "handling", "agreement"})


def _case_source(
    scope: StatsScope, f: StatsFilter, groups: list[str] | tuple[str, ...] = ()
) -> QuerySet:
    """The smallest count table that answers exactly, scoped:
    - neither item, department nor place asked for, over everything: CaseMonthCount;
    - no item or department asked for: CaseFlowCount;
    - by item over everything (a platform admin, no jurisdiction): CaseItemCount;
    - by item for one jurisdiction, or for any number of them on one leg:
      CaseLegItemCount (a case is there once per place it has; only "either leg of
      several places" would count a case twice);
    - anything else: CaseCount."""
    if f.leg not in LEGS:
        _legs_q(set(), f.leg, CASE_FIELDS)  # raises Invalid
    wants_item = bool(f.item or f.department or _ITEM_GROUPS.intersection(groups))
    by_pair = f.agreement is not None or bool(_PLACE_GROUPS.intersection(groups))
    if not wants_item:
        if scope.everything and not f.jurisdiction and not by_pair:
            return CaseMonthCount.objects.all()
        return _scoped(CaseFlowCount.objects.all(), scope, f, CASE_FIELDS)
    if by_pair:
        return _scoped(CaseCount.objects.all(), scope, f, CASE_FIELDS)
    if f.jurisdiction:
        ids: set[int] | frozenset[int] = {_jurisdiction_id(scope, f.jurisdiction)}
    elif scope.everything:
        return CaseItemCount.objects.all()
    else:
        ids = scope.jurisdictions
    if f.leg != "any" or len(ids) == 1:
        legs = ["receiving", "handling", "both"] if f.leg == "any" else [f.leg, "both"]
        return CaseLegItemCount.objects.filter(jurisdiction_id__in=ids, leg__in=legs)
    return _scoped(CaseCount.objects.all(), scope, f, CASE_FIELDS)


def _case_rows(
    qs: QuerySet, groups: list[str], measures: Sequence[str] = CASE_MEASURES
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sums = {m: Sum(m) for m in measures}
    columns = [CASE_GROUPS[g] for g in groups]
    rows = list(qs.values(*columns).annotate(**sums).order_by(*columns)) if columns else []
    for row in rows:
        for m in measures:
            row[m] = int(row[m] or 0)
        _case_derived(row)
    if columns:  # every row is in exactly one group: the total is their sum
        total: dict[str, Any] = {m: sum(row[m] for row in rows) for m in measures}
    else:
        agg = qs.aggregate(**sums)
        total = {m: int(agg[m] or 0) for m in measures}
    _case_derived(total)
    _labels(groups, rows, CASE_GROUPS)
    return rows, total


def _case_filters(qs: QuerySet, f: StatsFilter) -> QuerySet:
    qs = _period(qs, f)
    if f.item:
        qs = qs.filter(item_id=_item_id(f.item))
    if f.department:
        qs = qs.filter(department_kind=f.department)
    if f.mode:
        qs = qs.filter(mode=f.mode)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.high_frequency is not None:
        qs = qs.filter(high_frequency=f.high_frequency)
    if f.agreement is not None:
        qs = qs.filter(agreement_id=f.agreement)
    return qs


def case_stats(
    user: User | AnonymousUser,
    f: StatsFilter,
    group_by: str | None,
    measures: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Cases by up to two of: month, receiving, handling, item, department, mode, channel,
    status, high_frequency, agreement; with decided / on-time / completed counts and the
    average hours of each leg. `measures` (default: all of CASE_MEASURES) limits the sums
    to what the caller shows: each one costs time on every row read."""
    scope = stats_scope(user)
    groups = _group_list(group_by, CASE_GROUPS)
    wanted = tuple(measures) if measures else CASE_MEASURES
    unknown = set(wanted) - set(CASE_MEASURES)
    if unknown:
        raise Invalid(gettext_lazy("Unknown measure."), details={"measures": sorted(unknown)})
    qs = _case_filters(_case_source(scope, f, groups), f)
    rows, total = _case_rows(qs, groups, wanted)
    return {"group_by": groups, "rows": rows, "total": total}


def flow_matrix(user: User | AnonymousUser, f: StatsFilter) -> dict[str, Any]:
    """Receiving → handling: cases per pair (online cases have receiving = none)."""
    scope = stats_scope(user)
    qs = _case_filters(_case_source(scope, f, ["receiving", "handling"]), f)
    rows = list(
        qs.values("receiving_id", "handling_id")
        .annotate(cases=Sum("cases"), completed=Sum("completed"))
        .order_by("receiving_id", "handling_id")
    )
    for row in rows:
        row["cases"] = int(row["cases"] or 0)
        row["completed"] = int(row["completed"] or 0)
    _labels(["receiving", "handling"], rows, CASE_GROUPS)
    names = sorted({r["receiving"] for r in rows if r["receiving"]} | {r["handling"] for r in rows})
    return {"jurisdictions": names, "rows": rows}


def high_frequency_share(
    user: User | AnonymousUser, f: StatsFilter, top: int = 10
) -> dict[str, Any]:
    """Share of high-frequency items among cases and consultations, and the top items."""
    scope = stats_scope(user)
    cases = _case_filters(_case_source(scope, f), f)
    both = cases.aggregate(n=Sum("cases"), hf=Sum("cases", filter=Q(high_frequency=True)))
    case_total, case_hf = int(both["n"] or 0), int(both["hf"] or 0)
    consultations = _consultation_qs(scope, f)
    both = consultations.aggregate(
        n=Sum("consultations"), hf=Sum("consultations", filter=Q(high_frequency=True))
    )
    c_total, c_hf = int(both["n"] or 0), int(both["hf"] or 0)
    top_rows: list[dict[str, Any]] = []
    top_c: list[dict[str, Any]] = []
    if top > 0:  # top = 0: the shares only (the dashboard has its own chart of items)
        by_item = _case_filters(_case_source(scope, f, ["item"]), f)
        top_rows = list(
            by_item.values("item_id")
            .annotate(cases=Sum("cases"))
            .order_by("-cases", "item_id")[:top]
        )
        for row in top_rows:
            row["cases"] = int(row["cases"] or 0)
            row["share"] = _ratio(row["cases"], case_total)
        _labels(["item"], top_rows, CASE_GROUPS)
        top_c = list(
            consultations.exclude(item_id=0)
            .values("item_id")
            .annotate(consultations=Sum("consultations"))
            .order_by("-consultations", "item_id")[:top]
        )
        for row in top_c:
            row["consultations"] = int(row["consultations"] or 0)
            row["share"] = _ratio(row["consultations"], c_total)
        _labels(["item"], top_c, CONSULTATION_GROUPS)
    return {
        "cases": case_total,
        "high_frequency_cases": case_hf,
        "case_share": _ratio(case_hf, case_total),
        "consultations": c_total,
        "high_frequency_consultations": c_hf,
        "consultation_share": _ratio(c_hf, c_total),
        "top_items_by_cases": top_rows,
        "top_items_by_consultations": top_c,
    }


# -- consultations ----------------------------------------------------------------------

CONSULTATION_FIELDS = {"receiving": "jurisdiction_id", "handling": "forwarded_to_id"}


def _consultation_qs(scope: StatsScope, f: StatsFilter) -> QuerySet:
    # for consultations the legs are: owner (首问, "receiving") and forwarded-to ("handling")
    qs = _period(_scoped(ConsultationCount.objects.all(), scope, f, CONSULTATION_FIELDS), f)
    if f.item:
        qs = qs.filter(item_id=_item_id(f.item))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.high_frequency is not None:
        qs = qs.filter(high_frequency=f.high_frequency)
    return qs


def consultation_stats(
    user: User | AnonymousUser, f: StatsFilter, group_by: str | None
) -> dict[str, Any]:
    scope = stats_scope(user)
    groups = _group_list(group_by, CONSULTATION_GROUPS)
    qs = _consultation_qs(scope, f)
    sums = {m: Sum(m) for m in CONSULTATION_MEASURES}
    columns = [CONSULTATION_GROUPS[g] for g in groups]
    rows = list(qs.values(*columns).annotate(**sums).order_by(*columns)) if columns else []
    if columns:  # every row is in exactly one group: the total is their sum
        total = {m: sum(int(row[m] or 0) for row in rows) for m in CONSULTATION_MEASURES}
    else:
        agg = qs.aggregate(**sums)
        total = {m: int(agg[m] or 0) for m in CONSULTATION_MEASURES}

    def derive(row: dict[str, Any]) -> None:
        for m in CONSULTATION_MEASURES:
            row[m] = int(row[m] or 0)
        row["answer_rate"] = _ratio(row["answered"], row["consultations"])
        row["answer_hours"] = _hours(row["answer_s"], row["answered"])

    for row in rows:
        derive(row)
    derive(total)
    _labels(groups, rows, CONSULTATION_GROUPS)
    return {"group_by": groups, "rows": rows, "total": total}


# -- ratings ----------------------------------------------------------------------------

RATING_FIELDS = {"receiving": "receiving_id", "handling": "handling_id", "target": "target_id"}


def _rating_qs(scope: StatsScope, f: StatsFilter) -> QuerySet:
    qs = _period(_scoped(RatingCount.objects.all(), scope, f, RATING_FIELDS), f)
    if f.item:
        qs = qs.filter(item_id=_item_id(f.item))
    if f.agreement is not None:
        qs = qs.filter(agreement_id=f.agreement)
    return qs


def _rating_rows(qs: QuerySet, groups: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Valid ratings per level, bad ratings and their tasks; annulled ratings are counted
    only as `annulled` (they leave every other figure)."""
    columns = [RATING_GROUPS[g] for g in groups]
    raw = list(
        qs.values(*columns, "level", "status", "task_status")
        .annotate(n=Sum("ratings"))
        .order_by(*columns)
    )
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in raw:
        key = tuple(r[c] for c in columns)
        row = out.get(key)
        if row is None:
            row = {c: r[c] for c in columns}
            row.update(
                {
                    "ratings": 0,
                    "points": 0,
                    "annulled": 0,
                    **{f"level_{i}": 0 for i in range(1, 6)},
                    "bad": 0,
                    "rectification_open": 0,
                    "rectification_appealed": 0,
                    "rectified": 0,
                }
            )
            out[key] = row
        n = int(r["n"] or 0)
        if r["status"] == Rating.Status.ANNULLED:
            row["annulled"] += n
            continue
        row["ratings"] += n
        row["points"] += n * r["level"]
        row[f"level_{r['level']}"] += n
        if r["level"] <= 2:
            row["bad"] += n
        task = r["task_status"]
        if task == Rectification.Status.OPEN:
            row["rectification_open"] += n
        elif task == Rectification.Status.APPEALED:
            row["rectification_appealed"] += n
        elif task == Rectification.Status.CLOSED:
            row["rectified"] += n
    rows = list(out.values())
    total: dict[str, Any] = {
        k: sum(row[k] for row in rows)
        for k in (
            "ratings",
            "points",
            "annulled",
            "level_1",
            "level_2",
            "level_3",
            "level_4",
            "level_5",
            "bad",
            "rectification_open",
            "rectification_appealed",
            "rectified",
        )
    }
    if not groups:
        rows = []

    def derive(row: dict[str, Any]) -> None:
        n = row["ratings"]
        row["average"] = round(row["points"] / n, 2) if n else None
        # 好评率: 非常满意 + 满意 + 基本满意 among valid ratings
        row["good_rate"] = _ratio(row["level_5"] + row["level_4"] + row["level_3"], n)
        row["satisfaction_rate"] = _ratio(row["level_5"] + row["level_4"], n)

    for row in rows:
        derive(row)
    derive(total)
    _labels(groups, rows, RATING_GROUPS)
    return rows, total


def rating_stats(
    user: User | AnonymousUser, f: StatsFilter, group_by: str | None
) -> dict[str, Any]:
    scope = stats_scope(user)
    groups = _group_list(group_by, RATING_GROUPS)
    if "level" in groups:
        raise Invalid(gettext_lazy("Rating figures already have a column per level."))
    rows, total = _rating_rows(_rating_qs(scope, f), groups)
    return {"group_by": groups, "rows": rows, "total": total}


# -- 帮办代办 ------------------------------------------------------------------------------

# the serving jurisdiction is the helper's (a window of the receiving place)
ASSISTANCE_FIELDS = {"receiving": "jurisdiction_id", "handling": "handling_id"}


def _assistance_qs(scope: StatsScope, f: StatsFilter) -> QuerySet:
    qs = _period(_scoped(AssistanceCount.objects.all(), scope, f, ASSISTANCE_FIELDS), f)
    if f.item:
        qs = qs.filter(item_id=_item_id(f.item))
    return qs


def assistance_stats(
    user: User | AnonymousUser, f: StatsFilter, group_by: str | None
) -> dict[str, Any]:
    """帮办代办 records: how many, 帮办 vs 代办, consent method, and per step."""
    scope = stats_scope(user)
    groups = _group_list(group_by, ASSISTANCE_GROUPS)
    qs = _assistance_qs(scope, f)
    sums = {m: Sum(m) for m in ASSISTANCE_MEASURES}
    columns = [ASSISTANCE_GROUPS[g] for g in groups]
    rows = list(qs.values(*columns).annotate(**sums).order_by(*columns)) if columns else []
    if columns:
        total = {m: sum(int(row[m] or 0) for row in rows) for m in ASSISTANCE_MEASURES}
    else:
        agg = qs.aggregate(**sums)
        total = {m: int(agg[m] or 0) for m in ASSISTANCE_MEASURES}
    for row in rows:
        for m in ASSISTANCE_MEASURES:
            row[m] = int(row[m] or 0)
    _labels(groups, rows, ASSISTANCE_GROUPS)
    return {"group_by": groups, "rows": rows, "total": total}


# -- overview and agreements ------------------------------------------------------------


def overview(user: User | AnonymousUser, f: StatsFilter) -> dict[str, Any]:
    """Headline figures for a dashboard: cases, on-time rate, consultations, ratings and
    satisfaction, high-frequency share, for the caller's scope and filters."""
    cases = case_stats(user, f, None)["total"]
    consultations = consultation_stats(user, f, None)["total"]
    ratings = rating_stats(user, f, None)["total"]
    assistance = assistance_stats(user, f, "role")
    hf = high_frequency_share(user, f, top=5)
    return {
        "cases": cases,
        "consultations": consultations,
        "ratings": ratings,
        "assistance": {
            **assistance["total"],
            **{f"role_{row['role']}": row["records"] for row in assistance["rows"]},
        },
        "high_frequency": {
            "case_share": hf["case_share"],
            "consultation_share": hf["consultation_share"],
        },
    }


def readable_agreement(user: User | AnonymousUser, agreement_id: int) -> Agreement:
    scope = stats_scope(user)
    agreement = Agreement.objects.filter(pk=agreement_id).first()
    if agreement is None:
        raise not_found("agreement")
    if not scope.everything:
        parties = set(
            AgreementParty.objects.filter(agreement=agreement).values_list(
                "jurisdiction_id", flat=True
            )
        )
        if not parties & scope.jurisdictions:
            raise not_found("agreement")
    return agreement


def agreement_stats(
    user: User | AnonymousUser,
    agreement_id: int,
    f: StatsFilter,
    group_by: str | None,
    measures: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The whole figures of one agreement, identical for every party (no leg filter).
    `measures` as in case_stats."""
    agreement = readable_agreement(user, agreement_id)
    groups = _group_list(group_by, CASE_GROUPS)
    f.jurisdiction = None
    f.agreement = agreement.pk
    by_item = _ITEM_GROUPS.intersection(groups) or f.item or f.department
    qs = _case_filters((CaseCount if by_item else CaseFlowCount).objects.all(), f)
    wanted = tuple(measures) if measures else CASE_MEASURES
    if set(wanted) - set(CASE_MEASURES):
        raise Invalid(gettext_lazy("Unknown measure."))
    rows, total = _case_rows(qs, groups, wanted)
    _, rating_total = _rating_rows(
        _period(RatingCount.objects.filter(agreement_id=agreement.pk), f), []
    )
    parties = list(
        AgreementParty.objects.filter(agreement=agreement)
        .order_by("jurisdiction__code")
        .values_list("jurisdiction__code", "jurisdiction__name")
    )
    return {
        "agreement": {
            "id": agreement.pk,
            "code": agreement.code,
            "version": agreement.version,
            "title": agreement.title,
            "parties": [{"code": c, "name": n} for c, n in parties],
        },
        "group_by": groups,
        "rows": rows,
        "total": total,
        "ratings": rating_total,
    }


def readable_agreements(user: User | AnonymousUser) -> list[dict[str, Any]]:
    scope = stats_scope(user)
    qs = Agreement.objects.all()
    if not scope.everything:
        qs = qs.filter(parties__jurisdiction__in=scope.jurisdictions).distinct()
    return [
        dict(row)
        for row in qs.order_by("code", "-version").values(
            "id", "code", "version", "title", "status"
        )
    ]


# -- for the dashboard page ---------------------------------------------------------------


def scope_jurisdictions(user: User | AnonymousUser) -> list[Jurisdiction]:
    """The jurisdictions the caller may pick on the dashboard: every active one for a
    platform admin, else those where the caller is a supervisor or jurisdiction admin."""
    scope = stats_scope(user)
    qs = Jurisdiction.objects.only("pk", "code", "name", "short_name").order_by("code")
    if scope.everything:
        return list(qs.filter(active=True))
    return list(qs.filter(pk__in=scope.jurisdictions))


def available_years(user: User | AnonymousUser) -> list[int]:
    """Years from the first to the last month with case or consultation figures inside
    the caller's scope (newest first): MIN/MAX over the count tables, whose unique key
    starts with the month."""
    scope = stats_scope(user)
    everything = StatsFilter()
    years: set[int] = set()
    for qs in (
        _scoped(CaseFlowCount.objects.all(), scope, everything, CASE_FIELDS),
        _scoped(ConsultationCount.objects.all(), scope, everything, CONSULTATION_FIELDS),
    ):
        bounds = qs.aggregate(first=Min("month"), last=Max("month"))
        if bounds["first"] is not None:
            years |= set(range(bounds["first"].year, bounds["last"].year + 1))
    return sorted(years, reverse=True)
