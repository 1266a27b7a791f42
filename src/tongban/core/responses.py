"""Answers given outside a Ninja endpoint (sign-in lockout, Django's 404/500 handlers) in
the API's own error format, so that an API client always gets `{"code", "message",
"details"}` JSON, whatever layer answered."""

from __future__ import annotations

import logging
import sys
import uuid

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError, InternalError, TooManyRequests

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_language(request: HttpRequest) -> str:
    """The API picks its language from Accept-Language only (no session, no cookie)."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh-hans"


def api_error_response(request: HttpRequest, error: DomainError) -> JsonResponse:
    body = error.as_dict(api_language(request))
    response = JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(error, TooManyRequests) and error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


# -- server errors: the API's handler (tongban.api) and the 500 page
# (tongban.web.views.errors) log and answer them the same way

logger = logging.getLogger("tongban.errors")


def new_reference() -> str:
    return uuid.uuid4().hex


def log_server_error(
    request: HttpRequest, reference: str, exc: BaseException | None = None
) -> None:
    """Log the exception (`exc`, or the one being handled) with its traceback under
    `reference`. The path is logged without its query string, which may carry personal
    data; the log filter masks ID and phone numbers in the rest."""
    exc_info: BaseException | bool = exc if exc is not None else sys.exc_info()[0] is not None
    logger.error(
        "internal error %s on %s %s", reference, request.method, request.path, exc_info=exc_info
    )


def internal_error(reference: str) -> InternalError:
    return InternalError(
        _(
            "Internal server error. Please try again later; if you need "
            "help, quote reference %(reference)s."
        ),
        details={"reference": reference},
        params={"reference": reference},
    )
