from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tongban.agreements.actions import expire_due_agreements


class Command(BaseCommand):
    help = "Mark agreements whose end date has passed as expired (run daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_due_agreements()
        for agreement in expired:
            self.stdout.write(f"expired {agreement.code} v{agreement.version}")
        self.stdout.write(f"{len(expired)} agreement(s) expired")
