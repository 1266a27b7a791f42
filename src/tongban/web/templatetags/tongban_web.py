"""Template helpers of the workbench: translated labels, masking, overdue badges and the
header showing who the user is, where and in which roles."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from tongban.core import masking
from tongban.web import labels, qr
from tongban.web import selectors as web_selectors

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    return labels.status_label(value)


@register.filter
def action_label(value: str) -> str:
    return labels.action_label(value)


@register.filter
def choice(value: str, kind: str) -> str:
    """{{ case.mode|choice:"mode" }}"""
    return labels.choice_label(kind, value)


@register.filter
def overdue_label(level: str) -> str:
    return labels.overdue_label(level)


@register.filter
def mask_id(value: str) -> str:
    return masking.mask_id_number(value)


@register.filter
def mask_name(value: str) -> str:
    return masking.mask_name(value)


@register.filter
def mask_phone(value: str) -> str:
    return masking.mask_phone(value)


@register.filter
def mask_address(value: str) -> str:
    return masking.mask_address(value)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def actor_role(value: str) -> str:
    if value == "applicant":
        return gettext("申请人")
    if value == "system":
        return gettext("系统")
    return labels.choice_label("role", value)


@register.filter
def notification_text(template_name: str, context: dict[str, Any]) -> str:
    """The text the applicant was sent, in the page's language, with secrets (the
    pickup code) replaced: they reach the applicant by SMS or e-mail only. In demo mode
    there is no SMS gateway, so the applicant's own page shows the full text instead
    (docs/adr/0070-web-workbench.md)."""
    from django.conf import settings

    from tongban.notifications.rendering import render

    try:
        rendered = render("sms", template_name, translation.get_language(), context)
    except Exception:  # a missing template must not break the case page
        return template_name
    return rendered.text if settings.DEMO_MODE else rendered.redacted_text


@register.filter
def material_state(post: Any, pk: int) -> str:
    """The ticked state of checklist line `pk` in a re-shown form (default: none ticked,
    the clerk ticks what was actually received)."""
    value = post.get(f"m{pk}_state") if post else None
    return str(value or "")


@register.filter
def applicant_display(applicant: Any) -> str:
    """Masked name and identifier: a person's name and ID number are personal data; an
    enterprise's name and credit code are public, its agent's are not."""
    if applicant is None:
        return ""
    if applicant.kind == "person":
        return f"{masking.mask_name(applicant.name)} {masking.mask_id_number(applicant.id_number)}"
    agent = masking.mask_name(applicant.agent_name)
    return f"{applicant.name} {applicant.uscc}" + (f"({agent})" if agent else "")


@register.filter
def jurisdiction_name(jurisdiction: Any) -> str:
    if jurisdiction is None:
        return ""
    return str(jurisdiction.short_name or jurisdiction.name)


@register.inclusion_tag("web/_overdue_badge.html")
def overdue_badge(level: str) -> dict[str, str]:
    return {"level": level or "green", "label": labels.overdue_label(level or "green")}


@register.inclusion_tag("web/_user_bar.html", takes_context=True)
def user_bar(context: template.Context) -> dict[str, Any]:
    """Who is logged in, their roles per jurisdiction, and the navigation they may use."""
    request = context.get("request")
    user = getattr(request, "user", None)
    places = web_selectors.places_of(user) if user is not None else []
    roles = {p.role for p in places}
    nav: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        if not web_selectors.is_staff_user(user):
            nav = [
                ("web:my-cases", gettext_noop("我的办件")),
                ("web:my-licences", gettext_noop("我的证照")),
                ("web:apply", gettext_noop("在线申报")),
                ("web:my-appointments", gettext_noop("预约办事")),
                ("ratings:mine", gettext_noop("我的评价")),
                ("web:my-data-reads", gettext_noop("谁查看了我的信息")),
            ]
        else:
            if "clerk" in roles:
                nav.append(("web:clerk", gettext_noop("收件工作台")))
                nav.append(("ratings:pad", gettext_noop("窗口评价器")))
            if roles & {"clerk", "head", "admin"}:
                nav.append(("web:hall", gettext_noop("大厅叫号")))
            if roles & {"clerk", "officer", "head", "supervisor", "admin", "platform_admin"}:
                nav.append(("web:queue", gettext_noop("办件队列")))
            if roles & {"clerk", "officer", "head"}:
                nav.append(("web:delivery", gettext_noop("寄递台")))
            if roles & {"supervisor", "head", "admin", "platform_admin"} or user.is_superuser:
                nav.append(("web:overview", gettext_noop("监督总览")))
            if roles & {"supervisor", "admin", "platform_admin"} or user.is_superuser:
                nav.append(("stats:dashboard", gettext_noop("统计分析")))
            if places:
                nav.append(("ratings:tasks", gettext_noop("差评整改")))
            if any(p.jurisdiction is not None for p in places):
                nav.append(("consultations:list", gettext_noop("咨询登记")))
        nav.append(("ratings:summaries", gettext_noop("好差评公示")))
    nav.append(("web:guides", gettext_noop("办事指南")))
    return {
        "request": request,
        "user": user,
        "places": places,
        "nav": nav,
        "is_admin_user": bool(user is not None and getattr(user, "is_staff", False)),
        "LANGUAGE_CODE": translation.get_language(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def licence_qr(identifier: str) -> SafeString:
    """The QR code of a licence's verification page, inline SVG (web/qr.py)."""
    return qr.qr_svg(
        qr.licence_verification_url(identifier),
        gettext("电子证照核验二维码 %(identifier)s") % {"identifier": identifier},
    )


@register.simple_tag
def licence_verify_url(identifier: str) -> str:
    return qr.licence_verification_url(identifier)


@register.simple_tag
def share_qr(url: str) -> SafeString:
    """The QR code of a licence share link, for the window clerk to scan."""
    return qr.qr_svg(url, gettext("证照分享链接二维码"))


@register.simple_tag(takes_context=True)
def field_attrs(context: Any, name: str, described_by: str = "") -> str:
    """` aria-invalid="true" aria-describedby="err-<name> …"` on an input the refused
    form marked (ADR 0123), plus the data attributes of a conditional rule it has; keeps
    an input's own description (`described_by`)."""
    from django.utils.html import format_html_join

    from tongban.web.forms import required_when_attrs

    errors = context.get("page_errors")
    attrs: dict[str, str] = dict(required_when_attrs(name))
    ids = [described_by] if described_by else []
    if errors is not None and name in errors.by_input:
        attrs["aria-invalid"] = "true"
        ids.insert(0, f"err-{name}")
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return format_html_join("", ' {}="{}"', attrs.items())


@register.simple_tag(takes_context=True)
def field_error(context: Any, name: str) -> str:
    """The message of a refused input, beside it (what `field_attrs` points at)."""
    from django.utils.html import format_html

    errors = context.get("page_errors")
    if errors is None or name not in errors.by_input:
        return ""
    return format_html('<p class="field-error" id="err-{}">{}</p>', name, errors.by_input[name])


@register.filter
def line_key(pk: Any, suffix: str) -> str:
    """`m<pk>_<suffix>`: the input name of a checklist line."""
    return f"m{pk}_{suffix}"


@register.filter
def getlist(post: Any, name: str) -> list[str]:
    """Every value posted for `name` (ticked boxes, repeated rows) in a re-shown form."""
    return list(post.getlist(name)) if hasattr(post, "getlist") else []


@register.filter
def at(values: Any, index: int) -> Any:
    """`values[index]`, or "" past its end."""
    try:
        return values[index]
    except (IndexError, TypeError, KeyError):
        return ""


@register.filter
def field_invalid(field: Any) -> str:
    """A Django form field refused by the submission, rendered with `aria-invalid` and
    `aria-describedby` pointing at its message (`err-<name>`)."""
    return str(
        field.as_widget(
            attrs={"aria-invalid": "true", "aria-describedby": f"err-{field.html_name}"}
        )
    )
