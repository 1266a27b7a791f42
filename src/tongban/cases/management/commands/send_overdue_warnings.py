"""`tongban send-overdue-warnings`: warn the responsible staff and the supervisors of both
legs of every case that turned yellow or red (超期预警, ADR 0093). Idempotent: run it as
often as you like (cron every few minutes, or `--every 300`); each case is warned once per
level and date. The messages go through the notification outbox (`tongban run-worker`)."""

from __future__ import annotations

import logging

from tongban.cases.actions import send_overdue_warnings
from tongban.core.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "发送超期预警: notify the responsible staff and the supervisors of both legs of "
        "every case that turned yellow or red. --every N repeats every N seconds."
    )
    log = logging.getLogger("tongban.cases.overdue")

    def run_once(self, quiet: bool = False) -> None:
        made = send_overdue_warnings()
        if made or not quiet:
            self.stdout.write(f"超期预警 overdue warnings: {made}")
