from __future__ import annotations

import base64
import copy
import io
import time

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tongban.licences import actions
from tongban.licences.models import Licence
from tongban.licences.selectors import valid_licences_of, verify_licence
from tongban.testing.licences import issue_signed, make_case


def _marriage_case(world):
    implementation = world.implementations[("marriage", "420100Z01")]
    implementation.licence_type_code = "11100000000000016"
    implementation.save()
    return make_case(world, item="marriage", status="approved", applicant="person")


def _incremental_update(pdf: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_fresh_licence_is_valid(licence):
    result = verify_licence(licence.identifier)
    assert result.status == "valid", result.problems
    assert result.licence == licence
    public = result.public_fields()
    assert public["identifier"] == licence.identifier
    assert public["issuer_name"] == "东湖市场监督管理局"
    assert verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf)).status == "valid"
    assert verify_licence(licence.identifier, data={"data": licence.data}).status == "valid"
    supplied = {"data": copy.deepcopy(licence.data), "signature": licence.data_signature}
    assert verify_licence(licence.identifier, data=supplied).status == "valid"


def test_person_names_are_masked_in_public_fields(pki, world):
    licence = issue_signed(_marriage_case(world), None)
    public = verify_licence(licence.identifier).public_fields()
    assert public["holder_name"] == "李*"
    assert world.applicants["person"].id_number not in str(public)


@pytest.mark.parametrize(
    "licence_id",
    ["", "nonsense", "1.2.156.3005.2.111.91420100MA4K00001X.2025000001.001.Z"],
)
def test_unknown_identifiers(licence, licence_id):
    result = verify_licence(licence_id)
    assert result.status == "unknown"
    assert result.licence is None and result.public_fields() == {}


def test_a_well_formed_identifier_that_was_never_issued_is_unknown(licence):
    from tongban.licences.identifiers import make_identifier

    never = make_identifier(licence.licence_type_code, licence.issuer_uscc, "2099999999", 1)
    assert verify_licence(never).status == "unknown"


def test_revoked_licence(licence, world):
    actions.revoke_licence(world.user("420100Z01-head"), licence, "以欺骗手段取得")
    result = verify_licence(licence.identifier)
    assert result.status == "revoked"
    assert result.public_fields()["revocation_reason"] == "以欺骗手段取得"
    assert result.public_fields()["revoked_at"] is not None
    # a revoked licence's untouched PDF is still authentic, and still revoked
    assert verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf)).status == "revoked"


@pytest.mark.parametrize("where", [0.1, 0.35, 0.5, 0.8])
def test_any_changed_byte_in_the_pdf_is_tampering(licence, where):
    pdf = bytearray(licence.pdf)
    position = int(len(pdf) * where)
    pdf[position] = (pdf[position] + 1) % 256
    result = verify_licence(licence.identifier, pdf_bytes=bytes(pdf))
    assert result.status == "tampered"
    assert "pdf_differs_from_issued" in result.problems


def test_an_incremental_update_changing_content_is_tampering(licence):
    def retitle(writer):
        info = writer.trailer["/Info"].get_object()
        info["/Title"] = generic.TextStringObject("伪造的营业执照")
        writer.update_container(info)

    def new_page_text(writer):
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 40 Tf 100 100 Td (FAKE) Tj ET")
        ref = writer.add_object(stream)
        page["/Contents"] = generic.ArrayObject([page["/Contents"], ref])
        writer.update_container(page)

    for change in (retitle, new_page_text):
        altered = _incremental_update(bytes(licence.pdf), change)
        assert altered.startswith(bytes(licence.pdf))  # the signed revision is untouched
        result = verify_licence(licence.identifier, pdf_bytes=altered)
        assert result.status == "tampered", change.__name__
        assert "pdf_modified_after_signing" in result.problems


def test_garbage_and_unsigned_pdfs_are_tampering(licence):
    assert verify_licence(licence.identifier, pdf_bytes=b"not a pdf").status == "tampered"
    from tongban.licences.rendering import render_licence_pdf

    unsigned = render_licence_pdf(licence.data)
    result = verify_licence(licence.identifier, pdf_bytes=unsigned)
    assert result.status == "tampered"
    assert "pdf_not_signed" in result.problems


def test_another_licences_pdf_does_not_verify_this_one(pki, world, licence):
    other = issue_signed(make_case(world, status="approved"), None)
    assert verify_licence(other.identifier, pdf_bytes=bytes(other.pdf)).status == "valid"
    result = verify_licence(licence.identifier, pdf_bytes=bytes(other.pdf))
    assert result.status == "tampered"


def test_altered_data_is_tampering(licence):
    data = copy.deepcopy(licence.data)
    data["fields"]["名称"] = "另一家公司"
    assert verify_licence(licence.identifier, data={"data": data}).status == "tampered"
    # a signature made by anyone else does not help
    forged = {"data": data, "signature": base64.b64encode(b"\0" * 256).decode()}
    result = verify_licence(licence.identifier, data=forged)
    assert result.status == "tampered"
    assert {"data_differs_from_issued", "data_signature_invalid"} <= set(result.problems)
    # the bare data (without the wrapper) is accepted as well
    assert verify_licence(licence.identifier, data=copy.deepcopy(licence.data)).status == "valid"
    broken = {"data": licence.data, "signature": "***"}
    assert verify_licence(licence.identifier, data=broken).status == "tampered"


def test_a_changed_database_record_is_tampering(licence):
    # the database refuses the change (ADR 0092); the table owner can switch that off
    from tongban.integrity.testing import unguarded

    with unguarded("licences_licence"):
        Licence.objects.filter(pk=licence.pk).update(holder_name="别人")
    assert verify_licence(licence.identifier).status == "tampered"
    with unguarded("licences_licence"):
        Licence.objects.filter(pk=licence.pk).update(
            holder_name=licence.holder_name, data={**licence.data, "licence_name": "伪造"}
        )
    result = verify_licence(licence.identifier)
    assert result.status == "tampered"


def test_sm2_signed_data_tampering_is_detected(pki, world):
    actions.set_data_signature_algorithm(world.user("platform-admin"), world.donghu, "sm2-sm3")
    licence = issue_signed(make_case(world, status="approved"), None)
    assert verify_licence(licence.identifier, data={"data": licence.data}).status == "valid"
    data = copy.deepcopy(licence.data)
    data["issued_on"] = "2000-01-01"
    assert verify_licence(licence.identifier, data={"data": data}).status == "tampered"


def test_old_licences_verify_after_a_key_rotation(pki, world, licence, settings):
    from tongban.licences import pki as pki_module

    paths = pki_module.paths()
    for path in (paths.signer_cert("420100Z01"), paths.signer_key("420100Z01")):
        path.rename(path.with_suffix(".old"))
    try:
        report = actions.setup_pki(None)
        assert str(paths.signer_cert("420100Z01")) in report.created_files
        new = issue_signed(make_case(world, status="approved"), None)
        assert new.certificate_serial != licence.certificate_serial
        assert verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf)).status == "valid"
        assert verify_licence(new.identifier, pdf_bytes=bytes(new.pdf)).status == "valid"
    finally:
        for path in (paths.signer_cert("420100Z01"), paths.signer_key("420100Z01")):
            path.unlink(missing_ok=True)
            path.with_suffix(".old").rename(path)


def test_valid_licences_of_an_applicant_across_jurisdictions(pki, world):
    enterprise = world.applicants["enterprise"]
    in_donghu = issue_signed(make_case(world, status="approved"), None)
    elsewhere = issue_signed(
        make_case(world, status="approved", handling="420703400", receiving="420100Z01"), None
    )
    revoked = issue_signed(make_case(world, status="approved"), None)
    actions.revoke_licence(world.user("platform-admin"), revoked, "注销")
    issue_signed(_marriage_case(world), None)
    assert set(valid_licences_of(enterprise)) == {in_donghu, elsewhere}
    assert not valid_licences_of(world.applicants["other"]).exists()


def test_adding_long_term_validation_data_is_not_tampering(licence):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import add_validation_info
    from pyhanko_certvalidator import ValidationContext

    from tongban.licences import pki

    root = load_cert_from_pemder(str(pki.paths().root_cert))
    reader = PdfFileReader(io.BytesIO(bytes(licence.pdf)))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    # in a later second than the signature pyHanko also rewrites /Info's ModDate: the
    # verifier must accept that (it once did not, and this test was flaky)
    time.sleep(1.1)
    output = add_validation_info(reader.embedded_signatures[0], context, force_write=True)
    with_dss = output.getvalue()
    assert len(with_dss) > len(licence.pdf) and b"/DSS" in with_dss
    result = verify_licence(licence.identifier, pdf_bytes=with_dss)
    assert result.status == "valid", result.problems
