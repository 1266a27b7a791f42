"""Unified identity (统一身份认证) against a REAL identity platform process: the stand-in
`tongban_idp` (django-oauth-toolkit, OpenID Connect, RS256) runs as a subprocess on a
random port; the browser side is httpx (at the platform) and Django's test client (at
Tongban). Tongban exchanges the code at the platform's real token endpoint."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation
from django.test import Client

from tongban.accounts import actions as accounts
from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Applicant, User
from tongban.accounts.oidc import IdentityPlatformBackend
from tongban.core.audit import AuditEvent
from tongban.core.crypto import blind_index
from tongban.testing.world import PASSWORD


def _by_id(id_number: str) -> str:
    """The blind index of an ID number: encrypted columns are looked up by it (ADR 0098)."""
    return blind_index("identifier", id_number)


SECRET = "test-client-secret"
ZHAO_ID = make_id_number("421102", dt.date(1999, 5, 17), 77)
AGENT_ID = make_id_number("420111", dt.date(1990, 1, 2), 12)
FIRM_USCC = make_uscc("420100", "MA4K12345")
WEAK_ID = make_id_number("420111", dt.date(1991, 2, 3), 14)
ID_TOKEN_SECONDS = 2
PEOPLE = [
    {"username": "zhao", "name": "赵建国", "trust_level": 4, "id_number": ZHAO_ID},
    {
        "username": "agent",
        "name": "钱多多",
        "trust_level": 3,
        "id_number": AGENT_ID,
        "uscc": FIRM_USCC,
        "enterprise_name": "武汉市测试贸易有限公司",
    },
    {"username": "weak", "name": "孙小弱", "trust_level": 2, "id_number": WEAK_ID},
    {"username": "421102-clerk", "name": "黄州区窗口收件员", "trust_level": 4},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory: Path = tmp_path_factory.mktemp("idp")
    people = directory / "people.json"
    people.write_text(json.dumps([dict(p, password=PASSWORD) for p in PEOPLE]))
    port = _free_port()
    env = {**os.environ, "TONGBAN_IDP_ID_TOKEN_SECONDS": str(ID_TOKEN_SECONDS)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (directory / "idp.log").open("w")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tongban_idp", "--dir", str(directory / "data")),
            *("--port", str(port), "--rp-url", "http://testserver"),
            *("--client-secret", SECRET, "--people", str(people)),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}/o"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError((directory / "idp.log").read_text())
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("identity platform did not start")
            time.sleep(0.5)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def rp(settings: Any, idp: str) -> str:
    settings.OIDC_OP_ISSUER = idp
    settings.OIDC_RP_CLIENT_ID = "tongban"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{idp}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{idp}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{idp}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{idp}/.well-known/jwks.json"
    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{idp}/logout/"
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "tongban.accounts.oidc.IdentityPlatformBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return idp


class Browser:
    """One person's browser: cookies at the platform (httpx) and at Tongban (test client)."""

    def __init__(self) -> None:
        self.tongban = Client()
        self.platform = httpx.Client(follow_redirects=False)

    def sign_in_at_platform(self, username: str) -> str:
        """Start at Tongban, sign in at the platform; the callback URL the platform sends
        the browser back to (not followed yet)."""
        start = self.tongban.get("/oidc/authenticate/")
        assert start.status_code == 302
        authorize = start["Location"]
        query = parse_qs(urlsplit(authorize).query)
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
        response = self.platform.get(authorize)
        if response.status_code == 302 and "/accounts/login/" in response.headers["location"]:
            login_url = str(response.url.join(response.headers["location"]))
            page = self.platform.get(login_url)
            assert page.status_code == 200
            response = self.platform.post(
                login_url,
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": self.platform.cookies["idp_csrftoken"],
                    "next": parse_qs(urlsplit(login_url).query)["next"][0],
                },
                headers={"Referer": login_url},
            )
            assert response.status_code == 302, response.text
            response = self.platform.get(response.url.join(response.headers["location"]))
        assert response.status_code == 302, response.text
        callback = response.headers["location"]
        assert callback.startswith("http://testserver/oidc/callback/")
        return callback

    def come_back(self, callback: str) -> Any:
        parts = urlsplit(callback)
        return self.tongban.get(parts.path, parse_qs(parts.query))

    def user(self) -> User | None:
        user_id = self.tongban.session.get("_auth_user_id")
        return User.objects.filter(pk=user_id).first() if user_id else None


def test_sign_in_maps_the_verified_claims_and_takes_the_record_from_an_impostor(world, rp):
    # someone registered first with 赵建国's ID number and filed nothing but got his record
    impostor = accounts.register_portal_user("impostor", PASSWORD, "赵建国", ZHAO_ID)
    browser = Browser()
    response = browser.come_back(browser.sign_in_at_platform("zhao"))
    assert response.status_code == 302 and response["Location"] == "/"
    user = browser.user()
    assert user is not None and user != impostor
    assert (user.kind, user.oidc_subject, user.trust_level) == ("applicant", "zhao", 4)
    assert user.trust_source == "idp" and not user.has_usable_password()
    record = Applicant.objects.get(kind="person", id_number_index=_by_id(ZHAO_ID))
    assert record.user == user
    link = AuditEvent.objects.get(action="link_applicant", object_id=str(record.pk))
    assert link.data == {"user": user.pk, "previous_user": impostor.pk}
    level = AuditEvent.objects.get(action="set_trust_level", object_id=str(user.pk))
    assert level.data == {"before": 2, "after": 4, "source": "idp"}
    # a second sign-in opens the same account
    again = Browser()
    again.come_back(again.sign_in_at_platform("zhao"))
    assert again.user() == user
    assert User.objects.filter(oidc_subject="zhao").count() == 1


def test_agent_is_linked_to_the_enterprise_the_platform_authorised(world, rp):
    browser = Browser()
    browser.come_back(browser.sign_in_at_platform("agent"))
    user = browser.user()
    assert user is not None and user.trust_level == 3
    firm = Applicant.objects.get(kind="enterprise", uscc=FIRM_USCC)
    assert firm.user == user and firm.agent_id_number == AGENT_ID
    assert Applicant.objects.get(kind="person", id_number_index=_by_id(AGENT_ID)).user == user


def test_level_2_at_the_platform_links_nothing(world, rp):
    browser = Browser()
    browser.come_back(browser.sign_in_at_platform("weak"))
    user = browser.user()
    assert user is not None and user.trust_level == 2
    assert not Applicant.objects.filter(id_number_index=_by_id(WEAK_ID)).exists()


def test_staff_keep_their_tongban_roles(world, rp):
    clerk = world.user("421102-clerk")
    accounts.bind_identity_subject(None, clerk.pk, "421102-clerk")
    browser = Browser()
    browser.come_back(browser.sign_in_at_platform("421102-clerk"))
    assert browser.user() == clerk
    assert browser.tongban.get("/clerk/").status_code == 200
    clerk.refresh_from_db()
    assert clerk.kind == "staff" and clerk.trust_source == ""


def test_unbound_staff_subject_gets_no_staff_account(world, rp):
    browser = Browser()
    browser.come_back(browser.sign_in_at_platform("421102-clerk"))
    user = browser.user()
    assert user is not None and user != world.user("421102-clerk")
    assert user.kind == "applicant" and not user.role_assignments.exists()


def test_logout_ends_both_sessions(world, rp):
    browser = Browser()
    browser.come_back(browser.sign_in_at_platform("zhao"))
    assert browser.user() is not None
    response = browser.tongban.post("/oidc/logout/")
    assert response.status_code == 302
    logout = response["Location"]
    assert logout.startswith(f"{rp}/logout/") and "id_token_hint=" in logout
    assert browser.user() is None
    back = browser.platform.get(logout)
    assert back.status_code == 302 and back.headers["location"] == "http://testserver/"
    # the platform forgot the person too: the next sign-in asks for the password again
    start = browser.tongban.get("/oidc/authenticate/")
    again = browser.platform.get(start["Location"])
    assert again.status_code == 302 and "/accounts/login/" in again.headers["location"]


def _signed_in_token(browser: Browser) -> str:
    browser.come_back(browser.sign_in_at_platform("weak"))
    token = browser.tongban.session["oidc_id_token"]
    assert isinstance(token, str)
    return token


def test_expired_id_token_is_refused(world, rp, settings):
    token = _signed_in_token(Browser())
    nonce = jwt.decode(token, options={"verify_signature": False})["nonce"]
    settings.OIDC_CLOCK_SKEW_SECONDS = 0
    # the platform issues ID tokens valid for ID_TOKEN_SECONDS here; wait past that
    time.sleep(ID_TOKEN_SECONDS + 1.5)
    with pytest.raises(SuspiciousOperation):
        IdentityPlatformBackend().verify_token(token, nonce=nonce)


def test_tampered_id_token_is_refused(world, rp):
    token = _signed_in_token(Browser())
    backend = IdentityPlatformBackend()
    assert backend.verify_token(
        token, nonce=jwt.decode(token, options={"verify_signature": False})["nonce"]
    )
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["trust_level"] = 5
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(f"{header}.{forged}.{signature}", nonce=claims["nonce"])


def test_id_token_signed_by_another_key_is_refused(world, rp):
    token = _signed_in_token(Browser())
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(SuspiciousOperation):
        IdentityPlatformBackend().verify_token(forged, nonce=claims["nonce"])


def test_id_token_for_another_client_is_refused(world, rp, settings):
    token = _signed_in_token(Browser())
    nonce = jwt.decode(token, options={"verify_signature": False})["nonce"]
    settings.OIDC_RP_CLIENT_ID = "another-system"
    with pytest.raises(SuspiciousOperation):
        IdentityPlatformBackend().verify_token(token, nonce=nonce)
