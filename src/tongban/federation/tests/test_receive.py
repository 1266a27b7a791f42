"""The receiving side: every check of a signed message, deduplication, ordering, and the
refusal log. The sender (Henan) signs with its real key from the test federation; the
test process is the Hubei node and receives through its real API endpoint."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tongban.federation import agreements as fed_agreements
from tongban.federation import envelope, pki
from tongban.federation.handlers import HANDLERS
from tongban.federation.models import CaseCursor, InboundMessage, RejectedMessage
from tongban.federation.node import Node
from tongban.federation.testing import node_identity
from tongban.licences import pki as licence_pki

URL = "/api/v1/federation/messages"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
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
        "created": envelope.iso(now),
        "body": {"hello": "湖北"},
    }
    claims.update(overrides)
    return claims


def _send(client: Any, node: Node, claims: dict[str, Any], at: dt.datetime | None = None) -> Any:
    token = envelope.sign_message(node, claims, at or dt.datetime.now(dt.UTC))
    return client.post(URL, {"jws": token}, content_type="application/json")


@pytest.fixture
def henan(hubei: Path) -> Node:
    return node_identity(hubei, "henan")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """A message kind whose handler records the order in which messages are applied."""
    applied: list[tuple[str, int]] = []
    monkeypatch.setitem(
        HANDLERS, "test.record", lambda message: applied.append((message.case_ref, message.seq))
    )
    return applied


def _rejected(code: str) -> RejectedMessage:
    row = RejectedMessage.objects.get()
    assert row.code == code
    return row


@pytest.mark.django_db
def test_a_signed_ping_is_applied_logged_and_answered_with_a_signed_receipt(
    client: Any, hubei: Path, henan: Node
) -> None:
    claims = _claims()
    response = _send(client, henan, claims)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "applied"
    hubei_node = node_identity(hubei, "hubei")
    from tongban.federation.trust import current_trust_list

    receipt = envelope.open_receipt(
        body["jws"],
        current_trust_list().node("hubei"),
        henan,
        claims["id"],
        dt.datetime.now(dt.UTC),
    )
    assert receipt["status"] == "applied" and receipt["from"] == hubei_node.code
    message = InboundMessage.objects.get()
    assert message.message_id == claims["id"] and message.state == "applied"
    assert message.body == {"hello": "湖北"}
    assert message.jws.count(".") == 2  # the signed form is kept as evidence
    assert message.certificate == henan.thumbprint


@pytest.mark.django_db
def test_a_redelivered_message_is_acknowledged_but_applied_once(
    client: Any, hubei: Path, henan: Node, recorded: list[tuple[str, int]]
) -> None:
    claims = _claims(kind="test.record", case="HN-1", seq=1)
    assert _send(client, henan, claims).json()["status"] == "applied"
    # the sender re-signs each attempt: a later copy of the same message
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    again = _send(client, henan, claims, at=later)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert recorded == [("HN-1", 1)]
    assert InboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_messages_are_applied_in_sequence_order_and_gaps_are_held(
    client: Any, hubei: Path, henan: Node, recorded: list[tuple[str, int]]
) -> None:
    third = _send(client, henan, _claims(kind="test.record", case="HN-2", seq=3)).json()
    assert third["status"] == "held" and third["missing"] == [1, 2]
    second = _send(client, henan, _claims(kind="test.record", case="HN-2", seq=2)).json()
    assert second["status"] == "held" and second["missing"] == [1]
    assert recorded == []
    first = _send(client, henan, _claims(kind="test.record", case="HN-2", seq=1)).json()
    assert first["status"] == "applied" and first["missing"] == []
    assert recorded == [("HN-2", 1), ("HN-2", 2), ("HN-2", 3)]
    assert CaseCursor.objects.get(peer="henan", case_ref="HN-2", direction="in").last_seq == 3
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"applied"}


@pytest.mark.django_db
def test_a_new_message_reusing_an_applied_sequence_number_is_a_replay(
    client: Any, hubei: Path, henan: Node, recorded: list[tuple[str, int]]
) -> None:
    _send(client, henan, _claims(kind="test.record", case="HN-3", seq=1))
    response = _send(client, henan, _claims(kind="test.record", case="HN-3", seq=1))
    assert response.status_code == 409
    assert response.json()["code"] == "replay"
    assert response.json()["details"]["reason"] == "sequence_replayed"
    _rejected("replay")
    assert recorded == [("HN-3", 1)]


@pytest.mark.django_db
def test_a_message_id_reused_for_other_content_is_refused(
    client: Any, hubei: Path, henan: Node
) -> None:
    claims = _claims()
    _send(client, henan, claims)
    response = _send(client, henan, {**claims, "body": {"hello": "changed"}})
    assert response.status_code == 409
    assert response.json()["details"]["reason"] == "message_id_reused"
    _rejected("replay")
    assert InboundMessage.objects.get().body == {"hello": "湖北"}


@pytest.mark.django_db
def test_a_copy_signed_long_ago_is_refused_as_a_replay(
    client: Any, hubei: Path, henan: Node
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    response = _send(client, henan, _claims(), at=old)
    assert response.status_code == 409
    assert response.json()["code"] == "replay"
    assert response.json()["details"]["reason"] == "stale"
    _rejected("replay")
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_clocks_minutes_apart_still_work(client: Any, hubei: Path, henan: Node) -> None:
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=7)
    assert _send(client, henan, _claims(), at=ahead).status_code == 200
    behind = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)
    assert _send(client, henan, _claims(), at=behind).status_code == 200


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_logged(client: Any, hubei: Path, henan: Node) -> None:
    impostor = Node(
        code="henan",
        name="henan",
        jurisdictions=henan.jurisdictions,
        certificate=henan.certificate,
        key=ec.generate_private_key(ec.SECP256R1()),
    )
    response = _send(client, impostor, _claims())
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"
    row = _rejected("bad_signature")
    assert row.claimed_peer == "henan" and row.jws
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_tampered_message_is_refused(client: Any, hubei: Path, henan: Node) -> None:
    token = envelope.sign_message(henan, _claims(), dt.datetime.now(dt.UTC))
    header, _payload, signature = token.split(".")
    other = envelope.sign_message(henan, _claims(body={"x": 1}), dt.datetime.now(dt.UTC))
    forged = f"{header}.{other.split('.')[1]}.{signature}"
    response = client.post(URL, {"jws": forged}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"


@pytest.mark.django_db
def test_a_node_not_on_the_trust_list_is_refused(client: Any, hubei: Path, henan: Node) -> None:
    # a certificate from the same root, but the node is not on the list
    cert, _ = pki.ensure_node("shandong", "山东", hubei)
    shandong = Node(
        code="shandong",
        name="山东",
        jurisdictions=frozenset({"371329"}),
        certificate=cert,
        key=pki.load_key(pki.node_key_path("shandong", hubei)),
    )
    response = _send(client, shandong, _claims(**{"from": "shandong", "jurisdiction": "371329"}))
    assert response.status_code == 403
    assert response.json()["code"] == "unknown_node"
    _rejected("unknown_node")


@pytest.mark.django_db
def test_a_jurisdiction_the_sender_does_not_serve_is_refused(
    client: Any, hubei: Path, henan: Node
) -> None:
    # 葛店 is Hubei's: Henan may not speak for it
    response = _send(client, henan, _claims(jurisdiction="420703400"))
    assert response.status_code == 403
    assert response.json()["code"] == "jurisdiction_not_served"
    _rejected("jurisdiction_not_served")


@pytest.mark.django_db
def test_a_message_for_another_node_is_refused(client: Any, hubei: Path, henan: Node) -> None:
    response = _send(client, henan, _claims(to="zhejiang"))
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_recipient"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{"jws": "not-a-jws"}, {"jws": ""}, {"jws": "a.b.c"}],
)
def test_unsigned_or_unreadable_input_is_a_clear_4xx(
    client: Any, hubei: Path, body: dict[str, str]
) -> None:
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_message"
    assert RejectedMessage.objects.get().code == "malformed_message"


@pytest.mark.django_db
def test_a_body_without_jws_is_invalid_input(client: Any, hubei: Path) -> None:
    response = client.post(URL, {"nothing": 1}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(client: Any, hubei: Path, henan: Node) -> None:
    response = _send(client, henan, _claims(kind="case.unheard-of"))
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_kind"


@pytest.mark.django_db
def test_a_deployment_that_is_not_a_node_answers_404_without_details(
    client: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TONGBAN_NODE_CODE = ""
    settings.TONGBAN_FEDERATION_TRUST_LIST = tmp_path / "missing.jws"
    for response in (
        client.post(URL, {"jws": "a.b.c"}, content_type="application/json"),
        client.get("/api/v1/federation/node"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "federation_not_configured"
        assert str(tmp_path) not in response.content.decode()


# ---- agreements -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_under_an_identical_agreement_is_accepted(
    client: Any, world: Any, hubei: Path, henan: Node
) -> None:
    block = fed_agreements.block(world.agreement)
    response = _send(client, henan, _claims(kind="agreement.check", agreement=block))
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_message_under_a_different_copy_of_the_agreement_is_refused(
    client: Any, world: Any, hubei: Path, henan: Node
) -> None:
    block = {**fed_agreements.block(world.agreement), "fingerprint": "0" * 64}
    response = _send(client, henan, _claims(kind="agreement.check", agreement=block))
    assert response.status_code == 409
    assert response.json()["code"] == "agreement_mismatch"
    assert response.json()["details"]["ours"] == fed_agreements.fingerprint(world.agreement)
    _rejected("agreement_mismatch")


@pytest.mark.django_db
def test_a_message_under_an_agreement_this_node_lacks_is_refused(
    client: Any, world: Any, hubei: Path, henan: Node
) -> None:
    block = {**fed_agreements.block(world.agreement), "version": 7}
    response = _send(client, henan, _claims(kind="agreement.check", agreement=block))
    assert response.status_code == 409
    assert response.json()["code"] == "agreement_unknown"


@pytest.mark.django_db
def test_the_fingerprint_changes_with_what_both_nodes_must_share(world: Any) -> None:
    from tongban.agreements.models import AgreementParty

    before = fed_agreements.fingerprint(world.agreement)
    AgreementParty.objects.filter(agreement=world.agreement).first().delete()  # type: ignore[union-attr]
    assert fed_agreements.fingerprint(world.agreement) != before


@pytest.mark.django_db
def test_the_node_endpoint_shows_the_public_identity(client: Any, hubei: Path) -> None:
    body = client.get("/api/v1/federation/node").json()
    cert = licence_pki.load_certificate(pki.node_cert_path("hubei", hubei))
    assert body["code"] == "hubei"
    assert "420703400" in body["jurisdictions"]
    assert body["certificate_sha256"] == pki.thumbprint(cert)
