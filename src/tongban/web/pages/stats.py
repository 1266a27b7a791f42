"""The statistics dashboard (/stats/) as data: the figures of each chart with its data
table, export links and drill-down links. Every number comes from `stats.selectors`
(GROUP BY over the count tables, scoped to the caller); nothing here reads a model or
decides who may see what. See docs/adr/0080-dashboard.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.models import User
from tongban.cases.models import Status
from tongban.core.inputs import validate_fields
from tongban.stats import hall, selectors
from tongban.stats.api import StatsQuery
from tongban.stats.selectors import StatsFilter

# the API the export links point at (session-authenticated, same filters)
STATS_API = "/api/v1/stats/"
ONLINE_CHANNELS = ("web", "app")
CHANNEL_ORDER = ("window", "terminal", "web", "app")
CONSULTATION_CHANNEL_ORDER = ("window", "hotline", "online", "terminal")
CASE_LEGS = (
    ("receipt", gettext_noop("收件→材料流转")),
    ("transfer", gettext_noop("流转→受理")),
    ("review", gettext_noop("受理→决定")),
    ("delivery", gettext_noop("决定→送达")),
    ("total", gettext_noop("收件→办结(全程)")),
)
LEVELS = (
    (5, gettext_noop("非常满意")),
    (4, gettext_noop("满意")),
    (3, gettext_noop("基本满意")),
    (2, gettext_noop("不满意")),
    (1, gettext_noop("非常不满意")),
)
# the sums each figure needs (every sum costs time on every count row read)
MONTH_MEASURES = ("cases", "decided", "on_time", "completed", "total_n", "total_s")
LEG_MEASURES = ("cases", *(f"{leg}_{x}" for leg, _label in CASE_LEGS for x in "ns"))
AGREEMENT_MEASURES = ("cases", "decided", "on_time", "completed")
TOP_ITEMS = 15
# figures that take the whole width of the page (the others go two by two)
WIDE_FIGURES = ("cases-by-month", "items", "flow", "consultations")
TOP_FLOWS = 40
# labels that come from the selectors in Chinese and are not in the web catalogue
_EXTRACTED = [
    gettext_noop("热线电话"),
    gettext_noop("网上咨询"),
    gettext_noop("网办(无收件地)"),
    gettext_noop("未指定事项"),
    gettext_noop("无协议"),
    gettext_noop("高频事项"),
    gettext_noop("其他事项"),
]


# -- the query --------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardQuery:
    """The page's filters: a period of whole months, one jurisdiction of the caller's
    scope (or all of it) and its leg."""

    month_from: dt.date
    month_to: dt.date
    jurisdiction: str | None = None
    leg: str = "any"

    @property
    def year(self) -> int | None:
        if (self.month_from.month, self.month_to.month) == (1, 12) and (
            self.month_from.year == self.month_to.year
        ):
            return self.month_from.year
        return None

    def stats_filter(self, **extra: Any) -> StatsFilter:
        return StatsFilter(
            month_from=self.month_from,
            month_to=self.month_to,
            jurisdiction=self.jurisdiction,
            leg=self.leg,
            **extra,
        )

    def months(self, today: dt.date | None = None) -> list[dt.date]:
        """Every month of the period, up to the current month (a period in the future
        keeps its first month)."""
        current = (today or timezone.localdate()).replace(day=1)
        last = min(self.month_to, max(self.month_from, current))
        out, month = [], self.month_from
        while month <= last:
            out.append(month)
            month = selectors.add_months(month, 1)
        return out

    def params(self, **extra: Any) -> dict[str, str]:
        """The filters as API / page query parameters (defaults left out)."""
        out = {"from_month": f"{self.month_from:%Y-%m}", "to_month": f"{self.month_to:%Y-%m}"}
        if self.jurisdiction:
            out["jurisdiction"] = self.jurisdiction
        if self.leg != "any":
            out["leg"] = self.leg
        out.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return out


def parse_query(query: Mapping[str, str], today: dt.date | None = None) -> DashboardQuery:
    """`year=2022`, or `from_month=2022-01&to_month=2022-06` (a missing end is the end of
    the start's year, a missing start the start of the end's year); by default the
    current year. `jurisdiction=<code>` and `leg=any|receiving|handling`. The API's
    contract for the same filters (`StatsQuery`), read by the same function
    (`stats.selectors.parse_period`), so the page refuses what the API refuses."""
    checked = validate_fields(
        StatsQuery,
        {
            "from_month": query.get("from_month") or None,
            "to_month": query.get("to_month") or None,
            "jurisdiction": query.get("jurisdiction") or None,
            "leg": query.get("leg") or "any",
        },
    )
    start, end, leg = selectors.parse_period(
        checked["from_month"],
        checked["to_month"],
        checked["leg"],
        year=query.get("year") or None,
        whole=True,
        today=today,
    )
    assert start is not None and end is not None
    return DashboardQuery(start, end, (checked["jurisdiction"] or "").strip() or None, leg)


# -- page parts -------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    href: str = ""
    number: bool = False
    value: Any = None  # raw value, for data attributes (tests, scripts)


@dataclass
class Figure:
    key: str
    title: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: dict[str, Any]
    foot: list[Cell] | None = None
    exports: dict[str, str] = field(default_factory=dict)
    empty: bool = False
    wide: bool = False  # takes the whole width of the page


@dataclass
class Kpi:
    key: str
    label: str
    text: str
    value: Any
    note: str = ""


@dataclass
class Dashboard:
    query: DashboardQuery
    kpis: list[Kpi]
    figures: list[Figure]
    agreements: list[dict[str, Any]]


def num(value: int | float | None) -> Cell:
    if value is None:
        return Cell("—", number=True, value=None)
    if isinstance(value, float):
        return Cell(f"{value:,.2f}", number=True, value=value)
    return Cell(f"{value:,}", number=True, value=value)


def pct(value: float | None) -> Cell:
    if value is None:
        return Cell("—", number=True, value=None)
    return Cell(f"{value * 100:.1f}%", number=True, value=value)


def text(value: str, href: str = "") -> Cell:
    return Cell(value, href=href)


def _exports(endpoint: str, query: DashboardQuery, **extra: Any) -> dict[str, str]:
    return {
        fmt: f"{STATS_API}{endpoint}?{urlencode(query.params(**extra, format=fmt))}"
        for fmt in ("csv", "xlsx")
    }


_EVERY_STATUS = urlencode([("status", s) for s in Status.values])


def queue_link(
    query: DashboardQuery,
    *,
    jurisdiction: str | None = None,
    side: str | None = None,
    item: str | None = None,
    receiving: str | None = None,
) -> str:
    """The workbench's case queue with the figure's filters and every status (the queue
    shows open cases only unless told otherwise). The queue has no period filter: it
    lists the cases of every month."""
    params: list[tuple[str, str]] = []
    code = jurisdiction or query.jurisdiction
    if code:
        params.append(("jurisdiction", code))
        leg = side or (query.leg if query.leg != "any" else None)
        if leg:
            params.append(("side", leg))
    if item:
        params.append(("item", item))
    if receiving:
        params.append(("receiving", receiving))
    head = urlencode(params)
    return f"{reverse('web:queue')}?{head}{'&' if head else ''}{_EVERY_STATUS}"


def _month_label(month: dt.date) -> str:
    return _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}


def _ordered(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    present = set(codes)
    return [c for c in order if c in present] + sorted(present - set(order))


def _pivot(
    rows: list[dict[str, Any]], months: list[dt.date], series_key: str, measure: str
) -> dict[str, list[int]]:
    index = {f"{m:%Y-%m}": i for i, m in enumerate(months)}
    out: dict[str, list[int]] = {}
    for row in rows:
        i = index.get(row["month"])
        if i is None:
            continue
        out.setdefault(row[series_key], [0] * len(months))[i] += row[measure]
    return out


# -- the figures ------------------------------------------------------------------------


def _cases_by_month(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    labels = {r["channel"]: _(r["channel_label"]) for r in data["rows"]}
    per = _pivot(data["rows"], months, "channel", "cases")
    channels = _ordered(per, CHANNEL_ORDER)
    rows = []
    for i, month in enumerate(months):
        values = [per[c][i] for c in channels]
        rows.append([text(_month_label(month)), *map(num, values), num(sum(values))])
    foot = [text(_("合计")), *(num(sum(per[c])) for c in channels), num(data["total"]["cases"])]
    return Figure(
        key="cases-by-month",
        title=_("办件量(按月、按渠道)"),
        caption=_("按收件月份统计的办件量,按收件渠道分色。"),
        columns=[_("月份"), *(labels[c] for c in channels), _("合计")],
        rows=rows,
        foot=foot,
        chart={
            "type": "stacked",
            "categories": [_month_label(m) for m in months],
            "series": [{"name": labels[c], "data": per[c]} for c in channels],
            "unit": _("件"),
        },
        exports=_exports("cases", query, group_by="month,channel"),
        empty=not data["total"]["cases"],
    )


def _by_channel(query: DashboardQuery, data: dict[str, Any]) -> Figure:
    per: dict[str, int] = {}
    for row in data["rows"]:
        per[row["channel"]] = per.get(row["channel"], 0) + row["cases"]
    total = sum(per.values())
    groups = [
        ("window", _("大厅窗口"), per.get("window", 0)),
        ("terminal", _("自助终端"), per.get("terminal", 0)),
        ("online", _("网上(网站、移动端)"), sum(per.get(c, 0) for c in ONLINE_CHANNELS)),
    ]
    rows = [
        [text(label), num(n), pct(round(n / total, 4) if total else None)]
        for _code, label, n in groups
    ]
    return Figure(
        key="channels",
        title=_("收件渠道:自助终端、大厅窗口与网上"),
        caption=_("办件按收件渠道的构成。"),
        columns=[_("渠道"), _("办件量"), _("占比")],
        rows=rows,
        foot=[text(_("合计")), num(total), pct(1.0 if total else None)],
        chart={
            "type": "pie",
            "items": [{"name": label, "value": n, "code": code} for code, label, n in groups],
            "unit": _("件"),
        },
        exports=_exports("cases", query, group_by="channel"),
        empty=not total,
    )


def _items(query: DashboardQuery, data: dict[str, Any]) -> tuple[Figure, dict[str, int]]:
    per: dict[str, dict[str, Any]] = {}
    hf_cases = 0
    for row in data["rows"]:
        entry = per.setdefault(
            row["item"], {"label": row["item_label"], "cases": 0, "hf": bool(row["high_frequency"])}
        )
        entry["cases"] += row["cases"]
        if row["high_frequency"]:
            hf_cases += row["cases"]
    total = data["total"]["cases"]
    ranked = sorted(per.items(), key=lambda kv: (-kv[1]["cases"], kv[0]))
    top = ranked[:TOP_ITEMS]
    rest = sum(entry["cases"] for _code, entry in ranked[TOP_ITEMS:])
    rows = []
    for code, entry in top:
        link = queue_link(query, item=code) if code else ""
        rows.append(
            [
                text(entry["label"], link),
                text(_("是") if entry["hf"] else _("否")),
                num(entry["cases"]),
                pct(round(entry["cases"] / total, 4) if total else None),
            ]
        )
    if rest:
        rows.append([text(_("其他事项")), text(""), num(rest), pct(round(rest / total, 4))])
    figure = Figure(
        key="items",
        title=_("办件量前%(n)d的事项") % {"n": TOP_ITEMS},
        caption=_("深色为高频事项;点击事项查看其办件。"),
        columns=[_("事项"), _("高频事项"), _("办件量"), _("占比")],
        rows=rows,
        foot=[text(_("合计")), text(""), num(total), pct(1.0 if total else None)],
        chart={
            "type": "hbar",
            "categories": [entry["label"] for _code, entry in top],
            "values": [entry["cases"] for _code, entry in top],
            "highlight": [entry["hf"] for _code, entry in top],
            "links": [queue_link(query, item=code) if code else "" for code, _entry in top],
            "unit": _("件"),
            "highlight_name": _("高频事项"),
            "other_name": _("其他事项"),
        },
        exports=_exports("cases", query, group_by="item,high_frequency"),
        empty=not total,
    )
    return figure, {"cases": total, "high_frequency": hf_cases}


def _high_frequency(query: DashboardQuery, hf: dict[str, Any]) -> Figure:
    rows = [
        [
            text(_("办件")),
            num(hf["cases"]),
            num(hf["high_frequency_cases"]),
            pct(hf["case_share"]),
        ],
        [
            text(_("咨询")),
            num(hf["consultations"]),
            num(hf["high_frequency_consultations"]),
            pct(hf["consultation_share"]),
        ],
    ]
    return Figure(
        key="high-frequency",
        title=_("高频事项占比"),
        caption=_("高频事项(如户口迁移、驾驶证、结婚登记)在办件和咨询中的占比。"),
        columns=[_("类别"), _("总量"), _("高频事项"), _("占比")],
        rows=rows,
        chart={
            "type": "share",
            "items": [
                {"name": _("办件"), "value": hf["case_share"] or 0},
                {"name": _("咨询"), "value": hf["consultation_share"] or 0},
            ],
        },
        exports=_exports("high-frequency", query),
        empty=not (hf["cases"] or hf["consultations"]),
    )


def _flow(query: DashboardQuery, flow: dict[str, Any]) -> Figure:
    rows_in = sorted(flow["rows"], key=lambda r: (-r["cases"], r["receiving"], r["handling"]))
    # the heat map keeps the places with the most cases
    volume: dict[tuple[str, str], int] = {}
    for r in rows_in:
        volume[("r", r["receiving"])] = volume.get(("r", r["receiving"]), 0) + r["cases"]
        volume[("h", r["handling"])] = volume.get(("h", r["handling"]), 0) + r["cases"]
    receiving = sorted(
        {r["receiving"]: _(r["receiving_label"]) for r in rows_in}.items(),
        key=lambda kv: -volume[("r", kv[0])],
    )[:20]
    handling = sorted(
        {r["handling"]: r["handling_label"] for r in rows_in}.items(),
        key=lambda kv: -volume[("h", kv[0])],
    )[:20]
    x_index = {code: i for i, (code, _label) in enumerate(handling)}
    y_index = {code: i for i, (code, _label) in enumerate(receiving)}
    cells, links, table = [], {}, []
    for index, r in enumerate(rows_in):
        x, y = x_index.get(r["handling"]), y_index.get(r["receiving"])
        if (x is None or y is None) and index >= TOP_FLOWS:
            continue
        link = _flow_link(query, r)
        if x is not None and y is not None:
            cells.append([x, y, r["cases"]])
            links[f"{x},{y}"] = link
        if index < TOP_FLOWS:
            table.append(
                [
                    text(_(r["receiving_label"])),
                    text(r["handling_label"]),
                    Cell(f"{r['cases']:,}", href=link, number=True, value=r["cases"]),
                    num(r["completed"]),
                ]
            )
    return Figure(
        key="flow",
        title=_("收件地→办理地流向"),
        caption=_("每格为从收件地(行)转往办理地(列)的办件量;点击查看办件。"),
        columns=[_("收件地"), _("办理地"), _("办件量"), _("已办结")],
        rows=table,
        chart={
            "type": "heatmap",
            "x": [label for _code, label in handling],
            "y": [label for _code, label in receiving],
            "data": cells,
            "links": links,
            "x_name": _("办理地"),
            "y_name": _("收件地"),
            "unit": _("件"),
        },
        exports=_exports("flow", query),
        empty=not rows_in,
    )


def _flow_link(query: DashboardQuery, row: dict[str, Any]) -> str:
    return queue_link(
        query,
        jurisdiction=row["handling"],
        side="handling",
        receiving=row["receiving"] or None,
    )


def _on_time(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    by_month = {r["month"]: r for r in data["rows"]}
    rows, decided, rates = [], [], []
    for month in months:
        r = by_month.get(f"{month:%Y-%m}")
        d = r["decided"] if r else 0
        o = r["on_time"] if r else 0
        rate = r["on_time_rate"] if r else None
        decided.append(d)
        rates.append(None if rate is None else round(rate * 100, 1))
        rows.append([text(_month_label(month)), num(d), num(o), pct(rate)])
    total = data["total"]
    return Figure(
        key="on-time",
        title=_("按时办结率(按月)"),
        caption=_("在承诺期限内作出决定的办件占已作出决定办件的比例。"),
        columns=[_("月份"), _("已作出决定"), _("按时决定"), _("按时率")],
        rows=rows,
        foot=[
            text(_("合计")),
            num(total["decided"]),
            num(total["on_time"]),
            pct(total["on_time_rate"]),
        ],
        chart={
            "type": "bar_line",
            "categories": [_month_label(m) for m in months],
            "bars": {"name": _("已作出决定"), "data": decided},
            "line": {"name": _("按时率"), "data": rates},
            "unit": _("件"),
        },
        exports=_exports("cases", query, group_by="month"),
        empty=not total["decided"],
    )


def _legs(query: DashboardQuery, data: dict[str, Any]) -> Figure:
    modes = [(r["mode"], _(r["mode_label"]), r) for r in data["rows"]]
    series = [(_("全部"), data["total"])] + [(label, r) for _code, label, r in modes]
    rows = []
    for leg, label in CASE_LEGS:
        rows.append(
            [text(_(label))]
            + [num(r[f"{leg}_hours"]) for _name, r in series]
            + [num(data["total"][f"{leg}_n"])]
        )
    return Figure(
        key="legs",
        title=_("各环节平均用时(小时)"),
        caption=_("按通办模式的各环节平均用时(自然时间,小时);网办无收件、流转环节。"),
        columns=[_("环节"), *(name for name, _r in series), _("经历该环节的办件")],
        rows=rows,
        chart={
            "type": "grouped",
            "categories": [_(label) for _leg, label in CASE_LEGS],
            "series": [
                {"name": name, "data": [r[f"{leg}_hours"] for leg, _l in CASE_LEGS]}
                for name, r in series
            ],
            "unit": _("小时"),
        },
        exports=_exports("cases", query, group_by="mode"),
        empty=not data["total"]["cases"],
    )


def _consultations(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    labels = {r["channel"]: _(r["channel_label"]) for r in data["rows"]}
    per = _pivot(data["rows"], months, "channel", "consultations")
    channels = _ordered(per, CONSULTATION_CHANNEL_ORDER)
    rows = []
    for i, month in enumerate(months):
        values = [per[c][i] for c in channels]
        rows.append([text(_month_label(month)), *map(num, values), num(sum(values))])
    total = data["total"]
    return Figure(
        key="consultations",
        title=_("咨询量(按月、按渠道)"),
        caption=_("按咨询月份统计,按渠道分色;转办的咨询计入首问管辖地和转办管辖地。"),
        columns=[_("月份"), *(labels[c] for c in channels), _("合计")],
        rows=rows,
        foot=[text(_("合计")), *(num(sum(per[c])) for c in channels), num(total["consultations"])],
        chart={
            "type": "stacked",
            "categories": [_month_label(m) for m in months],
            "series": [{"name": labels[c], "data": per[c]} for c in channels],
            "unit": _("件"),
        },
        exports=_exports("consultations", query, group_by="month,channel"),
        empty=not total["consultations"],
    )


def _rating_levels(query: DashboardQuery, data: dict[str, Any]) -> Figure:
    total = data["total"]
    n = total["ratings"]
    rows = [
        [
            text(_(label)),
            num(total[f"level_{level}"]),
            pct(round(total[f"level_{level}"] / n, 4) if n else None),
        ]
        for level, label in LEVELS
    ]
    return Figure(
        key="rating-levels",
        title=_("好差评:评价等级"),
        caption=_("有效评价按等级的分布;复核撤销的差评不计入。"),
        columns=[_("等级"), _("评价数"), _("占比")],
        rows=rows,
        foot=[text(_("合计")), num(n), pct(1.0 if n else None)],
        chart={
            "type": "pie",
            "items": [
                {"name": _(label), "value": total[f"level_{level}"], "code": str(level)}
                for level, label in LEVELS
            ],
            "unit": _("条"),
            "colors": ["#1a7f37", "#4caf50", "#c9a227", "#e07b39", "#c62828"],
        },
        exports=_exports("ratings", query),
        empty=not n,
    )


def _satisfaction(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    by_month = {r["month"]: r for r in data["rows"]}
    rows, counts, good, satisfied = [], [], [], []
    for month in months:
        r = by_month.get(f"{month:%Y-%m}")
        counts.append(r["ratings"] if r else 0)
        good.append(round(r["good_rate"] * 100, 1) if r and r["good_rate"] is not None else None)
        satisfied.append(
            round(r["satisfaction_rate"] * 100, 1)
            if r and r["satisfaction_rate"] is not None
            else None
        )
        rows.append(
            [
                text(_month_label(month)),
                num(r["ratings"] if r else 0),
                num(r["average"] if r else None),
                pct(r["good_rate"] if r else None),
                pct(r["satisfaction_rate"] if r else None),
                num(r["bad"] if r else 0),
                num(r["rectified"] if r else 0),
                num(r["annulled"] if r else 0),
            ]
        )
    t = data["total"]
    return Figure(
        key="satisfaction",
        title=_("满意度(按月)"),
        caption=_("好评率为非常满意、满意、基本满意之和的占比;满意率为非常满意与满意之和的占比。"),
        columns=[
            _("月份"),
            _("有效评价"),
            _("平均分"),
            _("好评率"),
            _("满意率"),
            _("差评"),
            _("已整改"),
            _("复核撤销"),
        ],
        rows=rows,
        foot=[
            text(_("合计")),
            num(t["ratings"]),
            num(t["average"]),
            pct(t["good_rate"]),
            pct(t["satisfaction_rate"]),
            num(t["bad"]),
            num(t["rectified"]),
            num(t["annulled"]),
        ],
        chart={
            "type": "bar_line",
            "categories": [_month_label(m) for m in months],
            "bars": {"name": _("有效评价"), "data": counts},
            "line": {"name": _("好评率"), "data": good},
            "line2": {"name": _("满意率"), "data": satisfied},
            "unit": _("条"),
        },
        exports=_exports("ratings", query, group_by="month"),
        empty=not t["ratings"] and not t["annulled"],
    )


ASSISTANCE_ROLE_ORDER = ("help", "act")
ASSISTANCE_STEP_LABELS = (
    ("fill_form", gettext_noop("填写申请表")),
    ("scan", gettext_noop("扫描上传材料")),
    ("submit", gettext_noop("提交申请")),
    ("follow_up", gettext_noop("跟踪办理进度")),
    ("collect_result", gettext_noop("领取办理结果")),
)


def _assistance(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    """帮办代办 records per month, 帮办 and 代办 stacked; the table adds the steps."""
    labels = {"help": _("帮办"), "act": _("代办")}
    per = _pivot(data["rows"], months, "role", "records")
    roles = _ordered(per, ASSISTANCE_ROLE_ORDER)
    steps = {
        key: _pivot(data["rows"], months, "role", key) for key, _label in ASSISTANCE_STEP_LABELS
    }
    rows = []
    for i, month in enumerate(months):
        values = [per[r][i] for r in roles]
        step_values = [sum(v[i] for v in steps[key].values()) for key, _l in ASSISTANCE_STEP_LABELS]
        rows.append(
            [text(_month_label(month)), *map(num, values), num(sum(values)), *map(num, step_values)]
        )
    total = data["total"]
    return Figure(
        key="assistance",
        title=_("帮办代办(按月)"),
        caption=_("只统计窗口人员登记的帮办代办记录(含申请人同意方式和环节);普通窗口收件不计入。"),
        columns=[
            _("月份"),
            *(labels.get(r, r) for r in roles),
            _("合计"),
            *(_(label) for _key, label in ASSISTANCE_STEP_LABELS),
        ],
        rows=rows,
        foot=[
            text(_("合计")),
            *(num(sum(per[r])) for r in roles),
            num(total["records"]),
            *(num(total[key]) for key, _label in ASSISTANCE_STEP_LABELS),
        ],
        chart={
            "type": "stacked",
            "categories": [_month_label(m) for m in months],
            "series": [{"name": labels.get(r, r), "data": per[r]} for r in roles],
            "unit": _("件"),
        },
        exports=_exports("assistance", query, group_by="month,role"),
        empty=not total["records"],
    )


def _hall_queue(query: DashboardQuery, data: dict[str, Any]) -> Figure:
    """排队叫号 per hour of the day: tickets taken, served, average waiting and service."""
    rows = [
        [
            text(r["hour_label"]),
            num(r["tickets"]),
            num(r["booked"]),
            num(r["served"]),
            num(r["skipped"]),
            num(r["average_wait_minutes"]),
            num(r["average_service_minutes"]),
        ]
        for r in data["rows"]
    ]
    t = data["total"]
    return Figure(
        key="hall-queue",
        title=_("大厅排队叫号(按取号时段)"),
        caption=_("等候:取号至首次叫号;办理:首次叫号至办理完毕。预约签到号在其时段内优先叫号。"),
        columns=[
            _("时段"),
            _("取号"),
            _("预约签到"),
            _("已办理"),
            _("过号"),
            _("平均等候(分钟)"),
            _("平均办理(分钟)"),
        ],
        rows=rows,
        foot=[
            text(_("合计")),
            num(t["tickets"]),
            num(t["booked"]),
            num(t["served"]),
            num(t["skipped"]),
            num(t["average_wait_minutes"]),
            num(t["average_service_minutes"]),
        ],
        chart={
            "type": "stacked",
            "categories": [r["hour_label"] for r in data["rows"]],
            "series": [{"name": _("取号"), "data": [r["tickets"] for r in data["rows"]]}],
            "unit": _("个"),
        },
        exports=_exports("hall/queue", query, group_by="centre,hour"),
        empty=not t["tickets"],
    )


def _hall_bookings(query: DashboardQuery, months: list[dt.date], data: dict[str, Any]) -> Figure:
    """预约 per month: booked, kept, missed (爽约), cancelled."""
    by_month = {r["month"]: r for r in data["rows"]}
    measures = ("bookings", "kept", "missed", "cancelled")
    rows = []
    for month in months:
        r = by_month.get(f"{month:%Y-%m}", {})
        rows.append([text(_month_label(month)), *(num(r.get(m, 0)) for m in measures)])
    t = data["total"]
    return Figure(
        key="hall-bookings",
        title=_("预约履约(按月)"),
        caption=_("按约到场:当天签到取号;爽约:时段结束仍未签到。"),
        columns=[_("月份"), _("预约"), _("按约到场"), _("爽约"), _("已取消")],
        rows=rows,
        foot=[text(_("合计")), *(num(t[m]) for m in measures)],
        chart={
            "type": "stacked",
            "categories": [_month_label(m) for m in months],
            "series": [
                {
                    "name": _("按约到场"),
                    "data": [by_month.get(f"{m:%Y-%m}", {}).get("kept", 0) for m in months],
                },
                {
                    "name": _("爽约"),
                    "data": [by_month.get(f"{m:%Y-%m}", {}).get("missed", 0) for m in months],
                },
            ],
            "unit": _("个"),
        },
        exports=_exports("hall/bookings", query, group_by="month,centre"),
        empty=not t["bookings"],
    )


def _hall_kpis(queue: dict[str, Any], bookings: dict[str, Any]) -> list[Kpi]:
    wait = queue["total"]["average_wait_minutes"]
    rate = bookings["total"]["kept_rate"]
    return [
        Kpi(
            "hall-wait",
            _("大厅平均等候"),
            "—" if wait is None else _("%(m).1f 分钟") % {"m": wait},
            wait,
            _("取号 %(n)s") % {"n": f"{queue['total']['tickets']:,}"},
        ),
        Kpi(
            "hall-kept",
            _("预约履约率"),
            "—" if rate is None else f"{rate * 100:.1f}%",
            rate,
            _("爽约 %(n)s") % {"n": f"{bookings['total']['missed']:,}"},
        ),
    ]


def _hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours >= 48:
        return _("%(days).1f 天") % {"days": hours / 24}
    return _("%(hours).1f 小时") % {"hours": hours}


def _kpis(
    cases: dict[str, Any],
    items: dict[str, int],
    consultations: dict[str, Any],
    ratings: dict[str, Any],
    assistance: dict[str, Any] | None = None,
) -> list[Kpi]:
    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    hf_share = round(items["high_frequency"] / items["cases"], 4) if items["cases"] else None
    return [
        Kpi("cases", _("办件量"), f"{cases['cases']:,}", cases["cases"]),
        Kpi("completed", _("已办结"), f"{cases['completed']:,}", cases["completed"]),
        Kpi(
            "on-time",
            _("按时办结率"),
            rate(cases["on_time_rate"]),
            cases["on_time_rate"],
            _("%(n)s 件已作出决定") % {"n": f"{cases['decided']:,}"},
        ),
        Kpi(
            "total-time",
            _("平均办理用时"),
            _hours_text(cases["total_hours"]),
            cases["total_hours"],
            _("收件至办结"),
        ),
        Kpi(
            "high-frequency",
            _("高频事项办件占比"),
            rate(hf_share),
            hf_share,
            _("%(n)s 件") % {"n": f"{items['high_frequency']:,}"},
        ),
        Kpi(
            "consultations",
            _("咨询量"),
            f"{consultations['consultations']:,}",
            consultations["consultations"],
            _("答复率 %(rate)s") % {"rate": rate(consultations["answer_rate"])},
        ),
        Kpi("ratings", _("有效评价"), f"{ratings['ratings']:,}", ratings["ratings"]),
        Kpi(
            "good-rate",
            _("好评率"),
            rate(ratings["good_rate"]),
            ratings["good_rate"],
            _("差评 %(bad)s,已整改 %(fixed)s")
            % {"bad": ratings["bad"], "fixed": ratings["rectified"]},
        ),
        *(
            [
                Kpi(
                    "assistance",
                    _("帮办代办"),
                    f"{assistance['records']:,}",
                    assistance["records"],
                    _("其中代办 %(n)s") % {"n": f"{assistance['act']:,}"},
                )
            ]
            if assistance is not None
            else []
        ),
    ]


def build(
    user: User | AnonymousUser, query: DashboardQuery, *, today: dt.date | None = None
) -> Dashboard:
    """Every figure of the dashboard for `user` (scope errors propagate: 403 / 404)."""
    f = query.stats_filter
    months = query.months(today)
    by_month_channel = selectors.case_stats(user, f(), "month,channel", ("cases",))
    by_item = selectors.case_stats(user, f(), "item,high_frequency", ("cases",))
    by_month = selectors.case_stats(user, f(), "month", MONTH_MEASURES)
    by_mode = selectors.case_stats(user, f(), "mode", LEG_MEASURES)
    flow = selectors.flow_matrix(user, f())
    hf = selectors.high_frequency_share(user, f(), top=0)
    consultations = selectors.consultation_stats(user, f(), "month,channel")
    ratings = selectors.rating_stats(user, f(), "month")
    assistance = selectors.assistance_stats(user, f(), "month,role")
    items_figure, item_totals = _items(query, by_item)
    figures = [
        _cases_by_month(query, months, by_month_channel),
        _by_channel(query, by_month_channel),
        _high_frequency(query, hf),
        items_figure,
        _flow(query, flow),
        _on_time(query, months, by_month),
        _legs(query, by_mode),
        _consultations(query, months, consultations),
        _rating_levels(query, ratings),
        _satisfaction(query, months, ratings),
        _assistance(query, months, assistance),
    ]
    queue = hall.queue_stats(user, f(), "hour")
    bookings = hall.booking_stats(user, f(), "month")
    figures += [_hall_queue(query, queue), _hall_bookings(query, months, bookings)]
    for figure in figures:
        figure.wide = figure.key in WIDE_FIGURES
    return Dashboard(
        query=query,
        kpis=_kpis(
            by_month["total"],
            item_totals,
            consultations["total"],
            ratings["total"],
            {
                **assistance["total"],
                "act": sum(r["records"] for r in assistance["rows"] if r["role"] == "act"),
            },
        )
        + _hall_kpis(queue, bookings),
        figures=figures,
        agreements=selectors.readable_agreements(user),
    )


def chart_data(figures: Sequence[Figure]) -> dict[str, Any]:
    """What dashboard.js draws: one entry per figure, keyed by its id."""
    return {figure.key: {**figure.chart, "title": figure.title} for figure in figures}


# -- one agreement ---------------------------------------------------------------------


def _side_figure(
    key: str,
    title: str,
    query: DashboardQuery,
    agreement_id: int,
    data: dict[str, Any],
    group: str,
    link: Callable[[dict[str, Any]], str],
) -> Figure:
    rows = sorted(data["rows"], key=lambda r: (-r["cases"], r[group]))
    return Figure(
        key=key,
        title=title,
        caption=_("协议各方看到的是同一组数字。"),
        columns=[_("管辖地"), _("办件量"), _("已办结"), _("按时率")],
        rows=[
            [
                text(_(r[f"{group}_label"]), link(r)),
                num(r["cases"]),
                num(r["completed"]),
                pct(r["on_time_rate"]),
            ]
            for r in rows
        ],
        foot=[
            text(_("合计")),
            num(data["total"]["cases"]),
            num(data["total"]["completed"]),
            pct(data["total"]["on_time_rate"]),
        ],
        chart={
            "type": "hbar",
            "categories": [_(r[f"{group}_label"]) for r in rows],
            "values": [r["cases"] for r in rows],
            "highlight": [False for _r in rows],
            "links": [link(r) for r in rows],
            "unit": _("件"),
        },
        exports=_exports(f"agreements/{agreement_id}", query, group_by=group),
        empty=not data["total"]["cases"],
    )


@dataclass
class AgreementPage:
    query: DashboardQuery
    agreement: dict[str, Any]
    kpis: list[Kpi]
    figures: list[Figure]


def build_agreement(
    user: User | AnonymousUser,
    agreement_id: int,
    query: DashboardQuery,
    *,
    today: dt.date | None = None,
) -> AgreementPage:
    """The whole figures of one agreement: the same for every party (no leg, no
    jurisdiction filter)."""
    whole = DashboardQuery(query.month_from, query.month_to)
    months = whole.months(today)
    by_month = selectors.agreement_stats(user, agreement_id, whole.stats_filter(), "month")
    by_handling = selectors.agreement_stats(user, agreement_id, whole.stats_filter(), "handling")
    by_receiving = selectors.agreement_stats(user, agreement_id, whole.stats_filter(), "receiving")
    per_month = {r["month"]: r for r in by_month["rows"]}
    month_rows = []
    for month in months:
        r = per_month.get(f"{month:%Y-%m}")
        month_rows.append(
            [
                text(_month_label(month)),
                num(r["cases"] if r else 0),
                num(r["completed"] if r else 0),
                pct(r["on_time_rate"] if r else None),
            ]
        )
    total = by_month["total"]
    monthly = Figure(
        wide=True,
        key="agreement-months",
        title=_("协议办件量(按月)"),
        caption=_("协议各方看到的是同一组数字。"),
        columns=[_("月份"), _("办件量"), _("已办结"), _("按时率")],
        rows=month_rows,
        foot=[
            text(_("合计")),
            num(total["cases"]),
            num(total["completed"]),
            pct(total["on_time_rate"]),
        ],
        chart={
            "type": "stacked",
            "categories": [_month_label(m) for m in months],
            "series": [
                {
                    "name": _("办件量"),
                    "data": [(per_month.get(f"{m:%Y-%m}") or {}).get("cases", 0) for m in months],
                }
            ],
            "unit": _("件"),
        },
        exports=_exports(f"agreements/{agreement_id}", whole, group_by="month"),
        empty=not total["cases"],
    )
    ratings = by_month["ratings"]
    return AgreementPage(
        query=whole,
        agreement=by_month["agreement"],
        kpis=[
            Kpi("cases", _("办件量"), f"{total['cases']:,}", total["cases"]),
            Kpi("completed", _("已办结"), f"{total['completed']:,}", total["completed"]),
            Kpi(
                "on-time",
                _("按时办结率"),
                "—" if total["on_time_rate"] is None else f"{total['on_time_rate'] * 100:.1f}%",
                total["on_time_rate"],
            ),
            Kpi("ratings", _("有效评价"), f"{ratings['ratings']:,}", ratings["ratings"]),
            Kpi(
                "good-rate",
                _("好评率"),
                "—" if ratings["good_rate"] is None else f"{ratings['good_rate'] * 100:.1f}%",
                ratings["good_rate"],
            ),
        ],
        figures=[
            monthly,
            _side_figure(
                "agreement-handling",
                _("按办理地"),
                whole,
                agreement_id,
                by_handling,
                "handling",
                lambda r: queue_link(whole, jurisdiction=r["handling"], side="handling"),
            ),
            _side_figure(
                "agreement-receiving",
                _("按收件地"),
                whole,
                agreement_id,
                by_receiving,
                "receiving",
                lambda r: (
                    queue_link(whole, jurisdiction=r["receiving"], side="receiving")
                    if r["receiving"]
                    else ""
                ),
            ),
        ],
    )
