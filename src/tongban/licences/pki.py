"""Key material of the platform's small PKI, kept as files under TONGBAN_PKI_DIR:

    root/cert.pem, root/key.pem                  platform root CA
    jurisdictions/{code}/cert.pem, key.pem      the jurisdiction's X.509 signing certificate
    jurisdictions/{code}/sm2.json                the jurisdiction's SM2 key (国密)

Private keys are encrypted at rest with TONGBAN_PKI_PASSPHRASE: X.509 keys as encrypted
PKCS#8 PEM (cryptography's BestAvailableEncryption), the SM2 key with AES-256-GCM under a
scrypt-derived key. Creating keys is idempotent: an existing file is never overwritten.
Certificates and keys are made with `cryptography`; SM2 with `gmssl` (licences.sm2)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tongban.licences import sm2

ROOT_NAME = "通办平台电子证照根CA"
ORGANISATION = "通办平台 Tongban"
ROOT_YEARS = 20
SIGNER_YEARS = 10
KEY_TYPES = ("rsa", "ecdsa")
_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def pki_dir() -> Path:
    configured = getattr(settings, "TONGBAN_PKI_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "pki"


def passphrase() -> bytes:
    value = getattr(settings, "TONGBAN_PKI_PASSPHRASE", "") or ""
    if not value:
        raise ImproperlyConfigured("TONGBAN_PKI_PASSPHRASE is empty")
    return value.encode()


@dataclass(frozen=True)
class Paths:
    base: Path

    @property
    def root_cert(self) -> Path:
        return self.base / "root" / "cert.pem"

    @property
    def root_key(self) -> Path:
        return self.base / "root" / "key.pem"

    def jurisdiction_dir(self, code: str) -> Path:
        if not _CODE.match(code):
            raise ValueError(f"unusable jurisdiction code for a directory: {code!r}")
        return self.base / "jurisdictions" / code

    def signer_cert(self, code: str) -> Path:
        return self.jurisdiction_dir(code) / "cert.pem"

    def signer_key(self, code: str) -> Path:
        return self.jurisdiction_dir(code) / "key.pem"

    def sm2_key(self, code: str) -> Path:
        return self.jurisdiction_dir(code) / "sm2.json"

    @property
    def platform_sm2_key(self) -> Path:
        """The platform's own SM2 key: signs the history checkpoints (integrity app)."""
        return self.base / "platform" / "sm2.json"


def paths(base: Path | None = None) -> Paths:
    return Paths(base or pki_dir())


def _private_dirs(base: Path, directory: Path) -> None:
    """Create `directory` (under `base`) and every directory between, owner-only."""
    chain = [directory, *directory.relative_to(base).parents]
    for relative in reversed(chain[1:]):
        folder = base / relative
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the owner only, atomically (never half a key on disk)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key type must be one of {KEY_TYPES}")


def _key_pem(key: PrivateKey, secret: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def load_private_key(path: Path, secret: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=secret)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured(f"{path}: unsupported key type")
    return key


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _name(common_name: str, unit: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key_usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certs,
        content_commitment=not sign_certs,  # nonRepudiation: the key signs documents
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def leaf_certificate(
    subject: x509.Name,
    public_key: Any,
    issuer: x509.Certificate,
    issuer_key: Any,
    *,
    years: int,
    usage: x509.KeyUsage,
) -> x509.Certificate:
    """An end-entity certificate issued by `issuer` (a jurisdiction's signer, a federation
    node): valid from five minutes ago (clock skew) for `years`, never beyond the issuer."""
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * years), issuer.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def root_certificate(subject: x509.Name, key: Any, *, years: int) -> x509.Certificate:
    """A self-signed CA certificate (the platform root here, the federation root in
    `federation.pki`): valid from five minutes ago (clock skew) for `years`; it signs
    end-entity certificates only (path length 0: no intermediate CA below it)."""
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def ensure_root(base: Paths, secret: bytes, key_type: str) -> tuple[x509.Certificate, bool]:
    """The platform root CA; created if missing. Returns (certificate, created)."""
    if base.root_cert.exists():
        if not base.root_key.exists():
            raise ImproperlyConfigured(f"{base.root_cert} exists but its key is missing")
        return load_certificate(base.root_cert), False
    key = _new_key(key_type)
    cert = root_certificate(_name(ROOT_NAME), key, years=ROOT_YEARS)
    _private_dirs(base.base, base.root_key.parent)
    _write_private(base.root_key, _key_pem(key, secret))
    _write_private(base.root_cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, True


def ensure_signer(
    base: Paths, secret: bytes, code: str, jurisdiction_name: str, key_type: str
) -> tuple[x509.Certificate, bool]:
    """The jurisdiction's signing certificate, issued by the root; created if missing."""
    cert_path, key_path = base.signer_cert(code), base.signer_key(code)
    if cert_path.exists():
        if not key_path.exists():
            raise ImproperlyConfigured(f"{cert_path} exists but its key is missing")
        return load_certificate(cert_path), False
    root_cert = load_certificate(base.root_cert)
    root_key = load_private_key(base.root_key, secret)
    key = _new_key(key_type)
    cert = leaf_certificate(
        _name(f"{jurisdiction_name}电子证照签章", unit=code),
        key.public_key(),
        root_cert,
        root_key,
        years=SIGNER_YEARS,
        usage=_key_usage(sign_certs=False),
    )
    _private_dirs(base.base, key_path.parent)
    _write_private(key_path, _key_pem(key, secret))
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, True


# ---- SM2 keys (encrypted JSON) ---------------------------------------------------------

_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _kek(secret: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def ensure_sm2(base: Paths, secret: bytes, code: str) -> tuple[str, bool]:
    """The jurisdiction's SM2 key; created if missing. Returns (public key hex, created)."""
    return ensure_sm2_at(base, secret, base.sm2_key(code))


def ensure_sm2_at(base: Paths, secret: bytes, path: Path) -> tuple[str, bool]:
    """An SM2 key file under the PKI directory; created if missing."""
    if path.exists():
        return json.loads(path.read_text())["public_key"], False
    private_hex, public_hex = sm2.generate_keypair()
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = _kek(secret, salt, **_SCRYPT)
    sealed = AESGCM(kek).encrypt(nonce, private_hex.encode(), public_hex.encode())
    document = {
        "algorithm": "sm2",
        "public_key": public_hex,
        "kdf": {"name": "scrypt", "salt": base64.b64encode(salt).decode(), **_SCRYPT},
        "cipher": "aes-256-gcm",
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    _private_dirs(base.base, path.parent)
    _write_private(path, json.dumps(document, indent=2).encode())
    return public_hex, True


def load_sm2_private(path: Path, secret: bytes) -> tuple[str, str]:
    document: dict[str, Any] = json.loads(path.read_text())
    kdf = document["kdf"]
    kek = _kek(secret, base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
    private_hex = AESGCM(kek).decrypt(
        base64.b64decode(document["nonce"]),
        base64.b64decode(document["ciphertext"]),
        document["public_key"].encode(),
    )
    return private_hex.decode(), document["public_key"]


# ---- loaded material, cached per process -------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[tuple[str, str, int], Any] = {}


def cached(kind: str, path: Path, loader: Any) -> Any:
    """Load key material once per process (keyed by path and modification time):
    decrypting keys costs a key-derivation function each time."""
    key = (kind, str(path), path.stat().st_mtime_ns)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = loader()
        return _cache[key]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
