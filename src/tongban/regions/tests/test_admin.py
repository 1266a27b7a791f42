"""The Django admin of regions master data and the calendar: role-based permissions and
saves through the actions (audit rows)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.accounts.models import User
from tongban.core.models import AuditEvent
from tongban.regions.models import CalendarDay, CalendarYear, Department

MODELS = [
    "regions/administrativeregion",
    "regions/jurisdiction",
    "regions/department",
    "regions/calendaryear",
    "regions/calendarday",
    "centres/servicecentre",
    "centres/window",
]


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def platform(world) -> Client:
    return staff_client(world.user("platform-admin"))


@pytest.fixture
def donghu_admin(world) -> Client:
    return staff_client(world.user("420100Z01-admin"))


@pytest.mark.parametrize("model", MODELS)
def test_every_admin_page_renders(world, platform, model):
    assert platform.get(f"/admin/{model}/").status_code == 200
    assert platform.get(f"/admin/{model}/add/").status_code == 200
    assert platform.get(f"/admin/{model}/", {"q": "东湖"}).status_code == 200


def test_change_pages_render(world, platform):
    department = Department.objects.filter(jurisdiction=world.donghu).first()
    assert department is not None
    for path in (
        f"/admin/regions/jurisdiction/{world.donghu.pk}/change/",
        f"/admin/regions/department/{department.pk}/change/",
        f"/admin/centres/servicecentre/{world.windows['420100Z01'].centre_id}/change/",
        f"/admin/centres/window/{world.windows['420100Z01'].pk}/change/",
    ):
        assert platform.get(path).status_code == 200, path


def test_platform_admin_enters_a_national_day_through_the_action(world, platform):
    response = platform.post(
        "/admin/regions/calendarday/add/",
        {"jurisdiction": "", "date": "2027-02-09", "note": "春节补假"},
    )
    assert response.status_code == 302
    row = CalendarDay.objects.get()
    assert row.jurisdiction is None and row.is_working_day is False
    event = AuditEvent.objects.get(action="calendar_day.set")
    assert event.actor == world.user("platform-admin")
    assert platform.get("/admin/regions/calendarday/").status_code == 200
    response = platform.post(f"/admin/regions/calendarday/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert AuditEvent.objects.filter(action="calendar_day.remove").count() == 1


def test_platform_admin_declares_a_year(world, platform):
    response = platform.post(
        "/admin/regions/calendaryear/add/",
        {"jurisdiction": "", "year": "2027", "provisional": "on", "note": "暂定"},
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get().provisional
    assert AuditEvent.objects.filter(action="calendar_year.declare").count() == 1
    # a second national declaration of the same year is a form error, not a crash
    response = platform.post(
        "/admin/regions/calendaryear/add/", {"jurisdiction": "", "year": "2027"}
    )
    assert response.status_code == 200
    assert CalendarYear.objects.count() == 1


def test_jurisdiction_admin_enters_only_their_own_days(world, donghu_admin):
    refused = donghu_admin.post(
        "/admin/regions/calendarday/add/", {"jurisdiction": "", "date": "2027-02-09"}
    )
    assert refused.status_code == 200  # the form shows the error
    other = donghu_admin.post(
        "/admin/regions/calendarday/add/",
        {"jurisdiction": str(world.gedian.pk), "date": "2027-02-09"},
    )
    assert other.status_code == 200
    assert not CalendarDay.objects.exists()
    accepted = donghu_admin.post(
        "/admin/regions/calendarday/add/",
        {"jurisdiction": str(world.donghu.pk), "date": "2027-02-09", "note": "区内"},
    )
    assert accepted.status_code == 302
    assert CalendarDay.objects.get().jurisdiction == world.donghu
    assert AuditEvent.objects.get().actor == world.user("420100Z01-admin")


def test_jurisdiction_admin_may_not_change_other_jurisdictions(world, donghu_admin):
    theirs = Department.objects.filter(jurisdiction=world.gedian).first()
    ours = Department.objects.filter(jurisdiction=world.donghu).first()
    assert theirs is not None and ours is not None
    response = donghu_admin.post(
        f"/admin/regions/department/{theirs.pk}/change/",
        {"jurisdiction": str(world.gedian.pk), "kind": theirs.kind, "name": "改名", "uscc": ""},
    )
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.name != "改名"
    response = donghu_admin.post(
        f"/admin/regions/department/{ours.pk}/change/",
        {"jurisdiction": str(world.donghu.pk), "kind": ours.kind, "name": "东湖新名", "uscc": ""},
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.name == "东湖新名"
    event = AuditEvent.objects.get(action="department.change")
    assert event.data == {"changed": {"name": "东湖新名", "uscc": ""}}
    # jurisdictions themselves are national data
    response = donghu_admin.post(
        f"/admin/regions/jurisdiction/{world.donghu.pk}/change/", {"name": "x"}
    )
    assert response.status_code == 403


def test_staff_without_an_admin_role_sees_nothing(world):
    client = staff_client(world.user("420100Z01-clerk"))
    assert client.get("/admin/regions/calendarday/").status_code == 403
    assert client.get("/admin/centres/window/").status_code == 403
