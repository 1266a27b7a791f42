"""`tongban serve --bind ADDR` listens on ADDR only (issue 15: it also listened on :8000,
because gunicorn's `--bind` appends and the default was always passed)."""

from __future__ import annotations

import pytest
from gunicorn.config import Config

from tongban.cli import gunicorn_argv


def _binds(argv: list[str]) -> list[str]:
    """The addresses gunicorn would listen on, read by gunicorn's own parser."""
    config = Config()
    parsed = config.parser().parse_args(gunicorn_argv(argv)[1:])
    for name, value in vars(parsed).items():
        if value is not None and name in config.settings:
            config.set(name.lower(), value)
    return list(config.bind)


def test_default_address_without_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TONGBAN_BIND", raising=False)
    assert _binds([]) == ["127.0.0.1:8000"]


def test_environment_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONGBAN_BIND", "0.0.0.0:9000")
    assert _binds([]) == ["0.0.0.0:9000"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--bind", "127.0.0.1:8123"],
        ["--bind=127.0.0.1:8123"],
        ["-b", "127.0.0.1:8123"],
        ["-b127.0.0.1:8123"],
        ["--log-level", "info", "--bind", "127.0.0.1:8123"],
    ],
)
def test_given_bind_replaces_the_default(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    monkeypatch.setenv("TONGBAN_BIND", "127.0.0.1:8000")
    assert _binds(argv) == ["127.0.0.1:8123"]


def test_several_given_binds_are_all_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TONGBAN_BIND", raising=False)
    both = ["127.0.0.1:8123", "[::1]:8124"]
    assert _binds(["-b", both[0], "--bind", both[1]]) == both
