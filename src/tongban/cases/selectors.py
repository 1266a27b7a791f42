"""Every read of cases. Lists come from `readable_cases(user)`; one case from
`get_case_for(user, number)`, which answers NotFound for anything out of scope."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.models import Case as When_
from django.db.models import (
    CharField,
    Count,
    F,
    JSONField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import JSONObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tongban.accounts import access, credentials, trust
from tongban.accounts.credentials import Credential, CredentialNotVerified
from tongban.accounts.models import Applicant, User
from tongban.agreements.models import Agreement
from tongban.cases import deadlines, hooks
from tongban.cases.models import Case, CaseEvent, CaseMaterial, Shipment
from tongban.cases.workflow import Leg, awaiting_states, statuses_of_stage
from tongban.catalog.models import ItemBundle, ItemImplementation, Mode, ServiceItem
from tongban.core import versioned
from tongban.core.errors import Invalid, NotFound
from tongban.core.expressions import JSONArrayAgg, json_datetime
from tongban.core.prepared import Prepared
from tongban.regions.models import Jurisdiction


class OverdueLevel:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    LABELS = {
        "green": gettext_noop("正常"),
        "yellow": gettext_noop("预警"),
        "red": gettext_noop("超期"),
    }
    VALUES = ("green", "yellow", "red")


def readable_cases(user: User | AnonymousUser) -> QuerySet[Case]:
    return cases_in(case_scope(user))


@dataclass(frozen=True)
class CaseScope:
    """Everything the cases a user may read depend on, and nothing else: `cases_in(scope)`
    reads only these fields, so a scope is also the key under which a prepared statement
    keeps its compiled SQL (core/prepared.py, ADR 0137). The grants come from the user
    row's `grants_version` (ADR 0119): a removed role is a new scope on the next request."""

    user_id: int
    all_cases: bool
    jurisdictions: frozenset[int]
    own_records: bool

    # A prepared statement is kept per *shape* of the scope and takes the ids as values,
    # so that one compiled statement serves every user of that shape (a few per node,
    # not one per user).
    def shape(self) -> tuple[bool, bool, int]:
        return (self.all_cases, self.own_records, len(self.jurisdictions))

    def values(self) -> dict[str, int]:
        """The ids `cases_in` binds for this scope, by name (none for all cases)."""
        if self.all_cases:
            return {}
        ids = {f"j{i}": j for i, j in enumerate(sorted(self.jurisdictions))}
        return {"scope_user": self.user_id, **ids}

    def fetch(self, statement: Prepared[Any], **values: Any) -> list[Any]:
        """Run a prepared statement built on `cases_in(CaseScope.of_shape(shape, scope))`
        in this scope: keyed by the shape, the scope's ids bound as values."""
        return statement.fetch(self.shape(), **values, **self.values())

    @classmethod
    def of_shape(cls, shape: tuple[bool, bool, int], values: dict[str, Any]) -> CaseScope:
        """The scope of `shape` with `values` (what `values()` gave, or a prepared
        statement's stand-ins for them)."""
        all_cases, own_records, count = shape
        return cls(
            user_id=values.get("scope_user", 0),
            all_cases=all_cases,
            jurisdictions=frozenset(values[f"j{i}"] for i in range(count)),
            own_records=own_records,
        )


def case_scope(user: User | AnonymousUser) -> CaseScope:
    user = access.signed_in(user)
    return CaseScope(
        user_id=user.pk,
        all_cases=access.is_platform_admin(user),
        jurisdictions=frozenset(access.jurisdictions_with(user)),
        own_records=trust.meets(user, "own_records"),
    )


def cases_in(scope: CaseScope) -> QuerySet[Case]:
    if scope.all_cases:
        return Case.objects.all()
    # the user's own applicants as a sub-select, not as a join on accounts_applicant: the
    # join under the OR made PostgreSQL hash the whole applicant table for every scoped
    # aggregate (the supervisor overview, bench/bench_pages.py at 1M cases)
    # below the `own_records` trust level only the cases the account submitted itself
    where = trust.own_record_q(scope.user_id, scope.own_records, "applicant", "submitted_by")
    if scope.jurisdictions:
        # sorted: the same scope compiles to the same SQL text
        jurisdictions = sorted(scope.jurisdictions)
        where |= Q(handling_jurisdiction_id__in=jurisdictions) | Q(
            receiving_jurisdiction_id__in=jurisdictions
        )
    return Case.objects.filter(where)


def red_q(today: dt.date, now: dt.datetime) -> Q:
    """Red: past the overdue date, or past the due time of a same-day item (即办件)."""
    return Q(overdue_on__lt=today) | Q(overdue_at__lt=now)


def with_overdue_level(
    queryset: QuerySet[Case], today: dt.date | None = None, now: dt.datetime | None = None
) -> QuerySet[Case]:
    today = today or deadlines.local_today()
    now = now or deadlines.local_now()
    return queryset.annotate(
        overdue_level=When_(
            When(red_q(today, now), then=Value(OverdueLevel.RED)),
            When(Q(warn_on__lte=today) | Q(warn_at__lte=now), then=Value(OverdueLevel.YELLOW)),
            default=Value(OverdueLevel.GREEN),
            output_field=CharField(),
        )
    )


def overdue_level_of(
    case: Case, today: dt.date | None = None, now: dt.datetime | None = None
) -> str:
    today = today or deadlines.local_today()
    now = now or deadlines.local_now()
    if (case.overdue_on is not None and case.overdue_on < today) or (
        case.overdue_at is not None and case.overdue_at < now
    ):
        return OverdueLevel.RED
    if (case.warn_on is not None and case.warn_on <= today) or (
        case.warn_at is not None and case.warn_at <= now
    ):
        return OverdueLevel.YELLOW
    return OverdueLevel.GREEN


def get_case_for(user: User | AnonymousUser, number: str) -> Case:
    # Joins only the always-present relations: every extra LEFT JOIN costs PostgreSQL
    # planning time on each read (the bench measured 18-27 ms for nine joins under load);
    # the optional ones come by one cheap query each, and none when they are empty.
    try:
        return (
            readable_cases(user)
            .select_related(
                "item",
                "implementation",
                "applicant",
                "receiving_jurisdiction",
                "handling_jurisdiction",
            )
            .prefetch_related("receiving_window", "agreement", "parent", "submitted_by")
            .get(number=number)
        )
    except Case.DoesNotExist:
        raise NotFound(_("No such case, or it is outside your scope.")) from None


def events_of(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "actor_jurisdiction").order_by("seq")


def peer_events_of(case: Case) -> list[hooks.PeerEvent]:
    """The events another node wrote for this case (its other leg, ADR 0127), by time;
    with `events_of` they make the case's one timeline. Empty on a single node."""
    return sorted(hooks.peer_events(case), key=lambda event: event.at)


# -- the detail of one case (GET /api/v1/cases/{number}) ---------------------------------

MATERIAL_FIELDS = (
    "id",
    "name",
    "state",
    "original_required",
    "original_posted",
    "licence_reference",
)
SHIPMENT_FIELDS = (
    "id",
    "purpose",
    "destination",
    "carrier",
    "waybill_number",
    "state",
    "shipped_at",
    "signed_at",
    "mismatch",
    "note",
)


# an event as the detail shows it: these columns, and its actor's two names
EVENT_ROW_FIELDS = (
    "seq",
    "action",
    "from_status",
    "to_status",
    "practice_code",
    "actor_role",
    "actor_jurisdiction_id",
    "at",
    "reason",
    "data",
)
_EVENT_ROW_COLUMNS = {
    **{f: f for f in EVENT_ROW_FIELDS},
    "actor_username": "actor__username",
    "actor_display_name": "actor__display_name",
}


@dataclass(frozen=True, slots=True)
class ShownEvent:
    """One event of the case's timeline as its detail shows it: the actor by name, the
    jurisdiction by code. Made from the JSON rows of the look-up's statement
    (`case_detail_for`) or from a CaseEvent (`ShownEvent.of`), alike."""

    seq: int
    action: str
    from_status: str
    to_status: str
    practice_code: int
    actor: str | None
    actor_role: str
    actor_jurisdiction: str | None
    at: dt.datetime
    reason: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: CaseEvent, jurisdiction: Jurisdiction | None) -> ShownEvent:
        """`jurisdiction`: the event's actor_jurisdiction, which the caller holds."""
        return cls(
            seq=event.seq,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            practice_code=event.practice_code,
            actor=str(event.actor) if event.actor_id is not None else None,
            actor_role=event.actor_role,
            actor_jurisdiction=jurisdiction.code if jurisdiction is not None else None,
            at=event.at,
            reason=event.reason,
            data=event.data,
        )


@dataclass
class CaseParts:
    """What the detail of a case shows besides the case row: its checklist, its
    shipments (plain dicts of MATERIAL_FIELDS / SHIPMENT_FIELDS) and its timeline."""

    materials: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    events: list[ShownEvent]


def is_joint_lead(case: Case) -> bool:
    """Only the lead of a 多地联办 case has sub-cases (cases.actions.joint)."""
    return case.mode == Mode.JOINT and case.parent_id is None


def _child_rows(model: type[Model], fields: tuple[str, ...] | dict[str, str]) -> Subquery:
    # the child rows of the outer case as one JSON array: a correlated sub-select on the
    # case_id index, so the case and its materials, shipments and events cost one
    # statement. `fields`: the keys of each row, and the column (or lookup) of each key.
    columns = fields if isinstance(fields, dict) else {f: f for f in fields}
    rows = (
        model._default_manager.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(rows=JSONArrayAgg(JSONObject(**columns)))
        .values("rows")
    )
    return Subquery(rows, output_field=JSONField())


@cache
def _detail_annotations() -> dict[str, Any]:
    """The look-up's sub-selects, built once per process: building them was a third of
    the look-up's CPU (issue 12 §4, ADR 0131). Safe to share between requests and
    threads: `annotate` resolves a copy of each expression, never the expression itself."""
    return {
        "master_version": versioned.version_subquery(),
        "agreement_code": Subquery(
            Agreement.objects.filter(pk=OuterRef("agreement_id")).values("code")[:1]
        ),
        "parent_number": Subquery(
            Case.objects.filter(pk=OuterRef("parent_id")).values("number")[:1]
        ),
        "bundle_code": Subquery(
            ItemBundle.objects.filter(pk=OuterRef("bundle_id")).values("code")[:1]
        ),
        "material_rows": _child_rows(CaseMaterial, MATERIAL_FIELDS),
        "shipment_rows": _child_rows(Shipment, SHIPMENT_FIELDS),
        "event_rows": _child_rows(CaseEvent, _EVENT_ROW_COLUMNS),
    }


_MASTER_DATA = (
    (Case.item.field, ServiceItem),
    (Case.implementation.field, ItemImplementation),
    (Case.handling_jurisdiction.field, Jurisdiction),
    (Case.receiving_jurisdiction.field, Jurisdiction),
)


def with_master_data(case: Case, version: int) -> Case:
    """Attach the case's item, implementation and jurisdictions from the per-process cache
    of master data at `version` (core.versioned, ADR 0119) instead of joining them: each
    join cost every read its columns, their conversion and planning time."""
    for field, model in _MASTER_DATA:
        pk = getattr(case, field.attname)
        if pk is not None:
            # into the relation's cache, as a join would, not through its descriptor: the
            # id is the row's own, and the descriptor's checks were a sixth of a queue
            # page's Python (ADR 0139)
            field.set_cached_value(case, versioned.row(model, pk, version))
    return case


def case_detail_for(
    user: User | AnonymousUser, number: str, credential: Credential | None = None
) -> tuple[Case, CaseParts]:
    """One case with everything its detail shows, in one statement whatever the case
    holds (issue 12 §4, pinned by cases/tests/test_read_statements.py): the case row, in
    scope (else NotFound), with its applicant joined and the master-data version (its
    item, implementation and jurisdictions then come from the per-process cache of that
    version, `with_master_data`); the optional relations only by the one value the
    detail shows (`agreement_code`, `parent_number`, `bundle_code`), as sub-selects on
    primary keys, which plan in a fraction of a LEFT JOIN's time; its materials,
    shipments and events (with their actors' names) as JSON sub-selects (ADR 0155).

    A joint lead's parts (`is_joint_lead`) are read by themselves; no other case has any.
    The paper guards of `available_actions` answer from the shipments read here (the
    API's `detail`, ADR 0155).

    With a `credential` (an API token this process accepted before), the case statement
    checks it too (ADR 0154): no row raises `CredentialNotVerified`, since the credential
    may be why; the caller checks the token anew and asks again without it."""
    scope = case_scope(user)
    if credential is None:
        rows = scope.fetch(_DETAIL, number=number)
    else:
        rows = _CHECKED_DETAIL.fetch(
            (scope.shape(), credential.shape()),
            number=number,
            **scope.values(),
            **credential.values(),
        )
        if not rows:
            raise CredentialNotVerified
    if not rows:
        raise NotFound(_("No such case, or it is outside your scope."))
    (case,) = rows  # the number is unique
    version = case.master_version or 0
    with_master_data(case, version)
    materials = [_material(row) for row in case.material_rows or ()]
    shipments = [_shipment(row) for row in case.shipment_rows or ()]
    materials.sort(key=lambda m: m["id"])
    shipments.sort(key=lambda s: (s["shipped_at"], s["id"]))
    events = [_shown_event(row, version) for row in case.event_rows or ()]
    events.sort(key=lambda e: e.seq)
    return case, CaseParts(materials=materials, shipments=shipments, events=events)


def _in_scope_queryset(shape: tuple[bool, bool, int], number: str, **scope: Any) -> QuerySet[Case]:
    return cases_in(CaseScope.of_shape(shape, scope)).filter(number=number).only("pk")


# compiled once per connection and shape of scope (ADR 0137)
_IN_SCOPE = Prepared("case_in_scope", _in_scope_queryset)


def opened_case_parts(
    user: User | AnonymousUser, case: Case, materials: list[CaseMaterial], event: CaseEvent
) -> CaseParts:
    """What `case_detail_for` answers for a case the caller has just opened, from the rows
    the submission wrote (its checklist, its one event; no shipments yet) instead of
    reading them back: the case is asked for in the caller's scope only (NotFound
    outside), by one statement compiled once per scope."""
    if not case_scope(user).fetch(_IN_SCOPE, number=case.number):
        raise NotFound(_("No such case, or it is outside your scope."))
    rows = [{f: getattr(m, f) for f in MATERIAL_FIELDS} for m in materials]
    return CaseParts(
        materials=sorted(rows, key=lambda m: m["id"]),
        shipments=[],
        events=[ShownEvent.of(event, event.actor_jurisdiction)],
    )


def _detail_queryset(shape: tuple[bool, bool, int], number: str, **scope: Any) -> QuerySet[Case]:
    return (
        cases_in(CaseScope.of_shape(shape, scope))
        .filter(number=number)
        .select_related("applicant")
        .annotate(**_detail_annotations())
    )


# compiled once per connection and shape of scope: building and compiling this statement
# was most of the look-up's Python time (issue 12 §4, ADR 0139)
_DETAIL = Prepared("case_detail", _detail_queryset)
# the same, checking a remembered API credential as well (ADR 0154)
_CHECKED_DETAIL = Prepared("case_detail_checked", credentials.checked(_detail_queryset))


def _shown_event(row: dict[str, Any], version: int) -> ShownEvent:
    """One of the look-up's JSON event rows (EVENT_ROW_FIELDS and the actor's names); its
    jurisdiction's code from the master-data cache of `version`."""
    jurisdiction_id = row["actor_jurisdiction_id"]
    data = row["data"]
    username = row["actor_username"]
    return ShownEvent(
        seq=row["seq"],
        action=row["action"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        practice_code=row["practice_code"],
        # as User.__str__; no actor (a system move): no name
        actor=(row["actor_display_name"] or username) if username is not None else None,
        actor_role=row["actor_role"],
        actor_jurisdiction=(
            versioned.row(Jurisdiction, jurisdiction_id, version).code
            if jurisdiction_id is not None
            else None
        ),
        at=json_datetime(row["at"]),
        reason=row["reason"],
        # SQLite's JSON_OBJECT takes the stored JSON text as a string; PostgreSQL nests it
        data=json.loads(data) if isinstance(data, str) else data,
    )


def case_parts(case: Case) -> CaseParts:
    """The same parts for a case loaded elsewhere (the case an action has just changed)."""
    return CaseParts(
        materials=list(case.materials.order_by("id").values(*MATERIAL_FIELDS)),
        shipments=list(case.shipments.order_by("shipped_at", "id").values(*SHIPMENT_FIELDS)),
        events=[ShownEvent.of(e, e.actor_jurisdiction) for e in events_of(case)],
    )


def _material(row: dict[str, Any]) -> dict[str, Any]:
    # SQLite's JSON has no booleans: 0 / 1
    return {
        **row,
        "original_required": bool(row["original_required"]),
        "original_posted": bool(row["original_posted"]),
    }


def _shipment(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "shipped_at": json_datetime(row["shipped_at"]),
        "signed_at": json_datetime(row["signed_at"]),
        "mismatch": bool(row["mismatch"]),
    }


@dataclass
class QueueFilter:
    status: list[str] | None = None
    jurisdiction: str | None = None  # cases received or handled there
    side: str | None = None  # "receiving" | "handling" with jurisdiction
    overdue: str | None = None
    item: str | None = None
    applicant_mine: bool = False
    number: str | None = None  # a case number or its beginning (an exact number is a prefix)
    awaiting: bool = False  # only the cases waiting for the user (待我处理)
    stage: str | None = None  # workflow.Stage: a group of states


QUEUE_ORDERINGS = {
    "received": ("-received_at", "-id"),
    "due": ("overdue_on", "id"),
}


def jurisdiction_pk(code: str) -> Subquery:
    """The id of the jurisdiction with `code`, as a one-row sub-select.

    Filter cases on `handling_jurisdiction_id=jurisdiction_pk(code)`, never on
    `handling_jurisdiction__code=code`: with the join PostgreSQL no longer walks the
    received_at index in order but sorts every open case of the place (72 ms instead of
    1 ms for the web queue at 1M cases, bench/bench_pages.py)."""
    return Subquery(Jurisdiction.objects.filter(code=code).values("pk")[:1])


# a case number is `{jurisdiction code}-{YYYYMMDD}-{NNNNNN}`; development zones' codes
# carry letters (420100Z01)
NUMBER_PREFIX = re.compile(r"[0-9A-Za-z-]{1,32}")


def number_prefix(value: str | None) -> str | None:
    """The queue's case-number search: the number or its beginning, case-insensitive in
    what is typed; anything else is 422 `invalid_filter` (never a scan for `%`)."""
    value = (value or "").strip()
    if not value:
        return None
    if not NUMBER_PREFIX.fullmatch(value):
        raise Invalid(
            _("A case number has digits, letters and hyphens only (at most 32)."),
            code="invalid_filter",
            details={"field": "number"},
        )
    return value.upper()


def awaiting_q(user: User | AnonymousUser) -> Q:
    """The cases waiting for this user (待我处理): in a state where one of the user's legs,
    with the roles the user holds there, has a next step in the transition table
    (`workflow.awaiting_states`). Per jurisdiction on the (jurisdiction, status) indexes,
    and inside `readable_cases(user)` by construction (its jurisdictions, its own
    applicant scope)."""
    user = access.signed_in(user)
    found = Q(pk__in=[])
    by_roles: dict[frozenset[str], list[int]] = {}
    for jurisdiction_id in access.jurisdictions_with(user):
        roles = frozenset(access.roles_in(user, jurisdiction_id))
        by_roles.setdefault(roles, []).append(jurisdiction_id)
    for roles, places in by_roles.items():
        receiving = awaiting_states(Leg.RECEIVING, roles)
        handling = awaiting_states(Leg.HANDLING, roles)
        if receiving:
            found |= Q(receiving_jurisdiction_id__in=places, status__in=sorted(receiving))
        if handling:
            found |= Q(handling_jurisdiction_id__in=places, status__in=sorted(handling))
    # the applicant's own cases: the ids first (an account holds a handful), so that the
    # planner walks the applicant index instead of every case in those states; the scope
    # rule itself (trust level included) stays `own_record_scope`, as in readable_cases
    mine = list(Applicant.objects.filter(user=user).values_list("pk", flat=True))
    if mine:
        found |= Q(
            applicant_id__in=mine, status__in=sorted(awaiting_states(Leg.APPLICANT, ()))
        ) & trust.own_record_scope(user, "applicant", "submitted_by")
    return found


def yellow_q(today: dt.date, now: dt.datetime) -> Q:
    """Yellow: warned and not yet red (the queue filter and the workbench count)."""
    return (Q(warn_on__lte=today, overdue_on__gte=today) | Q(warn_at__lte=now)) & ~red_q(today, now)


@dataclass(frozen=True)
class WorkCounts:
    awaiting: int  # 待我处理
    due_soon: int  # 即将超期: waiting for me and warned
    overdue: int  # 已超期: waiting for me and past the limit


def work_counts(user: User | AnonymousUser, today: dt.date | None = None) -> WorkCounts:
    """The workbench's counts: ONE aggregate over the cases waiting for the user (an
    index range per jurisdiction and state, bounded by the open cases there whatever the
    size of the table; docs/adr/0124), after the look-up of the user's applicant ids."""
    today = today or deadlines.local_today()
    now = deadlines.local_now()
    # no AND with readable_cases: awaiting_q is inside it, and the scope's OR would make
    # PostgreSQL read every case of the jurisdiction instead of the index ranges
    totals = Case.objects.filter(awaiting_q(user)).aggregate(
        awaiting=Count("id"),
        due_soon=Count("id", filter=yellow_q(today, now)),
        overdue=Count("id", filter=red_q(today, now)),
    )
    return WorkCounts(totals["awaiting"], totals["due_soon"], totals["overdue"])


def case_queue(
    user: User | AnonymousUser, filters: QueueFilter, today: dt.date | None = None
) -> QuerySet[Case]:
    today = today or deadlines.local_today()
    qs = readable_cases(user)
    prefix = number_prefix(filters.number)
    if prefix:
        qs = qs.filter(number__startswith=prefix)
    if filters.awaiting:
        qs = qs.filter(awaiting_q(user))
    qs = _queue_filtered(qs, filters, today, deadlines.local_now())
    return qs.select_related("item", "applicant", "receiving_jurisdiction", "handling_jurisdiction")


def _queue_filtered(
    qs: QuerySet[Case], filters: QueueFilter, today: Any, now: Any
) -> QuerySet[Case]:
    """The queue's filters but the number and `awaiting`, which `case_queue` adds: shared
    by `case_queue` and the prepared queue page (`queue_page`), whose values are the
    markers of core.prepared and whose `today` and `now` are `Value`s."""
    if filters.stage:
        qs = qs.filter(status__in=statuses_of_stage(filters.stage))
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.jurisdiction:
        place = jurisdiction_pk(filters.jurisdiction)
        if filters.side == "receiving":
            qs = qs.filter(receiving_jurisdiction_id=place)
        elif filters.side == "handling":
            qs = qs.filter(handling_jurisdiction_id=place)
        else:
            qs = qs.filter(Q(receiving_jurisdiction_id=place) | Q(handling_jurisdiction_id=place))
    if filters.item:
        # a sub-select for the same reason as jurisdiction_pk()
        qs = qs.filter(
            item_id=Subquery(ServiceItem.objects.filter(code=filters.item).values("pk")[:1])
        )
    # the date columns carry every case; warn_at / overdue_at only same-day items (即办件)
    if filters.overdue == OverdueLevel.RED:
        qs = qs.filter(red_q(today, now))
    elif filters.overdue == OverdueLevel.YELLOW:
        qs = qs.filter(yellow_q(today, now))
    elif filters.overdue == OverdueLevel.GREEN:
        qs = qs.filter(
            Q(overdue_on__isnull=True, warn_on__isnull=True)
            | Q(overdue_on__gte=today, warn_on__gt=today)
            | Q(overdue_on__isnull=True, warn_on__gt=today)
            # a 即办件 in review has an overdue date and only a warning *time*
            | Q(overdue_on__gte=today, warn_on__isnull=True)
        ).exclude(warn_at__lte=now)
    elif filters.overdue:
        raise Invalid(
            _("overdue must be green, yellow or red."),
            code="invalid_filter",
            details={"field": "overdue"},
        )
    return qs


# what a queue row (the API's CaseSummaryOut) reads of the case and of its applicant
SUMMARY_FIELDS = (
    "number",
    "item",
    "implementation",
    "mode",
    "channel",
    "status",
    "practice_code",
    "receiving_jurisdiction",
    "handling_jurisdiction",
    "applicant",
    "applicant__kind",
    "applicant__name",
    "applicant__id_number",
    "applicant__uscc",
    "applicant__agent_name",
    "applicant__user",
    "assisted",
    "received_at",
    "accepted_at",
    "due_date",
    "step_due_date",
    "warn_on",
    "warn_at",
    "overdue_on",
    "overdue_at",
)


def summary_page(
    qs: QuerySet[Case],
    cursor: str | None,
    limit: int,
    ordering: str = "received",
    overdue: str | None = None,
) -> tuple[list[Case], str | None]:
    """`page_after` for the rows of a list (CaseSummaryOut): only SUMMARY_FIELDS and the
    master-data version in its one statement, the item and jurisdictions from the
    per-process cache. The full rows with four joins cost the queue most of its CPU:
    every column converted, every encrypted field of the applicant decrypted (ADR 0131)."""
    rows, next_cursor = page_after(_summary_rows(qs), cursor, limit, ordering, overdue)
    for case in rows:
        with_master_data(case, case.master_version or 0)  # type: ignore[attr-defined]
    return rows, next_cursor


def _summary_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    return (
        qs.select_related(None)
        .select_related("applicant")
        .only(*SUMMARY_FIELDS)
        .annotate(master_version=versioned.version_subquery())
    )


@dataclass(frozen=True)
class _QueueShape:
    """What the SQL of a queue page depends on besides its values (the key of `_QUEUE`):
    the shape of the scope, which filters are set (how many states), the ordering, the
    kind of cursor and the page length. The values are the scope's ids, the states, the
    codes, the day, the time and the cursor's position."""

    scope: tuple[bool, bool, int]  # CaseScope.shape()
    statuses: int
    stage: str | None
    jurisdiction: bool
    side: str | None
    item: bool
    overdue: str | None
    ordering: str
    after: str | None  # see _Position.kind
    limit: int


def _queue_queryset(shape: _QueueShape, **values: Any) -> QuerySet[Case]:
    filters = QueueFilter(
        status=[values[f"status_{i}"] for i in range(shape.statuses)],
        jurisdiction=values.get("jurisdiction"),
        side=shape.side,
        overdue=shape.overdue,
        item=values.get("item"),
        stage=shape.stage,
    )
    today, now = (Value(values["today"]), Value(values["now"])) if shape.overdue else (None, None)
    qs = _queue_filtered(cases_in(CaseScope.of_shape(shape.scope, values)), filters, today, now)
    position = _Position(shape.after, values.get("after"), values.get("after_id"))
    if position.kind is not None:
        position = _Position(position.kind, Value(position.key), Value(position.pk))
    return _page_rows(_summary_rows(qs), shape.ordering, position, shape.limit, shape.overdue)


# compiled once per connection and shape: building and compiling the queue's statement
# was a third of its Python time (issue 12 §4, ADR 0139)
_QUEUE = Prepared("case_queue_page", _queue_queryset)


def queue_page(
    user: User | AnonymousUser,
    filters: QueueFilter,
    cursor: str | None,
    limit: int,
    ordering: str = "received",
) -> tuple[list[Case], str | None]:
    """The API's queue page: `summary_page(case_queue(user, filters), …)`, run as a
    prepared statement. A number search and `awaiting` take the unprepared way: the first
    is a LIKE pattern (a transformed value), the second depends on the user's roles in each
    place and on the user's applicant records, which the scope does not hold."""
    if number_prefix(filters.number) or filters.awaiting:
        return summary_page(case_queue(user, filters), cursor, limit, ordering, filters.overdue)
    position = _position(cursor, ordering)
    connection = connections["default"]
    scope = case_scope(user)
    values: dict[str, Any] = {f"status_{i}": s for i, s in enumerate(filters.status or ())}
    values.update(scope.values())
    if filters.jurisdiction:
        values["jurisdiction"] = filters.jurisdiction
    if filters.item:
        values["item"] = filters.item
    if filters.overdue:
        # the values as the fields would hand them to the database (SQLite: text in UTC)
        values["today"] = connection.ops.adapt_datefield_value(deadlines.local_today())
        values["now"] = connection.ops.adapt_datetimefield_value(deadlines.local_now())
    if position.kind is not None:
        values["after_id"] = position.pk
        if position.kind == "key":
            adapt = (
                connection.ops.adapt_datetimefield_value
                if ordering == "received"
                else connection.ops.adapt_datefield_value
            )
            values["after"] = adapt(position.key)
    shape = _QueueShape(
        scope=scope.shape(),
        statuses=len(filters.status or ()),
        stage=filters.stage or None,
        jurisdiction=bool(filters.jurisdiction),
        side=filters.side if filters.jurisdiction and filters.side in SIDES else None,
        item=bool(filters.item),
        overdue=filters.overdue or None,
        ordering=ordering,
        after=position.kind,
        limit=limit,
    )
    rows = _QUEUE.fetch(shape, **values)
    next_cursor = _cursor_for(rows[limit - 1], ordering) if len(rows) > limit else None
    rows = rows[:limit]
    for case in rows:
        with_master_data(case, case.master_version or 0)  # type: ignore[attr-defined]
    return rows, next_cursor


def queue_page_query(
    user: User | AnonymousUser,
    filters: QueueFilter,
    cursor: str | None,
    limit: int,
    ordering: str = "received",
) -> QuerySet[Case]:
    """The statement of a queue page as a queryset, built the unprepared way (what
    `summary_page(case_queue(…))` runs; the tests pin `queue_page` to it): for EXPLAIN
    (bench/run_all.py)."""
    qs = _summary_rows(case_queue(user, filters))
    return _page_rows(qs, ordering, _position(cursor, ordering), limit, filters.overdue)


# -- keyset (cursor) pagination, stable under inserts -------------------------------------
# "received": newest first, on (received_at, id) descending.
# "due": most urgent first, on (overdue_on, id) ascending, cases without a date last.

ORDERINGS = ("received", "due")
SIDES = ("receiving", "handling")


@dataclass(frozen=True)
class _Position:
    """Where a cursor points: `kind` None (the first page), "key" (after the case with
    this key and id) or "null" (the due ordering, among the cases without a date)."""

    kind: str | None
    key: Any = None  # a datetime (received) or a date (due)
    pk: Any = None


def _cursor_for(case: Case, ordering: str) -> str:
    key = (
        case.received_at.isoformat()
        if ordering == "received"
        else (case.overdue_on.isoformat() if case.overdue_on else None)
    )
    raw = json.dumps([ordering, key, case.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, ordering: str) -> tuple[str | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, key, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if kind != ordering or not (key is None or isinstance(key, str)):
            raise ValueError("cursor of another ordering")
        return key, int(pk)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Invalid(_("Invalid cursor."), code="invalid_cursor") from exc


def _position(cursor: str | None, ordering: str) -> _Position:
    """The ordering checked and the cursor decoded (422 for either)."""
    if ordering not in ORDERINGS:
        raise Invalid(
            _("ordering must be received or due."),
            code="invalid_filter",
            details={"field": "ordering"},
        )
    if not cursor:
        return _Position(None)
    key, pk = _decode(cursor, ordering)
    try:
        if ordering == "received":
            return _Position("key", dt.datetime.fromisoformat(key or ""), pk)
        if key is None:
            return _Position("null", None, pk)
        return _Position("key", dt.date.fromisoformat(key), pk)
    except ValueError as exc:
        raise Invalid(_("Invalid cursor."), code="invalid_cursor") from exc


def _ordered_after(qs: QuerySet[Case], ordering: str, position: _Position) -> QuerySet[Case]:
    if ordering == "received":
        if position.kind is not None:
            at, pk = position.key, position.pk
            qs = qs.filter(Q(received_at__lt=at) | Q(received_at=at, id__lt=pk))
        return qs.order_by("-received_at", "-id")
    if position.kind == "null":
        qs = qs.filter(overdue_on__isnull=True, id__gt=position.pk)
    elif position.kind == "key":
        day, pk = position.key, position.pk
        qs = qs.filter(
            Q(overdue_on__gt=day) | Q(overdue_on=day, id__gt=pk) | Q(overdue_on__isnull=True)
        )
    return qs.order_by(F("overdue_on").asc(nulls_last=True), "id")


# The overdue levels whose page newest first is looked up by ids first (ADR 0151). Their
# cases are a thin slice of the open ones, and an old one: a page of red cases walks past
# about 10,000 newer open cases at 1M. The ids come from the open cases' covering index
# alone (no table row read for the cases passed over); then the page's rows are read.
_PAGED_BY_IDS = frozenset({OverdueLevel.RED, OverdueLevel.YELLOW})


def _page_rows(
    qs: QuerySet[Case], ordering: str, position: _Position, limit: int, overdue: str | None
) -> QuerySet[Case]:
    """One page of `qs` after `position`, one row more than `limit` (whether a next page
    exists), in one statement. For an overdue level in `_PAGED_BY_IDS` newest first, the
    same filters and order select the page's ids in a sub-select, and the outer statement
    keeps the filters: the rows are scoped by the same statement that reads them."""
    page = _ordered_after(qs, ordering, position)
    if ordering == "received" and overdue in _PAGED_BY_IDS:
        page = page.filter(pk__in=page.values("pk")[: limit + 1])
    return page[: limit + 1]


def page_after(
    qs: QuerySet[Case],
    cursor: str | None,
    limit: int,
    ordering: str = "received",
    overdue: str | None = None,
) -> tuple[list[Case], str | None]:
    """A page of `qs` and the cursor of the next, if any; `overdue` is the queue's overdue
    filter, which `qs` already applies (it decides how the page is looked up)."""
    rows = list(_page_rows(qs, ordering, _position(cursor, ordering), limit, overdue))
    next_cursor = _cursor_for(rows[limit - 1], ordering) if len(rows) > limit else None
    return rows[:limit], next_cursor
