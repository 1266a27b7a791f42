"""The per-process master-data cache of case actions (ADR 0119): a change is seen by the
very next request, and tokens and roles are never cached at all."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from tongban.accounts.actions import assign_role, revoke_role
from tongban.accounts.models import User
from tongban.cases.tests.conftest import company_submission
from tongban.core import versioned
from tongban.masterdata.actions import set_calendar_day
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code, response.json()


def _checked(world, api) -> str:
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    _ok(clerk.act(number, "check"))
    return number


def _pending(world, api) -> str:
    number = _checked(world, api)
    _ok(api("421102-clerk").act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def test_an_edited_implementation_is_seen_by_the_next_action(world, api):
    clerk = api("421102-clerk")
    number = _checked(world, api)
    # the implementation wants the paper originals: no transfer without a waybill (and the
    # refused attempt has read, and cached, the implementation)
    _error(clerk.act(number, "transfer"), 422, "missing_field")
    implementation = world.implementations[("company", "420100Z01")]
    implementation.needs_originals = False
    implementation.save(update_fields=["needs_originals"])
    case = _ok(clerk.act(number, "transfer"))
    assert case["status"] == "in_transfer" and case["event"]["data"]["electronic_push"] is True


def test_an_edited_item_name_is_in_the_next_notification(world, api):
    number = _checked(world, api)
    item = world.items["company"]
    item.name = "公司设立登记(新名称)"
    item.save(update_fields=["name"])
    _ok(api("421102-clerk").act(number, "transfer", carrier="EMS", waybill_number="E2"))
    message = OutboxMessage.objects.filter(case__number=number).order_by("-pk").first()
    assert message is not None and message.context["item_name"] == "公司设立登记(新名称)"


def test_a_changed_calendar_moves_the_next_deadline(world, api, today):
    officer = api("420100Z01-officer")
    first, second = _pending(world, api), _pending(world, api)
    # 3 promised working days after Fri 09-27: Sun 09-29 (调休), then 10-08 after the holidays
    assert _ok(officer.act(first, "accept"))["due_date"] == "2024-10-08"
    set_calendar_day(
        None, day=dt.date(2024, 9, 29), is_working_day=False, jurisdiction=world.donghu
    )
    assert _ok(officer.act(second, "accept"))["due_date"] == "2024-10-09"


def test_a_revoked_token_stops_working_on_the_next_request(world, api):
    clerk = api("421102-clerk")
    number = _checked(world, api)
    assert clerk.client.delete("/api/v1/auth/token", headers=clerk.headers).status_code == 204
    _error(clerk.act(number, "transfer", carrier="EMS", waybill_number="E3"), 401,
           "not_authenticated")  # fmt: skip


def test_a_removed_role_stops_working_on_the_next_request(world, api):
    officer = api("420100Z01-officer")
    first, second = _pending(world, api), _pending(world, api)
    _ok(officer.act(first, "accept"))
    revoke_role(None, world.user("420100Z01-officer"), "officer", world.donghu)
    # no role left at 东湖: the case is outside the officer's scope
    _error(officer.act(second, "accept"), 404, "not_found")


def test_a_user_object_read_before_a_role_removal_cannot_bring_the_role_back(world, api):
    officer = api("420100Z01-officer")
    first, second = _pending(world, api), _pending(world, api)
    read_before = User.objects.get(username="420100Z01-officer")
    _ok(officer.act(first, "accept"))  # the grants are cached under the current version
    revoke_role(None, world.user("420100Z01-officer"), "officer", world.donghu)
    read_before.display_name = "改名"
    read_before.save()  # a full save must not write the old grants version back
    _error(officer.act(second, "accept"), 404, "not_found")


def test_a_granted_role_works_on_the_next_request(world, api):
    officer = api("420100Z01-officer")
    number = _pending(world, api)
    revoke_role(None, world.user("420100Z01-officer"), "officer", world.donghu)
    _error(officer.act(number, "accept"), 404, "not_found")
    assign_role(None, world.user("420100Z01-officer"), "officer", world.donghu)
    _ok(officer.act(number, "accept"))


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_by_the_next_read(world, is_postgres):
    if not is_postgres:
        pytest.skip("needs a database that several connections share")
    before = versioned.current()
    implementation = world.implementations[("company", "420100Z01")]
    cached = versioned.row(type(implementation), implementation.pk, before)
    assert cached.needs_originals is True

    def elsewhere() -> None:  # another server process: its own connection, its own commit
        try:
            with transaction.atomic():
                implementation.needs_originals = False
                implementation.save(update_fields=["needs_originals"])
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    after = versioned.current()
    assert after != before
    assert versioned.row(type(implementation), implementation.pk, after).needs_originals is False
    assert connection.in_atomic_block is False


def test_a_rolled_back_change_leaves_the_version_as_it_was(world):
    before = versioned.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        world.items["company"].save()
        assert versioned.current() != before
        raise RuntimeError("rolled back")
    assert versioned.current() == before
