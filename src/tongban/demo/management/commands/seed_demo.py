"""`tongban seed-demo`: load the demo world (docs/adr/0030-demo-data.md). Idempotent: a
second run changes nothing. Refuses to run unless TONGBAN_DEMO=1, because every demo
account has the published password `tongban-demo`."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.demo import data
from tongban.demo.builder import build_demo

CALENDAR_YEAR = 2027


def _width(text: str) -> int:
    """Columns taken on a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = (
        "导入演示数据(仅限演示模式 TONGBAN_DEMO=1)/ Load the demo data "
        "(demo mode only: the demo passwords are public)"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-calendar",
            action="store_true",
            help=f"do not load the provisional {CALENDAR_YEAR} working-day calendar",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "拒绝执行:演示账号的密码是公开的,只能在演示模式下导入。"
                "请设置环境变量 TONGBAN_DEMO=1。 / Refusing: demo accounts have a public "
                "password; set TONGBAN_DEMO=1 to load the demo data."
            )
        try:
            report = build_demo()
        except DomainError as exc:
            raise CommandError(
                f"seed-demo failed, nothing was written: {exc.code}: {exc.en}"
            ) from exc
        self.stdout.write("演示数据 / demo data:")
        for line in report.summary_lines():
            self.stdout.write(line)
        if not report.changed:
            self.stdout.write("  (nothing to do: the demo data is already there)")
        if not options["no_calendar"]:
            self._load_calendar()
        self._print_accounts(report)

    def _load_calendar(self) -> None:
        args = ["load_calendar_year", str(CALENDAR_YEAR), "--provisional"]
        try:
            call_command(*args, stdout=self.stdout, stderr=self.stderr)
        except CommandError as exc:
            if "Unknown command" in str(exc):
                self.stderr.write(
                    f"工作日历:命令 load_calendar_year 不存在,跳过{CALENDAR_YEAR}年暂定日历 / "
                    f"calendar: command load_calendar_year is missing; the provisional "
                    f"{CALENDAR_YEAR} calendar was NOT loaded."
                )
            else:
                self.stderr.write(
                    f"工作日历:{CALENDAR_YEAR}年暂定日历未能导入 / calendar: the provisional "
                    f"{CALENDAR_YEAR} calendar was NOT loaded: {exc}"
                )

    def _print_accounts(self, report: Any) -> None:
        rows = [(a.username, a.role, a.jurisdiction, a.display_name) for a in report.accounts]
        headers = ("username", "role", "jurisdiction", "display name")
        widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(f"演示账号 / demo accounts (password: {data.DEMO_PASSWORD})")
        line = "  ".join(_pad(h, w) for h, w in zip(headers[:3], widths, strict=True))
        self.stdout.write(f"{line}  {headers[3]}")
        for row in rows:
            cells = "  ".join(_pad(str(c), w) for c, w in zip(row[:3], widths, strict=True))
            self.stdout.write(f"{cells}  {row[3]}")
        self.stdout.write("")
        self.stdout.write("工作台 / workbench:  http://127.0.0.1:8000/")
        self.stdout.write("管理后台 / admin:    http://127.0.0.1:8000/admin/  (platform-admin)")
        self.stdout.write("接口文档 / API docs: http://127.0.0.1:8000/api/docs")
