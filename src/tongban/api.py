"""The typed REST API (Django Ninja) under /api/v1. Each app contributes a router from its
api.py; this module only wires them together and maps errors to JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from pydantic_core import to_json

from tongban.accounts.auth import api_auth
from tongban.core.api_errors import document_errors
from tongban.core.errors import (
    DomainError,
    Invalid,
    MalformedRequest,
    NotAuthenticated,
    RequestTooLarge,
    not_found,
)
from tongban.core.inputs import check_json_text
from tongban.core.responses import api_language, internal_error, log_server_error, new_reference


class JsonParser(Parser):
    """JSON bodies, refused as a whole when any string in them (free-form objects
    included) holds NUL or an unpaired surrogate: no schema can miss one."""

    def parse_body(self, request: HttpRequest) -> Any:
        return check_json_text(json.loads(request.body))


def _lazy_text(value: Any) -> Any:
    """What pydantic-core cannot write itself: a lazily translated message (an error's)."""
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JsonRenderer(BaseRenderer):
    """The answers' JSON, written by pydantic-core (ADR 0149). Ninja still validates and
    dumps every answer through its response schema first; this only replaces the
    `json.dumps` with Django's encoder that follows: a queue page of fifty cases took
    1.0 ms there and 0.16 ms here. Strings are written as UTF-8, not as `\\u` escapes,
    and times keep their microseconds (RFC 3339 either way)."""

    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest | None, data: Any, *, response_status: int) -> bytes:
        return to_json(data, fallback=_lazy_text)


class TongbanAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        document_errors(schema)
        return schema


api = TongbanAPI(
    title="Tongban 通办 API",
    version="1.0.0",
    description="跨域通办平台接口 / Cross-jurisdiction government services API",
    urls_namespace="api",
    auth=api_auth,
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Swagger UI from ninja's static files (ninja is in INSTALLED_APPS), and no call to the
    # public validator.swagger.io: government intranets are often offline (ADR 0091)
    docs=Swagger(settings={"validatorUrl": None}),
    parser=JsonParser(),
    renderer=JsonRenderer(),
)


def _language(request: HttpRequest) -> str:
    return api_language(request)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(_language(request)), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    error = Invalid(
        _("The request is not valid."), code="invalid_input", details={"errors": exc.errors}
    )
    return on_domain_error(request, error)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return on_domain_error(request, NotAuthenticated(_("Log in or send a valid bearer token.")))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, DomainError):
        # raised by JsonParser, wrapped by Ninja's body reader
        return on_domain_error(request, cause)
    if isinstance(cause, RequestDataTooBig):
        return on_too_big(request, cause)
    if exc.status_code == 400 and cause is not None:
        return on_domain_error(
            request,
            MalformedRequest(_("The request body is not valid JSON."), code="malformed_body"),
        )
    body = {"code": f"http_{exc.status_code}", "message": str(exc)}
    return api.create_response(request, body, status=exc.status_code)


# Request-level failures Django raises while reading the body. Without these handlers
# Ninja answers 500 with a traceback in DEBUG and Django a bare 400 page in production.
@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_domain_error(request, RequestTooLarge(_("The request body is too large.")))


@api.exception_handler(TooManyFieldsSent)
def on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_domain_error(
        request, RequestTooLarge(_("Too many form fields."), code="too_many_fields")
    )


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_domain_error(
        request,
        MalformedRequest(
            _("The multipart body cannot be read (boundary missing or broken)."),
            code="malformed_multipart",
        ),
    )


@api.exception_handler(UnreadablePostError)
@api.exception_handler(SuspiciousOperation)
def on_bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_domain_error(request, MalformedRequest(_("Malformed request.")))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return on_domain_error(request, not_found())


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: logged with its traceback under a reference; the caller gets only that
    reference, in the API's error format, whatever DEBUG says."""
    reference = new_reference()
    log_server_error(request, reference, exc)
    error = internal_error(reference)
    return api.create_response(request, error.as_dict(_language(request)), status=error.status)


def _register_routers() -> None:
    from tongban.accounts.api import applicants_router
    from tongban.accounts.api import router as accounts_router
    from tongban.agreements.api import router as agreements_router
    from tongban.assistance.api import router as assistance_router
    from tongban.attachments.api import router as attachments_router
    from tongban.cases.api import router as cases_router
    from tongban.catalog.api import router as catalog_router
    from tongban.centres.api import router as centres_router
    from tongban.consultations.api import router as consultations_router
    from tongban.federation.api import router as federation_router
    from tongban.hall.api import router as hall_router
    from tongban.licences.api import router as licences_router
    from tongban.ratings.api import router as ratings_router
    from tongban.regions.api import router as regions_router
    from tongban.stats.api import router as stats_router

    api.add_router("/v1/auth", accounts_router)
    api.add_router("/v1", applicants_router)
    api.add_router("/v1", regions_router)
    api.add_router("/v1", centres_router)
    api.add_router("/v1", catalog_router)
    api.add_router("/v1", agreements_router)
    api.add_router("/v1", cases_router)
    api.add_router("/v1", attachments_router)
    api.add_router("/v1", assistance_router)
    api.add_router("/v1", licences_router)
    api.add_router("/v1", consultations_router)
    api.add_router("/v1", hall_router)
    api.add_router("/v1", ratings_router)
    api.add_router("/v1", stats_router)
    api.add_router("/v1", federation_router)


_register_routers()
