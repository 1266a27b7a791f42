"""企业开办 in the workbench (ADR 0096): the clerk files 企业设立登记 with its form as a
"企业开办一件事" bundle, and prints the licence at the window (异地打照)."""

from __future__ import annotations

import pytest

from tongban.cases.actions import ActionInput
from tongban.cases.actions import perform_case_action as act
from tongban.cases.models import Case
from tongban.testing.enterprise import BUNDLE_CODE, add_enterprise_opening
from tongban.testing.jobs import run_jobs

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _form(world, opening, **extra):
    impl = world.implementations[("company", "420703400")]
    legal_id = opening.applicant.id_number
    data = {
        "at": "420100Z01",
        "item": "ITEM-COMPANY",
        "handling": "420703400",
        "mode": "joint",
        "token": "e-1",
        "applicant_kind": "person",
        "applicant_name": opening.applicant.name,
        "id_number": legal_id,
        "delivery_method": "window",
        "name_declaration_number": "鄂名申2024092700123",
        "proposed_name": "鄂州葛店云帆科技有限公司",
        "enterprise_type": "llc_sole_natural_person",
        "registered_capital": "30",
        "company_address": "湖北省鄂州市葛店开发区创业大道1号",
        "business_scope": "软件开发",
        "legal_name": opening.applicant.name,
        "legal_id_number": legal_id,
        "investor_name": [opening.applicant.name, ""],
        "investor_id_number": [legal_id, ""],
        "investor_contribution": ["30", ""],
        "bundle": BUNDLE_CODE,
        **{f"m{m.pk}_state": "provided" for m in impl.materials.all()},
    }
    data.update(extra)
    return data


def test_the_clerk_files_an_establishment_bundle_and_prints_the_licence(web, world):
    opening = add_enterprise_opening(world)
    client = web("420100Z01-clerk")
    page = client.get(
        "/clerk/cases/new/",
        {"at": "420100Z01", "item": "ITEM-COMPANY", "handling": "420703400", "mode": "joint"},
    )
    html = _html(page)
    assert page.status_code == 200
    assert "企业设立登记申请表" in html and "企业开办一件事" in html and "公章刻制" in html

    # a wrong capital is refused with the form kept, nothing written
    bad = client.post("/clerk/cases/new/", _form(world, opening, registered_capital="31"))
    assert bad.status_code == 422 and "申请表填写有误" in _html(bad)
    assert not Case.objects.exists()

    response = client.post("/clerk/cases/new/", _form(world, opening))
    assert response.status_code == 302, _html(response)
    case = Case.objects.get(parent=None)
    assert case.bundle is not None and case.bundle.code == BUNDLE_CODE
    assert case.form_data["seals"] == ["公章", "财务专用章", "发票专用章"]

    clerk, officer = world.user("420100Z01-clerk"), world.user("420703400-officer")
    act(clerk, case.number, "check", ActionInput())
    act(clerk, case.number, "transfer", ActionInput())
    for action in ("receive_transfer", "accept", "approve", "issue_result"):
        act(officer, case.number, action, ActionInput())
    run_jobs()  # the worker signs the licence (ADR 0121); a licence being signed is not printed
    detail = _html(client.get(f"/cases/{case.number}/"))
    assert "/act/print_licence/" in detail
    # the handling officer sees no print action: only the receiving window prints
    assert "/act/print_licence/" not in _html(
        web("420703400-officer").get(f"/cases/{case.number}/")
    )
    printed = client.post(
        f"/cases/{case.number}/act/print_licence/", {"confirm_irreversible": "on"}
    )
    assert printed.status_code in (200, 302), _html(printed)
    case.refresh_from_db()
    assert case.status == "awaiting_pickup"
    assert case.events.get(action="print_licence").actor == clerk

    # the window prints from the verified e-licence: the PDF is its to download now
    assert "printed-licence.pdf" in _html(client.get(f"/cases/{case.number}/"))
    pdf = client.get(f"/cases/{case.number}/printed-licence.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    for other in ("421102-clerk", "420100Z01-officer", "enterprise-1"):
        assert web(other).get(f"/cases/{case.number}/printed-licence.pdf").status_code == 404
    assert web(None).get(f"/cases/{case.number}/printed-licence.pdf").status_code in (302, 401)


def test_no_printed_licence_before_the_print(web, world):
    opening = add_enterprise_opening(world)
    client = web("420100Z01-clerk")
    assert client.post("/clerk/cases/new/", _form(world, opening)).status_code == 302
    case = Case.objects.get(parent=None)
    assert client.get(f"/cases/{case.number}/printed-licence.pdf").status_code == 404


def test_a_person_applies_online_for_a_new_company(web, world):
    opening = add_enterprise_opening(world)
    impl = world.implementations[("company", "420100Z01")]
    client = web("applicant-1")
    url = "/my/apply/ITEM-COMPANY/420100Z01/"
    assert "企业设立登记申请表" in _html(client.get(url))
    person = world.applicants["person"]
    data = {
        **{
            k: v
            for k, v in _form(world, opening).items()
            if k not in {"at", "item", "handling", "mode", "bundle"} and not k.startswith("m")
        },
        "token": "online-1",
        "delivery_method": "electronic",
        "legal_name": person.name,
        "legal_id_number": person.id_number,
        "investor_name": [person.name],
        "investor_id_number": [person.id_number],
        "investor_contribution": ["30"],
        **{f"m{m.pk}_state": "provided" for m in impl.materials.all()},
    }
    response = client.post(url, data)
    assert response.status_code == 302, _html(response)
    case = Case.objects.get()
    assert case.mode == "online" and case.applicant == person
    assert case.form_data["proposed_name"] == "鄂州葛店云帆科技有限公司"
    assert case.form_data["seals"] == []
