"""The web's forms hand their files to the action (ADR 0101): a supplement with files,
or a submission with files, is one transaction; a refused file changes nothing, and a
retried submission attaches nothing twice."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from tongban.attachments.models import Attachment
from tongban.cases.models import Case, CaseEvent
from tongban.web.tests.conftest import fake_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db


def _waiting_for_supplement(web, world) -> tuple[Case, list[int]]:
    """An online application with one file; the officer asks for the rest."""
    first = world.implementations[("company", "420100Z01")].materials.order_by("position")[0]
    web("applicant-1").post(
        "/my/apply/ITEM-COMPANY/420100Z01/",
        {
            "token": "s-1",
            "delivery_method": "electronic",
            f"m{first.pk}_file": pdf_upload("申请书.pdf"),
        },
    )
    case = Case.objects.get()
    missing = [m.pk for m in case.materials.filter(state="missing")]
    web("420100Z01-officer").post(
        f"/cases/{case.number}/act/request_supplement/", {"missing": missing}
    )
    case.refresh_from_db()
    assert case.status == "supplement_before_acceptance" and missing
    return case, missing


def _state(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    files = (
        default_storage.listdir(f"cases/{case.number}")[1]
        if default_storage.exists(f"cases/{case.number}")
        else []
    )
    return (
        case.status,
        CaseEvent.objects.filter(case=case).count(),
        sorted(case.materials.values_list("pk", "state")),
        Attachment.objects.filter(case=case).count(),
        files,
    )


def test_a_refused_file_in_a_supplement_records_no_supplement(web, world):
    case, missing = _waiting_for_supplement(web, world)
    before = _state(case)
    files = {f"file_{pk}": pdf_upload(f"{pk}.pdf") for pk in missing}
    files[f"file_{missing[-1]}"] = fake_pdf_upload()
    response = web("applicant-1").post(f"/cases/{case.number}/act/supplement/", files)
    assert response.status_code == 422
    assert "不是允许的类型" in response.content.decode()
    assert _state(case) == before


def test_a_supplement_with_files_is_one_step(web, world):
    case, missing = _waiting_for_supplement(web, world)
    files = {f"file_{pk}": pdf_upload(f"{pk}.pdf") for pk in missing}
    response = web("applicant-1").post(f"/cases/{case.number}/act/supplement/", files)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    event = case.events.order_by("-seq")[0]
    assert event.action == "supplement" and event.data["provided"] == sorted(missing)
    attached = set(
        Attachment.objects.filter(case=case, case_material__isnull=False).values_list(
            "case_material_id", flat=True
        )
    )
    assert set(missing) <= attached


def test_a_retried_submission_attaches_its_files_once(web, world):
    impl = world.implementations[("company", "420100Z01")]
    first = impl.materials.order_by("position").first()

    def form() -> dict:
        return {
            "token": "retry-1",
            "delivery_method": "electronic",
            f"m{first.pk}_file": pdf_upload("申请书.pdf"),
        }

    applicant = web("applicant-1")
    assert applicant.post("/my/apply/ITEM-COMPANY/420100Z01/", form()).status_code == 302
    assert applicant.post("/my/apply/ITEM-COMPANY/420100Z01/", form()).status_code == 302
    case = Case.objects.get()
    assert Attachment.objects.filter(case=case).count() == 1
    assert len(default_storage.listdir(f"cases/{case.number}")[1]) == 1
