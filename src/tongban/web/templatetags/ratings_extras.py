"""Template helpers of the rating pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_noop

register = template.Library()

EVENT_LABELS = {
    "rate": gettext_noop("申请人评价"),
    "rectification_opened": gettext_noop("派发整改任务"),
    "callback": gettext_noop("回访"),
    "rectified": gettext_noop("整改办结"),
    "appeal": gettext_noop("申诉"),
    "review": gettext_noop("复核"),
}


@register.filter
def rating_action(value: str) -> str:
    label = EVENT_LABELS.get(value)
    return gettext(label) if label else value
