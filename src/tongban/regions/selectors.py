"""Reads of regions data. Jurisdictions, departments, centres and the working-day calendar
are public master data: every logged-in user may read all of them; they hold no personal
data. Each list runs a bounded number of queries whatever its length."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.core.access import require_authenticated
from tongban.core.errors import Invalid, not_found
from tongban.regions.calendar import CalendarException, calendar_for, package_covers
from tongban.regions.models import AdministrativeRegion, Jurisdiction

# region -> parent -> parent -> parent covers township, county, city and province
REGION_CHAIN = "region__parent__parent__parent"

# path segment that names the national calendar in /v1/calendar/{code}
NATIONAL = "national"


def province_of(region: AdministrativeRegion) -> AdministrativeRegion:
    """The top of a region's chain (uses the parents loaded by the selectors)."""
    node = region
    while node.parent is not None:
        node = node.parent
    return node


def readable_jurisdictions(
    user: AbstractBaseUser | AnonymousUser, *, include_inactive: bool = False
) -> QuerySet[Jurisdiction]:
    require_authenticated(user)
    jurisdictions = Jurisdiction.objects.select_related(REGION_CHAIN).order_by("code")
    if not include_inactive:
        jurisdictions = jurisdictions.filter(active=True)
    return jurisdictions


def get_jurisdiction_for(user: AbstractBaseUser | AnonymousUser, code: str) -> Jurisdiction:
    """One jurisdiction (active or not) by code; NotFound for an unknown code."""
    require_authenticated(user)
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        raise not_found("jurisdiction")
    return jurisdiction


def jurisdiction_by_code(
    code: str, field: str = "jurisdiction", version: int | None = None
) -> Jurisdiction:
    """The jurisdiction an input names by code (a body field, a form field, a command
    option): jurisdictions are public master data, so an unknown code is a 422
    `unknown_jurisdiction` on that field, the same answer wherever it is named. Whether the
    caller may act there is the action's rule. With the master-data `version`
    (core.versioned, ADR 0119) the row comes from the per-process cache of that version:
    shared, to be read and never changed."""
    code = (code or "").strip()
    if not code:
        raise Invalid(_("Choose a jurisdiction."), details={field: code})
    if version is None:
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
    else:
        jurisdiction = _jurisdiction_with_code(code, version)
    if jurisdiction is None:
        raise Invalid(
            _("Unknown jurisdiction code: %(code_32)s"),
            code="unknown_jurisdiction",
            details={field: code[:32]},
            params={"code_32": code[:32]},
        )
    return jurisdiction


@lru_cache(maxsize=1024)
def _jurisdiction_with_code(code: str, version: int) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(code=code).first()


@dataclass(frozen=True)
class CalendarYearView:
    jurisdiction: Jurisdiction | None
    year: int
    source: str  # "package": the official calendar; "declared": entered by administrators
    provisional: bool
    working_days: int
    exceptions: list[CalendarException]


def calendar_year_for(
    user: AbstractBaseUser | AnonymousUser, code: str, year: int
) -> CalendarYearView:
    """The working-day exceptions of one year in a jurisdiction (`code`) or nationally
    (`code == "national"`). CalendarNotAvailable for a year nobody has entered."""
    require_authenticated(user)
    jurisdiction = None if code == NATIONAL else get_jurisdiction_for(user, code)
    calendar = calendar_for(jurisdiction)
    exceptions = calendar.exceptions_in_year(year)
    first = dt.date(year, 1, 1)
    return CalendarYearView(
        jurisdiction=jurisdiction,
        year=year,
        source="package" if package_covers(year) else "declared",
        provisional=calendar.is_provisional(first),
        working_days=calendar.working_days_between(
            first - dt.timedelta(days=1), dt.date(year, 12, 31)
        ),
        exceptions=exceptions,
    )
