"""Queue tickets and calling (排队叫号): numbering per business line, check-in of a
booking (served first within its slot), call next / recall / skip / transfer / finish,
the link to the consultation or case that follows, the public display feed."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.consultations.actions import record_consultation
from tongban.hall import actions
from tongban.hall.models import Appointment, Ticket

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2024, 9, 27)


def take(api, centre, line="A", user="421102-clerk"):
    return api(user).post(f"/centres/{centre.pk}/tickets", {"line": line})


def test_numbers_per_line_and_closed_hall(world, hall, api, clock):
    centre = hall["421102"]["centre"]
    clock.set(FRIDAY, 8, 30)
    assert take(api, centre, user=None).status_code == 401
    closed = take(api, centre)
    assert closed.status_code == 409 and closed.json()["code"] == "hall_closed"
    clock.set(FRIDAY, 9)
    assert [take(api, centre).json()["code"] for _ in range(2)] == ["A001", "A002"]
    assert take(api, centre, "B").json()["code"] == "B001"
    # another centre counts on its own
    assert take(api, hall["420100Z01"]["centre"]).json()["code"] == "A001"
    assert take(api, centre, "Z").status_code == 404
    assert take(api, centre, "").status_code == 422
    clock.set(dt.date(2024, 10, 1), 10)  # 国庆
    assert take(api, centre).json()["code"] == "hall_closed"


def test_booked_ticket_goes_first_within_its_slot(world, hall, api, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 8)
    nine = (
        api("applicant-1")
        .post(
            "/appointments",
            {
                "item": "ITEM-COMPANY",
                "centre_id": centre.pk,
                "day": "2024-09-27",
                "starts": "09:00",
            },
        )
        .json()
    )
    ten = (
        api("applicant-2")
        .post(
            "/appointments",
            {
                "item": "ITEM-COMPANY",
                "centre_id": centre.pk,
                "day": "2024-09-27",
                "starts": "10:00",
            },
        )
        .json()
    )
    clock.set(FRIDAY, 9, 1)
    walk_in = take(api, centre).json()
    clock.set(FRIDAY, 9, 2)
    booked_ten = api("applicant-2").post(f"/appointments/{ten['id']}/check-in")
    assert booked_ten.status_code == 201 and booked_ten.json()["booked"]
    clock.set(FRIDAY, 9, 5)
    checked = api("applicant-1").post(f"/appointments/{nine['id']}/check-in")
    assert checked.status_code == 201
    assert checked.json()["code"] == "A003"
    assert Appointment.objects.get(pk=nine["id"]).status == "checked_in"
    again = api("applicant-1").post(f"/appointments/{nine['id']}/check-in")
    assert again.status_code == 409 and again.json()["code"] == "not_checkable"

    clerk = api("421102-clerk")
    calls = [clerk.post(f"/windows/{k01.pk}/call-next").json()["ticket"]["code"] for _ in range(3)]
    # the 9:00 booking (slot running) first, then by arrival: the walk-in, then the 10:00
    # booking that came early
    assert calls == ["A003", walk_in["code"], "A002"]
    assert clerk.post(f"/windows/{k01.pk}/call-next").json() == {"ticket": None}
    assert Ticket.objects.filter(status="done").count() == 3  # each call finished the last


def test_check_in_rules(world, hall, api, clock):
    centre = hall["421102"]["centre"]
    clock.set(FRIDAY, 8)
    booking = (
        api("applicant-1")
        .post(
            "/appointments",
            {
                "item": "ITEM-COMPANY",
                "centre_id": centre.pk,
                "day": "2024-09-30",
                "starts": "09:00",
            },
        )
        .json()
    )
    path = f"/appointments/{booking['id']}/check-in"
    assert api("applicant-1").post(path).json()["code"] == "not_today"
    assert api("applicant-2").post(path).status_code == 404
    assert api("420100Z01-clerk").post(path).status_code == 404
    assert api(None).post(path).status_code == 401
    clock.set(dt.date(2024, 9, 30), 9, 30)
    late = api("applicant-1").post(path)
    assert late.status_code == 409 and late.json()["code"] == "booking_missed"
    clock.set(dt.date(2024, 9, 30), 9, 29)
    front_desk = api("421102-clerk").post(path)  # hall staff check a person in
    assert front_desk.status_code == 201


def test_recall_skip_transfer_finish(world, hall, api, clock):
    centre, k01, k02 = (hall["421102"][k] for k in ("centre", "k01", "k02"))
    clock.set(FRIDAY, 9)
    first = take(api, centre).json()
    take(api, centre, "B")
    second = take(api, centre).json()
    clerk = api("421102-clerk")
    called = clerk.post(f"/windows/{k01.pk}/call-next").json()["ticket"]
    assert called["code"] == first["code"] and called["window_code"] == "K01"
    recalled = clerk.post(f"/tickets/{called['id']}/recall").json()
    assert recalled["call_count"] == 2
    # transferred to K02: called there before K02's own waiting B001
    moved = clerk.post(f"/tickets/{called['id']}/transfer", {"window": "K02"}).json()
    assert moved["status"] == "waiting" and moved["transferred_to"] == "K02"
    assert clerk.post(f"/tickets/{called['id']}/recall").json()["code"] == "ticket_not_called"
    at_k02 = clerk.post(f"/windows/{k02.pk}/call-next").json()["ticket"]
    assert at_k02["code"] == first["code"] and at_k02["window_code"] == "K02"
    same = clerk.post(f"/tickets/{at_k02['id']}/transfer", {"window": "K02"})
    assert same.status_code == 409 and same.json()["code"] == "same_window"
    unknown = clerk.post(f"/tickets/{at_k02['id']}/transfer", {"window": "K99"})
    assert unknown.status_code == 404
    consultation = record_consultation(
        world.user("421102-clerk"),
        jurisdiction=world.huangzhou.code,
        channel="window",
        topic="企业设立登记材料",
        question="需要带什么材料?",
        answer="见办事指南。",
    )
    done = clerk.post(
        f"/tickets/{at_k02['id']}/finish", {"consultation_id": consultation.pk}
    ).json()
    assert done["status"] == "done" and done["consultation_id"] == consultation.pk
    skipped_one = clerk.post(f"/windows/{k01.pk}/call-next").json()["ticket"]
    assert skipped_one["code"] == second["code"]
    assert clerk.post(f"/tickets/{skipped_one['id']}/skip").json()["status"] == "skipped"
    assert clerk.post(f"/windows/{k02.pk}/call-next").json()["ticket"]["code"] == "B001"


def test_link_to_a_case_is_scoped(world, hall, api, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 9)
    take(api, centre)
    clerk = api("421102-clerk")
    ticket = clerk.post(f"/windows/{k01.pk}/call-next").json()["ticket"]
    missing = clerk.post(f"/tickets/{ticket['id']}/link", {"case_number": "420100Z01-X"})
    assert missing.status_code == 404
    nothing = clerk.post(f"/tickets/{ticket['id']}/link", {})
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_link"


def test_calling_permissions(world, hall, api, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 9)
    ticket = take(api, centre).json()
    assert api(None).post(f"/windows/{k01.pk}/call-next").status_code == 401
    for outsider in ("420100Z01-clerk", "421102-officer", "applicant-1"):
        response = api(outsider).post(f"/windows/{k01.pk}/call-next")
        assert response.status_code == 404, outsider
        assert api(outsider).post(f"/tickets/{ticket['id']}/skip").status_code == 404
        assert api(outsider).get(f"/centres/{centre.pk}/tickets").status_code == 404
    assert Ticket.objects.get(pk=ticket["id"]).status == "waiting"
    rows = api("421102-head").get(f"/centres/{centre.pk}/tickets").json()
    assert [r["code"] for r in rows] == ["A001"]


def test_display_feed_is_public_and_says_the_call(world, hall, api, clock):
    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    clock.set(FRIDAY, 9)
    take(api, centre, user="applicant-1")
    actions.call_next(world.user("421102-clerk"), k01.pk)
    [call] = api(None).get(f"/public/centres/{centre.pk}/calls").json()
    assert call["code"] == "A001" and call["window_code"] == "K01"
    assert call["speech"] == "请 A 0 0 1 号,到 K 0 1 号窗口办理"
    assert "李明" not in str(call)
    assert api(None).get("/public/centres/999999/calls").status_code == 404
