"""Domain errors. Each class carries its HTTP status and a stable machine-readable code;
the API turns them into JSON, the web views into messages. Messages exist in Chinese and
English and are chosen by the request's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        if code is not None:
            self.code = code
        self.details = details or {}

    def message(self, language: str | None = None) -> str:
        language = language or translation.get_language() or "zh-hans"
        return self.en if language.startswith("en") else self.zh

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message(language)}
        if self.details:
            body["details"] = self.details
        return body


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


class CalendarNotAvailable(Conflict):
    code = "calendar_not_available"


def not_found(kind: str = "object") -> NotFound:
    return NotFound("未找到该对象,或您无权查看。", f"No such {kind}, or it is outside your scope.")
