"""RequestGuardMiddleware: refuses, before any view runs, the requests no view can read
safely (ADR 0090):

- a NUL character in the path or the query string → 400 `invalid_query` (PostgreSQL
  cannot compare text with NUL; every web filter and API parameter would otherwise fail);
- a non-multipart body longer than DATA_UPLOAD_MAX_MEMORY_SIZE → 413 `request_too_large`
  (Django would raise RequestDataTooBig at the first `request.body`);
- multipart/form-data without a valid boundary → 400 `malformed_multipart`;
- a web form field holding NUL (or an unpaired surrogate) → 422 `invalid_input`.

API paths get the JSON error shape; web pages get the project's 400 page (handler400),
or a short text answer for 413/422."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.urls import get_resolver, get_urlconf
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError, Invalid, MalformedRequest, RequestTooLarge
from tongban.core.inputs import text_problem
from tongban.core.responses import api_error_response


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _problem(request: HttpRequest) -> DomainError | None:
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path or "%00" in query or "\x00" in query:
        return MalformedRequest(
            _("The URL contains a character that is not allowed (NUL)."), code="invalid_query"
        )
    content_type, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if content_type == "multipart/form-data":
        boundary = params.get("boundary", "")
        # Django's own rule, checked here so that no view meets MultiPartParserError
        if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
            return MalformedRequest(
                _("The multipart body has no valid boundary."), code="malformed_multipart"
            )
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and _content_length(request) > limit:
        return RequestTooLarge(
            _("The request body is too large (at most %(limit)s bytes)."),
            details={"max_bytes": limit},
            params={"limit": limit},
        )
    return None


def _form_problem(request: HttpRequest) -> DomainError | None:
    """Web forms post text fields that views hand to actions: one check here covers every
    page (the API checks its JSON bodies field by field)."""
    if request.method != "POST" or request.path.startswith("/api/"):
        return None
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    try:
        fields = request.POST
    except (MultiPartParserError, UnreadablePostError, SuspiciousOperation):
        return MalformedRequest(_("The form cannot be read."), code="malformed_form")
    for key, values in fields.lists():
        for value in [key, *values]:
            problem = text_problem(value)
            if problem is not None:
                return Invalid(
                    _("The form contains a character that is not allowed."),
                    code="invalid_input",
                    details={"errors": [{"loc": ["form"], "type": problem}]},
                )
    return None


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _problem(request) or _form_problem(request)
        if problem is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return api_error_response(request, problem)
        if problem.status != 400:
            return HttpResponse(
                f"{problem.zh} / {problem.en}",
                status=problem.status,
                content_type="text/plain; charset=utf-8",
            )
        # the project's 400 page (handler400 in the URLconf), as Django itself would answer
        handler = get_resolver(get_urlconf()).resolve_error_handler(400)
        return handler(request, exception=SuspiciousOperation(problem.en))  # type: ignore[call-arg]
