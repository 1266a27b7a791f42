"""Test helpers: a federation (root, node keys, trust list) in a temporary directory, a
node's identity to sign messages as a peer, and a settings switch to act as a node."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tongban.federation import jose, pki, trust
from tongban.federation.node import Node
from tongban.licences import pki as licence_pki

PASSPHRASE = "test-pki-passphrase"

#: the two nodes of the tests: Hubei serves the world's jurisdictions, Henan 潢川 and 光山
NODES: dict[str, dict[str, Any]] = {
    "hubei": {
        "name": "湖北",
        "jurisdictions": ["420100Z01", "420703400", "421102", "420205", "420115"],
    },
    "henan": {"name": "河南", "jurisdictions": ["411526", "411522"]},
}


def make_federation(
    directory: Path,
    base_urls: dict[str, str],
    nodes: dict[str, dict[str, Any]] | None = None,
    *,
    valid_days: int = 90,
    licence_roots: dict[str, list[Any]] | None = None,
    node_valid_to: dict[str, dt.datetime] | None = None,
) -> Path:
    """Root, a key per node and a signed trust list naming `nodes` (default NODES) at
    `base_urls`, each with its `licence_roots` (x509 certificates; ADR 0132) and valid
    until `node_valid_to` (default a year); returns the trust list's path. Keys are made
    once per directory. A node whose spec says `"alg": "SM2SM3"` gets an SM2 key and
    signs with it."""
    nodes = nodes or NODES
    pki.ensure_root(directory)
    now = dt.datetime.now(dt.UTC)
    entries = []
    for code, spec in nodes.items():
        cert, _ = pki.ensure_node(code, spec["name"], directory)
        algorithm = spec.get("alg", jose.ES256)
        sm2_keys = [pki.ensure_node_sm2(code, directory)] if algorithm == jose.SM2SM3 else []
        entries.append(
            trust.node_entry(
                code,
                spec["name"],
                base_urls.get(code, f"http://127.0.0.1:9/{code}"),
                spec["jurisdictions"],
                [cert],
                now - dt.timedelta(minutes=5),
                (node_valid_to or {}).get(code, now + dt.timedelta(days=365)),
                algorithm=algorithm,
                sm2_public_keys=sm2_keys,
                licence_roots=(licence_roots or {}).get(code, []),
            )
        )
    token = trust.sign_trust_list("tongban-test", 1, entries, valid_days=valid_days, base=directory)
    path = directory / "trust-list.jws"
    path.write_text(token)
    trust.clear_cache()
    return path


def act_as(settings: Any, directory: Path, code: str) -> None:
    """Make this test process node `code` of the federation under `directory`."""
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    settings.TONGBAN_FEDERATION_DIR = directory
    settings.TONGBAN_FEDERATION_ROOT_CERT = directory / "root" / "cert.pem"
    settings.TONGBAN_FEDERATION_TRUST_LIST = directory / "trust-list.jws"
    settings.TONGBAN_NODE_CODE = code
    settings.TONGBAN_NODE_NAME = NODES.get(code, {}).get("name", code)
    settings.TONGBAN_NODE_JURISDICTIONS = []
    trust.clear_cache()


def node_identity(
    directory: Path, code: str, jurisdictions: list[str] | None = None, *, sm2: bool = False
) -> Node:
    """Node `code`'s identity read from its files (to sign as that peer in a test);
    `sm2`: signing with its SM2 key."""
    cert = licence_pki.load_certificate(pki.node_cert_path(code, directory))
    return Node(
        code=code,
        name=code,
        jurisdictions=frozenset(jurisdictions or NODES.get(code, {}).get("jurisdictions", [])),
        certificate=cert,
        key=pki.load_key(pki.node_key_path(code, directory)),
        sm2=pki.load_sm2(pki.node_sm2_path(code, directory)) if sm2 else None,
    )
