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
        f"登录失败次数过多,已暂时锁定。请 {minutes} 分钟后再试,或联系管理员解锁。",
        f"Too many failed sign-ins: locked for now. Try again in {minutes} minutes "
        "or ask an administrator to unlock.",
        code="too_many_attempts",
        details={"retry_after": retry_after},
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
    return NotFound("未找到该对象,或您无权查看。", f"No such {kind}, or it is outside your scope.")
