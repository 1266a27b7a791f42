"""帮办代办 in the browser: the window clerk records, from the case page, that they helped
the applicant or acted for them. Thin: parse, call the action, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from tongban.assistance import actions, selectors
from tongban.assistance.api import AssistanceIn
from tongban.assistance.models import AssistanceRole, AssistanceStep, ConsentMethod
from tongban.cases.selectors import get_case_for
from tongban.core.errors import DomainError
from tongban.core.inputs import validate_fields
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


def _input(post: Any) -> actions.AssistanceInput:
    # the API's contract for the fields the page parses itself (the consent time, local
    # time without an offset; the consultation id; the note's length); the action checks
    # the rest, for both
    checked = validate_fields(
        AssistanceIn,
        {
            "consent_at": post.get("consent_at", "").strip() or None,
            "consultation_id": post.get("consultation", "").strip() or None,
            "note": post.get("note", ""),
        },
    )
    return actions.AssistanceInput(
        role=post.get("role", ""),
        steps=post.getlist("steps"),
        consent_method=post.get("consent_method", ""),
        consent_at=checked["consent_at"],
        note=checked["note"],
        consultation_id=checked["consultation_id"],
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
