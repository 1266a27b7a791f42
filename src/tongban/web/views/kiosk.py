"""Self-service terminal (政务一体机) mode: a kiosk layout with large targets, no free
navigation (every other page sends a kiosk session back here), an idle timeout that
ends the session, and only items a terminal may receive. Applicants log in and submit
in proxy mode with channel `terminal` and this terminal's window id."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.selectors import own_applicants
from tongban.attachments.actions import submit_case_with_held
from tongban.attachments.checks import ALLOWED_LABEL, max_upload_bytes
from tongban.cases import deadlines
from tongban.cases.actions import SubmitInput
from tongban.cases.selectors import get_case_for
from tongban.catalog.models import Channel, Mode
from tongban.catalog.selectors import get_item_for
from tongban.core.errors import DomainError, FieldErrors, NotFound
from tongban.hall.models import Appointment
from tongban.web import selectors
from tongban.web.forms import (
    acting_for,
    delivery_address,
    material_inputs,
    page_errors,
    submission_token,
)
from tongban.web.views.common import KIOSK_SESSION_KEY, hold_form_files, page
from tongban.web.views.hall import booking_page


def _enter(request: HttpRequest, window_id: int) -> Any:
    window = selectors.terminal_window(window_id)
    request.session[KIOSK_SESSION_KEY] = window.pk
    # the session dies after this many idle seconds (each kiosk request renews it)
    request.session.set_expiry(settings.TONGBAN_KIOSK_IDLE_SECONDS)
    return window


def _context(request: HttpRequest, window: Any, **extra: Any) -> dict[str, Any]:
    return {
        "window": window,
        "idle_seconds": settings.TONGBAN_KIOSK_IDLE_SECONDS,
        **extra,
    }


@page(login=False, kiosk=True)
@require_http_methods(["GET"])
def start(request: HttpRequest, window_id: int) -> HttpResponse:
    window = _enter(request, window_id)
    if request.user.is_authenticated:
        return redirect("web:kiosk-items", window.pk)
    return render(request, "web/kiosk/start.html", _context(request, window))


@page(login=False, kiosk=True)
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, window_id: int) -> HttpResponse:
    window = _enter(request, window_id)
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        _enter(request, window_id)  # login() cycles the session key; keep the kiosk
        return redirect("web:kiosk-items", window.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/kiosk/login.html", _context(request, window, form=form), status=status
    )


@require_POST
def end(request: HttpRequest, window_id: int) -> HttpResponse:
    """End the session (the idle timer posts here too) and go back to the start page."""
    logout(request)
    request.session.flush()
    return redirect("web:kiosk-start", window_id)


def _kiosk_window(request: HttpRequest, window_id: int) -> Any:
    if request.session.get(KIOSK_SESSION_KEY) != window_id:
        raise NotFound(_("The terminal session has ended."))
    return _enter(request, window_id)


@page(kiosk=True)
@require_http_methods(["GET"])
def items(request: HttpRequest, window_id: int) -> HttpResponse:
    window = _kiosk_window(request, window_id)
    q = request.GET.get("q", "").strip()
    found = selectors.terminal_items(request.user, window, q or None, deadlines.local_today())
    return render(request, "web/kiosk/items.html", _context(request, window, items=found, q=q))


@page(kiosk=True)
@require_http_methods(["GET"])
def item(request: HttpRequest, window_id: int, code: str) -> HttpResponse:
    window = _kiosk_window(request, window_id)
    service_item = get_item_for(request.user, code)
    found = selectors.terminal_routes(service_item, window, deadlines.local_today())
    return render(
        request,
        "web/kiosk/item.html",
        _context(request, window, item=service_item, routes=found),
    )


@page(kiosk=True)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, window_id: int, code: str, handling: str) -> HttpResponse:
    window = _kiosk_window(request, window_id)
    service_item = get_item_for(request.user, code)
    route = next(
        (
            r
            for r in selectors.terminal_routes(service_item, window, deadlines.local_today())
            if r.handling.code == handling
        ),
        None,
    )
    if route is None:
        raise NotFound(_("This terminal cannot receive the item for that place."), code="no_route")
    implementation = route.implementation
    materials = list(implementation.materials.order_by("position", "pk"))
    context = _context(
        request,
        window,
        item=service_item,
        route=route,
        implementation=implementation,
        materials=materials,
        post=request.POST,
        token=submission_token(request.POST),
        max_upload_mb=max_upload_bytes() // (1024 * 1024),
        allowed_types=ALLOWED_LABEL,
        held={},
        acting_as=own_applicants(request.user),
    )
    if request.method == "GET":
        return render(request, "web/kiosk/apply.html", context)
    try:
        if hold_form_files(request, context):
            return render(request, "web/kiosk/apply.html", context)
        shape = FieldErrors()
        address = shape.check("delivery_address", lambda: delivery_address(request.POST))
        applicant_id = shape.check("applicant", lambda: acting_for(request.POST))
        shape.raise_if_any()
        data = SubmitInput(
            item=service_item.code,
            handling=route.handling.code,
            mode=Mode.PROXY,
            channel=Channel.TERMINAL,
            window_id=window.pk,
            delivery_method=request.POST.get("delivery_method", ""),
            applicant_id=applicant_id,
            materials=material_inputs(
                request.POST, implementation, set(context["held"]), self_service=True
            ),
            delivery_address=address or "",
        )
        case = submit_case_with_held(
            request.user, data, context["token"], idempotency_key=f"kiosk-{context['token']}"
        ).case
    except DomainError as error:
        context["error"] = error.message()
        context["page_errors"] = page_errors(error, checklist="file")
        return render(request, "web/kiosk/apply.html", context, status=422)
    return redirect("web:kiosk-done", window.pk, case.number)


@page(kiosk=True)
@require_http_methods(["GET"])
def done(request: HttpRequest, window_id: int, number: str) -> HttpResponse:
    window = _kiosk_window(request, window_id)
    case = get_case_for(request.user, number)
    return render(
        request,
        "web/kiosk/done.html",
        _context(request, window, case=case, materials=list(case.materials.order_by("id"))),
    )


@page(kiosk=True)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, window_id: int) -> HttpResponse:
    """预约 at the terminal: the signed-in applicant books a slot at this terminal's own
    hall, through the same action and rules as the portal (channel `terminal`)."""
    window = _kiosk_window(request, window_id)
    return booking_page(
        request,
        channel=Appointment.Channel.TERMINAL,
        template="web/kiosk/book.html",
        done=reverse("web:kiosk-book", args=[window.pk]),
        centre_id=window.centre_id,
        context=_context(request, window),
    )
