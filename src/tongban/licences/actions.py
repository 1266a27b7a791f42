"""Every change to e-licences and to the signing set-up."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import has_role, is_platform_admin, jurisdictions_with, signed_in
from tongban.accounts.models import Role, User
from tongban.cases.models import CaseEvent
from tongban.core import counters
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, Invalid, not_found
from tongban.core.jobs import enqueue_on_commit
from tongban.core.prepared import Prepared
from tongban.licences import hooks, pki, sm2
from tongban.licences.identifiers import IdentifierError, is_valid_identifier, make_identifier
from tongban.licences.models import (
    DataSignatureAlgorithm,
    Licence,
    LicenceSerialCounter,
    LicenceShare,
    SigningKey,
    SigningProfile,
)
from tongban.licences.rendering import render_licence_pdf
from tongban.licences.selectors import (
    LicenceState,
    licence_state,
    own_licences,
    share_token_digest,
)
from tongban.licences.signing import (
    ECDSA_SHA256,
    RSA_SHA256,
    active_x509,
    check_pdf,
    issued_by_one_of,
    pki_missing,
    sign_data,
    sign_pdf,
    verify_data,
)
from tongban.licences.types import field_values
from tongban.notifications.actions import queue_case_notification
from tongban.regions.models import Jurisdiction

if TYPE_CHECKING:
    from tongban.cases.models import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA_FORMAT = "tongban-licence/1"
MAX_FIELDS = 40
MAX_FIELD_LENGTH = 500
REVOKING_ROLES = frozenset({Role.HEAD, Role.ADMIN})


# ---- PKI registration (`tongban setup-pki`) ---------------------------------------------


@dataclass
class PkiReport:
    created_files: list[str] = field(default_factory=list)
    registered_keys: list[str] = field(default_factory=list)
    profiles_created: list[str] = field(default_factory=list)


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _key_algorithm(certificate: x509.Certificate) -> str:
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA-{public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ECDSA-{public.curve.name}"
    return type(public).__name__


def _register_certificate(
    actor: User | AnonymousUser | None,
    kind: str,
    jurisdiction: Jurisdiction | None,
    certificate: x509.Certificate,
) -> SigningKey | None:
    serial = f"{certificate.serial_number:x}"
    if SigningKey.objects.filter(serial=serial).exists():
        return None
    public_pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    SigningKey.objects.filter(kind=kind, jurisdiction=jurisdiction, active=True).update(
        active=False
    )
    row = SigningKey.objects.create(
        kind=kind,
        jurisdiction=jurisdiction,
        serial=serial,
        algorithm=_key_algorithm(certificate),
        subject=certificate.subject.rfc4514_string()[:255],
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        public_key=public_pem.decode(),
        fingerprint=_fingerprint(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        active=True,
    )
    record_audit(actor, "pki.register_certificate", row, f"{row.get_kind_display()} {serial}")
    return row


def _register_sm2(
    actor: User | AnonymousUser | None, jurisdiction: Jurisdiction, public_hex: str
) -> SigningKey | None:
    serial = sm2.key_id(public_hex)
    if SigningKey.objects.filter(serial=serial).exists():
        return None
    SigningKey.objects.filter(
        kind=SigningKey.Kind.SM2, jurisdiction=jurisdiction, active=True
    ).update(active=False)
    row = SigningKey.objects.create(
        kind=SigningKey.Kind.SM2,
        jurisdiction=jurisdiction,
        serial=serial,
        algorithm="SM2-SM3",
        subject=f"{jurisdiction.name} SM2",
        public_key=public_hex,
        fingerprint=hashlib.sha256(bytes.fromhex(public_hex)).hexdigest(),
        active=True,
    )
    record_audit(actor, "pki.register_sm2_key", row, f"SM2 {serial}")
    return row


def setup_pki(
    actor: User | AnonymousUser | None = None,
    *,
    jurisdictions: list[Jurisdiction] | None = None,
    key_type: str = "rsa",
) -> PkiReport:
    """Create (if missing) the platform root CA and, for each jurisdiction, an X.509
    signing certificate and an SM2 key; register their public halves and a default
    signing profile. Idempotent: running it again changes nothing."""
    if key_type not in pki.KEY_TYPES:
        raise Invalid(_("Key type must be rsa or ecdsa."))
    report = PkiReport()
    paths = pki.paths()
    secret = pki.passphrase()
    targets = (
        jurisdictions
        if jurisdictions is not None
        else list(Jurisdiction.objects.filter(active=True).order_by("code"))
    )
    root, created = pki.ensure_root(paths, secret, key_type)
    if created:
        report.created_files.append(str(paths.root_cert))
    material = []
    for jurisdiction in targets:
        cert, created = pki.ensure_signer(
            paths, secret, jurisdiction.code, jurisdiction.name, key_type
        )
        if created:
            report.created_files.append(str(paths.signer_cert(jurisdiction.code)))
        public_hex, created = pki.ensure_sm2(paths, secret, jurisdiction.code)
        if created:
            report.created_files.append(str(paths.sm2_key(jurisdiction.code)))
        material.append((jurisdiction, cert, public_hex))

    with transaction.atomic():
        row = _register_certificate(actor, SigningKey.Kind.ROOT_CA, None, root)
        if row is not None:
            report.registered_keys.append(str(row))
        for jurisdiction, cert, public_hex in material:
            for new in (
                _register_certificate(actor, SigningKey.Kind.X509, jurisdiction, cert),
                _register_sm2(actor, jurisdiction, public_hex),
            ):
                if new is not None:
                    report.registered_keys.append(str(new))
            profile, created = SigningProfile.objects.get_or_create(jurisdiction=jurisdiction)
            if created:
                record_audit(actor, "pki.create_profile", profile, str(profile))
                report.profiles_created.append(jurisdiction.code)
    return report


def set_data_signature_algorithm(
    actor: User | AnonymousUser, jurisdiction: Jurisdiction, algorithm: str
) -> SigningProfile:
    """Choose X.509 (RSA/ECDSA) or SM2/SM3 for the data signatures of a jurisdiction's
    licences. Platform admins and the jurisdiction's admins only."""
    if not (is_platform_admin(actor) or has_role(actor, {Role.ADMIN}, jurisdiction.pk)):
        if jurisdiction.pk in jurisdictions_with(actor):
            raise Forbidden(_("Admins only."))
        raise not_found("jurisdiction")
    if algorithm not in DataSignatureAlgorithm.values:
        raise Invalid(
            _("Unsupported signature algorithm."),
            code="unsupported_algorithm",
            details={"allowed": list(DataSignatureAlgorithm.values)},
        )
    with transaction.atomic():
        profile = SigningProfile.objects.select_for_update().filter(jurisdiction=jurisdiction)
        existing = profile.first()
        if existing is None:
            raise Conflict(
                _("Run `tongban setup-pki` for this jurisdiction first."), code="pki_not_configured"
            )
        kind = SigningKey.Kind.SM2 if algorithm == "sm2-sm3" else SigningKey.Kind.X509
        if not SigningKey.objects.filter(
            kind=kind, jurisdiction=jurisdiction, active=True
        ).exists():
            raise Conflict(
                _("No key for that algorithm: run `tongban setup-pki` first."),
                code="pki_not_configured",
            )
        before = existing.data_algorithm
        existing.data_algorithm = algorithm
        existing.save(update_fields=["data_algorithm", "updated_at"])
        record_audit(
            actor,
            "pki.set_data_algorithm",
            existing,
            f"{before} → {algorithm}",
            {"before": before, "after": algorithm},
        )
    return existing


# ---- issuing ----------------------------------------------------------------------------


def _next_serial(issuer_uscc: str, year: int) -> str:
    """Draw the next serial of an issuer for a year: YYYY + 6-digit running number. The
    counter row stays locked until the surrounding transaction commits, so a rollback
    gives the number back and two issuers never draw the same one."""
    drawn = counters.draw(LicenceSerialCounter, f"{issuer_uscc}-{year}")
    return f"{year}{drawn:06d}"


def _clean_fields(fields: dict[str, Any] | None) -> dict[str, str]:
    if not fields:
        return {}
    if not isinstance(fields, dict) or len(fields) > MAX_FIELDS:
        raise Invalid(
            _("Licence fields must be a mapping of at most %(max_fields)s entries."),
            code="invalid_licence_fields",
            params={"max_fields": MAX_FIELDS},
        )
    cleaned = {}
    for label, value in fields.items():
        text = "" if value is None else str(value).strip()
        name = str(label).strip()
        if not name or len(name) > 32 or len(text) > MAX_FIELD_LENGTH:
            raise Invalid(
                _("A licence field name or value is empty or too long."),
                code="invalid_licence_fields",
                details={"field": name[:32]},
            )
        cleaned[name] = text
    return cleaned


def _document_fields(case: Case, holder: Any, issued_on: dt.date) -> dict[str, str]:
    """The fields of the licence type's real document (licences/types.py), filled from
    the holder, the case's application form and the day of issue."""
    return field_values(
        case.implementation.licence_type_code,
        {
            "holder": {"name": holder.name, "uscc": holder.uscc, "id_number": holder.id_number},
            "form": case.form_data or {},
            "issued_on": issued_on.isoformat(),
            "case": {"item": case.item.name, "number": case.number},
        },
    )


def _fields_from_event(data: Any) -> dict[str, Any]:
    """Licence fields the handling officer recorded with the decision, if any
    (CaseEvent.data["licence_fields"] of the latest approve / issue_result event)."""
    found = data.get("licence_fields") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _issuance_facts(key: None, jurisdiction_id: int, case_id: int) -> QuerySet[Any, Any]:
    """What an issuance reads before it writes, in one statement: the jurisdiction's
    active X.509 signer (a jurisdiction without one is told now, not by a licence that
    would wait for a signature forever), its signing profile's data algorithm, and the
    data of the case's latest approve / issue_result event that has any."""
    signer = SigningKey.objects.filter(
        kind=SigningKey.Kind.X509, jurisdiction_id=OuterRef("pk"), active=True
    ).values("pk")[:1]
    algorithm = SigningProfile.objects.filter(jurisdiction_id=OuterRef("pk")).values(
        "data_algorithm"
    )[:1]
    decision = (
        CaseEvent.objects.filter(case_id=case_id, action__in=["approve", "issue_result"])
        .exclude(data={})
        .order_by("-seq")
        .values("data")[:1]
    )
    return (
        Jurisdiction.objects.filter(pk=jurisdiction_id)
        .annotate(
            signer=Subquery(signer),
            algorithm=Subquery(algorithm),
            decision=Subquery(decision),
        )
        .values_list("signer", "algorithm", "decision")
    )


def _case_licences(key: None, case_id: int) -> QuerySet[Any, Any]:
    """The case's licences, newest version first, locked: the one still signing or valid
    (returned instead of a second) and the version a re-issue follows."""
    return (
        Licence.objects.select_for_update()
        .filter(case_id=case_id)
        .order_by("-version", "-pk")
        .values_list("pk", "status", "serial", "version", "issuer_uscc")
    )


# compiled once per connection (ADR 0137): building and compiling these querysets was
# most of an issuance's Python
_ISSUANCE_FACTS = Prepared("licence_issuance_facts", _issuance_facts)
_CASE_LICENCES = Prepared("licence_case_licences", _case_licences)


def issue_licence_for_case(
    case: Case,
    actor: User | AnonymousUser | None,
    *,
    fields: dict[str, Any] | None = None,
    holder: Any = None,
) -> Licence:
    """Issue the e-licence that is the result of `case` in the handling jurisdiction's
    name: identifier, serial and structured data, in state `signing` (签发中). The
    signatures (the detached one over the data, PAdES in the PDF) are the slow part and
    are made off the request path by `sign_licence`, which the worker runs after commit
    (ADR 0121). Called by the case workflow inside its own transaction (this runs in a
    savepoint). If the case already has a valid or signing licence, that one is returned;
    after a revocation a new version (same serial, version + 1) is issued.

    The printed fields are those of the licence type (licences/types.py); `fields` adds
    further ones. `holder` is the licence holder when it is not the case's applicant: the
    enterprise a 企业设立登记 brings into being."""
    implementation = case.implementation
    if implementation.result_type != "licence" or not implementation.licence_type_code:
        raise Invalid(
            _("The item's result is not a licence or has no licence type code."),
            code="not_a_licence_item",
        )
    department = implementation.department
    jurisdiction = implementation.jurisdiction
    if not department.uscc:
        raise Invalid(_("The implementing department has no USCC."), code="issuer_without_uscc")
    ((signer, profile_algorithm, decision),) = _ISSUANCE_FACTS.fetch(
        None, jurisdiction_id=jurisdiction.pk, case_id=case.pk
    )
    extra = _clean_fields({**_fields_from_event(decision), **(fields or {})})
    with transaction.atomic():
        licences = _CASE_LICENCES.fetch(None, case_id=case.pk)
        for pk, status, *_rest in licences:
            if status in (Licence.Status.SIGNING, Licence.Status.VALID):
                return Licence.objects.get(pk=pk)
        if signer is None:
            raise pki_missing(jurisdiction.name)
        algorithm = profile_algorithm or DataSignatureAlgorithm.X509
        now = timezone.now().replace(microsecond=0)
        issued_on = now.astimezone(SHANGHAI).date()
        previous = licences[0] if licences else None
        if previous is not None and previous[4] == department.uscc:
            serial, version = previous[2], previous[3] + 1
        else:
            serial, version = _next_serial(department.uscc, issued_on.year), 1
        try:
            identifier = make_identifier(
                implementation.licence_type_code, department.uscc, serial, version
            )
        except IdentifierError as exc:
            raise Invalid(
                _("Cannot build a licence identifier: %(exc)s"),
                code="invalid_licence_identifier",
                params={"exc": exc},
            ) from exc
        applicant = holder if holder is not None else case.applicant
        licence_name = implementation.result_name or case.item.name
        data = {
            "format": DATA_FORMAT,
            "identifier": identifier,
            "licence_type_code": implementation.licence_type_code,
            "licence_name": licence_name,
            "holder": {
                "kind": applicant.kind,
                "name": applicant.name,
                "identifier": applicant.identifier,
            },
            "issuer": {
                "name": department.name,
                "uscc": department.uscc,
                "jurisdiction_code": jurisdiction.code,
                "jurisdiction_name": jurisdiction.name,
            },
            "issued_on": issued_on.isoformat(),
            "issued_at": now.astimezone(dt.UTC).isoformat(),
            "case_number": case.number,
            "item_code": case.item.code,
            "fields": {**_document_fields(case, applicant, issued_on), **extra},
        }
        licence = Licence.objects.create(
            identifier=identifier,
            licence_type_code=implementation.licence_type_code,
            licence_name=licence_name,
            holder=applicant,
            holder_name=applicant.name,
            holder_kind=applicant.kind,
            holder_identifier=applicant.identifier,
            issuing_jurisdiction=jurisdiction,
            issuer_name=department.name,
            issuer_uscc=department.uscc,
            serial=serial,
            version=version,
            case=case,
            data=data,
            # until signed: the profile's choice, replaced by the signature's algorithm
            algorithm=algorithm,
            status=Licence.Status.SIGNING,
            issued_at=now,
            issued_by=actor if isinstance(actor, User) else None,
        )
        record_audit(
            actor,
            "licence.issue",
            licence,
            f"{licence_name} {identifier}",
            {"case": case.number, "algorithm": algorithm},
        )
        # licences.tasks imports this module: the task is looked up when it is needed
        from tongban.licences.tasks import sign_licence_task

        enqueue_on_commit(sign_licence_task, licence.pk)
    return licence


def _signing_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.TONGBAN_LICENCE_SIGNING_LEASE_SECONDS))


def sign_licence(licence_id: int) -> str:
    """Sign a licence in state `signing`: the detached signature over its data and the
    PDF with the PAdES signature, then `signing` → `valid` and the applicant told, in one
    transaction. Run by the worker (`licences.tasks.sign_licence_task`); idempotent.

    Several signers may be handed the same licence (a re-enqueue by the sweep, a second
    worker); none holds a transaction while it signs. A signer takes a lease with a
    compare-and-set (only if no other signer's lease is fresh), and stores its work with
    a second one (only if the licence is still `signing`): of two signers that both got
    through, the second finds `valid` and its signatures are discarded. A signer that dies
    leaves the licence `signing` under a lease that runs out; the sweep hands it on.
    Returns what happened: signed, done (nothing to do), busy (another signer's lease)."""
    now = timezone.now()
    lease_from = now - _signing_lease()
    taken = (
        Licence.objects.filter(pk=licence_id, status=Licence.Status.SIGNING)
        .filter(Q(signing_started_at__isnull=True) | Q(signing_started_at__lt=lease_from))
        .update(signing_started_at=now, signing_attempts=F("signing_attempts") + 1)
    )
    if not taken:
        state = Licence.objects.filter(pk=licence_id).values_list("status", flat=True).first()
        return "busy" if state == Licence.Status.SIGNING else "done"
    licence = Licence.objects.select_related("issuing_jurisdiction").get(pk=licence_id)
    jurisdiction = licence.issuing_jurisdiction
    data = licence.data
    signature = sign_data(jurisdiction, licence.algorithm, data)
    pdf = sign_pdf(
        jurisdiction,
        render_licence_pdf(data),
        reason=f"签发{licence.licence_name} {licence.identifier}",
        location=jurisdiction.name,
    )
    certificate = active_x509(jurisdiction)
    with transaction.atomic():
        stored = Licence.objects.filter(
            pk=licence_id, status=Licence.Status.SIGNING, signing_started_at=now
        ).update(
            data_signature=signature.signature_b64,
            algorithm=signature.algorithm,
            signing_key=signature.key,
            certificate_serial=certificate.serial,
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            status=Licence.Status.VALID,
        )
        if not stored:
            # another signer took over after our lease ran out and finished first
            return "discarded"
        record_audit(
            None,
            "licence.sign",
            licence,
            f"{licence.licence_name} {licence.identifier}",
            {"algorithm": signature.algorithm, "certificate": certificate.serial},
        )
        if licence.case_id is not None:
            _tell_applicant(licence, licence.case_id)
        # a licence of a replica case travels back to the node that received the case,
        # in this transaction (ADR 0132): a refusal leaves it `signing` for the sweep
        licence.refresh_from_db()
        hooks.licence_changed(licence)
    return "signed"


def _tell_applicant(licence: Licence, case_id: int) -> None:
    """The applicant learns of the result once its licence can be opened (the context of
    the case step's notification, cases.actions.common._notify)."""
    from tongban.cases import hooks as case_hooks
    from tongban.cases.models import Case, Status

    case = Case.objects.select_related("item").get(pk=case_id)
    if not case_hooks.notifies_applicant(case):
        return  # a replica: the node holding the applicant relation tells them (ADR 0132)
    queue_case_notification(
        case,
        "result_issued",
        {
            "case_number": case.number,
            "item_name": case.item.name,
            "status": case.status,
            "status_label": Status(case.status).label,
        },
    )


def licences_to_sign(now: dt.datetime | None = None) -> list[int]:
    """The licences the sweep hands to a signer: `signing`, and no signer holds a fresh
    lease (never taken: the nudge was lost or is still queued; or the signer died)."""
    lease_from = (now or timezone.now()) - _signing_lease()
    return list(
        Licence.objects.filter(status=Licence.Status.SIGNING)
        .filter(Q(signing_started_at__isnull=True) | Q(signing_started_at__lt=lease_from))
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


# ---- revocation -------------------------------------------------------------------------


def revoke_licence(actor: User | AnonymousUser, licence: Licence, reason: str) -> Licence:
    """Revoke (吊销/撤销) a valid licence with a reason. Heads and admins of the issuing
    jurisdiction, or a platform admin. Staff of other jurisdictions get 404."""
    reason = (reason or "").strip()
    jurisdiction_id = licence.issuing_jurisdiction_id
    if not is_platform_admin(actor):
        if jurisdiction_id not in jurisdictions_with(actor):
            raise not_found("licence")
        if not has_role(actor, REVOKING_ROLES, jurisdiction_id):
            raise Forbidden(
                _("Only heads and admins of the issuing jurisdiction may revoke a licence.")
            )
    if not reason:
        raise Invalid(_("A reason is required."), code="missing_field", details={"field": "reason"})
    if len(reason) > 1000:
        raise Invalid(_("The reason is too long."), code="reason_too_long")
    if licence.issuing_node:
        raise Conflict(
            _("Only the node that issued this licence can revoke it."),
            code="issued_on_other_node",
            details={"node": licence.issuing_node},
        )
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.status == Licence.Status.REVOKED:
            raise Conflict(_("The licence is already revoked."), code="already_revoked")
        locked.status = Licence.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason
        locked.revoked_by = actor if isinstance(actor, User) else None
        locked.save(update_fields=["status", "revoked_at", "revocation_reason", "revoked_by"])
        record_audit(actor, "licence.revoke", locked, reason[:200], {"reason": reason})
        # a licence of a replica case: the node that holds the copy learns it at once
        hooks.licence_changed(locked)
    return locked


# ---- licences issued on another node (ADR 0132) -----------------------------------------


@dataclass(frozen=True)
class ForeignLicenceInput:
    """A licence another node of the federation issued and signed for a case received
    here, as its `licence.issued` message carried it (federation/licences.py)."""

    node: str
    data: dict[str, Any]
    data_signature: str
    algorithm: str
    signer_pem: str
    pdf: bytes
    serial: str
    version: int
    issued_at: dt.datetime


def _foreign_refusal(reason: str) -> Invalid:
    return Invalid(
        _("The licence sent by another node cannot be accepted: %(reason)s"),
        code="foreign_licence_invalid",
        params={"reason": reason},
        details={"reason": reason},
    )


def _foreign_holder(case: Case, holder: dict[str, Any]) -> Any:
    """The licence's holder here: the case's applicant, an applicant already known by the
    same ID number or credit code, or (a company the case brought into being on the
    issuing node) a new enterprise whose agent is the case's applicant, as on one node."""
    from tongban.accounts.models import Applicant
    from tongban.core.crypto import blind_index

    kind, identifier = str(holder.get("kind", "")), str(holder.get("identifier", ""))
    if not identifier or len(identifier) > 18:
        raise _foreign_refusal("holder identifier")
    applicant = case.applicant
    if applicant.kind == kind and applicant.identifier == identifier:
        return applicant
    if kind == Applicant.Kind.PERSON:
        found = Applicant.objects.filter(
            kind=kind, id_number_index=blind_index("identifier", identifier)
        ).first()
    elif kind == Applicant.Kind.ENTERPRISE:
        found = Applicant.objects.filter(kind=kind, uscc=identifier).first()
    else:
        raise _foreign_refusal("holder kind")
    if found is not None:
        return found
    if kind != Applicant.Kind.ENTERPRISE or applicant.kind != Applicant.Kind.PERSON:
        raise _foreign_refusal("holder is not the case's applicant")
    return Applicant.objects.create(
        kind=Applicant.Kind.ENTERPRISE,
        name=str(holder.get("name", ""))[:128],
        uscc=identifier[:18],
        agent_name=applicant.name,
        agent_id_number=applicant.id_number,
        phone=applicant.phone,
        email=applicant.email,
        user=applicant.user,
    )


def record_foreign_licence(case: Case, given: ForeignLicenceInput) -> Licence:
    """Keep, for `case` (received here, handled on node `given.node`), the licence that
    node issued and signed: 就近取证, 我的证照 and 免提交 then work on it as on a licence of
    this node. Its signatures are checked before anything is stored: the signer's
    certificate must be issued by a licence root the trust list publishes for that node
    (which must serve the issuing jurisdiction), the data signature must hold under it and
    the PDF must verify against the same roots. A copy already kept is returned unchanged
    (a message applied twice). The applicant is told, once, by this node."""
    data = given.data
    identifier = str(data.get("identifier", ""))
    issuer = data.get("issuer") or {}
    holder = data.get("holder") or {}
    if not is_valid_identifier(identifier):
        raise _foreign_refusal("identifier")
    if str(issuer.get("jurisdiction_code", "")) != case.handling_jurisdiction.code:
        raise _foreign_refusal("issued by another jurisdiction than the case's handling one")
    if str(data.get("case_number", "")) != case.number:
        raise _foreign_refusal("issued for another case")
    if given.algorithm not in (RSA_SHA256, ECDSA_SHA256):
        # an SM2 key has no certificate the trust list could vouch for
        raise _foreign_refusal(f"algorithm {given.algorithm}")
    try:
        signer = x509.load_pem_x509_certificate(given.signer_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise _foreign_refusal("signer certificate") from error
    with transaction.atomic():
        existing = Licence.objects.select_for_update().filter(identifier=identifier).first()
        if existing is not None:
            if existing.issuing_node != given.node or existing.case_id != case.pk:
                raise Conflict(
                    _("A licence with this identifier already exists here."),
                    code="licence_exists",
                    details={"identifier": identifier},
                )
            return existing
        probe = Licence(issuing_node=given.node, issuing_jurisdiction=case.handling_jurisdiction)
        trusted = hooks.foreign_issuer(probe)
        if trusted is None:
            raise _foreign_refusal("the trust list does not vouch for the issuing node")
        serial = f"{signer.serial_number:x}"
        key = SigningKey.objects.filter(serial=serial).first()
        fingerprint = _fingerprint(signer)
        if key is None:
            public_pem = signer.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            # never `active`: this node does not sign with it, it only checks with it
            key = SigningKey.objects.create(
                kind=SigningKey.Kind.X509,
                jurisdiction=case.handling_jurisdiction,
                serial=serial,
                algorithm=_key_algorithm(signer),
                subject=signer.subject.rfc4514_string()[:255],
                certificate_pem=signer.public_bytes(serialization.Encoding.PEM).decode(),
                public_key=public_pem.decode(),
                fingerprint=fingerprint,
                not_before=signer.not_valid_before_utc,
                not_after=signer.not_valid_after_utc,
                active=False,
            )
        elif key.fingerprint != fingerprint or key.kind != SigningKey.Kind.X509:
            raise _foreign_refusal("signer certificate serial already used by another key")
        if not issued_by_one_of(key, trusted.roots):
            raise _foreign_refusal("signer not certified by the node's licence roots")
        if not verify_data(key, given.algorithm, data, given.data_signature):
            raise _foreign_refusal("data signature")
        pdf_check = check_pdf(given.pdf, trusted.roots)
        if not pdf_check.ok or pdf_check.signer_serial != serial:
            raise _foreign_refusal("PDF signature: " + ", ".join(pdf_check.problems or ["signer"]))
        holder_row = _foreign_holder(case, holder)
        licence = Licence.objects.create(
            identifier=identifier,
            licence_type_code=str(data.get("licence_type_code", ""))[:32],
            licence_name=str(data.get("licence_name", ""))[:128],
            holder=holder_row,
            holder_name=str(holder.get("name", ""))[:128],
            holder_kind=str(holder.get("kind", ""))[:16],
            holder_identifier=str(holder.get("identifier", "")),
            issuing_jurisdiction=case.handling_jurisdiction,
            issuing_node=given.node,
            issuer_name=str(issuer.get("name", ""))[:128],
            issuer_uscc=str(issuer.get("uscc", ""))[:18],
            serial=given.serial[:16],
            version=given.version,
            case=case,
            data=data,
            data_signature=given.data_signature,
            algorithm=given.algorithm,
            signing_key=key,
            certificate_serial=serial,
            pdf=given.pdf,
            pdf_sha256=hashlib.sha256(given.pdf).hexdigest(),
            status=Licence.Status.VALID,
            issued_at=given.issued_at,
        )
        record_audit(
            None,
            "licence.receive",
            licence,
            f"{licence.licence_name} {identifier} ← {given.node}",
            {"case": case.number, "node": given.node, "certificate": serial},
        )
        _tell_applicant(licence, case.pk)
    return licence


def revoke_foreign_licence(
    node: str, identifier: str, reason: str, at: dt.datetime, *, case_id: int
) -> None:
    """The issuing node revoked a licence this node keeps a copy of (for case `case_id`):
    the copy is revoked too, so verification, the print at the window and 免提交 stop
    accepting it. Unknown or already revoked: nothing to do."""
    with transaction.atomic():
        licence = (
            Licence.objects.select_for_update()
            .filter(identifier=identifier, issuing_node=node, case_id=case_id)
            .first()
        )
        if licence is None or licence.status == Licence.Status.REVOKED:
            return
        licence.status = Licence.Status.REVOKED
        licence.revoked_at = at
        licence.revocation_reason = reason[:1000]
        licence.save(update_fields=["status", "revoked_at", "revocation_reason"])
        record_audit(None, "licence.revoke", licence, f"← {node}: {reason[:180]}")


# -- 证照分享: the holder hands one licence to the staff of another case (ADR 0125) ------

SHARE_DAYS = (1, 3, 7, 30)
SHARE_NOTE_LIMIT = 128


@dataclass
class NewShare:
    """The share and its token: shown to the holder once, never stored (only its hash)."""

    share: LicenceShare
    token: str


def share_licence(
    actor: User | AnonymousUser, identifier: str, *, days: int = 7, note: str = ""
) -> NewShare:
    """A link for one of the actor's own valid licences, good for `days` days (one of
    SHARE_DAYS); `note` says what for (a case number, a window)."""
    actor = signed_in(actor)
    if days not in SHARE_DAYS:
        raise Invalid(
            _("A share lasts 1, 3, 7 or 30 days."),
            code="share_days_invalid",
            details={"days": days},
        )
    note = (note or "").replace("\x00", "").strip()
    if len(note) > SHARE_NOTE_LIMIT:
        raise Invalid(
            _("The note may have at most %(limit)s characters."),
            code="share_note_too_long",
            params={"limit": SHARE_NOTE_LIMIT},
        )
    with transaction.atomic():
        found = own_licences(actor).filter(identifier=identifier).first()
        if found is None:
            raise not_found("licence")
        licence = Licence.objects.select_for_update().defer("pdf").get(pk=found.pk)
        if licence_state(found) != LicenceState.VALID or licence.status != Licence.Status.VALID:
            raise Conflict(
                _("Only a valid licence can be shared."),
                code="licence_not_shareable",
            )
        token = secrets.token_urlsafe(18)
        now = timezone.now()
        share = LicenceShare.objects.create(
            licence=licence,
            token_sha256=share_token_digest(token),
            note=note,
            created_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        record_audit(
            actor,
            "licence.share",
            share,
            f"shared {licence.identifier} for {days} days",
            {"licence": licence.identifier, "days": days},
        )
    return NewShare(share, token)


def revoke_licence_share(actor: User | AnonymousUser, share_id: int) -> LicenceShare:
    """Ends a share at once; revoking an ended share changes nothing."""
    actor = signed_in(actor)
    with transaction.atomic():
        share = (
            LicenceShare.objects.select_for_update()
            .filter(pk=share_id, licence__in=own_licences(actor).values("pk"))
            .first()
        )
        if share is None:
            raise not_found("licence share")
        now = timezone.now()
        if share.revoked_at is None and share.expires_at > now:
            share.revoked_at = now
            share.save(update_fields=["revoked_at"])
            record_audit(actor, "licence.share_revoke", share, "share revoked")
    return share
