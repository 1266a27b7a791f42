"""Storing uploaded files of a case. The only writer of Attachment rows.

Files are part of the action they come with (ADR 0101): `submit_case_with_files` and
`act_with_files` check every file first (type by content, size), then open the case or
perform the move and attach the files in one transaction, so a refused file or any
later failure writes nothing (no case, no event, no row, no stored bytes). They live
here, above `cases`, because `cases` knows nothing of files (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts import access
from tongban.accounts.models import User
from tongban.attachments.checks import CheckedFile, check_upload
from tongban.attachments.models import Attachment, HeldUpload
from tongban.cases.actions import (
    ActionInput,
    SubmitInput,
    Submitted,
    legs_of,
    perform,
    submit_case_once,
)
from tongban.cases.models import Case, CaseEvent, CaseMaterial
from tongban.cases.workflow import FINAL_STATES, Action, Leg
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


def may_upload(user: User | AnonymousUser, case: Case) -> bool:
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


@dataclass(frozen=True)
class CaseFile:
    """An uploaded file and the material it is for: a checklist `Material` when a case is
    submitted (its case material does not exist yet), a `CaseMaterial` of the case
    otherwise; None for the case as a whole."""

    upload: UploadedFile
    material_id: int | None = None


def _signed_in(actor: User | AnonymousUser) -> User:
    access.require_authenticated(actor)
    return cast(User, actor)


def _check_all(files: Sequence[CaseFile]) -> list[tuple[CaseFile, CheckedFile]]:
    # every file before anything is written: the first refused one raises, naming it
    return [(f, check_upload(f.upload)) for f in files]


@contextmanager
def _storing() -> Iterator[list[str]]:
    """The storage names written inside the block; deleted again if the block fails
    (the transaction that would have referred to them is rolled back)."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _attach(
    actor: User,
    case: Case,
    upload: File,
    checked: CheckedFile,
    material: CaseMaterial | None,
    stored: list[str],
) -> Attachment:
    """Store the bytes and record them against a case the caller has locked."""
    if case.status in FINAL_STATES:
        raise Conflict(_("The case is closed: no more uploads."), code="case_closed")
    if not may_upload(actor, case):
        raise Forbidden(_("You may not upload files to this case."), code="may_not_upload")
    stored_name = default_storage.save(
        f"cases/{case.number}/{uuid.uuid4().hex}.{checked.extension}", upload
    )
    stored.append(stored_name)
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
            "material_id": material.pk if material else None,
            "sha256": checked.sha256,
            "size": checked.size,
            "content_type": checked.content_type,
        },
    )
    return attachment


def _case_material(case: Case, material_id: int | None) -> CaseMaterial | None:
    if material_id is None:
        return None
    material = CaseMaterial.objects.filter(case=case, pk=material_id).first()
    if material is None:
        raise Invalid(
            _("The material does not belong to this case."),
            code="unknown_material",
            details={"material_id": material_id},
        )
    return material


def _lock_readable(actor: User, number: str) -> Case:
    from tongban.cases.selectors import readable_cases

    case = (
        readable_cases(actor)
        .select_for_update(of=("self",))
        .select_related("applicant")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound(_("No such case, or it is outside your scope."))
    return case


def attach_files(
    actor: User | AnonymousUser, number: str, files: Sequence[CaseFile]
) -> list[Attachment]:
    """Check every file by content, then store and record them all against the case (and
    its materials) in one transaction: the case's status and history are untouched. The
    case must be visible to the actor (else NotFound), open (`case_closed`), and the
    actor its applicant or a clerk/officer/head of one of its legs (`may_not_upload`)."""
    user = _signed_in(actor)
    checked = _check_all(files)
    with _storing() as stored, transaction.atomic():
        case = _lock_readable(user, number)
        return [
            _attach(user, case, f.upload, c, _case_material(case, f.material_id), stored)
            for f, c in checked
        ]


def attach_file(
    actor: User | AnonymousUser,
    number: str,
    upload: UploadedFile,
    material_id: int | None = None,
) -> Attachment:
    """`attach_files` for one file (of one case material, if given)."""
    return attach_files(actor, number, [CaseFile(upload, material_id)])[0]


def submit_case_with_files(
    actor: User | AnonymousUser,
    data: SubmitInput,
    files: Sequence[CaseFile],
    idempotency_key: str | None = None,
) -> Submitted:
    """`submit_case_once` with the files uploaded for its checklist (`CaseFile.material_id`
    is the checklist material), in one transaction. A replayed submission attaches
    nothing again: its files came with the first one."""
    user = _signed_in(actor)
    checked = _check_all(files)
    with _storing() as stored, transaction.atomic():
        submitted = submit_case_once(user, data, idempotency_key)
        if submitted.replayed:
            return submitted
        case = submitted.case
        by_material = {m.material_id: m for m in case.materials.all()}
        for f, c in checked:
            material = by_material.get(f.material_id) if f.material_id is not None else None
            _attach(user, case, f.upload, c, material, stored)
    return submitted


@dataclass(frozen=True)
class Acted:
    """What `act_with_files` did: the case after the move, the files it attached and the
    event of the move."""

    case: Case
    attachments: list[Attachment]
    event: CaseEvent


def act_with_files(
    actor: User | AnonymousUser,
    number: str,
    action: str,
    data: ActionInput,
    files: Sequence[CaseFile],
) -> Acted:
    """`perform_case_action` with files for the case's materials (`CaseFile.material_id`
    is a CaseMaterial of the case), in one transaction. In a supplement (补正) a file for
    an outstanding material provides it."""
    user = _signed_in(actor)
    checked = _check_all(files)
    if action == Action.SUPPLEMENT:
        uploaded = {f.material_id for f in files if f.material_id is not None}
        data = data.model_copy(update={"provided": sorted(set(data.provided) | uploaded)})
    with _storing() as stored, transaction.atomic():
        performed = perform(user, number, action, data)
        case = performed.case
        attachments = [
            _attach(user, case, f.upload, c, _case_material(case, f.material_id), stored)
            for f, c in checked
        ]
    return Acted(case, attachments, performed.event)


# --- files held for a form's resubmission (ADR 0123) -------------------------------------


@dataclass(frozen=True)
class Held:
    """What `hold_uploads` did: the files now held for the form, by checklist material,
    and the files it refused (by material), each with its error."""

    uploads: dict[int, HeldUpload]
    refused: dict[int, DomainError]


def _held_for(user: User, token: str) -> dict[int, HeldUpload]:
    rows = HeldUpload.objects.select_for_update().filter(owner=user, token=token)
    return {row.material_id: row for row in rows.order_by("material_id")}


def _delete_bytes_on_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


def hold_uploads(
    actor: User | AnonymousUser,
    token: str,
    files: Sequence[CaseFile],
    *,
    remove: Iterable[int] = (),
    materials: Iterable[int] = (),
) -> Held:
    """Hold the files chosen in a form (each checked by content and hashed as for a case)
    so that a failed submission does not lose them. A new file for a line replaces the
    one held for it; `remove` names held files (by id) the user took away. `materials`
    are the form's checklist lines: a file for anything else is ignored. A refused file
    is reported, not held; the others are held in one transaction with an audit row."""
    user = _signed_in(actor)
    lines = set(materials)
    accepted: list[tuple[CaseFile, CheckedFile]] = []
    refused: dict[int, DomainError] = {}
    for f in files:
        if f.material_id is None or f.material_id not in lines:
            continue
        try:
            accepted.append((f, check_upload(f.upload)))
        except Invalid as error:
            refused[f.material_id] = error
    expires = timezone.now() + dt.timedelta(hours=settings.TONGBAN_HELD_UPLOAD_HOURS)
    removed_ids = set(remove)
    with _storing() as stored, transaction.atomic():
        held = _held_for(user, token)
        gone = [
            row
            for row in held.values()
            if row.pk in removed_ids or any(f.material_id == row.material_id for f, _c in accepted)
        ]
        for row in gone:
            del held[row.material_id]
            row.delete()
        _delete_bytes_on_commit([str(row.file.name) for row in gone])
        for f, checked in accepted:
            assert f.material_id is not None
            name = default_storage.save(f"held/{uuid.uuid4().hex}.{checked.extension}", f.upload)
            stored.append(name)
            held[f.material_id] = HeldUpload.objects.create(
                owner=user,
                token=token,
                material_id=f.material_id,
                file=name,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                expires_at=expires,
            )
        if accepted or gone:
            record_audit(
                user,
                "hold_uploads",
                user,
                "暂存表单上传文件",
                {
                    "held": [
                        {"material_id": f.material_id, "sha256": c.sha256, "size": c.size}
                        for f, c in accepted
                    ],
                    "removed": [row.material_id for row in gone],
                },
            )
    return Held(uploads=held, refused=refused)


def submit_case_with_held(
    actor: User | AnonymousUser,
    data: SubmitInput,
    token: str,
    idempotency_key: str | None = None,
) -> Submitted:
    """`submit_case_once` with the files held for the form `token` (`hold_uploads`), in
    one transaction: the case opens with them as its attachments and the held copies are
    released; a failure keeps them held for the next try."""
    user = _signed_in(actor)
    with _storing() as stored, transaction.atomic():
        held = {
            material_id: row
            for material_id, row in _held_for(user, token).items()
            if row.expires_at > timezone.now()
        }
        submitted = submit_case_once(user, data, idempotency_key)
        if submitted.replayed:
            return submitted
        case = submitted.case
        by_material = {m.material_id: m for m in case.materials.all()}
        for material_id, row in held.items():
            checked = CheckedFile(
                content_type=row.content_type,
                extension=str(row.file.name).rsplit(".", 1)[-1],
                size=row.size,
                sha256=row.sha256,
                original_name=row.original_name,
            )
            with default_storage.open(str(row.file.name), "rb") as content:
                _attach(user, case, File(content), checked, by_material.get(material_id), stored)
        HeldUpload.objects.filter(pk__in=[row.pk for row in held.values()]).delete()
        _delete_bytes_on_commit([str(row.file.name) for row in held.values()])
    return submitted


def purge_held_uploads(now: dt.datetime | None = None) -> int:
    """Delete the held files whose time is up (`tongban purge-held-uploads`); returns how
    many. Idempotent: a second run finds nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(HeldUpload.objects.select_for_update().filter(expires_at__lte=now))
        HeldUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()
        _delete_bytes_on_commit([str(row.file.name) for row in rows])
        if rows:
            record_audit(
                None,
                "purge_held_uploads",
                rows[0],
                f"清理过期暂存上传 {len(rows)} 个",
                {"count": len(rows)},
            )
    return len(rows)
