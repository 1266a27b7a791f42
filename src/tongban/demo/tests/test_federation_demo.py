"""`tongban seed-federation-demo`: the two-node demo's trust list (issue 13, §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command

from tongban.federation import trust
from tongban.federation.testing import PASSPHRASE
from tongban.federation.tests.xinyang import add_xinyang


@pytest.mark.django_db
def test_henan_serves_the_xinyang_counties_and_hubei_the_rest(
    settings: Any, tmp_path: Path, world: Any
) -> None:
    add_xinyang()
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    settings.TONGBAN_FEDERATION_DIR = tmp_path
    settings.TONGBAN_FEDERATION_ROOT_CERT = tmp_path / "root" / "cert.pem"
    settings.TONGBAN_FEDERATION_TRUST_LIST = tmp_path / "trust-list.jws"
    settings.TONGBAN_PKI_DIR = tmp_path / "pki"
    henan_pki = tmp_path / "henan-pki"
    call_command(
        "seed_federation_demo",
        "--henan-url",
        "http://127.0.0.1:8101",
        "--henan-pki-dir",
        str(henan_pki),
    )
    root_key = (tmp_path / "root" / "key.pem").read_bytes()
    henan_root = (henan_pki / "root" / "cert.pem").read_bytes()
    # again: keys kept (the federation's and both licence roots), the list re-signed
    call_command("seed_federation_demo", "--henan-pki-dir", str(henan_pki))
    assert (henan_pki / "root" / "cert.pem").read_bytes() == henan_root
    assert (tmp_path / "root" / "key.pem").read_bytes() == root_key
    trust.clear_cache()
    listed = trust.current_trust_list()
    assert listed.node("henan").jurisdictions == frozenset({"411526"})
    assert listed.node("henan").base_url == "http://127.0.0.1:8001"
    hubei = listed.node("hubei").jurisdictions
    assert "420703400" in hubei and "411526" not in hubei
    serving = listed.node_serving("411526")
    assert serving is not None and serving.code == "henan"
    # each node's licence root is published, so its licences verify on the other
    # (ADR 0132)
    licence_roots = {
        code: [root.public_bytes(Encoding.PEM) for root in listed.node(code).licence_roots]
        for code in ("hubei", "henan")
    }
    assert licence_roots == {
        "hubei": [(tmp_path / "pki" / "root" / "cert.pem").read_bytes()],
        "henan": [henan_root],
    }
