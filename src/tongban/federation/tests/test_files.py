"""File contents across the border (ADR 0132, decision 4): the handling node fetches a
replica's file from the node it was uploaded on with a signed request, and takes the
bytes only if their SHA-256 is the one the transfer named.

Both "nodes" are this test process: the fetching side acts as henan, its HTTP request is
answered by this process's own API acting as hubei (a transport over Django's test
client), so the signature, trust-list and scope checks are the real ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings

from tongban.attachments.models import Attachment
from tongban.cases.tests.conftest import ApiClient
from tongban.federation import envelope, transport
from tongban.federation.models import CaseReplica, InboundMessage, RejectedMessage
from tongban.federation.testing import PASSPHRASE, act_as, make_federation, node_identity
from tongban.testing.licences import make_case

NODES: dict[str, dict[str, Any]] = {
    "hubei": {"name": "湖北", "jurisdictions": ["421102", "420703400", "420205", "420115"]},
    "henan": {"name": "东湖节点", "jurisdictions": ["420100Z01"]},
}
CONTENT = "公司章程(测试)".encode() * 50


@pytest.fixture
def split(settings: Any, tmp_path: Path, world: Any) -> Path:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    settings.MEDIA_ROOT = tmp_path / "media"
    directory = tmp_path / "federation"
    directory.mkdir()
    make_federation(directory, {"hubei": "http://hubei.test", "henan": "http://henan.test"}, NODES)
    return directory


class _AsHubei(httpx.BaseTransport):
    """Answers the request with this process's API acting as node hubei; `tamper` may
    change the bytes on the way (a man in the middle, a corrupted copy)."""

    def __init__(self, tamper: Callable[[bytes], bytes] | None = None) -> None:
        self.tamper = tamper

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with override_settings(TONGBAN_NODE_CODE="hubei", TONGBAN_NODE_NAME="湖北"):
            answer = Client().post(
                request.url.path, data=request.read(), content_type="application/json"
            )
        body = answer.content
        if self.tamper is not None and answer.status_code == 200:
            body = self.tamper(body)
        return httpx.Response(
            answer.status_code, content=body, headers={"content-type": answer["Content-Type"]}
        )


def _peer(monkeypatch: pytest.MonkeyPatch, tamper: Callable[[bytes], bytes] | None = None) -> None:
    monkeypatch.setattr(
        transport, "new_client", lambda: httpx.Client(transport=_AsHubei(tamper), timeout=5)
    )


def _two_copies(world: Any) -> tuple[Any, Any, str]:
    """Hubei's case with an uploaded file, and (under another number: one database) the
    replica Henan made of it, whose transfer named the file by reference and SHA-256."""
    original = make_case(world, status="in_transfer")
    stored = default_storage.save(f"cases/{original.number}/x.pdf", ContentFile(CONTENT))
    sha256 = hashlib.sha256(CONTENT).hexdigest()
    Attachment.objects.create(
        case=original,
        file=stored,
        original_name="章程.pdf",
        content_type="application/pdf",
        size=len(CONTENT),
        sha256=sha256,
        uploaded_by=world.user("421102-clerk"),
    )
    replica = make_case(world, status="pending_acceptance", number="421102-20991231-000001")
    now = dt.datetime.now(dt.UTC)
    message = InboundMessage.objects.create(
        message_id=str(uuid.uuid4()),
        peer="hubei",
        kind="case.transfer",
        case_ref=replica.number,
        seq=3,
        jurisdiction="421102",
        digest="0" * 64,
        created_at=now,
        signed_at=now,
        received_at=now,
        certificate="",
        jws="",
        state="applied",
    )
    CaseReplica.objects.create(
        case=replica,
        origin_node="hubei",
        origin_number=original.number,
        files=[
            {
                "material": "公司章程",
                "name": "章程.pdf",
                "content_type": "application/pdf",
                "size": len(CONTENT),
                "sha256": sha256,
            }
        ],
        message=message,
    )
    return original, replica, sha256


@pytest.mark.django_db
def test_the_handling_officer_opens_a_file_fetched_from_the_receiving_node(
    settings: Any, split: Path, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _original, replica, sha256 = _two_copies(world)
    act_as(settings, split, "henan")
    _peer(monkeypatch)
    answer = ApiClient(world.user("420100Z01-officer")).get(
        f"/cases/{replica.number}/peer-files/{sha256}"
    )
    assert answer.status_code == 200, answer.content[:300]
    assert answer.content == CONTENT
    assert answer["Content-Type"] == "application/pdf"
    # scoped like the case: out of jurisdiction 404, unauthenticated 401
    outsider = ApiClient(world.user("420115-clerk"))
    assert outsider.get(f"/cases/{replica.number}/peer-files/{sha256}").status_code == 404
    assert ApiClient(None).get(f"/cases/{replica.number}/peer-files/{sha256}").status_code == 401
    # a file the transfer did not name
    officer = ApiClient(world.user("420100Z01-officer"))
    assert officer.get(f"/cases/{replica.number}/peer-files/{'0' * 64}").status_code == 404
    assert officer.get(f"/cases/{replica.number}/peer-files/x").status_code == 404


@pytest.mark.django_db
def test_a_tampered_file_is_refused_by_its_hash(
    settings: Any, split: Path, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _original, replica, sha256 = _two_copies(world)
    act_as(settings, split, "henan")
    _peer(monkeypatch, tamper=lambda body: b"%PDF-forged" + body[11:])
    answer = ApiClient(world.user("420100Z01-officer")).get(
        f"/cases/{replica.number}/peer-files/{sha256}"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "file_hash_mismatch"


def _fetch_request(split: Path, sender: str, case: str, jurisdiction: str, sha256: str) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": sender,
        "to": "hubei",
        "kind": "file.fetch",
        "case": case,
        "seq": 0,
        "jurisdiction": jurisdiction,
        "agreement": None,
        "created": envelope.iso(now),
        "body": {"sha256": sha256},
    }
    identity = node_identity(split, sender, NODES[sender]["jurisdictions"])
    return envelope.sign_message(identity, claims, now)


@pytest.mark.django_db
def test_the_receiving_node_serves_only_the_handling_node_and_only_that_cases_files(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    original, replica, sha256 = _two_copies(world)
    act_as(settings, split, "hubei")

    def ask(token: str) -> Any:
        return client.post(
            "/api/v1/federation/files", {"jws": token}, content_type="application/json"
        )

    token = _fetch_request(split, "henan", original.number, "420100Z01", sha256)
    good = ask(token)
    assert good.status_code == 200 and good.content == CONTENT
    # the same request again (a captured copy): one read per request
    again = ask(token)
    assert again.status_code == 409 and again.json()["code"] == "replay"
    # henan does not handle a case of 黄州's own (handled by 420115 here)
    local = make_case(world, handling="420115", receiving="421102", item="company")
    refused = ask(_fetch_request(split, "henan", local.number, "420100Z01", sha256))
    assert refused.status_code == 403 and refused.json()["code"] == "jurisdiction_not_served"
    # a jurisdiction henan does not serve
    refused = ask(_fetch_request(split, "henan", original.number, "420115", sha256))
    assert refused.status_code == 403 and refused.json()["code"] == "jurisdiction_not_served"
    # a file of another case, or a replica (its files are not here)
    missing = ask(_fetch_request(split, "henan", original.number, "420100Z01", "a" * 64))
    assert missing.status_code == 404
    missing = ask(_fetch_request(split, "henan", replica.number, "420100Z01", sha256))
    assert missing.status_code == 404
    # a forged signature
    token = _fetch_request(split, "henan", original.number, "420100Z01", sha256)
    head, payload, signature = token.split(".")
    forged = ask(f"{head}.{payload}.{signature[:-4]}AAAA")
    assert forged.status_code == 403 and forged.json()["code"] == "bad_signature"
    assert sorted(RejectedMessage.objects.values_list("code", flat=True)) == [
        "bad_signature",
        "jurisdiction_not_served",
        "jurisdiction_not_served",
        "not_found",
        "not_found",
        "replay",
    ]
