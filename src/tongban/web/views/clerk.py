"""The window clerk's workbench: find an item, see the routes open to this window,
start a case with applicant look-up and the handling place's checklist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.accounts import personal_data
from tongban.accounts.identifiers import validate_id_number, validate_uscc
from tongban.accounts.models import Applicant, Role
from tongban.accounts.selectors import find_applicant_for, readable_applicants
from tongban.agreements.selectors import routes
from tongban.attachments.actions import submit_case_with_held
from tongban.attachments.checks import ALLOWED_LABEL, max_upload_bytes
from tongban.cases import deadlines
from tongban.cases.actions import SubmitInput, licences_standing_in
from tongban.cases.application_forms import SEAL_KINDS
from tongban.cases.selectors import work_counts
from tongban.catalog.models import Channel, Material, Mode, ServiceItem
from tongban.catalog.selectors import (
    bundles_led_by,
    get_item_for,
    get_jurisdiction,
    published_implementation,
)
from tongban.core.errors import DomainError, FieldErrors, Forbidden, Invalid, NotFound
from tongban.core.inputs import MAX_ID
from tongban.regions.models import Jurisdiction
from tongban.web import selectors
from tongban.web.forms import (
    applicant_input,
    delivery_address,
    establishment_context,
    establishment_form,
    joint_parts,
    material_inputs,
    page_errors,
    parse_int,
    submission_token,
)
from tongban.web.views.common import hold_form_files, is_htmx, page


def _receiving(request: HttpRequest) -> Jurisdiction:
    """The clerk's receiving jurisdiction (`at=` chooses among several)."""
    mine = selectors.jurisdictions_for(request.user, {Role.CLERK})
    chosen = selectors.pick(mine, request.GET.get("at") or request.POST.get("at"))
    if chosen is None:
        raise Forbidden(
            gettext_lazy("Only window clerks use the receiving workbench."), code="not_a_clerk"
        )
    return chosen


@page
@require_http_methods(["GET"])
def workbench(request: HttpRequest) -> HttpResponse:
    receiving = _receiving(request)
    q = request.GET.get("q", "").strip()
    results = list(selectors.search_items(request.user, q)[:20]) if q else []
    context = {
        "receiving": receiving,
        "clerk_places": selectors.jurisdictions_for(request.user, {Role.CLERK}),
        "window": selectors.clerk_window(request.user, receiving),
        "q": q,
        "results": results,
    }
    if is_htmx(request):
        return render(request, "web/_item_results.html", context)
    context["counts"] = work_counts(request.user)
    return render(request, "web/clerk.html", context)


@page
@require_http_methods(["GET"])
def item_routes(request: HttpRequest, code: str) -> HttpResponse:
    """Where and how this window may send the item today (agreements in force)."""
    receiving = _receiving(request)
    item = get_item_for(request.user, code)
    found = routes(item, receiving, deadlines.local_today())
    own = published_implementation(item, receiving, deadlines.local_today())
    groups = selectors.route_groups(found)
    # the filter by handling place: an unknown code shows no place rather than all
    place = request.GET.get("place", "").strip()
    context = {
        "receiving": receiving,
        "item": item,
        "routes": found,
        "own": own,
        "places": [g.handling for g in groups],
        "place": place,
        "groups": [g for g in groups if g.handling.code == place] if place else groups,
    }
    template = "web/_routes.html" if is_htmx(request) else "web/routes.html"
    return render(request, template, context)


@page
@require_http_methods(["POST"])
def applicant_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: is this person or enterprise registered? Validates the identifier with the
    same checks the submission uses. POST (with CSRF) so that the number never appears in
    a URL, an access log or a proxy log."""
    identifier = request.POST.get("identifier", "").strip()
    kind = request.POST.get("applicant_kind") or request.POST.get("kind") or "person"
    context: dict = {"identifier": identifier, "kind": kind}
    try:
        if kind == "enterprise":
            identifier = validate_uscc(identifier)
        else:
            identifier = validate_id_number(identifier)
        context["applicant"] = find_applicant_for(request.user, identifier)
        if context["applicant"].kind == "person":
            personal_data.record_lookup(
                request.user, context["applicant"], personal_data.Channel.WEB
            )
        context["licence_offers"] = _lookup_licence_offers(request, context["applicant"])
    except NotFound:
        context["applicant"] = None
    except DomainError as error:
        context["invalid"] = error.message()
    return render(request, "web/_applicant_lookup.html", context)


def _lookup_licence_offers(
    request: HttpRequest, applicant: Applicant
) -> list[tuple[Material, Any]]:
    """Each licence-capable line of the form's checklist with the found applicant's
    licence for it (or None), swapped into the checklist beside the lookup."""
    item, handling = request.POST.get("item", ""), request.POST.get("handling", "")
    if not (item and handling):
        return []
    implementation = published_implementation(
        get_item_for(request.user, item), get_jurisdiction(handling), deadlines.local_today()
    )
    if implementation is None:
        return []
    materials = list(implementation.materials.all())
    offers = _licence_offers(request.user, applicant, materials)
    return [(m, offers.get(m.pk)) for m in materials if m.licence_type_code]


def _licence_offers(user: Any, applicant: Applicant | None, materials: list[Material]) -> dict:
    """Material id → the applicant's valid e-licence that stands in for it: 免提交 is
    offered for those lines only (the submission asks the same function)."""
    if applicant is None:
        return {}
    held = licences_standing_in(user, applicant, materials)
    return {
        m.pk: held[m.licence_type_code]
        for m in materials
        if m.licence_type_code and m.licence_type_code in held
    }


@page
@require_http_methods(["POST"])
def validate_identifier(request: HttpRequest) -> HttpResponse:
    """htmx: check an ID number or credit code as it is typed (POST, see applicant_lookup)."""
    kind = "uscc" if "uscc" in request.POST else "id_number"
    value = next(
        (
            request.POST[key]
            for key in ("value", "id_number", "uscc", "agent_id_number")
            if request.POST.get(key)
        ),
        "",
    )
    context: dict = {"value": value}
    if value.strip():
        try:
            (validate_uscc if kind == "uscc" else validate_id_number)(value)
            context["ok"] = True
        except DomainError as error:
            context["invalid"] = error.message()
    return render(request, "web/_identifier_check.html", context)


def _form_context(request: HttpRequest, receiving: Jurisdiction) -> dict:
    source = request.POST if request.method == "POST" else request.GET
    item = get_item_for(request.user, source.get("item", ""))
    handling = get_jurisdiction(source.get("handling", ""))
    mode = source.get("mode", Mode.PROXY)
    today = deadlines.local_today()
    implementation = published_implementation(item, handling, today)
    if implementation is None:
        # the code submit_case answers for the same fact, with its status (422)
        raise Invalid(
            gettext_lazy("%(short_name)s has not published an implementation of this item."),
            code="item_not_implemented",
            params={"short_name": handling.short_name},
        )
    materials = list(implementation.materials.all())
    # a re-shown form keeps the applicant found by the lookup, and so its licence offers
    applicant_id = source.get("applicant_id", "")
    applicant = (
        readable_applicants(request.user).filter(pk=applicant_id).first()
        if applicant_id.isdigit() and int(applicant_id) <= MAX_ID
        else None
    )
    return {
        "receiving": receiving,
        "window": selectors.clerk_window(request.user, receiving),
        "item": item,
        "handling": handling,
        "mode": mode,
        "implementation": implementation,
        "materials": materials,
        "licence_offers": _licence_offers(request.user, applicant, materials),
        "post": request.POST,
        "token": submission_token(request.POST),
        "max_upload_mb": max_upload_bytes() // (1024 * 1024),
        "allowed_types": ALLOWED_LABEL,
        "part_places": list(Jurisdiction.objects.filter(active=True).order_by("code"))
        if mode == Mode.JOINT
        else [],
        **establishment_context(item),
        "seal_kinds": list(SEAL_KINDS),
        "held": {},
        # a 法人 item is received for an enterprise unless the clerk says otherwise
        "default_applicant_kind": "enterprise"
        if item.applicant_kind == ServiceItem.ApplicantKind.ENTERPRISE
        else "person",
        "bundles": bundles_led_by(item) if mode == Mode.JOINT else [],
    }


@page
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest) -> HttpResponse:
    """Receive a case at this window (帮办代办: recorded as assisted by the action)."""
    receiving = _receiving(request)
    context = _form_context(request, receiving)
    if request.method == "GET":
        return render(request, "web/new_case.html", context)
    implementation = context["implementation"]
    window = context["window"]
    token = context["token"]
    try:
        if hold_form_files(request, context):
            # taking a file away only shows the form again, with everything else kept
            return render(request, "web/new_case.html", context)
        shape = FieldErrors()
        applicant_id = shape.check(
            "applicant",
            lambda: parse_int(
                request.POST.get("applicant_id"), "applicant_id", gettext_lazy("The applicant")
            ),
        )
        applicant = (
            None
            if applicant_id
            else shape.check("applicant", lambda: applicant_input(request.POST))
        )
        address = shape.check("delivery_address", lambda: delivery_address(request.POST))
        shape.raise_if_any()
        data = SubmitInput(
            item=context["item"].code,
            handling=context["handling"].code,
            mode=context["mode"],
            channel=Channel.WINDOW,
            delivery_method=request.POST.get("delivery_method", ""),
            receiving=receiving.code,
            window_id=window.pk if window else None,
            applicant_id=applicant_id,
            applicant=applicant,
            materials=material_inputs(
                request.POST, implementation, set(context["held"]), self_service=False
            ),
            delivery_address=address or "",
            joint_parts=joint_parts(request.POST)
            if context["mode"] == Mode.JOINT and not request.POST.get("bundle")
            else [],
            form=establishment_form(request.POST) if context["establishment"] else None,
            bundle=request.POST.get("bundle", ""),
            bundle_parts=request.POST.getlist("bundle_parts") if request.POST.get("bundle") else [],
            # the "收件并通过形式审查" button: the check follows in the same action
            check_at_receipt=request.POST.get("check_at_receipt") == "on",
        )
        case = submit_case_with_held(request.user, data, token, idempotency_key=f"web-{token}").case
    except DomainError as error:
        context["error"] = error.message()
        context["page_errors"] = page_errors(error, checklist="state")
        return render(request, "web/new_case.html", context, status=422)
    messages.success(request, _("已收件,办件编号 %(number)s") % {"number": case.number})
    return redirect(reverse("web:receipt", args=[case.number]))
