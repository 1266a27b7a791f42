"""Where a test run spends CPU, as a pytest plugin: `pytest -p tongban.testing.cpu_profile
-n 0 <files>` prints the CPU seconds of each fixture's set-up (its own, without the
fixtures it depends on) and of each test file's tests. CPU time of the test process, not
wall time: on a machine shared with other work a test waits for a core for longer than it
runs, and the wall clock measures the neighbours (docs/testing.md). Work in a child
process (a server, a worker, a browser) is not counted: `/usr/bin/time -v` around the run
counts it once the children have ended."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import pytest

_fixtures: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
_phases: dict[str, float] = defaultdict(float)
_files: dict[str, float] = defaultdict(float)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Generator[None, Any, None]:
    start = time.process_time()
    yield
    entry = _fixtures[fixturedef.argname]
    entry[0] += 1
    entry[1] += time.process_time() - start


def _timed(phase: str, item: pytest.Item) -> Generator[None, Any, None]:
    start = time.process_time()
    yield
    spent = time.process_time() - start
    _phases[phase] += spent
    _files[item.nodeid.split("::")[0]] += spent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _timed("setup", item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _timed("call", item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _timed("teardown", item)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    write("== CPU seconds of fixture set-up (own work), count, per use ==")
    for name, (count, spent) in sorted(_fixtures.items(), key=lambda kv: -kv[1][1])[:25]:
        write(f"{spent:8.2f}s {int(count):5d}x {spent / count * 1000:8.1f} ms  {name}")
    write("== CPU seconds per phase == " + "  ".join(f"{k} {v:.1f}" for k, v in _phases.items()))
    for path, spent in sorted(_files.items(), key=lambda kv: -kv[1])[:25]:
        write(f"{spent:8.2f}s  {path}")
