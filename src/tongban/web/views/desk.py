"""The delivery desk (paper originals and results) and the supervisor overview."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.models import Role
from tongban.cases.actions import perform_case_action
from tongban.cases.models import Status
from tongban.cases.selectors import OverdueLevel
from tongban.cases.workflow import Action
from tongban.core.errors import DomainError, Forbidden
from tongban.web import selectors
from tongban.web.forms import action_input
from tongban.web.views.common import page

DESK_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD})


@page
@require_http_methods(["GET"])
def delivery(request: HttpRequest) -> HttpResponse:
    mine = selectors.jurisdictions_for(request.user, DESK_ROLES)
    jurisdiction = selectors.pick(mine, request.GET.get("jurisdiction"))
    if jurisdiction is None:
        raise Forbidden(
            gettext_lazy("Only clerks and officers use the delivery desk."), code="not_desk_staff"
        )
    sections = selectors.delivery_desk(request.user, jurisdiction)
    return render(
        request,
        "web/delivery.html",
        {"jurisdiction": jurisdiction, "jurisdictions": mine, "sections": sections},
    )


@page
@require_POST
def pickup(request: HttpRequest) -> HttpResponse:
    """Hand a result over at the window: case number, one-time code, identity check."""
    number = request.POST.get("number", "").strip()
    try:
        perform_case_action(request.user, number, Action.PICKUP, action_input(request.POST))
    except DomainError as error:
        messages.error(request, error.message())
        return redirect(reverse("web:delivery") + f"?jurisdiction={request.POST.get('at', '')}")
    messages.success(request, _("办件 %(number)s 的结果已当面交付。") % {"number": number})
    return redirect("web:case", number)


@page
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    rows = selectors.overview(request.user)
    statuses = [s for s in selectors.OPEN_STATUSES if any(s in r.by_status for r in rows)]
    totals = {
        "levels": {lv: sum(r.by_level.get(lv, 0) for r in rows) for lv in OverdueLevel.VALUES},
        "all": sum(r.total for r in rows),
    }
    return render(
        request,
        "web/overview.html",
        {
            "rows": rows,
            "statuses": statuses,
            "levels": OverdueLevel.VALUES,
            "totals": totals,
            "Status": Status,
        },
    )
