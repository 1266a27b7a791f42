"""Delivery channels. Each `deliver()` calls `handover()` right before the one step that
cannot be taken back, and raises:

- `NotDelivered` if it knows the message did not leave (safe to retry),
- `DeliveryInDoubt` if the message was handed over and no answer came back.

The worker commits the delivery row as `confirming` inside `handover()`, so a crash at any
point is classified correctly afterwards (see docs/adr/0050-notification-outbox.md).

E-mail: the SMTP server accepts a message only when it has received the final "." line
of DATA (RFC 5321 §4.1.1.4); a connection that breaks before that line leaves nothing
behind. So everything up to and including the message body is "not yet handed over"; only
the final "." and the wait for its reply are the in-doubt window. Connection, TLS and
login settings are Django's (EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, EMAIL_HOST_USER...).
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

from tongban.notifications.errors import DeliveryInDoubt, NotDelivered
from tongban.notifications.rendering import Rendered
from tongban.notifications.sms import SmsProvider, get_sms_provider

Handover = Callable[[], None]
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class Channel(Protocol):
    name: str

    def address(self, applicant: Any) -> str | None:
        """Where this applicant is reached on this channel, or None (channel skipped)."""

    def deliver(
        self, recipient: str, content: Rendered, reference: str, handover: Handover
    ) -> None: ...


def _reply_error(stage: str, code: int, reply: bytes | str) -> NotDelivered:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return NotDelivered(f"SMTP {stage} {code} {text}".strip(), permanent=code >= 500)


def _quote_data(data: bytes) -> bytes:
    # RFC 5321 §4.5.2 dot-stuffing, CRLF line endings, and a final CRLF before "."
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


class EmailChannel:
    name = "email"

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout or getattr(settings, "EMAIL_TIMEOUT", None) or 30

    def address(self, applicant: Any) -> str | None:
        return (getattr(applicant, "email", "") or "").strip() or None

    def build(self, recipient: str, content: Rendered, reference: str) -> EmailMessage:
        return EmailMessage(
            subject=content.subject,
            body=content.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            headers={"Message-ID": reference, "Auto-Submitted": "auto-generated"},
        )

    def deliver(
        self, recipient: str, content: Rendered, reference: str, handover: Handover
    ) -> None:
        email = self.build(recipient, content, reference)
        encoding = email.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(email.from_email, encoding)
        to = sanitize_address(recipient, encoding)
        data = _quote_data(email.message().as_bytes(linesep="\r\n"))  # type: ignore[call-arg]

        backend = EmailBackend(timeout=self.timeout, fail_silently=False)
        try:
            backend.open()
        except (OSError, smtplib.SMTPException) as error:
            raise NotDelivered(f"SMTP connect: {error}") from error
        conn = backend.connection
        assert conn is not None
        in_data = False
        try:
            try:
                conn.ehlo_or_helo_if_needed()
                options = [f"size={len(data)}"] if conn.has_extn("size") else []
                code, reply = conn.mail(sender, options)
                if code != 250:
                    raise _reply_error("MAIL", code, reply)
                code, reply = conn.rcpt(to)
                if code not in (250, 251):
                    raise _reply_error("RCPT", code, reply)
                conn.putcmd("data")
                code, reply = conn.getreply()
                if code != 354:
                    raise _reply_error("DATA", code, reply)
                in_data = True
                conn.send(data)
            except (OSError, smtplib.SMTPException) as error:
                raise NotDelivered(f"SMTP: {error}") from error

            # the point of no return: after "." the server may accept the message
            handover()
            try:
                conn.send(b".\r\n")
                code, reply = conn.getreply()
            except (OSError, smtplib.SMTPException) as error:
                raise DeliveryInDoubt(f"no reply to end of DATA: {error}") from error
            in_data = False
            if code != 250:
                raise _reply_error("end of DATA", code, reply)
        finally:
            if in_data:
                # never QUIT inside DATA (it would become message text); just drop the line
                conn.close()
                backend.connection = None
            try:
                backend.close()
            except Exception:  # a failing QUIT changes nothing about the delivery
                backend.connection = None


class SmsChannel:
    name = "sms"

    def __init__(self, provider: SmsProvider | None = None) -> None:
        self.provider = provider or get_sms_provider()

    def address(self, applicant: Any) -> str | None:
        phone = "".join((getattr(applicant, "phone", "") or "").split()).removeprefix("+86")
        return phone if _MOBILE.match(phone) else None

    def deliver(
        self, recipient: str, content: Rendered, reference: str, handover: Handover
    ) -> None:
        handover()
        self.provider.send(
            recipient, content.text, reference=reference, redacted_text=content.redacted_text
        )
