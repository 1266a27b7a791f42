"""Two real Tongban node processes for the fault tests: each its own database, its own
port, its own gunicorn server, its own delivery worker, started and killed by the test
(docs/federation.md, "Tests").

The nodes use the backend the suite runs on: SQLite files, or, when DATABASE_URL is a
PostgreSQL URL, a database per node on that server, named after the pytest-xdist worker
so parallel workers never share one. Either way the world is migrated and built once per
test process into a template (a file copied, or `CREATE DATABASE … TEMPLATE`), and every
pair of nodes starts from a copy of it."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
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


# ---- the nodes' databases ----------------------------------------------------------------


class NodeDatabase:
    """One node's database, read and written by the test directly (never through Django:
    the test process's own connection is the test database). SQL uses `?` placeholders
    on both backends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))

    @property
    def name(self) -> str:
        return str(dj_database_url.parse(self.url)["NAME"])

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as db:
                # without parameters psycopg reads the SQL as is (a LIKE '%…' stays literal)
                query = sql.replace("?", "%s") if params else sql
                cursor = db.execute(query.encode(), params or None)
                return list(cursor.fetchall()) if cursor.description else []
        with contextlib.closing(sqlite3.connect(self.name, timeout=30)) as lite:
            rows = list(lite.execute(sql, params).fetchall())
            lite.commit()
            return rows


def _postgres_admin(sql: str, *names: str) -> None:
    """CREATE/DROP DATABASE (no transaction) on the suite's server, from its maintenance
    database `postgres` as Django's test runner does (the database DATABASE_URL names
    need not exist), else from that database."""
    import psycopg
    from psycopg import sql as pgsql

    statement = pgsql.SQL(sql).format(*(pgsql.Identifier(name) for name in names))
    try:
        connection = psycopg.connect(_postgres_url("postgres"), autocommit=True)
    except psycopg.OperationalError:
        connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    with connection:
        connection.execute(statement)


def _postgres_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _uses_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _name_prefix() -> str:
    """Unique per server and test process: the suite's database name and the xdist worker
    (pytest-django names its test databases the same way)."""
    base = str(dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"])
    return f"test_{base}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_node"


_template: dict[str, Any] = {}


def _drop_template() -> None:
    if "postgres" in _template:
        _postgres_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", _template["postgres"])
    if "directory" in _template:
        shutil.rmtree(_template["directory"], ignore_errors=True)


def _world_template(federation: Path, home: Path) -> str:
    """The template database of this test process: migrated, with the test world and the
    信阳 agreement, made on first use and dropped when the process ends."""
    if "url" in _template:
        return str(_template["url"])
    if _uses_postgres():
        name = f"{_name_prefix()}_template"
        _postgres_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        _postgres_admin("CREATE DATABASE {}", name)
        _template["postgres"] = name
        url = _postgres_url(name)
    else:
        directory = Path(tempfile.mkdtemp(prefix="tongban-node-template-"))
        _template["directory"] = directory
        url = f"sqlite:///{directory / 'template.sqlite3'}"
    atexit.register(_drop_template)
    builder = NodeProcess("hubei", 0, NodeDatabase(url), federation, home)
    builder.tongban(
        "shell",
        "-c",
        "from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); "
        "from tongban.testing.world import build_world; build_world(); "
        "from tongban.federation.tests.xinyang import add_xinyang; add_xinyang()",
        # every migration on a fresh database: minutes on a loaded 2-core machine
        timeout=900,
    )
    _template["url"] = url
    return url


def _copy_database(template: str, code: str, directory: Path) -> NodeDatabase:
    if template.startswith("sqlite:"):
        path = directory / f"{code}.sqlite3"
        shutil.copyfile(NodeDatabase(template).name, path)
        return NodeDatabase(f"sqlite:///{path}")
    name = f"{_name_prefix()}_{code}"
    _postgres_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    _postgres_admin("CREATE DATABASE {} TEMPLATE {}", name, NodeDatabase(template).name)
    return NodeDatabase(_postgres_url(name))


def _drop_database(database: NodeDatabase) -> None:
    if database.postgres:
        _postgres_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", database.name)


# ---- a node process -----------------------------------------------------------------------


@dataclass
class NodeProcess:
    code: str
    port: int
    database: NodeDatabase
    federation: Path
    var: Path
    #: shifts this node's federation clock (TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS)
    clock_offset: float = 0.0
    server: subprocess.Popen[bytes] | None = None
    deliverer: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
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
                "DATABASE_URL": self.database.url,
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
                "TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS": str(self.clock_offset),
            }
        )
        env.update(extra)
        return env

    def _spawn(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = self.var / f"{self.code}-{name}-{len(self.logs)}.log"
        self.logs.append(log)
        # own session: kill -9 reaches the gunicorn master and its worker together
        return subprocess.Popen(
            args,
            env=self.env(**(env or {})),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tongban(
        self,
        *args: str,
        check: bool = True,
        timeout: float = TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "tongban"), *args],
            env=self.env(**(env or {})),
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

    def start_worker(self, **env: str) -> None:
        """The node's one background worker (`tongban run-worker`, ADR 0121), as the demo
        runs it: notifications, messages to the peer, the periodic jobs."""
        self.worker = self._spawn("worker", [str(BIN / "tongban"), "run-worker"], env)

    def stop_worker(self) -> None:
        _stop_group(self.worker)
        self.worker = None

    def kill9_deliverer(self) -> None:
        _kill_group(self.deliverer)
        self.deliverer = None

    def stop_deliverer(self) -> None:
        _stop_group(self.deliverer)
        self.deliverer = None

    # ---- reading the node's database ----------------------------------------------------

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        return self.database.rows(sql, *params)

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
    """Hubei and Henan, each on its own copy of the template database (so both hold the
    same agreement), a federation under `directory`, both servers up; their databases
    are dropped afterwards."""
    from tongban.federation.testing import make_federation

    federation = directory / "federation"
    federation.mkdir()
    ports = {"hubei": free_port(), "henan": free_port()}
    homes = {code: directory / code for code in ports}
    for home in homes.values():
        home.mkdir()
    # each node's licence root CA (its `setup-pki` keeps it) is published in the trust
    # list, so a licence one node signs verifies on the other (ADR 0132)
    roots = {
        code: [
            licence_pki.ensure_root(licence_pki.paths(home / "pki"), PASSPHRASE.encode(), "ecdsa")[
                0
            ]
        ]
        for code, home in homes.items()
    }
    make_federation(
        federation,
        {code: f"http://127.0.0.1:{port}" for code, port in ports.items()},
        licence_roots=roots,
    )
    template = _world_template(federation, homes["hubei"])
    nodes: dict[str, NodeProcess] = {}
    try:
        for code, port in ports.items():
            database = _copy_database(template, code, directory)
            nodes[code] = NodeProcess(code, port, database, federation, homes[code])
        for node in nodes.values():
            node.start()
        yield nodes["hubei"], nodes["henan"]
    finally:
        for node in nodes.values():
            _kill_group(node.deliverer)
            _kill_group(node.worker)
            _stop_group(node.server)
            _drop_database(node.database)
