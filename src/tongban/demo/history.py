"""`tongban seed-history --year 2022`: a synthetic year of cases, consultations and
ratings whose totals reproduce what the seed article reports for 2022 (domain notes §6):

- 东湖: 17,300 cases and 29,500 consultations in the year (≈1,440 cases and ≈2,460
  consultations a month); the high-frequency items 户口迁移审批, 机动车驾驶证核发/审验 and
  结婚登记 are 63% of both (10,899 cases, 18,585 consultations).
- 葛店: 1,965 cases received, 318 at self-service terminals and 1,647 at hall windows.

A jurisdiction's cases are the cases it took part in (receiving or handling), which is
what the statistics call `leg=any`. The plan below is built so that both totals hold at
once: 葛店 only receives (40% of its cases are handled by 东湖 and count for 东湖 too), and
no consultation is forwarded to 东湖. Everything else (channels, outcomes, durations,
ratings) is drawn from fixed distributions with a seeded random generator.

Every case is one the live system would have opened (ADR 0097): an agreement in force on
the day of receipt lists the item for the receiving and handling places and the mode
(asked through `agreements.selectors.open_items`, the list form of the
`find_agreement_item` that `submit_case` asks), and the handling place's published
implementation offers the mode, the channel and the delivery method. The history therefore
needs the demo world (the 1+8 circle's agreement, in force from 2022, and GD-DH-2021);
where no item is allowed it stops and writes nothing.

The rows are written with bulk_create, bypassing cases.actions: a year of history must
carry past timestamps (the actions stamp `now`), and 185,000 events through the one-by-one
transition code would take many minutes. Every path is still checked against the
transition table (cases/workflow.py), so the synthetic history is one the workflow could
have produced. Synthetic rows are recognisable: case numbers start with `SYN-`, every
event has data.synthetic = true, and a HistoryImport row records the run.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tongban.accounts.identifiers import make_id_number
from tongban.accounts.models import Applicant, User
from tongban.agreements.models import AgreementItem
from tongban.agreements.selectors import agreements_in_force, open_items
from tongban.cases.models import Case, CaseEvent, seal_case_event
from tongban.cases.workflow import (
    INITIAL_STATE,
    SUBMIT_PRACTICE_CODE,
    find_transition,
    practice_code_for,
)
from tongban.catalog.models import ItemImplementation, Mode, ServiceItem
from tongban.catalog.selectors import published_implementations
from tongban.centres.models import Window
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Invalid
from tongban.ratings.actions import default_leg, indicators_for, rectification_due
from tongban.ratings.models import (
    ChannelKind,
    Rating,
    RatingEvent,
    Rectification,
    seal_rating_event,
)
from tongban.regions.calendar import WorkingCalendar, calendar_for
from tongban.regions.models import Jurisdiction
from tongban.stats.models import HistoryImport

DONGHU = "420100Z01"
GEDIAN = "420703400"
HUANGZHOU = "421102"
KAITIE = "420205"
COUNTERPARTS = (HUANGZHOU, KAITIE)
HISTORY_USERNAME = "synthetic-history"

# domain notes §6 (the seed article), per year
SEED_FIGURES: dict[int, dict[str, int]] = {
    2022: {
        "donghu_cases": 17_300,
        "donghu_consultations": 29_500,
        "gedian_cases": 1_965,
        "gedian_terminal": 318,
    }
}
HIGH_FREQUENCY_SHARE = Decimal("0.63")
# assumptions (not in the seed): documented in docs/adr/0060-statistics-and-ratings.md
GEDIAN_TO_DONGHU = Decimal("0.40")  # share of 葛店's cases handled by 东湖
DONGHU_RECEIVED = Decimal("0.45")  # of 东湖's other cases: received at 东湖 windows
DONGHU_FROM_COUNTERPARTS = Decimal("0.25")  # received at 黄州/开铁, handled by 东湖
GEDIAN_CONSULTATIONS_PER_YEAR = 3_350  # ≈ 东湖's consultations per case
RATED_SHARE = 0.55
LEVEL_WEIGHTS = {5: 0.86, 4: 0.09, 3: 0.035, 2: 0.01, 1: 0.005}
# 2022: Spring Festival in February, National Day in October
MONTH_WEIGHTS = (1.0, 0.75, 1.05, 0.95, 1.0, 1.05, 1.1, 1.05, 1.0, 0.85, 1.0, 1.0)


# How often each item is asked for, relative to the others of its pool (high-frequency or
# not); unlisted items weigh 1. The article names the high-frequency items, not their mix.
ITEM_WEIGHTS: dict[str, float] = {
    # the three high-frequency items (the only ones flagged in the demo catalogue)
    "ITEM-HUKOU-MIGRATION": 40,
    "ITEM-DRIVING-LICENCE": 40,
    "ITEM-MARRIAGE": 20,
    # ordinary items that windows see most
    "ITEM-PASSPORT": 12,
    "ITEM-HK-MACAO-PERMIT": 10,
    "ITEM-HK-MACAO-ENDORSEMENT": 8,
    "ITEM-ID-CARD-RENEWAL": 10,
    "ITEM-ID-CARD-LOSS": 6,
    "ITEM-COMPANY": 8,
    "ITEM-COMPANY-CHANGE": 8,
    "ITEM-SOLE-TRADER": 6,
    "ITEM-HOUSING-FUND-CERTIFICATE": 8,
    "ITEM-FUND-QUERY": 6,
    "ITEM-INSURANCE-RECORD": 8,
    "ITEM-SOCIAL-SECURITY-CARD": 6,
    "ITEM-PENSION-TRANSFER": 5,
    "ITEM-MEDICAL-TRANSFER": 5,
    "ITEM-MEDICAL-REFERRAL": 6,
    "ITEM-TAX-CERTIFICATE": 6,
    "ITEM-BIRTH-REGISTRATION": 4,
    "ITEM-HUKOU-CERTIFICATE": 5,
    "ITEM-NO-CRIMINAL-RECORD": 4,
}
EXIT_ENTRY_TREND = 0.08  # 出入境 items gain weight month by month ("逐步成为高频")


def round_half_up(value: Decimal | float) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), ROUND_HALF_UP))


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` exactly (largest remainder)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass(frozen=True)
class Targets:
    year: int
    donghu_cases: int
    donghu_hf_cases: int
    donghu_consultations: int
    donghu_hf_consultations: int
    gedian_cases: int
    gedian_terminal: int
    gedian_window: int
    gedian_consultations: int


def targets_for(year: int, scale: float = 1.0) -> Targets:
    figures = SEED_FIGURES.get(year)
    if figures is None:
        raise Invalid(
            gettext_lazy("The seed reports figures for %(sorted_seed_figures)s only."),
            params={"sorted_seed_figures": sorted(SEED_FIGURES)},
        )
    if not 0 < scale <= 1:
        raise Invalid(gettext_lazy("The scale must be in (0, 1]."))
    s = Decimal(str(scale))
    dh = round_half_up(figures["donghu_cases"] * s)
    dc = round_half_up(figures["donghu_consultations"] * s)
    gd = round_half_up(figures["gedian_cases"] * s)
    gt = min(gd, round_half_up(figures["gedian_terminal"] * s))
    return Targets(
        year=year,
        donghu_cases=dh,
        donghu_hf_cases=round_half_up(dh * HIGH_FREQUENCY_SHARE),
        donghu_consultations=dc,
        donghu_hf_consultations=round_half_up(dc * HIGH_FREQUENCY_SHARE),
        gedian_cases=gd,
        gedian_terminal=gt,
        gedian_window=gd - gt,
        gedian_consultations=round_half_up(GEDIAN_CONSULTATIONS_PER_YEAR * s),
    )


@dataclass
class CasePlan:
    month: int
    receiving: str | None
    handling: str
    mode: str
    channel: str
    high_frequency: bool
    item: str = ""


@dataclass
class ConsultationPlan:
    month: int
    jurisdiction: str
    channel: str
    high_frequency: bool
    forwarded_to: str | None
    about_item: bool = False


def _months(total: int, rng: random.Random) -> list[int]:
    months = [m for m, n in enumerate(apportion(total, MONTH_WEIGHTS), start=1) for _ in range(n)]
    rng.shuffle(months)
    return months


def plan_cases(t: Targets, rng: random.Random) -> list[CasePlan]:
    """Every case of the year, with the totals of `t` exact by construction."""
    # 葛店 receives; some of it is handled by 东湖
    g_channels = ["terminal"] * t.gedian_terminal + ["window"] * t.gedian_window
    rng.shuffle(g_channels)
    g2d = round_half_up(t.gedian_cases * GEDIAN_TO_DONGHU)
    donghu: list[CasePlan] = []
    others: list[CasePlan] = []
    for i, channel in enumerate(g_channels):
        plan = CasePlan(0, GEDIAN, DONGHU, "proxy", channel, False)
        if i < g2d:
            donghu.append(plan)
        else:
            plan.handling = rng.choice(COUNTERPARTS)
            plan.high_frequency = rng.random() < 0.5
            others.append(plan)
    rest = t.donghu_cases - len(donghu)
    received = round_half_up(rest * DONGHU_RECEIVED)
    incoming = round_half_up(rest * DONGHU_FROM_COUNTERPARTS)
    online = rest - received - incoming
    for _ in range(received):
        channel = "terminal" if rng.random() < 0.15 else "window"
        donghu.append(CasePlan(0, DONGHU, rng.choice(COUNTERPARTS), "proxy", channel, False))
    for _ in range(incoming):
        donghu.append(CasePlan(0, rng.choice(COUNTERPARTS), DONGHU, "proxy", "window", False))
    for _ in range(online):
        channel = "web" if rng.random() < 0.55 else "app"
        donghu.append(CasePlan(0, None, DONGHU, "online", channel, False))
    flags = [True] * t.donghu_hf_cases + [False] * (len(donghu) - t.donghu_hf_cases)
    rng.shuffle(flags)
    for plan, flag, month in zip(donghu, flags, _months(len(donghu), rng), strict=True):
        plan.high_frequency = flag
        plan.month = month
    for plan, month in zip(others, _months(len(others), rng), strict=True):
        plan.month = month
    # items are chosen when the case is written, among those the rules allow on its day
    return donghu + others


CONSULTATION_CHANNELS = (("window", 0.45), ("hotline", 0.30), ("online", 0.20), ("terminal", 0.05))


def plan_consultations(t: Targets, rng: random.Random) -> list[ConsultationPlan]:
    plans: list[ConsultationPlan] = []
    names = [c for c, _ in CONSULTATION_CHANNELS]
    weights = [w for _, w in CONSULTATION_CHANNELS]
    for owner, total, hf_total, targets in (
        (DONGHU, t.donghu_consultations, t.donghu_hf_consultations, (GEDIAN, *COUNTERPARTS)),
        (GEDIAN, t.gedian_consultations, None, COUNTERPARTS),
    ):
        if hf_total is None:
            hf_total = round_half_up(total * Decimal("0.5"))
        flags = [True] * hf_total + [False] * (total - hf_total)
        rng.shuffle(flags)
        for flag, month in zip(flags, _months(total, rng), strict=True):
            channel = rng.choices(names, weights)[0]
            forwarded = rng.choice(targets) if rng.random() < 0.06 else None
            plan = ConsultationPlan(month, owner, channel, flag, forwarded)
            # a question about a named item (all high-frequency ones name theirs); the
            # item is drawn when written, from the catalogue (no agreement is needed to ask)
            plan.about_item = flag or rng.random() < 0.75
            plans.append(plan)
    return plans


# -- writing ----------------------------------------------------------------------------


@dataclass
class Context:
    year: int
    rng: random.Random
    zone: zoneinfo.ZoneInfo
    user: User
    jurisdictions: dict[str, Jurisdiction]
    rules: Rules
    calendars: dict[str, WorkingCalendar] = field(default_factory=dict)
    windows: dict[tuple[str, str], int | None] = field(default_factory=dict)
    applicants: list[Applicant] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _history_user() -> User:
    user, created = User.objects.get_or_create(
        username=HISTORY_USERNAME,
        defaults={"kind": User.Kind.STAFF, "display_name": "历史数据导入", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class Rules:
    """The live system's rules, asked once per distinct question. A case of the history
    is written only where an agreement in force on the day of receipt lets the receiving
    place receive the item for the handling place in the mode (`open_items`, the list
    form of `find_agreement_item`, which `submit_case` asks), and where the handling
    place's published implementation offers the mode and the channel (and the delivery
    method, chosen later). Online cases have no receiving place and need no agreement,
    as in `submit_case`.

    The catalogue is published when the demo is seeded, so the version in force today
    stands for the one of the case's day: item implementations have no history before
    the seed (ADR 0097)."""

    def __init__(self, on: dt.date) -> None:
        self.items: dict[int, ServiceItem] = {i.pk: i for i in ServiceItem.objects.all()}
        self.implementations: dict[tuple[int, int], ItemImplementation] = {
            (impl.item_id, impl.jurisdiction_id): impl for impl in published_implementations(on)
        }
        self._in_force: dict[dt.date, frozenset[int]] = {}
        self._open: dict[tuple[int, int, str, frozenset[int]], dict[int, AgreementItem]] = {}
        self._pools: dict[tuple[Any, ...], list[tuple[ServiceItem, ItemImplementation]]] = {}

    def agreement_items(
        self, receiving: Jurisdiction, handling: Jurisdiction, mode: str, on: dt.date
    ) -> dict[int, AgreementItem]:
        """`open_items(receiving, handling, mode, on)`, cached: its answer depends on the
        date only through the set of agreements in force on it."""
        in_force = self._in_force.get(on)
        if in_force is None:
            in_force = frozenset(agreements_in_force(on).values_list("pk", flat=True))
            self._in_force[on] = in_force
        key = (receiving.pk, handling.pk, mode, in_force)
        if key not in self._open:
            self._open[key] = open_items(receiving, handling, mode, on)
        return self._open[key]

    def pool(
        self,
        receiving: Jurisdiction | None,
        handling: Jurisdiction,
        mode: str,
        channel: str,
        high_frequency: bool,
        on: dt.date,
    ) -> tuple[list[tuple[ServiceItem, ItemImplementation]], dict[int, AgreementItem]]:
        """The items a case with these coordinates may be opened for, with the handling
        place's implementation, and the agreement items that allow them."""
        allowed = (
            self.agreement_items(receiving, handling, mode, on) if receiving is not None else {}
        )
        key: tuple[Any, ...] = (
            receiving.pk if receiving else None,
            handling.pk,
            mode,
            channel,
            high_frequency,
            frozenset(allowed),
        )
        if key not in self._pools:
            candidates = allowed if receiving is not None else self.items
            pool = []
            for item_id in sorted(candidates):
                item = self.items[item_id]
                impl = self.implementations.get((item_id, handling.pk))
                if (
                    item.high_frequency == high_frequency
                    and impl is not None
                    and mode in impl.modes
                    and channel in impl.channels
                ):
                    pool.append((item, impl))
            self._pools[key] = pool
        return self._pools[key], allowed


def _weight(item: ServiceItem, month: int) -> float:
    weight = ITEM_WEIGHTS.get(item.code, 1.0)
    if item.department_kind == "exit_entry":
        weight *= 1 + EXIT_ENTRY_TREND * (month - 1)
    return weight


def _window(ctx: Context, code: str | None, channel: str) -> int | None:
    if code is None:
        return None
    kind = Window.Kind.TERMINAL if channel == "terminal" else Window.Kind.DEDICATED
    key = (code, kind)
    if key not in ctx.windows:
        ctx.windows[key] = (
            Window.objects.filter(centre__jurisdiction__code=code, kind=kind)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    return ctx.windows[key]


def _calendar(ctx: Context, code: str) -> WorkingCalendar:
    if code not in ctx.calendars:
        ctx.calendars[code] = calendar_for(ctx.jurisdictions[code])
    return ctx.calendars[code]


def _at(ctx: Context, day: dt.date, start_hour: int = 9, end_hour: int = 17) -> dt.datetime:
    minute = ctx.rng.randrange(start_hour * 60, end_hour * 60)
    return dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=ctx.zone)


def _working_day_in(ctx: Context, cal: WorkingCalendar, month: int) -> dt.date:
    first = dt.date(ctx.year, month, 1)
    days = [
        first + dt.timedelta(days=i)
        for i in range(31)
        if (first + dt.timedelta(days=i)).month == month
    ]
    working = [d for d in days if cal.is_working_day(d)] or days
    return ctx.rng.choice(working)


def _later(ctx: Context, at: dt.datetime, low_minutes: int, high_minutes: int) -> dt.datetime:
    return at + dt.timedelta(minutes=ctx.rng.randint(low_minutes, high_minutes))


@dataclass
class Built:
    case: Case
    events: list[tuple[str, str, str, int, dt.datetime, str, str]]  # action, from, to, ...


def _choose_item(
    ctx: Context, plan: CasePlan, on: dt.date
) -> tuple[ServiceItem, ItemImplementation, int | None]:
    """An item the rules allow for this case on its day (see `Rules`), drawn by weight."""
    receiving = ctx.jurisdictions[plan.receiving] if plan.receiving else None
    handling = ctx.jurisdictions[plan.handling]
    pool, allowed = ctx.rules.pool(
        receiving, handling, plan.mode, plan.channel, plan.high_frequency, on
    )
    if not pool:
        applicant = plan.receiving or gettext_lazy("an online applicant")
        frequency = (
            gettext_lazy("a high-frequency") if plan.high_frequency else gettext_lazy("an ordinary")
        )
        raise Invalid(
            gettext_lazy(
                "No agreement in force on %(on)s lets %(applicant)s apply for "
                "%(frequency)s item handled by %(handling)s in mode %(mode)s "
                "through %(channel)s: the history needs the demo world (make "
                "demo)."
            ),
            code="history_not_allowed",
            details={"receiving": plan.receiving, "handling": plan.handling, "on": str(on)},
            params={
                "on": on,
                "applicant": applicant,
                "frequency": frequency,
                "handling": plan.handling,
                "mode": plan.mode,
                "channel": plan.channel,
            },
        )
    item, impl = ctx.rng.choices(pool, [_weight(i, plan.month) for i, _ in pool])[0]
    return item, impl, allowed[item.pk].agreement_id if receiving is not None else None


def _delivery(ctx: Context, plan: CasePlan, impl: ItemImplementation) -> tuple[str, str]:
    """A delivery method the implementation offers, and the ship variant it means (as
    `cases.actions` maps it): 就近取证 is at the receiving window when there is one."""
    weights = {"post": 0.45, "window": 0.35, "electronic": 0.6 if plan.mode == "online" else 0.2}
    offered = [m for m in ("post", "window", "electronic") if m in impl.delivery_methods]
    method = ctx.rng.choices(offered, [weights[m] for m in offered])[0]
    if method == "window":
        return method, "receiving_window" if plan.receiving else "handling_window"
    return method, method


def build_case(ctx: Context, plan: CasePlan) -> Built:
    """One case with its whole timeline, every move checked against the workflow table."""
    rng = ctx.rng
    handling_cal = _calendar(ctx, plan.handling)
    place = plan.receiving or plan.handling
    received_on = _working_day_in(ctx, _calendar(ctx, place), plan.month)
    t = _at(ctx, received_on)
    item, impl, agreement_id = _choose_item(ctx, plan, received_on)
    plan.item = item.code
    status: str = INITIAL_STATE[Mode(plan.mode)]
    receiving_side = "receiving" if plan.receiving else "applicant"
    events: list[tuple[str, str, str, int, dt.datetime, str, str]] = [
        ("submit", "", status, SUBMIT_PRACTICE_CODE, t, receiving_side, "")
    ]
    case = Case(
        item=item,
        implementation=impl,
        mode=plan.mode,
        channel=plan.channel,
        receiving_jurisdiction=ctx.jurisdictions[plan.receiving] if plan.receiving else None,
        receiving_window_id=_window(ctx, plan.receiving, plan.channel),
        handling_jurisdiction=ctx.jurisdictions[plan.handling],
        agreement_id=agreement_id,
        applicant=rng.choice(ctx.applicants),
        submitted_by=ctx.user,
        assisted=plan.receiving is not None and rng.random() < 0.1,
        received_at=t,
        promised_days=impl.promised_limit_days,
        statutory_days=impl.statutory_limit_days,
    )
    case.delivery_method, variant = _delivery(ctx, plan, impl)
    if case.delivery_method == "post":  # submit_case requires an address for post
        home = ctx.jurisdictions[plan.receiving or plan.handling]
        case.delivery_address = f"{home.name}示范路{rng.randint(1, 200)}号(合成数据)"

    def move(action: str, minutes: tuple[int, int], variant: str | None = None) -> None:
        nonlocal t, status
        transition = find_transition(action, status, variant)
        if transition is None or plan.mode not in transition.modes:
            raise RuntimeError(f"synthetic path not in workflow: {action} from {status}")
        t = _later(ctx, t, *minutes)
        if plan.receiving and "receiving" in transition.legs:
            side = "receiving"
        elif "handling" in transition.legs:
            side = "handling"
        else:
            side = "applicant"
        code = practice_code_for(
            transition,
            events[-1][3],
            accepted_with_commitment=any(e[0] == "accept_with_commitment" for e in events),
        )
        events.append((action, status, transition.target, code, t, side, ""))
        status = transition.target

    def end() -> Built:
        case.status = status
        case.practice_code = events[-1][3]
        return Built(case, events)

    if plan.receiving:
        if rng.random() < 0.03:
            move("request_supplement", (5, 30))
            move("supplement", (60, 4000))
        if rng.random() < 0.01:
            move("withdraw", (10, 600))
            return end()
        move("check", (5, 30))
        move("transfer", (5, 90))
        move("receive_transfer", (120, 2880))
    if rng.random() < 0.01:
        move("withdraw", (30, 1440))
        return end()
    if rng.random() < 0.04:
        move("request_supplement", (30, 1440))
        move("supplement", (600, 5760))
    if rng.random() < 0.025:
        move("refuse", (30, 1440))
        case.refusal_reason = "不属于本机关职权范围(合成数据)"
        return end()
    move("accept", (30, 1440))
    case.accepted_at = t
    accepted_on = t.astimezone(ctx.zone).date()
    case.clock_start = accepted_on
    due = handling_cal.add_working_days(accepted_on, impl.promised_limit_days)
    case.due_date = due
    late = rng.random() < 0.03
    k = (
        impl.promised_limit_days + rng.randint(1, 3)
        if late
        else rng.randint(0, impl.promised_limit_days)
    )
    decided_on = handling_cal.add_working_days(accepted_on, k)
    decided_at = _at(ctx, decided_on, 10, 17)
    if decided_at <= t:
        decided_at = _later(ctx, t, 30, 180)
    t = decided_at - dt.timedelta(minutes=1)
    deny = rng.random() < 0.015
    move("deny" if deny else "approve", (1, 1))
    case.decided_at = t
    move("issue_result", (30, 1440))
    move("ship", (10, 1440), variant)
    if variant == "post":
        move("sign_for", (1440, 4320))
    elif variant == "receiving_window":
        move("sign_for", (1440, 4320))
        move("pickup", (60, 7200))
    elif variant == "handling_window":
        move("pickup", (60, 7200))
    move("complete", (5, 1440))
    case.completed_at = t
    return end()


def _case_number(ctx: Context, case: Case) -> str:
    place = case.receiving_jurisdiction or case.handling_jurisdiction
    day = case.received_at.astimezone(ctx.zone).date()
    prefix = f"SYN-{place.code}-{day:%Y%m%d}"
    ctx.numbers[prefix] += 1
    return f"{prefix}-{ctx.numbers[prefix]:06d}"


def _rating_for(ctx: Context, case: Case) -> tuple[Rating, list[tuple[str, dt.datetime, str]]]:
    rng = ctx.rng
    assert case.completed_at is not None
    level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
    kind = ChannelKind.ONLINE if case.channel in ("web", "app") else ChannelKind.IN_PERSON
    indicators = {
        name: level if name == "overall" else max(1, min(5, level + rng.choice((-1, 0, 0, 1))))
        for name in indicators_for(kind)
    }
    leg = default_leg(case)
    target = case.receiving_jurisdiction if leg == "receiving" else case.handling_jurisdiction
    assert target is not None
    rated_at = case.completed_at + dt.timedelta(minutes=rng.randint(10, 10 * 1440))
    assert case.applicant.user is not None
    rating = Rating(
        case=case,
        channel_kind=kind,
        level=level,
        indicators=indicators,
        comment="办理时间较长,窗口解释不清楚(合成数据)" if level <= 2 else "",
        anonymous=rng.random() < 0.2,
        rater=case.applicant.user,
        target_leg=leg,
        target_jurisdiction=target,
        rated_at=rated_at,
    )
    return rating, [("rate", rated_at, "applicant")]


def _applicants(ctx: Context, count: int) -> list[Applicant]:
    existing = list(
        Applicant.objects.filter(name__startswith="合成", user__isnull=False).select_related("user")
    )
    if len(existing) >= count:
        return existing[:count]
    users = User.objects.bulk_create(
        [
            User(
                username=f"synthetic-applicant-{i:04d}",
                kind=User.Kind.APPLICANT,
                display_name=f"合成申请人{i:04d}",
                is_active=False,
                password="!",
            )
            for i in range(len(existing), count)
        ]
    )
    regions = ("420111", "420115", "420703", "421102", "420205")
    made = Applicant.objects.bulk_create(
        [
            Applicant(
                kind=Applicant.Kind.PERSON,
                name=f"合成申请人{i:04d}",
                id_number=make_id_number(
                    regions[i % len(regions)],
                    dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    i % 1000,
                ),
                user=user,
            )
            for i, user in zip(range(len(existing), count), users, strict=True)
        ]
    )
    return existing + made


@dataclass
class HistoryResult:
    cases: int = 0
    events: int = 0
    consultations: int = 0
    ratings: int = 0
    rectifications: int = 0


def seed_history(
    year: int,
    scale: float = 1.0,
    seed: int = 2022,
    write: Callable[[str], None] = lambda line: None,
    chunk: int = 2000,
) -> HistoryResult:
    t = targets_for(year, scale)
    if HistoryImport.objects.filter(year=year).exists():
        raise Conflict(
            gettext_lazy("A synthetic history for %(year)s has already been written."),
            code="history_exists",
            params={"year": year},
        )
    codes = (DONGHU, GEDIAN, HUANGZHOU, KAITIE)
    jurisdictions = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(jurisdictions))
    if missing:
        raise Invalid(
            gettext_lazy("Jurisdictions are missing: run the demo seed first (make demo)."),
            details={"missing": missing},
        )
    rng = random.Random(seed)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    result = HistoryResult()
    with transaction.atomic():
        write(f"{year}年合成历史 / synthetic history {year} ×{scale}")
        ctx = Context(
            year=year,
            rng=rng,
            zone=zone,
            user=_history_user(),
            jurisdictions=jurisdictions,
            rules=Rules(timezone.localdate()),
        )
        ctx.applicants = _applicants(ctx, 400)
        case_plans = plan_cases(t, rng)
        write(
            f"  计划 plan: 东湖 {t.donghu_cases} 件(高频 {t.donghu_hf_cases}), "
            f"葛店 {t.gedian_cases} 件(自助终端 {t.gedian_terminal}, 窗口 {t.gedian_window}), "
            f"共 {len(case_plans)} 件"
        )
        first_id: int | None = None
        last_id: int | None = None
        for start in range(0, len(case_plans), chunk):
            built = [build_case(ctx, p) for p in case_plans[start : start + chunk]]
            for b in built:
                b.case.number = _case_number(ctx, b.case)
                b.case.event_count = len(b.events)
            cases = Case.objects.bulk_create([b.case for b in built])
            first_id = first_id if first_id is not None else cases[0].pk
            last_id = cases[-1].pk
            events = []
            for b in built:
                prev_digest = ""  # bulk_create skips save(): the SM3 chain is built here
                for seq, (action, source, target, code, at, side, _) in enumerate(b.events, 1):
                    c = b.case
                    jurisdiction_id = (
                        c.receiving_jurisdiction_id
                        if side == "receiving"
                        else None
                        if side == "applicant"
                        else c.handling_jurisdiction_id
                    )
                    events.append(
                        CaseEvent(
                            case=c,
                            seq=seq,
                            action=action,
                            from_status=source,
                            to_status=target,
                            practice_code=code,
                            actor=None,
                            actor_role={"receiving": "clerk", "handling": "officer"}.get(
                                side, "applicant"
                            ),
                            actor_jurisdiction_id=jurisdiction_id,
                            at=at,
                            data={"synthetic": True},
                        )
                    )
                    prev_digest = seal_case_event(events[-1], prev_digest)
            CaseEvent.objects.bulk_create(events, batch_size=5000)
            result.cases += len(cases)
            result.events += len(events)
            _write_ratings(ctx, [b.case for b in built], result)
            write(
                f"  办件 cases {result.cases}/{len(case_plans)}  记录 events {result.events}  "
                f"评价 ratings {result.ratings}"
            )
        _write_consultations(ctx, plan_consultations(t, rng), result, write, chunk)
        run = HistoryImport.objects.create(
            year=year,
            scale=scale,
            seed=seed,
            cases=result.cases,
            consultations=result.consultations,
            ratings=result.ratings,
            first_case_id=first_id,
            last_case_id=last_id,
        )
        record_audit(
            None,
            "seed_history",
            run,
            f"{year} 合成历史数据",
            {"cases": result.cases, "consultations": result.consultations, "scale": scale},
        )
    return result


def _write_ratings(ctx: Context, cases: list[Case], result: HistoryResult) -> None:
    rng = ctx.rng
    applicant_users = {a.pk: a.user for a in ctx.applicants}
    pending: list[tuple[Rating, list[tuple[str, dt.datetime, str]]]] = []
    for case in cases:
        if case.status != "completed" or rng.random() >= RATED_SHARE:
            continue
        case.applicant.user = applicant_users[case.applicant_id]
        pending.append(_rating_for(ctx, case))
    if not pending:
        return
    ratings = Rating.objects.bulk_create([r for r, _ in pending])
    tasks: list[Rectification] = []
    events: list[RatingEvent] = []
    for rating, history in pending:
        if rating.level <= 2:
            task, more = _rectification(ctx, rating)
            tasks.append(task)
            history = history + more
        prev_digest = ""  # bulk_create skips save(): the SM3 chain is built here
        for seq, (action, at, role) in enumerate(history, 1):
            events.append(
                RatingEvent(
                    rating=rating,
                    seq=seq,
                    action=action,
                    actor_role=role,
                    at=at,
                    data={"synthetic": True},
                )
            )
            prev_digest = seal_rating_event(events[-1], prev_digest)
        rating.event_count = len(history)
    Rectification.objects.bulk_create(tasks)
    RatingEvent.objects.bulk_create(events, batch_size=5000)
    Rating.objects.bulk_update(ratings, ["event_count", "status", "annulled_at"], batch_size=1000)
    result.ratings += len(ratings)
    result.rectifications += len(tasks)


def _rectification(
    ctx: Context, rating: Rating
) -> tuple[Rectification, list[tuple[str, dt.datetime, str]]]:
    rng = ctx.rng
    opened = rating.rated_at
    due = rectification_due(rating.target_jurisdiction, opened.astimezone(ctx.zone).date())
    task = Rectification(
        rating=rating,
        jurisdiction=rating.target_jurisdiction,
        opened_at=opened,
        due_date=due,
    )
    history: list[tuple[str, dt.datetime, str]] = [("rectification_opened", opened, "")]
    t = opened
    if not rating.anonymous:
        t = _later(ctx, t, 60, 1440)
        task.callback_at, task.callback_reached = t, True
        task.callback_note = "已电话回访,申请人反映等待时间较长(合成数据)"
        history.append(("callback", t, "clerk"))
    if rng.random() < 0.1:
        t = _later(ctx, t, 60, 1440)
        task.appealed_at, task.appeal_reason = t, "申请人误评(合成数据)"
        history.append(("appeal", t, "head"))
        t = _later(ctx, t, 60, 2880)
        task.reviewed_at, task.review_decision = t, Rectification.ReviewDecision.ANNUL
        task.review_note = "复核认定为误评,予以撤销(合成数据)"
        task.status = Rectification.Status.ANNULLED
        rating.status = Rating.Status.ANNULLED
        rating.annulled_at = t
        history.append(("review", t, "supervisor"))
        return task, history
    t = _later(ctx, t, 120, 4 * 1440)
    task.resolved_at = t
    task.outcome = rng.choice(list(Rectification.Outcome.values))
    task.outcome_note = "已向申请人说明并改进窗口服务(合成数据)"
    task.status = Rectification.Status.CLOSED
    history.append(("rectified", t, "clerk"))
    return task, history


def _consultation_item(ctx: Context, plan: ConsultationPlan) -> ServiceItem:
    """Any catalogue item of the plan's kind: asking needs no agreement."""
    pool = [i for i in ctx.rules.items.values() if i.high_frequency == plan.high_frequency]
    if not pool:
        raise Invalid(
            gettext_lazy(
                "The catalogue has no high-frequency item: run the demo seed first (make demo)."
            ),
            code="history_not_allowed",
        )
    return ctx.rng.choices(pool, [_weight(i, plan.month) for i in pool])[0]


def _write_consultations(
    ctx: Context,
    plans: list[ConsultationPlan],
    result: HistoryResult,
    write: Callable[[str], None],
    chunk: int,
) -> None:
    rng = ctx.rng
    for start in range(0, len(plans), chunk):
        rows: list[tuple[Consultation, list[tuple[str, str, str, dt.datetime, int | None]]]] = []
        for plan in plans[start : start + chunk]:
            owner = ctx.jurisdictions[plan.jurisdiction]
            day = _working_day_in(ctx, _calendar(ctx, plan.jurisdiction), plan.month)
            asked = _at(ctx, day, 9, 18)
            item = _consultation_item(ctx, plan) if plan.about_item else None
            c = Consultation(
                channel=plan.channel,
                jurisdiction=owner,
                item=item,
                topic=f"{item.name}办理咨询" if item else "跨域通办政策咨询",
                question="请问异地如何办理、需要哪些材料?(合成数据)",
                status=Consultation.Status.OPEN,
                asked_at=asked,
                recorded_by=ctx.user,
            )
            history: list[tuple[str, str, str, dt.datetime, int | None]] = [
                ("record", "", "open", asked, owner.pk)
            ]
            t = asked
            status = "open"
            answerer = owner
            if plan.forwarded_to:
                target = ctx.jurisdictions[plan.forwarded_to]
                t = _later(ctx, t, 10, 120)
                c.forwarded_to, c.forwarded_at = target, t
                history.append(("forward", status, "forwarded", t, owner.pk))
                status = "forwarded"
                answerer = target
            if rng.random() < 0.98:
                on_the_spot = plan.forwarded_to is None and rng.random() < 0.7
                t = _later(ctx, t, 1, 20) if on_the_spot else _later(ctx, t, 60, 4 * 1440)
                c.answer = "已一次性告知办理流程和材料清单(合成数据)"
                c.answered_at, c.answered_in = t, answerer
                history.append(("answer", status, "answered", t, answerer.pk))
                status = "answered"
                if rng.random() < 0.95:
                    t = _later(ctx, t, 5, 2 * 1440)
                    c.closed_at = t
                    history.append(("close", status, "closed", t, owner.pk))
                    status = "closed"
            c.status = status
            c.event_count = len(history)
            rows.append((c, history))
        made = Consultation.objects.bulk_create([c for c, _ in rows])
        events = [
            ConsultationEvent(
                consultation=c,
                seq=seq,
                action=action,
                from_status=source,
                to_status=target_status,
                actor_jurisdiction_id=where,
                at=at,
                data={"synthetic": True},
            )
            for c, (_, history) in zip(made, rows, strict=True)
            for seq, (action, source, target_status, at, where) in enumerate(history, 1)
        ]
        ConsultationEvent.objects.bulk_create(events, batch_size=5000)
        result.consultations += len(made)
        write(f"  咨询 consultations {result.consultations}/{len(plans)}")


def describe(t: Targets) -> dict[str, Any]:
    return {
        "year": t.year,
        "donghu_cases": t.donghu_cases,
        "donghu_hf_cases": t.donghu_hf_cases,
        "donghu_consultations": t.donghu_consultations,
        "donghu_hf_consultations": t.donghu_hf_consultations,
        "gedian_cases": t.gedian_cases,
        "gedian_terminal": t.gedian_terminal,
        "gedian_window": t.gedian_window,
    }


__all__ = ["describe", "seed_history", "targets_for"]
