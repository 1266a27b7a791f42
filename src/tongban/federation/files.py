"""File contents across the border (issue 13 §3, ADR 0132 decision 4).

The `case.transfer` message carries each uploaded file as a reference (material, name,
type, size, SHA-256); the contents stay on the node where the applicant uploaded them.
The handling node fetches a file when one of its staff opens it: a signed request (the
same envelope as a message, kind `file.fetch`, spoken for the case's handling
jurisdiction, body `{"sha256"}`) to `POST {origin}/api/v1/federation/files`. The origin
node answers only a node the trust list says serves the case's handling jurisdiction,
and only with a file of that case; the handling node accepts the bytes only if their
SHA-256 is the one the transfer message named (`file_hash_mismatch` otherwise). Nothing
is copied: the file is read through, so a withdrawn or corrected file is never stale.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import User
from tongban.core.errors import Conflict, DomainError, not_found
from tongban.federation import clock, envelope, errors, transport
from tongban.federation.models import CaseReplica

logger = logging.getLogger("tongban.federation")

FETCH_KIND = "file.fetch"
PATH = "/api/v1/federation/files"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FetchedFile:
    name: str
    content_type: str
    content: bytes


# ---- the origin node: answering a fetch ---------------------------------------------------


def serve_file(token: Any, remote_address: str = "") -> FetchedFile:
    """Verify a peer's signed fetch request (envelope.open_message: sender on the trust
    list, signature, addressee, freshness, the jurisdiction it speaks for) and return
    the file of the case it names. Refusals are logged like refused messages."""
    from tongban.attachments.models import Attachment
    from tongban.cases.models import Case
    from tongban.federation.actions import _log_rejection
    from tongban.federation.node import this_node
    from tongban.federation.trust import current_trust_list

    now = timezone.now()
    try:
        trust_list = current_trust_list()
        me = this_node(trust_list)
        # the freshness check on this node's federation clock, as for messages (ADR 0135)
        incoming = envelope.open_message(token, trust_list, me, clock.now())
        sha256 = str((incoming.claims.get("body") or {}).get("sha256", ""))
        if incoming.kind != FETCH_KIND or not _SHA256.match(sha256):
            raise errors.malformed_message("a file fetch names the file's SHA-256")
        # a request is good for one read: a copy replayed inside the freshness window
        # (older ones are refused as stale) finds its id taken
        skew = int(getattr(settings, "TONGBAN_FEDERATION_MAX_SKEW_SECONDS", 900))
        if not cache.add(f"fed-fetch:{incoming.sender.code}:{incoming.message_id}", 1, 2 * skew):
            raise Conflict(
                _("This file request was already answered: refused as a replay."),
                code="replay",
                details={"reason": "fetch_reused"},
            )
        case = (
            Case.objects.select_related("handling_jurisdiction")
            .filter(number=incoming.case_ref)
            .exclude(pk__in=CaseReplica.objects.values("case_id"))
            .first()
        )
        if case is None:
            raise not_found("case")
        if case.handling_jurisdiction.code != incoming.claims["jurisdiction"]:
            # only the node handling the case reads its files
            raise errors.jurisdiction_not_served(
                incoming.sender.code, case.handling_jurisdiction.code
            )
        attachment = Attachment.objects.filter(case=case, sha256=sha256).first()
        if attachment is None:
            raise not_found("file")
    except DomainError as error:
        _log_rejection(error, token, remote_address, now)
        raise
    with attachment.file.open("rb") as handle:
        content = handle.read()
    logger.info(
        "federation: file %s… of %s read by node %s",
        sha256[:12],
        case.number,
        incoming.sender.code,
    )
    return FetchedFile(attachment.original_name, attachment.content_type, content)


# ---- the handling node: fetching --------------------------------------------------------


def fetch_file(user: User | AnonymousUser, number: str, sha256: str) -> FetchedFile:
    """The contents of a file of replica case `number`, fetched from the origin node and
    checked against the SHA-256 its transfer message named. Scoped like the case (404
    for whoever may not read it); 404 for a file the transfer did not name."""
    from tongban.cases.selectors import get_case_for
    from tongban.federation.node import this_node
    from tongban.federation.trust import current_trust_list

    case = get_case_for(user, number)
    if not _SHA256.match(sha256):
        raise not_found("file")
    replica = CaseReplica.objects.filter(case=case).first()
    if replica is None:
        raise not_found("file")
    reference = next((f for f in replica.files if f.get("sha256") == sha256), None)
    if reference is None:
        raise not_found("file")
    trust_list = current_trust_list()
    me = this_node(trust_list)
    peer = trust_list.node(replica.origin_node)
    now = clock.now()  # the federation clock signs every message (ADR 0135)
    claims = {
        "v": envelope.VERSION,
        "id": str(uuid.uuid4()),
        "from": me.code,
        "to": peer.code,
        "kind": FETCH_KIND,
        "case": replica.origin_number,
        "seq": 0,
        "jurisdiction": case.handling_jurisdiction.code,
        "agreement": None,
        "created": envelope.iso(now),
        "body": {"sha256": sha256},
    }
    token = envelope.sign_message(me, claims, now)
    limit = int(reference.get("size") or 0)
    try:
        with transport.new_client() as client:
            response = client.post(f"{peer.base_url}{PATH}", json={"jws": token})
    except httpx.HTTPError as error:
        raise Conflict(
            _("Node %(peer)s cannot be reached: %(error)s"),
            code="peer_unreachable",
            params={"peer": peer.code, "error": type(error).__name__},
        ) from error
    if response.status_code != 200:
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = str(answer.get("code", f"http_{response.status_code}"))[:64]
        raise Conflict(
            _("Node %(peer)s refused to send the file (%(code)s)."),
            code="peer_refused",
            params={"peer": peer.code, "code": code},
            details={"peer": peer.code, "peer_code": code},
        )
    content = response.content
    if len(content) != limit or hashlib.sha256(content).hexdigest() != sha256:
        logger.warning(
            "federation: file %s… of %s from %s does not match its SHA-256: refused",
            sha256[:12],
            number,
            peer.code,
        )
        raise Conflict(
            _("The file sent by node %(peer)s does not match the SHA-256 of the transfer."),
            code="file_hash_mismatch",
            params={"peer": peer.code},
        )
    return FetchedFile(
        str(reference.get("name", "")), str(reference.get("content_type", "")), content
    )
