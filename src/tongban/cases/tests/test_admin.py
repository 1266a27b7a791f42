from __future__ import annotations

import pytest
from django.test import Client

from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db


def test_case_admin_is_read_only_and_masks_the_applicant(world, api, django_user_model):
    body = company_submission(
        world,
        applicant={
            "kind": "person",
            "name": world.applicants["person"].name,
            "id_number": world.applicants["person"].id_number,
        },
    )
    number = api("421102-clerk").post("/cases", body).json()["number"]
    admin = django_user_model.objects.create_superuser("root", password="x-long-password")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/cases/case/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert number in html
    assert world.applicants["person"].id_number not in html
    assert client.get("/admin/cases/case/add/").status_code == 403
    from tongban.cases.models import Case

    pk = Case.objects.get(number=number).pk
    change = client.get(f"/admin/cases/case/{pk}/change/")
    assert change.status_code == 200
    assert client.post(f"/admin/cases/case/{pk}/delete/", {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=pk).exists()
