"""The one access check that needs no role: is anybody logged in. It lives in core so that
the public master data below `accounts` (regions, centres) can ask it; every role-based
question is `tongban.accounts.access`."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import NotAuthenticated


def require_authenticated(user: AbstractBaseUser | AnonymousUser | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(_("Please log in first."))
