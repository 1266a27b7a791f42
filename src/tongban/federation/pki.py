"""Key material of the federation, as files under TONGBAN_FEDERATION_DIR (default
`<TONGBAN_PKI_DIR>/federation`), made with the same code as the licence PKI
(`licences.pki`: encrypted PKCS#8 keys under TONGBAN_PKI_PASSPHRASE, owner-only files,
atomic writes, never overwritten):

    root/cert.pem, root/key.pem            the federation root: signs node certificates and
                                           the trust list (kept by the federation operator)
    nodes/{code}/cert.pem, key.pem         a node's signing certificate and key
    nodes/{code}/sm2.json                  its SM2 key, if it signs with SM2SM3 (ADR 0135)

Keys are ECDSA P-256 (messages are JWS with ES256, ADR 0111); a node whose trust-list
entry says SM2SM3 signs with its SM2 key instead, kept as the licences' SM2 keys are."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tongban.federation import jose
from tongban.licences import pki as licence_pki

ROOT_NAME = "通办节点互联根CA"
ROOT_YEARS = 20
NODE_YEARS = 5


def federation_dir() -> Path:
    configured = getattr(settings, "TONGBAN_FEDERATION_DIR", None)
    return Path(configured) if configured else licence_pki.pki_dir() / "federation"


def root_cert_path(base: Path | None = None) -> Path:
    configured = getattr(settings, "TONGBAN_FEDERATION_ROOT_CERT", None)
    if configured and base is None:
        return Path(configured)
    return (base or federation_dir()) / "root" / "cert.pem"


def root_key_path(base: Path | None = None) -> Path:
    return (base or federation_dir()) / "root" / "key.pem"


def node_dir(code: str, base: Path | None = None) -> Path:
    if not licence_pki._CODE.match(code):
        raise ValueError(f"unusable node code for a directory: {code!r}")
    return (base or federation_dir()) / "nodes" / code


def node_cert_path(code: str, base: Path | None = None) -> Path:
    return node_dir(code, base) / "cert.pem"


def node_key_path(code: str, base: Path | None = None) -> Path:
    return node_dir(code, base) / "key.pem"


def node_sm2_path(code: str, base: Path | None = None) -> Path:
    return node_dir(code, base) / "sm2.json"


def ensure_node_sm2(code: str, base: Path | None = None) -> str:
    """The node's SM2 key (encrypted like the licences' SM2 keys), created if missing;
    returns its public key hex for the trust list."""
    base = base or federation_dir()
    public_hex, _ = licence_pki.ensure_sm2_at(
        licence_pki.Paths(base), licence_pki.passphrase(), node_sm2_path(code, base)
    )
    return public_hex


def sm2_public(code: str, base: Path | None = None) -> str:
    path = node_sm2_path(code, base)
    if not path.exists():
        raise ImproperlyConfigured(f"{path} is missing: tongban federation issue-node --sm2")
    return str(json.loads(path.read_text())["public_key"])


def load_sm2(path: Path) -> jose.SM2PrivateKey:
    def load() -> jose.SM2PrivateKey:
        private_hex, public_hex = licence_pki.load_sm2_private(path, licence_pki.passphrase())
        return jose.SM2PrivateKey(private_hex, public_hex)

    if not path.exists():
        raise ImproperlyConfigured(f"{path} is missing")
    key: jose.SM2PrivateKey = licence_pki.cached("federation-sm2", path, load)
    return key


def ensure_root(base: Path | None = None) -> tuple[x509.Certificate, bool]:
    """The federation root CA; created if missing. Returns (certificate, created)."""
    base = base or federation_dir()
    cert_path, key_path = base / "root" / "cert.pem", root_key_path(base)
    if cert_path.exists():
        return licence_pki.load_certificate(cert_path), False
    secret = licence_pki.passphrase()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = licence_pki.root_certificate(licence_pki._name(ROOT_NAME), key, years=ROOT_YEARS)
    licence_pki._private_dirs(base, key_path.parent)
    licence_pki._write_private(key_path, licence_pki._key_pem(key, secret))
    licence_pki._write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, True


def ensure_node(code: str, name: str, base: Path | None = None) -> tuple[x509.Certificate, bool]:
    """A node's signing certificate, issued by the federation root; created if missing."""
    base = base or federation_dir()
    cert_path, key_path = node_cert_path(code, base), node_key_path(code, base)
    if cert_path.exists():
        if not key_path.exists():
            raise ImproperlyConfigured(f"{cert_path} exists but its key is missing")
        return licence_pki.load_certificate(cert_path), False
    secret = licence_pki.passphrase()
    root_cert = licence_pki.load_certificate(base / "root" / "cert.pem")
    root_key = licence_pki.load_private_key(root_key_path(base), secret)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = licence_pki.leaf_certificate(
        licence_pki._name(f"{name}节点", unit=code),
        key.public_key(),
        root_cert,
        root_key,
        years=NODE_YEARS,
        usage=licence_pki._key_usage(sign_certs=False),
    )
    licence_pki._private_dirs(base, key_path.parent)
    licence_pki._write_private(key_path, licence_pki._key_pem(key, secret))
    licence_pki._write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, True


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    def load() -> ec.EllipticCurvePrivateKey:
        key = licence_pki.load_private_key(path, licence_pki.passphrase())
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ImproperlyConfigured(f"{path}: the federation signs with ECDSA P-256 keys")
        return key

    if not path.exists():
        raise ImproperlyConfigured(f"{path} is missing")
    key: ec.EllipticCurvePrivateKey = licence_pki.cached("federation-key", path, load)
    return key


def thumbprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, hex: names a certificate in headers and logs."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
