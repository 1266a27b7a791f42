"""Domain errors. Each class carries its HTTP status and a stable machine-readable code;
the API turns them into JSON, the web views into messages.

The message is a lazy gettext string whose msgid is English, with named `params`
(ADR 0107): `raise Conflict(_("Case %(number)s is closed."), code="case_closed",
params={"number": case.number})`. The Chinese text lives in the zh_Hans catalogue;
`message(language)` renders it in the request's language when it is shown, not when it
is raised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# what a message or a label may be: a plain string or a lazy (gettext_lazy) one
StrOrPromise = str | Promise
T = TypeVar("T")

# the languages a message can be shown in; anything else gets the UI's first language
_ENGLISH = "en"
_CHINESE = "zh-hans"


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        text: str | Promise,
        /,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.params: dict[str, Any] = dict(params or {})
        if code is not None:
            self.code = code
        self.details = details or {}
        super().__init__(text)

    def message(self, language: str | None = None) -> str:
        language = language or translation.get_language() or _CHINESE
        english = language.startswith("en")
        with translation.override(_ENGLISH if english else _CHINESE):
            rendered = str(self.text)
            # params are rendered in the same language (a param may be a lazy label)
            return (
                rendered % {k: _render(v) for k, v in self.params.items()}
                if self.params
                else rendered
            )

    @property
    def zh(self) -> str:
        return self.message(_CHINESE)

    @property
    def en(self) -> str:
        return self.message(_ENGLISH)

    def __str__(self) -> str:
        return self.message(_ENGLISH)

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message(language)}
        if self.details:
            body["details"] = self.details
        return body


def _render(value: Any) -> Any:
    return str(value) if isinstance(value, Promise) else value


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class NotFound(DomainError):
    """Also answers for objects outside the caller's scope: existence is not disclosed."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the object but their role may not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; nothing was changed."""

    status = 422
    code = "invalid"


class InvalidFields(Invalid):
    """Every problem of one input at once (ADR 0123): a form or a body is answered with
    all its wrong fields, not the first one. `problems` maps a field of the input
    contract (e.g. `delivery_address`, `applicant.id_number`, `materials.12`) to the
    422 error that field raised. The answer keeps the first problem's code, message and
    details (a client that knew the single error still reads it) and adds
    `details.fields`: each field with its code and message, in the reader's language."""

    def __init__(self, problems: Mapping[str, DomainError]) -> None:
        self.problems: dict[str, DomainError] = dict(problems)
        first = next(iter(self.problems.values()))
        super().__init__(
            first.text,
            code=first.code,
            details={**first.details, "fields": {f: e.code for f, e in self.problems.items()}},
            params=first.params,
        )

    def message(self, language: str | None = None) -> str:
        first = super().message(language)
        if len(self.problems) == 1:
            return first
        language = language or translation.get_language() or _CHINESE
        with translation.override(_ENGLISH if language.startswith("en") else _CHINESE):
            return str(_("%(count)s entries need correcting. %(first)s")) % {
                "count": len(self.problems),
                "first": first,
            }

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        body = super().as_dict(language)
        body["details"] = {
            **body["details"],
            "fields": {
                field: {"code": error.code, "message": error.message(language)}
                for field, error in self.problems.items()
            },
        }
        return body


class FieldErrors:
    """Collects the problems of one input, field by field, and raises them together as
    InvalidFields. A check that raises a 422 DomainError is recorded against its field
    and the check goes on; anything else (a 404, a 403) still stops at once."""

    def __init__(self) -> None:
        self.problems: dict[str, DomainError] = {}

    def add(self, field: str, error: DomainError) -> None:
        if isinstance(error, InvalidFields):
            for inner, problem in error.problems.items():
                self.problems.setdefault(inner, problem)
        else:
            # a check of a whole group ("applicant") gives way to the field its error
            # names (details.field, e.g. "applicant_id"); a precise field ("materials.12")
            # stays
            named = error.details.get("field")
            if "." not in field and isinstance(named, str) and named:
                field = named
            self.problems.setdefault(field, error)

    def check(self, field: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except Invalid as error:
            self.add(field, error)
            return None

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidFields(self.problems)


class TooManyRequests(DomainError):
    """A limit counted in the shared cache or by the sign-in lockout was reached; the
    answer says when to come back (`retry_after`, seconds; the API also sends Retry-After)."""

    status = 429
    code = "too_many_requests"

    @property
    def retry_after(self) -> int:
        return int(self.details.get("retry_after", 0))


def too_many_attempts(retry_after: int) -> TooManyRequests:
    """Sign-in locked out for this account or this address (django-axes, ADR 0091)."""
    minutes = max(1, (retry_after + 59) // 60)
    return TooManyRequests(
        _(
            "Too many failed sign-ins: locked for now. Try again in "
            "%(minutes)s minutes or ask an administrator to unlock."
        ),
        code="too_many_attempts",
        details={"retry_after": retry_after},
        params={"minutes": minutes},
    )


class InternalError(DomainError):
    """A bug: the caller sees only the reference of the log line with the traceback."""

    status = 500
    code = "internal_error"


class MalformedRequest(DomainError):
    """The request itself cannot be read (not JSON, broken multipart, NUL in the URL)."""

    status = 400
    code = "bad_request"


class RequestTooLarge(DomainError):
    status = 413
    code = "request_too_large"


class CalendarNotAvailable(Conflict):
    code = "calendar_not_available"


def not_found(kind: str = "object") -> NotFound:
    # The Chinese text does not name the kind (an English word): no format check for it.
    # xgettext:no-python-format
    message = _("No such %(kind)s, or it is outside your scope.")
    return NotFound(message, params={"kind": kind})
