"""Content checks for uploaded files: size and type, decided by the bytes, never by the
file name or the browser's Content-Type. The type is sniffed from the leading magic bytes
with the `filetype` library (docs/adr/0071-uploads.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Invalid

#: sniffed MIME type → the extension the stored file gets
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
ALLOWED_LABEL = "PDF、JPEG、PNG"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_HEADER_BYTES = 262  # filetype needs at most 262 bytes


def max_upload_bytes() -> int:
    return int(getattr(settings, "TONGBAN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedFile:
    """What the check found: the sniffed type, the size and the SHA-256 of the bytes."""

    content_type: str
    extension: str
    size: int
    sha256: str
    original_name: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read `upload` once: refuse an empty file, one larger than the limit, or one whose
    content is not a PDF, JPEG or PNG. Raises Invalid (422) with a message for the user;
    nothing is stored here."""
    name = (upload.name or "file").rsplit("/", 1)[-1][:255]
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise Invalid(
            _("The file '%(name)s' is larger than the %(megabytes)s MB limit."),
            code="file_too_large",
            details={"file": name, "max_bytes": limit},
            params={"name": name, "megabytes": _megabytes(limit)},
        )
    digest = hashlib.sha256()
    header = b""
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        if len(header) < _HEADER_BYTES:
            header += chunk[: _HEADER_BYTES - len(header)]
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            raise Invalid(
                _("The file '%(name)s' is larger than the %(megabytes)s MB limit."),
                code="file_too_large",
                details={"file": name, "max_bytes": limit},
                params={"name": name, "megabytes": _megabytes(limit)},
            )
    upload.seek(0)
    if size == 0:
        raise Invalid(
            _("The file '%(name)s' is empty."),
            code="empty_file",
            details={"file": name},
            params={"name": name},
        )
    kind = filetype.guess(header)
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise Invalid(
            _(
                "The file '%(name)s' is not an allowed type: only PDF, JPEG and "
                "PNG files are accepted (judged by the content, not the name)."
            ),
            code="file_type_not_allowed",
            details={"file": name, "detected": mime or "unknown", "allowed": list(ALLOWED_TYPES)},
            params={"name": name},
        )
    return CheckedFile(
        content_type=mime,
        extension=ALLOWED_TYPES[mime],
        size=size,
        sha256=digest.hexdigest(),
        original_name=name,
    )
