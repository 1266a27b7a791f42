"""Uploads: type and size decided by content, SHA-256 kept, stored through Django's
storage API, written only by people working on an open case."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.attachments.actions import attach_file
from tongban.attachments.checks import check_upload
from tongban.attachments.models import Attachment
from tongban.attachments.selectors import attachments_of, get_attachment_for
from tongban.cases.actions import ActionInput, perform_case_action
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.core.models import AuditEvent
from tongban.web.tests.conftest import PDF_BYTES, PNG_BYTES, online_case, proxy_case

pytestmark = pytest.mark.django_db

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(content: bytes, name: str = "f.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("content", "mime", "extension"),
    [
        (PDF_BYTES, "application/pdf", "pdf"),
        (PNG_BYTES, "image/png", "png"),
        (JPEG_BYTES, "image/jpeg", "jpg"),
    ],
)
def test_allowed_types_are_recognised_by_content(content, mime, extension):
    # the name and the browser's content type lie; the bytes decide
    checked = check_upload(upload(content, name="whatever.txt", content_type="text/plain"))
    assert (checked.content_type, checked.extension) == (mime, extension)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content) and checked.original_name == "whatever.txt"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"plain text pretending\n", "file_type_not_allowed"),
        (b"<html><script>alert(1)</script></html>", "file_type_not_allowed"),
        (b"PK\x03\x04" + b"\x00" * 40, "file_type_not_allowed"),  # a zip / docx
        (b"", "empty_file"),
    ],
)
def test_other_content_is_refused(content, code):
    with pytest.raises(Invalid) as refused:
        check_upload(upload(content))
    assert refused.value.code == code
    assert "f.pdf" in refused.value.message("zh-hans")


def test_size_limit(settings):
    settings.TONGBAN_UPLOAD_MAX_BYTES = len(PDF_BYTES) - 1
    with pytest.raises(Invalid) as refused:
        check_upload(upload(PDF_BYTES))
    assert refused.value.code == "file_too_large"
    settings.TONGBAN_UPLOAD_MAX_BYTES = len(PDF_BYTES)
    assert check_upload(upload(PDF_BYTES)).size == len(PDF_BYTES)


def test_attach_stores_bytes_hash_and_audit_row(world, today):
    case = proxy_case(world)
    material = case.materials.order_by("id").first()
    attachment = attach_file(
        world.user("421102-clerk"), case.number, upload(PDF_BYTES), material_id=material.pk
    )
    assert attachment.case == case and attachment.case_material == material
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    name = attachment.file.name
    assert name and name.startswith(f"cases/{case.number}/") and name.endswith(".pdf")
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == PDF_BYTES
    assert AuditEvent.objects.filter(action="attach_file", object_id=str(attachment.pk)).exists()
    assert list(attachments_of(case)) == [attachment]


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("420205-clerk", NotFound),  # another jurisdiction: the case is not visible
        ("applicant-2", NotFound),
        ("421102-supervisor", Forbidden),  # reads, never writes
        ("421102-admin", Forbidden),
    ],
)
def test_who_may_not_attach(world, today, username, error):
    case = proxy_case(world)
    with pytest.raises(error):
        attach_file(world.user(username), case.number, upload(PDF_BYTES))
    assert Attachment.objects.count() == 0
    # nothing is left in the storage either
    folder = f"cases/{case.number}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder)[1] == []


def test_applicant_handling_officer_and_agent_may_attach(world, today):
    case = proxy_case(world)
    for username in ("enterprise-1", "420100Z01-officer", "421102-clerk"):
        attach_file(world.user(username), case.number, upload(PDF_BYTES))
    assert Attachment.objects.filter(case=case).count() == 3


def test_no_uploads_to_a_closed_case_and_the_file_is_not_left_behind(world, today):
    case = online_case(world)
    perform_case_action(world.user("applicant-1"), case.number, "withdraw", ActionInput())
    with pytest.raises(Conflict):
        attach_file(world.user("applicant-1"), case.number, upload(PDF_BYTES))
    assert Attachment.objects.count() == 0
    # the closed case is refused before any byte is stored (ADR 0101)
    folder = f"cases/{case.number}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder)[1] == []


def test_material_must_belong_to_the_case(world, today):
    case = proxy_case(world)
    other = proxy_case(world)
    with pytest.raises(Invalid):
        attach_file(
            world.user("421102-clerk"),
            case.number,
            upload(PDF_BYTES),
            material_id=other.materials.first().pk,
        )


def test_anonymous_may_not_attach_or_read(world, today):
    from django.contrib.auth.models import AnonymousUser

    case = proxy_case(world)
    attachment = attach_file(world.user("421102-clerk"), case.number, upload(PDF_BYTES))
    with pytest.raises(NotAuthenticated):
        attach_file(AnonymousUser(), case.number, upload(PDF_BYTES))
    with pytest.raises(NotAuthenticated):
        get_attachment_for(AnonymousUser(), attachment.pk)
    assert get_attachment_for(world.user("420100Z01-officer"), attachment.pk) == attachment
    with pytest.raises(NotFound):
        get_attachment_for(world.user("420205-officer"), attachment.pk)
