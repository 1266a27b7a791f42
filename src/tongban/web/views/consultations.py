"""咨询 in the browser: staff record the questions asked at the window, on the hotline,
online or at a terminal; the first jurisdiction asked owns each one (首问负责) and may
forward it to another jurisdiction for the answer, answer it and close it. Thin views:
parse, call one selector or action (web.pages.consultations), render. Domain errors become
the page's message with their status (tongban.web.views.common.page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.selectors import staff_jurisdictions
from tongban.consultations import actions, selectors
from tongban.consultations.models import Consultation, ConsultationChannel
from tongban.core.errors import DomainError
from tongban.web.pages import consultations as pages
from tongban.web.views.common import is_htmx, page


@page
@require_http_methods(["GET"])
def consultation_list(request: HttpRequest) -> HttpResponse:
    selectors.require_staff(request.user)
    chosen = pages.list_filter(request.GET)
    qs = selectors.list_consultations(
        request.user,
        status=chosen.status or None,
        channel=chosen.channel or None,
        jurisdiction_code=chosen.jurisdiction or None,
        awaiting_answer=chosen.awaiting,
    )
    rows = Paginator(qs, pages.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "consultations/list.html",
        {
            "rows": rows,
            "filter": chosen,
            "statuses": Consultation.Status.choices,
            "channels": ConsultationChannel.choices,
            "jurisdictions": staff_jurisdictions(request.user),
            "may_record": selectors.may_record(request.user),
        },
    )


def _record_context(request: HttpRequest, places: list[Any], source: Any) -> dict[str, Any]:
    item_q = source.get("item_q", "")
    return {
        "places": places,
        "channels": ConsultationChannel.choices,
        "form": source,
        "item_q": item_q,
        "items": pages.item_choices(request.user, item_q, source.get("item", "")),
        "selected_item": source.get("item", ""),
    }


@page
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest) -> HttpResponse:
    places = selectors.recording_places(request.user)
    source = request.POST if request.method == "POST" else request.GET
    context = _record_context(request, places, source)
    if request.method == "GET":
        if is_htmx(request):  # the item search refreshes the item choice only
            return render(request, "consultations/_item_choice.html", context)
        return render(request, "consultations/new.html", context)
    try:
        consultation = actions.record_consultation(
            request.user, **pages.record_input(request.POST, places)
        )
    except DomainError as error:
        context["error"] = error
        return render(request, "consultations/new.html", context, status=error.status)
    if consultation.status == Consultation.Status.ANSWERED:
        messages.success(request, _("咨询已登记并当场答复。"))
    else:
        messages.success(request, _("咨询已登记。"))
    return redirect("consultations:detail", consultation.pk)


def _detail_context(request: HttpRequest, consultation_id: int) -> dict[str, Any]:
    selectors.require_staff(request.user)
    consultation = selectors.get_consultation_for(request.user, consultation_id)
    forms = selectors.steps_for(request.user, consultation)
    return {
        "c": consultation,
        "forms": forms,
        "targets": selectors.forward_targets(consultation) if forms.forward else [],
        "timeline": selectors.timeline(selectors.consultation_events(consultation)),
        "post": request.POST,
    }


@page
@require_http_methods(["GET"])
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    return render(request, "consultations/detail.html", _detail_context(request, consultation_id))


@page
@require_POST
def consultation_step(request: HttpRequest, consultation_id: int, step: str) -> HttpResponse:
    selectors.require_staff(request.user)
    try:
        pages.perform_step(request.user, consultation_id, step, request.POST)
    except DomainError as error:
        context = _detail_context(request, consultation_id)
        context.update(error=error, failed_step=step)
        return render(request, "consultations/detail.html", context, status=error.status)
    done = {
        "forward": _("咨询已转办。"),
        "answer": _("答复已保存。"),
        "close": _("咨询已办结。"),
    }
    messages.success(request, done[step])
    return redirect("consultations:detail", consultation_id)
