"""Who may do what where. Every scoped read and every action asks these helpers; the
answers are cached on the user object for the duration of one request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import Role, RoleAssignment
from tongban.core.errors import NotAuthenticated

STAFF_ROLES = frozenset(Role.values)
CASE_WORK_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD})
READ_ALL_ROLES = frozenset({Role.PLATFORM_ADMIN})


@dataclass(frozen=True)
class Grant:
    role: str
    jurisdiction_id: int | None


def grants(user: Any) -> tuple[Grant, ...]:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, "_tongban_grants", None)
    if cached is None:
        cached = tuple(
            Grant(role, jurisdiction_id)
            for role, jurisdiction_id in RoleAssignment.objects.filter(user=user).values_list(
                "role", "jurisdiction_id"
            )
        )
        user._tongban_grants = cached
    return cached


def require_authenticated(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(_("Please log in first."))


def is_platform_admin(user: Any) -> bool:
    return any(g.role == Role.PLATFORM_ADMIN for g in grants(user)) or bool(
        getattr(user, "is_superuser", False)
    )


def is_staff_member(user: Any) -> bool:
    return bool(grants(user))


def jurisdictions_with(user: Any, roles: Iterable[str] | None = None) -> set[int]:
    """Jurisdiction ids where the user holds one of `roles` (any staff role if None)."""
    wanted = STAFF_ROLES if roles is None else frozenset(roles)
    return {
        g.jurisdiction_id
        for g in grants(user)
        if g.role in wanted and g.jurisdiction_id is not None
    }


def has_role(user: Any, roles: Iterable[str], jurisdiction_id: int | None) -> bool:
    if jurisdiction_id is None:
        return False
    wanted = frozenset(roles)
    return any(g.role in wanted and g.jurisdiction_id == jurisdiction_id for g in grants(user))


def roles_in(user: Any, jurisdiction_id: int | None) -> set[str]:
    return {g.role for g in grants(user) if g.jurisdiction_id == jurisdiction_id}
