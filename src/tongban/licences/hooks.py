"""Extension points of e-licences for the app above them that `licences` must not import
(the federation, docs/architecture.md; ADR 0132).

- `on_foreign_issuer`: says whom to believe for a licence another node issued
  (`Licence.issuing_node` set): the issuing node's name and the licence roots the signed
  trust list publishes for it today, or None when the node is not trusted (not on the
  list, its entry expired or withdrawn, or it does not serve the issuing jurisdiction).
  Without a provider no foreign licence is believed.
- `on_trusted_issuers`: the node codes whose licences are believed today (免提交 asks).
- `on_licence_changed`: runs inside the transaction that signed (`valid`) or revoked a
  licence; what it writes commits with the change, and a DomainError it raises undoes
  it (a signature is then tried again by the sweep).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

if TYPE_CHECKING:
    from tongban.licences.models import Licence


@dataclass(frozen=True)
class ForeignIssuer:
    """The node that issued a licence, as the trust list names it today."""

    code: str
    name: str
    roots: tuple[x509.Certificate, ...]


IssuerProvider = Callable[["Licence"], ForeignIssuer | None]
TrustedIssuers = Callable[[], frozenset[str]]
ChangedHook = Callable[["Licence"], None]
_issuer_providers: list[IssuerProvider] = []
_trusted_issuers: list[TrustedIssuers] = []
_changed_hooks: list[ChangedHook] = []


def on_foreign_issuer(provider: IssuerProvider) -> IssuerProvider:
    if provider not in _issuer_providers:
        _issuer_providers.append(provider)
    return provider


def foreign_issuer(licence: Licence) -> ForeignIssuer | None:
    for provider in tuple(_issuer_providers):
        found = provider(licence)
        if found is not None:
            return found
    return None


def on_trusted_issuers(provider: TrustedIssuers) -> TrustedIssuers:
    if provider not in _trusted_issuers:
        _trusted_issuers.append(provider)
    return provider


def trusted_issuers() -> frozenset[str]:
    found: frozenset[str] = frozenset()
    for provider in tuple(_trusted_issuers):
        found |= provider()
    return found


def on_licence_changed(hook: ChangedHook) -> ChangedHook:
    if hook not in _changed_hooks:
        _changed_hooks.append(hook)
    return hook


def licence_changed(licence: Licence) -> None:
    for hook in tuple(_changed_hooks):
        hook(licence)
