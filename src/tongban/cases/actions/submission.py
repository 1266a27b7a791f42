"""Opening a case: `submit_case` / `submit_case_once`, idempotent per Idempotency-Key.

`_submit` runs in one transaction, as a sequence of named steps: check the choices,
place the case (who receives it, under which agreement), check the implementation and
the joint parts, then resolve the applicant and write the case, its materials, the
idempotency record, the event and the notification.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.accounts import access, trust
from tongban.accounts.identifiers import validate_id_number, validate_uscc
from tongban.accounts.models import Applicant, Role, User
from tongban.accounts.selectors import readable_applicants
from tongban.agreements.models import Agreement
from tongban.agreements.selectors import find_agreement_item
from tongban.cases import deadlines
from tongban.cases.actions.common import (
    _append_event,
    _implementation,
    _next_case_number,
    _notify,
    _now,
    _require,
    _signed_in,
    _take_chain_head,
)
from tongban.cases.actions.inputs import (
    REQUIRED_WHEN,
    ActionInput,
    ApplicantInput,
    JointPartInput,
    SubmitInput,
)
from tongban.cases.actions.materials import _material_rows, _save_materials
from tongban.cases.actions.transitions import perform_case_action
from tongban.cases.application_forms import DEFAULT_SEALS, clean_form
from tongban.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    IdempotencyRecord,
)
from tongban.cases.workflow import (
    INITIAL_STATE,
    SUBMIT_PRACTICE_CODE,
    Action,
)
from tongban.catalog.models import (
    Channel,
    DeliveryMethod,
    FormKind,
    ItemBundle,
    ItemImplementation,
    Mode,
    ServiceItem,
)
from tongban.catalog.selectors import readable_item
from tongban.centres.models import Window
from tongban.core import versioned
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, FieldErrors, Forbidden, Invalid, StrOrPromise
from tongban.core.prepared import Prepared
from tongban.regions.calendar import shared_calendar
from tongban.regions.models import Jurisdiction
from tongban.regions.selectors import jurisdiction_by_code


def _resolve_jurisdiction(code: str, field_name: str, version: int) -> Jurisdiction:
    # one resolution of a jurisdiction code for every input (ADR 0106); a case is only
    # ever received or handled in an active jurisdiction, so an inactive one is unknown here
    jurisdiction = jurisdiction_by_code(code, field_name, version)
    if not jurisdiction.active:
        raise Invalid(
            _("Unknown jurisdiction code: %(code_32)s"),
            code="unknown_jurisdiction",
            details={field_name: code[:32]},
            params={"code_32": code[:32]},
        )
    return jurisdiction


def _resolve_item(actor: User, code: str, version: int) -> ServiceItem:
    # the catalogue's scoped read, as consultations resolve their item (ADR 0106)
    item = readable_item(actor, code, version)
    if item is None:
        raise Invalid(
            _("Unknown item code: %(code)s"),
            code="unknown_item",
            details={"field": "item"},
            params={"code": code},
        )
    return item


def _resolve_applicant(actor: User, data: SubmitInput, staff: bool) -> Applicant:
    if not staff:
        trust.require_level(actor, "apply_online")
        own = Applicant.objects.filter(user=actor)
        if data.applicant_id is not None:
            own = own.filter(pk=data.applicant_id)
        found = list(own.order_by("pk")[:2])
        if not found:
            raise Invalid(_("Your account has no applicant record."), code="no_applicant")
        if len(found) > 1:
            # an enterprise's agent applies for himself (本人) or for the enterprise (本企业):
            # the case's applicant is never guessed (ADR 0123)
            raise Invalid(
                _("Choose whether you apply for yourself or for your enterprise."),
                code="applicant_choice_required",
                details={"field": "applicant_id"},
            )
        return found[0]
    if data.applicant_id is not None:
        applicant = readable_applicants(actor).filter(pk=data.applicant_id).first()
        if applicant is None:
            raise Invalid(_("No such applicant."), code="unknown_applicant")
        return applicant
    given = data.applicant
    if given is None:
        raise Invalid(
            _("Applicant details are required."),
            code="missing_field",
            details={"field": "applicant"},
        )
    checked = _check_given_applicant(given)
    name = checked["name"]
    if given.kind == Applicant.Kind.PERSON:
        id_number = checked["id_number"]
        index = blind_index("identifier", id_number)
        existing = _known_applicant("person", "id_number_index", index)
        if existing is not None:
            if existing.name != name:
                raise Invalid(_("Name does not match the ID number."), code="identity_mismatch")
            return existing
        return Applicant.objects.create(
            kind="person",
            name=name,
            id_number=id_number,
            phone=given.phone.strip(),
            email=given.email.strip(),
            address=given.address.strip(),
        )
    if given.kind == Applicant.Kind.ENTERPRISE:
        uscc, agent_name = checked["uscc"], checked["agent_name"]
        agent_id = checked["agent_id_number"]
        existing = _known_applicant("enterprise", "uscc", uscc)
        if existing is not None:
            if existing.agent_id_number != agent_id:
                # a new agent for a known enterprise: record who acts this time
                existing.agent_name, existing.agent_id_number = agent_name, agent_id
                existing.save(
                    update_fields=["agent_name", "agent_id_number", "agent_id_number_index"]
                )
            return existing
        return Applicant.objects.create(
            kind="enterprise",
            name=name,
            uscc=uscc,
            agent_name=agent_name,
            agent_id_number=agent_id,
            phone=given.phone.strip(),
            email=given.email.strip(),
            address=given.address.strip(),
        )
    raise Invalid(_("Applicant kind must be person or enterprise."), code="invalid_applicant_kind")


def _known_applicant_queryset(key: tuple[str, str], value: str) -> QuerySet[Applicant]:
    kind, field = key
    return Applicant.objects.filter(kind=kind, **{field: value}).order_by("pk")[:1]


# compiled once per connection and kind: a window receives for a given applicant on
# nearly every submission (ADR 0137, ADR 0138)
_KNOWN_APPLICANT = Prepared("known_applicant", _known_applicant_queryset)


def _known_applicant(kind: str, field: str, value: str) -> Applicant | None:
    """The applicant of `kind` already on record with this identifier (the ID number's
    blind index, the USCC), the first recorded if several."""
    return next(iter(_KNOWN_APPLICANT.fetch((kind, field), value=value)), None)


def _check_given_applicant(given: ApplicantInput) -> dict[str, str]:
    """Every field of a new applicant checked at once (one InvalidFields for all that are
    wrong), the values as they will be stored."""
    problems = FieldErrors()
    values = {
        "name": problems.check(
            "applicant.name",
            lambda: _require(given.name, "applicant.name", _("The applicant's name")),
        )
    }
    if given.kind == Applicant.Kind.PERSON:
        values["id_number"] = problems.check(
            "applicant.id_number", lambda: validate_id_number(given.id_number)
        )
    elif given.kind == Applicant.Kind.ENTERPRISE:
        values["uscc"] = problems.check("applicant.uscc", lambda: validate_uscc(given.uscc))
        values["agent_name"] = problems.check(
            "applicant.agent_name",
            lambda: _require(given.agent_name, "applicant.agent_name", _("The agent's name")),
        )
        values["agent_id_number"] = problems.check(
            "applicant.agent_id_number", lambda: validate_id_number(given.agent_id_number)
        )
    problems.raise_if_any()
    return {key: value or "" for key, value in values.items()}


def _check_choice(value: str, allowed: list[str], field_name: str, label: StrOrPromise) -> None:
    if value not in allowed:
        raise Invalid(
            _("This item does not offer this %(label)s: %(value)s"),
            code=f"{field_name}_not_offered",
            details={"allowed": allowed},
            params={"label": label, "value": value},
        )


@dataclass(frozen=True)
class Submitted:
    """What `submit_case_once` did: opened `case`, or (`replayed`) found the case an
    earlier or concurrent submission with the same Idempotency-Key opened. A case opened
    and left as opened (not checked at receipt) comes with the rows written with it, its
    checklist and its one event, for an answer that does not read them back."""

    case: Case
    replayed: bool
    materials: list[CaseMaterial] | None = None
    event: CaseEvent | None = None


def submit_case(
    actor: User | AnonymousUser, data: SubmitInput, idempotency_key: str | None = None
) -> Case:
    """Open a case. Staff (clerks) submit at their window; applicants submit online or at
    a self-service terminal. A window receipt is not 帮办代办 by itself: that is recorded
    separately (tongban.assistance.actions.record_assistance)."""
    return submit_case_once(actor, data, idempotency_key).case


def submit_case_once(
    actor: User | AnonymousUser, data: SubmitInput, idempotency_key: str | None = None
) -> Submitted:
    """`submit_case`, saying whether the answer is a replay. With a key, exactly one of any
    number of submissions (sequential or concurrent) opens the case; the others get that
    case back, marked replayed, or `idempotency_key_reused` (409) when their content
    differs. Concurrent ones queue on the caller's user row (ADR 0091)."""
    user = _signed_in(actor)
    fingerprint = data.fingerprint()
    if idempotency_key:
        replay = _idempotent_replay(user, idempotency_key, fingerprint)
        if replay is not None:
            return Submitted(replay, replayed=True)
    try:
        return _submit(user, data, idempotency_key, fingerprint)
    except IntegrityError:
        # a concurrent request with the same Idempotency-Key won the race (the user-row
        # lock makes this rare: only a submission that started before the lock existed)
        if idempotency_key:
            replay = _idempotent_replay(user, idempotency_key, fingerprint)
            if replay is not None:
                return Submitted(replay, replayed=True)
        raise


def _idempotent_replay(actor: User, key: str, fingerprint: str) -> Case | None:
    record = IdempotencyRecord.objects.filter(user=actor, key=key).select_related("case").first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used for a different submission."),
            code="idempotency_key_reused",
        )
    return record.case


@transaction.atomic
def _submit(actor: User, data: SubmitInput, key: str | None, fingerprint: str) -> Submitted:
    if key:
        # submissions with the same key queue here; the first commits its case and its
        # IdempotencyRecord, the next ones then find that record and replay it
        User.objects.select_for_update().filter(pk=actor.pk).first()
        replay = _idempotent_replay(actor, key, fingerprint)
        if replay is not None:
            return Submitted(replay, replayed=True)
    today = deadlines.local_today()
    staff = access.is_staff_member(actor)
    # the item, the jurisdictions, the implementation with its checklist and the calendar
    # come from the per-process cache of this master-data version (ADR 0119)
    version = versioned.current()
    item = _resolve_item(actor, data.item, version)
    handling = _resolve_jurisdiction(data.handling, "handling", version)
    _check_known_choices(data)
    place = _place(actor, data, staff, item, handling, today, version)
    implementation = _offering_implementation(data, item, handling, today, version)
    bundle, joint_parts = _joint_parts(actor, data, item, handling, today, version)
    # the fields a person fills in are checked together: one answer lists them all
    problems = FieldErrors()
    for rule in REQUIRED_WHEN:
        if rule.applies(data):
            problems.add(rule.field, rule.error())
    form_data = problems.check("form", lambda: _application_form(item, data, bundle))
    applicant = problems.check("applicant", lambda: _resolve_applicant(actor, data, staff))
    materials = problems.check(
        "materials", lambda: _material_rows(actor, applicant, implementation, data.materials)
    )
    problems.raise_if_any()
    assert form_data is not None and applicant is not None and materials is not None
    _check_applicant_for_form(item, applicant, form_data)
    case = _open_case(
        actor,
        data,
        item,
        implementation,
        handling,
        place,
        applicant,
        today,
        version,
        joint_parts=joint_parts,
        bundle=bundle,
        form_data=form_data,
    )
    _save_materials(case, materials)
    if key:
        IdempotencyRecord.objects.create(user=actor, key=key, request_hash=fingerprint, case=case)
    event = _record_submission(case, actor, staff, place, bundle)
    _notify(case, "submitted")
    if data.check_at_receipt:
        # the table's own move, with its role, state and materials rules and its event;
        # refused (and the receipt with it) wherever `check` itself would be
        case = perform_case_action(actor, case.number, Action.CHECK, ActionInput())
        return Submitted(case, replayed=False)
    return Submitted(case, replayed=False, materials=materials, event=event)


@dataclass(frozen=True)
class _Place:
    """Where a case is received and under which agreement: nothing for a fully online
    case, which the handling place receives itself."""

    receiving: Jurisdiction | None = None
    window: Window | None = None
    agreement: Agreement | None = None


def _check_known_choices(data: SubmitInput) -> None:
    if data.mode not in Mode.values:
        raise Invalid(_("Unknown mode."), code="invalid_mode", details={"allowed": Mode.values})
    if data.channel not in Channel.values:
        raise Invalid(
            _("Unknown channel."), code="invalid_channel", details={"allowed": Channel.values}
        )
    if data.delivery_method not in DeliveryMethod.values:
        raise Invalid(
            _("Unknown delivery method."),
            code="invalid_delivery_method",
            details={"allowed": DeliveryMethod.values},
        )


def _place(
    actor: User,
    data: SubmitInput,
    staff: bool,
    item: ServiceItem,
    handling: Jurisdiction,
    today: dt.date,
    version: int,
) -> _Place:
    """Who may submit this way: an online case is the applicant's own, on the web or in
    the app; a proxy or joint case is received at a window of the receiving place, by
    its clerk or at its self-service terminal, under an agreement in force."""
    if data.mode == Mode.ONLINE:
        if data.channel not in (Channel.WEB, Channel.APP):
            raise Invalid(
                _("Fully online cases are submitted on the web or in the app."),
                code="channel_not_offered",
            )
        if staff:
            raise Forbidden(
                _("Online cases are submitted by the applicant; windows use proxy."),
                code="online_needs_applicant",
            )
        return _Place()
    window: Window | None = None
    if data.window_id is not None:
        window = (
            Window.objects.select_related("centre__jurisdiction")
            .filter(pk=data.window_id, active=True)
            .first()
        )
        if window is None:
            raise Invalid(_("Unknown window."), code="unknown_window")
        receiving = window.centre.jurisdiction
    elif data.receiving:
        receiving = _resolve_jurisdiction(data.receiving, "receiving", version)
    else:
        raise Invalid(
            _("The receiving jurisdiction is required."),
            code="missing_field",
            details={"field": "receiving"},
        )
    if staff:
        if not access.has_role(actor, [Role.CLERK], receiving.pk):
            raise Forbidden(
                _("Only clerks of the receiving jurisdiction may receive cases."),
                code="not_a_clerk_here",
            )
        if data.channel not in (Channel.WINDOW, Channel.TERMINAL):
            raise Invalid(_("Staff receive at a window or terminal."), code="channel_not_offered")
    elif data.channel != Channel.TERMINAL or window is None or window.kind != "terminal":
        raise Forbidden(
            _("Applicants apply online, or for proxy handling at a self-service terminal."),
            code="applicant_channel_not_allowed",
        )
    agreement_item = find_agreement_item(item, receiving, handling, data.mode, today, version)
    if agreement_item is None:
        raise Invalid(
            _(
                "No agreement in force between %(receiving)s and %(handling)s lets the "
                "first receive “%(item)s” for the second in this mode."
            ),
            code="no_agreement",
            params={
                "receiving": receiving.short_name,
                "handling": handling.short_name,
                "item": item.name,
            },
        )
    if window is not None and window.centre.jurisdiction_id != receiving.pk:
        raise Invalid(_("The window is not in the receiving jurisdiction."), code="window_mismatch")
    return _Place(receiving, window, agreement_item.agreement)


def _offering_implementation(
    data: SubmitInput, item: ServiceItem, handling: Jurisdiction, today: dt.date, version: int
) -> ItemImplementation:
    """The handling place's published implementation, which must offer the chosen mode,
    channel and delivery method."""
    implementation = _implementation(item, handling, today, version)
    _check_choice(data.mode, implementation.modes, "mode", _("mode"))
    _check_choice(data.channel, implementation.channels, "channel", _("channel"))
    _check_choice(
        data.delivery_method,
        implementation.delivery_methods,
        "delivery_method",
        _("delivery method"),
    )
    return implementation


def _joint_parts(
    actor: User,
    data: SubmitInput,
    item: ServiceItem,
    handling: Jurisdiction,
    today: dt.date,
    version: int,
) -> tuple[ItemBundle | None, list[dict[str, str]]]:
    """The parts of a joint case (from its bundle, if it is one), each implemented where
    it is handled and covered by an agreement with the handling place."""
    bundle, requested_parts = _bundle_parts(data, item, handling)
    joint_parts: list[dict[str, str]] = []
    if data.mode == Mode.JOINT:
        if not requested_parts:
            raise Invalid(
                _("A joint case lists its parts."),
                code="missing_field",
                details={"field": "joint_parts"},
            )
        for part in requested_parts:
            part_jurisdiction = _resolve_jurisdiction(part.jurisdiction, "joint_parts", version)
            part_item = _resolve_item(actor, part.item, version)
            if (
                part_jurisdiction.pk != handling.pk
                and find_agreement_item(
                    part_item, handling, part_jurisdiction, Mode.JOINT, today, version
                )
                is None
            ):
                raise Invalid(
                    _("No agreement lets %(handling)s and %(part)s handle “%(item)s” jointly."),
                    code="no_agreement",
                    params={
                        "handling": handling.short_name,
                        "part": part_jurisdiction.short_name,
                        "item": part_item.name,
                    },
                )
            _implementation(part_item, part_jurisdiction, today, version)
            joint_parts.append({"jurisdiction": part_jurisdiction.code, "item": part_item.code})
    elif data.joint_parts:
        raise Invalid(
            _("Only joint cases have parts."),
            code="unexpected_field",
            details={"field": "joint_parts"},
        )
    return bundle, joint_parts


def _open_case(
    actor: User,
    data: SubmitInput,
    item: ServiceItem,
    implementation: ItemImplementation,
    handling: Jurisdiction,
    place: _Place,
    applicant: Applicant,
    today: dt.date,
    version: int,
    *,
    joint_parts: list[dict[str, str]],
    bundle: ItemBundle | None,
    form_data: dict[str, Any],
) -> Case:
    """The case row, numbered by where it was received, with its time limits."""
    case = Case(
        number=_next_case_number(place.receiving or handling, today),
        item=item,
        implementation=implementation,
        mode=data.mode,
        channel=data.channel,
        receiving_jurisdiction=place.receiving,
        receiving_window=place.window,
        handling_jurisdiction=handling,
        agreement=place.agreement,
        applicant=applicant,
        submitted_by=actor,
        status=INITIAL_STATE[Mode(data.mode)],
        practice_code=SUBMIT_PRACTICE_CODE,
        delivery_method=data.delivery_method,
        delivery_address=data.delivery_address.strip(),
        received_at=_now(),
        promised_days=implementation.promised_limit_days,
        promised_hours=implementation.promised_limit_hours,
        statutory_days=deadlines.statutory_days_for(data.mode, implementation),
        joint_parts=joint_parts,
        bundle=bundle,
        form_data=form_data,
    )
    deadlines.refresh_dates(case, shared_calendar(handling, version), today)
    case.save()
    # a row just inserted has no events: its first one links to nothing, unread
    _take_chain_head(case, None)
    return case


def _record_submission(
    case: Case, actor: User, staff: bool, place: _Place, bundle: ItemBundle | None
) -> CaseEvent:
    receiving = place.receiving
    event = _append_event(
        case,
        Action.SUBMIT,
        "",
        actor,
        "clerk" if staff else "applicant",
        receiving.pk if (staff and receiving) else None,
        SUBMIT_PRACTICE_CODE,
        data={
            "channel": case.channel,
            "mode": case.mode,
            "agreement": place.agreement.code if place.agreement else None,
            **({"bundle": bundle.code} if bundle else {}),
        },
    )
    case.save(update_fields=["event_count"])
    if event.actor_jurisdiction_id is not None:
        event.actor_jurisdiction = receiving  # held: the answer shows its code
    return event


def _bundle_parts(
    data: SubmitInput, item: ServiceItem, handling: Jurisdiction
) -> tuple[ItemBundle | None, list[JointPartInput]]:
    """A "一件事" application names its bundle instead of its parts: the bundle's required
    parts and the optional ones the applicant chose become joint parts handled by the
    competent departments of the handling place (their implementations say which)."""
    if not data.bundle:
        if data.bundle_parts:
            raise Invalid(
                _("Only a bundle application chooses bundle parts."),
                code="unexpected_field",
                details={"field": "bundle_parts"},
            )
        return None, list(data.joint_parts)
    bundle = (
        ItemBundle.objects.filter(code=data.bundle, active=True)
        .prefetch_related("parts__item")
        .first()
    )
    if bundle is None:
        raise Invalid(
            _("Unknown bundle: %(bundle)s"),
            code="unknown_bundle",
            details={"field": "bundle"},
            params={"bundle": data.bundle},
        )
    if bundle.lead_item_id != item.pk:
        raise Invalid(
            _("The lead item of “%(bundle)s” is not “%(item)s”."),
            code="bundle_item_mismatch",
            params={"bundle": bundle.name, "item": item.name},
            details={"field": "item"},
        )
    if data.mode != Mode.JOINT or data.joint_parts:
        raise Invalid(
            _("A bundle is received in joint mode; its parts come from the bundle."),
            code="bundle_needs_joint_mode",
            details={"field": "mode"},
        )
    parts = list(bundle.parts.all())
    optional = {p.item.code for p in parts if p.optional}
    unknown = sorted(set(data.bundle_parts) - optional)
    if unknown:
        raise Invalid(
            _("A chosen part is not an optional part of the bundle."),
            code="unknown_bundle_part",
            details={"field": "bundle_parts", "unknown": unknown, "allowed": sorted(optional)},
        )
    chosen = [
        JointPartInput(jurisdiction=handling.code, item=p.item.code)
        for p in parts
        if not p.optional or p.item.code in data.bundle_parts
    ]
    return bundle, chosen


def _application_form(
    item: ServiceItem, data: SubmitInput, bundle: ItemBundle | None
) -> dict[str, Any]:
    form = clean_form(item.form_kind, data.form)
    if bundle is None and form.get("seals"):
        raise Invalid(
            _("Seals are only ordered with the seal-engraving part."),
            code="unexpected_field",
            details={"field": "form.seals"},
        )
    if bundle is not None and item.form_kind == FormKind.COMPANY_ESTABLISHMENT:
        engraves = any(p.item.form_kind == FormKind.SEAL_ENGRAVING for p in bundle.parts.all())
        if engraves and not form.get("seals"):
            # the usual set, as in the article's example (3 seals)
            form["seals"] = list(DEFAULT_SEALS)
        elif not engraves and form.get("seals"):
            raise Invalid(
                _("Seals are only ordered with the seal-engraving part."),
                code="unexpected_field",
                details={"field": "form.seals"},
            )
    return form


def _check_applicant_for_form(
    item: ServiceItem, applicant: Applicant, form: dict[str, Any]
) -> None:
    if item.form_kind != FormKind.COMPANY_ESTABLISHMENT:
        return
    # the enterprise does not exist before its licence: a person (investor or agent) files
    if applicant.kind != Applicant.Kind.PERSON:
        raise Invalid(
            _(
                "Company establishment is filed by a natural person; an "
                "enterprise that already has a USCC cannot be established again."
            ),
            code="establishment_needs_person",
        )
    if Applicant.objects.filter(
        kind=Applicant.Kind.ENTERPRISE, name=form["proposed_name"]
    ).exists():
        raise Conflict(
            _("An enterprise named '%(proposed_name)s' is already registered."),
            code="enterprise_name_taken",
            params={"proposed_name": form["proposed_name"]},
        )
