"""Every change to consultations. Each action locks the consultation, checks the rules
itself and appends a ConsultationEvent (the consultation's audit trail)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import require_authenticated, signed_in
from tongban.accounts.models import User
from tongban.consultations.models import Consultation, ConsultationChannel, ConsultationEvent
from tongban.consultations.selectors import (
    WAITING_STATES,
    applicant_by_id,
    item_by_code,
    may_write,
    readable_consultations,
)
from tongban.core.errors import Conflict, Forbidden, Invalid, StrOrPromise, not_found
from tongban.regions.models import Jurisdiction
from tongban.regions.selectors import jurisdiction_by_code

_PHONE = re.compile(r"^[0-9+\-() ]{3,20}$")

S = Consultation.Status
# who may take which step (roles, waiting states) is stated once in consultations.selectors:
# the actions enforce it and the pages ask it to decide which forms they offer


def _append_event(
    consultation: Consultation,
    action: str,
    from_status: str,
    actor: User | AnonymousUser,
    jurisdiction: Jurisdiction | None,
    at: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> ConsultationEvent:
    consultation.event_count += 1
    return ConsultationEvent.objects.create(
        consultation=consultation,
        seq=consultation.event_count,
        action=action,
        from_status=from_status,
        to_status=consultation.status,
        actor=actor if isinstance(actor, User) else None,
        actor_jurisdiction=jurisdiction,
        at=at,
        note=note,
        data=data or {},
    )


def _require_writer(actor: User | AnonymousUser, jurisdiction_id: int | None) -> None:
    if not may_write(actor, jurisdiction_id):
        raise Forbidden(
            _("Only staff of this jurisdiction may work on the consultation."),
            code="consultation_forbidden",
        )


def _locked(actor: User | AnonymousUser, consultation_id: int) -> Consultation:
    """The consultation, locked, if the actor may see it at all (else 404)."""
    visible = readable_consultations(actor).filter(pk=consultation_id).values_list("pk", flat=True)
    row = (
        Consultation.objects.select_for_update(of=("self",))
        .filter(pk__in=list(visible))
        .select_related("jurisdiction", "forwarded_to")
        .first()
    )
    if row is None:
        raise not_found("consultation")
    return row


def _clean_text(value: str, field: str, label: StrOrPromise, limit: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            _("%(label)s must not be empty."), details={field: value}, params={"label": label}
        )
    if limit is not None and len(value) > limit:
        raise Invalid(
            _("%(label)s is longer than %(limit)s characters."),
            details={"field": field},
            params={"label": label, "limit": limit},
        )
    return value


def record_consultation(
    actor: User | AnonymousUser,
    *,
    jurisdiction: str,
    channel: str,
    topic: str,
    question: str,
    item: str = "",
    applicant_id: int | None = None,
    asker_name: str = "",
    asker_phone: str = "",
    answer: str = "",
    asked_at: dt.datetime | None = None,
) -> Consultation:
    """登记咨询 at the `jurisdiction` code (which becomes its owner under 首问负责), about
    the `item` code if any, asked by the applicant `applicant_id` if known. With an
    `answer` the consultation is answered on the spot."""
    actor = signed_in(actor)
    place = jurisdiction_by_code(jurisdiction, "jurisdiction")
    _require_writer(actor, place.pk)
    service_item = item_by_code(actor, item)
    applicant = applicant_by_id(actor, applicant_id)
    if channel not in ConsultationChannel.values:
        raise Invalid(_("Unknown consultation channel."), details={"channel": channel})
    topic = _clean_text(topic, "topic", _("topic"), 128)
    question = _clean_text(question, "question", _("question"))
    asker_phone = (asker_phone or "").strip()
    if asker_phone and not _PHONE.match(asker_phone):
        raise Invalid(_("The phone number is not valid."))
    now = timezone.now()
    asked = asked_at or now
    if asked > now + dt.timedelta(minutes=5):
        raise Invalid(_("The consultation cannot be in the future."))
    answer = (answer or "").strip()
    with transaction.atomic():
        consultation = Consultation(
            channel=channel,
            jurisdiction=place,
            item=service_item,
            topic=topic,
            question=question,
            applicant=applicant,
            asker_name=(asker_name or "").strip()[:64],
            asker_phone=asker_phone,
            status=S.OPEN,
            asked_at=asked,
            recorded_by=actor,
        )
        consultation.save()
        _append_event(
            consultation,
            ConsultationEvent.Action.RECORD,
            "",
            actor,
            place,
            now,
            data={"channel": channel},
        )
        if answer:
            consultation.status = S.ANSWERED
            consultation.answer = answer
            consultation.answered_at = now
            consultation.answered_in = place
            _append_event(consultation, ConsultationEvent.Action.ANSWER, S.OPEN, actor, place, now)
        consultation.save()
    return consultation


def forward_consultation(
    actor: User | AnonymousUser, consultation_id: int, to_jurisdiction: str, note: str = ""
) -> Consultation:
    """转办: ask the jurisdiction with the code `to_jurisdiction` for the answer. The first
    jurisdiction stays the owner and keeps tracking it until it is answered and closed."""
    require_authenticated(actor)
    with transaction.atomic():
        consultation = _locked(actor, consultation_id)
        _require_writer(actor, consultation.jurisdiction_id)
        target = jurisdiction_by_code(to_jurisdiction, "to_jurisdiction")
        if consultation.status not in WAITING_STATES:
            raise Conflict(
                _("The consultation is already answered or closed: it cannot be forwarded."),
                code="consultation_not_open",
            )
        if target.pk == consultation.jurisdiction_id:
            raise Invalid(_("Cannot forward to the owning jurisdiction."))
        if target.pk == consultation.forwarded_to_id:
            raise Conflict(_("Already forwarded to this jurisdiction."), code="already_forwarded")
        if not target.active:
            raise Invalid(_("The target jurisdiction is not active."))
        now = timezone.now()
        previous = consultation.status
        previous_target = consultation.forwarded_to.code if consultation.forwarded_to else ""
        consultation.forwarded_to = target
        consultation.forwarded_at = now
        consultation.status = S.FORWARDED
        _append_event(
            consultation,
            ConsultationEvent.Action.FORWARD,
            previous,
            actor,
            consultation.jurisdiction,
            now,
            note=(note or "").strip(),
            data={"to": target.code, "previous": previous_target},
        )
        consultation.save()
    return consultation


def answer_consultation(
    actor: User | AnonymousUser, consultation_id: int, answer: str
) -> Consultation:
    """答复, by the owner or by the jurisdiction it was forwarded to."""
    require_authenticated(actor)
    answer = _clean_text(answer, "answer", _("answer"))
    with transaction.atomic():
        consultation = _locked(actor, consultation_id)
        where: Jurisdiction | None = None
        if may_write(actor, consultation.forwarded_to_id):
            where = consultation.forwarded_to
        elif may_write(actor, consultation.jurisdiction_id):
            where = consultation.jurisdiction
        if where is None:
            _require_writer(actor, None)  # raises Forbidden: readers may not answer
        if consultation.status not in WAITING_STATES:
            raise Conflict(
                _("The consultation is already answered or closed."), code="consultation_not_open"
            )
        now = timezone.now()
        previous = consultation.status
        consultation.status = S.ANSWERED
        consultation.answer = answer
        consultation.answered_at = now
        consultation.answered_in = where
        _append_event(consultation, ConsultationEvent.Action.ANSWER, previous, actor, where, now)
        consultation.save()
    return consultation


def close_consultation(
    actor: User | AnonymousUser, consultation_id: int, note: str = ""
) -> Consultation:
    """办结, by the owner only. An unanswered consultation can be closed only with a reason
    (e.g. the caller could not be reached)."""
    require_authenticated(actor)
    note = (note or "").strip()
    with transaction.atomic():
        consultation = _locked(actor, consultation_id)
        _require_writer(actor, consultation.jurisdiction_id)
        if consultation.status == S.CLOSED:
            raise Conflict(_("The consultation is already closed."), code="consultation_closed")
        if consultation.status != S.ANSWERED and not note:
            raise Invalid(
                _("Give a reason to close a consultation that was not answered."),
                code="reason_required",
            )
        now = timezone.now()
        previous = consultation.status
        consultation.status = S.CLOSED
        consultation.closed_at = now
        _append_event(
            consultation,
            ConsultationEvent.Action.CLOSE,
            previous,
            actor,
            consultation.jurisdiction,
            now,
            note=note,
        )
        consultation.save()
        _invite_to_rate(consultation)
    return consultation


def _invite_to_rate(consultation: Consultation) -> None:
    """A linked applicant without a portal account gets a one-time rating link (好差评
    covers consultations too); one with an account rates in the portal."""
    from tongban.notifications.actions import queue_applicant_notification

    # ratings sit above consultations (a rating reads the consultation it rates): closing
    # a consultation is the one call upward (ignored by name in the layers contract)
    from tongban.ratings.actions import invite_to_rate

    link = invite_to_rate(consultation)
    if link and consultation.applicant is not None:
        queue_applicant_notification(
            consultation.applicant,
            "consultation_closed",
            {"topic": consultation.topic, "rating_link": link},
        )
