"""谁查看了我的信息: every read of a person's unmasked data is recorded with its purpose,
masked reads are not, and only the person sees the reads of their own data (ADR 0100)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tongban.accounts import actions
from tongban.accounts.models import PersonalDataRead, Role
from tongban.attachments.actions import attach_file
from tongban.core.masking import mask_id_number
from tongban.licences.tests.conftest import pki, pki_files  # noqa: F401  (shared fixtures)
from tongban.testing.licences import make_case
from tongban.web.tests.conftest import PDF_BYTES, online_case, proxy_case

pytestmark = pytest.mark.django_db

Purpose = PersonalDataRead.Purpose


def client_for(world, username: str) -> Client:
    client = Client()
    client.force_login(world.user(username))
    return client


def lookup(client: Client, identifier: str):
    return client.post(
        "/api/v1/applicants/lookup", {"identifier": identifier}, content_type="application/json"
    )


def reads_of(applicant) -> list[PersonalDataRead]:
    return list(PersonalDataRead.objects.filter(subject=applicant).order_by("pk"))


@pytest.fixture
def person_case(world):
    """李明 applies online to 东湖 (420100Z01); no receiving leg."""
    return online_case(world, "applicant-1")


# --- case detail ----------------------------------------------------------------------


def test_case_detail_api_masked_by_default_and_not_recorded(world, person_case):
    person = world.applicants["person"]
    body = client_for(world, "420100Z01-officer").get(f"/api/v1/cases/{person_case.number}")
    assert body.status_code == 200
    assert body.json()["applicant"]["identifier"] == mask_id_number(person.id_number)
    assert reads_of(person) == []


def test_case_detail_api_reveal_is_recorded(world, person_case):
    person = world.applicants["person"]
    response = client_for(world, "420100Z01-officer").get(
        f"/api/v1/cases/{person_case.number}", {"reveal": "true"}
    )
    assert response.status_code == 200
    applicant = response.json()["applicant"]
    assert applicant["identifier"] == person.id_number
    assert applicant["phone"] == person.phone
    [read] = reads_of(person)
    assert read.purpose == Purpose.CASE and read.reference == person_case.number
    assert read.channel == "api" and read.reader == world.user("420100Z01-officer")
    assert read.reader_role == "officer"
    assert read.jurisdiction == world.jurisdictions["420100Z01"]


@pytest.mark.parametrize("username", ["420100Z01-admin", "420100Z01-supervisor"])
def test_case_detail_reveal_refused_to_roles_that_do_not_need_it(world, person_case, username):
    client = client_for(world, username)
    url = f"/api/v1/cases/{person_case.number}"
    assert client.get(url).status_code == 200  # the masked case is visible to them
    response = client.get(url, {"reveal": "true"})
    assert response.status_code == 403
    assert response.json()["code"] == "unmask_not_allowed"
    assert world.applicants["person"].id_number not in response.content.decode()
    assert reads_of(world.applicants["person"]) == []


def test_case_detail_reveal_out_of_jurisdiction_and_anonymous(world, person_case):
    url = f"/api/v1/cases/{person_case.number}"
    assert client_for(world, "420703400-officer").get(url, {"reveal": "true"}).status_code == 404
    assert Client().get(url, {"reveal": "true"}).status_code == 401
    web = reverse("web:case", args=[person_case.number]) + "?reveal=1"
    assert client_for(world, "420703400-officer").get(web).status_code == 404
    assert Client().get(web).status_code == 302
    assert reads_of(world.applicants["person"]) == []


def test_case_detail_web_reveal_is_recorded(world, person_case):
    person = world.applicants["person"]
    client = client_for(world, "420100Z01-officer")
    url = reverse("web:case", args=[person_case.number])
    html = client.get(url).content.decode()
    assert person.id_number not in html and "?reveal=1" in html
    assert reads_of(person) == []
    html = client.get(url + "?reveal=1").content.decode()
    assert person.id_number in html
    [read] = reads_of(person)
    assert (read.purpose, read.reference, read.channel) == (
        Purpose.CASE,
        person_case.number,
        "web",
    )
    response = client_for(world, "420100Z01-admin").get(url + "?reveal=1")
    assert response.status_code == 403
    assert len(reads_of(person)) == 1


def test_own_reads_are_not_recorded(world, person_case):
    person = world.applicants["person"]
    client = client_for(world, "applicant-1")
    response = client.get(f"/api/v1/cases/{person_case.number}", {"reveal": "true"})
    assert response.json()["applicant"]["identifier"] == person.id_number
    assert reads_of(person) == []


# --- licence --------------------------------------------------------------------------


@pytest.fixture
def person_licence(world, pki):  # noqa: F811
    """A marriage certificate of 李明, received in 黄州 (421102), issued by 东湖."""
    from tongban.testing.licences import issue_signed

    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    case = make_case(world, item="marriage", status="approved", applicant="person")
    return issue_signed(case, None)


def test_licence_detail_full_only_for_the_case_roles_and_recorded(world, person_licence):
    person = world.applicants["person"]
    url = f"/api/v1/licences/{person_licence.identifier}"
    body = client_for(world, "420100Z01-admin").get(url).json()
    assert body["data_masked"] is True
    assert body["holder_identifier"] == mask_id_number(person.id_number)
    assert person.id_number not in str(body)
    assert reads_of(person) == []

    body = client_for(world, "420100Z01-officer").get(url).json()
    assert body["data_masked"] is False
    assert body["data"] == person_licence.data
    assert body["holder_identifier"] == person.id_number
    [read] = reads_of(person)
    assert (read.purpose, read.reference, read.channel) == (
        Purpose.LICENCE,
        person_licence.identifier,
        "api",
    )
    assert read.jurisdiction == world.jurisdictions["420100Z01"]


def test_licence_pdf_of_a_person(world, person_licence):
    person = world.applicants["person"]
    url = f"/api/v1/licences/{person_licence.identifier}/pdf"
    response = client_for(world, "420100Z01-supervisor").get(url)
    assert response.status_code == 403
    assert reads_of(person) == []
    assert client_for(world, "420703400-officer").get(url).status_code == 404
    assert Client().get(url).status_code == 401
    assert client_for(world, "420100Z01-head").get(url).status_code == 200
    assert [r.purpose for r in reads_of(person)] == [Purpose.LICENCE]
    assert client_for(world, "applicant-1").get(url).status_code == 200  # the holder
    assert len(reads_of(person)) == 1


# --- files ----------------------------------------------------------------------------


def test_file_download_is_recorded(world, person_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    person = world.applicants["person"]
    attachment = attach_file(
        world.user("applicant-1"),
        person_case.number,
        SimpleUploadedFile("id.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    url = reverse("web:download", args=[attachment.pk])
    assert client_for(world, "applicant-1").get(url).status_code == 200
    assert reads_of(person) == []
    assert client_for(world, "420703400-officer").get(url).status_code == 404
    assert reads_of(person) == []
    response = client_for(world, "420100Z01-officer").get(url)
    assert response.status_code == 200
    [read] = reads_of(person)
    assert (read.purpose, read.reference, read.channel) == (
        Purpose.FILE,
        str(attachment.pk),
        "web",
    )


# --- applicant look-up -----------------------------------------------------------------


def test_applicant_lookup_api_and_web_are_recorded(world):
    person = world.applicants["person"]
    client = client_for(world, "421102-clerk")
    response = lookup(client, person.id_number)
    assert response.status_code == 200
    html = client.post(
        reverse("web:clerk-applicant"), {"identifier": person.id_number, "kind": "person"}
    ).content.decode()
    assert 'data-testid="found-applicant"' in html
    reads = reads_of(person)
    assert [(r.purpose, r.channel) for r in reads] == [
        (Purpose.LOOKUP, "api"),
        (Purpose.LOOKUP, "web"),
    ]
    assert {r.reader_role for r in reads} == {"clerk"}
    assert {r.jurisdiction for r in reads} == {world.jurisdictions["421102"]}
    # the full ID number is never stored in the log
    assert all(person.id_number not in r.reference for r in reads)


def test_failed_or_anonymous_lookups_record_nothing(world):
    person = world.applicants["person"]
    assert lookup(Client(), person.id_number).status_code == 401
    other = client_for(world, "applicant-2")  # an applicant cannot look others up
    response = lookup(other, person.id_number)
    assert response.status_code == 404
    assert reads_of(person) == []


# --- admin ----------------------------------------------------------------------------


def test_admin_change_views_are_recorded(world, person_case):
    person = world.applicants["person"]
    root = actions.create_staff_user(
        None, "root", "a-long-enough-passphrase", roles=[(Role.PLATFORM_ADMIN, None)]
    )
    client = Client()
    client.force_login(root)
    assert client.get("/admin/accounts/applicant/").status_code == 200
    assert reads_of(person) == []  # the list is masked
    assert client.get(f"/admin/accounts/applicant/{person.pk}/change/").status_code == 200
    assert client.get(f"/admin/cases/case/{person_case.pk}/change/").status_code == 200
    reads = reads_of(person)
    assert [(r.purpose, r.channel) for r in reads] == [
        (Purpose.ADMIN, "admin"),
        (Purpose.ADMIN, "admin"),
    ]
    assert reads[1].reference == person_case.number
    assert reads[0].reader_role == "platform_admin"


# --- who read my data ------------------------------------------------------------------


def test_my_data_reads_api_and_portal_show_only_my_reads(world, person_case):
    client_for(world, "420100Z01-officer").get(
        f"/api/v1/cases/{person_case.number}", {"reveal": "true"}
    )
    other_case = online_case(world, "applicant-2")
    client_for(world, "420100Z01-head").get(
        f"/api/v1/cases/{other_case.number}", {"reveal": "true"}
    )
    mine = client_for(world, "applicant-1")
    body = mine.get("/api/v1/me/data-reads").json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["reference"] == person_case.number
    assert item["purpose"] == "case" and item["reader_role"] == "officer"
    assert item["jurisdiction"] == world.jurisdictions["420100Z01"].name
    assert "reader" not in item  # the staff member's name is not disclosed
    html = mine.get(reverse("web:my-data-reads")).content.decode()
    assert person_case.number in html and other_case.number not in html
    theirs = client_for(world, "applicant-2").get("/api/v1/me/data-reads").json()
    assert [i["reference"] for i in theirs["items"]] == [other_case.number]


def test_my_data_reads_paginated(world, person_case):
    officer = client_for(world, "420100Z01-officer")
    for _ in range(21):
        officer.get(f"/api/v1/cases/{person_case.number}", {"reveal": "true"})
    mine = client_for(world, "applicant-1")
    first = mine.get("/api/v1/me/data-reads").json()
    assert (len(first["items"]), first["count"], first["pages"]) == (20, 21, 2)
    second = mine.get("/api/v1/me/data-reads", {"page": 2}).json()
    assert len(second["items"]) == 1
    assert mine.get(reverse("web:my-data-reads"), {"page": 2}).status_code == 200


def test_my_data_reads_needs_login(world):
    assert Client().get("/api/v1/me/data-reads").status_code == 401
    response = Client().get(reverse("web:my-data-reads"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_proxy_case_reveal_by_the_receiving_clerk(world):
    """The receiving leg's clerk checks the person at the window: may reveal, recorded
    under the receiving jurisdiction."""
    case = proxy_case(world)
    client = client_for(world, "421102-clerk")
    response = client.get(f"/api/v1/cases/{case.number}", {"reveal": "true"})
    assert response.status_code == 200
    [read] = reads_of(case.applicant)
    assert read.reader_role == "clerk"
    assert read.jurisdiction == world.jurisdictions["421102"]


def test_masked_reads_write_nothing(world, person_case):
    """Lists, masked case pages and a look-up of an enterprise show no unmasked personal
    data: no row."""
    enterprise = world.applicants["enterprise"]
    clerk = client_for(world, "421102-clerk")
    response = lookup(clerk, enterprise.uscc)
    assert response.status_code == 200
    officer = client_for(world, "420100Z01-officer")
    assert officer.get("/api/v1/cases").status_code == 200
    assert officer.get(reverse("web:case", args=[person_case.number])).status_code == 200
    assert PersonalDataRead.objects.count() == 0


def test_the_read_log_is_append_only_in_the_database(world, person_case):
    """The person's record of reads cannot be edited or deleted, whoever sends the SQL
    (integrity guards, ADR 0092 / 0100)."""
    from django.db import DatabaseError, connection, transaction

    client_for(world, "420100Z01-officer").get(
        f"/api/v1/cases/{person_case.number}", {"reveal": "true"}
    )
    [read] = reads_of(world.applicants["person"])
    table = PersonalDataRead._meta.db_table
    for statement in (
        f"UPDATE {table} SET reader_role = 'clerk' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [read.pk])
    read.refresh_from_db()
    assert read.reader_role == "officer"
