"""Shared plumbing of the benchmark: the dedicated database, Django set-up with the bench
settings, the world (build_world), the PKI, and the gunicorn server under test.

Everything here talks only to 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
PG_HOST = os.environ.get("TONGBAN_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TONGBAN_BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("TONGBAN_BENCH_PG_USER", "postgres")
DEFAULT_DB = os.environ.get("TONGBAN_BENCH_DB", "tongban_bench")
PASSWORD = "tongban-test-pw"  # tongban.testing.world.PASSWORD

# the case walk of domain notes §6 example 1: 黄州 receives a company registration for 东湖
RECEIVING = "421102"
HANDLING = "420100Z01"
CLERK = f"{RECEIVING}-clerk"
OFFICER = f"{HANDLING}-officer"
AGENT = "enterprise-1"


class InProcessCosts:
    """The X-Bench-Cost headers (bench/bench_middleware.py) of in-process requests, per
    request kind, and their medians: the figures of profile_actions.py and
    profile_reads.py."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}
        self.pg: dict[str, list[float]] = {}
        self.queries: dict[str, list[int]] = {}

    def add(self, kind: str, header: str) -> None:
        parts = dict(item.split("=", 1) for item in header.split(";"))
        self.cpu.setdefault(kind, []).append(float(parts["cpu"]))
        self.pg.setdefault(kind, []).append(float(parts["pg"]))
        self.queries.setdefault(kind, []).append(int(parts["q"]))

    def summary(self, kinds: list[str]) -> dict[str, dict[str, float | int]]:
        import statistics

        return {
            kind: {
                "cpu_ms_median": round(statistics.median(self.cpu[kind]), 2),
                "cpu_ms_p90": round(sorted(self.cpu[kind])[int(len(self.cpu[kind]) * 0.9)], 2),
                "pg_ms_median": round(statistics.median(self.pg[kind]), 2),
                "statements": int(statistics.median(self.queries[kind])),
                "runs": len(self.cpu[kind]),
            }
            for kind in kinds
        }


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class BenchEnv:
    """Environment of every process of one run (migrate, setup-pki, gunicorn, ...)."""

    db_name: str
    work_dir: Path

    @property
    def url(self) -> str:
        return database_url(self.db_name)

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="bench_settings",
            PYTHONPATH=os.pathsep.join(
                [str(BENCH_DIR), str(PROJECT_DIR / "src"), env.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
            DATABASE_URL=self.url,
            TONGBAN_HOME=str(PROJECT_DIR),
            TONGBAN_DEBUG="0",  # DEBUG would record every SQL query in memory
            TONGBAN_FAST_PASSWORD_HASHER="1",
            TONGBAN_VAR_DIR=str(self.work_dir / "var"),
            TONGBAN_PKI_DIR=str(self.work_dir / "pki"),
            TONGBAN_LOG_LEVEL="WARNING",
            # persistent connections outlive every phase, so the CPU meter sees every
            # PostgreSQL backend from start to end (the product default is 60 s)
            TONGBAN_DB_CONN_MAX_AGE="600",
        )
        return env

    def activate(self) -> None:
        """Make this process use the bench settings and database (before django.setup)."""
        for key, value in self.environ().items():
            if key.startswith(("TONGBAN_", "DJANGO_", "DATABASE_")):
                os.environ[key] = value
        for path in (str(BENCH_DIR), str(PROJECT_DIR / "src")):
            if path not in sys.path:
                sys.path.insert(0, path)


def make_env(db_name: str, work_dir: Path | None = None) -> BenchEnv:
    if work_dir is None:
        work_dir = Path(tempfile.gettempdir()) / f"tongban-bench-{db_name}"
    (work_dir / "var" / "static").mkdir(parents=True, exist_ok=True)
    return BenchEnv(db_name=db_name, work_dir=work_dir)


def django_setup(env: BenchEnv) -> None:
    env.activate()
    import django

    django.setup()


# -- database ----------------------------------------------------------------------------


def _admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


def vacuum_analyze(db_name: str) -> None:
    """VACUUM (ANALYZE) the whole database, as autovacuum would have by now in production.
    This PostgreSQL runs without autovacuum: every earlier run's walks leave their dead
    rows (a case row is UPDATEd nine times, each with an indexed column, so never HOT) and
    a reused database got slower run after run — 3.1 to 4.4 ms per action over five runs
    (docs/benchmarks.md)."""
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db_name, autocommit=True
    ) as conn:
        conn.execute("VACUUM (ANALYZE)")


def database_exists(name: str) -> bool:
    with _admin_connection() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None


def recreate_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def tongban(env: BenchEnv, *args: str) -> None:
    """Run the `tongban` console command with the bench environment."""
    subprocess.run(
        [str(VENV_BIN / "tongban"), *args], env=env.environ(), check=True, cwd=PROJECT_DIR
    )


def prepare_database(env: BenchEnv) -> None:
    """Fresh database: migrate, the test world, the PKI. Call django_setup(env) first."""
    log(f"creating database {env.db_name}")
    recreate_database(env.db_name)
    shutil.rmtree(env.work_dir / "pki", ignore_errors=True)
    tongban(env, "migrate", "--noinput", "--verbosity", "0")
    build_world_once()
    log("setting up the PKI (tongban setup-pki)")
    tongban(env, "setup-pki")


def build_world_once() -> None:
    import datetime as dt

    from django.db import transaction

    from tongban.accounts.models import User
    from tongban.regions.calendar import package_covers
    from tongban.regions.models import CalendarYear
    from tongban.testing.world import build_world

    if User.objects.filter(username=OFFICER).exists():
        return
    log("building the world (tongban.testing.world.build_world)")
    with transaction.atomic():
        build_world()
        # deadlines may reach into a year the packaged calendar does not know yet: declare
        # it (Monday to Friday) as an administrator would, so no walk fails on the calendar
        this_year = dt.date.today().year
        for year in (this_year, this_year + 1):
            if not package_covers(year):
                CalendarYear.objects.get_or_create(
                    jurisdiction=None,
                    year=year,
                    defaults={"provisional": True, "note": "benchmark: Mon-Fri"},
                )


# -- server under test -------------------------------------------------------------------


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    pid: int


def _cpu_seconds(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds of the whole process) from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    return int(fields[1]), ticks / os.sysconf("SC_CLK_TCK")


def _gunicorn_pids(master: int) -> list[int]:
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _cpu_seconds(int(entry.name))
            if info is not None and info[0] == master:
                pids.append(int(entry.name))
    return pids


def _backend_pids(db_name: str) -> list[int]:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=db_name, autocommit=True
    ) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            [db_name],
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds used during a phase by the gunicorn processes, by the PostgreSQL
    backends serving them (read from /proc, 10 ms ticks: meant for whole phases) and by
    this client process. Unlike latencies, these barely move when the machine is busy."""

    def __init__(self, server: Server, db_name: str) -> None:
        self.server, self.db_name = server, db_name

    def _snapshot(self) -> tuple[dict[int, float], dict[int, float], float]:
        app = {p: c[1] for p in _gunicorn_pids(self.server.pid) if (c := _cpu_seconds(p))}
        db = {p: c[1] for p in _backend_pids(self.db_name) if (c := _cpu_seconds(p))}
        return app, db, time.process_time()

    def __enter__(self) -> CpuMeter:
        self.start = self._snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._snapshot()

        def delta(before: dict[int, float], after: dict[int, float]) -> float:
            return sum(value - before.get(pid, 0.0) for pid, value in after.items())

        self.result = {
            "app_cpu_s": round(delta(self.start[0], end[0]), 2),
            "db_cpu_s": round(delta(self.start[1], end[1]), 2),
            "client_cpu_s": round(end[2] - self.start[2], 2),
        }


@contextlib.contextmanager
def gunicorn_server(
    env: BenchEnv, workers: int, threads: int, port: int | None = None
) -> Iterator[Server]:
    """gunicorn with gthread workers, as `tongban serve` runs it (access log off, so
    the figures do not include writing one line per request to a pipe)."""
    import httpx

    # TONGBAN_BENCH_PORT: a fixed port, for a machine where each session has its range
    port = port or int(os.environ.get("TONGBAN_BENCH_PORT") or 0) or free_port()
    log_path = env.work_dir / "gunicorn.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "tongban.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--pythonpath",
        str(BENCH_DIR),
        "--error-logfile",
        str(log_path),
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    process = subprocess.Popen(command, env=env.environ(), cwd=PROJECT_DIR)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
            try:
                if httpx.get(f"{base}/bench/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")
            time.sleep(0.3)
        log(f"gunicorn up on {base}: {workers} gthread workers x {threads} threads")
        yield Server(base, process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
