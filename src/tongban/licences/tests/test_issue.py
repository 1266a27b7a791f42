from __future__ import annotations

import base64
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from stdnum.iso7064 import mod_37_36

from tongban.core.errors import Conflict, Forbidden, Invalid, NotFound
from tongban.core.models import AuditEvent
from tongban.licences import actions, pki
from tongban.licences.identifiers import parse_identifier
from tongban.licences.models import Licence, SigningKey
from tongban.licences.signing import canonical_json, verify_data
from tongban.testing.licences import issue_signed, make_case


def test_issued_licence_is_signed_and_well_formed(licence, approved_case, world):
    department = world.implementations[("company", "420100Z01")].department
    parsed = parse_identifier(licence.identifier)
    assert parsed.issuer_uscc == department.uscc
    assert parsed.licence_type_code == "11100000000000001"
    assert parsed.version == 1
    assert mod_37_36.is_valid(licence.identifier.replace(".", ""))
    assert licence.status == Licence.Status.VALID
    assert licence.case == approved_case
    assert licence.holder == world.applicants["enterprise"]
    assert licence.issuing_jurisdiction == world.donghu
    assert licence.algorithm == "RSA-SHA256"
    assert licence.data["identifier"] == licence.identifier
    assert licence.data["fields"]["统一社会信用代码"] == world.applicants["enterprise"].uscc
    assert verify_data(licence.signing_key, licence.algorithm, licence.data, licence.data_signature)
    assert bytes(licence.pdf).startswith(b"%PDF")
    audit = AuditEvent.objects.get(action="licence.issue", object_id=str(licence.pk))
    assert licence.identifier in audit.summary


def test_data_signature_is_over_canonical_json(licence):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    message = canonical_json(licence.data)
    assert b'", "' not in message and b'": ' not in message  # no insignificant whitespace
    assert message == canonical_json(dict(reversed(list(licence.data.items()))))
    assert message.decode("utf-8").startswith('{"case_number":')
    public = serialization.load_pem_public_key(licence.signing_key.public_key.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(  # raises InvalidSignature if not
        base64.b64decode(licence.data_signature), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_pyhanko_validation_api_accepts_the_pdf_signature(licence, settings):
    root = load_cert_from_pemder(str(pki.paths().root_cert))
    reader = PdfFileReader(io.BytesIO(bytes(licence.pdf)))
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.bottom_line, status.pretty_print_details()
    assert status.trusted and status.intact and status.valid
    assert f"{status.signing_cert.serial_number:x}" == licence.certificate_serial
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_pyhanko_validation_rejects_an_untrusted_root(licence, tmp_path):
    other = pki.paths(tmp_path)
    pki.ensure_root(other, b"x", "ecdsa")
    reader = PdfFileReader(io.BytesIO(bytes(licence.pdf)))
    root = load_cert_from_pemder(str(other.root_cert))
    status = validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=[root])
    )
    assert status.intact and not status.trusted and not status.bottom_line


def test_pyhanko_cli_accepts_the_pdf(licence, tmp_path):
    cli = shutil.which("pyhanko") or str(Path(sys.executable).with_name("pyhanko"))
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(bytes(licence.pdf))
    root = str(pki.paths().root_cert)
    run = subprocess.run(
        [cli, "sign", "validate", "--trust", root, "--trust-replace", str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "INTACT:TRUSTED" in run.stdout
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(licence.pdf)
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    run = subprocess.run(
        [cli, "sign", "validate", "--trust", root, "--trust-replace", str(tampered)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 or "INTACT:TRUSTED" not in run.stdout


def test_pdf_text_shows_the_licence(licence, world):
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(licence.pdf))).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "营业执照" in compact
    assert licence.identifier in compact
    assert world.applicants["enterprise"].name in compact
    assert "东湖市场监督管理局" in compact


def test_serials_run_per_issuer_and_reissue_bumps_the_version(pki, world):
    officer = world.user("420100Z01-officer")
    first_case = make_case(world, status="approved")
    first = issue_signed(first_case, officer)
    second = issue_signed(make_case(world, status="approved"), officer)
    other = issue_signed(
        make_case(world, status="approved", handling="420703400", receiving="420100Z01"),
        world.user("420703400-officer"),
    )
    assert int(second.serial) == int(first.serial) + 1
    assert other.serial == first.serial  # another issuer: its own counter
    assert other.issuer_uscc != first.issuer_uscc
    assert issue_signed(first_case, officer).pk == first.pk  # idempotent
    actions.revoke_licence(world.user("420100Z01-head"), first, "登记事项有误")
    reissued = issue_signed(first_case, officer)
    assert reissued.pk != first.pk
    assert (reissued.serial, reissued.version) == (first.serial, 2)
    assert reissued.identifier.split(".")[-2] == "002"


def test_extra_fields_and_event_fields_are_signed(pki, world):
    from tongban.testing.licences import add_event

    case = make_case(world, status="approved")
    add_event(case, "approve", data={"licence_fields": {"法定代表人": "卫敏"}})
    licence = issue_signed(case, world.user("420100Z01-officer"), fields={"注册资本": "100万元"})
    assert licence.data["fields"]["法定代表人"] == "卫敏"
    assert licence.data["fields"]["注册资本"] == "100万元"
    with pytest.raises(Invalid):
        issue_signed(
            make_case(world, status="approved"), None, fields={"x" * 40: "too long a name"}
        )


def test_not_a_licence_item_is_refused(pki, world):
    implementation = world.implementations[("company", "420100Z01")]
    implementation.licence_type_code = ""
    implementation.save()
    with pytest.raises(Invalid) as error:
        issue_signed(make_case(world, status="approved"), None)
    assert error.value.code == "not_a_licence_item"
    assert not Licence.objects.exists()


def test_without_pki_nothing_is_issued(world, settings, tmp_path):
    settings.TONGBAN_PKI_DIR = tmp_path / "empty"
    with pytest.raises(Conflict) as error:
        issue_signed(make_case(world, status="approved"), None)
    assert error.value.code == "pki_not_configured"
    assert error.value.status == 409
    assert not Licence.objects.exists()


def test_sm2_profile_signs_data_with_sm2(pki, world):
    actions.set_data_signature_algorithm(world.user("platform-admin"), world.donghu, "sm2-sm3")
    licence = issue_signed(make_case(world, status="approved"), None)
    assert licence.algorithm == "SM2-SM3"
    assert licence.signing_key.kind == SigningKey.Kind.SM2
    assert len(base64.b64decode(licence.data_signature)) == 64
    assert verify_data(licence.signing_key, "SM2-SM3", licence.data, licence.data_signature)
    changed = {**licence.data, "licence_name": "伪造"}
    assert not verify_data(licence.signing_key, "SM2-SM3", changed, licence.data_signature)
    # the PDF stays PAdES with the X.509 key
    reader = PdfFileReader(io.BytesIO(bytes(licence.pdf)))
    assert len(reader.embedded_signatures) == 1


def test_only_admins_choose_the_algorithm(pki, world):
    with pytest.raises(Forbidden):
        actions.set_data_signature_algorithm(
            world.user("420100Z01-officer"), world.donghu, "sm2-sm3"
        )
    with pytest.raises(NotFound):
        actions.set_data_signature_algorithm(world.user("421102-admin"), world.donghu, "sm2-sm3")
    with pytest.raises(Invalid):
        actions.set_data_signature_algorithm(world.user("420100Z01-admin"), world.donghu, "md5")
    profile = actions.set_data_signature_algorithm(
        world.user("420100Z01-admin"), world.donghu, "sm2-sm3"
    )
    assert profile.data_algorithm == "sm2-sm3"
    assert AuditEvent.objects.filter(action="pki.set_data_algorithm").count() == 1


# ---- what an issuance reads, in few statements (ADR 0140) -------------------------------


def test_a_deactivated_or_rotated_signer_is_seen_by_the_next_issuance(pki, world):
    """The issuance's facts are a prepared statement, not a cache: a signer switched off
    between two issuances on the same connection stops the second at once."""
    first = issue_signed(make_case(world, status="approved"), None)
    assert first.status == Licence.Status.VALID
    SigningKey.objects.filter(
        kind=SigningKey.Kind.X509, jurisdiction=world.donghu, active=True
    ).update(active=False)
    with pytest.raises(Conflict) as error:
        actions.issue_licence_for_case(make_case(world, status="approved"), None)
    assert error.value.code == "pki_not_configured"
    assert Licence.objects.count() == 1


def test_a_changed_profile_is_seen_by_the_next_issuance(pki, world):
    assert issue_signed(make_case(world, status="approved"), None).algorithm != "SM2-SM3"
    actions.set_data_signature_algorithm(world.user("platform-admin"), world.donghu, "sm2-sm3")
    issued = actions.issue_licence_for_case(make_case(world, status="approved"), None)
    assert issued.algorithm == "sm2-sm3"  # the profile's choice until the worker signs


def test_the_latest_decision_with_fields_is_the_one_printed(pki, world):
    from tongban.testing.licences import add_event

    case = make_case(world, status="approved")
    add_event(case, "approve", data={"licence_fields": {"法定代表人": "卫敏"}})
    add_event(case, "issue_result", data={"licence_fields": {"法定代表人": "高岚"}})
    add_event(case, "approve")  # no data: not a decision with fields
    add_event(case, "check", data={"licence_fields": {"法定代表人": "别人"}})
    licence = actions.issue_licence_for_case(case, None)
    assert licence.data["fields"]["法定代表人"] == "高岚"


def test_an_issuance_of_a_case_with_a_licence_returns_it_locked(pki, world):
    case = make_case(world, status="approved")
    issued = actions.issue_licence_for_case(case, None)
    again = actions.issue_licence_for_case(case, None)
    assert again.pk == issued.pk
    assert again.status == Licence.Status.SIGNING
    assert Licence.objects.filter(case=case).count() == 1


def test_a_rolled_back_issuance_gives_its_serial_back(pki, world):
    from django.db import transaction

    officer = world.user("420100Z01-officer")
    first = actions.issue_licence_for_case(make_case(world, status="approved"), officer)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.issue_licence_for_case(make_case(world, status="approved"), officer)
        raise RuntimeError("the case action failed after the issuance")
    after = actions.issue_licence_for_case(make_case(world, status="approved"), officer)
    assert int(after.serial) == int(first.serial) + 1
    assert after.serial[:4] == first.serial[:4]


def test_the_licence_insert_is_kept_and_writes_what_django_writes(pki, world):
    """Licence keeps its INSERT per shape (core/prepared.PreparedSaves): the second
    issuance reuses it, and both rows read back as they were written, the encrypted
    holder, its blind index and the (empty, until signed) PDF included."""
    from django.db import connections

    from tongban.core.crypto import blind_index

    issued = [actions.issue_licence_for_case(make_case(world, status="approved"), None)]
    issued.append(actions.issue_licence_for_case(make_case(world, status="approved"), None))
    writes = vars(connections["default"])["_tongban_prepared_writes"]
    kept = [w for shape, w in writes.items() if shape[:2] == ("insert", Licence)]
    assert kept and all(write.usable for write in kept)
    for licence in issued:
        stored = Licence.objects.get(pk=licence.pk)
        assert stored.holder_identifier == licence.holder_identifier != ""
        assert stored.holder_identifier_index == blind_index(
            "identifier", licence.holder_identifier
        )
        assert stored.data == licence.data
        assert bytes(stored.pdf) == b""
        assert (stored.serial, stored.version, stored.status) == (
            licence.serial,
            1,
            Licence.Status.SIGNING,
        )
