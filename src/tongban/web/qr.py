"""QR codes drawn in the page as inline SVG (我的证照, issue 15 §4).

segno (pure Python, no dependencies, maintained since 2016) writes the SVG path itself:
no image file to serve or cache, nothing inline that the Content-Security-Policy refuses
(the colours are SVG attributes, not styles), and the code stays sharp at any zoom. The
PDFs keep reportlab's own QR drawing. docs/adr/0125-licence-qr-share-and-phone-layout.md."""

from __future__ import annotations

import segno
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tongban.core.links import public_url


def qr_svg(text: str, label: str) -> SafeString:
    """`text` as a QR code (error correction M: survives a scuffed phone screen), an
    image whose accessible name is `label`."""
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(scale=4, svgclass="qr", lineclass=None, omitsize=True)
    # segno escapes nothing it is not given; the label is ours and escaped here
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def licence_verification_url(identifier: str) -> str:
    """The absolute address of a licence's public verification page."""
    return public_url(reverse("licences:verify", args=[identifier]))
