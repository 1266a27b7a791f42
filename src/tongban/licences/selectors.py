"""Every read of e-licences, including the public verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts import personal_data, trust
from tongban.accounts.access import (
    CASE_WORK_ROLES,
    is_platform_admin,
    is_staff_member,
    jurisdictions_with,
    signed_in,
)
from tongban.accounts.models import User
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, Forbidden, not_found
from tongban.licences import hooks
from tongban.licences.identifiers import is_valid_identifier
from tongban.licences.models import Licence, LicenceShare
from tongban.licences.signing import (
    canonical_json,
    check_pdf,
    issued_by_one_of,
    issued_by_registered_root,
)
from tongban.licences.signing import verify_data as verify_data_signature
from tongban.licences.types import public_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PDF_BYTES = 10 * 1024 * 1024


class VerificationStatus:
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    TAMPERED = "tampered"
    # issued, its signatures not made yet (ADR 0121): nothing to check, nothing to trust
    SIGNING = "signing"
    # issued on another node that the trust list does not vouch for (any more): not on
    # the list, its entry expired or withdrawn, or not serving the issuing jurisdiction
    UNTRUSTED = "untrusted"

    LABELS = {
        SIGNING: "签发中",
        VALID: "有效",
        REVOKED: "已吊销",
        UNKNOWN: "未找到该证照",
        TAMPERED: "证照内容被篡改或签名无效",
        UNTRUSTED: "签发节点不在信任列表中",
    }


@dataclass
class VerificationResult:
    status: str
    licence_id: str
    licence: Licence | None = None
    problems: list[str] = field(default_factory=list)
    # the node that issued it, when another node of the federation did (ADR 0132)
    issuing_node: str = ""

    @property
    def label(self) -> str:
        return VerificationStatus.LABELS[self.status]

    def public_fields(self) -> dict[str, Any]:
        """Only non-personal fields: the holder's name masked, no identifiers of persons."""
        licence = self.licence
        if licence is None:
            return {}
        return {
            "identifier": licence.identifier,
            "licence_type_code": licence.licence_type_code,
            "licence_name": licence.licence_name,
            "holder_name": licence.masked_holder_name,
            "issuer_name": licence.issuer_name,
            "issuing_jurisdiction": licence.issuing_jurisdiction.name,
            "issuing_node": self.issuing_node,
            "issued_on": licence.issued_at.astimezone(SHANGHAI).date(),
            "algorithm": licence.algorithm,
            "certificate_serial": licence.certificate_serial,
            "revoked_at": licence.revoked_at,
            "revocation_reason": licence.revocation_reason,
            # register data of the type's document (e.g. a 营业执照's 名称, 类型, 法定代表人)
            "register_fields": public_rows(
                licence.licence_type_code, (licence.data or {}).get("fields") or {}
            ),
        }


def _stored_problems(licence: Licence, foreign: hooks.ForeignIssuer | None = None) -> list[str]:
    """Checks of the stored licence itself: the columns shown to the public agree with
    the signed data, and the data signature holds under a registered key (for another
    node's licence: a key certified by a root the trust list publishes for that node)."""
    data = licence.data if isinstance(licence.data, dict) else {}
    problems = []
    expected = {
        "identifier": licence.identifier,
        "licence_type_code": licence.licence_type_code,
        "licence_name": licence.licence_name,
    }
    holder = data.get("holder") or {}
    issuer = data.get("issuer") or {}
    if (
        any(data.get(key) != value for key, value in expected.items())
        or holder.get("name") != licence.holder_name
        or holder.get("identifier") != licence.holder_identifier
        or issuer.get("name") != licence.issuer_name
        or issuer.get("uscc") != licence.issuer_uscc
    ):
        problems.append("record_differs_from_signed_data")
    key = licence.signing_key
    if key is None or not verify_data_signature(
        key, licence.algorithm, licence.data, licence.data_signature
    ):
        problems.append("stored_data_signature_invalid")
    elif not (issued_by_one_of(key, foreign.roots) if foreign else issued_by_registered_root(key)):
        problems.append("signing_key_untrusted")
    return problems


def _data_problems(licence: Licence, supplied: dict[str, Any]) -> list[str]:
    """`supplied` is {"data": {...}, "signature": "base64"} (the signature optional) or the
    bare structured data."""
    if "data" in supplied and isinstance(supplied.get("data"), dict):
        data = supplied["data"]
        signature = supplied.get("signature") or licence.data_signature
    else:
        data, signature = supplied, licence.data_signature
    try:
        same = canonical_json(data) == canonical_json(licence.data)
    except (TypeError, ValueError):
        return ["data_unreadable"]
    problems = []
    if not same:
        problems.append("data_differs_from_issued")
    key = licence.signing_key
    if (
        key is None
        or not isinstance(signature, str)
        or not verify_data_signature(key, licence.algorithm, data, signature)
    ):
        problems.append("data_signature_invalid")
    return problems


def _pdf_problems(
    licence: Licence, pdf: bytes, issuer: hooks.ForeignIssuer | None = None
) -> list[str]:
    if len(pdf) > MAX_PDF_BYTES:
        return ["pdf_too_large"]
    issued = bytes(licence.pdf)
    problems = []
    # the signed revision must be byte for byte the one we issued; only appended
    # incremental updates are left to pyHanko's difference analysis
    if pdf[: len(issued)] != issued:
        problems.append("pdf_differs_from_issued")
    check = check_pdf(pdf, issuer.roots if issuer else None)
    problems += check.problems
    if check.ok and check.signer_serial != licence.certificate_serial:
        problems.append("pdf_signed_by_other_certificate")
    return problems


def verify_licence(
    licence_id: str, pdf_bytes: bytes | None = None, data: dict[str, Any] | None = None
) -> VerificationResult:
    """Public verification: unknown (no such licence), tampered (the stored record, the
    uploaded PDF or the supplied data fail their signatures or differ from what was
    issued), revoked, or valid. A licence another node issued is checked against the
    roots the trust list publishes for that node today, and is `untrusted` when the list
    no longer vouches for it (ADR 0132). Needs no login; shows nothing personal."""
    licence_id = (licence_id or "").strip()
    licence = None
    if is_valid_identifier(licence_id):
        licence = (
            Licence.objects.select_related("signing_key", "issuing_jurisdiction")
            .filter(identifier=licence_id)
            .first()
        )
    if licence is None:
        return VerificationResult(VerificationStatus.UNKNOWN, licence_id)
    if licence.status == Licence.Status.SIGNING:
        return VerificationResult(VerificationStatus.SIGNING, licence_id, licence)
    issuer = None
    if licence.issuing_node:
        issuer = hooks.foreign_issuer(licence)
        if issuer is None:
            return VerificationResult(
                VerificationStatus.UNTRUSTED,
                licence_id,
                licence,
                ["issuing_node_untrusted"],
                issuing_node=licence.issuing_node,
            )
    problems = _stored_problems(licence, issuer)
    if data is not None:
        problems += _data_problems(licence, data)
    if pdf_bytes is not None:
        problems += _pdf_problems(licence, pdf_bytes, issuer)
    if problems:
        status = VerificationStatus.TAMPERED
    elif licence.status == Licence.Status.REVOKED:
        status = VerificationStatus.REVOKED
    else:
        status = VerificationStatus.VALID
    return VerificationResult(
        status, licence_id, licence, problems, issuing_node=issuer.name if issuer else ""
    )


def identifier_in_pdf(pdf: bytes) -> str:
    """The licence identifier a PDF claims to carry (its /Keywords), to look the licence
    up when only a file is uploaded. Untrusted: verification checks everything after."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        info = PdfFileReader(io.BytesIO(pdf), strict=False).trailer_view.get("/Info")
        keywords = str(info.get_object().get("/Keywords", "")) if info is not None else ""
    except Exception:  # an unreadable upload simply names no licence
        return ""
    return keywords.split(",")[0].strip()


# ---- scoped reads -------------------------------------------------------------------------


def valid_licences_of(applicant: Any) -> QuerySet[Licence]:
    """Valid licences held by `applicant` from any jurisdiction ("数据共享, 免提交"): those
    issued to this applicant row and to any other row with the same ID number / USCC. A
    licence another node issued counts only while the trust list vouches for that node
    (ADR 0132)."""
    match = Q(holder=applicant)
    if applicant.identifier:
        match |= Q(
            holder_kind=applicant.kind,
            holder_identifier_index=blind_index("identifier", applicant.identifier),
        )
    return (
        Licence.objects.filter(match, status=Licence.Status.VALID)
        .filter(Q(issuing_node="") | Q(issuing_node__in=hooks.trusted_issuers()))
        .select_related("issuing_jurisdiction")
        .order_by("-issued_at", "-pk")
    )


def readable_licences(user: User | AnonymousUser) -> QuerySet[Licence]:
    """Platform admins: all; staff: licences issued in their jurisdictions; applicants:
    their own (by portal account)."""
    user = signed_in(user)
    base = Licence.objects.select_related("issuing_jurisdiction", "holder").defer("pdf")
    if is_platform_admin(user):
        return base
    if is_staff_member(user):
        return base.filter(issuing_jurisdiction_id__in=jurisdictions_with(user))
    return base.filter(trust.own_record_scope(user, "holder", "case__submitted_by"))


class LicenceState:
    """What 我的证照 and the case page show: the stored status (`signing` until the worker
    has signed it, ADR 0121), and `superseded` for a licence that was replaced by a newer
    version of the same serial (re-issued after a revocation, `issue_licence_for_case`)."""

    SIGNING = "signing"
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    VALUES = (SIGNING, VALID, REVOKED, SUPERSEDED)


def with_state(queryset: QuerySet[Licence]) -> QuerySet[Licence]:
    """Annotate `superseded` (a newer version of the same serial exists); read the state
    with `licence_state`."""
    newer = Licence.objects.filter(
        issuer_uscc=OuterRef("issuer_uscc"),
        serial=OuterRef("serial"),
        version__gt=OuterRef("version"),
    )
    return queryset.annotate(superseded=Exists(newer))


def licence_state(licence: Licence) -> str:
    if getattr(licence, "superseded", False):
        return LicenceState.SUPERSEDED
    if licence.status == Licence.Status.SIGNING:
        return LicenceState.SIGNING
    return LicenceState.VALID if licence.status == Licence.Status.VALID else LicenceState.REVOKED


def own_licences(user: User | AnonymousUser) -> QuerySet[Licence]:
    """我的证照: the licences held by the applicants the account acts as (the person
    itself, or the enterprises it is the agent of), newest first, with their state. Inside
    `readable_licences`, so an unverified account sees only what it applied for itself."""
    user = signed_in(user)
    return with_state(
        readable_licences(user).filter(holder__user=user).select_related("case")
    ).order_by("-issued_at", "-pk")


def case_licence_for(user: User | AnonymousUser, case: Any) -> Licence | None:
    """The newest licence issued in `case` that `user` may read (its holder, the issuing
    jurisdiction's staff), with its state; None before issue or outside the scope."""
    return with_state(readable_licences(user).filter(case=case)).order_by("-version", "-pk").first()


def require_signed(licence: Licence) -> None:
    """A licence being signed has no PDF yet: 409 `licence_being_signed`, ask again soon."""
    if licence.status == Licence.Status.SIGNING:
        raise Conflict(
            _("The e-licence is still being signed; try again in a moment."),
            code="licence_being_signed",
        )


def get_licence_for(user: User | AnonymousUser, identifier: str) -> Licence:
    licence = readable_licences(user).filter(identifier=identifier).first()
    if licence is None:
        raise not_found("licence")
    return licence


def get_licence_pdf_for(
    user: User | AnonymousUser, identifier: str, channel: str
) -> tuple[Licence, bytes]:
    """The signed PDF of a licence the user may read (404 otherwise), for the API and the
    web alike. A person's PDF carries the full identity and cannot be masked: only those
    whose role needs it get it (403), and each such read is recorded (ADR 0100)."""
    licence = get_licence_for(user, identifier)
    require_signed(licence)
    if licence.holder_kind == "person":
        personal_data.require_unmask_licence(user, licence)
        personal_data.record_licence_read(user, licence, channel)
    pdf = Licence.objects.filter(pk=licence.pk).values_list("pdf", flat=True).get()
    return licence, bytes(pdf)


def issued_on(licence: Licence) -> dt.date:
    return licence.issued_at.astimezone(SHANGHAI).date()


def get_printed_licence_pdf_for(user: User | AnonymousUser, number: str) -> tuple[Licence, bytes]:
    """异地打照: the receiving window's clerks get the PDF of a case's licence once they
    have printed it through the `print_licence` action (which verified it and recorded
    the copy). Anyone else, or before the print, gets 404 — the licence stays readable
    to its issuer and holder as before."""
    from tongban.accounts.access import has_role
    from tongban.accounts.models import Role
    from tongban.cases.selectors import get_case_for

    case = get_case_for(user, number)
    if (
        case.receiving_jurisdiction_id is None
        or not has_role(user, {Role.CLERK}, case.receiving_jurisdiction_id)
        or not case.events.filter(action="print_licence").exists()
    ):
        raise not_found("licence")
    licence = (
        Licence.objects.filter(case=case, status=Licence.Status.VALID).order_by("-version").first()
    )
    if licence is None:
        raise not_found("licence")
    pdf = Licence.objects.filter(pk=licence.pk).values_list("pdf", flat=True).get()
    return licence, bytes(pdf)


# -- 证照分享 (ADR 0125) -------------------------------------------------------------------


def active_shares(user: User | AnonymousUser) -> QuerySet[LicenceShare]:
    """The shares of the user's own licences that still open (not revoked, not expired)."""
    user = signed_in(user)
    return LicenceShare.objects.filter(
        licence__in=own_licences(user).values("pk"),
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("expires_at", "pk")


def share_token_digest(token: str) -> str:
    """Only this digest of a share's token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_shared_licence_for(
    user: User | AnonymousUser, token: str, channel: str
) -> tuple[LicenceShare, Licence]:
    """A licence its holder shared with `token`: only window and case-work staff (of any
    jurisdiction: the share is the holder's consent) open it (403 otherwise), an unknown,
    revoked or expired token is 404, and every opening is a recorded read (ADR 0100)."""
    user = signed_in(user)
    jurisdictions = jurisdictions_with(user, CASE_WORK_ROLES)
    if not jurisdictions:
        raise Forbidden(
            _("Only window and case-handling staff can open a shared licence."),
            code="share_not_allowed",
        )
    share = (
        LicenceShare.objects.select_related(
            "licence", "licence__holder", "licence__issuing_jurisdiction"
        )
        .defer("licence__pdf")
        .filter(
            token_sha256=share_token_digest(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if share is None:
        raise not_found("licence share")
    licence = share.licence
    personal_data.record_read(
        user,
        licence.holder,
        personal_data.Purpose.LICENCE,
        f"{licence.identifier} #{share.pk}",
        channel,
        sorted(jurisdictions),
    )
    return share, licence
