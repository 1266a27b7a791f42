from __future__ import annotations

import pytest
from django.test import Client

from tongban.testing.world import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/auth/me"


@pytest.fixture
def api():
    return Client()


def get_token(client: Client, username: str, password: str = PASSWORD) -> str:
    response = client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
