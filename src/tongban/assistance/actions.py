"""Every change to 帮办代办 records. A plain window receipt is not 帮办代办: a record exists
only when a clerk says who helped, how (帮办 / 代办), with which consent and for which
steps. `Case.assisted` is kept as the case's "has at least one record" flag."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import has_role, signed_in
from tongban.accounts.models import Role, User
from tongban.assistance.models import (
    STEP_ORDER,
    AssistanceRecord,
    AssistanceRole,
    ConsentMethod,
)
from tongban.cases.models import Case
from tongban.cases.selectors import readable_cases
from tongban.core.audit import record_audit
from tongban.core.errors import Forbidden, Invalid, NotFound

# who may help at a window or act for an applicant: the window staff (收件人员)
ASSIST_ROLES = frozenset({Role.CLERK})
# consent given more than this long before the record is suspicious, not impossible
# (a 代办 authorisation signed at the first visit covers the later steps)
CONSENT_MAX_AGE = dt.timedelta(days=366)


@dataclass
class AssistanceInput:
    role: str
    steps: list[str] = field(default_factory=list)
    consent_method: str = ""
    consent_at: dt.datetime | None = None
    note: str = ""
    consultation_id: int | None = None


def clean_steps(steps: Iterable[str]) -> list[str]:
    given = [str(s).strip() for s in steps if str(s).strip()]
    unknown = sorted(set(given) - set(STEP_ORDER))
    details = {"unknown": unknown, "allowed": list(STEP_ORDER)}
    if not given:
        raise Invalid(
            _("Choose the steps that were helped with."), code="invalid_steps", details=details
        )
    if unknown:
        raise Invalid(_("Unknown step."), code="invalid_steps", details=details)
    return [s for s in STEP_ORDER if s in given]  # canonical order, no duplicates


def _check_input(data: AssistanceInput, now: dt.datetime) -> tuple[list[str], dt.datetime]:
    if data.role not in AssistanceRole.values:
        raise Invalid(
            _("Choose help (帮办) or acting on behalf (代办)."),
            code="invalid_role",
            details={"role": data.role},
        )
    steps = clean_steps(data.steps)
    if data.consent_method not in ConsentMethod.values:
        raise Invalid(
            _("Record how the applicant consented (signed at the window or in the portal)."),
            code="consent_required",
            details={"consent_method": data.consent_method},
        )
    consent_at = data.consent_at or now
    if timezone.is_naive(consent_at):
        raise Invalid(_("The consent time needs a time zone."), code="invalid")
    if consent_at > now + dt.timedelta(minutes=5) or consent_at < now - CONSENT_MAX_AGE:
        raise Invalid(
            _("The consent time is in the future or more than a year ago."),
            code="invalid_consent_time",
        )
    return steps, consent_at


def record_assistance(
    actor: User | AnonymousUser, case_number: str, data: AssistanceInput
) -> AssistanceRecord:
    """A window clerk of the case's receiving place (or, for an online case, of its
    handling place) records that they helped the applicant (帮办) or acted for them (代办),
    with the applicant's consent, for the given steps."""
    actor = signed_in(actor)
    now = timezone.now()
    steps, consent_at = _check_input(data, now)
    with transaction.atomic():
        case = (
            readable_cases(actor)
            .select_for_update(of=("self",))
            .select_related("receiving_jurisdiction", "handling_jurisdiction")
            .filter(number=case_number)
            .first()
        )
        if case is None:
            raise NotFound(_("No such case, or it is outside your scope."))
        place = case.receiving_jurisdiction or case.handling_jurisdiction
        if not has_role(actor, ASSIST_ROLES, place.pk):
            raise Forbidden(
                _("Only window staff of the receiving place may record help-and-proxy service."),
                code="assistance_forbidden",
            )
        consultation = None
        if data.consultation_id is not None:
            from tongban.consultations.selectors import get_consultation_for

            consultation = get_consultation_for(actor, data.consultation_id)
        record = AssistanceRecord.objects.create(
            case=case,
            consultation=consultation,
            jurisdiction=place,
            helper=actor,
            role=data.role,
            steps=steps,
            consent_method=data.consent_method,
            consent_at=consent_at,
            note=(data.note or "").strip(),
            recorded_at=now,
        )
        if not case.assisted:
            Case.objects.filter(pk=case.pk).update(assisted=True, updated_at=now)
        record_audit(
            actor,
            "record_assistance",
            record,
            f"{case.number} {AssistanceRole(data.role).label}",
            {"case": case.number, "role": data.role, "steps": steps},
        )
    return record


def may_record(user: User | AnonymousUser, case: Case) -> bool:
    """Whether the case page offers the form (the action decides)."""
    place = case.receiving_jurisdiction_id or case.handling_jurisdiction_id
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, ASSIST_ROLES, place)
