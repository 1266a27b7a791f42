"""Public service guides (办事指南), no login: items with each jurisdiction's version
side by side, agreements with their 通办事项清单, centres with their opening hours. Reads
only; every rule of what is public lives in hall/guides.py (ADR 0108)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tongban.cases import deadlines
from tongban.centres.hours import days_ahead, weekly_table
from tongban.core.inputs import MAX_QUERY_TEXT
from tongban.hall import guides
from tongban.web.views.common import page


@page(login=False)
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    today = deadlines.local_today()
    q = request.GET.get("q", "").strip()[:MAX_QUERY_TEXT]
    items = list(guides.public_items(today, q or None)[:200])
    return render(
        request,
        "web/guides/index.html",
        {
            "q": q,
            "items": items,
            "agreements": list(guides.public_agreements(today)),
            "centres": list(guides.public_centres()),
        },
    )


@page(login=False)
@require_http_methods(["GET"])
def item(request: HttpRequest, code: str) -> HttpResponse:
    today = deadlines.local_today()
    guide = guides.item_guide(code, today)
    columns = guide.jurisdictions
    rows = [
        {
            "comparison": c,
            "cells": list(zip(c.values, c.outliers(), strict=True)),
        }
        for c in guide.comparison()
    ]
    return render(
        request,
        "web/guides/item.html",
        {"guide": guide, "columns": columns, "rows": rows, "today": today},
    )


@page(login=False)
@require_http_methods(["GET"])
def agreement(request: HttpRequest, code: str) -> HttpResponse:
    guide = guides.agreement_guide(code, deadlines.local_today())
    return render(request, "web/guides/agreement.html", {"guide": guide})


@page(login=False)
@require_http_methods(["GET"])
def centre(request: HttpRequest, centre_id: int) -> HttpResponse:
    found = guides.get_public_centre(centre_id)
    today = deadlines.local_today()
    return render(
        request,
        "web/guides/centre.html",
        {
            "centre": found,
            "week": weekly_table(found),
            "days": days_ahead(found, today, 14),
            "windows": [(w, weekly_table(found, w)) for w in found.windows.all()],
        },
    )
