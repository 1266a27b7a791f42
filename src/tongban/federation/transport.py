"""HTTPS + JSON between nodes (httpx): `POST {base_url}/api/v1/federation/messages` with
`{"jws": "<compact JWS>"}`; the answer is `{"status", "jws": "<signed receipt>"}` or the
API's error shape `{"code", "message", "details"}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from tongban.federation.trust import PeerNode

PATH = "/api/v1/federation/messages"


class PeerUnreachable(Exception):
    """No answer we can read: connection refused, timeout, not JSON. Always retried."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def new_client() -> httpx.Client:
    timeout = float(getattr(settings, "TONGBAN_FEDERATION_TIMEOUT_SECONDS", 10))
    return httpx.Client(timeout=timeout, headers={"Accept-Language": "en"})


def post_message(client: httpx.Client, peer: PeerNode, token: str) -> Answer:
    try:
        response = client.post(f"{peer.base_url}{PATH}", json={"jws": token})
    except httpx.HTTPError as error:
        raise PeerUnreachable(f"{type(error).__name__}: {error}") from error
    try:
        body = response.json()
    except ValueError as error:
        raise PeerUnreachable(f"HTTP {response.status_code}, not JSON") from error
    if not isinstance(body, dict):
        raise PeerUnreachable(f"HTTP {response.status_code}, not a JSON object")
    return Answer(response.status_code, body)
