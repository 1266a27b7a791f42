"""Public check of a notice from the QR code printed on it (no login)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from tongban.core.masking import mask_name
from tongban.documents.links import read_notice_token
from tongban.documents.notices import NoticeKind
from tongban.documents.selectors import case_of_notice


@require_GET
def verify_notice(request: HttpRequest, token: str) -> HttpResponse:
    notice = read_notice_token(token)
    context: dict[str, object] = {"notice": notice}
    if notice is not None:
        try:
            context["kind_label"] = gettext(NoticeKind(notice.kind).label)
            context["issued_on"] = dt.date.fromisoformat(notice.issued_on)
        except ValueError:
            context["notice"] = None
        case = case_of_notice(notice.case_number)
        context["case"] = case
        if case is not None:
            context["holder"] = mask_name(case.applicant.name)
    status = 200 if context["notice"] is not None else 404
    return TemplateResponse(request, "documents/verify_notice.html", context, status=status)
