"""Public verification pages (no login): /verify/ and /verify/{licence id}; 我的证照
(the applicant's own licences) and the scoped download of a licence's signed PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from tongban.accounts import personal_data
from tongban.core.links import public_url
from tongban.licences import actions, selectors
from tongban.licences.selectors import MAX_PDF_BYTES
from tongban.licences.types import public_rows
from tongban.web.views.common import page


def _render(request: HttpRequest, licence_id: str, **context: object) -> TemplateResponse:
    result = context.get("result")
    public = result.public_fields() if isinstance(result, selectors.VerificationResult) else {}
    return TemplateResponse(
        request,
        "licences/verify.html",
        {"licence_id": licence_id, "public": public, **context},
    )


def _uploaded_pdf(request: HttpRequest) -> tuple[bytes | None, str, str]:
    upload = request.FILES.get("file")
    if upload is None:
        return None, "", ""
    if upload.size is not None and upload.size > MAX_PDF_BYTES:
        return None, upload.name or "", gettext("文件过大(超过10MB)。")
    return upload.read(), upload.name or "", ""


@require_http_methods(["GET", "POST"])
def verify_index(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render(request, "")
    pdf, name, error = _uploaded_pdf(request)
    licence_id = (request.POST.get("licence_id") or "").strip()
    if error:
        return _render(request, "", error=error)
    if pdf is None:
        if not licence_id:
            return _render(request, "", error=gettext("请输入证照标识或上传证照PDF。"))
        return redirect("licences:verify", licence_id=licence_id)
    licence_id = licence_id or selectors.identifier_in_pdf(pdf)
    result = selectors.verify_licence(licence_id, pdf_bytes=pdf)
    return _render(request, "", result=result, uploaded=name)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, licence_id: str) -> HttpResponse:
    pdf, name, error = (None, "", "")
    if request.method == "POST":
        pdf, name, error = _uploaded_pdf(request)
    result = selectors.verify_licence(licence_id, pdf_bytes=pdf)
    return _render(request, licence_id, result=result, uploaded=name, error=error)


def _my_licences_page(
    request: HttpRequest, new_share: actions.NewShare | None = None, status: int = 200
) -> HttpResponse:
    licences = list(selectors.own_licences(request.user)[:200])
    rows = [(licence, selectors.licence_state(licence)) for licence in licences]
    shares: dict[int, list[object]] = {}
    for share in selectors.active_shares(request.user):
        shares.setdefault(share.licence_id, []).append(share)
    return render(
        request,
        "web/my_licences.html",
        {
            "rows": rows,
            "shares": shares,
            "share_days": actions.SHARE_DAYS,
            "new_share": new_share,
            "new_share_url": public_url(reverse("web:shared-licence", args=[new_share.token]))
            if new_share
            else "",
        },
        status=status,
    )


@page
@require_http_methods(["GET"])
def my_licences(request: HttpRequest) -> HttpResponse:
    """我的证照: every licence of the applicants the account acts as, each with its QR
    code and the shares still open."""
    return _my_licences_page(request)


@page
@require_http_methods(["POST"])
def share_licence(request: HttpRequest, licence_id: str) -> HttpResponse:
    """Create a share and show its link once (only its digest is stored)."""
    raw_days = request.POST.get("days", "")
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) <= 3 else -1
    new_share = actions.share_licence(
        request.user, licence_id, days=days, note=request.POST.get("note", "")
    )
    return _my_licences_page(request, new_share, status=201)


@page
@require_http_methods(["POST"])
def revoke_share(request: HttpRequest, share_id: int) -> HttpResponse:
    actions.revoke_licence_share(request.user, share_id)
    messages.success(request, gettext("分享已撤销,该链接不能再打开。"))
    return redirect("web:my-licences")


@page
@require_http_methods(["GET"])
def shared_licence(request: HttpRequest, token: str) -> HttpResponse:
    """What staff see through a holder's share: the licence with the holder's identity,
    read under the holder's consent and recorded (ADR 0100, 0125)."""
    share, licence = selectors.get_shared_licence_for(
        request.user, token, personal_data.Channel.WEB
    )
    fields = public_rows(licence.licence_type_code, (licence.data or {}).get("fields") or {})
    response = render(
        request,
        "web/shared_licence.html",
        {
            "share": share,
            "licence": licence,
            "state": selectors.licence_state(licence),
            "fields": fields,
        },
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@page
@require_http_methods(["GET"])
def licence_pdf(request: HttpRequest, licence_id: str) -> HttpResponse:
    """The signed PDF of a licence the user may read (404 otherwise). A person's PDF
    carries their full identity and cannot be masked: only the holder and the roles
    that need it get it (403), and each such read is recorded (ADR 0100)."""
    licence, pdf = selectors.get_licence_pdf_for(
        request.user, licence_id, personal_data.Channel.WEB
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.identifier}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
