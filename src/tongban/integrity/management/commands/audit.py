"""`tongban audit verify` and `tongban audit sign-heads` (ADR 0092, docs/operations.md)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "历史防篡改:verify 校验全部哈希链与检查点;sign-heads 签署链头检查点"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="walk every chain and checkpoint; exit 1 on a break")
        signer = sub.add_parser(
            "sign-heads", help="sign the heads of the chains that grew (a checkpoint)"
        )
        signer.add_argument(
            "--every",
            type=int,
            default=0,
            help="keep running, signing every N seconds (the demo and small installations)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify()
        else:
            self._sign(options.get("every") or 0)

    def _verify(self) -> None:
        from tongban.integrity.verify import verify

        report = verify()
        for item in report.breaks:
            self.stdout.write(f"BREAK {item}")
        summary = (
            f"{report.chains} chains, {report.rows} rows, {report.checkpoints} checkpoints; "
            f"{len(report.breaks)} break(s)"
        )
        if report.breaks:
            raise CommandError(f"历史记录校验失败 / history verification failed: {summary}")
        self.stdout.write(f"OK 历史记录完整 / history intact: {summary}")

    def _sign(self, every: int) -> None:
        from tongban.integrity.actions import sign_heads

        while True:
            row = sign_heads()
            if row is None:
                self.stdout.write("no new history since the last checkpoint")
            else:
                chains = sum(len(h) for h in row.heads.values())
                self.stdout.write(f"checkpoint {row.pk}: {chains} chain head(s) signed")
            if every <= 0:
                return
            time.sleep(every)
