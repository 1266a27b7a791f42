"""Files are part of the action (ADR 0101): `POST /api/v1/cases/{number}/files` and the
web's submission and supplement forms check every file first and write everything in
one transaction; a failed upload changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.attachments.models import Attachment
from tongban.cases.actions import ActionInput, perform_case_action
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import ApiClient
from tongban.core.models import AuditEvent
from tongban.web.tests.conftest import PDF_BYTES, PNG_BYTES, proxy_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf(name: str = "scan.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post_files(user, number: str, files: list, **form):
    api = ApiClient(user)
    return api.client.post(
        f"/api/v1/cases/{number}/files", {"file": files, **form}, headers=api.headers
    )


def stored(number: str) -> list[str]:
    if not default_storage.exists(f"cases/{number}"):
        return []
    return default_storage.listdir(f"cases/{number}")[1]


def snapshot(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.supplement_due,
        list(CaseEvent.objects.filter(case=case).values_list("seq", "action")),
        sorted(case.materials.values_list("pk", "state")),
        Attachment.objects.filter(case=case).count(),
        stored(case.number),
    )


def waiting_for_supplement(world):
    """A proxy case at the window whose 住所使用证明 the clerk asked to be supplemented."""
    case = proxy_case(world, missing=(3,))
    missing = case.materials.get(name="住所使用证明")
    perform_case_action(
        world.user("421102-clerk"),
        case.number,
        "request_supplement",
        ActionInput(missing=[missing.pk]),
    )
    return case, missing


def test_files_are_attached_and_the_case_is_unchanged(world, today):
    case = proxy_case(world)
    material = case.materials.order_by("pk").first()
    before = snapshot(case)
    response = post_files(
        world.user("421102-clerk"),
        case.number,
        [pdf("a.pdf"), pdf("b.png", PNG_BYTES)],
        material=[material.pk, material.pk],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["case"]["number"] == case.number and body["case"]["status"] == "received"
    assert [(f["material"], f["content_type"]) for f in body["files"]] == [
        (material.pk, "application/pdf"),
        (material.pk, "image/png"),
    ]
    after = snapshot(case)
    assert after[:4] == before[:4]  # status, deadlines, history and materials
    assert after[4] == 2 and len(after[5]) == 2
    assert AuditEvent.objects.filter(action="attach_file").count() == 2


def test_the_applicant_supplements_with_files_in_one_action(world, today):
    case, missing = waiting_for_supplement(world)
    response = post_files(
        world.user("enterprise-1"), case.number, [pdf()], material=[missing.pk], supplement="true"
    )
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.status == "received" and case.supplement_due is None
    assert case.events.order_by("-seq").first().action == "supplement"
    missing.refresh_from_db()
    assert missing.state == "provided"
    attachment = Attachment.objects.get(case=case)
    assert attachment.case_material == missing
    assert response.json()["files"][0]["id"] == attachment.pk


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (pdf("x.pdf", b"not a pdf at all\n"), "file_type_not_allowed"),
        (pdf("e.pdf", b""), "empty_file"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(world, today, upload, code):
    case, missing = waiting_for_supplement(world)
    before = snapshot(case)
    # the first file is fine: it is refused with the second, before anything is written
    response = post_files(
        world.user("enterprise-1"),
        case.number,
        [pdf(), upload],
        material=[missing.pk, missing.pk],
        supplement="true",
    )
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert snapshot(case) == before


def test_a_file_over_the_limit_is_refused_and_changes_nothing(world, today, settings):
    settings.TONGBAN_UPLOAD_MAX_BYTES = len(PDF_BYTES) - 1
    case, missing = waiting_for_supplement(world)
    before = snapshot(case)
    response = post_files(
        world.user("enterprise-1"), case.number, [pdf()], material=[missing.pk], supplement="true"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "file_too_large"
    assert response.json()["details"]["max_bytes"] == len(PDF_BYTES) - 1
    assert snapshot(case) == before


def test_a_failure_after_a_file_was_stored_leaves_no_file_and_no_row(world, today):
    case, missing = waiting_for_supplement(world)
    other = proxy_case(world)
    before = snapshot(case)
    # the first file is stored, then the second names another case's material
    response = post_files(
        world.user("421102-clerk"),
        case.number,
        [pdf("a.pdf"), pdf("b.pdf")],
        material=[missing.pk, other.materials.first().pk],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_material"
    assert snapshot(case) == before
    assert stored(case.number) == []


def test_a_supplement_refused_by_its_rule_stores_nothing(world, today):
    case, missing = waiting_for_supplement(world)
    provided = case.materials.exclude(pk=missing.pk).first()
    before = snapshot(case)
    response = post_files(
        world.user("enterprise-1"), case.number, [pdf()], material=[provided.pk], supplement="true"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_material"
    assert snapshot(case) == before


def test_a_supplement_when_none_was_asked_for_is_a_409(world, today):
    case = proxy_case(world)
    material = case.materials.first()
    before = snapshot(case)
    response = post_files(
        world.user("421102-clerk"), case.number, [pdf()], material=[material.pk], supplement="true"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert snapshot(case) == before


@pytest.mark.parametrize("username", ["420115-officer", "420205-officer", "applicant-1"])
def test_out_of_scope_is_404_and_changes_nothing(world, today, username):
    case, missing = waiting_for_supplement(world)
    before = snapshot(case)
    for form in ({}, {"material": [missing.pk], "supplement": "true"}):
        response = post_files(world.user(username), case.number, [pdf()], **form)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert snapshot(case) == before


def test_a_supervisor_reads_but_may_not_upload(world, today):
    case = proxy_case(world)
    before = snapshot(case)
    response = post_files(world.user("421102-supervisor"), case.number, [pdf()])
    assert response.status_code == 403
    assert response.json()["code"] == "may_not_upload"
    assert snapshot(case) == before


def test_unauthenticated_is_401(world, today):
    case, missing = waiting_for_supplement(world)
    before = snapshot(case)
    response = post_files(None, case.number, [pdf()], material=[missing.pk], supplement="true")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert snapshot(case) == before


def test_materials_must_match_the_files(world, today):
    case = proxy_case(world)
    material = case.materials.first()
    before = snapshot(case)
    response = post_files(
        world.user("421102-clerk"), case.number, [pdf(), pdf()], material=[material.pk]
    )
    assert response.status_code == 422
    assert response.json()["code"] == "file_material_mismatch"
    response = post_files(world.user("421102-clerk"), case.number, [])
    assert response.status_code == 422
    assert snapshot(case) == before
