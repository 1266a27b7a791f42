"""Fixtures for the notification tests: a real SMTP server (aiosmtpd) on a free local port
that records what it accepts and can be told to misbehave, cases to notify about, and an
in-process worker."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from tongban.cases.models import Case
from tongban.notifications.actions import queue_case_notification
from tongban.notifications.models import OutboxMessage
from tongban.notifications.worker import ADVISORY_NAMESPACE, Worker, WorkerConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An SMTP server that keeps every message it accepts, like an MTA: the message is
    stored *before* the final reply is sent, so a reply lost on the way back still leaves
    the message delivered (the case that makes SMTP retries duplicate mail)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.rcpt_reply: str | None = None  # e.g. "550 ..." to refuse the recipient
        self.data_reply: str | None = None  # e.g. "451 ..." to refuse at end of DATA
        self.block_rcpt_on: int | None = None  # the n-th RCPT hangs until released
        self.block_data_on: int | None = None  # the n-th message is kept, then the reply hangs
        self.rcpt_count = 0
        self.data_count = 0
        self.blocked = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.rcpt_count += 1
        if self.block_rcpt_on == self.rcpt_count:
            await self._hang()
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        if self.block_data_on == self.data_count:
            await self._hang()
        return "250 OK queued"

    async def _hang(self) -> None:
        self.blocked.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


@pytest.fixture
def smtp_down(settings: Any) -> Iterator[Callable[[], SmtpSink]]:
    """Points EMAIL_PORT at a port where nothing listens; calling the fixture's value
    starts a server there (the mail server "comes back")."""
    port = free_port()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    started: list[SmtpSink] = []

    def come_back() -> SmtpSink:
        sink = SmtpSink(port)
        sink.start()
        started.append(sink)
        return sink

    yield come_back
    for sink in started:
        sink.stop()


@pytest.fixture
def sms_log(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.TONGBAN_SMS_PROVIDER = "tongban.notifications.sms.LogSmsProvider"
    return tmp_path / "sms.log"


@pytest.fixture
def make_case(world: Any) -> Callable[..., Case]:
    numbers = itertools.count(1)

    def make(
        applicant: str = "person", receiving: str = "420100Z01", handling: str = "420703400"
    ) -> Case:
        n = next(numbers)
        return Case.objects.create(
            number=f"{receiving}-20250310-{n:05d}",
            item=world.items["company"],
            implementation=world.implementations[("company", handling)],
            mode="proxy",
            channel="window",
            receiving_jurisdiction=world.jurisdictions[receiving],
            receiving_window=world.windows[receiving],
            handling_jurisdiction=world.jurisdictions[handling],
            applicant=world.applicants[applicant],
            submitted_by=world.user(f"{receiving}-clerk"),
            status="received",
            delivery_method="window",
            received_at=timezone.now(),
            promised_days=3,
            statutory_days=20,
        )

    return make


def queue(case: Case, template: str = "accepted", **extra: Any) -> OutboxMessage:
    """What the workflow does: queue inside the transaction of the case change."""
    context = {
        "case_number": case.number,
        "item_name": "企业设立登记",
        "status_label": "已受理(审查中)",
        **extra,
    }
    with transaction.atomic():
        return queue_case_notification(case, template, context)


@pytest.fixture
def make_worker(sms_log: Path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def make(**config: Any) -> Worker:
        values = {
            "max_attempts": 3,
            "backoff_seconds": 60,
            "backoff_max_seconds": 3600,
            "poll_seconds": 1,
            **config,
        }
        worker = Worker(config=WorkerConfig(**values), allow_in_transaction=True)
        worker.start()
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


@contextlib.contextmanager
def live_foreign_worker(token: str) -> Iterator[None]:
    """Holds `token`'s liveness lock the way another, living worker process would."""
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, int(token)])
            yield
        return
    if cast(Any, connection).is_in_memory_db():
        from tongban.notifications import worker as worker_module

        worker_module._LOCAL_TOKENS.add(token)
        try:
            yield
        finally:
            worker_module._LOCAL_TOKENS.discard(token)
        return
    pytest.skip("a file SQLite database allows a single worker only (tested in test_crash)")
