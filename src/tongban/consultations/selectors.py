"""Every read of consultations, scoped to the caller: staff (any role, supervisors
included) of the owning jurisdiction or of the jurisdiction it is forwarded to; the
applicant it is linked to; platform admins see all."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from tongban.accounts.access import is_platform_admin, jurisdictions_with, require_authenticated
from tongban.accounts.models import User
from tongban.consultations.models import Consultation
from tongban.core.errors import not_found


def readable_consultations(user: User | AnonymousUser) -> QuerySet[Consultation]:
    require_authenticated(user)
    qs = Consultation.objects.all()
    if is_platform_admin(user):
        return qs
    where = jurisdictions_with(user)
    scope = Q(applicant__user=user)
    if where:
        scope |= Q(jurisdiction__in=where) | Q(forwarded_to__in=where)
    return qs.filter(scope)


def list_consultations(
    user: User | AnonymousUser,
    *,
    status: str | None = None,
    jurisdiction_code: str | None = None,
    channel: str | None = None,
    item_code: str | None = None,
    search: str | None = None,
    awaiting_answer: bool = False,
) -> QuerySet[Consultation]:
    """`awaiting_answer`: forwarded to one of the user's jurisdictions (any, for platform
    admins) and not answered yet."""
    qs = readable_consultations(user)
    if awaiting_answer:
        qs = qs.filter(status=Consultation.Status.FORWARDED)
        if not is_platform_admin(user):
            qs = qs.filter(forwarded_to__in=jurisdictions_with(user))
    if status:
        qs = qs.filter(status=status)
    if jurisdiction_code:
        qs = qs.filter(
            Q(jurisdiction__code=jurisdiction_code) | Q(forwarded_to__code=jurisdiction_code)
        )
    if channel:
        qs = qs.filter(channel=channel)
    if item_code:
        qs = qs.filter(item__code=item_code)
    if search:
        qs = qs.filter(Q(topic__icontains=search) | Q(question__icontains=search))
    return qs.select_related("jurisdiction", "forwarded_to", "item", "answered_in").order_by(
        "-asked_at", "-id"
    )


def get_consultation_for(user: User | AnonymousUser, consultation_id: int) -> Consultation:
    row = (
        readable_consultations(user)
        .select_related("jurisdiction", "forwarded_to", "item", "answered_in")
        .filter(pk=consultation_id)
        .first()
    )
    if row is None:
        raise not_found("consultation")
    return row


def consultation_events(consultation: Consultation) -> list[Any]:
    return list(consultation.events.select_related("actor", "actor_jurisdiction").order_by("seq"))
