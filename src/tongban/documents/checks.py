"""System check: warn at start-up when no CJK font can be embedded in notices."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.core.exceptions import ImproperlyConfigured

from tongban.core.fonts import INSTALL_HINT, find_cjk_font


@register()
def cjk_font_available(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        found = find_cjk_font()
    except ImproperlyConfigured as exc:
        return [Warning(str(exc), id="tongban.documents.W002")]
    if found is None:
        return [Warning(INSTALL_HINT, id="tongban.documents.W001")]
    return []
