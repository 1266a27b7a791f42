"""The hall's pages: booking in the portal, the ticket kiosk (no login), the display,
the clerk's calling page and the day list; permissions and failure paths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tongban.hall import actions
from tongban.hall.models import Appointment, Ticket

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2024, 9, 27)


def signed_in(world, username):
    client = Client()
    client.force_login(world.user(username))
    return client


def test_portal_booking_and_cancel(world, hall, clock):
    centre = hall["421102"]["centre"]
    client = signed_in(world, "applicant-1")
    page = client.get(
        "/my/appointments/", {"centre": centre.pk, "item": "ITEM-COMPANY", "day": "2024-09-30"}
    )
    assert page.status_code == 200
    assert 'data-testid="slot-0900"' in page.content.decode()
    booked = client.post(
        "/my/appointments/",
        {"centre": centre.pk, "item": "ITEM-COMPANY", "day": "2024-09-30", "starts": "09:00"},
        follow=True,
    )
    assert "预约成功" in booked.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.channel == "web"
    again = client.post(
        "/my/appointments/",
        {"centre": centre.pk, "item": "ITEM-COMPANY", "day": "2024-09-30", "starts": "10:00"},
        follow=True,
    )
    assert "已有该事项的有效预约" in again.content.decode()
    bad = client.post(
        "/my/appointments/",
        {"centre": centre.pk, "item": "ITEM-COMPANY", "day": "2024-09-30", "starts": "x"},
        follow=True,
    )
    assert bad.status_code == 200 and Appointment.objects.count() == 1
    assert (
        signed_in(world, "applicant-2")
        .post(f"/my/appointments/{appointment.pk}/cancel/")
        .status_code
        == 404
    )
    client.post(f"/my/appointments/{appointment.pk}/cancel/")
    assert Appointment.objects.get().status == "cancelled"
    assert Client().get("/my/appointments/").status_code == 302  # to the login page


def test_ticket_kiosk_needs_no_login(world, hall, clock):
    centre = hall["421102"]["centre"]
    clock.set(FRIDAY, 9)
    client = Client()
    assert client.get(f"/hall/{centre.pk}/ticket/").status_code == 200
    taken = client.post(f"/hall/{centre.pk}/ticket/", {"line": "A"})
    assert taken.status_code == 201
    assert 'data-testid="ticket-code">A001<' in taken.content.decode()
    clock.set(FRIDAY, 18)
    closed = client.post(f"/hall/{centre.pk}/ticket/", {"line": "A"})
    assert closed.status_code == 409
    assert client.get("/hall/999999/ticket/").status_code == 404


def test_kiosk_check_in_with_booking_number_and_identity(world, hall, clock):
    centre = hall["421102"]["centre"]
    clock.set(FRIDAY, 8)
    booking = actions.book_appointment(
        world.user("applicant-1"),
        actions.BookingInput("ITEM-COMPANY", centre.pk, FRIDAY, dt.time(9, 30)),
    )
    clock.set(FRIDAY, 9, 10)
    client = Client()
    wrong = client.post(
        f"/hall/{centre.pk}/ticket/", {"booking": booking.pk, "identifier": "110101199001011234"}
    )
    assert wrong.status_code == 404
    other_centre = client.post(
        f"/hall/{hall['420205']['centre'].pk}/ticket/",
        {"booking": booking.pk, "identifier": world.applicants["person"].id_number},
    )
    assert other_centre.status_code == 404
    ok = client.post(
        f"/hall/{centre.pk}/ticket/",
        {"booking": booking.pk, "identifier": world.applicants["person"].id_number.lower()},
    )
    assert ok.status_code == 201
    assert Ticket.objects.get().appointment == booking
    for _ in range(5):
        client.post(f"/hall/{centre.pk}/ticket/", {"booking": booking.pk, "identifier": "x"})
    limited = client.post(f"/hall/{centre.pk}/ticket/", {"booking": booking.pk, "identifier": "x"})
    assert limited.status_code == 429


def test_clerk_calls_and_finishes_with_a_window_consultation(world, hall, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 9)
    actions.take_ticket(world.user("applicant-1"), centre.pk, "A")
    clerk = signed_in(world, "421102-clerk")
    assert clerk.get("/hall/").status_code == 200
    assert clerk.get(f"/hall/windows/{k01.pk}/").status_code == 200
    clerk.post(f"/hall/windows/{k01.pk}/call-next/")
    ticket = Ticket.objects.get()
    assert ticket.status == "called"
    page = clerk.get(f"/hall/windows/{k01.pk}/").content.decode()
    assert 'data-testid="current-ticket">A001<' in page
    clerk.post(f"/hall/windows/{k01.pk}/recall/", {"ticket": ticket.pk})
    clerk.post(
        f"/hall/windows/{k01.pk}/finish/", {"ticket": ticket.pk, "answer": "材料见办事指南。"}
    )
    ticket.refresh_from_db()
    assert ticket.status == "done" and ticket.call_count == 2
    assert ticket.consultation is not None
    assert ticket.consultation.status == "closed"
    assert ticket.consultation.applicant == world.applicants["person"]
    # an action the window does not have is a 404, as an unknown case action is
    unknown = clerk.post(f"/hall/windows/{k01.pk}/dance/", {"ticket": ticket.pk})
    assert unknown.status_code == 404
    # the window's rating pad offers the consultation just served
    pad = clerk.get("/ratings/pad/").content.decode()
    assert f'data-testid="pad-consultation-{ticket.consultation_id}"' in pad


def test_calling_page_scope(world, hall, clock):
    k01 = hall["421102"]["k01"]
    centre = hall["421102"]["centre"]
    for username in ("420100Z01-clerk", "421102-officer", "applicant-1"):
        client = signed_in(world, username)
        assert client.get(f"/hall/windows/{k01.pk}/").status_code == 404
        assert client.post(f"/hall/windows/{k01.pk}/call-next/").status_code == 404
        assert client.get(f"/hall/{centre.pk}/day/").status_code == 404
    assert Client().get(f"/hall/windows/{k01.pk}/").status_code == 302


def test_day_page_and_display(world, hall, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 8)
    actions.book_appointment(
        world.user("applicant-1"),
        actions.BookingInput("ITEM-COMPANY", centre.pk, FRIDAY, dt.time(9)),
    )
    clock.set(FRIDAY, 9, 40)
    actions.take_ticket(None, centre.pk, "A")
    actions.call_next(world.user("421102-clerk"), k01.pk)
    head = signed_in(world, "421102-head")
    day = head.get(f"/hall/{centre.pk}/day/").content.decode()
    assert "A001" in day and "李明" not in day and "登记爽约" in day
    booking = Appointment.objects.get()
    head.post(f"/hall/{centre.pk}/day/", {"appointment": booking.pk, "day": "2024-09-27"})
    assert Appointment.objects.get().status == "no_show"
    display = Client().get(f"/hall/{centre.pk}/display/")
    assert display.status_code == 200
    html = display.content.decode()
    assert "A001" in html and "hall-display.js" in html and "<script>" not in html


def test_booking_at_the_self_service_terminal(world, hall, clock):
    """The terminal books at its own hall through the same rules, channel `terminal`; a
    terminal session is needed, and without one nothing is booked."""
    from tongban.centres.models import Window
    from tongban.testing.world import PASSWORD

    centre = hall["421102"]["centre"]
    terminal = Window.objects.create(centre=centre, code="T01", name="自助终端", kind="terminal")
    client = Client()
    # without a terminal session the booking page is not there (the session has ended)
    assert client.get(f"/kiosk/{terminal.pk}/book/").status_code in (302, 404)
    client.get(f"/kiosk/{terminal.pk}/")
    login = client.post(
        f"/kiosk/{terminal.pk}/login/", {"username": "applicant-1", "password": PASSWORD}
    )
    assert login.status_code == 302
    assert 'data-testid="kiosk-book"' in client.get(f"/kiosk/{terminal.pk}/items/").content.decode()
    page = client.get(f"/kiosk/{terminal.pk}/book/", {"item": "ITEM-COMPANY", "day": "2024-09-30"})
    assert page.status_code == 200 and 'data-testid="slot-0900"' in page.content.decode()
    booked = client.post(
        f"/kiosk/{terminal.pk}/book/",
        {"item": "ITEM-COMPANY", "day": "2024-09-30", "starts": "09:00", "centre": "999"},
        follow=True,
    )
    assert "预约成功" in booked.content.decode()
    appointment = Appointment.objects.get()
    # the terminal's own hall, whatever the form says
    assert appointment.channel == "terminal" and appointment.centre == centre
    assert f'data-testid="appointment-{appointment.pk}"' in booked.content.decode()
    # the same one-booking-per-item rule as the portal
    again = client.post(
        f"/kiosk/{terminal.pk}/book/",
        {"item": "ITEM-COMPANY", "day": "2024-09-30", "starts": "10:00"},
        follow=True,
    )
    assert "已有该事项的有效预约" in again.content.decode()
    assert Appointment.objects.count() == 1
