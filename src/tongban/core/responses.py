"""Answers given outside a Ninja endpoint (sign-in lockout, Django's 404/500 handlers) in
the API's own error format, so that an API client always gets `{"code", "message",
"details"}` JSON, whatever layer answered."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from tongban.core.errors import DomainError, TooManyRequests

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
