import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from tongban.accounts.auth import hash_token
from tongban.accounts.models import ApiToken
from tongban.accounts.tests.conftest import ME_URL, TOKEN_URL, bearer, get_token
from tongban.core.models import AuditEvent
from tongban.testing.world import PASSWORD


def post_token(client, username, password, **extra):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def test_login_returns_a_bearer_token_with_the_user_and_roles(world, api):
    before = timezone.now()
    response = post_token(api, "421102-clerk", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 40
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    ttl = dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)
    assert before + ttl <= expires_at <= timezone.now() + ttl
    assert body["user"]["username"] == "421102-clerk"
    assert body["user"]["kind"] == "staff"
    assert body["user"]["roles"] == [
        {
            "role": "clerk",
            "role_name": "窗口收件人员",
            "jurisdiction_code": "421102",
            "jurisdiction_name": "黄冈市黄州区",
        }
    ]


def test_only_the_hash_of_the_token_is_stored(world, api):
    token = get_token(api, "421102-clerk")
    row = ApiToken.objects.get(user=world.user("421102-clerk"))
    assert row.key_hash == hash_token(token)
    assert token not in row.key_hash
    assert AuditEvent.objects.filter(action="issue_token", object_id=str(row.pk)).exists()


def test_token_authenticates_me(world, api):
    token = get_token(api, "420100Z01-officer")
    response = api.get(ME_URL, **bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "420100Z01-officer"
    assert [r["jurisdiction_code"] for r in body["roles"]] == ["420100Z01"]


def test_platform_admin_role_has_no_jurisdiction(world, api):
    token = get_token(api, "platform-admin")
    roles = api.get(ME_URL, **bearer(token)).json()["roles"]
    assert roles == [
        {
            "role": "platform_admin",
            "role_name": "平台管理员",
            "jurisdiction_code": None,
            "jurisdiction_name": None,
        }
    ]


def test_applicant_logs_in_without_roles(world, api):
    token = get_token(api, "applicant-1")
    body = api.get(ME_URL, **bearer(token)).json()
    assert body["kind"] == "applicant"
    assert body["roles"] == []


def test_wrong_password_and_unknown_user_get_the_same_401(world, api):
    wrong = post_token(api, "421102-clerk", "not-the-password")
    unknown = post_token(api, "no-such-user", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_error_message_follows_the_language(world, api):
    response = post_token(api, "421102-clerk", "nope", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "The username or password is not correct."
    response = post_token(api, "421102-clerk", "nope")
    assert response.json()["message"] == "用户名或密码不正确。"


def test_inactive_user_cannot_log_in(world, api):
    user = world.user("421102-clerk")
    user.is_active = False
    user.save()
    response = post_token(api, "421102-clerk", PASSWORD)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_token_of_a_deactivated_user_stops_working(world, api):
    token = get_token(api, "421102-clerk")
    user = world.user("421102-clerk")
    user.is_active = False
    user.save()
    response = api.get(ME_URL, **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expired_token_is_refused(world, api):
    token = get_token(api, "421102-clerk")
    ApiToken.objects.filter(key_hash=hash_token(token)).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = api.get(ME_URL, **bearer(token))
    assert response.status_code == 401


def test_login_clears_the_users_expired_tokens(world, api):
    old = get_token(api, "421102-clerk")
    ApiToken.objects.filter(key_hash=hash_token(old)).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    get_token(api, "421102-clerk")
    assert not ApiToken.objects.filter(key_hash=hash_token(old)).exists()
    assert ApiToken.objects.filter(user=world.user("421102-clerk")).count() == 1


def test_revoked_token_is_refused_and_other_tokens_survive(world, api):
    first = get_token(api, "421102-clerk")
    second = get_token(api, "421102-clerk")
    response = api.delete(TOKEN_URL, **bearer(first))
    assert response.status_code == 204
    assert api.get(ME_URL, **bearer(first)).status_code == 401
    assert api.get(ME_URL, **bearer(second)).status_code == 200
    assert AuditEvent.objects.filter(action="revoke_token").count() == 1


def test_garbage_token_is_refused(world, api):
    assert api.get(ME_URL, **bearer("not-a-token")).status_code == 401


def test_unauthenticated_requests_get_401(world, api):
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert api.delete(TOKEN_URL).status_code == 401


def test_session_user_may_call_me_and_logout_is_a_no_op(world, api):
    api.force_login(world.user("420205-head"))
    assert api.get(ME_URL).json()["username"] == "420205-head"
    assert api.delete(TOKEN_URL).status_code == 204


@pytest.mark.parametrize(
    "body", [{"username": "421102-clerk"}, {"password": PASSWORD}, {"username": 1}]
)
def test_malformed_login_body_is_422(world, api, body):
    response = api.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
