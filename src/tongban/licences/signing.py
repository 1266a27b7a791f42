"""Signatures of e-licences.

- Structured data: a detached signature over its canonical JSON (sorted keys, UTF-8, no
  insignificant whitespace), with the jurisdiction's X.509 key (RSA PKCS#1 v1.5 or ECDSA
  P-256, SHA-256) or, where the jurisdiction's signing profile says so, with its SM2 key
  (SM2 with SM3).
- PDF: a PAdES baseline signature (ETSI.CAdES.detached, B-B level) made with pyHanko and
  the jurisdiction's X.509 key and certificate; validated with pyHanko against the
  platform root."""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils.translation import gettext_lazy

from tongban.core.errors import Conflict
from tongban.licences import pki, sm2
from tongban.licences.models import DataSignatureAlgorithm, SigningKey

RSA_SHA256 = "RSA-SHA256"
ECDSA_SHA256 = "ECDSA-P256-SHA256"
SM2_SM3 = "SM2-SM3"

# room for the CMS signature in the PDF: a 2048-bit RSA or P-256 signature with a two-
# certificate chain needs about 3 KB; reserving it skips pyHanko's trial signing run
PDF_SIGNATURE_BYTES = 8192


class PkiNotConfigured(Conflict):
    code = "pki_not_configured"


def pki_missing(jurisdiction_name: str) -> PkiNotConfigured:
    return PkiNotConfigured(
        gettext_lazy(
            "No signing certificate for %(jurisdiction_name)s: run `tongban setup-pki` first."
        ),
        params={"jurisdiction_name": jurisdiction_name},
    )


def canonical_json(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


# ---- structured data -------------------------------------------------------------------


@dataclass(frozen=True)
class DataSignature:
    signature_b64: str
    algorithm: str
    key: SigningKey


def _x509_algorithm(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECDSA_SHA256
    raise ValueError("unsupported key")


def sign_data(jurisdiction: Any, algorithm: str, data: Any) -> DataSignature:
    """Sign `data` for `jurisdiction` with its active key of the profile's algorithm."""
    paths = pki.paths()
    secret = pki.passphrase()
    message = canonical_json(data)
    if algorithm == DataSignatureAlgorithm.SM2_SM3:
        row = SigningKey.objects.filter(
            kind=SigningKey.Kind.SM2, jurisdiction=jurisdiction, active=True
        ).first()
        path = paths.sm2_key(jurisdiction.code)
        if row is None or not path.exists():
            raise pki_missing(jurisdiction.name)
        private_hex, public_hex = pki.cached(
            "sm2", path, lambda: pki.load_sm2_private(path, secret)
        )
        if public_hex != row.public_key:
            raise pki_missing(jurisdiction.name)
        signature = sm2.sign(private_hex, public_hex, message)
        return DataSignature(base64.b64encode(signature).decode(), SM2_SM3, row)
    row = active_x509(jurisdiction)
    key_path = paths.signer_key(jurisdiction.code)
    if not key_path.exists():
        raise pki_missing(jurisdiction.name)
    key = pki.cached("x509", key_path, lambda: pki.load_private_key(key_path, secret))
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        raw = key.sign(message, ec.ECDSA(hashes.SHA256()))
    return DataSignature(base64.b64encode(raw).decode(), _x509_algorithm(key), row)


def active_x509(jurisdiction: Any) -> SigningKey:
    row = SigningKey.objects.filter(
        kind=SigningKey.Kind.X509, jurisdiction=jurisdiction, active=True
    ).first()
    if row is None:
        raise pki_missing(jurisdiction.name)
    return row


def verify_data(key: SigningKey, algorithm: str, data: Any, signature_b64: str) -> bool:
    """Does `signature_b64` sign the canonical JSON of `data` under `key`?"""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        message = canonical_json(data)
    except (binascii.Error, ValueError, TypeError):
        return False
    if algorithm == SM2_SM3:
        return key.kind == SigningKey.Kind.SM2 and sm2.verify(key.public_key, message, signature)
    if key.kind != SigningKey.Kind.X509:
        return False
    public = serialization.load_pem_public_key(key.public_key.encode())
    try:
        if algorithm == RSA_SHA256 and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm == ECDSA_SHA256 and isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    return False


def issued_by_registered_root(key: SigningKey) -> bool:
    """Is the X.509 certificate of `key` signed by one of the registered root CAs?"""
    if key.kind != SigningKey.Kind.X509:
        return key.kind == SigningKey.Kind.SM2  # SM2 keys are trusted by registration
    certificate = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    for root_pem in SigningKey.objects.filter(kind=SigningKey.Kind.ROOT_CA).values_list(
        "certificate_pem", flat=True
    ):
        root = x509.load_pem_x509_certificate(root_pem.encode())
        try:
            certificate.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


# ---- PDF (PAdES) -----------------------------------------------------------------------


def _pdf_signer(jurisdiction_code: str) -> Any:
    from pyhanko.sign import signers

    paths = pki.paths()
    key_path, cert_path = paths.signer_key(jurisdiction_code), paths.signer_cert(jurisdiction_code)
    if not key_path.exists() or not cert_path.exists():
        return None
    secret = pki.passphrase()

    def load() -> Any:
        loaded = signers.SimpleSigner.load(
            str(key_path),
            str(cert_path),
            ca_chain_files=(str(paths.root_cert),),
            key_passphrase=secret,
        )
        return _parsed_key_signer_class()(loaded, pki.load_private_key(key_path, secret))

    return pki.cached("pyhanko", key_path, load)


@functools.cache
def _parsed_key_signer_class() -> type:
    """pyHanko's SimpleSigner parses its private key from DER again for every signature,
    and cryptography validates an RSA key on each parse: about 70 ms of CPU per licence
    here. This signer keeps the key parsed once per process (it lives in pki.cached);
    mechanisms other than the two our PKI issues fall back to pyHanko's own code."""
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class ParsedKeySigner(signers.SimpleSigner):
        def __init__(self, loaded: Any, parsed_key: Any) -> None:
            super().__init__(
                signing_cert=loaded.signing_cert,
                signing_key=loaded.signing_key,
                cert_registry=loaded.cert_registry,
            )
            self._parsed_key = parsed_key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            key = self._parsed_key
            if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(hash_algorithm))
            return bytes(super().sign_raw(data, digest_algorithm))

    return ParsedKeySigner


def sign_pdf(jurisdiction: Any, pdf: bytes, *, reason: str, location: str) -> bytes:
    """Add a PAdES signature of `jurisdiction` to `pdf` (an incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = _pdf_signer(jurisdiction.code)
    if signer is None:
        raise pki_missing(jurisdiction.name)
    if f"{signer.signing_cert.serial_number:x}" != active_x509(jurisdiction).serial:
        # the files were replaced without `tongban setup-pki` registering the new certificate
        raise pki_missing(jurisdiction.name)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="TongbanLicenceSignature",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    output = signers.sign_pdf(writer, metadata, signer=signer, bytes_reserved=PDF_SIGNATURE_BYTES)
    return output.getvalue()


@dataclass
class PdfCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    signer_serial: str = ""


def issued_by_one_of(key: SigningKey, roots: Any) -> bool:
    """Is the X.509 certificate of `key` signed by one of `roots` (a licence issued on
    another node: the roots its trust-list entry publishes, ADR 0132)?"""
    if key.kind != SigningKey.Kind.X509 or not key.certificate_pem:
        return False
    certificate = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    for root in roots:
        try:
            certificate.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def trust_roots(foreign: Any = None) -> list[Any]:
    """The roots a PDF signature may chain to: this node's registered root CAs or, for a
    licence issued on another node, only the roots `foreign` (x509 certificates) names."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    if foreign is not None:
        return [
            asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
            for root in foreign
        ]
    roots = []
    for root_pem in SigningKey.objects.filter(kind=SigningKey.Kind.ROOT_CA).values_list(
        "certificate_pem", flat=True
    ):
        _, _, der = pem.unarmor(root_pem.encode())
        roots.append(asn1_x509.Certificate.load(der))
    return roots


# /Info keys an LTV update may rewrite; anything else (title, subject, keywords, author)
# was issued with the licence and must not change
_INFO_KEYS_LTV_MAY_CHANGE = frozenset({"/ModDate", "/Producer"})


def _info_date_rule() -> Any:
    from pyhanko.sign.diff_analysis import DocInfoRule

    class InfoDateOnlyRule(DocInfoRule):
        """Like pyHanko's DocInfoRule, but only the modification date and producer of the
        document information dictionary may differ from the signed revision."""

        def apply(self, old: Any, new: Any) -> Any:
            old_ref = old.trailer_view.get_value_as_reference("/Info", optional=True)
            new_ref = new.trailer_view.get_value_as_reference("/Info", optional=True)
            if old_ref is not None and new_ref is not None:
                old_info, new_info = old(old_ref), new(new_ref)
                keys = (set(old_info.keys()) | set(new_info.keys())) - _INFO_KEYS_LTV_MAY_CHANGE
                if any(old_info.get(k) != new_info.get(k) for k in keys):
                    return  # nothing whitelisted: the change counts as a modification
            yield from super().apply(old, new)

    return InfoDateOnlyRule()


def licence_diff_policy() -> Any:
    """pyHanko's default difference policy without the rule that allows editing the XMP
    metadata after signing. Adding validation data (DSS) and document timestamps stays
    allowed (long-term validation), and so is a new modification date or producer in the
    document information dictionary (/Info), because pyHanko's own LTV update rewrites
    the date whenever it runs in a later second than the signature. Any other /Info
    change (title, keywords: part of what was issued) stays a modification."""
    from pyhanko.sign import diff_analysis as d

    return d.StandardDiffPolicy(
        global_rules=[
            d.CatalogModificationRule(),
            d.XrefStreamRule().as_qualified(d.ModificationLevel.LTA_UPDATES),
            d.ObjectStreamRule().as_qualified(d.ModificationLevel.LTA_UPDATES),
            d.DSSCompareRule().as_qualified(d.ModificationLevel.LTA_UPDATES),
            _info_date_rule().as_qualified(d.ModificationLevel.LTA_UPDATES),
        ],
        form_rule=d.FormUpdatingRule(
            field_rules=[
                d.SigFieldCreationRule(),
                d.SigFieldModificationRule(),
                d.GenericFieldModificationRule(),
            ],
        ),
    )


def check_pdf(pdf: bytes, foreign_roots: Any = None) -> PdfCheck:
    """Validate the first signature of `pdf` with pyHanko against the registered roots
    (or, for another node's licence, the roots its trust-list entry publishes): intact,
    trusted, and nothing but long-term-validation data added after it."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception:  # any parse error of an untrusted file means "not our document"
        return PdfCheck(False, ["pdf_unreadable"])
    if not signatures:
        return PdfCheck(False, ["pdf_not_signed"])
    try:
        status = validate_pdf_signature(
            signatures[0],
            ValidationContext(trust_roots=trust_roots(foreign_roots)),
            diff_policy=licence_diff_policy(),
        )
    except Exception:
        return PdfCheck(False, ["pdf_signature_unverifiable"])
    problems = []
    if not status.intact or not status.valid:
        problems.append("pdf_signature_broken")
    if not status.trusted:
        problems.append("pdf_signer_untrusted")
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append("pdf_partially_signed")
    level = status.modification_level
    if status.docmdp_ok is False or level is None or level > ModificationLevel.LTA_UPDATES:
        problems.append("pdf_modified_after_signing")
    serial = f"{status.signing_cert.serial_number:x}" if status.signing_cert else ""
    return PdfCheck(not problems, problems, serial)
