"""GET /v1/centres: service centres with windows, opening and extended hours."""

from __future__ import annotations

import pytest

from tongban.centres.models import ServiceCentre, Window
from tongban.regions.models import Jurisdiction


def test_unauthenticated_is_401(api):
    response = api(None).get("/centres")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_jurisdiction_is_404(api):
    response = api("421102-clerk").get("/centres", jurisdiction="000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("username", ["421102-clerk", "420703400-head", "applicant-1"])
def test_centres_of_one_jurisdiction(world, api, username):
    centre = world.windows["420703400"].centre
    centre.extended_hours = "周六 9:00-12:00 预约办理"
    centre.phone = "027-60000000"
    centre.save()
    Window.objects.create(centre=centre, code="A02", name="兜底窗口", kind="fallback")
    Window.objects.create(centre=centre, code="A09", name="停用", kind="fallback", active=False)
    response = api(username).get("/centres", jurisdiction="420703400")
    assert response.status_code == 200
    [body] = response.json()
    assert body["jurisdiction_code"] == "420703400"
    assert body["jurisdiction_name"] == "鄂州葛店经济技术开发区"
    assert body["opening_hours"] == "周一至周五 9:00-17:00"
    assert body["extended_hours"] == "周六 9:00-12:00 预约办理"
    assert body["phone"] == "027-60000000"
    assert [(w["code"], w["kind"]) for w in body["windows"]] == [
        ("A02", "fallback"),
        ("K01", "dedicated"),
    ]
    assert body["windows"][0]["kind_label"] == "兜底窗口"


def test_all_centres_in_bounded_queries(world, api, django_assert_max_num_queries):
    for code in ("421102", "420205"):
        ServiceCentre.objects.create(
            jurisdiction=world.jurisdictions[code],
            name=f"{code}分中心",
            address="某路1号",
            opening_hours="周一至周五",
        )
    Jurisdiction.objects.filter(code="420115").update(active=False)
    client = api("421102-clerk")
    with django_assert_max_num_queries(4):  # token, centres, windows: whatever the count
        response = client.get("/centres")
    assert response.status_code == 200
    codes = [c["jurisdiction_code"] for c in response.json()]
    assert "420115" not in codes  # inactive jurisdictions are left out of the full list
    assert codes.count("421102") == 2 and len(codes) == 6
    # an inactive jurisdiction asked for by code still answers
    assert len(client.get("/centres", jurisdiction="420115").json()) == 1
