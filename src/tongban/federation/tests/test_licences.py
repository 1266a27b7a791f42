"""Licences across nodes (ADR 0132): a licence Henan's node signs for a replica case goes
back to Hubei's node as a signed message; Hubei believes it only through the trust list
(the licence roots Henan's entry publishes), keeps it for the case's applicant, and its
verification, 我的证照, 就近取证 and 免提交 work on it — until the list stops vouching.

Both "nodes" are this test process (`act_as`). The licence is signed first with Henan's
licence PKI in this database, its message body taken, then the licence and every key
deleted: what stays is Hubei's view, where Henan's root is no registered key."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from django.db import transaction

from tongban.cases.actions import ActionInput, perform_case_action
from tongban.cases.actions.materials import licences_standing_in
from tongban.cases.tests.conftest import ApiClient
from tongban.core.errors import DomainError
from tongban.federation import agreements as fed_agreements
from tongban.federation import envelope
from tongban.federation.licences import licence_body
from tongban.federation.models import (
    AgreementCheck,
    CaseReplica,
    InboundMessage,
    OutboundMessage,
    RejectedMessage,
)
from tongban.federation.testing import PASSPHRASE, act_as, make_federation, node_identity
from tongban.licences import pki as licence_pki
from tongban.licences.actions import revoke_licence
from tongban.licences.models import Licence, SigningKey
from tongban.licences.selectors import VerificationStatus, own_licences, verify_licence
from tongban.notifications.models import OutboxMessage
from tongban.testing.licences import issue_signed, make_case, use_test_pki

NODES: dict[str, dict[str, Any]] = {
    "hubei": {"name": "湖北", "jurisdictions": ["421102", "420703400", "420205", "420115"]},
    "henan": {"name": "东湖节点", "jurisdictions": ["420100Z01"]},
}
BUSINESS_LICENCE = "11100000000000001"


@pytest.fixture(scope="session")
def henan_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Henan's licence PKI files, made once per session (key generation is slow)."""
    return tmp_path_factory.mktemp("henan-pki")


@pytest.fixture
def split(settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any) -> Path:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("licences")
    make_federation(directory, {}, NODES)
    return directory


def _root(directory: Path) -> x509.Certificate:
    return licence_pki.load_certificate(licence_pki.paths(directory).root_cert)


def _trust(split: Path, roots: list[x509.Certificate], **kwargs: Any) -> None:
    """A new trust list in which Henan publishes `roots` as its licence roots."""
    make_federation(split, {}, NODES, licence_roots={"henan": roots}, **kwargs)


def _confirm(world: Any, peer: str) -> None:
    AgreementCheck.objects.update_or_create(
        peer=peer,
        agreement_code=world.agreement.code,
        agreement_version=world.agreement.version,
        defaults={
            "fingerprint": fed_agreements.fingerprint(world.agreement),
            "agreed": True,
            "checked_at": dt.datetime.now(dt.UTC),
        },
    )


def _post(client: Any, split: Path, number: str, seq: int, kind: str, body: Any) -> Any:
    claims = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "henan",
        "to": "hubei",
        "kind": kind,
        "case": number,
        "seq": seq,
        "jurisdiction": "420100Z01",
        "agreement": None,
        "created": envelope.iso(dt.datetime.now(dt.UTC)),
        "body": body,
    }
    identity = node_identity(split, "henan", NODES["henan"]["jurisdictions"])
    token = envelope.sign_message(identity, claims, dt.datetime.now(dt.UTC))
    return client.post(
        "/api/v1/federation/messages", {"jws": token}, content_type="application/json"
    )


class _Undo(Exception):
    pass


def _signed_on_henan(settings: Any, world: Any, henan_pki: Path) -> tuple[Any, dict[str, Any]]:
    """A case received at 黄州 (Hubei) and approved at 东湖 (Henan), and the body of the
    `licence.issued` message Henan sends for its licence. Henan's keys, the licence and
    everything its signing wrote are rolled back: this database is Hubei's from here on,
    where Henan's root is no registered key."""
    case = make_case(world, status="approved", applicant="person")
    body: dict[str, Any] = {}
    try:
        with transaction.atomic():
            use_test_pki(settings, henan_pki)
            body.update(licence_body(issue_signed(case, world.user("420100Z01-officer"))))
            raise _Undo
    except _Undo:
        pass
    settings.TONGBAN_PKI_DIR = henan_pki.parent / "no-pki-here"
    assert not SigningKey.objects.exists() and not Licence.objects.exists()
    return case, body


@pytest.mark.django_db
def test_a_licence_signed_on_henan_verifies_on_hubei_through_the_trust_list(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    answer = _post(client, split, case.number, 1, "licence.issued", body)
    assert answer.status_code == 200, answer.json()
    licence = Licence.objects.get(identifier=body["identifier"])
    assert licence.issuing_node == "henan" and licence.case == case
    assert licence.holder == world.applicants["person"] and licence.status == "valid"
    assert licence.signing_key is not None and not licence.signing_key.active  # never signs

    result = verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf))
    assert result.status == VerificationStatus.VALID, result.problems
    assert result.public_fields()["issuing_node"] == "东湖节点"
    api = client.get(f"/api/v1/licences/{licence.identifier}/verify").json()
    assert api["status"] == "valid" and api["licence"]["issuing_node"] == "东湖节点"
    page = client.get(f"/verify/{licence.identifier}")
    assert page.status_code == 200
    assert 'data-testid="issuing-node">东湖节点<' in page.content.decode()

    # Hubei holds the applicant relation: it alone tells the applicant, once
    assert list(OutboxMessage.objects.filter(case=case).values_list("template", flat=True)) == [
        "result_issued"
    ]
    # 我的证照 of the applicant on Hubei; nobody else's
    assert list(own_licences(world.user("applicant-1"))) == [licence]
    assert list(own_licences(world.user("applicant-2"))) == []
    mine = ApiClient(world.user("applicant-1")).get("/me/licences").json()
    assert [row["identifier"] for row in mine["items"]] == [licence.identifier]
    assert ApiClient(None).get("/me/licences").status_code == 401
    # only Henan revokes it
    with pytest.raises(DomainError) as refused:
        revoke_licence(world.user("platform-admin"), licence, "不应在此吊销")
    assert refused.value.code == "issued_on_other_node"

    # the same message again is a duplicate, not a second licence
    assert Licence.objects.filter(identifier=body["identifier"]).count() == 1


@pytest.mark.django_db
def test_henan_withdrawn_from_the_list_or_expired_makes_its_licence_untrusted_and_not_stand_in(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    assert _post(client, split, case.number, 1, "licence.issued", body).status_code == 200
    licence = Licence.objects.get(identifier=body["identifier"])
    clerk = world.user("421102-clerk")
    wanted = [SimpleNamespace(licence_type_code=licence.licence_type_code)]
    # 免提交 on a later case here: the licence stands in for its material
    assert licences_standing_in(clerk, licence.holder, wanted) == {
        licence.licence_type_code: licence
    }

    # the next list no longer publishes Henan's licence root
    _trust(split, [])
    result = verify_licence(licence.identifier)
    assert (result.status, result.problems) == ("untrusted", ["issuing_node_untrusted"])
    assert licences_standing_in(clerk, licence.holder, wanted) == {}
    page = client.get(f"/verify/{licence.identifier}").content.decode()
    assert 'data-status="untrusted"' in page

    # Henan's entry expired
    _trust(
        split,
        [_root(henan_pki)],
        node_valid_to={"henan": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)},
    )
    assert verify_licence(licence.identifier).status == "untrusted"
    assert licences_standing_in(clerk, licence.holder, wanted) == {}

    # vouched for again
    _trust(split, [_root(henan_pki)])
    assert verify_licence(licence.identifier).status == "valid"


@pytest.mark.django_db
def test_a_licence_whose_signer_the_list_does_not_vouch_for_is_refused(
    client: Any,
    settings: Any,
    split: Path,
    world: Any,
    henan_pki: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    case, body = _signed_on_henan(settings, world, henan_pki)
    # the list names a different root for Henan (say, a forged licence's)
    other = tmp_path_factory.mktemp("other-root")
    licence_pki.ensure_root(licence_pki.paths(other), PASSPHRASE.encode(), "ecdsa")
    act_as(settings, split, "hubei")
    _trust(split, [_root(other)])
    refused = _post(client, split, case.number, 1, "licence.issued", body)
    assert refused.status_code == 422
    assert refused.json()["code"] == "foreign_licence_invalid"
    assert not Licence.objects.exists()
    assert RejectedMessage.objects.get().code == "foreign_licence_invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["pdf", "data", "pdf_sha256", "other_jurisdiction"])
def test_a_tampered_licence_is_refused(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path, tamper: str
) -> None:
    import base64
    import hashlib

    case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    expected = {"pdf": 422, "data": 422, "pdf_sha256": 400, "other_jurisdiction": 422}
    if tamper == "pdf":
        pdf = base64.b64decode(body["pdf"]).replace(b"/Keywords", b"/Keyw0rds", 1)
        body["pdf"] = base64.b64encode(pdf).decode()
        body["pdf_sha256"] = hashlib.sha256(pdf).hexdigest()
    elif tamper == "data":
        body["data"]["holder"]["name"] = "张三"
    elif tamper == "pdf_sha256":
        body["pdf_sha256"] = "0" * 64
    else:
        body["data"]["issuer"]["jurisdiction_code"] = "420115"
    refused = _post(client, split, case.number, 1, "licence.issued", body)
    assert refused.status_code == expected[tamper], refused.json()
    assert not Licence.objects.exists()


@pytest.mark.django_db
def test_a_licence_for_a_case_not_received_here_is_refused(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    _case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    refused = _post(client, split, "421102-20991231-000009", 1, "licence.issued", body)
    assert refused.status_code == 400 and refused.json()["code"] == "malformed_message"
    assert not Licence.objects.exists()


@pytest.mark.django_db
def test_henan_revokes_and_hubeis_copy_follows(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    assert _post(client, split, case.number, 1, "licence.issued", body).status_code == 200
    revoked = _post(
        client,
        split,
        case.number,
        2,
        "licence.revoked",
        {
            "identifier": body["identifier"],
            "reason": "以欺骗手段取得",
            "at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    assert revoked.status_code == 200, revoked.json()
    assert verify_licence(body["identifier"]).status == "revoked"
    held = Licence.objects.get(identifier=body["identifier"])
    wanted = [SimpleNamespace(licence_type_code=held.licence_type_code)]
    assert licences_standing_in(world.user("421102-clerk"), held.holder, wanted) == {}


@pytest.mark.django_db
def test_the_licence_is_printed_at_the_receiving_window(
    client: Any, settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    """就近取证: the 黄州 window prints the licence Henan issued, after verifying it through
    the trust list; not once the list stops vouching for Henan."""
    case, body = _signed_on_henan(settings, world, henan_pki)
    act_as(settings, split, "hubei")
    _trust(split, [_root(henan_pki)])
    assert _post(client, split, case.number, 1, "licence.issued", body).status_code == 200
    _confirm(world, "henan")  # the print is the receiving leg's event: it goes to Henan
    case.status = "result_issued"
    case.delivery_method = "window"
    case.save(update_fields=["status", "delivery_method"])
    clerk = world.user("421102-clerk")
    _trust(split, [])
    with pytest.raises(DomainError) as refused:
        perform_case_action(clerk, case.number, "print_licence", ActionInput())
    assert refused.value.code == "licence_failed_verification"
    _trust(split, [_root(henan_pki)])
    perform_case_action(clerk, case.number, "print_licence", ActionInput())
    case.refresh_from_db()
    assert case.status == "awaiting_pickup"


@pytest.mark.django_db
def test_henan_sends_the_licence_of_a_replica_back_and_never_tells_the_applicant(
    settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    act_as(settings, split, "henan")
    _confirm(world, "hubei")
    use_test_pki(settings, henan_pki)
    case = make_case(world, status="approved", applicant="person")
    inbound = InboundMessage.objects.create(
        message_id=str(uuid.uuid4()),
        peer="hubei",
        kind="case.transfer",
        case_ref=case.number,
        seq=1,
        jurisdiction="421102",
        body={},
        digest="0" * 64,
        created_at=dt.datetime.now(dt.UTC),
        signed_at=dt.datetime.now(dt.UTC),
        received_at=dt.datetime.now(dt.UTC),
        certificate="",
        jws="",
        state="applied",
    )
    CaseReplica.objects.create(
        case=case, origin_node="hubei", origin_number=case.number, message=inbound
    )
    licence = issue_signed(case, world.user("420100Z01-officer"))
    sent = OutboundMessage.objects.get(kind="licence.issued")
    assert (sent.peer, sent.case_ref, sent.jurisdiction) == ("hubei", case.number, "420100Z01")
    assert sent.body["identifier"] == licence.identifier
    assert sent.body["pdf_sha256"] == licence.pdf_sha256
    assert len(sent.body["certificate_chain"]) == 2  # signer, then Henan's licence root
    assert not OutboxMessage.objects.filter(case=case).exists()

    revoke_licence(world.user("platform-admin"), licence, "以欺骗手段取得")
    gone = OutboundMessage.objects.get(kind="licence.revoked")
    assert gone.body["identifier"] == licence.identifier and gone.seq == sent.seq + 1


@pytest.mark.django_db
def test_a_licence_of_a_case_on_one_node_sends_nothing(
    settings: Any, split: Path, world: Any, henan_pki: Path
) -> None:
    act_as(settings, split, "henan")
    use_test_pki(settings, henan_pki)
    case = make_case(world, status="approved", receiving=None, mode="online")
    issue_signed(case, world.user("420100Z01-officer"))
    assert not OutboundMessage.objects.exists()
