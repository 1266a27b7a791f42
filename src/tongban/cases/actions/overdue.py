"""超期预警 (ADR 0093): the overdue-warning sweep and who hears of a case turning yellow
or red.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.cases import deadlines
from tongban.cases.models import (
    Case,
    Status,
)
from tongban.cases.workflow import (
    FINAL_STATES,
    Action,
    Leg,
    transitions_from,
)
from tongban.core.audit import record_audit


def send_overdue_warnings(today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """The overdue-warning sweep (`tongban send-overdue-warnings`, run periodically): every
    open case that turned yellow or red and was not yet warned for that level and date
    gets an `OverdueAlert` row, an audit row and a staff notification in the outbox for
    the person responsible for its current step and the supervisors of both legs. One
    transaction per case; running it twice sends nothing new. Returns the alerts made."""
    from django.db.models import Exists, OuterRef, Q
    from django.db.models.functions import Coalesce, TruncDate

    from tongban.cases.models import OverdueAlert
    from tongban.cases.selectors import red_q

    today = today or deadlines.local_today()
    now = now or deadlines.local_now()

    def alerted(level: str, on: Any) -> Exists:
        return Exists(OverdueAlert.objects.filter(case=OuterRef("pk"), level=level, on=on))

    open_cases = Case.objects.exclude(status__in=FINAL_STATES)
    red = open_cases.filter(red_q(today, now)).exclude(alerted("red", OuterRef("overdue_on")))
    yellow = (
        open_cases.filter(Q(warn_on__lte=today) | Q(warn_at__lte=now))
        .exclude(red_q(today, now))
        # a 即办件's yellow is about the day of its warning time
        .annotate(
            yellow_on=Coalesce(
                "warn_on", TruncDate("warn_at", tzinfo=timezone.get_default_timezone())
            )
        )
        .exclude(alerted("yellow", OuterRef("yellow_on")))
    )
    made = 0
    for case_id in [*red.values_list("pk", flat=True), *yellow.values_list("pk", flat=True)]:
        made += _warn_case(case_id, today, now)
    return made


def _warn_case(case_id: int, today: dt.date, now: dt.datetime) -> int:
    from tongban.cases.models import OverdueAlert
    from tongban.cases.selectors import OverdueLevel, overdue_level_of

    # notifications sits above cases: warnings are queued in the same transaction
    from tongban.notifications.actions import queue_staff_notification

    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("item", "receiving_jurisdiction", "handling_jurisdiction")
            .get(pk=case_id)
        )
        level = overdue_level_of(case, today, now)
        if case.status in FINAL_STATES or level == OverdueLevel.GREEN:
            return 0  # moved on since the query
        on = (
            case.overdue_on
            if level == OverdueLevel.RED
            else case.warn_on or (timezone.localdate(case.warn_at) if case.warn_at else None)
        )
        if on is None or OverdueAlert.objects.filter(case=case, level=level, on=on).exists():
            return 0
        recipients = warning_recipients(case)
        OverdueAlert.objects.create(
            case=case,
            level=level,
            on=on,
            status=case.status,
            recipients=[user.pk for user, _ in recipients],
        )
        context = {
            "item_name": case.item.name,
            "level": level,
            "status_label": Status(case.status).label,
            "due_date": case.due_date,
            "due_at": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
            if case.due_at
            else None,
            "step_due_date": case.step_due_date,
            "receiving": str(case.receiving_jurisdiction or "—"),
            "handling": str(case.handling_jurisdiction),
        }
        for user, as_supervisor in recipients:
            queue_staff_notification(
                user, case, "overdue_warning", {**context, "as_supervisor": as_supervisor}
            )
        record_audit(
            None,
            "case.overdue_warning",
            case,
            f"{level} {case.number}",
            {"level": level, "on": on.isoformat(), "recipients": [u.pk for u, _ in recipients]},
        )
    return 1


def warning_recipients(case: Case) -> list[tuple[User, bool]]:
    """Who hears of a case turning yellow or red: the person responsible for the current
    step (the last staff member who acted on it in the jurisdiction whose move it is; if
    nobody has yet, everyone there holding a role that may make the move), then the
    supervisors (监督人员) of the receiving and the handling jurisdiction. `True` marks a
    supervisor."""
    from tongban.accounts.models import RoleAssignment

    staff_moves = [
        t
        for t in transitions_from(case.status)
        if t.action != Action.WITHDRAW and case.mode in t.modes
    ]
    jurisdictions: list[int] = []
    roles: set[str] = set()
    for t in staff_moves:
        if Leg.HANDLING in t.legs:
            jurisdictions.append(case.handling_jurisdiction_id)
        if Leg.RECEIVING in t.legs and case.receiving_jurisdiction_id is not None:
            jurisdictions.append(case.receiving_jurisdiction_id)
        roles |= set(t.roles)
    last = (
        case.events.filter(actor__isnull=False, actor_jurisdiction_id__in=jurisdictions)
        .exclude(actor_role__in=["applicant", "system"])
        .order_by("-seq")
        .select_related("actor")
        .first()
    )
    responsible: list[User] = []
    if last is not None and last.actor is not None and last.actor.is_active:
        responsible = [last.actor]
    elif jurisdictions:
        responsible = list(
            User.objects.filter(
                is_active=True,
                role_assignments__jurisdiction_id=jurisdictions[0],
                role_assignments__role__in=roles,
            )
            .distinct()
            .order_by("pk")
        )
    legs = [case.handling_jurisdiction_id]
    if case.receiving_jurisdiction_id is not None:
        legs.append(case.receiving_jurisdiction_id)
    supervisors = (
        User.objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(
                role=Role.SUPERVISOR, jurisdiction_id__in=legs
            ).values("user_id"),
        )
        .exclude(pk__in=[u.pk for u in responsible])
        .order_by("pk")
    )
    return [(u, False) for u in responsible] + [(u, True) for u in supervisors]
