"""SMS providers. The worker talks to one object with `send(phone, text, ...)`; which one
is the dotted path in settings.TONGBAN_SMS_PROVIDER. A real gateway adapter (e.g. a
government SMS platform) implements the same protocol.

Rules every provider follows:
- raise `NotDelivered` when it *knows* the text did not leave (gateway said no, connection
  refused): the worker retries later;
- any other exception means "may have left" and the worker will not resend by itself;
- log only `redacted_text` (the text with the pickup code replaced by ******) and a
  masked phone number: the clear text is for the applicant's handset only.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from tongban.core.masking import mask_phone, mask_text
from tongban.notifications.errors import NotDelivered

DEFAULT_PROVIDER = "tongban.notifications.sms.LogSmsProvider"


@runtime_checkable
class SmsProvider(Protocol):
    def send(self, phone: str, text: str, *, reference: str, redacted_text: str) -> None:
        """Hand `text` to the gateway for `phone`. `reference` is stable across retries of
        the same message (pass it to gateways that de-duplicate, e.g. as their out-id)."""


class LogSmsProvider:
    """Development and demo stand-in for an SMS gateway: appends one line per SMS to
    VAR_DIR/sms.log. The line holds the masked phone number and the redacted text, never
    the full number or a pickup code, so the file can be read like any other log."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else Path(settings.VAR_DIR) / "sms.log"

    def send(self, phone: str, text: str, *, reference: str, redacted_text: str) -> None:
        body = " ".join(redacted_text.split())
        line = mask_text(
            f"{timezone.localtime().isoformat(timespec='seconds')} ref={reference} "
            f"to={mask_phone(phone)} text={body}"
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except OSError as error:  # nothing was written: safe to retry
            raise NotDelivered(f"cannot open SMS log: {error}") from error
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


@lru_cache(maxsize=8)
def _provider_class(path: str) -> type:
    return import_string(path)


def get_sms_provider() -> SmsProvider:
    path = getattr(settings, "TONGBAN_SMS_PROVIDER", "") or DEFAULT_PROVIDER
    provider = _provider_class(path)()
    if not isinstance(provider, SmsProvider):
        raise TypeError(f"{path} does not implement SmsProvider.send(phone, text, ...)")
    return provider
