"""Two real Tongban node processes for the fault tests: each its own SQLite database,
its own port, its own gunicorn server, its own delivery worker, started and killed by
the test (docs/federation.md, "Tests")."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tongban.federation.testing import NODES, PASSPHRASE
from tongban.licences import pki as licence_pki

BIN = Path(sys.executable).parent
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class NodeProcess:
    code: str
    port: int
    database: Path
    federation: Path
    var: Path
    server: subprocess.Popen[bytes] | None = None
    deliverer: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TONGBAN_", "DATABASE_URL", "PYTEST", "DJANGO_"))
        }
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.database}",
                "TONGBAN_HOME": str(self.var),
                "TONGBAN_VAR_DIR": str(self.var),
                "TONGBAN_PKI_PASSPHRASE": PASSPHRASE,
                "TONGBAN_FEDERATION_DIR": str(self.federation),
                "TONGBAN_NODE_CODE": self.code,
                "TONGBAN_NODE_NAME": NODES[self.code]["name"],
                "TONGBAN_FAST_PASSWORD_HASHER": "1",
                "TONGBAN_FEDERATION_BACKOFF_SECONDS": "0.2",
                "TONGBAN_FEDERATION_BACKOFF_MAX_SECONDS": "1",
                "TONGBAN_FEDERATION_LEASE_SECONDS": "2",
                "TONGBAN_FEDERATION_POLL_SECONDS": "0.2",
                "TONGBAN_FEDERATION_TIMEOUT_SECONDS": "5",
                "TONGBAN_LOG_LEVEL": "WARNING",
            }
        )
        env.update(extra)
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = self.var / f"{self.code}-{name}-{len(self.logs)}.log"
        self.logs.append(log)
        # own session: kill -9 reaches the gunicorn master and its worker together
        return subprocess.Popen(
            args,
            env=self.env(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tongban(
        self, *args: str, check: bool = True, timeout: float = TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "tongban"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tongban {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    # ---- the server ---------------------------------------------------------------------

    def start(self) -> None:
        self.server = self._spawn(
            "server",
            [
                str(BIN / "gunicorn"),
                "tongban.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--graceful-timeout",
                "2",
            ],
        )
        wait_for(self.answers, what=f"node {self.code} on :{self.port}")

    def answers(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise AssertionError(f"node {self.code} exited: {self.logs[-1].read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/api/v1/federation/node", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill9(self) -> None:
        """SIGKILL to the server's whole process group: no shutdown code runs."""
        _kill_group(self.server)
        self.server = None

    def stop(self) -> None:
        _stop_group(self.server)
        self.server = None

    # ---- the delivery worker ------------------------------------------------------------

    def start_deliverer(self) -> None:
        self.deliverer = self._spawn(
            "deliver", [str(BIN / "tongban"), "federation", "deliver", "--poll", "0.2"]
        )

    def kill9_deliverer(self) -> None:
        _kill_group(self.deliverer)
        self.deliverer = None

    def stop_deliverer(self) -> None:
        _stop_group(self.deliverer)
        self.deliverer = None

    # ---- reading the node's database ----------------------------------------------------

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as db:
            rows = list(db.execute(sql, params).fetchall())
            db.commit()
            return rows

    def inbound(self, case: str) -> list[tuple[object, ...]]:
        return self.rows(
            "SELECT seq, state, message_id FROM federation_inboundmessage "
            "WHERE case_ref = ? ORDER BY seq",
            case,
        )

    def outbound_states(self, case: str) -> dict[str, int]:
        return dict(
            self.rows(  # type: ignore[arg-type]
                "SELECT state, count(*) FROM federation_outboundmessage "
                "WHERE case_ref = ? GROUP BY state",
                case,
            )
        )

    def rejections(self) -> list[tuple[object, ...]]:
        return self.rows("SELECT code, claimed_peer FROM federation_rejectedmessage ORDER BY id")


def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _stop_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _kill_group(process)


@contextlib.contextmanager
def two_nodes(directory: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Hubei and Henan: one migrated database with the test world, copied for each node
    (so both hold the same agreement), a federation under `directory`, both servers up."""
    from tongban.federation.testing import make_federation

    federation = directory / "federation"
    federation.mkdir()
    ports = {"hubei": free_port(), "henan": free_port()}
    nodes = {
        code: NodeProcess(
            code=code,
            port=port,
            database=directory / f"{code}.sqlite3",
            federation=federation,
            var=directory / code,
        )
        for code, port in ports.items()
    }
    for node in nodes.values():
        node.var.mkdir()
    # each node's licence root CA (its `setup-pki` keeps it) is published in the trust
    # list, so a licence one node signs verifies on the other (ADR 0132)
    roots = {
        code: [
            licence_pki.ensure_root(
                licence_pki.paths(node.var / "pki"), PASSPHRASE.encode(), "ecdsa"
            )[0]
        ]
        for code, node in nodes.items()
    }
    make_federation(
        federation, {code: node.url for code, node in nodes.items()}, licence_roots=roots
    )
    template = nodes["hubei"]
    template.tongban(
        "shell",
        "-c",
        "from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); "
        "from tongban.testing.world import build_world; build_world(); "
        "from tongban.federation.tests.xinyang import add_xinyang; add_xinyang()",
        # every migration on a fresh SQLite file: minutes on a loaded 2-core machine
        timeout=900,
    )
    shutil.copyfile(template.database, nodes["henan"].database)
    try:
        for node in nodes.values():
            node.start()
        yield nodes["hubei"], nodes["henan"]
    finally:
        for node in nodes.values():
            _kill_group(node.deliverer)
            _stop_group(node.server)
