"""Input checks shared by the catalogue and agreement actions (and by their admin forms,
so that a mistake shows next to the field instead of after a round trip). Every problem
is collected and reported at once (一次性告知), as one `Invalid` error whose details list
each problem with its field and a stable code."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.catalog.models import Channel, DeliveryMethod, Mode
from tongban.core.errors import Invalid, StrOrPromise

# the lists of codes from one closed set, with what a message calls them
CODE_LISTS: dict[str, tuple[type[models.TextChoices], StrOrPromise]] = {
    "modes": (Mode, pgettext_lazy("catalogue code list", "modes")),
    "channels": (Channel, pgettext_lazy("catalogue code list", "channels")),
    "delivery_methods": (DeliveryMethod, pgettext_lazy("catalogue code list", "delivery methods")),
}
# how the values of a list are separated in running text (、 in Chinese)
VALUE_SEPARATOR = pgettext_lazy("list separator", ", ")
# how the problems of one answer are separated (; in Chinese, without a space)
PROBLEM_SEPARATOR = pgettext_lazy("list separator", "; ")

_CHINESE = "zh-hans"
_ENGLISH = "en"


class InLanguage(Promise):
    """A message param rendered in the language the message is shown in (a list joined
    with that language's separator, a problem's own text)."""

    def __init__(self, render: Callable[[], str]) -> None:
        self._text: Callable[[], str] = render

    def __str__(self) -> str:
        return self._text()


def joined(values: Iterable[Any], separator: StrOrPromise = VALUE_SEPARATOR) -> InLanguage:
    """The values (lazy ones rendered too) joined with the language's separator."""
    items = list(values)
    return InLanguage(lambda: str(separator).join(str(v) for v in items))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: a lazy message (English msgid, named params; the
    Chinese text is in the zh_Hans catalogue, ADR 0107) rendered in both languages for the
    answer's details (`details.problems[].zh/.en`)."""

    field: str
    code: str
    message: StrOrPromise
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def text(self, language: str | None = None) -> str:
        """The message in `language` (default: the active one)."""
        with translation.override(language or translation.get_language() or _CHINESE):
            rendered = str(self.message)
            if not self.params:
                return rendered
            return rendered % {
                k: str(v) if isinstance(v, Promise) else v for k, v in self.params.items()
            }

    @property
    def zh(self) -> str:
        return self.text(_CHINESE)

    @property
    def en(self) -> str:
        return self.text(_ENGLISH)

    def lazy(self) -> InLanguage:
        """The message as a param of another message, in that message's language."""
        return InLanguage(self.text)

    def as_detail(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "zh": self.zh, "en": self.en}


def invalid(problems: Sequence[Problem], summary: StrOrPromise, code: str) -> Invalid:
    return Invalid(
        _("%(summary)s: %(problems)s."),
        code=code,
        details={"problems": [p.as_detail() for p in problems]},
        params={
            "summary": summary,
            "problems": joined((p.lazy() for p in problems), PROBLEM_SEPARATOR),
        },
    )


def _messages(error: ValidationError) -> str:
    return str(PROBLEM_SEPARATOR).join(error.messages)


def clean_model_field(
    model: type[models.Model],
    name: str,
    value: Any,
    problems: list[Problem],
    prefix: str = "",
) -> Any:
    """Run the model field's own validation (type, choices, max length, null/blank)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    try:
        return field.clean(value, None)
    except ValidationError as exc:
        problems.append(
            Problem(
                prefix + name,
                "invalid_value",
                # the Chinese text names the field by its label, the English by its name
                # xgettext:no-python-format
                _("%(field)s: %(reason)s"),
                {
                    "field": name,
                    "label": field.verbose_name,
                    # a validation message is translated when it is read (`messages`)
                    "reason": InLanguage(functools.partial(_messages, exc)),
                },
            )
        )
        return None


def clean_code_list(
    kind: str, value: Any, problems: list[Problem], field: str | None = None
) -> list[str]:
    """A list of codes from one closed set (`kind` is modes, channels or
    delivery_methods), returned de-duplicated in the set's own order."""
    choices, label = CODE_LISTS[kind]
    field = field or kind
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems.append(
            Problem(field, "not_a_list", _("%(label)s must be a list"), {"label": label})
        )
        return []
    unknown = sorted({v for v in value if v not in choices.values})
    if unknown:
        problems.append(
            Problem(
                field,
                f"unknown_{kind}",
                _("%(label)s must be among %(allowed)s, not %(unknown)s"),
                {"label": label, "allowed": "/".join(choices.values), "unknown": joined(unknown)},
            )
        )
    return [code for code in choices.values if code in value]
