"""Reads of attachments: always through the case, so a file is visible exactly to the
users who may see its case (cases.selectors.readable_cases)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import User
from tongban.attachments.models import Attachment, HeldUpload
from tongban.cases.models import Case
from tongban.core.errors import NotFound


def attachments_of(case: Case) -> QuerySet[Attachment]:
    """The files of a case the caller already holds (fetched through get_case_for)."""
    return Attachment.objects.filter(case=case).order_by("uploaded_at", "id")


def get_attachment_for(user: User | AnonymousUser, pk: int) -> Attachment:
    from tongban.cases.selectors import readable_cases

    attachment = (
        Attachment.objects.filter(pk=pk, case__in=readable_cases(user))
        .select_related("case")
        .first()
    )
    if attachment is None:
        raise NotFound(_("No such file, or it is outside your scope."))
    return attachment


def held_uploads(user: User | AnonymousUser, token: str) -> dict[int, HeldUpload]:
    """The files held for the form `token` of this user, by checklist material: only the
    user who uploaded them sees them, and only until they expire."""
    from django.utils import timezone

    if not user.is_authenticated or not token:
        return {}
    found = HeldUpload.objects.filter(
        owner_id=user.pk, token=token, expires_at__gt=timezone.now()
    ).order_by("material_id")
    return {held.material_id: held for held in found}
