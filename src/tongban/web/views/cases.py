"""The work queue, the case page, its action dialogs, uploads, downloads and printouts."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts import personal_data
from tongban.accounts.models import Role
from tongban.assistance.actions import may_record as may_record_assistance
from tongban.assistance.selectors import assistance_of_case
from tongban.attachments.actions import act_with_files, attach_file, may_upload
from tongban.attachments.checks import ALLOWED_LABEL, max_upload_bytes
from tongban.attachments.selectors import get_attachment_for
from tongban.cases import selectors as case_selectors
from tongban.cases.actions import available_actions, fields_of
from tongban.cases.selectors import OverdueLevel
from tongban.cases.workflow import (
    FINAL_STATES,
    OUTSTANDING_MATERIAL_STATES,
    STAGE_LABELS,
    STAGES,
    Action,
    ShipVariant,
    is_destructive,
    is_irreversible,
    performable_action,
)
from tongban.catalog.models import DeliveryMethod
from tongban.core.errors import DomainError, Invalid, NotFound
from tongban.documents.notices import render_notice
from tongban.ratings.selectors import may_rate
from tongban.web import selectors
from tongban.web.forms import (
    action_input,
    case_material_files,
    confirmation_required,
    confirmed,
    parse_int,
)
from tongban.web.labels import action_label
from tongban.web.views.common import hx_redirect, is_htmx, page

# ---------------------------------------------------------------- queue


def _queue_params(query: QueryDict, user_jurisdictions: list, default_side: str | None):
    # any code may be asked for: readable_cases() keeps the rows inside the user's scope
    chosen = query.get("jurisdiction") or None
    awaiting = query.get("awaiting") == "me"
    number = query.get("number", "").strip() or None
    # 待我处理 and a number search look across all the user's places unless one is chosen
    if chosen is None and user_jurisdictions and not (awaiting or number):
        chosen = user_jurisdictions[0].code
    side = query.get("side", default_side or "")
    return selectors.QueueParams(
        number=number,
        awaiting=awaiting,
        stage=query.get("stage") or None,
        jurisdiction=chosen,
        side=side if side in ("handling", "receiving") else None,
        status=[s for s in query.getlist("status") if s],
        item=query.get("item") or None,
        receiving=query.get("receiving") or None,
        overdue=query.get("overdue") or None,
        sort=query.get("sort") or "received",
        cursor=query.get("cursor") or None,
        page=parse_int(query.get("page"), "page", gettext_lazy("The page number")) or 1,
    )


@page
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """Cases waiting in one of the user's jurisdictions: filter, sort, page."""
    user = request.user
    mine = selectors.jurisdictions_for(user, frozenset(Role.values))
    is_officer = selectors.has_any_role(user, {Role.OFFICER, Role.HEAD})
    is_clerk = selectors.has_any_role(user, {Role.CLERK})
    default_side = "handling" if is_officer else ("receiving" if is_clerk else None)
    params = _queue_params(request.GET, mine, default_side)
    result = selectors.work_queue(user, params)
    items, places = selectors.queue_filter_options()
    context = {
        "params": params,
        "result": result,
        "jurisdictions": mine,
        "items": items,
        "places": places,
        # the 21 states in their stages (an optgroup each), and the stages themselves
        "stages": [(stage, STAGE_LABELS[stage], states) for stage, states in STAGES.items()],
        "counts": case_selectors.work_counts(user),
        "levels": OverdueLevel.VALUES,
        "query_without_cursor": _without(request.GET, "cursor", "page"),
    }
    template = "web/_queue_table.html" if is_htmx(request) else "web/queue.html"
    return render(request, template, context)


def _without(query: QueryDict, *keys: str) -> str:
    copy = query.copy()
    for key in keys:
        copy.pop(key, None)
    return copy.urlencode()


# ---------------------------------------------------------------- case page


@page
@require_http_methods(["GET"])
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    data = selectors.case_page(request.user, number)
    # ?reveal=1: the full identity for the roles that need it (personal_data), recorded
    revealed = request.GET.get("reveal") == "1"
    if revealed:
        personal_data.require_unmask_case(request.user, data.case)
        personal_data.record_case_read(request.user, data.case, personal_data.Channel.WEB)
    return render(
        request,
        "web/case.html",
        {
            "page": data,
            "case": data.case,
            "is_final": data.case.status in FINAL_STATES,
            "demo_mode": settings.DEMO_MODE,
            "may_upload": may_upload(request.user, data.case),
            "max_upload_mb": max_upload_bytes() // (1024 * 1024),
            "allowed_types": ALLOWED_LABEL,
            **action_groups(data.actions),
            # the rating page itself says whether the period is open or it was rated
            "may_rate": may_rate(request.user, data.case),
            "assistance": assistance_of_case(request.user, data.case),
            "may_assist": may_record_assistance(request.user, data.case),
            "revealed": revealed,
            "may_reveal": not revealed
            and data.case.applicant.user_id != request.user.pk
            and personal_data.may_unmask_case(request.user, data.case),
        },
    )


def action_groups(actions: list[str]) -> dict[str, list]:
    """The buttons of a case's actions: everyday steps first and primary; the ones that
    cannot be undone set apart (workflow.IRREVERSIBLE_ACTIONS), those ending what the
    applicant asked for marked as such (DESTRUCTIVE_ACTIONS)."""
    return {
        "action_buttons": [(a, action_label(a)) for a in actions if not is_irreversible(a)],
        "final_buttons": [
            (a, action_label(a), is_destructive(a)) for a in actions if is_irreversible(a)
        ],
    }


def _dialog_context(request: HttpRequest, number: str, action: str) -> dict:
    case = case_selectors.get_case_for(request.user, number)
    materials = list(case.materials.order_by("id"))
    fields = fields_of(action, case)
    ship_methods = []
    if action == Action.SHIP:
        ship_methods = [ShipVariant.POST.value, DeliveryMethod.WINDOW.value, ShipVariant.ELECTRONIC]
    if action == Action.RETURN_ORIGINALS:
        ship_methods = [DeliveryMethod.POST.value, DeliveryMethod.WINDOW.value]
    return {
        "case": case,
        "action": action,
        "label": action_label(action),
        "fields": fields,
        "irreversible": is_irreversible(action),
        "destructive": is_destructive(action),
        "materials": materials,
        "outstanding": [m for m in materials if m.state in OUTSTANDING_MATERIAL_STATES],
        "ship_methods": ship_methods,
        "post": request.POST if request.method == "POST" else {},
        "form_url": reverse("web:case-action", args=[case.number, action]),
    }


@page
@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """GET: the dialog asking what the action needs (a fragment for htmx, else a page).
    POST: perform the action; on a domain error show the dialog again with the message."""
    performable_action(action)
    template = "web/_action_dialog.html" if is_htmx(request) else "web/action.html"
    if request.method == "GET":
        return render(request, template, _dialog_context(request, number, action))
    try:
        if is_irreversible(action) and not confirmed(request.POST):
            # only where the step would otherwise be taken: an outsider still gets the
            # 404, a wrong role or state its 403 / 409 from the action itself
            case = case_selectors.get_case_for(request.user, number)
            if action in available_actions(request.user, case):
                raise confirmation_required()
        data = action_input(request.POST)
        act_with_files(request.user, number, action, data, case_material_files(request.FILES))
    except NotFound:
        raise
    except DomainError as error:
        context = _dialog_context(request, number, action)
        context["error"] = error.message()
        context["error_details"] = error.details
        return render(request, template, context, status=200 if is_htmx(request) else 422)
    messages.success(request, _("已完成:%(action)s") % {"action": action_label(action)})
    return hx_redirect(request, reverse("web:case", args=[number]))


@page
@require_POST
def upload(request: HttpRequest, number: str) -> HttpResponse:
    """Upload one file for a material of the case (content-checked)."""
    case_url = reverse("web:case", args=[number])
    material_id = parse_int(request.POST.get("material"), "material", gettext_lazy("The material"))
    file = request.FILES.get("file")
    try:
        if file is None:
            raise Invalid(gettext_lazy("Choose a file to upload."), code="missing_file")
        attachment = attach_file(request.user, number, file, material_id=material_id)
    except NotFound:
        raise
    except DomainError as error:
        if is_htmx(request):
            return render(
                request,
                "web/_upload_result.html",
                {"error": error.message(), "material_id": material_id},
            )
        messages.error(request, error.message())
        return hx_redirect(request, case_url)
    messages.success(request, _("已上传:%(name)s") % {"name": attachment.original_name})
    return hx_redirect(request, case_url)


@page
@require_http_methods(["GET"])
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A stored file, only for users who may see its case."""
    attachment = get_attachment_for(request.user, pk)
    # a material file may carry anything personal (an ID card scan): every download counts
    personal_data.record_read(
        request.user,
        attachment.case.applicant,
        personal_data.Purpose.FILE,
        str(attachment.pk),
        personal_data.Channel.WEB,
        (attachment.case.handling_jurisdiction_id, attachment.case.receiving_jurisdiction_id),
    )
    handle = attachment.file.open("rb")
    extension = mimetypes.guess_extension(attachment.content_type) or ""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{attachment.case.number}-{attachment.pk}{extension}",
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@page
@require_http_methods(["GET"])
def printed_licence_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """异地打照: the licence PDF for the receiving window to print, after print_licence."""
    from tongban.licences.selectors import get_printed_licence_pdf_for

    licence, pdf = get_printed_licence_pdf_for(request.user, number)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{number}-licence-v{licence.version}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
@require_http_methods(["GET"])
def notice_pdf(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    """A written notice of the case as PDF (documents.notices)."""
    case = case_selectors.get_case_for(request.user, number)
    body = render_notice(case, kind)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{kind}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
@require_http_methods(["GET"])
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """The printable receipt (收件回执) of a case: what was received and what is
    missing, where it goes and how long it may take."""
    data = selectors.case_page(request.user, number)
    return render(
        request,
        "web/receipt.html",
        {
            "page": data,
            "case": data.case,
            # the clerk who just received the case records 帮办代办 or hands the pad over
            "may_assist": may_record_assistance(request.user, data.case),
            # and takes the next step from here (the transfer): no detour by the case page
            **action_groups(data.actions),
        },
    )
