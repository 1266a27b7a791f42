"""`tongban refresh-stats` as the scheduled job: one run, the --every loop, bad options."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tongban.stats.models import CaseCount, Cursor
from tongban.stats.tests.helpers import make_case, walk


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("refresh_stats", *args, stdout=out)
    return out.getvalue()


def test_one_run_folds_new_events_and_a_second_finds_nothing(world):
    walk(make_case(world), steps=2)
    first = _run()
    assert "case_events 3" in first
    assert CaseCount.objects.get().cases == 1
    assert "case_events 0" in _run()
    assert Cursor.objects.get(name="case_events").last_id > 0


def test_every_loops_until_told_to_stop(world):
    make_case(world)
    out = _run("--every", "0.01", "--runs", "3")
    assert "每 0.01 秒" in out and "stopped after 3 run(s)" in out
    assert out.count("完成 done") == 1  # quiet when a run found nothing
    assert CaseCount.objects.get().cases == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--every", "0"), "positive"),
        (("--every", "-5"), "positive"),
        (("--every", "60", "--rebuild"), "--rebuild"),
    ],
)
def test_bad_options(world, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
