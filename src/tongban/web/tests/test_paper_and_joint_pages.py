"""The workbench offers the paper's arrival and return and the joint lead's end as a
whole from the same table as the API (ADR 0094)."""

from __future__ import annotations

import pytest

from tongban.cases.actions import JointPartInput
from tongban.cases.models import Case, Shipment
from tongban.web.tests.conftest import advance, proxy_case

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _button(action: str) -> str:
    return f'data-dialog-opener data-action="{action}"'


def _file_received(world) -> Case:
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "EMS-W1"}),
        ("420100Z01-officer", "receive_transfer", {}),
    )
    return Case.objects.get(pk=case.pk)


def test_officer_signs_for_the_paper_with_a_mismatch_then_returns_it(web, world):
    case = _file_received(world)
    officer = web("420100Z01-officer")
    page = _html(officer.get(f"/cases/{case.number}/"))
    assert _button("receive_originals") in page and "签收纸质原件" in page
    assert _button("return_originals") not in page
    assert _button("accept") in page  # on the electronic copies
    url = f"/cases/{case.number}/act/receive_originals/"
    dialog = _html(officer.get(url, headers={"HX-Request": "true"}))
    assert 'name="mismatch"' in dialog and 'name="discrepancies"' in dialog
    # a mismatch without saying what differs is shown in the dialog, nothing is written
    response = officer.post(url, {"mismatch": "on"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "action-error" in _html(response)
    assert Shipment.objects.get(case=case).state == Shipment.State.IN_TRANSIT
    response = officer.post(
        url, {"mismatch": "on", "discrepancies": "缺少原件第2页"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    shipment = Shipment.objects.get(case=case)
    assert shipment.state == Shipment.State.SIGNED and shipment.mismatch
    page = _html(officer.get(f"/cases/{case.number}/"))
    assert 'data-testid="originals-mismatch"' in page and "缺少原件第2页" in page
    timeline = page.split('data-testid="timeline"')[1]
    assert "差异说明:缺少原件第2页" in timeline
    assert _button("receive_originals") not in page
    assert _button("return_originals") in page
    url = f"/cases/{case.number}/act/return_originals/"
    dialog = _html(officer.get(url, headers={"HX-Request": "true"}))
    assert 'name="waybill_number"' in dialog and 'name="method"' in dialog
    response = officer.post(url, {"method": "post", "carrier": "EMS", "waybill_number": "EMS-B1"})
    assert response.status_code == 302
    assert Shipment.objects.get(case=case, return_of=None).state == Shipment.State.RETURNED
    assert Shipment.objects.get(case=case, return_of__isnull=False).waybill_number == "EMS-B1"


def test_the_receiving_clerk_has_no_paper_buttons_and_cannot_post_them(web, world):
    case = _file_received(world)
    clerk = web("421102-clerk")
    page = _html(clerk.get(f"/cases/{case.number}/"))
    assert _button("receive_originals") not in page
    response = clerk.post(f"/cases/{case.number}/act/receive_originals/", {})
    assert response.status_code == 422 and "不能对该办件执行此操作" in _html(response)
    assert Shipment.objects.get(case=case).state == Shipment.State.IN_TRANSIT
    assert web("420115-officer").get(f"/cases/{case.number}/").status_code == 404


def test_the_lead_officer_ends_a_joint_case_as_a_whole_from_the_case_page(web, world):
    lead = proxy_case(
        world,
        mode="joint",
        joint_parts=[JointPartInput(jurisdiction="420703400", item="ITEM-COMPANY")],
    )
    advance(
        world,
        lead.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "J1"}),
        ("420100Z01-officer", "receive_transfer", {}),
        ("420100Z01-officer", "accept", {}),
    )
    sub = Case.objects.get(parent=lead)
    officer = web("420100Z01-officer")
    assert _button("terminate") not in _html(officer.get(f"/cases/{lead.number}/"))
    advance(
        world,
        sub.number,
        ("420703400-officer", "refuse", {"reason": "不符合条件", "competent_authority": "某局"}),
    )
    page = _html(officer.get(f"/cases/{lead.number}/"))
    assert _button("terminate") in page and 'data-testid="part-failed"' in page
    response = officer.post(
        f"/cases/{lead.number}/act/terminate/",
        {"reason": "必要部分未能办理", "confirm_irreversible": "on"},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=lead.pk).status == "terminated"
    timeline = _html(officer.get(f"/cases/{lead.number}/")).split('data-testid="timeline"')[1]
    assert "整体终止,未能办成的联办子件" in timeline and sub.number in timeline


def test_the_delivery_desk_lists_paper_on_its_way_until_it_is_signed_for(web, world):
    case = _file_received(world)
    advance(world, case.number, ("420100Z01-officer", "accept", {}))
    desk = _html(web("420100Z01-officer").get("/delivery/"))
    section = desk.split('data-section="originals_paper"')[1].split("</section>")[0]
    assert case.number in section and "EMS-W1" in section
    # the receiving place does not sign for paper: it is not on its desk
    assert 'data-section="originals_paper"' in _html(web("421102-clerk").get("/delivery/"))
    other = _html(web("421102-clerk").get("/delivery/"))
    assert (
        case.number not in other.split('data-section="originals_paper"')[1].split("</section>")[0]
    )
    advance(world, case.number, ("420100Z01-officer", "receive_originals", {}))
    desk = _html(web("420100Z01-officer").get("/delivery/"))
    section = desk.split('data-section="originals_paper"')[1].split("</section>")[0]
    assert case.number not in section
