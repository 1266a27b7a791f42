"""Reads of service centres and windows. Public master data: any logged-in user may read
every centre; inactive windows are left out."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from tongban.accounts.access import require_authenticated
from tongban.centres.models import ServiceCentre, Window
from tongban.regions.models import Jurisdiction


def active_windows() -> QuerySet[Window]:
    return Window.objects.filter(active=True).order_by("code")


def readable_centres(
    user: AbstractBaseUser | AnonymousUser, jurisdiction: Jurisdiction | None = None
) -> QuerySet[ServiceCentre]:
    """Service centres with their active windows (two queries whatever the length)."""
    require_authenticated(user)
    centres = ServiceCentre.objects.select_related("jurisdiction").prefetch_related(
        Prefetch("windows", queryset=active_windows())
    )
    if jurisdiction is not None:
        centres = centres.filter(jurisdiction=jurisdiction)
    else:
        centres = centres.filter(jurisdiction__active=True)
    return centres.order_by("jurisdiction__code", "name", "pk")
