"""SM2 (with SM3) as a node's signing algorithm (ADR 0135): the trust list names each
node's `alg`; a receiver verifies with that algorithm alone and refuses any other.
The test process is the Hubei node (ES256); Henan signs with SM2 in the `sm2_henan`
federation and with ECDSA in the session's default one."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tongban.core.errors import DomainError
from tongban.federation import envelope, jose, pki, trust
from tongban.federation.models import InboundMessage, RejectedMessage
from tongban.federation.node import Node, this_node
from tongban.federation.testing import NODES, PASSPHRASE, act_as, make_federation, node_identity
from tongban.licences import sm2

URL = "/api/v1/federation/messages"


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "henan",
        "to": "hubei",
        "kind": "ping",
        "case": "",
        "seq": 0,
        "jurisdiction": "411526",
        "agreement": None,
        "created": envelope.iso(dt.datetime.now(dt.UTC)),
        "body": {},
    }
    claims.update(overrides)
    return claims


def _post(client: Any, token: str) -> Any:
    return client.post(URL, {"jws": token}, content_type="application/json")


@pytest.fixture(scope="module")
def sm2_federation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from django.conf import settings

    previous = settings.TONGBAN_PKI_PASSPHRASE
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    try:
        directory = tmp_path_factory.mktemp("sm2-federation")
        make_federation(directory, {}, {**NODES, "henan": {**NODES["henan"], "alg": "SM2SM3"}})
    finally:
        settings.TONGBAN_PKI_PASSPHRASE = previous
    return directory


@pytest.fixture
def sm2_henan(settings: Any, sm2_federation: Path) -> Node:
    """Hubei's process in a federation where Henan signs with SM2; Henan's identity."""
    act_as(settings, sm2_federation, "hubei")
    return node_identity(sm2_federation, "henan", sm2=True)


def test_the_sm2_algorithm_round_trips_through_joserfc_and_stays_in_its_lane() -> None:
    private_hex, public_hex = sm2.generate_keypair()
    token = jose.sign({"a": 1}, jose.SM2PrivateKey(private_hex, public_hex), {"typ": "t"})
    header, _ = jose.peek(token)
    assert header["alg"] == "SM2SM3"
    assert jose.verify(token, [jose.SM2PublicKey(public_hex)]) == {"a": 1}
    _, other = sm2.generate_keypair()
    ecdsa = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(jose.JwsInvalid):
        jose.verify(token, [jose.SM2PublicKey(other)])
    # an SM2 token never verifies as ES256, nor an ES256 token under an SM2 key
    with pytest.raises(jose.JwsInvalid):
        jose.verify(token, [ecdsa.public_key()])
    es256 = jose.sign({"a": 1}, ecdsa, {"typ": "t"})
    with pytest.raises(jose.JwsInvalid):
        jose.verify(es256, [jose.SM2PublicKey(public_hex)])
    # a signature byte changed: refused
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(jose.JwsInvalid):
        jose.verify(f"{head}.{payload}.{flipped}", [jose.SM2PublicKey(public_hex)])


@pytest.mark.django_db
def test_an_sm2_signed_message_is_applied_and_kept_with_its_signature(
    client: Any, sm2_henan: Node, sm2_federation: Path
) -> None:
    claims = _claims()
    token = envelope.sign_message(sm2_henan, claims, dt.datetime.now(dt.UTC))
    assert jose.peek(token)[0]["alg"] == "SM2SM3"
    response = _post(client, token)
    assert response.status_code == 200, response.content
    # Hubei answers with its own algorithm (ES256), which Henan verifies
    receipt = envelope.open_receipt(
        response.json()["jws"],
        trust.current_trust_list().node("hubei"),
        sm2_henan,
        claims["id"],
        dt.datetime.now(dt.UTC),
    )
    assert receipt["status"] == "applied"
    assert jose.peek(response.json()["jws"])[0]["alg"] == "ES256"
    assert InboundMessage.objects.get().jws == token


@pytest.mark.django_db
def test_a_node_listed_with_sm2_signing_with_ecdsa_is_refused_and_logged(
    client: Any, sm2_henan: Node
) -> None:
    downgraded = Node(
        sm2_henan.code,
        sm2_henan.name,
        sm2_henan.jurisdictions,
        sm2_henan.certificate,
        sm2_henan.key,  # its genuine ECDSA key, but the list says SM2SM3
    )
    response = _post(client, envelope.sign_message(downgraded, _claims(), dt.datetime.now(dt.UTC)))
    assert response.status_code == 403
    assert response.json()["code"] == "algorithm_mismatch"
    assert response.json()["details"] == {"listed": "SM2SM3", "used": "ES256"}
    row = RejectedMessage.objects.get()
    assert (row.code, row.claimed_peer) == ("algorithm_mismatch", "henan")
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_node_listed_with_ecdsa_signing_with_sm2_is_refused(
    client: Any, hubei: Path, settings: Any
) -> None:
    """The session's federation lists Henan with ES256: an SM2 signature from it, even
    with a key it really holds, is refused before any key is tried."""
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    pki.ensure_node_sm2("henan", hubei)
    henan = node_identity(hubei, "henan", sm2=True)
    response = _post(client, envelope.sign_message(henan, _claims(), dt.datetime.now(dt.UTC)))
    assert response.status_code == 403
    assert response.json()["code"] == "algorithm_mismatch"
    assert RejectedMessage.objects.get().code == "algorithm_mismatch"


@pytest.mark.django_db
def test_an_sm2_signature_by_another_key_is_a_bad_signature(client: Any, sm2_henan: Node) -> None:
    forged = Node(
        sm2_henan.code,
        sm2_henan.name,
        sm2_henan.jurisdictions,
        sm2_henan.certificate,
        sm2_henan.key,
        jose.SM2PrivateKey(*sm2.generate_keypair()),
    )
    response = _post(client, envelope.sign_message(forged, _claims(), dt.datetime.now(dt.UTC)))
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"
    assert RejectedMessage.objects.get().code == "bad_signature"


@pytest.mark.django_db
def test_an_sm2_node_signs_its_receipts_with_sm2(
    client: Any, settings: Any, sm2_federation: Path
) -> None:
    """This process as the Henan node of the SM2 federation: its own identity carries
    its SM2 key, and the receipt it answers Hubei with is SM2-signed and verifies."""
    act_as(settings, sm2_federation, "henan")
    me = this_node()
    assert me.sm2 is not None and jose.algorithm_of(me.signing_key) == "SM2SM3"
    hubei = node_identity(sm2_federation, "hubei")
    claims = _claims(**{"from": "hubei", "to": "henan", "jurisdiction": "421102"})
    response = _post(client, envelope.sign_message(hubei, claims, dt.datetime.now(dt.UTC)))
    assert response.status_code == 200, response.content
    assert jose.peek(response.json()["jws"])[0]["alg"] == "SM2SM3"
    receipt = envelope.open_receipt(
        response.json()["jws"],
        trust.current_trust_list().node("henan"),
        hubei,
        claims["id"],
        dt.datetime.now(dt.UTC),
    )
    assert receipt["status"] == "applied"


def test_an_sm2_key_that_is_not_the_listed_one_does_not_make_a_node(
    settings: Any, sm2_federation: Path, tmp_path: Path
) -> None:
    act_as(settings, sm2_federation, "henan")
    listed = trust.current_trust_list()
    henan = listed.nodes["henan"]
    other = trust.PeerNode(**{**henan.__dict__, "sm2_public_keys": (sm2.generate_keypair()[1],)})
    with pytest.raises(DomainError) as refused:
        this_node(trust.TrustList(**{**listed.__dict__, "nodes": {"henan": other}}))
    assert refused.value.code == "federation_not_configured"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"alg": "HS256"}, "unknown alg"),
        ({"alg": "SM2SM3"}, "no SM2 public key"),
        ({"alg": "SM2SM3", "sm2_public_keys": ["04" + "zz" * 64]}, "bad SM2 public key"),
    ],
)
def test_a_trust_list_naming_an_unusable_algorithm_or_key_is_not_trusted(
    settings: Any, sm2_federation: Path, entry: dict[str, Any], problem: str
) -> None:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    cert = pki.ensure_node("henan", "河南", sm2_federation)[0]
    now = dt.datetime.now(dt.UTC)
    raw = trust.node_entry(
        "henan", "河南", "http://127.0.0.1:9", ["411526"], [cert], now, now + dt.timedelta(days=1)
    )
    token = trust.sign_trust_list("t", 1, [{**raw, **entry}], base=sm2_federation)
    root = pki.ensure_root(sm2_federation)[0]
    with pytest.raises(DomainError) as refused:
        trust.parse_trust_list(token, root)
    assert refused.value.code == "trust_list_invalid"
    assert problem in refused.value.en
