"""Sign-in lockout (issue 9, ADR 0091): django-axes counts failed sign-ins in the database
per account and per client address, on the web form, the kiosk form and the token
endpoint alike; the right password does not get through a lockout; the answer is 429 with
Retry-After; an administrator unlocks; the lockout ends after the cool-off."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from tongban.accounts.tests.conftest import TOKEN_URL
from tongban.testing.world import PASSWORD

LIMIT = 10  # settings.AXES_FAILURE_LIMIT (TONGBAN_LOGIN_FAILURE_LIMIT)
COOLOFF_SECONDS = 15 * 60


def _token(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def _web_login(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_api(world):
    client = Client()
    answers = [_token(client, "421102-clerk", f"wrong-{i}").status_code for i in range(30)]
    assert answers[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert set(answers[LIMIT - 1 :]) == {429}
    right = _token(client, "421102-clerk", PASSWORD)
    assert right.status_code == 429
    body = right.json()
    assert body["code"] == "too_many_attempts"
    assert body["details"]["retry_after"] == COOLOFF_SECONDS
    assert right["Retry-After"] == str(COOLOFF_SECONDS)
    assert "access_token" not in body
    english = client.post(
        TOKEN_URL,
        {"username": "421102-clerk", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 429 and "Too many failed sign-ins" in english.json()["message"]


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_web_form(world):
    client = Client()
    for i in range(30):
        _web_login(client, "applicant-1", f"wrong-{i}")
    right = _web_login(client, "applicant-1", PASSWORD)
    assert right.status_code == 429
    assert right["Retry-After"] == str(COOLOFF_SECONDS)
    page = right.content.decode()
    assert "登录已暂时锁定" in page and "登录失败次数过多" in page
    assert "_auth_user_id" not in client.session
    assert client.get("/my/").status_code == 302  # still not signed in


def test_lockout_is_per_account_whatever_the_address(world):
    client = Client()
    for i in range(LIMIT):
        _token(client, "421102-clerk", "wrong", address=f"10.1.0.{i + 1}")
    assert _token(client, "421102-clerk", PASSWORD, address="10.2.0.1").status_code == 429
    # the web form and the token endpoint share the count
    assert _web_login(Client(), "421102-clerk", PASSWORD, address="10.2.0.2").status_code == 429
    # another account from a fresh address is not affected
    assert _token(client, "applicant-1", PASSWORD, address="10.2.0.3").status_code == 200


def test_lockout_is_per_address_whatever_the_account(world):
    client = Client()
    for i in range(LIMIT):
        _token(client, f"nobody-{i}", "wrong", address="10.3.0.1")
    assert _token(client, "applicant-1", PASSWORD, address="10.3.0.1").status_code == 429
    assert _token(client, "applicant-1", PASSWORD, address="10.3.0.2").status_code == 200


def test_a_success_with_another_account_does_not_clear_the_count(world):
    """axes' reset-on-success would delete every failure of the address: with it, one
    valid account would let an attacker spray passwords without end."""
    client = Client()
    for i in range(LIMIT - 1):
        assert _token(client, f"victim-{i}", "wrong", address="10.3.1.1").status_code == 401
    assert _token(client, "applicant-1", PASSWORD, address="10.3.1.1").status_code == 200
    assert _token(client, "victim-x", "wrong", address="10.3.1.1").status_code == 429
    assert _token(client, "421102-clerk", PASSWORD, address="10.3.1.1").status_code == 429


def test_an_administrator_unlocks_an_account(world):
    client = Client()
    for _ in range(LIMIT):
        _token(client, "421102-clerk", "wrong", address="10.4.0.1")
    assert _token(client, "421102-clerk", PASSWORD, address="10.4.0.2").status_code == 429
    call_command("axes_reset_username", "421102-clerk")
    assert _token(client, "421102-clerk", PASSWORD, address="10.4.0.2").status_code == 200


def test_the_lockout_ends_after_the_cool_off(world):
    client = Client()
    for _ in range(LIMIT):
        _token(client, "421102-clerk", "wrong")
    assert _token(client, "421102-clerk", PASSWORD).status_code == 429
    past = AccessAttempt.objects.first().attempt_time - dt.timedelta(seconds=COOLOFF_SECONDS + 1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _token(client, "421102-clerk", PASSWORD).status_code == 200


def test_the_kiosk_sign_in_is_locked_out_too(world):
    from tongban.centres.models import Window

    terminal = Window.objects.create(
        centre=world.windows["421102"].centre, code="T09", name="自助终端", kind="terminal"
    )
    client = Client()
    url = f"/kiosk/{terminal.pk}/login/"
    for _ in range(LIMIT):
        client.post(url, {"username": "applicant-1", "password": "wrong"}, REMOTE_ADDR="10.5.0.1")
    right = client.post(
        url, {"username": "applicant-1", "password": PASSWORD}, REMOTE_ADDR="10.5.0.1"
    )
    assert right.status_code == 429 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_counted_address_is_the_peer_or_what_the_trusted_proxy_saw(world, settings, proxies):
    settings.TONGBAN_PROXY_COUNT = proxies
    client = Client()
    for i in range(LIMIT):
        client.post(
            TOKEN_URL,
            {"username": f"nobody-{i}", "password": "wrong"},
            content_type="application/json",
            REMOTE_ADDR="10.9.9.9",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 10.6.0.1",  # forged part, then what it saw
        )
    expected = "10.6.0.1" if proxies else "10.9.9.9"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {expected}


def test_a_request_without_a_usable_address_is_still_counted_by_account(world, settings):
    """A forged or garbled X-Forwarded-For never reaches the database as an address."""
    settings.TONGBAN_PROXY_COUNT = 1
    client = Client()
    for _ in range(LIMIT):
        answer = client.post(
            TOKEN_URL,
            {"username": "421102-clerk", "password": "wrong"},
            content_type="application/json",
            REMOTE_ADDR="10.9.9.8",
            HTTP_X_FORWARDED_FOR="not-an-address",
        )
        assert answer.status_code in {401, 429}
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.9.9.8"}
    assert _token(client, "421102-clerk", PASSWORD, address="10.9.9.7").status_code == 429
