"""Storing uploaded files of a case. The only writer of Attachment rows."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tongban.accounts import access
from tongban.attachments.checks import CheckedFile, check_upload
from tongban.attachments.models import Attachment
from tongban.cases.actions import legs_of
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.workflow import FINAL_STATES, Leg
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, Invalid, NotFound


def may_upload(user: Any, case: Case) -> bool:
    """The applicant of the case, and clerks, officers and heads of its receiving or
    handling jurisdiction, while the case is open. Supervisors and administrators read
    only."""
    if case.status in FINAL_STATES:
        return False
    legs = legs_of(user, case)
    if Leg.APPLICANT in legs:
        return True
    return any(
        legs.get(leg, set()) & access.CASE_WORK_ROLES for leg in (Leg.RECEIVING, Leg.HANDLING)
    )


def attach_file(
    actor: Any,
    number: str,
    upload: UploadedFile,
    material_id: int | None = None,
    checked: CheckedFile | None = None,
) -> Attachment:
    """Check `upload` by content, store it and record it against the case (and one of its
    materials). The bytes are written before the row; if the transaction fails the stored
    file is deleted again."""
    from tongban.cases.selectors import readable_cases

    access.require_authenticated(actor)
    checked = checked or check_upload(upload)
    # look the case up first so that an out-of-scope caller never gets a file written
    if not readable_cases(actor).filter(number=number).exists():
        raise NotFound(_("No such case, or it is outside your scope."))
    stored_name = default_storage.save(
        f"cases/{number}/{uuid.uuid4().hex}.{checked.extension}", upload
    )
    try:
        with transaction.atomic():
            case = (
                readable_cases(actor)
                .select_for_update(of=("self",))
                .select_related("applicant")
                .get(number=number)
            )
            if case.status in FINAL_STATES:
                raise Conflict(_("The case is closed: no more uploads."), code="case_closed")
            if not may_upload(actor, case):
                raise Forbidden(_("You may not upload files to this case."), code="may_not_upload")
            material = None
            if material_id is not None:
                material = CaseMaterial.objects.filter(case=case, pk=material_id).first()
                if material is None:
                    raise Invalid(
                        _("The material does not belong to this case."),
                        code="unknown_material",
                        details={"material_id": material_id},
                    )
            attachment = Attachment.objects.create(
                case=case,
                case_material=material,
                file=stored_name,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
            )
            record_audit(
                actor,
                "attach_file",
                attachment,
                f"上传材料 {case.number} {material.name if material else ''}".strip(),
                {
                    "case": case.number,
                    "material_id": material_id,
                    "sha256": checked.sha256,
                    "size": checked.size,
                    "content_type": checked.content_type,
                },
            )
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return attachment
