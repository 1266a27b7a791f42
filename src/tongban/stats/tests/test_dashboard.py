"""The dashboard page /stats/ and an agreement's page: who sees what, the figures shown
(the same numbers as the API, and the seed's 2022 figures after seed-history), the
export and drill-down links, bad filters."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from tongban.demo.history import DONGHU as HISTORY_DONGHU
from tongban.demo.history import GEDIAN as HISTORY_GEDIAN
from tongban.demo.history import targets_for
from tongban.stats.tests.helpers import (
    DONGHU,
    GEDIAN,
    HUANGZHOU,
    JIANGXIA,
    KAITIE,
    client_for,
)

# from the first case of the fixture to now (the rated case was completed an hour ago)
PERIOD = f"from_month=2024-01&to_month={timezone.localdate():%Y-%m}"
MONTHS = (timezone.localdate().year - 2024) * 12 + timezone.localdate().month


class _Page(HTMLParser):
    """KPI values (data-value) and table cells by data-testid."""

    def __init__(self) -> None:
        super().__init__()
        self.kpis: dict[str, str] = {}
        self.tables: dict[str, list[list[dict[str, str]]]] = {}
        self.charts: dict[str, Any] = {}
        self._kpi: str | None = None
        self._table: str | None = None
        self._cell: dict[str, str] | None = None
        self._json = False
        self._json_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        testid = a.get("data-testid", "")
        if tag == "li" and testid.startswith("kpi-"):
            self._kpi = testid[4:]
        elif tag == "strong" and self._kpi and "data-value" in a:
            self.kpis[self._kpi] = a["data-value"]
        elif tag == "table" and testid.startswith("table-"):
            self._table = testid[6:]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table and self.tables[self._table]:
            self._cell = {"text": "", "value": a.get("data-value", ""), "href": ""}
            self.tables[self._table][-1].append(self._cell)
        elif tag == "a" and self._cell is not None:
            self._cell["href"] = a.get("href", "")
        elif tag == "script" and a.get("id") == "stats-charts":
            self._json = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._kpi = None
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "script" and self._json:
            self._json = False
            self.charts = json.loads(self._json_text)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data.strip()
        if self._json:
            self._json_text += data

    def column(self, table: str, label: str, column: int) -> str:
        """The data-value of `column` in the row whose first cell is `label`."""
        for row in self.tables[table]:
            if row and row[0]["text"] == label:
                return row[column]["value"]
        raise KeyError(label)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _get(world: Any, who: str | None, url: str) -> Any:
    return client_for(world.user(who) if who else None).get(url)


def _page(world: Any, who: str, url: str) -> _Page:
    response = _get(world, who, url)
    assert response.status_code == 200, response.content.decode()[:500]
    return parse(response.content.decode())


def test_login_is_required_and_only_stats_roles_get_in(world, figures):
    anonymous = _get(world, None, "/stats/")
    assert anonymous.status_code == 302 and anonymous["Location"] == "/login/?next=/stats/"
    for who in (f"{DONGHU}-clerk", f"{DONGHU}-officer", f"{DONGHU}-head", "applicant-1"):
        refused = _get(world, who, f"/stats/?{PERIOD}")
        assert refused.status_code == 403, who
        assert 'data-code="stats_forbidden"' in refused.content.decode()
    for who in (f"{DONGHU}-supervisor", f"{DONGHU}-admin", "platform-admin"):
        assert _get(world, who, f"/stats/?{PERIOD}").status_code == 200, who
    agreement = f"/stats/agreements/{world.agreement.pk}/?{PERIOD}"
    assert _get(world, None, agreement).status_code == 302
    assert _get(world, f"{DONGHU}-clerk", agreement).status_code == 403


def test_a_supervisor_sees_the_figures_of_its_own_jurisdiction(world, figures):
    page = _page(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}")
    # 黄州→东湖 twice (one of them rated), online at 东湖; not 葛店→开铁 nor 江夏→黄州
    assert page.kpis["cases"] == "3"
    assert page.kpis["consultations"] == "3"
    assert page.kpis["ratings"] == "1" and page.kpis["good-rate"] == "0.0"
    assert page.column("channels", "大厅窗口", 1) == "2"
    assert page.column("channels", "网上(网站、移动端)", 1) == "1"
    assert page.column("rating-levels", "不满意", 1) == "1"
    flows = {(r[0]["text"], r[1]["text"]): r[2]["value"] for r in page.tables["flow"][1:]}
    assert flows == {
        ("黄冈市黄州区", "武汉东湖新技术开发区"): "2",
        ("网办(无收件地)", "武汉东湖新技术开发区"): "1",
    }
    # the charts are drawn from the same figures
    months = page.charts["cases-by-month"]
    assert sum(sum(s["data"]) for s in months["series"]) == 3
    assert len(months["categories"]) == MONTHS
    # the jurisdiction picker offers only its own jurisdiction
    html = _get(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}").content.decode()
    assert f'<option value="{DONGHU}"' in html and f'<option value="{KAITIE}"' not in html


def test_another_jurisdiction_is_not_found(world, figures):
    for code in (KAITIE, HUANGZHOU, "nope"):
        answer = _get(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}&jurisdiction={code}")
        assert answer.status_code == 404, code
    own = _page(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}&jurisdiction={DONGHU}")
    assert own.kpis["cases"] == "3"
    receiving = _page(
        world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}&jurisdiction={DONGHU}&leg=receiving"
    )
    assert receiving.kpis["cases"] == "0"
    # 开铁 sees only the 葛店→开铁 case in its own figures
    assert _page(world, f"{KAITIE}-supervisor", f"/stats/?{PERIOD}").kpis["cases"] == "1"
    # the platform admin sees everything
    assert _page(world, "platform-admin", f"/stats/?{PERIOD}").kpis["cases"] == "5"


def test_agreement_figures_are_the_same_for_every_party(world, figures):
    url = f"/stats/agreements/{world.agreement.pk}/?{PERIOD}"
    pages = [_get(world, f"{code}-supervisor", url) for code in (DONGHU, KAITIE, GEDIAN)]
    assert all(p.status_code == 200 for p in pages)
    seen = [parse(p.content.decode()) for p in pages]
    assert seen[0].kpis == seen[1].kpis == seen[2].kpis
    assert seen[0].tables == seen[1].tables == seen[2].tables
    assert seen[0].kpis["cases"] == "3"  # 黄州→东湖 ×2, 葛店→开铁
    handling = {r[0]["text"]: r[1]["value"] for r in seen[0].tables["agreement-handling"][1:-1]}
    assert handling == {"武汉东湖新技术开发区": "2", "黄石市铁山区(开铁区)": "1"}
    assert _get(world, f"{JIANGXIA}-supervisor", url).status_code == 404
    assert _get(world, "platform-admin", url).status_code == 200
    assert _get(world, "platform-admin", "/stats/agreements/999999/").status_code == 404
    # the dashboard lists the agreements of the caller's jurisdictions only
    listed = _get(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}").content.decode()
    assert f"/stats/agreements/{world.agreement.pk}/" in listed
    outsider = _get(world, f"{JIANGXIA}-supervisor", f"/stats/?{PERIOD}").content.decode()
    assert f"/stats/agreements/{world.agreement.pk}/" not in outsider


def test_export_links_download_the_same_figures(world, figures):
    client = client_for(world.user(f"{DONGHU}-supervisor"))
    html = client.get(f"/stats/?{PERIOD}&jurisdiction={DONGHU}").content.decode()
    link = re.search(r'href="([^"]+)" download data-testid="csv-channels"', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert "from_month=2024-01" in url and f"jurisdiction={DONGHU}" in url
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[-1][0] == "合计" and rows[-1][2] == "3"
    xlsx = re.search(r'href="([^"]+)" download data-testid="xlsx-flow"', html)
    assert xlsx is not None
    download = client.get(xlsx.group(1).replace("&amp;", "&"))
    assert download.status_code == 200 and download.content[:2] == b"PK"


def test_drill_down_links_open_the_case_queue(world, figures):
    page = _page(world, f"{DONGHU}-supervisor", f"/stats/?{PERIOD}&jurisdiction={DONGHU}")
    item_link = page.tables["items"][1][0]["href"]
    assert item_link.startswith("/queue/?") and f"jurisdiction={DONGHU}" in item_link
    assert "item=ITEM-COMPANY" in item_link and "status=completed" in item_link
    flow_link = next(
        r[2]["href"] for r in page.tables["flow"][1:] if r[0]["text"] == "黄冈市黄州区"
    )
    assert f"receiving={HUANGZHOU}" in flow_link and "side=handling" in flow_link
    assert page.charts["items"]["links"][0] == item_link
    queue = client_for(world.user(f"{DONGHU}-supervisor")).get(flow_link.replace("&amp;", "&"))
    assert queue.status_code == 200
    assert figures["rated"].number in queue.content.decode()


def test_bad_filters_are_refused_on_the_page(world, figures):
    for query in (
        "from_month=2024-05&to_month=2024-01",
        "from_month=2024/05",
        "year=twenty",
        "leg=sideways",
        "from_month=2000-01&to_month=2024-12",
    ):
        answer = _get(world, "platform-admin", f"/stats/?{query}")
        assert answer.status_code == 422, query
        assert 'role="alert"' in answer.content.decode()


def test_period_filters_and_empty_periods(world, figures):
    march = _page(world, "platform-admin", "/stats/?from_month=2024-03&to_month=2024-03")
    assert march.kpis["cases"] == "2"  # 黄州→东湖 (walked) and 葛店→开铁
    assert len(march.charts["cases-by-month"]["categories"]) == 1
    empty = _get(world, "platform-admin", "/stats/?year=2020").content.decode()
    assert 'data-testid="empty-cases-by-month"' in empty
    assert parse(empty).kpis["cases"] == "0"


def test_english_page(world, figures):
    client = client_for(world.user("platform-admin"))
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        html = client.get(f"/stats/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        title, figure = translation.gettext("统计看板"), translation.gettext("办件量(按月、按渠道)")
    assert title != "统计看板" and figure != "办件量(按月、按渠道)"  # both catalogued in English
    assert f"<h1>{title}</h1>" in html and figure in html
    assert '<html lang="en">' in html and "办件量" not in html


@pytest.mark.parametrize("scale", [0.02])
def test_the_dashboard_shows_the_seed_figures_of_2022(demo_world, scale):
    world = demo_world
    call_command("seed_history", "--year", "2022", "--scale", str(scale), "--seed", "5")
    t = targets_for(2022, scale)
    donghu = _page(world, "platform-admin", f"/stats/?year=2022&jurisdiction={HISTORY_DONGHU}")
    assert donghu.kpis["cases"] == str(t.donghu_cases)
    assert donghu.kpis["consultations"] == str(t.donghu_consultations)
    assert donghu.column("high-frequency", "办件", 2) == str(t.donghu_hf_cases)
    assert donghu.column("high-frequency", "咨询", 2) == str(t.donghu_hf_consultations)
    assert float(donghu.kpis["high-frequency"]) == round(t.donghu_hf_cases / t.donghu_cases, 4)
    gedian = _page(world, "platform-admin", f"/stats/?year=2022&jurisdiction={HISTORY_GEDIAN}")
    assert gedian.kpis["cases"] == str(t.gedian_cases)
    assert gedian.column("channels", "自助终端", 1) == str(t.gedian_terminal)
    assert gedian.column("channels", "大厅窗口", 1) == str(t.gedian_window)
    assert gedian.column("channels", "网上(网站、移动端)", 1) == "0"
    # the supervisor of 葛店 sees the same numbers for 葛店
    own = _page(world, f"{GEDIAN}-supervisor", "/stats/?year=2022")
    assert own.kpis["cases"] == str(t.gedian_cases)
    # months add up to the year
    by_month = donghu.tables["cases-by-month"]
    assert sum(int(row[-1]["value"]) for row in by_month[1:-1]) == t.donghu_cases
