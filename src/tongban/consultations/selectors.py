"""Every read of consultations, scoped to the caller: staff (any role, supervisors
included) of the owning jurisdiction or of the jurisdiction it is forwarded to; the
applicant it is linked to; platform admins see all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
)
from tongban.accounts.models import Applicant, Role, User
from tongban.accounts.selectors import jurisdictions_with_role, readable_applicants
from tongban.catalog.models import ServiceItem
from tongban.catalog.selectors import readable_items
from tongban.consultations.models import Consultation, ConsultationChannel, ConsultationEvent
from tongban.core.errors import Forbidden, Invalid, not_found
from tongban.core.inputs import choice_filter
from tongban.regions.models import Jurisdiction

# who may record, forward, answer and close consultations in a jurisdiction; supervisors and
# platform admins only read
CONSULTATION_WRITE_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD, Role.ADMIN})

# waiting for an answer: may still be forwarded or answered
WAITING_STATES = frozenset({Consultation.Status.OPEN, Consultation.Status.FORWARDED})


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
    status = choice_filter(status, Consultation.Status.values, "status")
    channel = choice_filter(channel, ConsultationChannel.values, "channel")
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


# -- what a consultation refers to, named in the API body or the page's form -------------
# One resolution for both surfaces, called by the actions (as submit_case resolves its
# codes): a reference to something unknown, or outside the caller's scope, is a 422 on the
# field that named it; existence outside the scope is not disclosed. Jurisdictions are
# resolved by regions.selectors.jurisdiction_by_code.


def item_by_code(user: User | AnonymousUser, code: str) -> ServiceItem | None:
    """The service item the question is about (none for an empty code), as the caller may
    read it in the catalogue."""
    code = (code or "").strip()
    if not code:
        return None
    item = readable_items(user).filter(code=code).first()
    if item is None:
        raise Invalid(_("Unknown item code."), code="unknown_item", details={"item": code})
    return item


def applicant_by_id(user: User | AnonymousUser, applicant_id: int | None) -> Applicant | None:
    """The applicant who asked (none when not given), if the caller may look them up."""
    if applicant_id is None:
        return None
    applicant = readable_applicants(user).filter(pk=applicant_id).first()
    if applicant is None:
        raise Invalid(
            _("Unknown applicant."),
            code="unknown_applicant",
            details={"applicant_id": applicant_id},
        )
    return applicant


def forward_targets(consultation: Consultation) -> list[Jurisdiction]:
    """Where a consultation may be forwarded: every other active jurisdiction."""
    excluded = [consultation.jurisdiction_id]
    if consultation.forwarded_to_id is not None:
        excluded.append(consultation.forwarded_to_id)
    return list(
        Jurisdiction.objects.filter(active=True)
        .exclude(pk__in=excluded)
        .only("code", "name", "short_name")
        .order_by("code")
    )


@dataclass
class TimelineEntry:
    event: ConsultationEvent
    target: Jurisdiction | None  # where a forward sent it


def timeline(events: list[ConsultationEvent]) -> list[TimelineEntry]:
    """The events with the jurisdiction each forward sent the consultation to (one query)."""
    codes = {e.data.get("to") for e in events if e.action == ConsultationEvent.Action.FORWARD}
    codes.discard(None)
    places = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)} if codes else {}
    return [TimelineEntry(e, places.get(e.data.get("to", ""))) for e in events]


# -- who may take which step -----------------------------------------------------------------
# The rules the actions enforce, asked by the pages to decide which forms they offer (the
# actions call the same functions; what a page offers is never more than an action allows).


def may_write(user: User | AnonymousUser, jurisdiction_id: int | None) -> bool:
    """Whether `user` may work on consultations owned by (or forwarded to) the jurisdiction."""
    return has_role(user, CONSULTATION_WRITE_ROLES, jurisdiction_id)


def require_staff(user: User | AnonymousUser) -> None:
    """The consultation register is for staff of a jurisdiction and platform admins (the
    applicant sees their own consultations through the API and the portal)."""
    require_authenticated(user)
    if not is_platform_admin(user) and not jurisdictions_with(user):
        raise Forbidden(
            _("Only staff may see the consultation register."), code="consultation_forbidden"
        )


def recording_places(user: User | AnonymousUser) -> list[Jurisdiction]:
    """Where the user may record consultations: Forbidden if nowhere."""
    require_authenticated(user)
    places = jurisdictions_with_role(user, CONSULTATION_WRITE_ROLES)
    if not places:
        raise Forbidden(
            _(
                "Only clerks, officers, heads and administrators of a "
                "jurisdiction may record consultations."
            ),
            code="consultation_forbidden",
        )
    return places


def may_record(user: User | AnonymousUser) -> bool:
    return bool(jurisdictions_with(user, CONSULTATION_WRITE_ROLES))


@dataclass(frozen=True)
class ConsultationSteps:
    """Which steps `user` may take on a consultation now, as the actions decide them."""

    forward: bool
    answer: bool
    close: bool
    contact: bool  # may see the full name and phone of the caller (to call back)

    @property
    def any(self) -> bool:
        return self.forward or self.answer or self.close


def steps_for(user: User | AnonymousUser, consultation: Consultation) -> ConsultationSteps:
    """forward: the owner while it waits for an answer; answer: the owner or the
    jurisdiction it is forwarded to while it waits; close: the owner until it is closed."""
    owner = may_write(user, consultation.jurisdiction_id)
    target = may_write(user, consultation.forwarded_to_id)
    waiting = consultation.status in WAITING_STATES
    return ConsultationSteps(
        forward=waiting and owner,
        answer=waiting and (owner or target),
        close=consultation.status != Consultation.Status.CLOSED and owner,
        contact=owner or target,
    )
