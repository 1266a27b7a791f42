"""帮办代办 in the browser: the window clerk records, from the case page, that they helped
the applicant or acted for them. Thin: parse, call the action, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods

from tongban.assistance import actions, selectors
from tongban.assistance.models import AssistanceRole, AssistanceStep, ConsentMethod
from tongban.cases.selectors import get_case_for
from tongban.core.errors import DomainError, Invalid
from tongban.web.views.common import page

# the model's choice labels, shown through {% translate %} in the templates
_EXTRACTED = [
    gettext_noop("帮办"),
    gettext_noop("代办"),
    gettext_noop("窗口签字确认"),
    gettext_noop("网上确认"),
    gettext_noop("填写申请表"),
    gettext_noop("扫描上传材料"),
    gettext_noop("提交申请"),
    gettext_noop("跟踪办理进度"),
    gettext_noop("领取办理结果"),
]


def _consent_at(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            gettext_lazy("The consent time is not valid."), code="invalid_consent_time"
        ) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _input(post: Any) -> actions.AssistanceInput:
    consultation = (post.get("consultation") or "").strip()
    if consultation and not consultation.isdigit():
        raise Invalid(gettext_lazy("The consultation id is not valid."), code="invalid")
    return actions.AssistanceInput(
        role=post.get("role", ""),
        steps=post.getlist("steps"),
        consent_method=post.get("consent_method", ""),
        consent_at=_consent_at(post.get("consent_at", "").strip()),
        note=post.get("note", ""),
        consultation_id=int(consultation) if consultation else None,
    )


@page
@require_http_methods(["GET", "POST"])
def record_for_case(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_for(request.user, number)
    context: dict[str, Any] = {
        "case": case,
        "records": selectors.assistance_of_case(request.user, case),
        "roles": AssistanceRole.choices,
        "steps": AssistanceStep.choices,
        "consents": ConsentMethod.choices,
        "post": request.POST,
        "chosen_steps": request.POST.getlist("steps"),
    }
    if request.method == "GET":
        return render(request, "assistance/record.html", context)
    try:
        actions.record_assistance(request.user, number, _input(request.POST))
    except DomainError as error:
        context["error"] = error
        return render(request, "assistance/record.html", context, status=error.status)
    messages.success(request, _("已登记帮办代办记录。"))
    return redirect("web:case", number)
