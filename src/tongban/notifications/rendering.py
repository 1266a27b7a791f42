"""Texts of notifications: Django templates, one file per channel, template name and
language, under templates/notifications/{email,sms}/{name}.{language}.txt. A deployment
may override any of them from the project's template directory.

An e-mail template renders its subject on the first line, then a blank line, then the
body. A name without its own template falls back to `generic`; a language without a
template falls back to Simplified Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import select_template
from django.utils import translation

from tongban.core.links import public_url
from tongban.notifications.redaction import REDACTED, SECRET_KEYS

CHANNELS = ("email", "sms")
DEFAULT_LANGUAGE = "zh-hans"
LANGUAGES = ("zh-hans", "en")
GENERIC = "generic"
# the template names the case workflow uses (= case actions that notify the applicant)
CASE_TEMPLATES = (
    "submitted",
    "checked",
    "supplement_requested",
    "transferred",
    "accepted",
    "accepted_conditionally",
    "refused",
    "paused",
    "resumed",
    "extended",
    "approved",
    "denied",
    "result_issued",
    "shipped",
    "ready_for_pickup",
    "delivered",
    "completed",
    "withdrawn",
    "terminated",
    "originals_returned",
)
# notifications to staff (queue_staff_notification), not to applicants
STAFF_TEMPLATES = ("overdue_warning",)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# the portal page a text may point at (web's `web:my-licences`; a web test keeps the two
# equal), computed at render time so messages queued earlier get it too
MY_LICENCES_PATH = "/my/licences/"


def default_context() -> dict[str, Any]:
    return {"my_licences_url": public_url(MY_LICENCES_PATH)}


@dataclass(frozen=True)
class Rendered:
    """One channel's text. `redacted_text` has every secret replaced by ******: it is the
    only form that may be written to a log."""

    subject: str
    text: str
    redacted_text: str
    template_used: str


def resolve_language(language: str | None) -> str:
    language = (language or "").lower()
    if language in LANGUAGES:
        return language
    if language.startswith("en"):
        return "en"
    default = (settings.LANGUAGE_CODE or DEFAULT_LANGUAGE).lower()
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def template_candidates(channel: str, name: str, language: str) -> list[str]:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    names = [name, GENERIC] if _NAME.match(name) and name != GENERIC else [GENERIC]
    languages = [language] if language == DEFAULT_LANGUAGE else [language, DEFAULT_LANGUAGE]
    return [f"notifications/{channel}/{n}.{lang}.txt" for n in names for lang in languages]


def render(channel: str, name: str, language: str | None, context: dict[str, Any]) -> Rendered:
    language = resolve_language(language)
    template = select_template(template_candidates(channel, name, language))
    values = {**default_context(), **context, "template_name": name}
    redacted_values = {
        **values,
        **{key: REDACTED for key in SECRET_KEYS if values.get(key)},
    }
    with translation.override(language):
        text = _normalise(template.render(values))
        redacted = _normalise(template.render(redacted_values))
    subject = ""
    if channel == "email":
        subject, text = _split_subject(text)
        _, redacted = _split_subject(redacted)
    return Rendered(
        subject=subject,
        text=text,
        redacted_text=redacted,
        template_used=template.template.name,
    )


def _normalise(text: str) -> str:
    # templates are written for readability; collapse the blank lines tags leave behind
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip()


def _split_subject(text: str) -> tuple[str, str]:
    subject, _, body = text.partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"
