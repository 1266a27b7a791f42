"""好差评 in the browser: the applicant rates a completed case; staff of the responsible
jurisdiction work the bad-rating loop (call-back, outcome, appeal), supervisors and
platform admins review appeals; anyone reads the published monthly summaries. Thin views:
parse, call one selector or action (web.pages.ratings), render. Domain errors become the
page's message with their status (tongban.web.views.common.page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.selectors import staff_jurisdictions
from tongban.core.errors import DomainError, Invalid
from tongban.core.inputs import parse_month
from tongban.ratings import actions, selectors
from tongban.ratings.models import Rectification
from tongban.web.pages import ratings as pages
from tongban.web.views.common import page

# -- the applicant ----------------------------------------------------------------------


@page
@require_http_methods(["GET"])
def my_ratings(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ratings/mine.html",
        {
            "rows": pages.rateable_cases(request.user),
            "window_days": actions.rating_window_days(),
        },
    )


def _thanks(request: HttpRequest, rating: Any) -> None:
    if rating.is_bad:
        messages.success(
            request,
            _("感谢您的评价。差评已转交%(place)s整改,我们将在%(days)d个工作日内处理。")
            % {"place": rating.target_jurisdiction.name, "days": actions.rectification_days()},
        )
    else:
        messages.success(request, _("感谢您的评价。"))


def _rate(
    request: HttpRequest,
    form: pages.RatingForm,
    submit: Callable[[pages.RatingInput], Any],
    template: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """Render the form (GET, or POST with an error), or submit and return None."""
    context: dict[str, Any] = {
        "form": form,
        "levels": pages.LEVELS,
        "fields": pages.form_fields(form, request.POST),
        "post": request.POST,
        "window_days": actions.rating_window_days(),
        **(extra or {}),
    }
    if request.method == "GET":
        return render(request, template, context)
    try:
        rating = submit(pages.rating_input(request.POST, form))
    except DomainError as error:
        context["error"] = error
        return render(request, template, context, status=error.status)
    _thanks(request, rating)
    return None


@page
@require_http_methods(["GET", "POST"])
def rate_case(request: HttpRequest, number: str) -> HttpResponse:
    form = pages.rating_form(request.user, number)

    def submit(data: pages.RatingInput) -> Any:
        return actions.submit_rating(
            request.user,
            number,
            level=data.level,
            indicators=data.indicators,
            comment=data.comment,
            anonymous=data.anonymous,
            target_leg=data.target_leg,
        )

    return _rate(request, form, submit, "ratings/rate.html") or redirect("ratings:rate", number)


@page
@require_http_methods(["GET", "POST"])
def rate_consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    form = pages.consultation_rating_form(request.user, consultation_id)

    def submit(data: pages.RatingInput) -> Any:
        return actions.submit_rating(
            request.user,
            consultation_id=consultation_id,
            level=data.level,
            indicators=data.indicators,
            comment=data.comment,
            anonymous=data.anonymous,
            target_leg=data.target_leg,
        )

    return _rate(request, form, submit, "ratings/rate.html") or redirect(
        "ratings:rate-consultation", consultation_id
    )


# -- the one-time link (no login) ---------------------------------------------------------


@page(login=False)
@require_http_methods(["GET", "POST"])
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    form = pages.link_form(token)

    def submit(data: pages.RatingInput) -> Any:
        return actions.submit_link_rating(
            token,
            level=data.level,
            indicators=data.indicators,
            comment=data.comment,
            anonymous=data.anonymous,
            target_leg=data.target_leg,
        )

    response = _rate(request, form, submit, "ratings/rate.html", {"by_link": True})
    if response is not None:
        return response
    return render(request, "ratings/thanks.html", {})


# -- the window's rating pad --------------------------------------------------------------


@page
@require_http_methods(["GET"])
def pad(request: HttpRequest) -> HttpResponse:
    queue = selectors.pad_queue(request.user, actions.pad_since(timezone.now()))
    return render(request, "ratings/pad.html", {"queue": queue})


def _pad_rate(
    request: HttpRequest, case_number: str | None, consultation_id: int | None
) -> HttpResponse:
    selectors.require_pad(request.user)
    form = pages.pad_form(request.user, case_number, consultation_id)

    def submit(data: pages.RatingInput) -> Any:
        return actions.submit_pad_rating(
            request.user,
            case_number=case_number,
            consultation_id=consultation_id,
            level=data.level,
            indicators=data.indicators,
            comment=data.comment,
            anonymous=data.anonymous,
        )

    response = _rate(request, form, submit, "ratings/pad_rate.html")
    return response or redirect("ratings:pad")


@page
@require_http_methods(["GET", "POST"])
def pad_rate_case(request: HttpRequest, number: str) -> HttpResponse:
    return _pad_rate(request, number, None)


@page
@require_http_methods(["GET", "POST"])
def pad_rate_consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    return _pad_rate(request, None, consultation_id)


# -- rectification tasks ------------------------------------------------------------------


@page
@require_http_methods(["GET"])
def task_list(request: HttpRequest) -> HttpResponse:
    selectors.require_task_staff(request.user)
    status = request.GET.get("status", "")
    overdue = request.GET.get("overdue") == "1"
    code = request.GET.get("jurisdiction") or None
    qs = selectors.list_rectifications(
        request.user, status=status or None, jurisdiction_code=code, overdue=overdue or None
    )
    paginator = Paginator(qs, 50)
    tasks = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "ratings/tasks.html",
        {
            "tasks": tasks,
            "overdue_ids": {t.pk for t in tasks if selectors.is_rectification_overdue(t)},
            "statuses": Rectification.Status.choices,
            "status": status,
            "overdue": overdue,
            "jurisdiction": code or "",
            "jurisdictions": staff_jurisdictions(request.user),
        },
    )


def _task_context(request: HttpRequest, task_id: int) -> dict[str, Any]:
    task = selectors.get_rectification_for(request.user, task_id)
    return {
        "task": task,
        "rating": task.rating,
        "indicators": [
            (pages.INDICATOR_LABELS.get(k, k), v)
            for k, v in task.rating.indicators.items()
            if k != "overall"  # shown as the level
        ],
        "events": selectors.rating_events(request.user, task_id),
        "forms": selectors.task_steps_for(request.user, task),
        "overdue": selectors.is_rectification_overdue(task),
        "outcomes": Rectification.Outcome.choices,
        "decisions": Rectification.ReviewDecision.choices,
        "post": request.POST,
    }


@page
@require_http_methods(["GET"])
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    return render(request, "ratings/task.html", _task_context(request, task_id))


@page
@require_POST
def task_step(request: HttpRequest, task_id: int, step: str) -> HttpResponse:
    try:
        pages.perform_step(request.user, task_id, step, request.POST)
    except DomainError as error:
        context = _task_context(request, task_id)
        context.update(error=error, failed_step=step)
        return render(request, "ratings/task.html", context, status=error.status)
    done = {
        "callback": _("回访记录已保存。"),
        "resolve": _("整改已办结。"),
        "appeal": _("申诉已提交,等待复核。"),
        "review": _("复核结论已保存。"),
    }
    messages.success(request, done[step])
    return redirect("ratings:task", task_id)


# -- published summaries (public) ----------------------------------------------------------


@page(login=False)
@require_http_methods(["GET"])
def summaries(request: HttpRequest) -> HttpResponse:
    months = selectors.published_months()
    month = parse_month(request.GET.get("month")) or (months[0] if months else None)
    rows = list(selectors.published_summaries(month)) if month else []
    return render(
        request,
        "ratings/summaries.html",
        {
            "months": months,
            "month": month,
            "rows": rows,
            "may_publish": selectors.may_publish(request.user),
        },
    )


@page
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    month = parse_month(request.POST.get("month"))
    if month is None:
        raise Invalid(gettext_lazy("Choose a month."), code="required")
    try:
        published = actions.publish_monthly_summary(request.user, month)
    except DomainError as error:
        messages.error(request, error.message())
        return redirect("ratings:summaries")
    messages.success(
        request,
        _("已发布%(month)s的好差评结果(%(n)d个管辖地)。")
        % {"month": f"{month:%Y-%m}", "n": len(published)},
    )
    return redirect(f"{reverse('ratings:summaries')}?month={month:%Y-%m}")
