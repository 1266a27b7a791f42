"""Reads of the outbox. Platform administrators see every message; a jurisdiction
administrator sees the messages of cases received or handled in their jurisdictions;
nobody else sees any (messages carry applicants' contact data)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from tongban.accounts.access import is_platform_admin, jurisdictions_with, require_authenticated
from tongban.accounts.models import Role, User
from tongban.notifications.models import OutboxMessage


def readable_outbox_messages(user: User | AnonymousUser) -> QuerySet[OutboxMessage]:
    require_authenticated(user)
    messages = OutboxMessage.objects.select_related("case", "applicant")
    if is_platform_admin(user):
        return messages
    ids = jurisdictions_with(user, [Role.ADMIN])
    if not ids:
        return messages.none()
    return messages.filter(
        Q(case__receiving_jurisdiction_id__in=ids) | Q(case__handling_jurisdiction_id__in=ids)
    )
