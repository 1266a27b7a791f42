"""What two nodes compare before they exchange cases under an agreement: its fingerprint,
SHA-256 over the canonical JSON of what both must hold identically (code, version,
validity, parties, items with modes and directions). Status and notes are local."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone

from tongban.agreements.models import Agreement
from tongban.agreements.selectors import agreements_in_force
from tongban.federation import errors, jose


def _content(agreement: Agreement) -> dict[str, Any]:
    items = []
    for row in agreement.items.select_related("item").prefetch_related(
        "receiving_jurisdictions", "handling_jurisdictions"
    ):
        items.append(
            {
                "item": row.item.code,
                "modes": sorted(row.modes or []),
                "receiving": sorted(j.code for j in row.receiving_jurisdictions.all()),
                "handling": sorted(j.code for j in row.handling_jurisdictions.all()),
            }
        )
    return {
        "code": agreement.code,
        "version": agreement.version,
        "valid_from": agreement.valid_from.isoformat(),
        "valid_to": agreement.valid_to.isoformat() if agreement.valid_to else None,
        "parties": sorted(agreement.parties.values_list("jurisdiction__code", flat=True)),
        "items": sorted(items, key=lambda entry: entry["item"]),
    }


def fingerprint(agreement: Agreement) -> str:
    return hashlib.sha256(jose.canonical(_content(agreement))).hexdigest()


def block(agreement: Agreement) -> dict[str, Any]:
    """The `agreement` claim of a message sent under `agreement`."""
    return {
        "code": agreement.code,
        "version": agreement.version,
        "fingerprint": fingerprint(agreement),
    }


def in_force(code: str, version: int) -> Agreement | None:
    return agreements_in_force(timezone.localdate()).filter(code=code, version=version).first()


def check_block(claim: dict[str, Any]) -> Agreement:
    """This node's copy of the agreement a message names, if in force and identical."""
    code, version = str(claim.get("code", "")), claim.get("version")
    if not isinstance(version, int):
        raise errors.malformed_message("agreement.version must be an integer")
    agreement = in_force(code, version)
    if agreement is None:
        raise errors.agreement_unknown(code, version)
    ours = fingerprint(agreement)
    theirs = str(claim.get("fingerprint", ""))
    if ours != theirs:
        raise errors.agreement_mismatch(code, version, ours, theirs)
    return agreement
