"""The `--every` loop shared by the periodic commands (tongban.core.periodic)."""

from __future__ import annotations

import logging

import pytest
from django.core.management import CommandError, call_command

from tongban.core.periodic import PeriodicCommand


class Counting(PeriodicCommand):
    def __init__(self, fail_first: bool = False) -> None:
        super().__init__()
        self.calls: list[bool] = []
        self.fail_first = fail_first

    def run_once(self, quiet: bool = False) -> None:
        self.calls.append(quiet)
        if self.fail_first and len(self.calls) == 1:
            raise RuntimeError("database down")


def test_without_every_it_runs_once_and_speaks():
    command = Counting()
    call_command(command)
    assert command.calls == [False]


@pytest.mark.django_db
def test_every_repeats_quietly_until_the_run_limit():
    command = Counting()
    call_command(command, every=0.01, runs=3)
    assert command.calls == [True, True, True]


@pytest.mark.django_db
def test_a_failed_run_is_logged_and_retried(caplog):
    command = Counting(fail_first=True)
    with caplog.at_level(logging.ERROR, logger="tongban"):
        call_command(command, every=0.01, runs=2)
    assert len(command.calls) == 2
    assert "retrying" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["hall_jobs", "send_overdue_warnings"])
def test_the_periodic_commands_share_the_loop(name):
    with pytest.raises(CommandError):
        call_command(name, every=0)
    call_command(name, every=0.01, runs=1)
