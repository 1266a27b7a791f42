"""What the consultation pages (tongban.web.views.consultations) show and how their forms
are parsed. Reads, and who may take which step, go through consultations.selectors (and
the catalogue's item search); the actions enforce the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.accounts.models import User
from tongban.catalog.models import ServiceItem
from tongban.catalog.selectors import readable_items, search_items
from tongban.consultations import actions
from tongban.consultations.api import AnswerIn, CloseIn, ConsultationIn, ForwardIn
from tongban.consultations.models import Consultation
from tongban.core.errors import Invalid
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


@dataclass
class ListFilter:
    status: str = ""
    channel: str = ""
    jurisdiction: str = ""
    awaiting: bool = False


def list_filter(params: Any) -> ListFilter:
    """The list page's query; the selector refuses unknown values, as for the API."""
    return ListFilter(
        status=params.get("status", ""),
        channel=params.get("channel", ""),
        jurisdiction=params.get("jurisdiction", "").strip(),
        awaiting=params.get("awaiting") == "1",
    )


# -- recording ------------------------------------------------------------------------------


def item_choices(user: User | AnonymousUser, q: str, selected: str = "") -> list[ServiceItem]:
    """Items matching `q` (name, code or pinyin initials, like the clerk workbench), and
    the item chosen before if the search does not show it."""
    found = list(search_items(user, q.strip() or None)[:ITEM_CHOICES])
    if selected and all(item.code != selected for item in found):
        chosen = readable_items(user).filter(code=selected).first()
        if chosen is not None:
            found.insert(0, chosen)
    return found


def record_input(post: Any, places: list[Jurisdiction]) -> dict[str, Any]:
    """Parse the record form into the keyword arguments of record_consultation."""
    fields = {
        "channel": post.get("channel", ""),
        "topic": post.get("topic", ""),
        "question": post.get("question", ""),
        "asker_name": post.get("asker_name", ""),
        "asker_phone": post.get("asker_phone", ""),
        "answer": post.get("answer", ""),
    }
    # the API's contract for the same input: lengths, no NUL, non-empty topic and question
    # (the action resolves the jurisdiction and the item codes, as for the API)
    validate_fields(ConsultationIn, fields)
    return {
        "jurisdiction": post.get("jurisdiction") or (places[0].code if len(places) == 1 else ""),
        "item": post.get("item") or "",
        **fields,
    }


# -- one consultation -------------------------------------------------------------------------


STEPS = ("forward", "answer", "close")


def perform_step(
    user: User | AnonymousUser, consultation_id: int, step: str, post: Any
) -> Consultation:
    """Parse one step's form and call its action."""
    if step == "forward":
        # the action resolves the target's code, as for the API; the note is stored
        validate_fields(ForwardIn, {"note": post.get("note", "")})
        return actions.forward_consultation(
            user, consultation_id, post.get("to_jurisdiction", ""), post.get("note", "")
        )
    if step == "answer":
        checked = validate_input(AnswerIn, {"answer": post.get("answer", "")})
        return actions.answer_consultation(user, consultation_id, checked.answer)
    if step == "close":
        validate_input(CloseIn, {"note": post.get("note", "")})
        return actions.close_consultation(user, consultation_id, post.get("note", ""))
    raise Invalid(_("Unknown step."), code="unknown_step", details={"step": step})
