"""Every read of the service catalogue. The basic catalogue and published (or retired)
implementations are public to every logged-in user; drafts are seen only by the platform
admin and the admins of the implementing jurisdiction."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import is_platform_admin, jurisdictions_with, require_authenticated
from tongban.accounts.models import Role, User
from tongban.catalog.models import ItemBundle, ItemImplementation, Material, Mode, ServiceItem
from tongban.core.errors import NotFound
from tongban.regions.models import Jurisdiction


def json_list_contains(field: str, value: str) -> Q:
    """`field` (a JSON list of codes) contains `value`. PostgreSQL has jsonb containment;
    SQLite has no JSON `contains` lookup in Django, so there the stored JSON text is
    searched for the quoted value. This is exact because the values are codes from a
    closed set (validated on write) and none is a substring of another with its quotes."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"{field}__icontains": f'"{value}"'})


def published_implementations(on: dt.date) -> QuerySet[ItemImplementation]:
    """Published implementations in force on a date."""
    return ItemImplementation.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        status=ItemImplementation.Status.PUBLISHED,
    )


def _materials_prefetch() -> Prefetch:
    return Prefetch("materials", queryset=Material.objects.order_by("position", "pk"))


def published_implementation(
    item: ServiceItem, jurisdiction: Jurisdiction, on: dt.date
) -> ItemImplementation | None:
    """The version of `item` that `jurisdiction` has published and that is in force on
    `on`, or None. At most one version is published per item and jurisdiction (a database
    constraint), so the answer is unique; its materials checklist is prefetched in order."""
    return (
        published_implementations(on)
        .filter(item=item, jurisdiction=jurisdiction)
        .select_related("department", "item", "jurisdiction")
        .prefetch_related(_materials_prefetch())
        .order_by("-version")
        .first()
    )


def published_implementation_at(
    item: ServiceItem, jurisdiction: Jurisdiction, on: dt.date, version: int
) -> ItemImplementation | None:
    """`published_implementation`, with its checklist, read once per process, date and
    master-data `version` (core.versioned, ADR 0119). A published implementation is frozen
    with its checklist (only a draft's materials are edited), and publishing or retiring
    one saves it, which makes a new version. Shared between requests: read, never change."""
    return _published_implementation_at(item.pk, jurisdiction.pk, on, version, item, jurisdiction)


@lru_cache(maxsize=1024)
def _published_implementation_at(
    item_id: int,
    jurisdiction_id: int,
    on: dt.date,
    version: int,
    item: ServiceItem,
    jurisdiction: Jurisdiction,
) -> ItemImplementation | None:
    return published_implementation(item, jurisdiction, on)


def manageable_jurisdiction_ids(user: User | AnonymousUser | None) -> set[int] | None:
    """Jurisdictions whose implementations `user` may edit; None means all (platform admin)."""
    if is_platform_admin(user):
        return None
    return jurisdictions_with(user, {Role.ADMIN})


def readable_items(user: User | AnonymousUser) -> QuerySet[ServiceItem]:
    require_authenticated(user)
    return ServiceItem.objects.all()


def readable_item(user: User | AnonymousUser, code: str, version: int) -> ServiceItem | None:
    """`readable_items(user).filter(code=code).first()`, the row from the per-process
    cache of master-data `version` (core.versioned, ADR 0119): shared, read it only."""
    require_authenticated(user)
    return _item_with_code(code, version)


@lru_cache(maxsize=1024)
def _item_with_code(code: str, version: int) -> ServiceItem | None:
    # readable_items: the whole catalogue, to every signed-in user
    return ServiceItem.objects.filter(code=code).first()


def get_item_for(user: User | AnonymousUser, code: str) -> ServiceItem:
    item = readable_items(user).filter(code=code).first()
    if item is None:
        raise NotFound(_("No service item %(code)s."), code="item_not_found", params={"code": code})
    return item


def get_jurisdiction(code: str) -> Jurisdiction:
    """Jurisdictions are public master data; an unknown code is a 404 with a stable code."""
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        raise NotFound(
            _("No jurisdiction %(code)s."), code="jurisdiction_not_found", params={"code": code}
        )
    return jurisdiction


def readable_implementations(user: User | AnonymousUser) -> QuerySet[ItemImplementation]:
    """Published and retired versions for everyone logged in (cases refer to them);
    drafts only for those who may edit them."""
    require_authenticated(user)
    qs = ItemImplementation.objects.all()
    managed = manageable_jurisdiction_ids(user)
    if managed is None:
        return qs
    return qs.filter(~Q(status=ItemImplementation.Status.DRAFT) | Q(jurisdiction_id__in=managed))


def get_implementation_for(user: User | AnonymousUser, pk: int) -> ItemImplementation:
    implementation = (
        readable_implementations(user)
        .filter(pk=pk)
        .select_related("item", "jurisdiction", "department")
        .prefetch_related(_materials_prefetch())
        .first()
    )
    if implementation is None:
        raise NotFound(
            _("No such item implementation, or it is outside your scope."),
            code="implementation_not_found",
        )
    return implementation


def search_items(
    user: User | AnonymousUser,
    q: str | None = None,
    jurisdiction: Jurisdiction | None = None,
    department_kind: str | None = None,
    mode: str | None = None,
    on: dt.date | None = None,
) -> QuerySet[ServiceItem]:
    """Search the basic catalogue. `q` matches the name (contains), the code (prefix) or
    the pinyin initials (prefix), case-insensitively. `jurisdiction` and `mode` keep the
    items that have a version in force on `on` (default today) published there / open in
    that mode — both on the same implementation when both are given. Every item carries
    `published_versions`: its implementations in force, with their jurisdictions
    (prefetched, so a page of results costs a fixed number of queries)."""
    on = on or timezone.localdate()
    qs = readable_items(user)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(code__istartswith=term)
            | Q(pinyin_initials__startswith=term.lower())
        )
    if department_kind:
        qs = qs.filter(department_kind=department_kind)
    if jurisdiction is not None or mode:
        implementations = published_implementations(on).filter(item=OuterRef("pk"))
        if jurisdiction is not None:
            implementations = implementations.filter(jurisdiction=jurisdiction)
        if mode:
            if mode not in Mode.values:
                return qs.none()
            implementations = implementations.filter(json_list_contains("modes", mode))
        qs = qs.filter(Exists(implementations))
    return qs.order_by("code").prefetch_related(
        Prefetch(
            "implementations",
            queryset=published_implementations(on)
            .select_related("jurisdiction")
            .order_by("jurisdiction__code"),
            to_attr="published_versions",
        )
    )


def item_implementations(item: ServiceItem, on: dt.date | None = None) -> list[ItemImplementation]:
    """The versions of `item` in force on `on` (default today), one per publishing
    jurisdiction, with department and materials checklist (3 queries whatever the count)."""
    on = on or timezone.localdate()
    return list(
        published_implementations(on)
        .filter(item=item)
        .select_related("jurisdiction", "department")
        .prefetch_related(_materials_prefetch())
        .order_by("jurisdiction__code")
    )


def implementation_history(
    item: ServiceItem, jurisdiction: Jurisdiction, user: User | AnonymousUser
) -> QuerySet[ItemImplementation]:
    """Every version readable by `user` of one item in one jurisdiction, newest first."""
    return (
        readable_implementations(user)
        .filter(item=item, jurisdiction=jurisdiction)
        .order_by("-version")
    )


def bundles_led_by(item: ServiceItem) -> list[ItemBundle]:
    """Active "一件事" bundles whose lead item is `item`, with their parts (public data)."""
    return list(
        ItemBundle.objects.filter(lead_item=item, active=True).prefetch_related("parts__item")
    )
