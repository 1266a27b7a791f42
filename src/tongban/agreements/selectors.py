"""Every read of cooperation agreements, and the question the case workflow asks:
"may A receive item X for B in mode M today?" (`find_agreement_item`) and its list form
"where can this window send item X today, and how?" (`routes`).

Visibility (ADR 0020): agreements are public documents, so every logged-in user sees the
active versions; staff of a party additionally see its other non-draft versions
(suspended, expired, superseded); drafts are seen by the admins of their parties; the
platform admin sees everything."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import (
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
)
from tongban.accounts.models import Role, User
from tongban.agreements.models import Agreement, AgreementEvent, AgreementItem, AgreementParty
from tongban.catalog.models import ItemImplementation, Mode, ServiceItem
from tongban.catalog.selectors import json_list_contains, published_implementations
from tongban.core.errors import NotFound
from tongban.regions.models import Jurisdiction

#: order in which routes list modes (the order of the official modes)
MODE_ORDER = {code: index for index, code in enumerate(Mode.values)}


def agreements_in_force(on: dt.date) -> QuerySet[Agreement]:
    """Active versions whose validity covers `on`. Suspended, expired, superseded and
    draft versions never open anything."""
    return Agreement.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        status=Agreement.Status.ACTIVE,
        valid_from__lte=on,
    )


def _candidates(
    receiving: Jurisdiction, on: dt.date, item: ServiceItem | None = None
) -> list[AgreementItem]:
    """Agreement items (of `item`, or of every item when None) in agreements in force on
    `on` to which `receiving` is party, with directions and parties prefetched, oldest
    agreement first (the order in which the first matching agreement is chosen)."""
    only = {"item": item} if item is not None else {}
    return list(
        AgreementItem.objects.filter(
            agreement__in=agreements_in_force(on),
            agreement__parties__jurisdiction=receiving,
            **only,
        )
        .select_related("agreement")
        .prefetch_related(
            "receiving_jurisdictions",
            "handling_jurisdictions",
            Prefetch(
                "agreement__parties",
                queryset=AgreementParty.objects.select_related("jurisdiction"),
            ),
        )
        .order_by("agreement__valid_from", "agreement__code", "pk")
    )


def _allowed_handlers(candidate: AgreementItem, receiving: Jurisdiction) -> list[Jurisdiction]:
    """The parties that may handle `candidate` for `receiving`, or [] if `receiving` may
    not receive it. Empty direction lists mean "every party"."""
    receivers = {j.pk for j in candidate.receiving_jurisdictions.all()}
    if receivers and receiving.pk not in receivers:
        return []
    handlers = {j.pk for j in candidate.handling_jurisdictions.all()}
    parties = [p.jurisdiction for p in candidate.agreement.parties.all()]
    return [j for j in parties if j.pk != receiving.pk and (not handlers or j.pk in handlers)]


def _admitting(
    receiving: Jurisdiction, handling: Jurisdiction, mode: str, on: dt.date
) -> QuerySet[AgreementItem]:
    """The agreement items that let `receiving` receive for `handling` in `mode` on `on`,
    the one in force longest first: the agreement is in force, both are parties, the
    item lists the mode, and its directions allow the pair (an empty direction list means
    every party). One statement, the directions and parties as EXISTS sub-selects: the
    rule `_allowed_handlers` applies to one candidate in Python, for `routes`."""
    parties = AgreementParty.objects.filter(agreement_id=OuterRef("agreement_id"))
    receivers = AgreementItem.receiving_jurisdictions.through.objects.filter(
        agreementitem_id=OuterRef("pk")
    )
    handlers = AgreementItem.handling_jurisdictions.through.objects.filter(
        agreementitem_id=OuterRef("pk")
    )
    return (
        AgreementItem.objects.filter(
            Exists(parties.filter(jurisdiction_id=receiving.pk)),
            Exists(parties.filter(jurisdiction_id=handling.pk)),
            ~Exists(receivers) | Exists(receivers.filter(jurisdiction_id=receiving.pk)),
            ~Exists(handlers) | Exists(handlers.filter(jurisdiction_id=handling.pk)),
            json_list_contains("modes", mode),
            agreement__in=agreements_in_force(on),
        )
        .select_related("agreement")
        .order_by("agreement__valid_from", "agreement__code", "pk")
    )


def find_agreement_item(
    item: ServiceItem,
    receiving: Jurisdiction,
    handling: Jurisdiction,
    mode: str,
    on: dt.date,
    version: int | None = None,
) -> AgreementItem | None:
    """May `receiving` receive `item` for `handling` in `mode` on date `on`? Returns the
    agreement item that allows it, or None. Both must be parties of an agreement in force
    that lists the item with the mode, and the item's directions must allow the pair.
    A jurisdiction never needs an agreement with itself: same-jurisdiction gives None.
    When several agreements allow the pair, the one in force longest wins (stable).
    One statement (`_admitting`); with the master-data `version` (core.versioned, ADR
    0119) the answer is kept per process for that version and date, as the case
    submission asks it on every receipt: shared, to be read and never changed."""
    if receiving.pk == handling.pk:
        return None
    if version is None:
        return _agreement_item(item.pk, receiving, handling, mode, on)
    return _agreement_item_at(item.pk, receiving, handling, mode, on, version)


def _agreement_item(
    item_id: int, receiving: Jurisdiction, handling: Jurisdiction, mode: str, on: dt.date
) -> AgreementItem | None:
    return _admitting(receiving, handling, mode, on).filter(item_id=item_id).first()


@lru_cache(maxsize=1024)
def _agreement_item_at(
    item_id: int,
    receiving: Jurisdiction,
    handling: Jurisdiction,
    mode: str,
    on: dt.date,
    version: int,
) -> AgreementItem | None:
    return _agreement_item(item_id, receiving, handling, mode, on)


def open_items(
    receiving: Jurisdiction, handling: Jurisdiction, mode: str, on: dt.date
) -> dict[int, AgreementItem]:
    """The list form of `find_agreement_item`: every item `receiving` may receive for
    `handling` in `mode` on `on`, keyed by item id, each with the agreement item that
    `find_agreement_item` would return for it (the same statement, the same order). One
    query whatever the number of items; used where many items are asked at once (the
    synthetic history, ADR 0097)."""
    if receiving.pk == handling.pk:
        return {}
    found: dict[int, AgreementItem] = {}
    for candidate in _admitting(receiving, handling, mode, on):
        found.setdefault(candidate.item_id, candidate)
    return found


@dataclass(frozen=True)
class Route:
    """One way a receiving window can take in an item: hand it to `handling` in `mode`
    under `agreement_item`, applying `implementation` (the handling place's version in
    force, whose checklist the receiving window checks against)."""

    handling: Jurisdiction
    mode: str
    agreement_item: AgreementItem
    implementation: ItemImplementation

    @property
    def agreement(self) -> Agreement:
        return self.agreement_item.agreement


def routes(item: ServiceItem, receiving: Jurisdiction, on: dt.date) -> list[Route]:
    """Every (handling jurisdiction, mode) open to `receiving` for `item` on `on`: the
    receiving jurisdiction is a party and an allowed receiver of an agreement in force,
    the handling jurisdiction is another party and an allowed handler, the mode is listed
    by the agreement item AND by the handling place's published implementation in force
    on `on`. `online` routes appear only when the agreement lists `online` (the receiving
    window then helps the applicant apply online to the handling place); fully online
    applications without a receiving window need no route. One route per (handling,
    mode); the agreement chosen is the one `find_agreement_item` returns. Five queries
    whatever the number of agreements."""
    allowed: dict[tuple[int, str], AgreementItem] = {}
    handlers: dict[int, Jurisdiction] = {}
    for candidate in _candidates(receiving, on, item):
        for handling in _allowed_handlers(candidate, receiving):
            handlers[handling.pk] = handling
            for mode in candidate.modes:
                allowed.setdefault((handling.pk, mode), candidate)
    if not allowed:
        return []
    implementations = {
        impl.jurisdiction_id: impl
        for impl in published_implementations(on)
        .filter(item=item, jurisdiction_id__in=handlers)
        .select_related("department")
    }
    found = []
    for (handling_id, mode), candidate in allowed.items():
        implementation = implementations.get(handling_id)
        if implementation is None or mode not in implementation.modes:
            continue
        found.append(Route(handlers[handling_id], mode, candidate, implementation))
    found.sort(key=lambda r: (r.handling.code, MODE_ORDER.get(r.mode, 99)))
    return found


# ---------------------------------------------------------------- scoped reads


def readable_agreements(user: User | AnonymousUser) -> QuerySet[Agreement]:
    require_authenticated(user)
    qs = Agreement.objects.all()
    if is_platform_admin(user):
        return qs
    visible = Q(status=Agreement.Status.ACTIVE)
    staff_of = jurisdictions_with(user)
    if staff_of:
        of_party = AgreementParty.objects.filter(jurisdiction_id__in=staff_of).values(
            "agreement_id"
        )
        visible |= Q(pk__in=of_party) & ~Q(status=Agreement.Status.DRAFT)
    admin_of = jurisdictions_with(user, {Role.ADMIN})
    if admin_of:
        of_admin = AgreementParty.objects.filter(jurisdiction_id__in=admin_of).values(
            "agreement_id"
        )
        visible |= Q(pk__in=of_admin)
    return qs.filter(visible)


def agreement_list(
    user: User | AnonymousUser, party: Jurisdiction | None = None
) -> QuerySet[Agreement]:
    """The list view: parties (with jurisdictions) prefetched, item count annotated."""
    qs = readable_agreements(user)
    if party is not None:
        qs = qs.filter(
            pk__in=AgreementParty.objects.filter(jurisdiction=party).values("agreement_id")
        )
    return (
        qs.annotate(item_count=Count("items", distinct=True))
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=AgreementParty.objects.select_related("jurisdiction").order_by(
                    "jurisdiction__code"
                ),
            )
        )
        .order_by("code", "-version")
    )


_CURRENT_PREFERENCE: dict[str, int] = {
    Agreement.Status.ACTIVE.value: 0,
    Agreement.Status.SUSPENDED.value: 1,
    Agreement.Status.EXPIRED.value: 2,
    Agreement.Status.SUPERSEDED.value: 3,
    Agreement.Status.DRAFT.value: 4,
}


def _agreement_not_found(code: str) -> NotFound:
    return NotFound(
        _("No agreement %(code)s, or it is outside your scope."),
        code="agreement_not_found",
        params={"code": code},
    )


def get_agreement_for(
    user: User | AnonymousUser, code: str, version: int | None = None
) -> Agreement:
    """One version of an agreement, with parties, items, directions and events loaded.
    Without `version`: the current one — the active version, else the suspended one,
    else the newest readable version (expired, superseded, then draft)."""
    versions = list(readable_agreements(user).filter(code=code).order_by("-version"))
    if version is not None:
        versions = [a for a in versions if a.version == version]
    if not versions:
        raise _agreement_not_found(code)
    chosen = min(versions, key=lambda a: (_CURRENT_PREFERENCE.get(a.status, 9), -a.version))
    return (
        Agreement.objects.filter(pk=chosen.pk)
        .select_related("supersedes")
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=AgreementParty.objects.select_related("jurisdiction").order_by(
                    "jurisdiction__code"
                ),
            ),
            Prefetch(
                "items",
                queryset=AgreementItem.objects.select_related("item").order_by("item__code"),
            ),
            "items__receiving_jurisdictions",
            "items__handling_jurisdictions",
        )
        .get()
    )


def agreement_versions(user: User | AnonymousUser, code: str) -> list[Agreement]:
    """The readable versions of an agreement, newest first."""
    return list(readable_agreements(user).filter(code=code).order_by("-version"))


def agreement_history(user: User | AnonymousUser, code: str) -> list[AgreementEvent]:
    """Events of every readable version of an agreement, oldest first."""
    return list(
        AgreementEvent.objects.filter(agreement__in=readable_agreements(user).filter(code=code))
        .select_related("agreement", "actor")
        .order_by("at", "pk")
    )
