"""Reads of service centres and windows. Public master data: any logged-in user may read
every centre; inactive windows are left out."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from tongban.centres.models import ServiceCentre, Window
from tongban.core.access import require_authenticated
from tongban.core.errors import not_found
from tongban.regions.models import Department, Jurisdiction
from tongban.regions.selectors import REGION_CHAIN


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


def get_jurisdiction_detail_for(user: AbstractBaseUser | AnonymousUser, code: str) -> Jurisdiction:
    """One jurisdiction (active or not) with its region chain, departments and service
    centres (with their active windows) loaded; NotFound for an unknown code."""
    require_authenticated(user)
    jurisdiction = (
        Jurisdiction.objects.select_related(REGION_CHAIN)
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("kind", "pk")),
            Prefetch(
                "service_centres",
                queryset=ServiceCentre.objects.order_by("name", "pk").prefetch_related(
                    Prefetch("windows", queryset=active_windows())
                ),
            ),
        )
        .filter(code=code)
        .first()
    )
    if jurisdiction is None:
        raise not_found("jurisdiction")
    return jurisdiction
