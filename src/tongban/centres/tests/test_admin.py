"""Service centres and windows in the admin: saves go through the actions (audit rows)
and follow the jurisdiction administrator's scope."""

from __future__ import annotations

from django.test import Client

from tongban.centres.models import OpeningHours, Window
from tongban.core.models import AuditEvent


def staff_client(user) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def centre_form(centre, windows, new=None):
    data = {
        "jurisdiction": str(centre.jurisdiction_id),
        "name": centre.name,
        "address": centre.address,
        "phone": centre.phone,
        "opening_hours": centre.opening_hours,
        "extended_hours": "周六 9:00-12:00",
        "windows-TOTAL_FORMS": str(len(windows) + (1 if new else 0)),
        "windows-INITIAL_FORMS": str(len(windows)),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
        "hours-TOTAL_FORMS": "0",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, window in enumerate(windows):
        data.update(
            {
                f"windows-{i}-id": str(window.pk),
                f"windows-{i}-centre": str(centre.pk),
                f"windows-{i}-code": window.code,
                f"windows-{i}-name": window.name,
                f"windows-{i}-kind": window.kind,
                f"windows-{i}-active": "on",
                f"windows-{i}-slot_capacity": str(window.slot_capacity),
            }
        )
    if new:
        i = len(windows)
        data.update(
            {
                f"windows-{i}-centre": str(centre.pk),
                f"windows-{i}-slot_capacity": "2",
                **{f"windows-{i}-{k}": v for k, v in new.items()},
            }
        )
    return data


def test_jurisdiction_admin_adds_a_window_inline(world):
    client = staff_client(world.user("420100Z01-admin"))
    window = world.windows["420100Z01"]
    centre = window.centre
    response = client.post(
        f"/admin/centres/servicecentre/{centre.pk}/change/",
        centre_form(
            centre,
            [window],
            {"code": "T01", "name": "自助终端", "kind": "terminal", "active": "on"},
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    assert Window.objects.filter(centre=centre, code="T01", kind="terminal").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert actions == {"servicecentre.change", "window.create"}
    centre.refresh_from_db()
    assert centre.extended_hours == "周六 9:00-12:00"


def test_jurisdiction_admin_adds_opening_hours(world):
    """错时延时 rows are edited as an inline of the centre, audited (ADR 0109)."""
    client = staff_client(world.user("420100Z01-admin"))
    window = world.windows["420100Z01"]
    centre = window.centre
    data = centre_form(centre, [window])
    data.update(
        {
            "hours-TOTAL_FORMS": "2",
            "hours-0-centre": str(centre.pk),
            "hours-0-weekday": "5",
            "hours-0-kind": "weekend",
            "hours-0-opens": "09:00",
            "hours-0-closes": "12:00",
            "hours-1-centre": str(centre.pk),
            "hours-1-weekday": "6",
            "hours-1-kind": "regular",
            "hours-1-opens": "12:00",
            "hours-1-closes": "09:00",
        }
    )
    response = client.post(f"/admin/centres/servicecentre/{centre.pk}/change/", data)
    assert response.status_code == 200  # the second row closes before it opens
    assert not OpeningHours.objects.exists()
    data.update({"hours-TOTAL_FORMS": "1"})
    response = client.post(f"/admin/centres/servicecentre/{centre.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert OpeningHours.objects.get(centre=centre).kind == "weekend"
    assert AuditEvent.objects.filter(action="openinghours.create").count() == 1


def test_jurisdiction_admin_may_not_edit_another_centre(world):
    client = staff_client(world.user("420100Z01-admin"))
    window = world.windows["420703400"]
    response = client.post(
        f"/admin/centres/servicecentre/{window.centre_id}/change/",
        centre_form(window.centre, [window]),
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/centres/window/{window.pk}/change/",
        {"centre": str(window.centre_id), "code": "K01", "name": "改", "kind": "dedicated"},
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


def test_window_delete_is_audited(world):
    client = staff_client(world.user("platform-admin"))
    window = world.windows["421102"]
    response = client.post(f"/admin/centres/window/{window.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Window.objects.filter(pk=window.pk).exists()
    assert AuditEvent.objects.get().action == "window.delete"
