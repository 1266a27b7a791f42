"""The clerk's checklist (issue 15): nothing ticked at first, a required line left
unticked is refused, 原件待寄出 until the originals are posted, 免提交 offered only for a
licence the applicant holds."""

from __future__ import annotations

import pytest

from tongban.cases import actions
from tongban.cases.models import Case
from tongban.catalog.models import Material
from tongban.core.errors import Invalid
from tongban.licences.models import Licence
from tongban.testing.jobs import run_jobs
from tongban.web.tests.conftest import advance, company_input, proxy_case
from tongban.web.tests.test_pages import _html, _new_case_form

pytestmark = pytest.mark.django_db

FORM_URL = "/clerk/cases/new/"
FORM_QUERY = {"at": "421102", "item": "ITEM-COMPANY", "handling": "420100Z01", "mode": "proxy"}


def test_the_checklist_starts_with_nothing_ticked(web, world):
    page = _html(web("421102-clerk").get(FORM_URL, FORM_QUERY))
    assert 'value="provided"' in page and "全部已收取" in page
    assert 'value="provided" checked' not in page and 'value="missing" checked' not in page


def test_a_required_material_left_unticked_is_refused_and_marked(web, world):
    data, materials = _new_case_form(world, token="t-unticked")
    del data[f"m{materials[2].pk}_state"]  # 住所使用证明: required, no scan, no tick
    response = web("421102-clerk").post(FORM_URL, data)
    assert response.status_code == 422
    page = _html(response)
    assert "material_not_checked" not in page and materials[2].name in page
    assert f'id="m{materials[2].pk}_provided" aria-invalid="true"' in page
    assert f'id="m{materials[0].pk}_provided" aria-invalid' not in page
    # the ticks the clerk did make are still there
    assert (
        f'id="m{materials[0].pk}_provided" name="m{materials[0].pk}_state" value="provided" checked'
        in page
    )
    assert not Case.objects.exists()


def test_an_uploaded_scan_ticks_its_line_and_an_explicit_missing_is_kept(web, world):
    data, materials = _new_case_form(world, token="t-scan")
    del data[f"m{materials[1].pk}_state"]  # its scan is uploaded: received
    assert web("421102-clerk").post(FORM_URL, data).status_code == 302
    states = dict(Case.objects.get().materials.values_list("material_id", "state"))
    assert states[materials[1].pk] == "provided" and states[materials[2].pk] == "missing"


def test_the_action_refuses_unchecked_required_lines_whatever_the_channel(world):
    data = company_input(world)
    required = data.materials[0].material_id
    data.materials[0] = actions.MaterialInput(material_id=required, state=actions.NOT_CHECKED)
    with pytest.raises(Invalid) as refused:
        actions.submit_case(world.user("421102-clerk"), data)
    assert refused.value.code == "material_not_checked"
    assert refused.value.details == {
        "field": "materials",
        "material_ids": [required],
        "fields": {f"materials.{required}": "material_not_checked"},
    }
    assert not Case.objects.exists()
    # an optional line left unticked simply does not apply
    impl = world.implementations[("company", "420100Z01")]
    optional = Material.objects.create(
        implementation=impl, position=8, name="其他材料", requirement="optional", form="copy"
    )
    data = company_input(world)
    data.materials.append(actions.MaterialInput(material_id=optional.pk, state=""))
    case = actions.submit_case(world.user("421102-clerk"), data)
    assert case.materials.get(material_id=optional.pk).state == "not_applicable"


def test_the_receipt_says_originals_to_be_sent_until_they_are_posted(web, world):
    client = web("421102-clerk")
    data, _ = _new_case_form(world, token="t-receipt")
    receipt_url = client.post(FORM_URL, data)["Location"]
    receipt = _html(client.get(receipt_url))
    assert "原件待寄出" in receipt and "原件已寄出" not in receipt
    number = Case.objects.get().number
    advance(
        world,
        number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "E1"}),
    )
    receipt = _html(client.get(receipt_url))
    assert "原件已寄出" in receipt and "原件待寄出" not in receipt


def _licence_of_enterprise(world) -> Licence:
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "E1"}),
        ("420100Z01-officer", "receive_transfer", {}),
        ("420100Z01-officer", "accept", {}),
        ("420100Z01-officer", "approve", {}),
        ("420100Z01-officer", "issue_result", {}),
    )
    run_jobs()  # the worker signs it (ADR 0121): only a signed licence stands in
    return Licence.objects.get(case=case)


def test_licence_exemption_is_offered_only_for_a_licence_the_applicant_holds(web, world):
    licence = _licence_of_enterprise(world)
    impl = world.implementations[("company", "420100Z01")]
    held = Material.objects.create(
        implementation=impl,
        position=8,
        name="营业执照",
        requirement="required",
        form="copy",
        licence_type_code=licence.licence_type_code,
    )
    other = Material.objects.create(
        implementation=impl,
        position=9,
        name="食品经营许可证",
        requirement="optional",
        form="copy",
        licence_type_code="FOOD-NOT-HELD",
    )
    client = web("421102-clerk")
    enterprise = world.applicants["enterprise"]
    # no applicant yet: no line offers it
    page = _html(client.get(FORM_URL, FORM_QUERY))
    assert "电子证照免提交" not in page
    # the lookup swaps the offer into the line the licence stands in for, naming it
    found = _html(
        client.post(
            "/clerk/applicant/",
            {
                "identifier": enterprise.uscc,
                "applicant_kind": "enterprise",
                "item": "ITEM-COMPANY",
                "handling": "420100Z01",
            },
        )
    )
    assert f'id="m{held.pk}_licence-offer" hx-swap-oob="true"' in found
    assert f'id="m{held.pk}_bylicence"' in found and licence.identifier in found
    assert f'id="m{other.pk}_licence-offer" hx-swap-oob="true"></span>' in found
    # a re-shown form for that applicant offers it too; a person without it is not offered
    page = _html(client.get(FORM_URL, {**FORM_QUERY, "applicant_id": enterprise.pk}))
    assert f'id="m{held.pk}_bylicence"' in page and f'id="m{other.pk}_bylicence"' not in page
    person = world.applicants["person"]
    page = _html(client.get(FORM_URL, {**FORM_QUERY, "applicant_id": person.pk}))
    assert "电子证照免提交" not in page
    # and the submission takes it
    data, _ = _new_case_form(world, token="t-licence", applicant_id=str(enterprise.pk))
    data[f"m{held.pk}_state"] = "by_licence"
    assert client.post(FORM_URL, data).status_code == 302
    line = Case.objects.latest("pk").materials.get(material_id=held.pk)
    assert line.state == "by_licence" and line.licence_reference == licence.identifier


def test_the_clerk_form_is_only_for_clerks_and_signed_in_users(web, world):
    assert web("420100Z01-officer").get(FORM_URL, FORM_QUERY).status_code == 403
    anonymous = web(None).get(FORM_URL, FORM_QUERY)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    # the look-up that brings the licence offers needs a signed-in member of staff
    lookup = {
        "identifier": world.applicants["enterprise"].uscc,
        "applicant_kind": "enterprise",
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
    }
    anonymous = web(None).post("/clerk/applicant/", lookup)
    assert anonymous.status_code in (302, 403) and "licence-offer" not in _html(anonymous)
