from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tongban.stats.tests.helpers import DONGHU, GEDIAN, HUANGZHOU, JIANGXIA, KAITIE, client_for


def _get(world, who, url):
    return client_for(world.user(who) if who else None).get(url)


def test_supervisor_sees_cases_where_its_jurisdiction_is_a_leg(world, figures):
    body = _get(world, f"{DONGHU}-supervisor", "/api/v1/stats/cases?group_by=receiving").json()
    assert body["total"]["cases"] == 3  # 黄州→东湖 twice, online 东湖
    labels = {row["receiving"]: row["cases"] for row in body["rows"]}
    assert labels == {HUANGZHOU: 2, "": 1}
    assert {r["receiving_label"] for r in body["rows"]} == {"黄冈市黄州区", "网办(无收件地)"}
    by_leg = _get(
        world, f"{DONGHU}-supervisor", f"/api/v1/stats/cases?jurisdiction={DONGHU}&leg=receiving"
    ).json()
    assert by_leg["total"]["cases"] == 0
    admin = _get(world, "platform-admin", "/api/v1/stats/cases").json()
    assert admin["total"]["cases"] == 5
    month = _get(world, "platform-admin", "/api/v1/stats/cases?group_by=month,mode").json()
    assert {(r["month"], r["mode"]): r["cases"] for r in month["rows"]}[("2024-04", "online")] == 1
    assert month["group_by"] == ["month", "mode"]
    completed = _get(world, f"{DONGHU}-admin", "/api/v1/stats/cases?status=completed").json()
    assert completed["total"]["completed"] == 2 and completed["total"]["on_time_rate"] == 1.0
    assert completed["total"]["review_hours"] is not None


def test_other_jurisdiction_and_roles_are_refused(world, figures):
    assert (
        _get(
            world, f"{DONGHU}-supervisor", f"/api/v1/stats/cases?jurisdiction={KAITIE}"
        ).status_code
        == 404
    )
    assert (
        _get(world, f"{DONGHU}-supervisor", "/api/v1/stats/cases?jurisdiction=nope").status_code
        == 404
    )
    clerk = _get(world, f"{DONGHU}-clerk", "/api/v1/stats/cases")
    assert clerk.status_code == 403 and clerk.json()["code"] == "stats_forbidden"
    assert _get(world, "applicant-1", "/api/v1/stats/overview").status_code == 403
    for url in ("/api/v1/stats/cases", "/api/v1/stats/overview", "/api/v1/stats/flow"):
        assert _get(world, None, url).status_code == 401
    assert _get(world, "platform-admin", "/api/v1/stats/cases?group_by=colour").status_code == 422
    assert _get(world, "platform-admin", "/api/v1/stats/cases?format=pdf").status_code == 422
    assert _get(world, "platform-admin", "/api/v1/stats/cases?from_month=2024/3").status_code == 422


def test_agreement_figures_are_identical_for_every_party(world, figures):
    agreement = world.agreement.pk
    url = f"/api/v1/stats/agreements/{agreement}?group_by=handling"
    seen = [_get(world, f"{code}-supervisor", url).json() for code in (DONGHU, KAITIE, GEDIAN)]
    assert seen[0] == seen[1] == seen[2]
    assert seen[0]["total"]["cases"] == 3  # 黄州→东湖 ×2, 葛店→开铁; not the 江夏 case
    assert {r["handling"]: r["cases"] for r in seen[0]["rows"]} == {DONGHU: 2, KAITIE: 1}
    assert seen[0]["ratings"]["ratings"] == 1 and seen[0]["ratings"]["bad"] == 1
    # 开铁 sees the agreement's 东湖 cases here, but not in its own figures
    own = _get(world, f"{KAITIE}-supervisor", "/api/v1/stats/cases").json()
    assert own["total"]["cases"] == 1
    assert _get(world, f"{JIANGXIA}-supervisor", url).status_code == 404
    listed = _get(world, f"{JIANGXIA}-supervisor", "/api/v1/stats/agreements").json()
    assert listed == []
    assert [
        a["id"] for a in _get(world, f"{DONGHU}-supervisor", "/api/v1/stats/agreements").json()
    ] == [agreement]


def test_flow_high_frequency_consultations_ratings_overview(world, figures):
    flow = _get(world, "platform-admin", "/api/v1/stats/flow").json()
    pairs = {(r["receiving"], r["handling"]): r["cases"] for r in flow["rows"]}
    assert pairs == {
        (HUANGZHOU, DONGHU): 2,
        (GEDIAN, KAITIE): 1,
        ("", DONGHU): 1,
        (JIANGXIA, HUANGZHOU): 1,
    }

    hf = _get(world, f"{GEDIAN}-supervisor", "/api/v1/stats/high-frequency").json()
    assert hf["cases"] == 1 and hf["case_share"] == 1.0  # marriage is high-frequency
    assert hf["consultations"] == 2  # its own and the one forwarded to it

    c = _get(world, f"{DONGHU}-supervisor", "/api/v1/stats/consultations?group_by=channel").json()
    assert c["total"]["consultations"] == 3 and c["total"]["forwarded"] == 1
    assert {r["channel"]: r["consultations"] for r in c["rows"]} == {
        "window": 1,
        "hotline": 1,
        "online": 1,
    }
    assert c["total"]["answer_rate"] == round(2 / 3, 4)
    owner_only = _get(
        world,
        f"{GEDIAN}-supervisor",
        f"/api/v1/stats/consultations?jurisdiction={GEDIAN}&leg=receiving",
    ).json()
    assert owner_only["total"]["consultations"] == 1

    r = _get(world, f"{DONGHU}-supervisor", "/api/v1/stats/ratings?group_by=target").json()
    assert r["total"]["ratings"] == 1 and r["total"]["bad"] == 1
    assert r["total"]["rectification_open"] == 1 and r["total"]["good_rate"] == 0.0
    assert r["rows"][0]["target"] == DONGHU
    assert (
        _get(world, f"{KAITIE}-supervisor", "/api/v1/stats/ratings").json()["total"]["ratings"] == 0
    )

    overview = _get(
        world, f"{DONGHU}-supervisor", "/api/v1/stats/overview?from_month=2024-01"
    ).json()
    assert overview["cases"]["cases"] == 3
    assert overview["consultations"]["consultations"] == 3
    assert overview["ratings"]["ratings"] == 1


def test_csv_and_xlsx_exports(world, figures):
    csv_response = _get(world, "platform-admin", "/api/v1/stats/cases?group_by=handling&format=csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["办理地代码", "办理地", "办件量"]
    assert rows[-1][0] == "合计" and rows[-1][2] == "5"
    assert {r[0]: r[2] for r in rows[1:-1]} == {DONGHU: "3", KAITIE: "1", HUANGZHOU: "1"}

    xlsx = _get(
        world, f"{DONGHU}-supervisor", "/api/v1/stats/consultations?group_by=channel&format=xlsx"
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("渠道代码", "渠道", "咨询量")
    assert sum(row[2] for row in values[1:-1]) == 3
    whole = _get(world, "platform-admin", "/api/v1/stats/ratings?format=csv")
    lines = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
    assert lines[0][0] == "有效评价" and lines[1][0] == "1"
    flow = _get(world, "platform-admin", "/api/v1/stats/flow?format=xlsx")
    assert load_workbook(io.BytesIO(flow.content)).active.max_row == 5
    agreement = _get(
        world, f"{KAITIE}-supervisor", f"/api/v1/stats/agreements/{world.agreement.pk}?format=csv"
    )
    assert agreement.status_code == 200 and "办件量" in agreement.content.decode("utf-8-sig")
