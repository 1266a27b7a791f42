"""The pages of issue 15 §5 and §6 without a browser: the confirmation of steps that
cannot be undone, intake with the formal check, the next step on the receipt, the routes
by handling place, the queue's search, "待我处理", stages and counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.agreements.models import AgreementItem
from tongban.cases.models import Case, CaseEvent
from tongban.catalog.models import ItemImplementation
from tongban.web.tests.conftest import advance, online_case, proxy_case
from tongban.web.tests.test_pages import _new_case_form

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- safe actions


def _pending(world) -> Case:
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "EMS1"}),
        ("420100Z01-officer", "receive_transfer", {}),
    )
    return case


def test_an_irreversible_step_needs_its_confirmation(web, world):
    case = _pending(world)
    officer = web("420100Z01-officer")
    url = f"/cases/{case.number}/act/accept/"
    response = officer.post(url, {})
    assert response.status_code == 422
    page = _html(response)
    assert 'data-testid="action-error"' in page and 'aria-invalid="true"' in page
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    assert not case.events.filter(action="accept").exists()
    # the same through htmx: the dialog comes back with the message, nothing changed
    again = officer.post(url, {}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and 'data-testid="action-error"' in _html(again)
    assert officer.post(url, {"confirm_irreversible": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "accepted"


def test_an_everyday_step_needs_no_confirmation(web, world):
    case = _pending(world)
    material = case.materials.order_by("id")[0]
    response = web("420100Z01-officer").post(
        f"/cases/{case.number}/act/request_supplement/", {"missing": [material.pk]}
    )
    assert response.status_code == 302


def test_without_the_confirmation_outsiders_still_get_404_and_401(web, world):
    case = _pending(world)
    url = f"/cases/{case.number}/act/accept/"
    assert web("420205-officer").post(url, {}).status_code == 404
    anonymous = web(None).post(url, {})
    assert anonymous.status_code in (302, 401)
    # a role without the step: the action's own refusal, not the confirmation's
    refused = _html(web("421102-clerk").post(url, {}))
    assert 'data-testid="action-error"' in refused and 'aria-invalid="true"' not in refused
    case.refresh_from_db()
    assert case.status == "pending_acceptance"


def test_the_case_page_sets_the_steps_that_cannot_be_undone_apart(web, world):
    case = _pending(world)
    page = _html(web("420100Z01-officer").get(f"/cases/{case.number}/"))
    everyday = page[page.index('data-testid="everyday-actions"') : page.index("final-actions")]
    final = page[page.index('data-testid="final-actions"') :]
    assert 'data-action="request_supplement"' in everyday
    assert 'data-action="accept"' not in everyday and 'data-action="refuse"' not in everyday
    assert 'data-action="accept"' in final and 'data-action="refuse"' in final
    assert 'class="button destructive"' in final


def test_the_applicants_withdrawal_is_set_apart(web, world):
    case = online_case(world)
    page = _html(web("applicant-1").get(f"/cases/{case.number}/"))
    assert 'data-testid="everyday-actions"' not in page  # nothing else to do yet
    final = page[page.index('data-testid="final-actions"') :]
    assert 'class="button destructive"' in final and 'data-action="withdraw"' in final


# ---------------------------------------------------------------- intake with the check


def test_intake_with_the_formal_check_is_one_action(web, world):
    data, _ = _new_case_form(world, token="t-check")
    data["check_at_receipt"] = "on"
    client = web("421102-clerk")
    response = client.post("/clerk/cases/new/", data)
    assert response.status_code == 302, _html(response)
    case = Case.objects.get()
    assert case.status == "checked"
    assert list(case.events.order_by("seq").values_list("action", flat=True)) == [
        "submit",
        "check",
    ]
    # the receipt offers the next step: the transfer, set apart as it cannot be undone
    receipt = _html(client.get(reverse("web:receipt", args=[case.number])))
    assert 'data-testid="receipt-next"' in receipt
    assert f"/cases/{case.number}/act/transfer/" in receipt


def test_intake_with_the_check_refuses_an_incomplete_checklist_and_opens_nothing(web, world):
    data, materials = _new_case_form(world, token="t-check-2", check_at_receipt="on")
    data[f"m{materials[0].pk}_state"] = "missing"  # the application form itself
    response = web("421102-clerk").post("/clerk/cases/new/", data)
    # the form is shown again with the check's refusal (409 on the API; the form's
    # status for a refused submission is the form's own concern)
    assert response.status_code in (409, 422)
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


# ---------------------------------------------------------------- routes


def test_routes_grouped_by_place_online_only_marked_and_filtered(web, world):
    gedian = world.jurisdictions["420703400"]
    ItemImplementation.objects.filter(item__code="ITEM-COMPANY", jurisdiction=gedian).update(
        modes=["online"]
    )
    for entry in AgreementItem.objects.filter(item__code="ITEM-COMPANY"):
        entry.modes = sorted({*entry.modes, "online"})
        entry.save(update_fields=["modes"])
    client = web("421102-clerk")
    page = _html(client.get("/clerk/items/ITEM-COMPANY/", {"at": "421102"}))
    order = [page.index(f'data-testid="route-group-{code}"') for code in ("420100Z01", "420703400")]
    # the places the window can receive for come before the online-only one
    assert order == sorted(order)
    gedian_block = page[order[1] :]
    assert 'data-online-only="1"' in gedian_block[:200]
    assert 'data-testid="online-only"' in gedian_block
    assert 'data-testid="guide-link"' in gedian_block and "开始收件" not in gedian_block
    one = _html(client.get("/clerk/items/ITEM-COMPANY/", {"at": "421102", "place": "420100Z01"}))
    assert 'data-testid="route-group-420100Z01"' in one
    assert 'data-testid="route-group-420703400"' not in one
    none = _html(client.get("/clerk/items/ITEM-COMPANY/", {"at": "421102", "place": "999999"}))
    assert 'data-testid="no-route-at-place"' in none


# ---------------------------------------------------------------- queue


def test_queue_number_search_awaiting_and_counts(web, world):
    first, second = proxy_case(world), proxy_case(world)
    outside = proxy_case(world, receiving="420205", handling="420703400")
    clerk = web("421102-clerk")
    page = _html(clerk.get("/queue/", {"number": first.number}))
    assert f'data-number="{first.number}"' in page and f'data-number="{second.number}"' not in page
    page = _html(clerk.get("/queue/", {"number": outside.number}))
    assert f'data-number="{outside.number}"' not in page
    page = _html(clerk.get("/queue/", {"awaiting": "me"}))
    assert f'data-number="{first.number}"' in page and f'data-number="{second.number}"' in page
    assert 'data-testid="count-awaiting"' in page
    # the officer of 东湖: nothing waits for him before the transfer
    officer = _html(web("420100Z01-officer").get("/queue/", {"awaiting": "me"}))
    assert f'data-number="{first.number}"' not in officer
    workbench = _html(clerk.get("/clerk/"))
    assert 'data-testid="work-counts"' in workbench
    count = workbench[workbench.index('data-testid="count-awaiting"') :][:120]
    assert ">2<" in count


def test_queue_stages_and_bad_filters(web, world):
    case = proxy_case(world)
    clerk = web("421102-clerk")
    assert f'data-number="{case.number}"' in _html(clerk.get("/queue/", {"stage": "intake"}))
    assert f'data-number="{case.number}"' not in _html(clerk.get("/queue/", {"stage": "ended"}))
    for params in ({"number": "4211%"}, {"stage": "limbo"}):
        response = clerk.get("/queue/", params)
        assert response.status_code == 422
        assert 'data-code="invalid_filter"' in _html(response)
    assert web(None).get("/queue/", {"awaiting": "me"}).status_code in (302, 401)
