"""What the consultation pages show and how their forms are parsed. Reads go through
consultations.selectors (and the catalogue's item search); the actions stay the only
authority: what is computed here only decides which forms a page offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
)
from tongban.catalog.models import ServiceItem
from tongban.catalog.selectors import readable_items, search_items
from tongban.consultations import actions
from tongban.consultations.api import AnswerIn, CloseIn, ConsultationIn, ForwardIn
from tongban.consultations.models import Consultation, ConsultationChannel, ConsultationEvent
from tongban.core.errors import Forbidden, Invalid
from tongban.core.inputs import validate_fields, validate_input
from tongban.regions.models import Jurisdiction

PAGE_SIZE = 25
ITEM_CHOICES = 50

S = Consultation.Status

# the model's labels are plain Chinese strings: listed here so that makemessages finds them;
# the templates translate them in the context "consultation" (a consultation is closed,
# not completed like a case)
_EXTRACTED = [
    pgettext_lazy("consultation", "窗口"),
    pgettext_lazy("consultation", "热线电话"),
    pgettext_lazy("consultation", "网上咨询"),
    pgettext_lazy("consultation", "自助终端"),
    pgettext_lazy("consultation", "待答复"),
    pgettext_lazy("consultation", "已转办"),
    pgettext_lazy("consultation", "已答复"),
    pgettext_lazy("consultation", "已办结"),
    pgettext_lazy("consultation", "登记"),
    pgettext_lazy("consultation", "转办"),
    pgettext_lazy("consultation", "答复"),
    pgettext_lazy("consultation", "办结"),
]


def require_staff(user: Any) -> None:
    """The consultation pages are for staff of a jurisdiction and platform admins."""
    require_authenticated(user)
    if not is_platform_admin(user) and not jurisdictions_with(user):
        raise Forbidden(
            _("Only staff may see the consultation register."), code="consultation_forbidden"
        )


def filter_jurisdictions(user: Any) -> list[Jurisdiction]:
    """The jurisdictions the list can be narrowed to: the user's own (all for admins)."""
    qs = (
        Jurisdiction.objects.filter(active=True)
        if is_platform_admin(user)
        else Jurisdiction.objects.filter(pk__in=jurisdictions_with(user))
    )
    return list(qs.only("code", "name", "short_name").order_by("code"))


@dataclass
class ListFilter:
    status: str = ""
    channel: str = ""
    jurisdiction: str = ""
    awaiting: bool = False


def list_filter(params: Any) -> ListFilter:
    status = params.get("status", "")
    if status and status not in S.values:
        raise Invalid(_("Unknown status."), code="invalid_filter")
    channel = params.get("channel", "")
    if channel and channel not in ConsultationChannel.values:
        raise Invalid(_("Unknown consultation channel."), code="invalid_filter")
    return ListFilter(
        status=status,
        channel=channel,
        jurisdiction=params.get("jurisdiction", "").strip(),
        awaiting=params.get("awaiting") == "1",
    )


# -- recording ------------------------------------------------------------------------------


def may_record(user: Any) -> bool:
    return bool(jurisdictions_with(user, actions.CONSULTATION_WRITE_ROLES))


def recording_places(user: Any) -> list[Jurisdiction]:
    """Where the user may record consultations (the action checks it again)."""
    require_authenticated(user)
    ids = jurisdictions_with(user, actions.CONSULTATION_WRITE_ROLES)
    if not ids:
        raise Forbidden(
            _(
                "Only clerks, officers, heads and administrators of a "
                "jurisdiction may record consultations."
            ),
            code="consultation_forbidden",
        )
    return list(Jurisdiction.objects.filter(pk__in=ids).order_by("code"))


def item_choices(user: Any, q: str, selected: str = "") -> list[ServiceItem]:
    """Items matching `q` (name, code or pinyin initials, like the clerk workbench), and
    the item chosen before if the search does not show it."""
    found = list(search_items(user, q.strip() or None)[:ITEM_CHOICES])
    if selected and all(item.code != selected for item in found):
        chosen = readable_items(user).filter(code=selected).first()
        if chosen is not None:
            found.insert(0, chosen)
    return found


def _jurisdiction(code: str, field: str) -> Jurisdiction:
    code = (code or "").strip()
    if not code:
        raise Invalid(_("Choose a jurisdiction."), details={field: code})
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        raise Invalid(
            _("Unknown jurisdiction code."), code="unknown_jurisdiction", details={field: code}
        )
    return jurisdiction


def record_input(user: Any, post: Any, places: list[Jurisdiction]) -> dict[str, Any]:
    """Parse the record form into the keyword arguments of record_consultation."""
    code = post.get("jurisdiction") or (places[0].code if len(places) == 1 else "")
    item_code = (post.get("item") or "").strip()
    fields = {
        "channel": post.get("channel", ""),
        "topic": post.get("topic", ""),
        "question": post.get("question", ""),
        "asker_name": post.get("asker_name", ""),
        "asker_phone": post.get("asker_phone", ""),
        "answer": post.get("answer", ""),
    }
    # the API's contract for the same input: lengths, no NUL, non-empty topic and question
    # (the jurisdiction and the item are looked up below, with their own messages)
    validate_fields(ConsultationIn, fields)
    item = None
    if item_code:
        item = readable_items(user).filter(code=item_code).first()
        if item is None:
            raise Invalid(_("Unknown item code."), code="unknown_item", details={"item": item_code})
    return {"jurisdiction": _jurisdiction(code, "jurisdiction"), "item": item, **fields}


# -- one consultation -------------------------------------------------------------------------


@dataclass
class DetailForms:
    """Which steps the page offers to this user now (the action decides if it may be done)."""

    forward: bool
    answer: bool
    close: bool
    contact: bool  # the full name and phone of the caller (to call back)

    @property
    def any(self) -> bool:
        return self.forward or self.answer or self.close


def detail_forms(user: Any, consultation: Consultation) -> DetailForms:
    roles = actions.CONSULTATION_WRITE_ROLES
    owner = has_role(user, roles, consultation.jurisdiction_id)
    target = has_role(user, roles, consultation.forwarded_to_id)
    waiting = consultation.status in (S.OPEN, S.FORWARDED)
    return DetailForms(
        forward=waiting and owner,
        answer=waiting and (owner or target),
        close=consultation.status != S.CLOSED and owner,
        contact=owner or target,
    )


def forward_targets(consultation: Consultation) -> list[Jurisdiction]:
    excluded = [consultation.jurisdiction_id]
    if consultation.forwarded_to_id is not None:
        excluded.append(consultation.forwarded_to_id)
    return list(
        Jurisdiction.objects.filter(active=True)
        .exclude(pk__in=excluded)
        .only("code", "name", "short_name")
        .order_by("code")
    )


@dataclass
class TimelineEntry:
    event: ConsultationEvent
    target: Jurisdiction | None  # where a forward sent it


def timeline(events: list[ConsultationEvent]) -> list[TimelineEntry]:
    codes = {e.data.get("to") for e in events if e.action == ConsultationEvent.Action.FORWARD}
    codes.discard(None)
    places = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)} if codes else {}
    return [TimelineEntry(e, places.get(e.data.get("to", ""))) for e in events]


STEPS = ("forward", "answer", "close")


def perform_step(user: Any, consultation_id: int, step: str, post: Any) -> Consultation:
    """Parse one step's form and call its action."""
    if step == "forward":
        # the target is looked up by _jurisdiction, with its own codes; the note is stored
        validate_fields(ForwardIn, {"note": post.get("note", "")})
        target = _jurisdiction(post.get("to_jurisdiction", ""), "to_jurisdiction")
        return actions.forward_consultation(user, consultation_id, target, post.get("note", ""))
    if step == "answer":
        checked = validate_input(AnswerIn, {"answer": post.get("answer", "")})
        return actions.answer_consultation(user, consultation_id, checked.answer)
    if step == "close":
        validate_input(CloseIn, {"note": post.get("note", "")})
        return actions.close_consultation(user, consultation_id, post.get("note", ""))
    raise Invalid(_("Unknown step."), code="unknown_step", details={"step": step})
