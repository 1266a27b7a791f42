"""The statistics dashboard (/stats/) and one agreement's figures: thin views over
web.pages.stats, which reads everything through stats.selectors. Login required
(anonymous users go to the login page); other roles get the 403 page, a jurisdiction or
agreement outside the caller's scope the 404 page (tongban.web.views.common.page)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tongban.federation import reconcile
from tongban.stats import selectors
from tongban.web.pages import stats as dashboard
from tongban.web.views.common import page


@page
@require_http_methods(["GET"])
def dashboard_page(request: HttpRequest) -> HttpResponse:
    query = dashboard.parse_query(request.GET)
    board = dashboard.build(request.user, query)
    # cross-node agreements: are both nodes' figures the same? (ADR 0133)
    checked = reconcile.status_by_agreement(a["id"] for a in board.agreements)
    for row in board.agreements:
        row["reconciliation"] = checked.get(row["id"])
    return render(
        request,
        "stats/dashboard.html",
        {
            "board": board,
            "query": query,
            "refreshed_at": selectors.refreshed_at(),
            "charts": dashboard.chart_data(board.figures),
            "jurisdictions": selectors.scope_jurisdictions(request.user),
            "years": selectors.available_years(request.user),
            "jurisdiction_params": urlencode(
                {k: v for k, v in query.params().items() if k in ("jurisdiction", "leg")}
            ),
        },
    )


@page
@require_http_methods(["GET"])
def agreement_page(request: HttpRequest, agreement_id: int) -> HttpResponse:
    query = dashboard.parse_query(request.GET)
    data = dashboard.build_agreement(request.user, agreement_id, query)
    reconciliation = reconcile.agreement_reconciliation(request.user, agreement_id)
    return render(
        request,
        "stats/agreement.html",
        {
            "data": data,
            "reconciliation": reconciliation,
            "query": data.query,
            "refreshed_at": selectors.refreshed_at(),
            "charts": dashboard.chart_data(data.figures),
            "years": selectors.available_years(request.user),
        },
    )
