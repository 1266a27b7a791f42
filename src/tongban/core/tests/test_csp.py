"""ADR 0156: the project's CSP middleware sets exactly the headers django-csp's own would,
with the settings' policy built once; whatever a response asks for besides (a nonce, a
decorator, an excluded path, a DEBUG error page) is django-csp's own doing."""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from tongban.core.csp import CSPMiddleware

POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}}
# django-csp joins the directives in a set's order, which changes from process to process
EXPECTED = {"default-src 'self'", "img-src 'self' data:"}


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def _both(view: Any, path: str = "/api/v1/cases/x") -> tuple[Any, Any]:
    """The response of `view` through ours and through django-csp's own middleware."""
    answers = []
    for middleware in (CSPMiddleware(view), LibraryCSPMiddleware(view)):
        request = RequestFactory().get(path)
        answers.append(middleware(request))
    return answers[0], answers[1]


def _json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def _headers(response: HttpResponse) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


def test_a_plain_answer_gets_the_settings_policy():
    ours, library = _both(_json)
    assert ours[HEADER] == library[HEADER]
    assert "default-src 'self'" in ours[HEADER] and "frame-ancestors 'none'" in ours[HEADER]
    assert _headers(ours) == _headers(library)


def test_a_changed_setting_changes_the_header_at_once():
    before, _ = _both(_json)
    with override_settings(
        CONTENT_SECURITY_POLICY=POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY=POLICY
    ):
        ours, library = _both(_json)
        assert ours[HEADER] == library[HEADER] and _directives(ours[HEADER]) == EXPECTED
        assert ours[HEADER_REPORT_ONLY] == library[HEADER_REPORT_ONLY] == ours[HEADER]
    after, _ = _both(_json)
    assert after[HEADER] == before[HEADER] and HEADER_REPORT_ONLY not in after


def test_excluded_paths_are_left_to_django_csp():
    policy = {**POLICY, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        ours, library = _both(_json)
        assert HEADER not in ours and HEADER not in library
        ours, library = _both(_json, path="/my/")
        assert ours[HEADER] == library[HEADER] and _directives(ours[HEADER]) == EXPECTED


def test_a_decorated_view_and_a_nonce_are_django_csps():
    updated, library = _both(csp_update({"img-src": "https://tiles.example"})(_json))
    assert "https://tiles.example" in updated[HEADER]
    assert _headers(updated) == _headers(library)
    exempt, library = _both(csp_exempt()(_json))
    assert HEADER not in exempt and _headers(exempt) == _headers(library)

    def with_nonce(request: Any) -> HttpResponse:
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    with override_settings(
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    ):
        request: Any = RequestFactory().get("/")
        response: Any = CSPMiddleware(with_nonce)(request)
        assert f"'nonce-{request._csp_nonce}'" in response[HEADER]


def test_a_nonce_asked_for_after_the_header_is_an_error():
    request: Any = RequestFactory().get("/")
    CSPMiddleware(_json)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_debug_error_pages_get_no_header_as_with_django_csp():
    def missing(request: Any) -> HttpResponse:
        return HttpResponse(status=404)

    with override_settings(DEBUG=True):
        ours, library = _both(missing)
        assert HEADER not in ours and HEADER not in library
    ours, _ = _both(missing)
    assert HEADER in ours
