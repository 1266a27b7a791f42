"""The answer to a locked-out sign-in (django-axes calls `lockout_response`, settings
AXES_LOCKOUT_CALLABLE): 429 with Retry-After, JSON `too_many_attempts` on the API, a page
in the user's language on the web. The lockout rule itself (limit, cool-off, per account
and per address) is django-axes' configuration in settings.py; ADR 0091."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongban.core.errors import too_many_attempts
from tongban.core.responses import api_error_response, is_api_request


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    error = too_many_attempts(retry_after_seconds(request))
    if is_api_request(request):
        return api_error_response(request, error)
    response = render(
        request, "web/locked_out.html", {"message": error.message()}, status=error.status
    )
    response["Retry-After"] = str(error.retry_after)
    return response
