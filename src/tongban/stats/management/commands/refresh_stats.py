from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tongban.stats import refresh


class Command(BaseCommand):
    help = (
        "刷新统计表(增量): fold new case, consultation and rating events into the "
        "pre-computed statistics. --rebuild empties them and recounts from scratch."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="清空统计表并从头重算 / recount from scratch"
        )
        parser.add_argument(
            "--batch", type=int, default=refresh.DEFAULT_BATCH, help="events per transaction"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(label: str, step: refresh.StepResult, total: int) -> None:
            late = f"(含补录 {step.late})" if step.late else ""
            self.stdout.write(f"  {label}: {total} {late} → #{step.last_id}")

        batch = max(100, options["batch"])
        if options["rebuild"]:
            self.stdout.write("重建统计表 / rebuilding statistics from scratch")
            done = refresh.rebuild(batch=batch, progress=progress)
        else:
            self.stdout.write("增量刷新统计表 / refreshing statistics")
            done = refresh.refresh(batch=batch, progress=progress)
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{name} {n}" for name, n in done.items())
        self.stdout.write(self.style.SUCCESS(f"完成 done in {elapsed:.1f}s: {summary}"))
