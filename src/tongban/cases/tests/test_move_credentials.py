"""A case move checks a bearer token its process accepted before in the move's own lock
statement, not in a statement of its own (ADR 0148), and the case look-up in its case
statement (ADR 0154): whatever changed since, in this process or another, the next move
or look-up sees it, refuses with the right answer, and changes or shows nothing. On both
databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.accounts import credentials
from tongban.accounts.actions import revoke_role
from tongban.accounts.auth import hash_token
from tongban.accounts.models import ApiToken, User
from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

CLERK = "421102-clerk"


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code, response.json()


def _key_hash(client) -> str:
    return hash_token(client.headers["Authorization"].removeprefix("Bearer "))


def _token_statements(queries) -> list[str]:
    """The statements that read the token table: on their own, or inside another."""
    return [q["sql"] for q in queries if "accounts_apitoken" in q["sql"]]


def _submitted(world, api) -> str:
    """A case the clerk submitted through another token (the clerk's stays unused)."""
    return str(_ok(api(CLERK).post("/cases", company_submission(world)), 201)["number"])


def _unchanged(number: str, status: str, events: int) -> None:
    case = Case.objects.get(number=number)
    assert (case.status, case.event_count) == (status, events)


def _change_behind_the_process(key_hash: str, change: str) -> None:
    """The clerk's token or account changed as another server process would change it:
    with no word to this process's memory."""
    tokens = ApiToken.objects.filter(key_hash=key_hash)
    if change == "deleted":
        tokens.delete()
    elif change == "expired":
        tokens.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif change == "deactivated":
        User.objects.filter(username=CLERK).update(is_active=False)
    else:  # the row now belongs to another key (a token table restored, say)
        tokens.update(key_hash=hash_token("another"))


def test_a_remembered_token_is_checked_by_the_move_statement(world, api):
    clerk = api(CLERK)
    first, second = _submitted(world, api), _submitted(world, api)
    with CaptureQueriesContext(connection) as before:
        _ok(clerk.act(first, "check"))
    with CaptureQueriesContext(connection) as after:
        _ok(clerk.act(second, "check"))
    # the first move checked the token on its own and the process remembered it
    own = [sql for sql in _token_statements(before) if "cases_case" not in sql]
    assert len(own) == 1
    # the second: the one statement that reads the token is the case's lock
    (checked,) = _token_statements(after)
    assert "cases_case" in checked and 'parent_id" ASC NULLS FIRST' in checked
    # what the process keeps of the account leaves the password hash out
    _, remembered = credentials.recall(_key_hash(clerk)) or (None, None)
    assert remembered is not None and "password" in remembered.user.get_deferred_fields()
    # every other endpoint (the queue, say) still checks the token on its own
    with CaptureQueriesContext(connection) as read:
        _ok(clerk.get("/cases"))
    assert [sql for sql in _token_statements(read) if "cases_case" not in sql]


@pytest.mark.parametrize(
    "change",
    ["deleted", "expired", "deactivated", "another_key"],
)
def test_a_token_changed_elsewhere_stops_the_next_move(world, api, change):
    clerk = api(CLERK)
    first, second = _submitted(world, api), _submitted(world, api)
    _ok(clerk.act(first, "check"))
    key_hash = _key_hash(clerk)
    assert credentials.recall(key_hash) is not None
    _change_behind_the_process(key_hash, change)
    _error(clerk.act(second, "check"), 401, "not_authenticated")
    _unchanged(second, "received", 1)
    assert credentials.recall(key_hash) is None


def test_a_removed_role_is_seen_by_the_next_move(world, api):
    clerk = api(CLERK)
    first, second = _submitted(world, api), _submitted(world, api)
    _ok(clerk.act(first, "check"))
    revoke_role(None, world.user(CLERK), "clerk", world.huangzhou)
    _error(clerk.act(second, "check"), 404, "not_found")
    _unchanged(second, "received", 1)


def test_a_lowered_trust_level_is_seen_by_the_next_move(world, api):
    clerk = api(CLERK)
    first, second = _submitted(world, api), _submitted(world, api)
    _ok(clerk.act(first, "check"))
    User.objects.filter(username=CLERK).update(trust_level=1)
    # the remembered credential no longer matches: the token is checked anew, and the
    # move goes on with the account as it is now
    _ok(clerk.act(second, "check"))
    remembered = credentials.recall(_key_hash(clerk))
    assert remembered is not None and remembered[0].trust_level == 1


def test_a_case_outside_the_scope_is_404_with_a_good_remembered_token(world, api):
    clerk = api(CLERK)
    first = _submitted(world, api)
    _ok(clerk.act(first, "check"))
    # 鄂州葛店's clerk: the case is neither received nor handled there
    other = api("420703400-clerk")
    outsider = _submitted(world, api)
    _error(other.act(outsider, "check"), 404, "not_found")
    _error(other.act(outsider, "check"), 404, "not_found")  # remembered by now
    _unchanged(outsider, "received", 1)


def test_a_refused_move_with_a_remembered_token_is_refused_for_its_own_reason(world, api):
    clerk = api(CLERK)
    number = _submitted(world, api)
    _ok(clerk.act(number, "check"))
    _error(clerk.act(number, "check"), 409, "illegal_transition")


def test_an_unknown_token_is_never_remembered(world, api):
    stranger = api(None)
    stranger.headers["Authorization"] = "Bearer not-a-token"
    number = _submitted(world, api)
    for _ in range(2):
        _error(stranger.act(number, "check"), 401, "not_authenticated")
    assert credentials.recall(hash_token("not-a-token")) is None
    _unchanged(number, "received", 1)


def test_without_a_token_a_move_is_401(world, api):
    number = _submitted(world, api)
    _error(api(None).act(number, "check"), 401, "not_authenticated")
    _unchanged(number, "received", 1)


# -- the look-up, GET /cases/{number} (ADR 0154) ------------------------------------------


def test_a_remembered_token_is_checked_by_the_lookup_statement(world, api):
    number = _submitted(world, api)
    # another token of the clerk's first: the process's master-data cache is filled
    _ok(api(CLERK).get(f"/cases/{number}"))
    clerk = api(CLERK)
    with CaptureQueriesContext(connection) as before:
        first = _ok(clerk.get(f"/cases/{number}"))
    with CaptureQueriesContext(connection) as after:
        second = _ok(clerk.get(f"/cases/{number}"))
    assert [sql for sql in _token_statements(before) if "cases_case" not in sql]
    (checked,) = _token_statements(after)
    assert "cases_case" in checked
    assert len(after) == len(before) - 1
    assert first == second


@pytest.mark.parametrize("change", ["deleted", "expired", "deactivated", "another_key"])
def test_a_token_changed_elsewhere_stops_the_next_lookup(world, api, change):
    clerk = api(CLERK)
    number = _submitted(world, api)
    _ok(clerk.get(f"/cases/{number}"))
    key_hash = _key_hash(clerk)
    assert credentials.recall(key_hash) is not None
    _change_behind_the_process(key_hash, change)
    response = clerk.get(f"/cases/{number}")
    _error(response, 401, "not_authenticated")
    assert number not in response.content.decode()
    assert credentials.recall(key_hash) is None


def test_a_removed_role_or_another_scope_is_404_on_the_next_lookup(world, api):
    clerk = api(CLERK)
    number = _submitted(world, api)
    _ok(clerk.get(f"/cases/{number}"))
    revoke_role(None, world.user(CLERK), "clerk", world.huangzhou)
    _error(clerk.get(f"/cases/{number}"), 404, "not_found")
    other = api("420703400-clerk")
    for _ in range(2):  # the second time with a remembered token
        _error(other.get(f"/cases/{number}"), 404, "not_found")
    assert credentials.recall(_key_hash(other)) is not None


def test_a_lowered_trust_level_is_seen_by_the_next_lookup(world, api):
    clerk = api(CLERK)
    number = _submitted(world, api)
    _ok(clerk.get(f"/cases/{number}"))
    User.objects.filter(username=CLERK).update(trust_level=1)
    _ok(clerk.get(f"/cases/{number}"))
    remembered = credentials.recall(_key_hash(clerk))
    assert remembered is not None and remembered[0].trust_level == 1


def test_a_lookup_without_a_good_token_is_401(world, api):
    number = _submitted(world, api)
    _error(api(None).get(f"/cases/{number}"), 401, "not_authenticated")
    stranger = api(None)
    stranger.headers["Authorization"] = "Bearer not-a-token"
    for _ in range(2):
        _error(stranger.get(f"/cases/{number}"), 401, "not_authenticated")
    assert credentials.recall(hash_token("not-a-token")) is None
