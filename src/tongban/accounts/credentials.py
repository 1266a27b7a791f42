"""An API token this process accepted before, checked again inside a case move's own
statement instead of by a statement of its own (ADR 0148).

Every API request checks its bearer token against the database: a revoked token, an
expired one, a deactivated account or a removed role stops working on the next request
(issue 12, ADR 0119). On `POST /cases/{number}/actions/{action}` that check was a round
trip and two model rows before the move's first statement, about a tenth of the move's
server CPU. There, and on the look-up `GET /cases/{number}` (ADR 0154), a token the
process has already accepted is taken as a `Credential` (what the token and its user's
row said then), and the move's lock statement, or the look-up's case statement, carries
`still_valid(…)`: the case row comes back only if that token row still exists,
unexpired, for that user, still active and with the same grants version, trust level,
kind and superuser flag. No row, and the caller checks the token the ordinary way and
tries again (`cases.api.act_on_case`, `cases.api.get_case`): a stale credential never
moves a case, and never reads one.

Why these columns: they are what a move's authorisation reads from the user row (the
role grants through `grants_version`, `own_records` through `trust_level`, the platform
administrator through `is_superuser`); the rest of the row (names, e-mail, phone) is
never read by a move."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from tongban.accounts.models import ApiToken, User

# the values of `Credential.values()`, among a statement's other values
PREFIX = "credential_"


class CredentialNotVerified(Exception):
    """A move's statement found no row for a remembered credential: either the token or
    its user changed since, or the case is not there for this user. The caller checks the
    token anew and decides (401, or the move again without the credential)."""


@dataclass(frozen=True)
class Credential:
    token_id: int
    key_hash: str
    user_id: int
    grants_version: int
    trust_level: int
    kind: str
    is_superuser: bool
    expires_at: dt.datetime

    def shape(self) -> tuple[bool, int, str]:
        """What is written into the statement's text (a few variants per node): flags
        and small numbers, which Django would not bind as a parameter of their own."""
        return (self.is_superuser, self.trust_level, self.kind)

    def values(self) -> dict[str, Any]:
        """The statement's values for this credential, by name (`still_valid`)."""
        return {
            f"{PREFIX}token": self.token_id,
            f"{PREFIX}hash": self.key_hash,
            f"{PREFIX}user": self.user_id,
            f"{PREFIX}grants": self.grants_version,
        }


def still_valid(shape: tuple[bool, int, str], values: dict[str, Any]) -> Exists:
    """The condition that the credential of `shape` and `values` (`Credential.shape()`,
    `.values()`, or a prepared statement's stand-ins) is as good as when it was accepted:
    the same expiry rule and account rules as `accounts.auth.BearerTokenAuth`."""
    is_superuser, trust_level, kind = shape
    return Exists(
        ApiToken.objects.filter(
            pk=values[f"{PREFIX}token"],
            key_hash=values[f"{PREFIX}hash"],
            expires_at__gt=Now(),
            user_id=values[f"{PREFIX}user"],
            user__is_active=True,
            user__grants_version=values[f"{PREFIX}grants"],
            user__trust_level=trust_level,
            user__kind=kind,
            user__is_superuser=is_superuser,
        )
    )


def split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A statement's values as (the credential's, the others)."""
    mine = {k: v for k, v in values.items() if k.startswith(PREFIX)}
    return mine, {k: v for k, v in values.items() if not k.startswith(PREFIX)}


def checked(build: Callable[..., QuerySet[Any]]) -> Callable[..., QuerySet[Any]]:
    """A prepared statement's `build` (core.prepared) that also checks a remembered
    credential: no row unless the token and its user are as they were when accepted.
    Its key is `(build's key, Credential.shape())`, its values `build`'s and
    `Credential.values()`."""

    def checked_queryset(key: tuple[Any, tuple[bool, int, str]], **values: Any) -> QuerySet[Any]:
        inner_key, credential_shape = key
        credential_values, others = split(values)
        return build(inner_key, **others).filter(still_valid(credential_shape, credential_values))

    checked_queryset.__qualname__ = f"checked({build.__qualname__})"
    return checked_queryset


@dataclass(frozen=True)
class _Accepted:
    """A token row with its user's, as a full check accepted them: the column values."""

    credential: Credential
    token: tuple[Any, ...]
    user: tuple[Any, ...]


_TOKEN_COLUMNS = [f.attname for f in ApiToken._meta.concrete_fields]
# not the password hash: nothing a move does reads it, and it need not stay in memory for
# a token's lifetime (a move that did read it would load it: a deferred field)
_USER_COLUMNS = [f.attname for f in User._meta.concrete_fields if f.attname != "password"]
# per process, by key hash: the tokens a full check accepted, for the moves that check
# them again in their own statement (ADR 0148). Never trusted anywhere else.
_ACCEPTED: OrderedDict[str, _Accepted] = OrderedDict()
_ACCEPTED_SIZE = 4096
_ACCEPTED_LOCK = threading.Lock()


def remember(key_hash: str, row: ApiToken) -> None:
    user = row.user
    # the values as loaded: an encrypted one stays sealed (core.fields.Sealed)
    token_values, user_values = vars(row), vars(user)
    accepted = _Accepted(
        Credential(
            token_id=row.pk,
            key_hash=key_hash,
            user_id=user.pk,
            grants_version=user.grants_version,
            trust_level=user.trust_level,
            kind=user.kind,
            is_superuser=user.is_superuser,
            expires_at=row.expires_at,
        ),
        tuple(token_values[name] for name in _TOKEN_COLUMNS),
        tuple(user_values[name] for name in _USER_COLUMNS),
    )
    with _ACCEPTED_LOCK:
        _ACCEPTED[key_hash] = accepted
        _ACCEPTED.move_to_end(key_hash)
        while len(_ACCEPTED) > _ACCEPTED_SIZE:
            _ACCEPTED.popitem(last=False)


def forget(key_hash: str) -> None:
    with _ACCEPTED_LOCK:
        _ACCEPTED.pop(key_hash, None)


def recall(key_hash: str) -> tuple[Credential, ApiToken] | None:
    """A new token object, with a new user object, from what a full check accepted."""
    with _ACCEPTED_LOCK:
        accepted = _ACCEPTED.get(key_hash)
    if accepted is None or accepted.credential.expires_at <= timezone.now():
        return None
    row = ApiToken.from_db("default", _TOKEN_COLUMNS, accepted.token)
    row.user = User.from_db("default", _USER_COLUMNS, accepted.user)
    return accepted.credential, row
