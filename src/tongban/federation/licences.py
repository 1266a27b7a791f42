"""Licences across nodes (issue 13 §6, ADR 0132).

Trust: each node's entry in the signed trust list names its licence roots (the CA that
issues its jurisdictions' licence-signing certificates). A licence another node issued is
believed here only through them, and only while that entry is on the list, valid, and
serves the issuing jurisdiction (`foreign_issuer`, registered with `licences.hooks`; the
public verification, the print at the window and 免提交 all ask there).

Travel: when the handling node signs (or revokes) the licence of a replica case, the same
transaction queues a `licence.issued` (`licence.revoked`) message to the node the case
came from, in the case's sequence, so it arrives after the decision's event. That node
checks the signatures against the trust list and keeps the licence for the case's
applicant (`licences.actions.record_foreign_licence`): the case page, 我的证照, 就近取证
(printing at the receiving window) and 免提交 on later cases then work on it there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
from typing import Any

from cryptography.hazmat.primitives import serialization

from tongban.core.errors import DomainError
from tongban.federation import errors
from tongban.federation.handlers import register
from tongban.federation.models import CaseReplica, InboundMessage
from tongban.licences.hooks import ForeignIssuer

logger = logging.getLogger("tongban.federation")

ISSUED_KIND = "licence.issued"
REVOKED_KIND = "licence.revoked"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- trust ------------------------------------------------------------------------------


def foreign_issuer(licence: Any) -> ForeignIssuer | None:
    """`licences.hooks` provider: the issuing node of `licence` as the trust list names
    it today with its licence roots valid now, or None when the list does not vouch for
    it (absent, entry expired or withdrawn, no licence roots, or the node does not serve
    the jurisdiction in whose name the licence was issued)."""
    from tongban.federation.trust import current_trust_list

    if not licence.issuing_node:
        return None
    try:
        trust_list = current_trust_list()
    except DomainError:
        return None  # not a node, or a list that cannot be believed: believe nobody
    node = trust_list.nodes.get(licence.issuing_node)
    now = _now()
    if node is None or not node.valid_at(now):
        return None
    if not node.serves(licence.issuing_jurisdiction.code):
        return None
    roots = tuple(
        root
        for root in node.licence_roots
        if root.not_valid_before_utc <= now <= root.not_valid_after_utc
    )
    if not roots:
        return None
    return ForeignIssuer(code=node.code, name=node.name, roots=roots)


def trusted_issuers() -> frozenset[str]:
    """`licences.hooks` provider: the nodes whose licences stand in for materials today."""
    from tongban.federation.node import enabled
    from tongban.federation.trust import current_trust_list

    if not enabled():
        return frozenset()
    try:
        trust_list = current_trust_list()
    except DomainError:
        return frozenset()
    now = _now()
    return frozenset(
        node.code for node in trust_list.nodes.values() if node.valid_at(now) and node.licence_roots
    )


# ---- sending ----------------------------------------------------------------------------


def licence_body(licence: Any) -> dict[str, Any]:
    """What crosses with a licence: its signed data (names the holder: the licence is the
    applicant's, and the receiving node holds the applicant relation), the detached
    signature, the signed PDF and the signer's certificate with the chain up to this
    node's licence root (the receiver believes the root only through the trust list)."""
    from tongban.licences import pki as licence_pki
    from tongban.licences.models import Licence

    pdf = Licence.objects.filter(pk=licence.pk).values_list("pdf", flat=True).get()
    chain = [licence.signing_key.certificate_pem] if licence.signing_key_id else []
    root = licence_pki.paths().root_cert
    if root.exists():
        chain.append(
            licence_pki.load_certificate(root).public_bytes(serialization.Encoding.PEM).decode()
        )
    return {
        "identifier": licence.identifier,
        "version": licence.version,
        "serial": licence.serial,
        "issued_at": licence.issued_at.isoformat(),
        "data": licence.data,
        "data_signature": licence.data_signature,
        "algorithm": licence.algorithm,
        "certificate_chain": chain,
        "pdf": base64.b64encode(bytes(pdf)).decode("ascii"),
        "pdf_sha256": licence.pdf_sha256,
    }


def queue_licence(licence: Any) -> None:
    """`licences.hooks` changed-hook: a licence of a replica case (signed, or revoked)
    goes to the node the case came from, in the signing (revoking) transaction."""
    from tongban.federation import actions
    from tongban.federation.node import enabled
    from tongban.licences.models import Licence

    if not enabled() or licence.case_id is None or licence.issuing_node:
        return
    replica = (
        CaseReplica.objects.select_related("case__handling_jurisdiction", "case__agreement")
        .filter(case_id=licence.case_id)
        .first()
    )
    if replica is None:
        return
    case = replica.case
    if licence.status == Licence.Status.VALID:
        kind, body = ISSUED_KIND, licence_body(licence)
    elif licence.status == Licence.Status.REVOKED:
        kind = REVOKED_KIND
        body = {
            "identifier": licence.identifier,
            "reason": licence.revocation_reason,
            "at": (licence.revoked_at or _now()).isoformat(),
        }
    else:
        return
    actions.enqueue_message(
        peer=replica.origin_node,
        kind=kind,
        jurisdiction=case.handling_jurisdiction.code,
        case_ref=case.number,
        agreement=case.agreement,
        body=body,
    )


# ---- receiving --------------------------------------------------------------------------


def _origin_case(message: InboundMessage) -> Any:
    """The case this node received and the sender handles: the only case a licence may
    come back to. The sender must speak for the case's handling jurisdiction."""
    from tongban.cases.models import Case

    case = (
        Case.objects.select_related("handling_jurisdiction", "applicant")
        .filter(number=message.case_ref)
        .first()
    )
    if case is None or CaseReplica.objects.filter(case=case).exists():
        raise errors.malformed_message("no case received here with that number")
    if case.handling_jurisdiction.code != message.jurisdiction:
        raise errors.jurisdiction_not_served(message.peer, case.handling_jurisdiction.code)
    return case


@register(ISSUED_KIND)
def apply_licence_issued(message: InboundMessage) -> None:
    from tongban.licences.actions import ForeignLicenceInput, record_foreign_licence

    case = _origin_case(message)
    body = message.body
    try:
        chain = list(body.get("certificate_chain") or [])
        pdf = base64.b64decode(str(body["pdf"]), validate=True)
        given = ForeignLicenceInput(
            node=message.peer,
            data=dict(body["data"]),
            data_signature=str(body["data_signature"]),
            algorithm=str(body["algorithm"]),
            signer_pem=str(chain[0]),
            pdf=pdf,
            serial=str(body["serial"]),
            version=int(body["version"]),
            issued_at=dt.datetime.fromisoformat(str(body["issued_at"])),
        )
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as error:
        raise errors.malformed_message("licence fields") from error
    if given.issued_at.tzinfo is None:
        raise errors.malformed_message("issued_at has no time zone")
    if hashlib.sha256(pdf).hexdigest() != str(body.get("pdf_sha256", "")):
        raise errors.malformed_message("the PDF does not match its SHA-256")
    licence = record_foreign_licence(case, given)
    logger.info(
        "federation: licence %s of %s from %s kept", licence.identifier, case.number, message.peer
    )


@register(REVOKED_KIND)
def apply_licence_revoked(message: InboundMessage) -> None:
    from tongban.licences.actions import revoke_foreign_licence

    case = _origin_case(message)
    body = message.body
    try:
        at = dt.datetime.fromisoformat(str(body["at"]))
        identifier = str(body["identifier"])
    except (KeyError, TypeError, ValueError) as error:
        raise errors.malformed_message("revocation fields") from error
    revoke_foreign_licence(
        message.peer, identifier, str(body.get("reason", "")), at, case_id=case.pk
    )
