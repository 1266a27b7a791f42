"""帮办代办 is a real record (issue 8, part 5): who helped, in which role, with the
applicant's consent, for which steps; a plain window receipt is not 帮办代办; reported in
statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from tongban.assistance.actions import AssistanceInput, record_assistance
from tongban.assistance.models import AssistanceRecord
from tongban.cases.actions import MaterialInput, SubmitInput, submit_case
from tongban.cases.models import Case
from tongban.core.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.core.models import AuditEvent
from tongban.stats import refresh
from tongban.stats.models import AssistanceCount
from tongban.stats.selectors import StatsFilter, assistance_stats
from tongban.stats.tests.helpers import client_for, make_case

DONGHU, HUANGZHOU, GEDIAN = "420100Z01", "421102", "420703400"
ACT = AssistanceInput(
    role="act", steps=["submit", "fill_form", "fill_form"], consent_method="window_signature"
)


def test_a_window_receipt_alone_is_not_assistance(world):
    impl = world.implementations[("company", DONGHU)]
    case = submit_case(
        world.user(f"{HUANGZHOU}-clerk"),
        SubmitInput(
            item=world.items["company"].code,
            handling=DONGHU,
            receiving=HUANGZHOU,
            mode="proxy",
            channel="window",
            delivery_method="post",
            delivery_address="湖北省黄冈市黄州区东门路1号",
            applicant_id=world.applicants["person"].pk,
            materials=[MaterialInput(m.pk) for m in impl.materials.order_by("position")],
        ),
    )
    assert case.assisted is False
    assert "assisted" not in case.events.get().data
    assert not AssistanceRecord.objects.exists()


def test_the_receiving_clerk_records_acting_on_behalf_with_consent(world):
    case = make_case(world)
    consent = timezone.now() - dt.timedelta(minutes=10)
    record = record_assistance(
        world.user(f"{HUANGZHOU}-clerk"),
        case.number,
        AssistanceInput(
            role="act",
            steps=["submit", "fill_form", "fill_form"],
            consent_method="window_signature",
            consent_at=consent,
            note="申请人不会使用电脑",
        ),
    )
    assert record.steps == ["fill_form", "submit"]  # canonical order, no duplicates
    assert (record.role, record.consent_method, record.consent_at) == (
        "act",
        "window_signature",
        consent,
    )
    assert record.helper == world.user(f"{HUANGZHOU}-clerk")
    assert record.jurisdiction == world.huangzhou
    assert Case.objects.get(pk=case.pk).assisted is True
    audit = AuditEvent.objects.get(action="record_assistance")
    assert audit.data["steps"] == ["fill_form", "submit"]
    with pytest.raises(RuntimeError):  # append-only
        record.save()


def test_online_case_is_helped_by_the_handling_places_window(world):
    case = make_case(world, receiving=None)
    record = record_assistance(
        world.user(f"{DONGHU}-clerk"),
        case.number,
        AssistanceInput(role="help", steps=["scan"], consent_method="portal"),
    )
    assert record.jurisdiction == world.donghu


def test_out_of_jurisdiction_wrong_role_and_anonymous_are_refused(world):
    case = make_case(world)
    with pytest.raises(NotFound):
        record_assistance(world.user(f"{GEDIAN}-clerk"), case.number, ACT)
    for who in (
        f"{DONGHU}-clerk",
        f"{HUANGZHOU}-officer",
        f"{HUANGZHOU}-supervisor",
        "applicant-1",
    ):
        with pytest.raises(Forbidden):
            record_assistance(world.user(who), case.number, ACT)
    with pytest.raises(NotAuthenticated):
        record_assistance(AnonymousUser(), case.number, ACT)
    assert not AssistanceRecord.objects.exists()
    assert Case.objects.get(pk=case.pk).assisted is False


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"role": "both"}, "invalid_role"),
        ({"steps": []}, "invalid_steps"),
        ({"steps": ["dance"]}, "invalid_steps"),
        ({"consent_method": ""}, "consent_required"),
        ({"consent_at": timezone.now() + dt.timedelta(days=1)}, "invalid_consent_time"),
        ({"consent_at": timezone.now() - dt.timedelta(days=400)}, "invalid_consent_time"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(world, change, code):
    case = make_case(world)
    data = AssistanceInput(
        **{"role": "help", "steps": ["scan"], "consent_method": "window_signature", **change}
    )
    with pytest.raises(Invalid) as bad:
        record_assistance(world.user(f"{HUANGZHOU}-clerk"), case.number, data)
    assert bad.value.code == code
    assert not AssistanceRecord.objects.exists()


def test_consultation_link_must_be_in_scope(world):
    from tongban.consultations.actions import record_consultation

    case = make_case(world)
    theirs = record_consultation(
        world.user(f"{GEDIAN}-clerk"),
        jurisdiction=world.gedian.code,
        channel="window",
        topic="t",
        question="?",
    )
    ours = record_consultation(
        world.user(f"{HUANGZHOU}-clerk"),
        jurisdiction=world.huangzhou.code,
        channel="window",
        topic="t",
        question="?",
    )
    clerk = world.user(f"{HUANGZHOU}-clerk")
    with pytest.raises(NotFound):
        record_assistance(
            clerk,
            case.number,
            AssistanceInput(
                role="help", steps=["scan"], consent_method="portal", consultation_id=theirs.pk
            ),
        )
    record = record_assistance(
        clerk,
        case.number,
        AssistanceInput(
            role="help", steps=["scan"], consent_method="portal", consultation_id=ours.pk
        ),
    )
    assert record.consultation == ours


def test_api_records_and_lists_with_scope(world):
    case = make_case(world)
    body = {"role": "act", "steps": ["fill_form", "collect_result"], "consent_method": "portal"}
    url = f"/api/v1/cases/{case.number}/assistance"
    assert client_for(None).post(url, body, "application/json").status_code == 401
    assert (
        client_for(world.user(f"{GEDIAN}-clerk")).post(url, body, "application/json").status_code
        == 404
    )
    wrong = client_for(world.user(f"{HUANGZHOU}-officer")).post(url, body, "application/json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "assistance_forbidden"
    bad = client_for(world.user(f"{HUANGZHOU}-clerk")).post(
        url, {**body, "steps": ["x"]}, "application/json"
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_steps"
    ok = client_for(world.user(f"{HUANGZHOU}-clerk")).post(url, body, "application/json")
    assert ok.status_code == 201 and ok.json()["steps"] == ["fill_form", "collect_result"]
    for who in (f"{DONGHU}-officer", "applicant-1"):  # the handling place, the applicant
        listed = client_for(world.user(who)).get(url).json()
        assert [r["role"] for r in listed] == ["act"]
    assert client_for(world.user(f"{GEDIAN}-supervisor")).get(url).status_code == 404
    case_json = (
        client_for(world.user(f"{HUANGZHOU}-clerk")).get(f"/api/v1/cases/{case.number}").json()
    )
    assert case_json["assisted"] is True


def test_case_page_shows_records_and_the_clerk_records_from_it(world):
    case = make_case(world)
    clerk = client_for(world.user(f"{HUANGZHOU}-clerk"))
    page = clerk.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="assist-link"' in page and 'data-testid="assistance-records"' not in page
    officer_page = client_for(world.user(f"{DONGHU}-officer")).get(f"/cases/{case.number}/")
    assert 'data-testid="assist-link"' not in officer_page.content.decode()

    receipt = clerk.get(f"/cases/{case.number}/receipt/").content.decode()
    assert 'data-testid="assist-link"' in receipt and 'data-testid="pad-link"' in receipt
    other = client_for(world.user(f"{DONGHU}-officer")).get(f"/cases/{case.number}/receipt/")
    assert 'data-testid="assist-link"' not in other.content.decode()

    url = f"/assistance/case/{case.number}/"
    missing = clerk.post(url, {"role": "help", "steps": ["scan"]})
    assert missing.status_code == 422 and 'data-code="consent_required"' in missing.content.decode()
    r = clerk.post(
        url,
        {"role": "help", "steps": ["scan", "submit"], "consent_method": "window_signature"},
    )
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    page = clerk.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="assistance-records"' in page and "扫描上传材料" in page
    assert (
        client_for(world.user(f"{DONGHU}-officer"))
        .post(url, {"role": "help", "steps": ["scan"], "consent_method": "portal"})
        .status_code
        == 403
    )
    assert client_for(world.user(f"{GEDIAN}-clerk")).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert AssistanceRecord.objects.count() == 1


def test_statistics_count_records_roles_and_steps_within_scope(world):
    clerk = world.user(f"{HUANGZHOU}-clerk")
    first, second = make_case(world), make_case(world)
    record_assistance(clerk, first.number, ACT)
    refresh.refresh()
    record_assistance(
        clerk,
        second.number,
        AssistanceInput(role="help", steps=["scan", "submit"], consent_method="portal"),
    )
    record_assistance(
        clerk,
        second.number,
        AssistanceInput(role="act", steps=["collect_result"], consent_method="window_signature"),
    )
    refresh.refresh()
    incremental = sorted(
        AssistanceCount.objects.values_list(
            "role", "consent_method", "records", "fill_form", "scan", "submit", "collect_result"
        )
    )
    assert incremental == [
        ("act", "window_signature", 2, 1, 0, 1, 1),
        ("help", "portal", 1, 0, 1, 1, 0),
    ]
    refresh.rebuild()
    rebuilt = sorted(
        AssistanceCount.objects.values_list(
            "role", "consent_method", "records", "fill_form", "scan", "submit", "collect_result"
        )
    )
    assert rebuilt == incremental

    supervisor = world.user(f"{HUANGZHOU}-supervisor")
    by_role = assistance_stats(supervisor, StatsFilter(), "role")
    assert {row["role"]: row["records"] for row in by_role["rows"]} == {"act": 2, "help": 1}
    assert by_role["total"]["records"] == 3
    # the handling place sees them on its handling leg; an outsider sees none
    donghu = assistance_stats(world.user(f"{DONGHU}-supervisor"), StatsFilter(leg="handling"), None)
    assert donghu["total"]["records"] == 3
    gedian = assistance_stats(world.user(f"{GEDIAN}-supervisor"), StatsFilter(), None)
    assert gedian["total"]["records"] == 0
    api = client_for(supervisor).get("/api/v1/stats/assistance?group_by=consent_method").json()
    assert {r["consent_method_label"]: r["records"] for r in api["rows"]} == {
        "网上确认": 1,
        "窗口签字确认": 2,
    }
    overview = client_for(supervisor).get("/api/v1/stats/overview").json()
    assert overview["assistance"]["records"] == 3 and overview["assistance"]["role_act"] == 2
    assert (
        client_for(world.user(f"{HUANGZHOU}-clerk")).get("/api/v1/stats/assistance").status_code
        == 403
    )
    assert client_for(None).get("/api/v1/stats/assistance").status_code == 401
    csv = client_for(supervisor).get("/api/v1/stats/assistance?group_by=role&format=csv")
    assert "帮办代办记录" in csv.content.decode("utf-8-sig")


def test_dashboard_shows_the_assistance_figure_and_kpi(world):
    clerk = world.user(f"{HUANGZHOU}-clerk")
    record_assistance(clerk, make_case(world).number, ACT)
    refresh.refresh()
    page = client_for(world.user(f"{HUANGZHOU}-supervisor")).get("/stats/").content.decode()
    assert 'data-testid="kpi-assistance"' in page
    assert "帮办代办(按月)" in page


def test_the_consent_time_is_read_by_one_contract_on_the_page_and_the_api(world):
    """`LocalDateTime`: ISO 8601, seconds and offset optional, no offset meaning local
    time; anything else is 422 `invalid_input` on both surfaces and records nothing."""
    case = make_case(world)
    api_url = f"/api/v1/cases/{case.number}/assistance"
    page_url = f"/assistance/case/{case.number}/"
    body = {"role": "help", "steps": ["scan"], "consent_method": "window_signature"}
    clerk = client_for(world.user(f"{HUANGZHOU}-clerk"))
    for bad in ("yesterday", "2024-13-01T10:00", "10:00"):
        api = clerk.post(api_url, {**body, "consent_at": bad}, "application/json")
        assert (api.status_code, api.json()["code"]) == (422, "invalid_input"), bad
        page = clerk.post(page_url, {**body, "consent_at": bad})
        assert page.status_code == 422 and 'data-code="invalid_input"' in page.content.decode()
    assert not AssistanceRecord.objects.exists()

    written = (timezone.localtime() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    local = written.strftime("%Y-%m-%dT%H:%M")  # as a date-and-time form field sends it
    assert clerk.post(api_url, {**body, "consent_at": local}, "application/json").status_code == 201
    assert clerk.post(page_url, {**body, "consent_at": local}).status_code == 302
    assert [r.consent_at for r in AssistanceRecord.objects.order_by("pk")] == [written, written]

    # out of jurisdiction and unauthenticated: refused before the input is read
    other = client_for(world.user(f"{GEDIAN}-clerk"))
    assert other.post(api_url, {**body, "consent_at": local}, "application/json").status_code == 404
    assert other.post(page_url, {**body, "consent_at": local}).status_code == 404
    anonymous = client_for(None)
    assert anonymous.post(api_url, body, "application/json").status_code == 401
    assert anonymous.post(page_url, body).status_code == 302
    assert AssistanceRecord.objects.count() == 2
