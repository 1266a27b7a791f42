"""Input checks shared by the catalogue and agreement actions (and by their admin forms,
so that a mistake shows next to the field instead of after a round trip). Every problem
is collected and reported at once (一次性告知), as one `Invalid` error whose details list
each problem with its field and a stable code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import Channel, DeliveryMethod, Mode
from tongban.core.errors import Invalid, StrOrPromise

CODE_LISTS: dict[str, tuple[type[models.TextChoices], str, str]] = {
    "modes": (Mode, "通办模式", "modes"),
    "channels": (Channel, "受理渠道", "channels"),
    "delivery_methods": (DeliveryMethod, "送达方式", "delivery methods"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    field: str
    code: str
    zh: str
    en: str


class ProblemList(Promise):
    """The problems of one `invalid` answer as text in the active language (a message
    param is rendered under the language the message is shown in)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)

    def __str__(self) -> str:
        english = (translation.get_language() or "").startswith("en")
        return (
            "; ".join(p.en for p in self.problems)
            if english
            else ";".join(p.zh for p in self.problems)
        )


def invalid(problems: Sequence[Problem], summary: StrOrPromise, code: str) -> Invalid:
    return Invalid(
        _("%(summary)s: %(problems)s."),
        code=code,
        details={"problems": [asdict(p) for p in problems]},
        params={"summary": summary, "problems": ProblemList(problems)},
    )


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
        with translation.override("zh-hans"):
            zh = ";".join(str(m) for m in exc.messages)
        with translation.override("en"):
            en = "; ".join(str(m) for m in exc.messages)
        problems.append(
            Problem(prefix + name, "invalid_value", f"{field.verbose_name}:{zh}", f"{name}: {en}")
        )
        return None


def clean_code_list(
    kind: str, value: Any, problems: list[Problem], field: str | None = None
) -> list[str]:
    """A list of codes from one closed set (`kind` is modes, channels or
    delivery_methods), returned de-duplicated in the set's own order."""
    choices, zh_label, en_label = CODE_LISTS[kind]
    field = field or kind
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems.append(
            Problem(field, "not_a_list", f"{zh_label}应为代码列表", f"{en_label} must be a list")
        )
        return []
    unknown = sorted({v for v in value if v not in choices.values})
    if unknown:
        allowed = "/".join(choices.values)
        problems.append(
            Problem(
                field,
                f"unknown_{kind}",
                f"{zh_label}只能取 {allowed},不能取 {'、'.join(unknown)}",
                f"{en_label} must be among {allowed}, not {', '.join(unknown)}",
            )
        )
    return [code for code in choices.values if code in value]
