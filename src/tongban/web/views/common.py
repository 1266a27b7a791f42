"""What every page shares: login and kiosk confinement, mapping domain errors to a
message on the page (never a 500), htmx helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from tongban.attachments.actions import hold_uploads
from tongban.core.errors import DomainError, NotAuthenticated

KIOSK_SESSION_KEY = "tongban_kiosk_window"

View = Callable[..., HttpResponseBase]


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def kiosk_window_id(request: HttpRequest) -> int | None:
    value = request.session.get(KIOSK_SESSION_KEY)
    return int(value) if value is not None else None


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A domain error as a page (or as a fragment for htmx) with the error's status."""
    template = "web/_error.html" if is_htmx(request) else "web/error.html"
    response = render(
        request,
        template,
        {"error": error, "message": error.message(), "code": error.code},
        status=error.status,
    )
    if is_htmx(request):
        # htmx ignores 4xx bodies by default: answer 200 and retarget to the message area
        response.status_code = 200
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
    return response


def page(
    view: View | None = None,
    *,
    login: bool = True,
    kiosk: bool = False,
) -> Any:
    """Decorate a web view.

    - `login`: anonymous users are sent to the login page (with `next`).
    - `kiosk`: the view belongs to the self-service terminal; a kiosk session may open
      nothing else (it is sent back to the terminal's start page).
    - A DomainError escaping the view becomes a page with its message and status
      (404 for anything out of scope), never a 500.
    """

    def decorate(func: View) -> View:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            window_id = kiosk_window_id(request)
            if window_id is not None and not kiosk:
                return HttpResponseRedirect(reverse("web:kiosk-start", args=[window_id]))
            if login and not request.user.is_authenticated:
                if window_id is not None:
                    return HttpResponseRedirect(reverse("web:kiosk-start", args=[window_id]))
                return redirect_to_login(request.get_full_path())
            try:
                return func(request, *args, **kwargs)
            except NotAuthenticated:
                return redirect_to_login(request.get_full_path())
            except DomainError as error:
                return error_page(request, error)

        return wrapper

    if view is not None:
        return decorate(view)
    return decorate


def flash_error(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message())


def hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful htmx POST: let htmx navigate; a plain POST gets a redirect."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def hold_form_files(request: HttpRequest, context: dict[str, Any]) -> bool:
    """Hold the files chosen in a submission form (ADR 0123) before the submission is
    tried, so that a refusal loses none of them: `context["held"]` becomes the files held
    for the form (`context["token"]`) by checklist material. Returns whether the user only
    removed a file (the page then shows the form again without submitting). A refused
    file raises, marked on its line; the other files stay held."""
    from tongban.web.forms import held_file_errors, material_files, parse_ids

    materials = context["materials"]
    held = hold_uploads(
        request.user,
        context["token"],
        material_files(request.FILES, materials),
        remove=parse_ids(request.POST.getlist("remove_upload"), "remove_upload"),
        materials=[m.pk for m in materials],
    )
    context["held"] = held.uploads
    refused = held_file_errors(held.refused)
    if refused is not None:
        raise refused
    return bool(request.POST.get("remove_upload"))
