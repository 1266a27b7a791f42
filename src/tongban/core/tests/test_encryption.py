"""Personal data encrypted at rest (ADR 0098): the cipher, the blind index, the field's
refusal of SQL look-ups, and a key rotation that re-encrypts every row and loses nothing."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from tongban.accounts.identifiers import make_id_number
from tongban.accounts.models import Applicant, User
from tongban.cases.models import Case, Shipment
from tongban.consultations.models import Consultation
from tongban.core import crypto, keyrotation
from tongban.core.crypto import DEMO_DATA_KEYS, DataKeyError, blind_index
from tongban.licences.models import Licence

NEW_KEY = "k2027:" + base64.b64encode(b"\x01" * 16).decode()
NEWER_KEY = "k2028:" + base64.b64encode(b"\x02" * 16).decode()


def raw(model: type[models.Model], pk: Any, column: str) -> str:
    """The stored text of a column, as the database holds it (no field conversion)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


# --- the primitives ----------------------------------------------------------------------


def test_sm4_gcm_matches_the_rfc_8998_test_vector():
    """The cipher really is SM4-GCM (RFC 8998 appendix A.1), not something named so."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    assert ciphertext.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_hmac_sm3_is_keyed_sm3():
    """HMAC-SM3 through `cryptography` equals RFC 2104 over gmssl's independent SM3."""
    import hmac as std_hmac

    from gmssl import sm3

    class Sm3:
        digest_size, block_size, name = 32, 64, "sm3"

        def __init__(self, data: bytes = b"") -> None:
            self.data = data

        def update(self, data: bytes) -> None:
            self.data += data

        def copy(self) -> Sm3:
            return Sm3(self.data)

        def digest(self) -> bytes:
            return bytes.fromhex(sm3.sm3_hash(list(self.data)))

        def hexdigest(self) -> str:
            return self.digest().hex()

    key = crypto.keyring().blind_index_key
    mac = std_hmac.new(key, b"identifier\x00110101199003071234", Sm3)  # type: ignore[arg-type]
    expected = mac.hexdigest()
    assert blind_index("identifier", "110101199003071234") == expected


def test_encrypt_round_trip_random_nonce_and_key_id():
    first = crypto.encrypt("湖北省黄冈市黄州区赤壁大道1号", "accounts.applicant.address")
    second = crypto.encrypt("湖北省黄冈市黄州区赤壁大道1号", "accounts.applicant.address")
    assert first != second  # a fresh nonce per value: equal values do not show
    assert first.startswith("tb1$demo$")
    assert crypto.key_id_of(first) == "demo"
    assert "黄州" not in first
    assert crypto.decrypt(first, "accounts.applicant.address") == "湖北省黄冈市黄州区赤壁大道1号"


def test_a_ciphertext_opens_only_in_its_own_column_and_untampered():
    value = crypto.encrypt("13800138000", "accounts.applicant.phone")
    with pytest.raises(DataKeyError, match="fails authentication"):
        crypto.decrypt(value, "consultations.consultation.asker_phone")
    body = base64.urlsafe_b64decode(value.split("$")[2])
    flipped = body[:-1] + bytes([body[-1] ^ 1])
    tampered = "tb1$demo$" + base64.urlsafe_b64encode(flipped).decode()
    with pytest.raises(DataKeyError, match="fails authentication"):
        crypto.decrypt(tampered, "accounts.applicant.phone")
    with pytest.raises(DataKeyError, match="malformed"):
        crypto.decrypt("tb1$demo$AAAA", "accounts.applicant.phone")


def test_unknown_key_id_is_a_configuration_error(settings):
    value = crypto.encrypt("13800138000", "accounts.applicant.phone")
    settings.TONGBAN_DATA_KEYS = NEW_KEY
    with pytest.raises(DataKeyError, match="'demo' is not configured"):
        crypto.decrypt(value, "accounts.applicant.phone")


def test_blind_index_normalises_and_depends_on_its_key(settings):
    upper = blind_index("identifier", "11010119900307123X")
    assert blind_index("identifier", " 11010119900307123x ") == upper
    assert blind_index("phone", "138 0013-8000") == blind_index("phone", "13800138000")
    assert blind_index("identifier", "") == "" and blind_index("phone", "--") == ""
    assert blind_index("phone", "13800138000") != blind_index("identifier", "13800138000")
    settings.TONGBAN_BLIND_INDEX_KEY = base64.b64encode(b"o" * 32).decode()
    assert blind_index("identifier", "11010119900307123X") != upper
    # the blind index key is not the data key: changing data keys keeps the index
    settings.TONGBAN_BLIND_INDEX_KEY = crypto.DEMO_BLIND_INDEX_KEY
    settings.TONGBAN_DATA_KEYS = NEW_KEY
    assert blind_index("identifier", "11010119900307123X") == upper


# --- the field ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_applicant_is_stored_encrypted_and_read_clear():
    id_number = make_id_number("421102", dt.date(1990, 3, 7), 17)
    applicant = Applicant.objects.create(
        kind="person",
        name="赵敏",
        id_number=id_number,
        phone="13912345678",
        email="zhaomin@example.cn",
        address="湖北省黄冈市黄州区东门路8号",
    )
    for column in ("id_number", "phone", "email", "address"):
        stored = raw(Applicant, applicant.pk, column)
        assert stored.startswith("tb1$demo$"), column
        assert getattr(applicant, column) not in stored
    assert raw(Applicant, applicant.pk, "id_number_index") == blind_index("identifier", id_number)
    assert raw(Applicant, applicant.pk, "agent_id_number_index") == ""
    again = Applicant.objects.get(pk=applicant.pk)
    assert (again.id_number, again.phone, again.email, again.address) == (
        id_number,
        "13912345678",
        "zhaomin@example.cn",
        "湖北省黄冈市黄州区东门路8号",
    )
    assert again.masked_identifier == id_number[:3] + "*" * 11 + id_number[-4:]
    # the index follows a changed value
    again.id_number = make_id_number("421102", dt.date(1990, 3, 7), 18)
    again.save()
    assert raw(Applicant, applicant.pk, "id_number_index") == blind_index(
        "identifier", again.id_number
    )


@pytest.mark.django_db
def test_value_that_looks_like_a_ciphertext_is_still_encrypted():
    applicant = Applicant.objects.create(
        kind="person", name="钱", id_number="110101199003071234", address="tb1$demo$AAAA"
    )
    assert raw(Applicant, applicant.pk, "address") != "tb1$demo$AAAA"
    assert Applicant.objects.get(pk=applicant.pk).address == "tb1$demo$AAAA"


@pytest.mark.django_db
def test_sql_lookups_on_encrypted_columns_are_refused():
    with pytest.raises(FieldError, match="blind index"):
        Applicant.objects.filter(id_number="110101199003071234").exists()
    for lookup in ("id_number__icontains", "phone__startswith", "address__iexact"):
        with pytest.raises(FieldError):
            Applicant.objects.filter(**{lookup: "1"}).exists()
    # blank checks stay possible: they are what the check constraints use
    assert not Applicant.objects.filter(kind="person", id_number="").exists()
    assert Applicant.objects.filter(phone__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_person_per_id_number_through_the_blind_index():
    Applicant.objects.create(kind="person", name="孙", id_number="11010119900307123X")
    with pytest.raises(IntegrityError), transaction.atomic():
        # the same number written with a lower-case check letter is the same person
        Applicant.objects.create(kind="person", name="孙", id_number="11010119900307123x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(kind="person", name="无号", id_number="")


@pytest.mark.django_db
def test_saving_a_value_without_its_index_is_refused():
    applicant = Applicant.objects.create(kind="person", name="郑", id_number="110101199003071234")
    applicant.id_number = "110101199003075678"
    with pytest.raises(FieldError, match="id_number_index"):
        applicant.save(update_fields=["id_number"])
    applicant.save(update_fields=["id_number", "id_number_index"])
    assert Applicant.objects.get(id_number_index=blind_index("identifier", "110101199003075678"))


@pytest.mark.django_db
def test_bulk_create_fills_the_blind_index():
    made = Applicant.objects.bulk_create(
        [
            Applicant(kind="person", name=f"批{i}", id_number=f"11010119900307{i:04d}")
            for i in range(3)
        ]
    )
    for applicant in Applicant.objects.filter(pk__in=[a.pk for a in made]):
        assert applicant.id_number_index == blind_index("identifier", applicant.id_number)


# --- rotation and migration ----------------------------------------------------------------


@pytest.fixture
def personal_data(world, settings, tmp_path) -> dict[str, Any]:
    """One row of every model with encrypted columns, through the real issuing path where
    there is one (licence), plus a row left in clear text as before the migration."""
    from tongban.testing.licences import issue_signed, make_case, use_test_pki

    use_test_pki(settings, tmp_path)
    person = world.applicants["person"]
    person.phone, person.address = "13807130000", "湖北省黄冈市黄州区赤壁大道1号"
    person.save()
    clerk = world.user("421102-clerk")
    clerk.phone = "027-8888 0000"
    clerk.save()
    case = make_case(world, status="approved", applicant="person")
    case.delivery_address = "湖北省武汉市洪山区珞喻路1号"
    case.save()
    Shipment.objects.create(
        case=case,
        purpose="result",
        destination="applicant",
        carrier="EMS",
        waybill_number="E1",
        address="湖北省武汉市洪山区珞喻路1号",
        shipped_at=timezone.now(),
    )
    Consultation.objects.create(
        channel="hotline",
        jurisdiction=world.jurisdictions["421102"],
        topic="户籍",
        question="如何办理?",
        asker_name="周",
        asker_phone="13900000000",
        recorded_by=clerk,
        asked_at=timezone.now(),
    )
    issue_signed(case, world.user("420100Z01-officer"))
    # a row written before encryption existed: clear text, no blind index
    legacy = Applicant.objects.create(kind="person", name="旧", id_number="11010119800101002X")
    Applicant.objects.filter(pk=legacy.pk).update(
        id_number=models.Value("11010119800101002X", models.TextField()),
        phone=models.Value("13700000000", models.TextField()),
        id_number_index="",
    )
    return {"legacy": legacy}


def snapshot() -> dict[tuple[str, int, str], str]:
    values = {}
    for model in keyrotation.encrypted_models():
        for row in model._default_manager.all():
            for f in keyrotation.encrypted_fields(model):
                values[(model._meta.label, row.pk, f.attname)] = getattr(row, f.attname)
    return values


@pytest.mark.django_db
def test_every_model_with_personal_data_is_encrypted():
    assert {m._meta.label for m in keyrotation.encrypted_models()} == {
        "accounts.User",
        "accounts.Applicant",
        "cases.Case",
        "cases.Shipment",
        "consultations.Consultation",
        "licences.Licence",
        # message bodies and signed forms between nodes (ADR 0111)
        "federation.OutboundMessage",
        "federation.InboundMessage",
        "federation.RejectedMessage",
    }


@pytest.mark.django_db
def test_rotation_re_encrypts_every_row_and_loses_nothing(personal_data, settings):
    before = snapshot()
    # an empty application form ({}) is stored as a ciphertext too
    non_empty = sum(1 for v in before.values() if v not in ("", None))
    assert keyrotation.key_usage()[""] == 2  # the legacy row's id_number and phone
    licence = Licence.objects.get()
    assert licence.holder_identifier == Applicant.objects.get(name="李明").id_number
    # the signed data names the holder's ID number: stored encrypted, read as a document
    assert licence.data["holder"]["identifier"] == licence.holder_identifier
    assert licence.holder_identifier not in raw(Licence, licence.pk, "data")

    settings.TONGBAN_DATA_KEYS = f"{NEW_KEY},{DEMO_DATA_KEYS}"
    out = io.StringIO()
    call_command("rotate_data_key", "--batch-size", "2", stdout=out)
    assert "older keys may be removed" in out.getvalue()
    assert keyrotation.key_usage() == {"k2027": non_empty}

    # the old key can go: everything still decrypts to what it was
    settings.TONGBAN_DATA_KEYS = NEW_KEY
    assert snapshot() == before
    legacy = Applicant.objects.get(pk=personal_data["legacy"].pk)
    assert legacy.id_number_index == blind_index("identifier", "11010119800101002X")
    for model in keyrotation.encrypted_models():
        for f in keyrotation.encrypted_fields(model):
            for pk in model._default_manager.values_list("pk", flat=True):
                stored = raw(model, pk, str(f.column))
                assert stored == "" or stored.startswith("tb1$k2027$"), (model, f.name)

    # look-ups and the licence's signature check work after the rotation
    from tongban.licences.selectors import _stored_problems

    assert _stored_problems(Licence.objects.get()) == []
    from tongban.accounts.selectors import find_applicant
    from tongban.licences.selectors import valid_licences_of

    person = find_applicant(before[("accounts.Applicant", legacy.pk, "id_number")].lower())
    assert person is not None and person.pk == legacy.pk
    assert valid_licences_of(Applicant.objects.get(name="李明")).count() == 1

    # a second run finds nothing to do
    assert all(r.rotated == 0 for r in keyrotation.rotate_all())

    # the licence stayed append-only: the rotation put its trigger back
    from django.db import connection

    from tongban.core import guards

    assert guards.missing(connection, django_apps) == []
    with pytest.raises(DatabaseError), transaction.atomic():
        Licence.objects.filter(pk=licence.pk).update(holder_name="改名")


@pytest.mark.django_db
def test_rotation_is_resumable_and_reports_what_remains(personal_data, settings):
    before = snapshot()
    settings.TONGBAN_DATA_KEYS = f"{NEWER_KEY},{DEMO_DATA_KEYS}"
    partial = keyrotation.rotate_model(Applicant, batch_size=1, limit=1)
    assert partial.rotated == 1 and partial.remaining == Applicant.objects.count() - 1
    out = io.StringIO()
    call_command("rotate_data_key", "--check", stdout=out)
    assert "still in use besides k2028" in out.getvalue()
    assert keyrotation.rotate_model(Applicant).rotated == partial.remaining
    assert keyrotation.rotate_model(Applicant).rotated == 0
    assert snapshot() == before


@pytest.mark.django_db
def test_rotation_stops_on_a_row_no_configured_key_opens(personal_data, settings):
    settings.TONGBAN_DATA_KEYS = NEW_KEY  # the demo key is gone before the rotation ran
    with pytest.raises(DataKeyError):
        keyrotation.rotate_model(Applicant)


@pytest.mark.django_db
def test_migration_reverse_writes_clear_text_back(personal_data):
    person = Applicant.objects.get(name="李明")
    keyrotation.decrypt_in_place(Applicant)
    assert raw(Applicant, person.pk, "id_number") == person.id_number
    assert raw(Applicant, person.pk, "phone") == "13807130000"
    # and forward again
    keyrotation.rotate_model(Applicant)
    assert raw(Applicant, person.pk, "id_number").startswith("tb1$demo$")
    assert Case.objects.exists() and User.objects.exists()
