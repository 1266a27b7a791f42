"""The delivery worker: claims due outbox messages and delivers each on every channel,
each channel at most once. `tongban run-worker` holds one for its process and runs a pass
whenever the `deliver_notifications` task is nudged or swept (notifications/tasks.py,
ADR 0121).

Every step that matters is its own short committed transaction, so a worker killed at
any instant leaves rows that say exactly how far it got:

    delivery  pending ──claim──▶ sending ──handover──▶ confirming ──reply──▶ sent
                  ▲                 │                      │
                  └── not handed over (error or crash) ◀───┘ no reply / crash → in_doubt

- `sending` after a crash: nothing was handed over (for SMTP: the final "." of DATA was
  never sent, so the server keeps nothing) → back to `pending`, retried automatically.
- `confirming` after a crash: handed over, answer unknown → `in_doubt`; never resent
  automatically (that could duplicate it); an operator checks the Message-ID in the mail
  server's log and confirms or resends in the admin.

Who is dead: each worker holds a liveness lock under a random token and stamps the rows
it claims with it. PostgreSQL: a session advisory lock (released by the server the moment
the worker's connection dies), so several workers can run side by side and each
recognises the others' orphans. SQLite: an exclusive file lock next to the database file
(released by the kernel when the process dies); only one worker runs at a time, so every
foreign token is an orphan. All transitions are compare-and-set on the row's state and
token, so even a worker wrongly taken for dead cannot cause a second send.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import threading
import traceback
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from tongban.core.masking import mask_phone
from tongban.notifications.channels import Channel, EmailChannel, SmsChannel
from tongban.notifications.errors import ClaimLost, DeliveryInDoubt, NotDelivered
from tongban.notifications.models import OutboxDelivery, OutboxMessage
from tongban.notifications.redaction import (
    describe_error,
    mask_email,
    redact_context,
    scrub,
    secrets_of,
)
from tongban.notifications.rendering import render, resolve_language

logger = logging.getLogger("tongban.notifications")

# first key of the two-key advisory lock: "TBNT"; the second is the worker's token
ADVISORY_NAMESPACE = 0x54424E54
M = OutboxMessage.State
D = OutboxDelivery.State
NO_CONTACT = "申请人没有可用的联系方式(电子邮箱或手机号) / applicant has no e-mail or mobile"


class WorkerBusy(Exception):
    """Another worker already serves this SQLite database."""


@dataclass(frozen=True)
class WorkerConfig:
    max_attempts: int = 8
    backoff_seconds: float = 60
    backoff_max_seconds: float = 3600
    poll_seconds: float = 10

    @classmethod
    def from_settings(cls) -> WorkerConfig:
        return cls(
            max_attempts=max(1, int(getattr(settings, "TONGBAN_NOTIFY_MAX_ATTEMPTS", 8))),
            backoff_seconds=float(getattr(settings, "TONGBAN_NOTIFY_BACKOFF_SECONDS", 60)),
            backoff_max_seconds=float(
                getattr(settings, "TONGBAN_NOTIFY_BACKOFF_MAX_SECONDS", 3600)
            ),
            poll_seconds=float(getattr(settings, "TONGBAN_NOTIFY_POLL_SECONDS", 10)),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the `attempts`-th unsuccessful round: base, 2×base, 4×base... capped."""
        seconds = self.backoff_seconds * (2 ** max(0, attempts - 1))
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass
class RunStats:
    processed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    in_doubt: int = 0
    recovered: int = 0
    states: list[str] = field(default_factory=list)

    def count(self, state: str) -> None:
        self.processed += 1
        self.states.append(state)
        if state == M.SENT:
            self.sent += 1
        elif state == M.PENDING:
            self.retrying += 1
        elif state == M.FAILED:
            self.failed += 1
        elif state == M.IN_DOUBT:
            self.in_doubt += 1

    def __str__(self) -> str:
        return (
            f"processed={self.processed} sent={self.sent} retrying={self.retrying} "
            f"failed={self.failed} in_doubt={self.in_doubt} recovered={self.recovered}"
        )


# ---- liveness: which worker tokens belong to a living worker ----------------------------

_LOCAL_TOKENS: set[str] = set()


def _new_token() -> str:
    return str(secrets.randbelow(2**31 - 2) + 1)


class Liveness:
    """In-process registry: for databases only this process can reach (in-memory SQLite)."""

    token = ""

    def acquire(self) -> str:
        self.token = _new_token()
        _LOCAL_TOKENS.add(self.token)
        return self.token

    def release(self) -> None:
        _LOCAL_TOKENS.discard(self.token)

    @contextlib.contextmanager
    def probe(self, token: str) -> Iterator[bool]:
        """Yields True if the worker holding `token` is gone (and keeps it gone meanwhile)."""
        yield token not in _LOCAL_TOKENS


class FileLiveness(Liveness):
    """SQLite: one worker per database file, held by an exclusive flock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> str:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            os.close(fd)
            raise WorkerBusy(f"another worker holds {self.path}") from error
        self.fd = fd
        return super().acquire()

    def release(self) -> None:
        super().release()
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
            self.fd = None

    @contextlib.contextmanager
    def probe(self, token: str) -> Iterator[bool]:
        # we hold the only lock: no other worker on this database is alive
        yield token != self.token


class PostgresLiveness(Liveness):
    """A session-level advisory lock (ADVISORY_NAMESPACE, token) held on the worker's own
    database connection: the server drops it when that connection ends, however it ends."""

    def _try_lock(self, token: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, token])
            return bool(cursor.fetchone()[0])

    def _unlock(self, token: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, token])

    def acquire(self) -> str:
        while True:
            token = _new_token()
            if self._try_lock(int(token)):
                self.token = token
                return token

    def release(self) -> None:
        if self.token:
            with contextlib.suppress(DatabaseError, InterfaceError):
                self._unlock(int(self.token))

    @contextlib.contextmanager
    def probe(self, token: str) -> Iterator[bool]:
        if token == self.token:
            yield False
            return
        if not token.isdigit() or not 0 < int(token) < 2**31:
            yield True  # not a token any worker could hold
            return
        if not self._try_lock(int(token)):
            yield False
            return
        try:
            yield True
        finally:
            self._unlock(int(token))


def liveness_for_database() -> Liveness:
    if connection.vendor == "postgresql":
        return PostgresLiveness()
    if connection.vendor == "sqlite" and not cast(Any, connection).is_in_memory_db():
        return FileLiveness(f"{connection.settings_dict['NAME']}.worker.lock")
    return Liveness()


# ---- the worker -------------------------------------------------------------------------


def default_channels() -> list[Channel]:
    return [EmailChannel(), SmsChannel()]


def _reference(message: OutboxMessage, channel: str) -> str:
    unique = uuid.uuid4().hex
    if channel == OutboxDelivery.Channel.EMAIL:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "tongban.localhost"
        return f"<{unique}.{message.pk}@{domain}>"
    return f"tb-{message.pk}-{unique[:16]}"


def _masked_address(channel: str, address: str) -> str:
    return mask_email(address) if channel == OutboxDelivery.Channel.EMAIL else mask_phone(address)


class Worker:
    def __init__(
        self,
        channels: Sequence[Channel] | None = None,
        config: WorkerConfig | None = None,
        liveness: Liveness | None = None,
        *,
        allow_in_transaction: bool = False,
    ) -> None:
        # allow_in_transaction: only for tests that drive the worker inside pytest-django's
        # per-test transaction (every commit below becomes a savepoint there)
        self.allow_in_transaction = allow_in_transaction
        self.channels = {c.name: c for c in (channels or default_channels())}
        self.config = config or WorkerConfig.from_settings()
        self._liveness = liveness
        self.token = ""

    # ---- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        if connection.in_atomic_block and not self.allow_in_transaction:
            # each step must commit on its own: inside a transaction nothing would
            raise RuntimeError("the notification worker must not run inside a transaction")
        self._liveness = self._liveness or liveness_for_database()
        self.token = self._liveness.acquire()
        logger.info("notification worker %s started", self.token)

    def stop(self) -> None:
        if self._liveness is not None and self.token:
            self._liveness.release()
            logger.info("notification worker %s stopped", self.token)
        self.token = ""

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---- one pass -----------------------------------------------------------------------

    def run_once(
        self, now: datetime | None = None, stop: threading.Event | None = None
    ) -> RunStats:
        """Recover orphans, then deliver every message that is due (until `stop` is set);
        returns what happened."""
        if not self.token:
            raise RuntimeError("call start() first (or use the worker as a context manager)")
        stats = RunStats()
        stats.recovered = self.recover(now or timezone.now())
        while stop is None or not stop.is_set():
            moment = now or timezone.now()
            message_id = self._claim(moment)
            if message_id is None:
                return stats
            try:
                self._deliver(message_id, moment)
                state = self._settle_claimed(message_id, moment)
            except (DatabaseError, InterfaceError):
                raise
            except Exception as error:  # a bug must not strand the message
                logger.error(
                    "notification %s: unexpected error, re-queued: %s\n%s",
                    message_id,
                    describe_error(error),
                    scrub("".join(traceback.format_exception(error))),
                )
                self._recover_token(self.token, moment, immediate=False)
                state = M.PENDING
            stats.count(state)
        return stats

    def abandon(self) -> None:
        """After a database error: give up the liveness lock and the connection; the next
        pass starts afresh (and recovers what this one left claimed)."""
        with contextlib.suppress(Exception):
            if self._liveness is not None:
                self._liveness.release()
        with contextlib.suppress(Exception):
            connection.close()
        self.token = ""

    # ---- claiming -----------------------------------------------------------------------

    def _claim(self, now: datetime) -> int | None:
        with transaction.atomic():
            message_id = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(state=M.PENDING, claimed_by="")
                .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
                .order_by("next_attempt_at", "id")
                .values_list("id", flat=True)
                .first()
            )
            if message_id is None:
                return None
            OutboxMessage.objects.filter(id=message_id).update(
                claimed_by=self.token, claimed_at=now, attempts=F("attempts") + 1
            )
            message = OutboxMessage.objects.get(id=message_id)
            existing = set(message.deliveries.values_list("channel", flat=True))
            OutboxDelivery.objects.bulk_create(
                [
                    OutboxDelivery(
                        message=message, channel=name, reference=_reference(message, name)
                    )
                    for name in self.channels
                    if name not in existing
                ]
            )
            return message_id

    # ---- delivering ---------------------------------------------------------------------

    def _deliver(self, message_id: int, now: datetime) -> None:
        message = OutboxMessage.objects.select_related("applicant", "recipient").get(id=message_id)
        # a staff notification goes to its recipient (a User), otherwise to the applicant
        applicant: Any = message.recipient if message.recipient_id else message.applicant
        secret_values = secrets_of(message.context)
        language = resolve_language(
            message.language or getattr(applicant, "preferred_language", "") or ""
        )
        name = (
            message.recipient.display_name or message.recipient.username
            if message.recipient is not None
            else getattr(applicant, "name", "")
        )
        context = {**message.context, "applicant_name": name}
        order = list(self.channels)
        deliveries = sorted(
            message.deliveries.filter(state=D.PENDING),
            key=lambda d: order.index(d.channel) if d.channel in order else len(order),
        )
        for delivery in deliveries:
            channel = self.channels.get(delivery.channel)
            if channel is None:
                self._cas(delivery.id, [D.PENDING], D.FAILED, last_error="unknown channel")
                continue
            address = channel.address(applicant) if applicant is not None else None
            if not address:
                self._cas(delivery.id, [D.PENDING], D.SKIPPED, finished_at=now, last_error="")
                continue
            try:
                content = render(channel.name, message.template, language, context)
            except Exception as error:
                self._cas(
                    delivery.id,
                    [D.PENDING],
                    D.PENDING,
                    last_error=describe_error(error, secret_values),
                )
                continue
            claimed = self._cas(
                delivery.id,
                [D.PENDING],
                D.SENDING,
                worker=self.token,
                started_at=now,
                attempts=F("attempts") + 1,
            )
            if not claimed:
                continue
            self._attempt(message, delivery, channel, address, content, secret_values, now)

    def _attempt(
        self,
        message: OutboxMessage,
        delivery: OutboxDelivery,
        channel: Channel,
        address: str,
        content: Any,
        secret_values: list[str],
        now: datetime,
    ) -> None:
        mine = {"worker": self.token}

        def handover() -> None:
            if not self._cas(delivery.id, [D.SENDING], D.CONFIRMING, only=mine):
                raise ClaimLost()

        where = f"notification {message.pk} {channel.name} {_masked_address(channel.name, address)}"
        try:
            channel.deliver(address, content, delivery.reference, handover)
        except ClaimLost:
            logger.warning("%s: taken over by another worker, not sent", where)
        except NotDelivered as error:
            reason = describe_error(error, secret_values)
            target = D.FAILED if error.permanent else D.PENDING
            self._cas(
                delivery.id,
                [D.SENDING, D.CONFIRMING],
                target,
                only=mine,
                worker="",
                last_error=reason,
                finished_at=now if error.permanent else None,
            )
            logger.warning("%s: not delivered (%s): %s", where, target, reason)
        except Exception as error:
            # DeliveryInDoubt, or anything unexpected: classified by how far we got
            reason = describe_error(error, secret_values)
            if self._cas(
                delivery.id, [D.SENDING], D.PENDING, only=mine, worker="", last_error=reason
            ):
                logger.warning("%s: not handed over, will retry: %s", where, reason)
            else:
                note = f"已交付但未获确认,请按投递标识 {delivery.reference} 核实: {reason}"
                self._cas(
                    delivery.id,
                    [D.CONFIRMING],
                    D.IN_DOUBT,
                    only=mine,
                    worker="",
                    last_error=note[:255],
                    finished_at=now,
                )
                level = logging.ERROR if isinstance(error, DeliveryInDoubt) else logging.CRITICAL
                logger.log(
                    level,
                    "%s: IN DOUBT (%s), operator must check: %s",
                    where,
                    delivery.reference,
                    reason,
                )
        else:
            done: dict[str, Any] = {"finished_at": now, "last_error": "", "worker": ""}
            if not self._cas(delivery.id, [D.SENDING, D.CONFIRMING], D.SENT, only=mine, **done):
                # recovered as in doubt meanwhile, but the server did say yes
                self._cas(delivery.id, [D.IN_DOUBT], D.SENT, **done)
            logger.info("%s: sent (%s)", where, delivery.reference)

    def _cas(
        self,
        delivery_id: int,
        from_states: Iterable[str],
        to_state: str,
        only: dict[str, Any] | None = None,
        **fields: Any,
    ) -> bool:
        """Compare-and-set, committed at once: the row moves only if it is still in one of
        `from_states` (and matches `only`)."""
        with transaction.atomic():
            changed = OutboxDelivery.objects.filter(
                id=delivery_id, state__in=list(from_states), **(only or {})
            ).update(state=to_state, **fields)
        return changed == 1

    # ---- settling the message -----------------------------------------------------------

    def _settle_claimed(self, message_id: int, now: datetime) -> str:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update().get(id=message_id)
            if message.claimed_by != self.token:
                return str(message.state)  # recovered by someone else meanwhile
            self._settle(message, now, immediate=False)
            return str(message.state)

    def _settle(self, message: OutboxMessage, now: datetime, *, immediate: bool) -> None:
        """Derive the message's state from its deliveries and release the claim. Runs in
        the caller's transaction with the message row locked."""
        deliveries = list(message.deliveries.all())
        errors = [d.last_error for d in deliveries if d.last_error and d.state != D.SENT]
        message.claimed_by = ""
        message.claimed_at = None
        pending = [d for d in deliveries if d.state == D.PENDING]
        if pending and message.attempts < self.config.max_attempts:
            message.state = M.PENDING
            message.next_attempt_at = (
                now if immediate else now + self.config.backoff(message.attempts)
            )
            message.last_error = "; ".join(errors)[:255]
            message.save()
            return
        for d in pending:
            d.state = D.FAILED
            d.finished_at = now
            d.last_error = f"已尝试 {message.attempts} 次,放弃 / gave up: {d.last_error}"[:255]
            d.save(update_fields=["state", "finished_at", "last_error"])
        states = {d.state for d in deliveries}
        if D.IN_DOUBT in states:
            message.state = M.IN_DOUBT
        elif D.FAILED in states:
            message.state = M.FAILED
        elif D.SENT in states:
            message.state = M.SENT
            message.sent_at = max(d.finished_at or now for d in deliveries if d.state == D.SENT)
            # the clear pickup code is needed only until it reached the applicant
            message.context = redact_context(message.context)
        else:
            message.state = M.FAILED
            errors = [NO_CONTACT]
        message.next_attempt_at = None
        message.last_error = "; ".join(errors)[:255]
        message.save()

    # ---- recovering orphans -------------------------------------------------------------

    def recover(self, now: datetime) -> int:
        """Release the claims of dead workers; returns how many messages were recovered."""
        tokens = set(
            OutboxMessage.objects.exclude(claimed_by="").values_list("claimed_by", flat=True)
        ) | set(
            OutboxDelivery.objects.filter(state__in=[D.SENDING, D.CONFIRMING])
            .exclude(worker="")
            .values_list("worker", flat=True)
        )
        tokens.discard(self.token)
        recovered = 0
        assert self._liveness is not None
        for token in sorted(tokens):
            with self._liveness.probe(token) as dead:
                if dead:
                    recovered += self._recover_token(token, now, immediate=True)
        return recovered

    def _recover_token(self, token: str, now: datetime, *, immediate: bool) -> int:
        with transaction.atomic():
            messages = list(OutboxMessage.objects.select_for_update().filter(claimed_by=token))
            OutboxDelivery.objects.filter(worker=token, state=D.SENDING).update(
                state=D.PENDING,
                worker="",
                last_error="发送进程在交付前中止,已重新排队 / worker stopped before handover",
            )
            for delivery in OutboxDelivery.objects.select_for_update().filter(
                worker=token, state=D.CONFIRMING
            ):
                delivery.state = D.IN_DOUBT
                delivery.worker = ""
                delivery.finished_at = now
                delivery.last_error = (
                    f"发送进程在等待服务器确认时中止,请按投递标识 {delivery.reference} 核实"
                )[:255]
                delivery.save(update_fields=["state", "worker", "finished_at", "last_error"])
                logger.error(
                    "notification %s %s: worker %s died awaiting the reply; IN DOUBT (%s)",
                    delivery.message_id,
                    delivery.channel,
                    token,
                    delivery.reference,
                )
            for message in messages:
                self._settle(message, now, immediate=immediate)
            if messages:
                logger.warning("recovered %d notification(s) from worker %s", len(messages), token)
            return len(messages)
