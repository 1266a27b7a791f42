"""Reads the web pages need, composed from the scoped selectors of the domain apps
(cases.selectors.readable_cases / case_queue / get_case_for, catalog and agreements
selectors). Nothing here decides a rule: filtering and ordering only. Every list costs a
fixed number of queries whatever its length."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tongban.accounts import access, personal_data
from tongban.accounts.models import Role, User
from tongban.accounts.selectors import role_assignments_of
from tongban.agreements.models import AgreementItem
from tongban.agreements.selectors import Route, agreements_in_force, routes
from tongban.attachments.models import Attachment
from tongban.cases import selectors as case_selectors
from tongban.cases.actions import available_actions, part_outcomes
from tongban.cases.hooks import PeerEvent
from tongban.cases.models import Case, CaseEvent, CaseMaterial, Shipment, Status
from tongban.cases.selectors import QueueFilter
from tongban.cases.workflow import FINAL_STATES
from tongban.catalog.models import ItemImplementation, Mode, ServiceItem
from tongban.catalog.selectors import json_list_contains, published_implementations, search_items
from tongban.centres.models import Window
from tongban.core.crypto import blind_index
from tongban.core.errors import Invalid, NotFound
from tongban.core.inputs import MAX_OFFSET
from tongban.documents.notices import available_notices
from tongban.licences.models import Licence
from tongban.licences.selectors import LicenceState, case_licence_for, licence_state
from tongban.regions.models import Jurisdiction

OPEN_STATUSES: tuple[str, ...] = tuple(s for s in Status.values if s not in FINAL_STATES)
PAGE_SIZE = 50


# ---------------------------------------------------------------- who is where


@dataclass(frozen=True)
class Place:
    """One role of the user in one jurisdiction (and the window of a clerk)."""

    role: str
    jurisdiction: Jurisdiction | None
    window: Window | None


def places_of(user: User | AnonymousUser) -> list[Place]:
    """The user's role assignments with jurisdictions and windows (one query)."""
    if not isinstance(user, User):
        return []
    cached = getattr(user, "_tongban_places", None)
    if cached is None:
        cached = [
            Place(a.role, a.jurisdiction, a.window)
            for a in role_assignments_of(user).select_related("window__centre")
        ]
        # a cache for the request on the user object, not a model field
        user._tongban_places = cached  # type: ignore[attr-defined]
    return cached


def jurisdictions_for(
    user: User | AnonymousUser, roles: set[str] | frozenset[str]
) -> list[Jurisdiction]:
    seen: dict[int, Jurisdiction] = {}
    for place in places_of(user):
        if place.role in roles and place.jurisdiction is not None:
            seen.setdefault(place.jurisdiction.pk, place.jurisdiction)
    return sorted(seen.values(), key=lambda j: j.code)


def clerk_window(user: User | AnonymousUser, jurisdiction: Jurisdiction) -> Window | None:
    for place in places_of(user):
        if (
            place.role == Role.CLERK
            and place.jurisdiction is not None
            and place.jurisdiction.pk == jurisdiction.pk
        ):
            return place.window
    return None


def pick(jurisdictions: list[Jurisdiction], code: str | None) -> Jurisdiction | None:
    """The jurisdiction with `code` among the user's, else the first one."""
    for j in jurisdictions:
        if j.code == code:
            return j
    return jurisdictions[0] if jurisdictions else None


# ---------------------------------------------------------------- work queue


@dataclass
class QueueParams:
    jurisdiction: str | None = None
    side: str | None = None  # "handling" | "receiving" | None (both)
    status: list[str] = field(default_factory=list)  # empty = every open status
    item: str | None = None
    receiving: str | None = None
    overdue: str | None = None
    sort: str = "received"  # "received" | "due"
    cursor: str | None = None
    page: int = 1
    number: str | None = None  # the case number or its beginning
    awaiting: bool = False  # 待我处理
    stage: str | None = None  # workflow.Stage


@dataclass
class QueuePage:
    rows: list[Case]
    next_cursor: str | None = None
    next_page: int | None = None


def work_queue(
    user: User | AnonymousUser, params: QueueParams, today: dt.date | None = None
) -> QueuePage:
    """One page of the work queue: case_queue() narrowed by receiving place, annotated
    with the overdue level and ordered by receipt (cursor) or due date (page number).
    One query for the rows whatever the page length."""
    today = today or case_selectors.deadlines.local_today()
    if params.sort not in ("received", "due"):
        raise Invalid(_("Unknown sort order."), code="invalid_filter")
    qs = case_selectors.case_queue(
        user,
        QueueFilter(
            # a stage or a number names its own states; otherwise the open ones
            status=params.status or ([] if params.stage or params.number else list(OPEN_STATUSES)),
            jurisdiction=params.jurisdiction,
            side=params.side if params.jurisdiction else None,
            overdue=params.overdue,
            item=params.item,
            number=params.number,
            awaiting=params.awaiting,
            stage=params.stage,
        ),
        today,
    )
    if params.receiving:
        qs = qs.filter(receiving_jurisdiction_id=case_selectors.jurisdiction_pk(params.receiving))
    qs = case_selectors.with_overdue_level(qs, today)
    if params.sort == "received":
        rows, next_cursor = case_selectors.page_after(
            qs, params.cursor, PAGE_SIZE, overdue=params.overdue
        )
        return QueuePage(rows, next_cursor=next_cursor)
    # deeper than MAX_OFFSET rows is refused by the API and clamped here (core.inputs)
    page = min(max(1, params.page), MAX_OFFSET // PAGE_SIZE + 1)
    start = (page - 1) * PAGE_SIZE
    ordered = qs.order_by(F("overdue_on").asc(nulls_last=True), "received_at", "id")
    rows = list(ordered[start : start + PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    return QueuePage(rows[:PAGE_SIZE], next_page=page + 1 if more else None)


def queue_filter_options() -> tuple[list[ServiceItem], list[Jurisdiction]]:
    """Items and jurisdictions for the filter drop-downs (two queries)."""
    items = list(ServiceItem.objects.only("code", "name").order_by("code"))
    places = list(Jurisdiction.objects.filter(active=True).only("code", "short_name", "name"))
    return items, places


# ---------------------------------------------------------------- routes by place


@dataclass
class RouteGroup:
    """The routes of one handling place: what the clerk's routes table shows per place."""

    handling: Jurisdiction
    routes: list[Route]

    @property
    def online_only(self) -> bool:
        # the window cannot receive for this place: it helps the applicant apply online
        return all(route.mode == Mode.ONLINE for route in self.routes)


def route_groups(found: list[Route]) -> list[RouteGroup]:
    """`agreements.selectors.routes` grouped by handling place: the places the window can
    receive for first, the online-only ones after them, each by code."""
    groups: dict[str, RouteGroup] = {}
    for route in found:
        groups.setdefault(route.handling.code, RouteGroup(route.handling, [])).routes.append(route)
    return sorted(groups.values(), key=lambda g: (g.online_only, g.handling.code))


# ---------------------------------------------------------------- supervisor overview


@dataclass
class OverviewRow:
    jurisdiction_code: str
    jurisdiction_name: str
    by_status: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def overview(user: User | AnonymousUser, today: dt.date | None = None) -> list[OverviewRow]:
    """Open cases counted by handling jurisdiction × status × overdue level, within the
    user's scope: one aggregate query."""
    today = today or case_selectors.deadlines.local_today()
    qs = case_selectors.with_overdue_level(
        case_selectors.readable_cases(user).filter(status__in=OPEN_STATUSES), today
    )
    grouped = (
        qs.values(  # type: ignore[misc]  # overdue_level is an annotation
            "handling_jurisdiction__code",
            "handling_jurisdiction__short_name",
            "status",
            "overdue_level",
        )
        .annotate(n=Count("id"))
        .order_by("handling_jurisdiction__code")
    )
    rows: dict[str, OverviewRow] = {}
    for entry in grouped:
        code = entry["handling_jurisdiction__code"]
        row = rows.setdefault(code, OverviewRow(code, entry["handling_jurisdiction__short_name"]))
        row.by_status[entry["status"]] = row.by_status.get(entry["status"], 0) + entry["n"]
        level = entry["overdue_level"]
        row.by_level[level] = row.by_level.get(level, 0) + entry["n"]
    return list(rows.values())


# ---------------------------------------------------------------- delivery desk


@dataclass
class DeskSection:
    key: str
    title: str
    side: str
    statuses: tuple[str, ...]
    rows: list[Case] = field(default_factory=list)
    more: bool = False  # more cases than rows: the rest is in the work queue
    queue_query: str = ""  # the query string of that queue


DESK_SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("originals_out", gettext_noop("待寄出的纸质原件(收件地)"), "receiving", (Status.CHECKED,)),
    (
        "originals_in",
        gettext_noop("流转中的电子材料,待确认接收(办理地)"),
        "handling",
        (Status.IN_TRANSFER,),
    ),
    # the paper travels on its own (ADR 0094): listed by its shipment, whatever the
    # case's status meanwhile (accepted on the electronic copies, even ended)
    ("originals_paper", gettext_noop("在途纸质原件,待签收(办理地)"), "handling", ()),
    (
        "results_out",
        gettext_noop("待寄递/送达的办理结果(办理地)"),
        "handling",
        (Status.RESULT_ISSUED,),
    ),
    (
        "results_post",
        gettext_noop("邮寄中的结果,待签收(办理地)"),
        "handling",
        (Status.IN_DELIVERY,),
    ),
    (
        "results_in",
        gettext_noop("送往本窗口的结果,待签收(收件地)"),
        "receiving",
        (Status.TO_WINDOW,),
    ),
    ("pickup", gettext_noop("待窗口领取"), "both", (Status.AWAITING_PICKUP,)),
)


# The desk shows the oldest DESK_ROWS cases of each section and links to the work queue
# for the rest: at 1M cases every section was full, and rendering 6 x 50 rows took
# 150-200 ms of CPU (bench/bench_pages.py). Only the columns delivery.html shows are
# loaded.
DESK_ROWS = 20
DESK_COLUMNS = (
    "number",
    "delivery_method",
    "received_at",
    "item__name",
    "receiving_jurisdiction__name",
    "receiving_jurisdiction__short_name",
    "handling_jurisdiction__name",
    "handling_jurisdiction__short_name",
)


def _paper_in_transit() -> QuerySet[Shipment, Any]:
    # a partial index holds exactly these rows (cases 0003)
    return Shipment.objects.filter(
        state=Shipment.State.IN_TRANSIT,
        purpose=Shipment.Purpose.ORIGINALS,
        destination=Shipment.Destination.HANDLING_PLACE,
    ).values("case_id")


def delivery_desk(user: User | AnonymousUser, jurisdiction: Jurisdiction) -> list[DeskSection]:
    """What the delivery desk of `jurisdiction` has to do: one query per section."""
    sections = []
    for key, title, side, statuses in DESK_SECTIONS:
        qs = (
            case_selectors.case_queue(
                user,
                QueueFilter(
                    status=list(statuses),
                    jurisdiction=jurisdiction.code,
                    side=None if side == "both" else side,
                ),
            )
            .select_related(None)
            .select_related("item", "receiving_jurisdiction", "handling_jurisdiction")
            .only(*DESK_COLUMNS)
            .filter(**({} if statuses else {"pk__in": _paper_in_transit()}))
            .prefetch_related(
                Prefetch(
                    "shipments",
                    queryset=Shipment.objects.only(
                        "case_id", "carrier", "waybill_number", "state", "shipped_at"
                    ).order_by("-shipped_at"),
                    to_attr="desk_shipments",
                )
            )
        )
        section = DeskSection(key, title, side, statuses)
        section.queue_query = urlencode(
            [("jurisdiction", jurisdiction.code), ("side", "" if side == "both" else side)]
            + [("status", s) for s in statuses]
            + [("sort", "due")]
        )
        rows: list[Case] = list(qs.order_by("received_at", "id")[: DESK_ROWS + 1])
        section.rows, section.more = rows[:DESK_ROWS], len(rows) > DESK_ROWS
        sections.append(section)
    return sections


# ---------------------------------------------------------------- one case


@dataclass
class CasePage:
    case: Case
    overdue_level: str
    materials: list[CaseMaterial]
    attachments: dict[int | None, list[Attachment]]
    shipments: list[Shipment]
    events: list[CaseEvent]
    subcases: list[Case]
    part_outcomes: dict[str, str]  # 多地联办: sub-case number → open / succeeded / failed
    actions: list[str]
    notices: list[str]
    notifications: list[Any]
    # events of the case's other leg on another federation node (ADR 0127)
    peer_events: list[PeerEvent] = field(default_factory=list)
    # 异地打照: the receiving window's clerk may download the licence it printed
    printed_licence: bool = False
    # the licence issued in the case, if the user may read it (holder, issuing staff)
    licence: Licence | None = None
    licence_state: str = ""
    # its PDF carries a person's full identity: only for those who may see it
    licence_pdf: bool = False

    @property
    def timeline(self) -> list[CaseEvent | PeerEvent]:
        """This node's events and the other node's, by time: the case's one timeline."""
        if not self.peer_events:
            return list(self.events)
        return sorted([*self.events, *self.peer_events], key=lambda event: event.at)

    @property
    def originals_shipped(self) -> bool:
        """The paper originals were posted (a shipment of them exists): until then the
        receipt says they are still to be sent."""
        return any(s.purpose == Shipment.Purpose.ORIGINALS for s in self.shipments)


def case_page(user: User | AnonymousUser, number: str, today: dt.date | None = None) -> CasePage:
    """Everything the case page shows (NotFound outside the user's scope)."""
    from tongban.notifications.models import OutboxMessage

    case = case_selectors.get_case_for(user, number)
    materials = list(case.materials.order_by("id"))
    files: dict[int | None, list[Attachment]] = defaultdict(list)
    for attachment in Attachment.objects.filter(case=case).order_by("uploaded_at", "id"):
        files[attachment.case_material_id].append(attachment)
    events = list(case_selectors.events_of(case))
    done = {e.action for e in events}
    licence = case_licence_for(user, case)
    notifications: list[Any] = []
    if case.applicant.user_id == getattr(user, "pk", None):
        notifications = list(OutboxMessage.objects.filter(case=case).order_by("-created_at"))
    return CasePage(
        case=case,
        overdue_level=case_selectors.overdue_level_of(case, today),
        materials=materials,
        attachments=dict(files),
        shipments=list(case.shipments.order_by("shipped_at")),
        events=events,
        peer_events=case_selectors.peer_events_of(case),
        subcases=list(case.subcases.select_related("handling_jurisdiction").order_by("number")),
        part_outcomes={n: o.value for n, o in part_outcomes(case).items()},
        actions=available_actions(user, case),
        notices=available_notices(case, done),
        notifications=notifications,
        printed_licence="print_licence" in done
        and case.receiving_jurisdiction_id is not None
        and access.has_role(user, {Role.CLERK}, case.receiving_jurisdiction_id),
        licence=licence,
        licence_state=licence_state(licence) if licence else "",
        licence_pdf=licence is not None
        and licence_state(licence) != LicenceState.SIGNING
        and (licence.holder_kind != "person" or personal_data.may_unmask_licence(user, licence)),
    )


# ---------------------------------------------------------------- applicants


def own_cases(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases of the applicants the user's portal account acts as."""
    user = access.signed_in(user)
    return (
        case_selectors.readable_cases(user)
        .filter(applicant__user=user)
        .select_related("item", "handling_jurisdiction", "receiving_jurisdiction")
        .order_by("-received_at", "-id")
    )


@dataclass
class OnlineItems:
    """The apply list: items some place offers fully online, each with its places sorted
    by code (so a city's districts stand together), and every place on offer for the
    place filter."""

    items: list[ServiceItem]
    places: list[Jurisdiction]


def online_items(
    user: User | AnonymousUser, q: str | None, on: dt.date, place: str | None = None
) -> OnlineItems:
    """Items some jurisdiction offers fully online (全程网办), with those versions;
    `place` (a jurisdiction code) keeps the items that place offers online."""
    items = list(search_items(user, q, mode=Mode.ONLINE, on=on)[:30])
    places: dict[str, Jurisdiction] = {}
    kept = []
    for item in items:
        versions = sorted(
            (v for v in item.published_versions if Mode.ONLINE in v.modes),  # type: ignore[attr-defined]
            key=lambda v: v.jurisdiction.code,
        )
        item.online_versions = versions  # type: ignore[attr-defined]
        places.update((v.jurisdiction.code, v.jurisdiction) for v in versions)
        if not place or any(v.jurisdiction.code == place for v in versions):
            kept.append(item)
    return OnlineItems(kept, [places[code] for code in sorted(places)])


def online_implementation(item_code: str, handling_code: str, on: dt.date) -> ItemImplementation:
    implementation = (
        published_implementations(on)
        .filter(item__code=item_code, jurisdiction__code=handling_code)
        .filter(json_list_contains("modes", Mode.ONLINE))
        .select_related("item", "jurisdiction", "department")
        .prefetch_related("materials")
        .first()
    )
    if implementation is None:
        raise NotFound(_("This item is not offered fully online there."), code="item_not_online")
    return implementation


# ---------------------------------------------------------------- self-service terminal


def terminal_window(window_id: int) -> Window:
    window = (
        Window.objects.select_related("centre__jurisdiction")
        .filter(pk=window_id, kind=Window.Kind.TERMINAL, active=True)
        .first()
    )
    if window is None:
        raise NotFound(_("No such self-service terminal."))
    return window


def terminal_items(
    user: User | AnonymousUser, window: Window, q: str | None, on: dt.date
) -> list[ServiceItem]:
    """Items this terminal's jurisdiction may receive for another party of an agreement
    in force (proxy mode) and that some other party's published version lets applicants
    file at a terminal. The exact route is checked again on the item page and, with
    every other rule, by submit_case."""
    receiving = window.centre.jurisdiction
    agreed = AgreementItem.objects.filter(
        agreement__in=agreements_in_force(on),
        agreement__parties__jurisdiction=receiving,
    ).filter(json_list_contains("modes", Mode.PROXY))
    items = (
        search_items(user, q, mode=Mode.PROXY, on=on)
        .filter(pk__in=agreed.values("item_id"))
        .filter(
            pk__in=published_implementations(on)
            .exclude(jurisdiction=receiving)
            .filter(json_list_contains("channels", "terminal"))
            .values("item_id")
        )
    )
    return list(items[:30])


def terminal_routes(item: ServiceItem, window: Window, on: dt.date) -> list[Route]:
    receiving = window.centre.jurisdiction
    return [
        r
        for r in routes(item, receiving, on)
        if r.mode == Mode.PROXY and "terminal" in r.implementation.channels
    ]


# ---------------------------------------------------------------- public look-up


@dataclass
class PublicCase:
    number: str
    item_name: str
    status: str
    practice_code: int
    handling_name: str
    received_at: dt.datetime
    due_date: dt.date | None
    steps: list[tuple[str, dt.datetime]]


def public_lookup(number: str, identifier: str) -> PublicCase | None:
    """A case by its number plus the applicant's 公民身份号码 / 统一社会信用代码 or the
    agent's ID number, for the anonymous look-up. Answers None when either is wrong
    (which one is not disclosed). Shows no personal data."""
    from tongban.accounts.identifiers import normalise

    number = (number or "").strip()
    identifier = normalise(identifier or "")
    if not number or not identifier:
        return None
    index = blind_index("identifier", identifier)
    case = (
        Case.objects.filter(number=number)
        .filter(
            Q(applicant__id_number_index=index)
            | Q(applicant__uscc=identifier)
            | Q(applicant__agent_id_number_index=index)
        )
        .select_related("item", "handling_jurisdiction")
        .first()
    )
    if case is None:
        return None
    steps = [(e.action, e.at) for e in case.events.order_by("seq").only("action", "at")]
    return PublicCase(
        number=case.number,
        item_name=case.item.name,
        status=case.status,
        practice_code=case.practice_code,
        handling_name=case.handling_jurisdiction.name,
        received_at=case.received_at,
        due_date=case.due_date,
        steps=steps,
    )


def is_staff_user(user: User | AnonymousUser) -> bool:
    return access.is_staff_member(user) or bool(getattr(user, "is_superuser", False))


def has_any_role(user: User | AnonymousUser, roles: set[str] | frozenset[str]) -> bool:
    return any(place.role in roles for place in places_of(user)) or (
        Role.PLATFORM_ADMIN in roles and bool(getattr(user, "is_superuser", False))
    )
