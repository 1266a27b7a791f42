"""Appointments (预约): slots from opening hours, capacity per window and slot, one
active booking per person and item, cancellation, the reminder the day before through
the outbox, no-shows, the staff's day list; permissions and failure paths."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.catalog.models import ItemImplementation
from tongban.centres.models import Window
from tongban.core.models import AuditEvent
from tongban.hall import actions, selectors
from tongban.hall.models import Appointment
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 9, 30)


def book(api, user, centre, day=MONDAY, starts="09:00", item="ITEM-COMPANY"):
    return api(user).post(
        "/appointments",
        {"item": item, "centre_id": centre.pk, "day": day.isoformat(), "starts": starts},
    )


def test_slots_follow_hours_and_capacity(world, hall, api):
    centre = hall["421102"]["centre"]
    response = api(None).get(
        f"/public/centres/{centre.pk}/slots", item="ITEM-COMPANY", day="2024-09-27"
    )
    assert response.status_code == 200
    slots = response.json()
    # 9:00–17:30 with the lunch 错时延时 in between: 17 half-hour slots, two windows of 2
    assert len(slots) == 17
    assert slots[0] == {"starts": "09:00:00", "ends": "09:30:00", "capacity": 4, "free": 4}
    assert "12:00:00" in [s["starts"] for s in slots]
    saturday = (
        api(None)
        .get(f"/public/centres/{centre.pk}/slots", item="ITEM-COMPANY", day="2024-09-28")
        .json()
    )
    assert [s["starts"] for s in saturday][:1] == ["09:00:00"] and len(saturday) == 6
    holiday = (
        api(None)
        .get(f"/public/centres/{centre.pk}/slots", item="ITEM-COMPANY", day="2024-10-02")
        .json()
    )
    assert holiday == []


def test_book_and_one_active_booking_per_item(world, hall, api):
    centre = hall["421102"]["centre"]
    response = book(api, "applicant-1", centre)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "booked" and body["window_code"] in ("K01", "K02")
    assert body["applicant_name"] != "李明"  # masked
    again = book(api, "applicant-1", centre, starts="10:00")
    assert again.status_code == 409 and again.json()["code"] == "already_booked"
    # another item is another booking
    assert book(api, "applicant-1", centre, item="ITEM-MARRIAGE").status_code == 201
    assert AuditEvent.objects.filter(action="hall.book").count() == 2
    mine = api("applicant-1").get("/appointments").json()
    assert len(mine) == 2
    assert api("applicant-2").get("/appointments").json() == []


def test_capacity_per_window_and_slot(world, hall, api):
    centre = hall["421102"]["centre"]
    Window.objects.filter(centre=centre).update(slot_capacity=1)
    first = book(api, "applicant-1", centre).json()
    second = book(api, "applicant-2", centre).json()
    # the two places are on the two windows
    assert {first["window_code"], second["window_code"]} == {"K01", "K02"}
    full = book(api, "enterprise-1", centre)
    assert full.status_code == 409 and full.json()["code"] == "slot_full"
    # a cancellation frees the place
    assert api("applicant-2").post(f"/appointments/{second['id']}/cancel").status_code == 200
    assert book(api, "enterprise-1", centre).status_code == 201


@pytest.mark.parametrize(
    ("day", "starts", "status", "code"),
    [
        (dt.date(2024, 10, 2), "09:00", 409, "slot_not_offered"),  # 国庆
        (MONDAY, "08:00", 409, "slot_not_offered"),  # before opening
        (MONDAY, "09:10", 409, "slot_not_offered"),  # not a slot's start
        (dt.date(2024, 9, 26), "09:00", 422, "day_out_of_range"),  # the past
        (dt.date(2024, 10, 28), "09:00", 422, "day_out_of_range"),  # beyond 14 days
    ],
)
def test_slots_not_offered(world, hall, api, day, starts, status, code):
    response = book(api, "applicant-1", hall["421102"]["centre"], day=day, starts=starts)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Appointment.objects.exists()


def test_a_begun_slot_cannot_be_booked(world, hall, api, clock):
    clock.set(dt.date(2024, 9, 27), 10, 5)
    response = book(api, "applicant-1", hall["421102"]["centre"], day=clock.now.date())
    assert response.json()["code"] == "slot_not_offered"
    assert (
        book(
            api, "applicant-1", hall["421102"]["centre"], day=clock.now.date(), starts="10:30"
        ).status_code
        == 201
    )


def test_who_may_book(world, hall, api):
    centre = hall["421102"]["centre"]
    assert book(api, None, centre).status_code == 401
    staff = book(api, "421102-clerk", centre)
    assert staff.status_code == 403 and staff.json()["code"] == "booking_for_applicants_only"
    assert book(api, "applicant-1", centre, item="NOPE").json()["code"] == "item_not_found"
    unknown = api("applicant-1").post(
        "/appointments",
        {"item": "ITEM-COMPANY", "centre_id": 999999, "day": "2024-09-30", "starts": "09:00"},
    )
    assert unknown.status_code == 404
    bad = api("applicant-1").post("/appointments", {"item": "ITEM-COMPANY"})
    assert bad.status_code == 422


def test_centre_that_does_not_receive_the_item(world, hall, api):
    ItemImplementation.objects.filter(
        item=world.items["company"], jurisdiction=world.outsider
    ).update(channels=["web"])
    response = book(api, "applicant-1", hall["420115"]["centre"])
    assert response.status_code == 409 and response.json()["code"] == "item_not_received_here"


def test_cancel_scope(world, hall, api):
    centre = hall["421102"]["centre"]
    booking = book(api, "applicant-1", centre).json()
    path = f"/appointments/{booking['id']}/cancel"
    assert api("applicant-2").post(path).status_code == 404
    assert api("420100Z01-clerk").post(path).status_code == 404
    assert api(None).post(path).status_code == 401
    response = api("421102-clerk").post(path)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = api("applicant-1").post(path)
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"


def test_staff_see_the_days_bookings(world, hall, api):
    centre = hall["421102"]["centre"]
    book(api, "applicant-1", centre)
    book(api, "applicant-2", centre, starts="10:00")
    rows = api("421102-clerk").get("/appointments", centre_id=centre.pk, day="2024-09-30").json()
    assert [r["starts"] for r in rows] == ["09:00:00", "10:00:00"]
    assert all(r["applicant_name"] != "李明" for r in rows)
    outside = api("420100Z01-clerk").get("/appointments", centre_id=centre.pk, day="2024-09-30")
    assert outside.status_code == 404
    assert api("421102-officer").get("/appointments", centre_id=centre.pk).status_code == 404


def test_reminder_the_day_before_through_the_outbox(world, hall, api, clock):
    centre = hall["421102"]["centre"]
    booking = book(api, "applicant-1", centre).json()
    clock.set(dt.date(2024, 9, 28), 18)
    assert actions.send_appointment_reminders() == 0  # Monday is two days away
    clock.set(dt.date(2024, 9, 29), 18)
    assert actions.send_appointment_reminders() == 1
    message = OutboxMessage.objects.get(template="appointment_reminder")
    assert message.applicant == world.applicants["person"]
    assert message.context["centre_name"] == centre.name
    assert message.context["starts"] == "09:00"
    assert actions.send_appointment_reminders() == 0  # once
    assert Appointment.objects.get(pk=booking["id"]).reminded_at is not None


def test_no_shows(world, hall, api, clock):
    centre = hall["421102"]["centre"]
    booking = book(api, "applicant-1", centre).json()
    path = f"/appointments/{booking['id']}/no-show"
    clock.set(MONDAY, 9, 10)
    early = api("421102-clerk").post(path)
    assert early.status_code == 409 and early.json()["code"] == "not_a_no_show"
    clock.set(MONDAY, 9, 30)
    assert api("applicant-1").post(path).status_code == 403
    assert api("420100Z01-clerk").post(path).status_code == 404
    assert api("421102-clerk").post(path).json()["status"] == "no_show"
    other = book(api, "applicant-2", centre, day=MONDAY, starts="10:00").json()
    clock.set(MONDAY, 11)
    assert actions.record_no_shows() == 1
    assert Appointment.objects.get(pk=other["id"]).status == "no_show"
    assert actions.record_no_shows() == 0
    assert (
        selectors.held_in_slot(hall["421102"]["k01"], MONDAY, dt.time(9))
        + selectors.held_in_slot(hall["421102"]["k02"], MONDAY, dt.time(9))
        == 1
    )
