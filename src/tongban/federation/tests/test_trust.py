"""The trust list: made and verified with the commands an operator runs; refused when
tampered with, signed by another root, expired, or listing a certificate the root did
not issue."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from cryptography import x509
from django.core.management import call_command

from tongban.core.errors import DomainError
from tongban.federation import pki, trust
from tongban.federation.errors import TrustListInvalid
from tongban.federation.testing import PASSPHRASE, act_as, make_federation
from tongban.licences import pki as licence_pki


@pytest.fixture
def operator(settings: Any, tmp_path: Path) -> Path:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    return tmp_path


def _root(directory: Path) -> x509.Certificate:
    return licence_pki.load_certificate(directory / "root" / "cert.pem")


def _run(*args: str) -> str:
    out = StringIO()
    call_command("federation", *args, stdout=out)
    return out.getvalue()


def test_the_operator_commands_make_a_list_every_node_verifies(
    operator: Path, settings: Any
) -> None:
    directory = operator / "federation"
    assert "created federation root" in _run("init-root", "--dir", str(directory))
    assert "kept federation root" in _run("init-root", "--dir", str(directory))
    for code, name in (("hubei", "湖北"), ("henan", "河南")):
        assert "created node certificate" in _run(
            "issue-node", code, "--name", name, "--dir", str(directory)
        )
    spec = {
        "federation": "tongban-demo",
        "sequence": 2,
        "nodes": [
            {
                "code": "hubei",
                "name": "湖北",
                "base_url": "http://127.0.0.1:8000/",
                "jurisdictions": ["420703400"],
            },
            {
                "code": "henan",
                "name": "河南",
                "base_url": "http://127.0.0.1:8001",
                "jurisdictions": ["411526", "411522"],
            },
        ],
    }
    nodes_json = operator / "nodes.json"
    nodes_json.write_text(json.dumps(spec, ensure_ascii=False))
    output = directory / "trust-list.jws"
    _run("sign-trust-list", str(nodes_json), "--output", str(output), "--dir", str(directory))
    act_as(settings, directory, "hubei")
    listing = _run("verify-trust-list")
    assert "'tongban-demo' #2" in listing
    assert "henan 河南 http://127.0.0.1:8001 jurisdictions=411522,411526" in listing
    listed = trust.current_trust_list()
    assert listed.node("hubei").base_url == "http://127.0.0.1:8000"
    assert listed.node_serving("411526").code == "henan"  # type: ignore[union-attr]
    # the key files are the owner's only
    assert (pki.node_key_path("henan", directory).stat().st_mode & 0o077) == 0


def test_a_tampered_list_is_refused(operator: Path) -> None:
    path = make_federation(operator, {})
    token = path.read_text()
    header, payload, signature = token.split(".")
    document = json.loads(_b64decode(payload))
    document["nodes"][1]["jurisdictions"].append("420703400")  # Henan claims 葛店
    forged = f"{header}.{_b64encode(json.dumps(document).encode())}.{signature}"
    with pytest.raises(TrustListInvalid):
        trust.parse_trust_list(forged, _root(operator))


def test_a_list_signed_by_another_root_is_refused(operator: Path) -> None:
    path = make_federation(operator / "a", {})
    make_federation(operator / "b", {})
    with pytest.raises(TrustListInvalid):
        trust.parse_trust_list(path.read_text(), _root(operator / "b"))


def test_an_expired_list_stops_all_exchange(operator: Path, settings: Any) -> None:
    path = make_federation(operator, {}, valid_days=1)
    act_as(settings, operator, "hubei")
    assert trust.current_trust_list().node("henan")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        with pytest.raises(DomainError) as refused:
            trust.current_trust_list()
        assert refused.value.code == "trust_list_invalid"
        with pytest.raises(TrustListInvalid):
            trust.parse_trust_list(path.read_text(), _root(operator))


def test_a_certificate_the_root_did_not_issue_is_refused(operator: Path) -> None:
    make_federation(operator / "other", {})
    stranger = licence_pki.load_certificate(pki.node_cert_path("henan", operator / "other"))
    pki.ensure_root(operator)
    entry = trust.node_entry(
        "henan",
        "河南",
        "http://127.0.0.1:8001",
        ["411526"],
        [stranger],
        dt.datetime.now(dt.UTC),
        dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
    )
    token = trust.sign_trust_list("t", 1, [entry], base=operator)
    with pytest.raises(TrustListInvalid):
        trust.parse_trust_list(token, _root(operator))


def test_a_node_outside_its_validity_is_unknown(operator: Path) -> None:
    pki.ensure_root(operator)
    cert, _ = pki.ensure_node("henan", "河南", operator)
    now = dt.datetime.now(dt.UTC)
    entry = trust.node_entry(
        "henan",
        "河南",
        "http://x",
        ["411526"],
        [cert],
        now + dt.timedelta(days=1),
        now + dt.timedelta(days=2),
    )
    listed = trust.parse_trust_list(
        trust.sign_trust_list("t", 1, [entry], base=operator), _root(operator)
    )
    with pytest.raises(DomainError) as refused:
        listed.node("henan")
    assert refused.value.code == "unknown_node"


def _b64decode(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(value: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()
