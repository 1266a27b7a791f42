"""Sign-in, the landing page per role, the applicant portal and the public look-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.accounts import personal_data
from tongban.accounts.actions import register_portal_user, registration_problems
from tongban.accounts.models import Role, User
from tongban.accounts.selectors import own_applicants
from tongban.attachments.actions import submit_case_with_held
from tongban.attachments.checks import ALLOWED_LABEL, max_upload_bytes
from tongban.cases import deadlines
from tongban.cases.actions import SubmitInput
from tongban.catalog.models import Channel, Mode
from tongban.core import ratelimit
from tongban.core.client import client_address
from tongban.core.errors import DomainError, FieldErrors
from tongban.web import selectors
from tongban.web.forms import (
    LookupForm,
    RegisterForm,
    acting_for,
    delivery_address,
    establishment_context,
    establishment_form,
    material_inputs,
    page_errors,
    submission_token,
)
from tongban.web.views.common import hold_form_files, is_htmx, kiosk_window_id, page


class SignInView(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        window_id = kiosk_window_id(request)
        if window_id is not None:
            return redirect("web:kiosk-start", window_id)
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("web:home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # which ways in this installation offers (ADR 0099): the identity platform, the
        # local password, or both
        return super().get_context_data(
            oidc_enabled=settings.OIDC_ENABLED,
            password_login=settings.PASSWORD_LOGIN,
            **kwargs,
        )


class SignOutView(LogoutView):
    next_page = "web:login"


def landing_url(user: User | AnonymousUser) -> str:
    """Where a user starts: the first of their roles' pages."""
    if not selectors.is_staff_user(user):
        return reverse("web:my-cases")
    if selectors.has_any_role(user, {Role.CLERK}):
        return reverse("web:clerk")
    if selectors.has_any_role(user, {Role.OFFICER, Role.HEAD}):
        return reverse("web:queue")
    return reverse("web:overview")


@page(login=False)
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    return render(request, "web/home.html", {"lookup_form": LookupForm()})


@page(login=False)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = RegisterForm(request.POST or None)
    error = None
    status = 422 if request.method == "POST" else 200
    if request.method == "POST":
        # the form's shape and the action's rules, all reported after one submit
        post = request.POST
        found = registration_problems(
            post.get("username", ""),
            post.get("password", ""),
            post.get("name", ""),
            post.get("id_number", ""),
            phone=post.get("phone", ""),
            email=post.get("email", ""),
        )
        for field, problem in found.problems.items():
            if field in form.fields and not form.has_error(field):
                form.add_error(field, problem.message())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # each attempt costs the caller: trying ID numbers one by one is slow, and the
            # answer does not tell them apart anyway (ADR 0091)
            ratelimit.check(
                f"register:ip:{client_address(request) or 'unknown'}",
                settings.TONGBAN_REGISTER_LIMIT,
                settings.TONGBAN_REGISTER_WINDOW_SECONDS,
            )
            user = register_portal_user(
                data["username"],
                data["password"],
                data["name"],
                data["id_number"],
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
        except DomainError as exc:
            error = exc.message()
            status = exc.status if exc.status == 429 else 422
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功,欢迎使用通办。"))
            return redirect("web:my-cases")
    return render(request, "web/register.html", {"form": form, "error": error}, status=status)


@page
@require_http_methods(["GET"])
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = list(selectors.own_cases(request.user)[:100])
    return render(request, "web/my_cases.html", {"cases": cases})


@page
@require_http_methods(["GET"])
def my_data_reads(request: HttpRequest) -> HttpResponse:
    """谁查看了我的信息: reads of the applicant's own data by others (ADR 0100)."""
    found = personal_data.reads_of_me(request.user, request.GET.get("page") or 1)
    reads = [personal_data.read_out(read) for read in found]
    return render(request, "web/my_data_reads.html", {"page": found, "reads": reads})


@page
@require_http_methods(["GET"])
def apply_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    place = request.GET.get("place", "").strip()
    found = selectors.online_items(request.user, q or None, deadlines.local_today(), place or None)
    template = "web/_apply_results.html" if is_htmx(request) else "web/apply_list.html"
    return render(
        request, template, {"items": found.items, "places": found.places, "q": q, "place": place}
    )


@page
@require_http_methods(["GET", "POST"])
def apply_form(request: HttpRequest, item: str, handling: str) -> HttpResponse:
    """全程网办: the guided form built from the handling place's checklist."""
    implementation = selectors.online_implementation(item, handling, deadlines.local_today())
    context: dict[str, Any] = {
        "implementation": implementation,
        "item": implementation.item,
        "handling": implementation.jurisdiction,
        "materials": list(implementation.materials.all()),
        "post": request.POST,
        "token": submission_token(request.POST),
        "max_upload_mb": max_upload_bytes() // (1024 * 1024),
        "allowed_types": ALLOWED_LABEL,
        "held": {},
        "acting_as": own_applicants(request.user),
        **establishment_context(implementation.item),
    }
    if request.method == "GET":
        return render(request, "web/apply_form.html", context)
    try:
        if hold_form_files(request, context):
            return render(request, "web/apply_form.html", context)
        shape = FieldErrors()
        address = shape.check("delivery_address", lambda: delivery_address(request.POST))
        applicant_id = shape.check("applicant", lambda: acting_for(request.POST))
        shape.raise_if_any()
        data = SubmitInput(
            item=implementation.item.code,
            handling=implementation.jurisdiction.code,
            mode=Mode.ONLINE,
            channel=Channel.WEB,
            delivery_method=request.POST.get("delivery_method", ""),
            applicant_id=applicant_id,
            materials=material_inputs(
                request.POST, implementation, set(context["held"]), self_service=True
            ),
            delivery_address=address or "",
            form=establishment_form(request.POST) if context["establishment"] else None,
        )
        case = submit_case_with_held(
            request.user, data, context["token"], idempotency_key=f"web-{context['token']}"
        ).case
    except DomainError as error:
        context["error"] = error.message()
        context["page_errors"] = page_errors(error, checklist="file")
        return render(request, "web/apply_form.html", context, status=422)
    messages.success(request, _("申请已提交,办件编号 %(number)s") % {"number": case.number})
    return redirect("web:case", case.number)


@page(login=False, kiosk=True)
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Look a case up by number plus ID number, without logging in. Rate-limited per
    client address and per case number (database counters shared by all processes). A
    wrong number and a wrong ID number get the same answer by the same single query, so
    the page never tells whether an ID number (or a case) exists."""
    form = LookupForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "kiosk_window": kiosk_window_id(request)}
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"].strip()
        limit = settings.TONGBAN_LOOKUP_LIMIT
        window = settings.TONGBAN_LOOKUP_WINDOW_SECONDS
        by_address = ratelimit.hit(
            f"lookup:ip:{client_address(request) or 'unknown'}", limit, window
        )
        by_case = ratelimit.hit(f"lookup:case:{number}", limit, window)
        if not (by_address[0] and by_case[0]):
            context["error"] = _("查询过于频繁,请稍后再试。")
            status = 429
            retry_after = max(by_address[1], by_case[1])
        else:
            result = selectors.public_lookup(number, form.cleaned_data["identifier"])
            if result is None:
                context["error"] = _("未找到办件:请核对办件编号和身份号码。")
                status = 404
            context["result"] = result
    template = "web/_lookup_result.html" if is_htmx(request) else "web/lookup.html"
    if is_htmx(request):
        status = 200
    base = "web/kiosk_base.html" if context["kiosk_window"] else "base.html"
    context["base_template"] = base
    response = render(request, template, context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
