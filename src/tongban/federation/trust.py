"""The trust list (节点目录): which nodes exist, where they answer, which jurisdictions
each serves and which certificates sign for it, signed by the federation root.

A node believes a peer only through a trust list that verifies against the root
certificate it was given out of band (TONGBAN_FEDERATION_ROOT_CERT); it never takes a
certificate from a message. The list is a JWS (ES256, `typ` tongban-trust-list+jws) over
this JSON (docs/federation.md, "Trust list"):

    {"type": "tongban-trust-list", "federation": "...", "sequence": 3,
     "issued_at": "2026-12-06T05:00:00+00:00", "next_update": "2027-03-06T05:00:00+00:00",
     "nodes": [{"code": "hubei", "name": "湖北", "base_url": "https://...",
                "jurisdictions": ["420704", ...], "certificates": ["-----BEGIN ..."],
                "alg": "ES256" | "SM2SM3", "sm2_public_keys": ["04..."] (SM2SM3 only),
                "valid_from": "...", "valid_to": "..."}]}

`alg` is the one algorithm the node signs its messages and receipts with (absent: ES256);
a receiver verifies with it alone and refuses any other (ADR 0135). An SM2 node's public
keys are vouched for by the root's signature over the list (X.509 has no SM2 support in
`cryptography`); its ECDSA certificate still says who it is.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.translation import gettext_lazy

from tongban.core.errors import StrOrPromise
from tongban.federation import jose, pki
from tongban.federation.errors import TrustListInvalid, unknown_node
from tongban.licences import pki as licence_pki

TYPE = "tongban-trust-list"
HEADER_TYPE = "tongban-trust-list+jws"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class PeerNode:
    code: str
    name: str
    base_url: str
    jurisdictions: frozenset[str]
    certificates: tuple[x509.Certificate, ...]
    valid_from: dt.datetime
    valid_to: dt.datetime
    algorithm: str = jose.ES256
    sm2_public_keys: tuple[str, ...] = ()
    # the CA certificates that issue the node's licence-signing certificates: a licence
    # the node issued verifies elsewhere through them (ADR 0132)
    licence_roots: tuple[x509.Certificate, ...] = ()

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.valid_from <= moment <= self.valid_to

    def public_keys(self, moment: dt.datetime) -> list[ec.EllipticCurvePublicKey]:
        """Keys of the node's certificates valid at `moment` (several during a rotation)."""
        keys = []
        for cert in self.certificates:
            key = cert.public_key()
            if (
                isinstance(key, ec.EllipticCurvePublicKey)
                and cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc
            ):
                keys.append(key)
        return keys

    def verification_keys(self, moment: dt.datetime) -> list[jose.PublicKey]:
        """The keys that may verify this node's messages: of its listed algorithm only."""
        if self.algorithm == jose.SM2SM3:
            return [jose.SM2PublicKey(key) for key in self.sm2_public_keys]
        return list(self.public_keys(moment))

    def serves(self, jurisdiction: str) -> bool:
        return jurisdiction in self.jurisdictions


@dataclass(frozen=True)
class TrustList:
    federation: str
    sequence: int
    issued_at: dt.datetime
    next_update: dt.datetime
    nodes: dict[str, PeerNode] = field(default_factory=dict)

    def node(self, code: str, moment: dt.datetime | None = None) -> PeerNode:
        """The node `code` if the list names it and it is valid now; else unknown_node."""
        moment = moment or _now()
        node = self.nodes.get(code)
        if node is None or not node.valid_at(moment):
            raise unknown_node(code)
        return node

    def node_serving(self, jurisdiction: str) -> PeerNode | None:
        for node in self.nodes.values():
            if node.serves(jurisdiction):
                return node
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _time(value: Any, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as error:
        raise TrustListInvalid(
            gettext_lazy("Trust list: bad time in %(where)s"), params={"where": where}
        ) from error
    if moment.tzinfo is None:
        raise TrustListInvalid(
            gettext_lazy("Trust list: time without zone in %(where)s"), params={"where": where}
        )
    return moment


def _invalid(message: StrOrPromise, *, params: dict[str, Any] | None = None) -> TrustListInvalid:
    return TrustListInvalid(message, params=params)


# ---- making a list (the federation operator) --------------------------------------------


def node_entry(
    code: str,
    name: str,
    base_url: str,
    jurisdictions: Iterable[str],
    certificates: Iterable[x509.Certificate],
    valid_from: dt.datetime,
    valid_to: dt.datetime,
    *,
    algorithm: str = jose.ES256,
    sm2_public_keys: Iterable[str] = (),
    licence_roots: Iterable[x509.Certificate] = (),
) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization

    if algorithm not in jose.ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}: one of {', '.join(jose.ALGORITHMS)}")
    sm2_keys = [_sm2_public(key, code) for key in sm2_public_keys]
    if algorithm == jose.SM2SM3 and not sm2_keys:
        raise ValueError(f"node {code} signs with SM2SM3 but lists no SM2 public key")
    extra: dict[str, Any] = {"alg": algorithm}
    if sm2_keys:
        extra["sm2_public_keys"] = sm2_keys
    entry: dict[str, Any] = {
        "code": code,
        "name": name,
        "base_url": base_url.rstrip("/"),
        "jurisdictions": sorted(set(jurisdictions)),
        "certificates": [
            c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates
        ],
        "valid_from": _iso(valid_from),
        "valid_to": _iso(valid_to),
        **extra,
    }
    roots = [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in licence_roots]
    if roots:
        entry["licence_roots"] = roots
    return entry


def _sm2_public(value: Any, code: str) -> str:
    """An SM2 public key as "04"||x||y in lower-case hex; TrustListInvalid if it is not."""
    text = str(value).lower()
    if len(text) != 130 or not text.startswith("04") or not _HEX.match(text):
        raise _invalid(
            gettext_lazy("The trust list is not trusted: node %(code)s: bad SM2 public key"),
            params={"code": code},
        )
    return text


def sign_trust_list(
    federation: str,
    sequence: int,
    nodes: list[dict[str, Any]],
    *,
    valid_days: int = 90,
    base: Path | None = None,
) -> str:
    """The signed list (compact JWS), signed with the root key under `base`."""
    codes = [n["code"] for n in nodes]
    if len(set(codes)) != len(codes):
        raise ValueError("node codes must be unique")
    key = pki.load_key(pki.root_key_path(base))
    root = licence_pki.load_certificate((base or pki.federation_dir()) / "root" / "cert.pem")
    now = _now()
    document = {
        "type": TYPE,
        "federation": federation,
        "sequence": sequence,
        "issued_at": _iso(now),
        "next_update": _iso(now + dt.timedelta(days=valid_days)),
        "nodes": nodes,
    }
    return jose.sign(document, key, {"typ": HEADER_TYPE, "x5t#S256": pki.thumbprint(root)})


# ---- believing a list (every node) -------------------------------------------------------


def parse_trust_list(
    token: str, root: x509.Certificate, moment: dt.datetime | None = None
) -> TrustList:
    moment = moment or _now()
    root_key = root.public_key()
    if not isinstance(root_key, ec.EllipticCurvePublicKey):
        raise _invalid(
            gettext_lazy(
                "The trust list is not trusted: the root certificate is not an ECDSA certificate"
            )
        )
    try:
        header, _ = jose.peek(token.strip())
        document = jose.verify(token.strip(), [root_key])
    except jose.JwsInvalid as error:
        raise _invalid(
            gettext_lazy("The trust list is not trusted: the root's signature does not verify")
        ) from error
    if header.get("typ") != HEADER_TYPE or document.get("type") != TYPE:
        raise _invalid(gettext_lazy("The trust list is not trusted: not a trust list"))
    issued_at = _time(document.get("issued_at"), "issued_at")
    next_update = _time(document.get("next_update"), "next_update")
    if moment > next_update:
        raise _invalid(
            gettext_lazy(
                "The trust list is not trusted: expired at %(iso_next_update)s (next_update)"
            ),
            params={"iso_next_update": _iso(next_update)},
        )
    nodes: dict[str, PeerNode] = {}
    for raw in document.get("nodes") or []:
        node = _node(raw, root)
        nodes[node.code] = node
    return TrustList(
        federation=str(document.get("federation", "")),
        sequence=int(document.get("sequence", 0)),
        issued_at=issued_at,
        next_update=next_update,
        nodes=nodes,
    )


def _node(raw: Any, root: x509.Certificate) -> PeerNode:
    if not isinstance(raw, dict) or not _CODE.match(str(raw.get("code", ""))):
        raise _invalid(gettext_lazy("The trust list is not trusted: a node entry is malformed"))
    code = str(raw["code"])
    certificates = []
    for pem in raw.get("certificates") or []:
        try:
            cert = x509.load_pem_x509_certificate(str(pem).encode("ascii"))
        except ValueError as error:
            raise _invalid(
                gettext_lazy("The trust list is not trusted: node %(code)s: bad certificate"),
                params={"code": code},
            ) from error
        if not pki.issued_by(cert, root):
            raise _invalid(
                gettext_lazy(
                    "The trust list is not trusted: node %(code)s: certificate not issued "
                    "by the root"
                ),
                params={"code": code},
            )
        certificates.append(cert)
    if not certificates:
        raise _invalid(
            gettext_lazy("The trust list is not trusted: node %(code)s has no certificate"),
            params={"code": code},
        )
    licence_roots = []
    for pem in raw.get("licence_roots") or []:
        try:
            licence_roots.append(x509.load_pem_x509_certificate(str(pem).encode("ascii")))
        except ValueError as error:
            raise _invalid(
                gettext_lazy("The trust list is not trusted: node %(code)s: bad licence root"),
                params={"code": code},
            ) from error
    base_url = str(raw.get("base_url", ""))
    if not base_url.startswith(("https://", "http://")):
        raise _invalid(
            gettext_lazy("The trust list is not trusted: node %(code)s: base_url must be http(s)"),
            params={"code": code},
        )
    algorithm = str(raw.get("alg") or jose.ES256)
    if algorithm not in jose.ALGORITHMS:
        raise _invalid(
            gettext_lazy("The trust list is not trusted: node %(code)s: unknown alg"),
            params={"code": code},
        )
    sm2_keys = tuple(_sm2_public(key, code) for key in raw.get("sm2_public_keys") or [])
    if algorithm == jose.SM2SM3 and not sm2_keys:
        raise _invalid(
            gettext_lazy("The trust list is not trusted: node %(code)s: no SM2 public key"),
            params={"code": code},
        )
    return PeerNode(
        code=code,
        name=str(raw.get("name", code)),
        base_url=base_url.rstrip("/"),
        jurisdictions=frozenset(str(j) for j in raw.get("jurisdictions") or []),
        certificates=tuple(certificates),
        valid_from=_time(raw.get("valid_from"), f"{code}.valid_from"),
        valid_to=_time(raw.get("valid_to"), f"{code}.valid_to"),
        algorithm=algorithm,
        sm2_public_keys=sm2_keys,
        licence_roots=tuple(licence_roots),
    )


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int, str, int], TrustList] = {}


def current_trust_list() -> TrustList:
    """This node's trust list, verified; re-read when the file changes (an operator
    replaces it atomically) and re-checked for expiry on every call."""
    from tongban.federation.errors import not_configured

    path = Path(settings.TONGBAN_FEDERATION_TRUST_LIST)
    root_path = pki.root_cert_path()
    if not path.exists():
        raise not_configured(f"no trust list at {path}")
    if not root_path.exists():
        raise not_configured(f"no federation root certificate at {root_path}")
    key = (str(path), path.stat().st_mtime_ns, str(root_path), root_path.stat().st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        if _now() > cached.next_update:
            raise _invalid(
                gettext_lazy("The trust list is not trusted: expired (next_update passed)")
            )
        return cached
    trust_list = parse_trust_list(path.read_text(), licence_pki.load_certificate(root_path))
    with _cache_lock:
        _cache.clear()
        _cache[key] = trust_list
    return trust_list


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
