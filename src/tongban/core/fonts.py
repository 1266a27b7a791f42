"""The CJK font embedded in every notice and licence PDF.

reportlab embeds (a subset of) TrueType fonts only; CFF-flavoured OpenType such as Noto
Sans CJK / Source Han Sans cannot be embedded by it. So the font is a TrueType CJK font,
by default WenQuanYi Micro Hei from Debian's `fonts-wqy-microhei` (installed by the
project's set-up, see docs/adr/0040-notices-and-e-licences.md). `TONGBAN_CJK_FONT` points
at any other TrueType font or collection (".ttc" optionally followed by "#index")."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_NAME = "TongbanCJK"

# searched in order when TONGBAN_CJK_FONT is not set; all are TrueType-outline fonts
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch, Fedora
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)

INSTALL_HINT = (
    "No CJK TrueType font found. Install one (Debian/Ubuntu: apt-get install "
    "fonts-wqy-microhei) or set TONGBAN_CJK_FONT to a .ttf/.ttc file with TrueType outlines."
)


@dataclass(frozen=True)
class FontChoice:
    path: Path
    subfont_index: int = 0


def find_cjk_font() -> FontChoice | None:
    configured = (getattr(settings, "TONGBAN_CJK_FONT", "") or "").strip()
    if configured:
        path_text, _, index = configured.partition("#")
        path = Path(path_text).expanduser()
        if not path.is_file():
            raise ImproperlyConfigured(f"TONGBAN_CJK_FONT={configured!r}: no such file")
        return FontChoice(path, int(index or 0))
    for candidate in CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return FontChoice(path)
    return None


_lock = threading.Lock()
_registered: FontChoice | None = None


def cjk_font_name() -> str:
    """Register the CJK font with reportlab once per process and return its name.
    Parsing the font takes a few hundred milliseconds, so it happens only once."""
    global _registered
    if _registered is not None:
        return FONT_NAME
    with _lock:
        if _registered is None:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            choice = find_cjk_font()
            if choice is None:
                raise ImproperlyConfigured(INSTALL_HINT)
            try:
                font = TTFont(FONT_NAME, str(choice.path), subfontIndex=choice.subfont_index)
            except Exception as exc:  # reportlab raises TTFError and plain errors alike
                raise ImproperlyConfigured(
                    f"{choice.path} cannot be embedded ({exc}); it must have TrueType "
                    "outlines (CFF OpenType fonts such as Noto Sans CJK are not supported)."
                ) from exc
            pdfmetrics.registerFont(font)
            _registered = choice
    return FONT_NAME
