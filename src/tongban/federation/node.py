"""This deployment's own identity as a node: code, name, the jurisdictions it serves, and
its signing key and certificate (issued by the federation root, pki.py)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from tongban.federation import jose, pki
from tongban.federation.errors import not_configured
from tongban.federation.trust import TrustList, current_trust_list
from tongban.licences import pki as licence_pki


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    jurisdictions: frozenset[str]
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    #: the node's SM2 key, which signs its messages when its trust-list entry says SM2SM3
    sm2: jose.SM2PrivateKey | None = None

    @property
    def thumbprint(self) -> str:
        return pki.thumbprint(self.certificate)

    @property
    def signing_key(self) -> jose.PrivateKey:
        return self.sm2 or self.key


def enabled() -> bool:
    return bool(getattr(settings, "TONGBAN_NODE_CODE", ""))


def this_node(trust_list: TrustList | None = None) -> Node:
    """The node this process runs as. Its served jurisdictions come from the setting when
    given, else from its own entry in the trust list (what the federation says it serves:
    a peer believes nothing else)."""
    code = getattr(settings, "TONGBAN_NODE_CODE", "")
    if not code:
        raise not_configured("TONGBAN_NODE_CODE is empty")
    cert_path, key_path = pki.node_cert_path(code), pki.node_key_path(code)
    if not cert_path.exists() or not key_path.exists():
        raise not_configured(f"no key and certificate under {cert_path.parent}")
    trust_list = trust_list or current_trust_list()
    listed = trust_list.nodes.get(code)
    served = frozenset(getattr(settings, "TONGBAN_NODE_JURISDICTIONS", []) or [])
    if not served:
        served = trust_list.node(code).jurisdictions
    # the algorithm is the one the federation lists for this node: peers accept no other
    sm2 = None
    if listed is not None and listed.algorithm == jose.SM2SM3:
        sm2 = pki.load_sm2(pki.node_sm2_path(code))
        if sm2.public_hex.lower() not in listed.sm2_public_keys:
            raise not_configured(f"{pki.node_sm2_path(code)}: not the SM2 key the trust list names")
    return Node(
        code=code,
        name=getattr(settings, "TONGBAN_NODE_NAME", "") or code,
        jurisdictions=served,
        certificate=licence_pki.cached(
            "federation-cert", cert_path, lambda: licence_pki.load_certificate(cert_path)
        ),
        key=pki.load_key(key_path),
        sm2=sm2,
    )
