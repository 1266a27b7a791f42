"""Case files over the API: `POST /api/v1/cases/{number}/files` (multipart). Thin: parse,
call one action (attachments.actions), serialise the case's state as the action endpoint does."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from tongban.attachments.actions import CaseFile, act_with_files, attach_files
from tongban.attachments.models import Attachment
from tongban.cases import selectors
from tongban.cases.actions import ActionInput
from tongban.cases.api import CaseStateOut, EventOut, event_out, state
from tongban.cases.workflow import Action
from tongban.core.errors import Invalid
from tongban.core.inputs import MAX_LIST_ITEMS, Id

router = Router(tags=["cases"])

# a request carries a few scans, not an archive
MAX_FILES = 20
NO_MATERIALS: list[int] = []


class AttachmentOut(Schema):
    id: int
    material: int | None = Field(..., description="the case material (CaseMaterial id), if any")
    original_name: str
    content_type: str = Field(..., description="sniffed from the content: PDF, JPEG or PNG")
    size: int
    sha256: str


class CaseFilesOut(Schema):
    case: CaseStateOut = Field(
        ..., description="the case's state (the whole case: GET /cases/{number})"
    )
    event: EventOut | None = Field(..., description="the supplement's event (with supplement=true)")
    files: list[AttachmentOut]


def _attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "material": a.case_material_id,
        "original_name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
    }


@router.post(
    "/cases/{number}/files",
    response={201: CaseFilesOut},
    summary="上传办件材料(可同时补正)",
)
def upload_case_files(
    request: HttpRequest,
    number: str,
    file: Annotated[
        list[UploadedFile], File(..., description="one or more PDF, JPEG or PNG files")
    ],
    material: Annotated[
        list[Id],
        Form(
            max_length=MAX_LIST_ITEMS,
            description="the case material (CaseMaterial id) of each file, in the order of "
            "the files; none: the files belong to the case as a whole",
        ),
    ] = NO_MATERIALS,
    supplement: Annotated[
        bool,
        Form(
            description="补正: the files' materials are supplemented (the `supplement` "
            "action) in the same transaction",
        ),
    ] = False,
) -> tuple[int, dict[str, Any]]:
    """Attach scans to a case, in one transaction: every file is checked first (type by
    content, size), and a refused file or any other failure stores and records nothing.

    Without `supplement` the files are only attached (the applicant's or a staff member's
    scans of its materials); the case's status and history do not change. With
    `supplement=true` the case must be waiting for a supplement: the materials the files
    are for count as supplemented and the `supplement` action is performed, with the same
    rules and answers as `POST /cases/{number}/actions/supplement`.

    Who: the applicant of the case, clerks, officers and heads of its receiving or handling
    jurisdiction, while it is open. Errors: 401 `not_authenticated`; 404 `not_found` (no
    such case, or outside the caller's scope); 403 `may_not_upload`; 409 `case_closed`,
    `illegal_transition`, `materials_incomplete`; 422 `file_type_not_allowed`,
    `file_too_large`, `empty_file`, `unknown_material`, `file_material_mismatch`,
    `too_many_files`, `invalid_input`; 413 `request_too_large`."""
    if len(file) > MAX_FILES:
        raise Invalid(
            _("At most %(max_files)s files per request."),
            code="too_many_files",
            details={"max": MAX_FILES},
            params={"max_files": MAX_FILES},
        )
    if material and len(material) != len(file):
        raise Invalid(
            _("Give one material per file, in the order of the files (or none)."),
            code="file_material_mismatch",
            details={"files": len(file), "materials": len(material)},
        )
    files = [
        CaseFile(upload, material_id=material[i] if material else None)
        for i, upload in enumerate(file)
    ]
    if supplement:
        acted = act_with_files(request.user, number, Action.SUPPLEMENT, ActionInput(), files)
        case, attachments = acted.case, acted.attachments
        event: dict[str, Any] | None = event_out(case, acted.event)
    else:
        attachments = attach_files(request.user, number, files)
        case = selectors.get_case_for(request.user, number)
        event = None
    return 201, {
        "case": state(request.user, case),
        "event": event,
        "files": [_attachment(a) for a in attachments],
    }
