"""企业开办 (issue 8, part 7): company establishment for a company that does not exist yet,
the "企业开办一件事" bundle with the seal-engraving part, 异地打照 at the receiving window, and
the article's 卫女士 example end to end in half an hour of simulated time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tongban.accounts.identifiers import is_valid_uscc, organisation_check_character
from tongban.accounts.models import Applicant
from tongban.cases.models import Case, CaseEvent
from tongban.integrity.testing import unguarded
from tongban.licences.models import Licence
from tongban.notifications.models import OutboxMessage
from tongban.testing.enterprise import (
    BUNDLE_CODE,
    SEAL_ITEM,
    add_enterprise_opening,
    establishment_form,
)
from tongban.testing.jobs import run_jobs

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The simulated morning is tomorrow at 09:00: the test PKI's certificates are made now and
# pyHanko rightly refuses a signature dated before them. Deadlines still count from the
# fixed TODAY of the cases conftest (local_today is pinned there).
START = dt.datetime.combine(
    dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1), dt.time(9, 0), tzinfo=SHANGHAI
)


@pytest.fixture
def opening(world):
    return add_enterprise_opening(world)


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code, response.json()
    return response.json()


def bundle_submission(world, opening, **overrides):
    impl = world.implementations[("company", "420703400")]
    body = {
        "item": "ITEM-COMPANY",
        "handling": "420703400",
        "receiving": "420100Z01",
        "window_id": world.windows["420100Z01"].pk,
        "mode": "joint",
        "channel": "window",
        "delivery_method": "window",
        "applicant": {
            "kind": "person",
            "name": opening.applicant.name,
            "id_number": opening.applicant.id_number,
        },
        "materials": [{"material_id": m.pk} for m in impl.materials.order_by("position")],
        "form": establishment_form(world),
        "bundle": BUNDLE_CODE,
    }
    body.update(overrides)
    return body


def _at(traveller, minutes):
    traveller.move_to(START + dt.timedelta(minutes=minutes))


def _pickup_code(number):
    return (
        OutboxMessage.objects.filter(case__number=number, template="ready_for_pickup")
        .latest("pk")
        .context["pickup_code"]
    )


def test_wei_at_the_donghu_window_leaves_with_a_gedian_licence_and_three_seals_in_half_an_hour(
    world, api, opening, client
):
    """2021-06-26 in the article: 卫女士 files at the 东湖 跨域联办 window and half an hour
    later holds the 葛店 business licence and three company seals. Simulated on a frozen
    clock that the test moves forward step by step."""
    with time_machine.travel(START, tick=False) as traveller:
        clerk, officer, wei = api("420100Z01-clerk"), api("420703400-officer"), api("enterprise-1")

        # 09:00 one application at the 东湖 window: licence + seals (tax and social security
        # registration are optional parts she does not take)
        case = _ok(clerk.post("/cases", bundle_submission(world, opening)), 201)
        number = case["number"]
        assert case["bundle"] == BUNDLE_CODE and case["mode"] == "joint"
        assert case["applicant"]["kind"] == "person"
        assert case["form"]["seals"] == ["公章", "财务专用章", "发票专用章"]
        # the form is shown with ID numbers masked
        assert "*" in case["form"]["legal_representative"]["id_number"]

        _at(traveller, 3)
        _ok(clerk.act(number, "check"))
        _at(traveller, 5)
        # electronic push: 葛店 takes 企业开办 without originals by post
        _ok(clerk.act(number, "transfer"))
        _at(traveller, 7)
        _ok(officer.act(number, "receive_transfer"))
        _ok(officer.act(number, "accept"))
        (seal_number,) = _ok(officer.get(f"/cases/{number}"))["subcases"]
        seal_case = Case.objects.select_related("implementation__department").get(
            number=seal_number
        )
        # the part goes to the department that owns it: public security
        assert seal_case.item.code == SEAL_ITEM
        assert seal_case.implementation.department.kind == "public_security"
        assert seal_case.form_data == {
            "enterprise_name": "鄂州葛店云帆科技有限公司",
            "seals": ["公章", "财务专用章", "发票专用章"],
        }

        _at(traveller, 8)
        _ok(officer.act(seal_number, "accept"))
        # seals are engraved for a registered enterprise: not before the licence
        _error(officer.act(seal_number, "approve"), 409, "licence_not_issued")

        _at(traveller, 10)
        _ok(officer.act(number, "approve"))
        _at(traveller, 12)
        case = _ok(officer.act(number, "issue_result"))
        issued = case["event"]["data"]
        enterprise = Applicant.objects.get(uscc=issued["enterprise"]["uscc"])

        _at(traveller, 14)
        seal = _ok(officer.act(seal_number, "approve"))
        assert seal["event"]["data"] == {
            "seals": ["公章", "财务专用章", "发票专用章"],
            "enterprise": {"name": enterprise.name, "uscc": enterprise.uscc},
        }
        _ok(officer.act(seal_number, "issue_result"))
        _ok(officer.act(seal_number, "ship"))
        _at(traveller, 16)
        assert _ok(officer.act(seal_number, "complete"))["status"] == "completed"

        # 09:20 异地打照 at the 东湖 window instead of waiting for the post
        _at(traveller, 20)
        # the licence is printed once the worker has signed it (ADR 0121)
        _error(clerk.act(number, "print_licence"), 409, "licence_being_signed")
        run_jobs()
        case = _ok(clerk.act(number, "print_licence"))
        assert case["status"] == "awaiting_pickup"
        printed = case["event"]
        licence = Licence.objects.get(case__number=number)
        assert printed["actor_jurisdiction"] == "420100Z01"
        assert printed["data"]["licence"] == licence.identifier
        assert printed["data"]["copy"] == 1 and printed["data"]["verified"] is True

        _at(traveller, 25)
        case = _ok(
            clerk.act(
                number,
                "pickup",
                pickup_code=_pickup_code(number),
                picker_id_number=opening.applicant.id_number,
            )
        )
        assert case["status"] == "delivered"
        # she leaves with the licence and the three seals
        assert case["event"]["data"]["seals"] == ["公章", "财务专用章", "发票专用章"]
        _at(traveller, 28)
        case = _ok(officer.act(number, "complete"))
        assert case["status"] == "completed"

        events = CaseEvent.objects.filter(case__number__in=[number, seal_number])
        first, last = events.order_by("at").first(), events.order_by("at").last()
        assert first is not None and last is not None
        assert last.at - first.at <= dt.timedelta(minutes=30)

        # the enterprise came into being with the licence, registered in 葛店
        assert enterprise.kind == "enterprise" and enterprise.name == "鄂州葛店云帆科技有限公司"
        assert is_valid_uscc(enterprise.uscc)
        assert enterprise.uscc[:8] == "91420703"
        assert enterprise.uscc[16] == organisation_check_character(enterprise.uscc[8:16])
        # the filing person is its agent, with her portal account
        assert enterprise.agent_id_number == opening.applicant.id_number
        assert enterprise.user == world.user("enterprise-1")
        mine = _ok(wei.get("/licences"))
        assert licence.identifier in [item["identifier"] for item in mine["items"]]

    # the licence is made out to the enterprise with the fields of a real 营业执照
    assert licence.holder == enterprise and licence.holder_kind == "enterprise"
    fields = licence.data["fields"]
    assert fields == {
        "名称": "鄂州葛店云帆科技有限公司",
        "统一社会信用代码": enterprise.uscc,
        "类型": "有限责任公司(自然人投资或控股)",
        "法定代表人": "卫敏",
        "注册资本": "100万元",
        "成立日期": f"{START.year}年{START.month}月{START.day}日",
        "住所": "湖北省鄂州市葛店开发区创业大道1号",
        "经营范围": "一般项目:技术服务、技术开发、技术咨询;软件开发。",
    }
    verified = client.get(f"/api/v1/licences/{licence.identifier}/verify").json()
    assert verified["status"] == "valid"
    assert ["法定代表人", "卫敏"] in verified["licence"]["register_fields"]
    page = client.get(f"/verify/{licence.identifier}").content.decode()
    assert "有效" in page and "法定代表人" in page and "100万元" in page


def test_pdf_prints_the_business_licence_fields_in_document_order(world, api, opening):
    from tongban.core.pdf import Fields
    from tongban.licences.rendering import licence_document

    with time_machine.travel(START, tick=False):
        number = _issued_case(world, api, opening)
    licence = Licence.objects.get(case__number=number)
    document = licence_document(licence.data)
    table = document.blocks[0]
    assert isinstance(table, Fields)
    rows = table.rows
    assert [label for label, _ in rows] == [
        "名称",
        "统一社会信用代码",
        "类型",
        "法定代表人",
        "注册资本",
        "成立日期",
        "住所",
        "经营范围",
        "登记机关",
        "发照日期",
    ]
    assert rows[-2][1] == licence.issuer_name


def _issued_case(world, api, opening, **overrides):
    clerk, officer = api("420100Z01-clerk"), api("420703400-officer")
    number = _ok(clerk.post("/cases", bundle_submission(world, opening, **overrides)), 201)[
        "number"
    ]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer"))
    for action in ("receive_transfer", "accept", "approve", "issue_result"):
        _ok(officer.act(number, action))
    run_jobs()  # the worker signs the licence after commit (ADR 0121)
    return number


# ---- submission rules -------------------------------------------------------------------


def test_an_existing_enterprise_cannot_file_its_own_establishment(world, api, opening):
    clerk = api("420100Z01-clerk")
    existing = world.applicants["enterprise"]
    body = bundle_submission(
        world,
        opening,
        applicant={
            "kind": "enterprise",
            "name": existing.name,
            "uscc": existing.uscc,
            "agent_name": existing.agent_name,
            "agent_id_number": existing.agent_id_number,
        },
    )
    _error(clerk.post("/cases", body), 422, "establishment_needs_person")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"registered_capital": "120"}, "form"),
        ({"enterprise_type": "state_owned"}, "form.enterprise_type"),
        ({"legal_representative": {"name": "卫敏", "id_number": "420111199606260000"}}, None),
        ({"investors": []}, "form.investors"),
        ({"seals": ["公章", "公章"]}, "form"),
    ],
)
def test_an_invalid_form_is_refused_and_nothing_is_written(world, api, opening, change, field):
    clerk = api("420100Z01-clerk")
    body = bundle_submission(world, opening, form=establishment_form(world, **change))
    error = _error(clerk.post("/cases", body), 422, "invalid_form")
    if field:
        assert field in [p["field"] for p in error["details"]["problems"]]
    assert not Case.objects.exists()


def test_the_form_is_required_and_only_for_items_that_have_one(world, api, opening):
    clerk = api("420100Z01-clerk")
    _error(clerk.post("/cases", bundle_submission(world, opening, form=None)), 422, "missing_field")
    marriage = {
        "item": "ITEM-MARRIAGE",
        "handling": "420703400",
        "receiving": "420100Z01",
        "mode": "proxy",
        "channel": "window",
        "delivery_method": "window",
        "applicant_id": world.applicants["person"].pk,
        "form": {"anything": 1},
    }
    _error(clerk.post("/cases", marriage), 422, "unexpected_field")


def test_a_registered_name_cannot_be_established_again(world, api, opening):
    clerk = api("420100Z01-clerk")
    taken = world.applicants["enterprise"].name
    form = establishment_form(world, name=taken)
    _error(
        clerk.post("/cases", bundle_submission(world, opening, form=form)),
        409,
        "enterprise_name_taken",
    )


def test_bundle_rules(world, api, opening):
    clerk = api("420100Z01-clerk")
    _error(
        clerk.post("/cases", bundle_submission(world, opening, bundle="NOPE")),
        422,
        "unknown_bundle",
    )
    _error(
        clerk.post("/cases", bundle_submission(world, opening, mode="proxy")),
        422,
        "bundle_needs_joint_mode",
    )
    _error(
        clerk.post("/cases", bundle_submission(world, opening, bundle_parts=[SEAL_ITEM])),
        422,
        "unknown_bundle_part",
    )
    assert not Case.objects.exists()


def test_optional_parts_become_sub_cases_of_their_departments(world, api, opening):
    with time_machine.travel(START, tick=False):
        clerk, officer = api("420100Z01-clerk"), api("420703400-officer")
        body = bundle_submission(world, opening, bundle_parts=["ITEM-TAX-NEW", "ITEM-SOCIAL-UNIT"])
        number = _ok(clerk.post("/cases", body), 201)["number"]
        _ok(clerk.act(number, "check"))
        _ok(clerk.act(number, "transfer"))
        _ok(officer.act(number, "receive_transfer"))
        _ok(officer.act(number, "accept"))
        case = _ok(officer.get(f"/cases/{number}"))
    kinds = sorted(
        Case.objects.filter(number__in=case["subcases"]).values_list(
            "implementation__department__kind", flat=True
        )
    )
    assert kinds == ["human_resources", "public_security", "taxation"]


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        (None, 401, None),
        ("421102-clerk", 403, "not_a_clerk_here"),  # another jurisdiction's window
        ("420100Z01-officer", 403, "not_a_clerk_here"),  # wrong role at the window
    ],
)
def test_only_the_receiving_clerk_opens_a_bundle(world, api, opening, username, status, code):
    response = api(username).post("/cases", bundle_submission(world, opening))
    assert response.status_code == status, response.content.decode()
    if code:
        assert response.json()["code"] == code
    assert not Case.objects.exists()


# ---- 异地打照 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        (None, 401),
        ("421102-clerk", 404),  # out of jurisdiction: the case is not disclosed
        ("420703400-officer", 403),  # the handling place ships, it does not print here
        ("420100Z01-officer", 403),  # wrong role at the receiving place
        ("enterprise-1", 403),  # the applicant cannot print her own licence
    ],
)
def test_only_the_receiving_clerk_prints_the_licence(world, api, opening, username, status):
    with time_machine.travel(START, tick=False):
        number = _issued_case(world, api, opening)
        response = api(username).act(number, "print_licence")
    assert response.status_code == status, response.content.decode()
    stored = Case.objects.get(number=number)
    assert stored.status == "result_issued"
    assert not stored.events.filter(action="print_licence").exists()


def test_printing_needs_window_delivery(world, api, opening):
    with time_machine.travel(START, tick=False):
        number = _issued_case(
            world, api, opening, delivery_method="post", delivery_address="武汉市洪山区珞喻路1号"
        )
        _error(api("420100Z01-clerk").act(number, "print_licence"), 409, "not_window_delivery")


def test_a_tampered_licence_is_not_printed(world, api, opening):
    with time_machine.travel(START, tick=False):
        number = _issued_case(world, api, opening)
        licence = Licence.objects.get(case__number=number)
        data = dict(licence.data)
        data["fields"] = {**data["fields"], "注册资本": "10000万元"}
        # a tamperer with the database owner's rights: the append-only guard is off
        with unguarded(Licence._meta.db_table):
            Licence.objects.filter(pk=licence.pk).update(data=data)
        error = _error(
            api("420100Z01-clerk").act(number, "print_licence"), 409, "licence_failed_verification"
        )
    assert error["details"]["status"] == "tampered"
    assert Case.objects.get(number=number).status == "result_issued"


def test_a_revoked_licence_is_not_printed(world, api, opening):
    from tongban.licences.actions import revoke_licence

    with time_machine.travel(START, tick=False):
        number = _issued_case(world, api, opening)
        revoke_licence(
            world.user("420703400-head"), Licence.objects.get(case__number=number), "错误"
        )
        _error(api("420100Z01-clerk").act(number, "print_licence"), 409, "no_licence")


def test_the_generated_code_is_valid_and_fresh(world, api, opening):
    with time_machine.travel(START, tick=False):
        first = _issued_case(world, api, opening)
        second = _issued_case(
            world, api, opening, form=establishment_form(world, name="鄂州葛店云帆物流有限公司")
        )
    codes = [Licence.objects.get(case__number=n).holder.uscc for n in (first, second)]
    assert codes[0] != codes[1] and all(is_valid_uscc(c) for c in codes)


def test_a_case_opened_before_the_item_took_its_form_keeps_its_holder(world, api):
    """Cases opened while 企业设立登记 had no form (and imported history) carry no form:
    they finish as they started, the licence going to their applicant."""
    from tongban.cases.tests.conftest import company_submission

    with time_machine.travel(START, tick=False):
        clerk, officer = api("421102-clerk"), api("420100Z01-officer")
        number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
        add_enterprise_opening(world)
        _ok(clerk.act(number, "check"))
        _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="EMS1"))
        for action in ("receive_transfer", "accept", "approve", "issue_result"):
            _ok(officer.act(number, action))
    assert Licence.objects.get(case__number=number).holder == world.applicants["enterprise"]
