"""django-csp's middleware with the settings' policy built once per process (ADR 0156).

django-csp builds the `Content-Security-Policy` header anew for every response, and the
report-only one too, from the settings, through `dataclasses.asdict`: 35-45 µs a
request here, the dearest of the nine middlewares. Tongban's policy is the settings'
alone (no nonce, no per-view decorator), so the header is the same string for every
response. This middleware sets that string, built once, whenever the response asks for
nothing else, and otherwise leaves everything to django-csp's own `process_response`:
a nonce used by the page, a `csp_update`/`csp_replace`/`csp_exempt` decorator on the
view, an `EXCLUDE_URL_PREFIXES` setting, or a DEBUG error page. The strings are built by
django-csp's own `build_policy` and forgotten when a test changes the settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
# what a view's decorators put on its response (csp.decorators): then django-csp decides
_PER_RESPONSE = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_config_ro",
    "_csp_update",
    "_csp_update_ro",
    "_csp_replace",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = (404, 500)  # django-csp leaves Django's debug pages alone


@cache
def _policies() -> tuple[str, str] | None:
    """The two headers of the settings' policy, or None when a setting excludes paths."""
    for name in _SETTINGS:
        if (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES"):
            return None
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        _policies.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        policies = _policies()
        if (
            policies is None
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or (settings.DEBUG and response.status_code in _DEBUG_EXEMPT)
        ):
            return super().process_response(request, response)
        policy, report_only = policies
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # as django-csp does: a nonce asked for after the header is written is an error
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
