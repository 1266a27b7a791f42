"""Input contracts: the one place that says what a string, a month, an id, a limit or an
offset may look like when it comes from outside (API bodies and query parameters, web
forms). Every Ninja schema and query parameter uses these types, so a request that breaks
them gets a 422 `invalid_input` with the field and the reason, and never reaches the
database (ADR 0090, docs/security.md "Input validation").

Why each rule exists:
- NUL (U+0000): PostgreSQL text cannot hold it; psycopg raises before the query runs.
- Unpaired surrogates (U+D800–U+DFFF alone; JSON can spell them as "\\ud800"): they cannot
  be encoded as UTF-8, so the database driver, the log and the PDF renderer all fail.
- Maximum lengths come from the model field the value is stored in (`model_max_length`),
  so the contract and the column cannot drift; PostgreSQL refuses an over-long varchar.
- Integers are bounded: ids fit a bigint, offsets and limits stay small enough for SQLite
  and PostgreSQL and for a bounded amount of work.
- A point in time written without an offset (`LocalDateTime`) is local time: what a person
  enters in a form's date-and-time field, or a client that leaves the zone out, means the
  time on the wall of the service centre.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from annotated_types import GroupedMetadata
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from tongban.core.errors import Invalid

# TextField columns have no length; these are the documented limits for free text
MAX_NOTE = 2000  # reasons, notes, comments, answers
MAX_QUERY_TEXT = 128  # search boxes and filter values that are not a stored column
MAX_LIMIT = 200
# deep enough for every list we have (the 2022 history has ~30,000 consultations per
# jurisdiction), small enough that OFFSET stays a plain integer on every database
MAX_OFFSET = 1_000_000
MAX_ID = 2**63 - 1  # BigAutoField
MAX_INT32 = 2**31 - 1  # (Positive)IntegerField
MAX_LIST_ITEMS = 200

MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
# documents "no NUL" in the OpenAPI file; the check itself is `_check_text`
NO_NUL_PATTERN = "^[^\\u0000]*$"

_MONTH_RE = re.compile(MONTH_PATTERN)


def _has_unpaired_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(value: str) -> str | None:
    """The stable reason a string may not be stored, or None. Shared by the API types,
    the JSON body scan and the web forms."""
    if "\x00" in value:
        return "nul_character"
    if _has_unpaired_surrogate(value):
        return "unpaired_surrogate"
    return None


_TEXT_MESSAGES = {
    "nul_character": "must not contain the NUL character (U+0000)",
    "unpaired_surrogate": "must not contain an unpaired surrogate (U+D800–U+DFFF)",
    "blank": "must not be empty or only spaces",
}


def _check_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise PydanticCustomError(problem, _TEXT_MESSAGES[problem])
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", _TEXT_MESSAGES["blank"])
    return value


def model_max_length(model: type[models.Model], field_name: str) -> int:
    """The column's max_length: the contract's limit follows the schema of the table."""
    field = model._meta.get_field(field_name)
    # an encrypted column is unbounded text; its clear-text limit is plain_max_length
    max_length = getattr(field, "plain_max_length", None) or getattr(field, "max_length", None)
    if not max_length:
        raise TypeError(f"{model.__name__}.{field_name} has no max_length")
    return int(max_length)


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """Pydantic metadata for a string of at most `max_length` characters without NUL or
    unpaired surrogates; `required` also refuses the empty string and spaces only.
    Use as `Annotated[str, Text(64)]` or `Annotated[str, Column(Model, "field")]`."""

    max_length: int
    required: bool = False
    description: str | None = None

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(min_length=1 if self.required else 0, max_length=self.max_length)
        yield AfterValidator(_check_text)
        if self.required:
            yield AfterValidator(_check_not_blank)
        yield Field(description=self.description, json_schema_extra={"pattern": NO_NUL_PATTERN})


def Column(
    model: type[models.Model],
    field_name: str,
    *,
    required: bool = False,
    description: str | None = None,
) -> Text:
    """`Text` with the length of the model field the value ends up in."""
    return Text(model_max_length(model, field_name), required=required, description=description)


Month = Annotated[
    str,
    StringConstraints(pattern=MONTH_PATTERN),
    Field(description="YYYY-MM", examples=["2024-05"]),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_INT32)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="1–200")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="0–1000000")]
Note = Annotated[str, Text(MAX_NOTE)]
RequiredNote = Annotated[str, Text(MAX_NOTE, required=True)]
QueryText = Annotated[str, Text(MAX_QUERY_TEXT)]


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# ISO 8601 (`2024-05-06T09:30`, seconds and offset optional); no offset: local time
LocalDateTime = Annotated[dt.datetime, AfterValidator(_aware)]


def parse_month(value: str | None) -> dt.date | None:
    """`YYYY-MM` to the first day of that month; empty means no month. The API types
    already enforce the pattern; web pages and commands call this directly."""
    if not value:
        return None
    if not _MONTH_RE.fullmatch(value):
        raise Invalid(
            _("A month is written YYYY-MM."), code="invalid_month", details={"month": value[:32]}
        )
    year, month = value.split("-")
    return dt.date(int(year), int(month), 1)


def choice_filter(value: str | None, allowed: Iterable[str], field: str) -> str | None:
    """A list filter naming one of `allowed` values; empty means no filter. The selectors
    call it, so that the API and the pages refuse the same values the same way (422
    `invalid_filter`) instead of one of them answering an empty list."""
    if not value:
        return None
    choices = sorted(allowed)
    if value not in choices:
        raise Invalid(
            _("Unknown value for the filter '%(field)s'."),
            code="invalid_filter",
            details={"field": field, "allowed": choices},
            params={"field": field},
        )
    return value


def find_text_problem(data: Any, path: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str] | None:
    """The first string (key or value) anywhere in parsed JSON that breaks `text_problem`,
    as (location, reason). Free-form objects (licence data, indicators) have no schema of
    their own, so the JSON parser scans the whole body once."""
    if isinstance(data, str):
        problem = text_problem(data)
        return (path, problem) if problem else None
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and (problem := text_problem(key)):
                return (path, problem)  # the key itself is not echoed
            # keys are echoed in the error's location: cut, in case one is huge
            found = find_text_problem(value, (*path, str(key)[:64]))
            if found:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = find_text_problem(value, (*path, index))
            if found:
                return found
    return None


def check_json_text(data: Any) -> Any:
    """Refuses parsed JSON holding NUL or an unpaired surrogate anywhere (422
    `invalid_input`, in the shape of a field error); returns it unchanged otherwise."""
    found = find_text_problem(data)
    if found is not None:
        path, problem = found
        raise Invalid(
            _("The request contains a character that is not allowed."),
            code="invalid_input",
            details={
                "errors": [
                    {"loc": ["body", *path], "type": problem, "msg": _TEXT_MESSAGES[problem]}
                ]
            },
        )
    return data


SchemaT = TypeVar("SchemaT", bound=BaseModel)


def validate_input(schema: type[SchemaT], data: dict[str, Any]) -> SchemaT:
    """Checks a web form's fields against the API's schema for the same input, so that a
    page and an endpoint refuse the same values with the same code (422 `invalid_input`,
    details.errors as in the API)."""
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        raise _invalid(exc.errors(include_url=False, include_input=False)) from None


def validate_fields(schema: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`validate_input` for some fields of a schema only (a page that posts part of an
    input, e.g. the delivery address of a submission): the fields' values as the API
    would read them (a time parsed, an id an integer)."""
    errors: list[Any] = []
    checked: dict[str, Any] = {}
    for name, value in data.items():
        try:
            checked[name] = _adapter(schema, name).validate_python(value)
        except PydanticValidationError as exc:
            for e in exc.errors(include_url=False, include_input=False):
                errors.append({**e, "loc": (name, *e["loc"])})
    if errors:
        raise _invalid(errors)
    return checked


@functools.cache
def _adapter(schema: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = schema.model_fields[name]
    if not info.metadata:
        return TypeAdapter(cast(Any, info.annotation))
    return TypeAdapter(cast(Any, Annotated[(info.annotation, *info.metadata)]))


def _invalid(raw: list[Any]) -> Invalid:
    errors = [{"loc": list(e["loc"]), "type": e["type"], "msg": e["msg"]} for e in raw]
    first = raw[0]
    where = ".".join(str(part) for part in first["loc"])
    return _field_error(where, first["type"], first.get("ctx") or {}, first["msg"], errors)


def _field_error(
    where: str, kind: str, ctx: dict[str, Any], msg: str, errors: list[dict[str, Any]]
) -> Invalid:
    details = {"errors": errors}
    if kind in ("string_too_short", "blank", "missing"):
        return Invalid(
            _("%(where)s must not be empty."),
            code="invalid_input",
            details=details,
            params={"where": where},
        )
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return Invalid(
            _("%(where)s is too long (at most %(limit)s)."),
            code="invalid_input",
            details=details,
            params={"where": where, "limit": limit},
        )
    if kind == "nul_character":
        return Invalid(
            _("%(where)s must not contain the NUL character (U+0000)."),
            code="invalid_input",
            details=details,
            params={"where": where},
        )
    if kind == "unpaired_surrogate":
        return Invalid(
            _("%(where)s must not contain an unpaired surrogate (U+D800–U+DFFF)."),
            code="invalid_input",
            details=details,
            params={"where": where},
        )
    return Invalid(
        _("%(where)s: %(msg)s."),
        code="invalid_input",
        details=details,
        params={"where": where, "msg": msg},
    )
