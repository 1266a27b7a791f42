"""`tongban rotate-data-key`: re-encrypt every personal-data value under the active
(first) key of TONGBAN_DATA_KEYS, then report which keys are still in use.
Procedure in docs/operations.md; design in ADR 0098."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core import crypto, keyrotation


class Command(BaseCommand):
    help = "Re-encrypt personal data under the active data key (resumable, idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=keyrotation.DEFAULT_BATCH_SIZE, help="rows per lock"
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="stop after this many rows per table"
        )
        parser.add_argument(
            "--check", action="store_true", help="only report key usage, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1 or (options["limit"] is not None and options["limit"] < 1):
            raise CommandError("--batch-size and --limit must be positive")
        active = crypto.keyring().active_id
        if not options["check"]:
            for result in keyrotation.rotate_all(options["batch_size"], options["limit"]):
                line = f"{result.label}: {result.rotated} rows re-encrypted under key {active}"
                if result.remaining:
                    line += f", {result.remaining} remaining (run again to resume)"
                self.stdout.write(line)
        usage = keyrotation.key_usage()
        for key_id, count in sorted(usage.items()):
            self.stdout.write(f"key {key_id or '(clear text)'}: {count} values")
        others = sorted(k for k in usage if k != active)
        if others:
            self.stdout.write(
                f"still in use besides {active}: {', '.join(k or 'clear text' for k in others)}"
            )
        else:
            self.stdout.write(f"every value is under key {active}; older keys may be removed")
