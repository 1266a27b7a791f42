"""Django's error handlers (tongban/urls.py handler400/403/404/500). DEBUG is off outside a
developer's machine, so these pages are what every caller sees: a short explanation in the
user's language and, for a server error, a reference number that is also in the log line
carrying the traceback. Nothing else leaks: no traceback, no settings, no URL list. Under
/api/ the answer is the API's JSON error format."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.core.errors import DomainError, Forbidden, NotFound
from tongban.core.responses import (
    api_error_response,
    internal_error,
    is_api_request,
    log_server_error,
    new_reference,
)


def _page(
    request: HttpRequest, status: int, title: str, explanation: str, reference: str = ""
) -> HttpResponse:
    # rendered without the request's context processors: a 500 may come from a broken
    # database, and the page must still render
    template = loader.get_template("errors/error.html")
    body = template.render({"title": title, "explanation": explanation, "reference": reference})
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_error_response(
            request, DomainError(gettext_lazy("Bad request."), code="bad_request")
        )
    return _page(request, 400, _("请求不正确"), _("无法处理该请求,请检查后重试。"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_error_response(request, Forbidden(gettext_lazy("You may not do this.")))
    return _page(request, 403, _("无权访问"), _("您无权访问该页面。"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_error_response(request, NotFound(gettext_lazy("No such address.")))
    return _page(request, 404, _("页面不存在"), _("未找到该页面,或您无权查看。"))


def server_error(request: HttpRequest) -> HttpResponse:
    reference = new_reference()
    log_server_error(request, reference)
    if is_api_request(request):
        return api_error_response(request, internal_error(reference))
    return _page(
        request,
        500,
        _("服务器内部错误"),
        _("处理您的请求时出现了错误,我们已记录。请稍后再试。"),
        reference,
    )
