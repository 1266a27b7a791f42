"""Who may do what where. Every scoped read and every action asks these helpers; the
answers are cached on the user object for the duration of one request, and the role
grants per process under the user's `grants_version` (ADR 0119)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import AnonymousUser

from tongban.accounts.models import Role, RoleAssignment, User
from tongban.core.access import require_authenticated as require_authenticated

STAFF_ROLES = frozenset(Role.values)
CASE_WORK_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD})
READ_ALL_ROLES = frozenset({Role.PLATFORM_ADMIN})


@dataclass(frozen=True)
class Grant:
    role: str
    jurisdiction_id: int | None


def grants(user: User | AnonymousUser | None) -> tuple[Grant, ...]:
    if not isinstance(user, User):
        return ()
    cached = getattr(user, "_tongban_grants", None)
    if cached is None:
        cached = _grants_of(user.pk, user.grants_version)
        # a cache for the request on the user object, not a model field
        user._tongban_grants = cached  # type: ignore[attr-defined]
    return cached


@lru_cache(maxsize=8192)
def _grants_of(user_id: int, grants_version: int) -> tuple[Grant, ...]:
    # per process, keyed by the version the user row carries (ADR 0119): a role change
    # sets a new version, so the next request, reading the user row, reads the roles again
    return tuple(
        Grant(role, jurisdiction_id)
        for role, jurisdiction_id in RoleAssignment.objects.filter(user_id=user_id).values_list(
            "role", "jurisdiction_id"
        )
    )


def is_platform_admin(user: User | AnonymousUser | None) -> bool:
    return any(g.role == Role.PLATFORM_ADMIN for g in grants(user)) or bool(
        getattr(user, "is_superuser", False)
    )


def is_staff_member(user: User | AnonymousUser | None) -> bool:
    return bool(grants(user))


def jurisdictions_with(
    user: User | AnonymousUser | None, roles: Iterable[str] | None = None
) -> set[int]:
    """Jurisdiction ids where the user holds one of `roles` (any staff role if None)."""
    wanted = STAFF_ROLES if roles is None else frozenset(roles)
    return {
        g.jurisdiction_id
        for g in grants(user)
        if g.role in wanted and g.jurisdiction_id is not None
    }


def has_role(
    user: User | AnonymousUser | None, roles: Iterable[str], jurisdiction_id: int | None
) -> bool:
    if jurisdiction_id is None:
        return False
    wanted = frozenset(roles)
    return any(g.role in wanted and g.jurisdiction_id == jurisdiction_id for g in grants(user))


def roles_in(user: User | AnonymousUser | None, jurisdiction_id: int | None) -> set[str]:
    return {g.role for g in grants(user) if g.jurisdiction_id == jurisdiction_id}


def signed_in(user: User | AnonymousUser | None) -> User:
    """The caller as a `User`, for the actions that record who acted; `NotAuthenticated`
    (401) for the anonymous and for nobody, as `require_authenticated`."""
    require_authenticated(user)
    # what `require_authenticated` lets through is a signed-in account, and accounts are `User`
    assert isinstance(user, User)
    return user
