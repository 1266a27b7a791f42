"""Each page of the workbench: behaviour through the real actions, and the messages shown
for refused input (never a 500)."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tongban.attachments.models import Attachment
from tongban.cases.models import Case, CaseMaterial
from tongban.notifications.models import OutboxMessage
from tongban.web.tests.conftest import (
    PDF_BYTES,
    advance,
    fake_pdf_upload,
    online_case,
    pdf_upload,
    proxy_case,
)

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- sign-in and landing


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("421102-clerk", "/clerk/"),
        ("420100Z01-officer", "/queue/"),
        ("420100Z01-head", "/queue/"),
        ("421102-supervisor", "/overview/"),
        ("applicant-1", "/my/"),
    ],
)
def test_login_lands_on_the_page_of_the_role(web, world, username, landing):
    from tongban.testing.world import PASSWORD

    client = web(None)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == landing


def test_wrong_password_shows_a_message(web):
    response = web(None).post("/login/", {"username": "421102-clerk", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in _html(response)


def test_login_needs_csrf(world):
    from django.test import Client

    from tongban.testing.world import PASSWORD

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "421102-clerk", "password": PASSWORD})
    assert response.status_code == 403


def test_header_shows_user_role_and_jurisdiction_and_logout_works(web):
    client = web("421102-clerk")
    page = _html(client.get("/clerk/"))
    assert "窗口收件人员" in page and "黄州" in page and "退出登录" in page
    assert "English" in page  # language switch
    client.post("/logout/")
    assert client.get("/clerk/").status_code == 302


def test_session_expiry_comes_from_settings(web, settings):
    client = web("421102-clerk")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


# ---------------------------------------------------------------- clerk workbench


def test_clerk_finds_items_by_name_code_and_pinyin_initials(web):
    client = web("421102-clerk")
    for q in ("企业设立", "ITEM-COMPANY", "qysl"):
        page = _html(client.get("/clerk/", {"q": q}, headers={"HX-Request": "true"}))
        assert "企业设立登记" in page, q
        assert "内地居民结婚登记" not in page


def test_routes_show_how_this_window_may_receive_the_item(web):
    page = _html(web("421102-clerk").get("/clerk/items/ITEM-COMPANY/"))
    assert "武汉东湖新技术开发区" in page and "异地代收代办" in page and "多地联办" in page
    assert "WEHH-2023" in page
    assert "开始收件" in page
    # 江夏 is party to no agreement: its window may not receive the item for anyone
    page = _html(web("420115-clerk").get("/clerk/items/ITEM-COMPANY/"))
    assert "不能代收该事项" in page


def test_only_clerks_use_the_workbench(web):
    response = web("420100Z01-officer").get("/clerk/")
    assert response.status_code == 403
    assert "只有窗口收件人员" in _html(response)


def _new_case_form(world, handling="420100Z01", **extra):
    impl = world.implementations[("company", handling)]
    materials = list(impl.materials.order_by("position"))
    enterprise = world.applicants["enterprise"]
    data = {
        "at": "421102",
        "item": "ITEM-COMPANY",
        "handling": handling,
        "mode": "proxy",
        "token": "t-1",
        "applicant_kind": "enterprise",
        "applicant_name": enterprise.name,
        "uscc": enterprise.uscc,
        "agent_name": enterprise.agent_name,
        "agent_id_number": enterprise.agent_id_number,
        "delivery_method": "post",
        "delivery_address": "湖北省黄冈市黄州区东门路1号",
        f"m{materials[0].pk}_state": "provided",
        f"m{materials[0].pk}_posted": "1",
        f"m{materials[1].pk}_state": "provided",
        f"m{materials[2].pk}_state": "missing",
        f"m{materials[1].pk}_file": pdf_upload("章程.pdf"),
    }
    data.update(extra)
    return data, materials


def test_clerk_receives_a_case_with_checklist_and_upload(web, world):
    from tongban.accounts.models import RoleAssignment

    # the clerk works at the dedicated window: cases record it
    RoleAssignment.objects.filter(user=world.user("421102-clerk")).update(
        window=world.windows["421102"]
    )
    client = web("421102-clerk")
    form = client.get(
        "/clerk/cases/new/",
        {"at": "421102", "item": "ITEM-COMPANY", "handling": "420100Z01", "mode": "proxy"},
    )
    assert form.status_code == 200
    assert "公司章程" in _html(form) and "住所使用证明" in _html(form)
    data, materials = _new_case_form(world)
    response = client.post("/clerk/cases/new/", data)
    assert response.status_code == 302, _html(response)
    case = Case.objects.get()
    assert response["Location"] == reverse("web:receipt", args=[case.number])
    # a window receipt is not 帮办代办 (ADR 0095): no record, no flag
    assert case.assisted is False and case.channel == "window" and case.status == "received"
    assert case.receiving_window == world.windows["421102"]
    states = dict(case.materials.values_list("material_id", "state"))
    assert states[materials[2].pk] == "missing"
    assert case.materials.get(material_id=materials[0].pk).original_posted is True
    attachment = Attachment.objects.get()
    assert attachment.case_material is not None
    assert attachment.case_material.material_id == materials[1].pk
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    receipt = _html(client.get(response["Location"]))
    assert case.number in receipt and "收件回执" in receipt and "缺失" in receipt
    # a retried post (double click, reload) does not open a second case
    data, _ = _new_case_form(world)
    assert client.post("/clerk/cases/new/", data).status_code == 302
    assert Case.objects.count() == 1


def test_clerk_form_shows_the_rule_that_refused_the_submission(web, world):
    data, _ = _new_case_form(world, agent_id_number="420111199606260000", token="t-2")
    response = web("421102-clerk").post("/clerk/cases/new/", data)
    assert response.status_code == 422
    assert "身份号码校验码不正确" in _html(response)
    assert Case.objects.count() == 0


def test_clerk_upload_refused_by_content_opens_no_case(web, world):
    data, materials = _new_case_form(world, token="t-3")
    data[f"m{materials[1].pk}_file"] = fake_pdf_upload()
    response = web("421102-clerk").post("/clerk/cases/new/", data)
    assert response.status_code == 422
    assert "不是允许的类型" in _html(response)
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_applicant_lookup_and_identifier_check(web, world):
    client = web("421102-clerk")
    enterprise = world.applicants["enterprise"]
    found = _html(
        client.post("/clerk/applicant/", {"identifier": enterprise.uscc, "kind": "enterprise"})
    )
    assert enterprise.name in found and f'value="{enterprise.pk}"' in found
    # the agent's ID number is masked
    assert enterprise.agent_id_number not in found
    unknown = _html(client.post("/clerk/applicant/", {"identifier": "11010519491231002X"}))
    assert "尚未登记" in unknown
    bad = _html(client.post("/clerk/identifier/", {"id_number": "110105194912310021"}))
    assert "身份号码校验码不正确" in bad
    good = _html(client.post("/clerk/identifier/", {"uscc": enterprise.uscc}))
    assert "号码有效" in good
    # the numbers never travel in a URL: a GET is refused
    assert client.get("/clerk/applicant/", {"identifier": enterprise.uscc}).status_code == 405
    assert client.get("/clerk/identifier/", {"uscc": enterprise.uscc}).status_code == 405


def test_submission_with_a_looked_up_applicant(web, world):
    data, _ = _new_case_form(world, token="t-4")
    data.update(applicant_id=str(world.applicants["person"].pk), applicant_name="", uscc="")
    response = web("421102-clerk").post("/clerk/cases/new/", data)
    assert response.status_code == 302
    assert Case.objects.get().applicant == world.applicants["person"]


# ---------------------------------------------------------------- case page and dialogs


def test_case_page_shows_exactly_the_available_actions(web, world):
    case = proxy_case(world)
    page = _html(web("421102-clerk").get(f"/cases/{case.number}/"))
    shown = {
        a
        for a in ("check", "request_supplement", "withdraw", "accept", "transfer")
        if f'data-action="{a}"' in page
    }
    assert shown == {"check", "request_supplement", "withdraw"}
    # the handling officer sees the case but has nothing to do while it is at the window
    page = _html(web("420100Z01-officer").get(f"/cases/{case.number}/"))
    assert 'data-testid="no-actions"' in page
    # the applicant's data is masked
    assert world.applicants["enterprise"].agent_id_number not in page
    # a supervisor reads without buttons
    page = _html(web("421102-supervisor").get(f"/cases/{case.number}/"))
    assert 'data-testid="no-actions"' in page


def test_action_dialog_asks_and_performs(web, world):
    case = proxy_case(world, missing=(3,))
    client = web("421102-clerk")
    url = f"/cases/{case.number}/act/request_supplement/"
    dialog = _html(client.get(url, headers={"HX-Request": "true"}))
    assert "<dialog" in dialog and "住所使用证明" in dialog
    missing = case.materials.get(name="住所使用证明")
    response = client.post(url, {"missing": [missing.pk]}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/cases/{case.number}/"
    case.refresh_from_db()
    assert case.status == "supplement_at_receipt"
    page = _html(client.get(f"/cases/{case.number}/"))
    assert "一次性告知" in page and "补正材料通知书" in page


def test_action_refused_by_a_rule_shows_the_message_in_the_dialog(web, world):
    case = proxy_case(world, missing=(1,))
    client = web("421102-clerk")
    response = client.post(f"/cases/{case.number}/act/check/", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = _html(response)
    assert "<dialog" in page and "必须提交的材料尚未齐全" in page
    assert "公司登记(备案)申请书" in page
    # without htmx the same refusal is a page with status 422
    response = client.post(f"/cases/{case.number}/act/check/", {})
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.status == "received"


def test_illegal_and_forbidden_actions_are_messages_not_errors(web, world):
    case = proxy_case(world)
    response = web("421102-clerk").post(f"/cases/{case.number}/act/accept/", {})
    assert response.status_code == 422 and "不能执行" in _html(response)
    response = web("421102-supervisor").post(f"/cases/{case.number}/act/check/", {})
    assert response.status_code == 422 and "不能对该办件执行此操作" in _html(response)
    response = web("421102-clerk").post(f"/cases/{case.number}/act/explode/", {})
    assert response.status_code == 404
    response = web("421102-clerk").post(f"/cases/{case.number}/act/extend/", {"days": "x"})
    assert response.status_code == 422 and "整数" in _html(response)


def test_notice_pdf_and_unavailable_notice(web, world):
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "E1"}),
        ("420100Z01-officer", "receive_transfer", {}),
        ("420100Z01-officer", "accept", {}),
    )
    client = web("420100Z01-officer")
    response = client.get(f"/cases/{case.number}/notices/acceptance.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    response = client.get(f"/cases/{case.number}/notices/refusal.pdf")
    assert response.status_code == 409 and "未作出不予受理决定" in _html(response)


# ---------------------------------------------------------------- uploads


def test_upload_by_content_and_download_by_those_who_may_see_the_case(web, world):
    case = proxy_case(world)
    material = case.materials.order_by("id").first()
    clerk = web("421102-clerk")
    refused = clerk.post(
        f"/cases/{case.number}/upload/",
        {"material": material.pk, "file": fake_pdf_upload()},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 200
    assert "不是允许的类型" in _html(refused) and Attachment.objects.count() == 0
    stored = clerk.post(
        f"/cases/{case.number}/upload/", {"material": material.pk, "file": pdf_upload()}
    )
    assert stored.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF_BYTES)
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    for username in ("421102-clerk", "420100Z01-officer", "enterprise-1", "421102-supervisor"):
        response = web(username).get(f"/files/{attachment.pk}/")
        assert response.status_code == 200, username
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["X-Content-Type-Options"] == "nosniff"
    for username in ("420205-clerk", "420115-officer", "applicant-1"):
        assert web(username).get(f"/files/{attachment.pk}/").status_code == 404, username
    assert web(None).get(f"/files/{attachment.pk}/").status_code == 302


def test_too_large_upload_is_refused_with_the_limit(web, world, settings):
    settings.TONGBAN_UPLOAD_MAX_BYTES = 64
    case = proxy_case(world)
    response = web("421102-clerk").post(
        f"/cases/{case.number}/upload/",
        {"material": case.materials.first().pk, "file": pdf_upload()},
        follow=True,
    )
    assert "超过0MB的大小限制" in _html(response) or "大小限制" in _html(response)
    assert Attachment.objects.count() == 0


def test_supervisor_and_other_places_may_not_upload(web, world):
    case = proxy_case(world)
    response = web("421102-supervisor").post(
        f"/cases/{case.number}/upload/",
        {"material": case.materials.first().pk, "file": pdf_upload()},
        follow=True,
    )
    assert "不能为该办件上传材料" in _html(response)
    response = web("420205-clerk").post(
        f"/cases/{case.number}/upload/",
        {"material": case.materials.first().pk, "file": pdf_upload()},
    )
    assert response.status_code == 404
    assert Attachment.objects.count() == 0


# ---------------------------------------------------------------- applicant portal


def test_register_and_log_in_as_applicant(web):
    import datetime as dt

    from tongban.accounts.identifiers import make_id_number

    client = web(None)
    id_number = make_id_number("420102", dt.date(1990, 5, 4), 17)
    form = {
        "username": "zhangsan",
        "name": "张三",
        "id_number": id_number,
        "phone": "13812345678",
        "email": "",
        "password": "a-long-password-9",
        "password2": "a-long-password-9",
    }
    response = client.post("/register/", form)
    assert response.status_code == 302 and response["Location"] == "/my/"
    assert "我的办件" in _html(client.get("/my/"))
    # registering the same ID number again answers exactly as the first time (ADR 0091):
    # the page never tells whether an ID number is registered
    again = web(None)
    other = again.post("/register/", {**form, "username": "zhangsan2"})
    assert other.status_code == 302 and other["Location"] == "/my/"
    assert "已登记" not in _html(again.get("/my/"))
    bad = web(None).post("/register/", {**form, "username": "x3", "id_number": "123"})
    assert bad.status_code == 422 and "身份号码应为18位" in _html(bad)


def test_online_application_and_supplement_round(web, world):
    applicant = web("applicant-1")
    listing = _html(applicant.get("/my/apply/", {"q": "企业"}))
    assert "企业设立登记" in listing and "/my/apply/ITEM-COMPANY/420100Z01/" in listing
    impl = world.implementations[("company", "420100Z01")]
    materials = list(impl.materials.order_by("position"))
    response = applicant.post(
        "/my/apply/ITEM-COMPANY/420100Z01/",
        {
            "token": "a-1",
            "delivery_method": "electronic",
            f"m{materials[0].pk}_file": pdf_upload("申请书.pdf"),
        },
    )
    assert response.status_code == 302, _html(response)
    case = Case.objects.get()
    assert case.mode == "online" and case.channel == "web" and case.assisted is False
    assert case.status == "pending_acceptance"
    states = dict(case.materials.values_list("material_id", "state"))
    assert states[materials[0].pk] == "provided" and states[materials[1].pk] == "missing"
    # the officer asks once for everything missing
    missing = [m.pk for m in case.materials.filter(state="missing")]
    web("420100Z01-officer").post(
        f"/cases/{case.number}/act/request_supplement/", {"missing": missing}
    )
    case.refresh_from_db()
    assert case.status == "supplement_before_acceptance"
    page = _html(applicant.get(f"/cases/{case.number}/"))
    assert 'data-action="supplement"' in page and 'data-action="withdraw"' in page
    assert "补正" in page  # the notification text
    # the applicant answers with files for every missing material
    files = {f"file_{pk}": pdf_upload(f"{pk}.pdf") for pk in missing}
    response = applicant.post(f"/cases/{case.number}/act/supplement/", files)
    assert response.status_code == 302, _html(response)
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    assert Attachment.objects.filter(case=case).count() == 1 + len(missing)


def test_applicant_withdraws(web, world):
    case = online_case(world)
    response = web("applicant-1").post(
        f"/cases/{case.number}/act/withdraw/", {"reason": "", "confirm_irreversible": "on"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "withdrawn"


def test_applicant_notifications_never_show_the_pickup_code(web, world):
    case = online_case(world)
    advance(
        world,
        case.number,
        ("420100Z01-officer", "accept", {}),
        ("420100Z01-officer", "approve", {}),
        ("420100Z01-officer", "issue_result", {}),
        ("420100Z01-officer", "ship", {"method": "window"}),
    )
    message = OutboxMessage.objects.get(case=case, template="ready_for_pickup")
    page = _html(web("applicant-1").get(f"/cases/{case.number}/"))
    assert "取件码" in page and message.context["pickup_code"] not in page


def test_public_lookup_by_number_and_id_number(web, world, settings):
    case = online_case(world)
    client = web(None)
    ok = client.post(
        "/lookup/",
        {"number": case.number, "identifier": world.applicants["person"].id_number},
    )
    assert ok.status_code == 200
    page = _html(ok)
    assert "待受理" in page and "企业设立登记" in page
    assert world.applicants["person"].name not in page
    wrong = client.post(
        "/lookup/",
        {"number": case.number, "identifier": world.applicants["other"].id_number},
    )
    assert wrong.status_code == 404 and "未找到办件" in _html(wrong)


def test_public_lookup_is_rate_limited(web, world, settings):
    settings.TONGBAN_LOOKUP_LIMIT = 3
    case = online_case(world)
    client = web(None)
    statuses = [
        client.post("/lookup/", {"number": case.number, "identifier": "X"}).status_code
        for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    # the right answer is refused too while the limit holds
    response = client.post(
        "/lookup/",
        {"number": case.number, "identifier": world.applicants["person"].id_number},
    )
    assert response.status_code == 429 and "查询过于频繁" in _html(response)


# ---------------------------------------------------------------- delivery desk


def test_delivery_desk_lists_work_and_hands_over_by_code(web, world):
    case = proxy_case(
        world,
        receiving="420100Z01",
        handling="420703400",
        delivery_method="window",
        delivery_address="",
    )
    advance(
        world,
        case.number,
        ("420100Z01-clerk", "check", {}),
    )
    desk = _html(web("420100Z01-clerk").get("/delivery/"))
    assert case.number in desk and "待寄出的纸质原件" in desk
    advance(
        world,
        case.number,
        ("420100Z01-clerk", "transfer", {"carrier": "同城专递", "waybill_number": "TC-1"}),
        ("420703400-officer", "receive_transfer", {}),
        ("420703400-officer", "accept", {}),
        ("420703400-officer", "approve", {}),
        ("420703400-officer", "issue_result", {}),
        ("420703400-officer", "ship", {"carrier": "同城专递", "waybill_number": "TC-2"}),
        ("420100Z01-clerk", "sign_for", {}),
    )
    desk = _html(web("420100Z01-clerk").get("/delivery/"))
    assert "TC-2" in desk
    code = OutboxMessage.objects.get(case=case, template="ready_for_pickup").context["pickup_code"]
    agent_id = world.applicants["enterprise"].agent_id_number
    client = web("420100Z01-clerk")
    wrong = client.post(
        "/delivery/pickup/",
        {"number": case.number, "pickup_code": "x", "picker_id_number": agent_id},
        follow=True,
    )
    assert "取件码不正确" in _html(wrong)
    response = client.post(
        "/delivery/pickup/",
        {"number": case.number, "pickup_code": code, "picker_id_number": agent_id},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "delivered"


def test_delivery_desk_shows_the_oldest_cases_and_links_to_the_queue_for_the_rest(
    web, world, monkeypatch
):
    from tongban.web import selectors

    monkeypatch.setattr(selectors, "DESK_ROWS", 1)
    first, second = (
        proxy_case(world, receiving="420100Z01", handling="420703400") for _ in range(2)
    )
    for case in (first, second):
        advance(world, case.number, ("420100Z01-clerk", "check", {}))
    desk = _html(web("420100Z01-clerk").get("/delivery/"))
    assert first.number in desk and second.number not in desk
    assert "/queue/?jurisdiction=420100Z01&amp;side=receiving&amp;status=checked" in desk
    queue = _html(
        web("420100Z01-clerk").get(
            "/queue/", {"jurisdiction": "420100Z01", "side": "receiving", "status": "checked"}
        )
    )
    assert first.number in queue and second.number in queue


def test_applicants_and_supervisors_have_no_delivery_desk(web):
    assert web("applicant-1").get("/delivery/").status_code == 403
    assert web("421102-supervisor").get("/delivery/").status_code == 403


# ---------------------------------------------------------------- overview and queue


def test_supervisor_overview_counts_and_links(web, world, django_assert_max_num_queries):
    proxy_case(world)
    proxy_case(world, receiving="420703400")
    online_case(world)
    client = web("420100Z01-supervisor")
    with django_assert_max_num_queries(8):
        page = _html(client.get("/overview/"))
    assert 'data-jurisdiction="420100Z01"' in page
    assert "queue/?jurisdiction=420100Z01&amp;side=handling&amp;status=received" in page
    # 3 open cases handled in 东湖: 2 received at windows, 1 online pending acceptance
    assert '?jurisdiction=420100Z01&amp;side=handling">3</a>' in page


def test_queue_filters_and_sorts(web, world):
    first = proxy_case(world)
    second = proxy_case(world, receiving="420703400")
    online = online_case(world)
    advance(world, online.number, ("420100Z01-officer", "accept", {}))
    client = web("420100Z01-officer")
    page = _html(client.get("/queue/"))
    assert all(c.number in page for c in (first, second, online))
    page = _html(client.get("/queue/", {"receiving": "420703400"}))
    assert second.number in page and first.number not in page
    page = _html(client.get("/queue/", {"status": "accepted"}))
    assert online.number in page and first.number not in page
    page = _html(client.get("/queue/", {"overdue": "green", "sort": "due"}))
    assert online.number in page
    page = _html(client.get("/queue/", {"overdue": "red"}))
    assert "没有符合条件的办件" in page
    page = _html(client.get("/queue/", {"item": "ITEM-MARRIAGE"}))
    assert "没有符合条件的办件" in page
    bad = client.get("/queue/", {"overdue": "purple"})
    assert bad.status_code == 422


def test_queue_shows_overdue_level_as_colour_and_text(web, world, monkeypatch):
    import datetime as dt

    case = online_case(world)
    advance(world, case.number, ("420100Z01-officer", "accept", {}))
    case.refresh_from_db()
    monkeypatch.setattr(
        "tongban.cases.deadlines.local_today", lambda: case.overdue_on + dt.timedelta(days=1)
    )
    page = _html(web("420100Z01-officer").get("/queue/"))
    assert 'class="badge overdue-red"' in page and "超期" in page


def test_queue_runs_a_bounded_number_of_queries(web, world, django_assert_max_num_queries):
    client = web("420100Z01-officer")
    proxy_case(world)
    client.get("/queue/")  # the process reads the officer's role grants once (ADR 0119)
    with django_assert_max_num_queries(12) as few:
        client.get("/queue/")
    for i in range(25):
        proxy_case(world, receiving="421102" if i % 2 else "420703400")
        online_case(world)
    with django_assert_max_num_queries(12) as many:
        page = _html(client.get("/queue/"))
    assert page.count("data-number=") == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(12):
        client.get("/queue/", {"sort": "due", "overdue": "green", "receiving": "421102"})


# ---------------------------------------------------------------- language


def test_english_switch(web, world):
    client = web("421102-clerk")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/clerk/"})
    assert response.status_code == 302
    page = _html(client.get("/clerk/"))
    assert "Receiving workbench" in page and "Window clerk" in page and "简体中文" in page
    case = proxy_case(world)
    page = _html(client.get(f"/cases/{case.number}/"))
    assert "Received" in page and "Check passed" in page
    response = client.post(f"/cases/{case.number}/act/accept/", {})
    assert "is not allowed in state" in _html(response)


def test_materials_checklist_state_labels(web, world):
    case = proxy_case(world, missing=(2,))
    page = _html(web("421102-clerk").get(f"/cases/{case.number}/"))
    assert "material-state-missing" in page
    assert CaseMaterial.objects.filter(case=case, state="missing").count() == 1


def test_demo_mode_shows_the_sms_text_to_the_applicant_only(web, world, settings):
    settings.DEMO_MODE = True
    case = online_case(world)
    advance(
        world,
        case.number,
        ("420100Z01-officer", "accept", {}),
        ("420100Z01-officer", "approve", {}),
        ("420100Z01-officer", "issue_result", {}),
        ("420100Z01-officer", "ship", {"method": "window"}),
    )
    code = OutboxMessage.objects.get(case=case, template="ready_for_pickup").context["pickup_code"]
    assert code in _html(web("applicant-1").get(f"/cases/{case.number}/"))
    assert code not in _html(web("420100Z01-officer").get(f"/cases/{case.number}/"))


@pytest.mark.parametrize(
    ("username", "present", "absent"),
    [
        (
            "applicant-1",
            ["/my/", "/ratings/my/", "/ratings/summaries/"],
            ["/stats/", "/ratings/tasks/", "/ratings/pad/"],
        ),
        (
            "421102-clerk",
            ["/clerk/", "/ratings/pad/", "/ratings/tasks/", "/ratings/summaries/"],
            ["/stats/"],
        ),
        (
            "420100Z01-supervisor",
            ["/overview/", "/stats/", "/ratings/tasks/"],
            ["/clerk/", "/ratings/pad/"],
        ),
    ],
)
def test_navigation_offers_the_pages_of_the_role(web, world, username, present, absent):
    page = _html(web(username).get("/ratings/summaries/"))
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    for href in present:
        assert f'href="{href}"' in nav
    for href in absent:
        assert f'href="{href}"' not in nav


def test_completed_case_page_invites_its_applicant_to_rate(web, world):
    from tongban.stats.tests.helpers import completed_case

    case = completed_case(world)
    assert case.applicant.user is not None
    owner = case.applicant.user.username
    assert 'data-testid="rate-link"' in _html(web(owner).get(f"/cases/{case.number}/"))
    clerk_page = _html(web("421102-clerk").get(f"/cases/{case.number}/"))
    assert 'data-testid="rate-link"' not in clerk_page
    running = online_case(world)
    assert 'data-testid="rate-link"' not in _html(
        web("applicant-1").get(f"/cases/{running.number}/")
    )
