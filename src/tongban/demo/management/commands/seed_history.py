from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.demo import history
from tongban.stats import refresh


class Command(BaseCommand):
    help = (
        "写入一年的合成历史数据(办件、咨询、评价),总数与种子文章的年度数字一致 / "
        "write a synthetic year whose totals reproduce the seed's figures, then refresh "
        "the statistics."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, default=2022)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="比例 (0,1]: 1 reproduces the seed's totals exactly; tests use a fraction",
        )
        parser.add_argument("--seed", type=int, default=2022, help="random seed")
        parser.add_argument(
            "--no-refresh", action="store_true", help="do not refresh the statistics afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = history.seed_history(
                options["year"], options["scale"], options["seed"], write=self.stdout.write
            )
        except DomainError as exc:
            raise CommandError(f"{exc.zh} / {exc.en}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"写入 wrote {result.cases} cases ({result.events} events), "
                f"{result.consultations} consultations, {result.ratings} ratings "
                f"({result.rectifications} rectifications)"
            )
        )
        if not options["no_refresh"]:
            self.stdout.write("刷新统计 / refreshing statistics")
            done = refresh.refresh(
                progress=lambda label, step, total: self.stdout.write(f"  {label}: {total}")
            )
            self.stdout.write(self.style.SUCCESS(f"统计已刷新 / statistics refreshed: {done}"))
