"""`tongban hall-jobs`: the hall's periodic work — queue the reminder of every booking of
tomorrow (the day before, through the notification outbox; `tongban run-worker` sends
it) and record bookings whose slot ended without a check-in as no-shows. Idempotent:
run it as often as you like (cron, or `--every 300`)."""

from __future__ import annotations

import logging

from tongban.core.periodic import PeriodicCommand
from tongban.hall.actions import record_no_shows, send_appointment_reminders


class Command(PeriodicCommand):
    help = (
        "预约提醒与爽约登记: remind tomorrow's bookings and record no-shows. "
        "--every N repeats every N seconds."
    )
    log = logging.getLogger("tongban.hall")

    def run_once(self, quiet: bool = False) -> None:
        reminded = send_appointment_reminders()
        missed = record_no_shows()
        if reminded or missed or not quiet:
            self.stdout.write(f"预约提醒 reminders: {reminded}; 爽约 no-shows: {missed}")
