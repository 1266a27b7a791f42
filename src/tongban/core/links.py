"""Absolute public URLs on TONGBAN_PUBLIC_BASE_URL, for links printed on documents (the QR
codes of notices and e-licences) and sent in notifications."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    base = str(getattr(settings, "TONGBAN_PUBLIC_BASE_URL", "") or "http://127.0.0.1:8000")
    return base.rstrip("/") + "/" + path.lstrip("/")
