"""`tongban load-calendar-year 2027 --provisional`: declare a year of the working-day
calendar and enter its holidays (and make-up working days) from a JSON data file.

The file lists exceptions to the Monday-to-Friday rule:
    {"year": 2027, "provisional": true, "note": "...",
     "days": [{"date": "2027-01-01", "is_working_day": false,
               "kind": "holiday" | "substitute" | "makeup_workday", "note": "元旦"}, ...]}
Without --file, the packaged file data/calendar_<year>[_provisional].json is used.
Running it again changes nothing that is already there (idempotent).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.masterdata.actions import CalendarEntry, load_calendar_year
from tongban.regions.calendar import CALENDAR_DATA_DIR, package_covers
from tongban.regions.models import Jurisdiction

KINDS = {"holiday", "substitute", "makeup_workday"}


def default_file(year: int, provisional: bool) -> Path:
    suffix = "_provisional" if provisional else ""
    return CALENDAR_DATA_DIR / f"calendar_{year}{suffix}.json"


def read_calendar_file(path: Path, year: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CommandError(f"日历数据文件不存在 / no such file: {path}") from exc
    except (OSError, ValueError) as exc:
        raise CommandError(f"无法读取日历数据文件 / cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("days"), list):
        raise CommandError(f"{path}: 需要含 days 列表的对象 / expected an object with 'days'")
    if data.get("year") != year:
        raise CommandError(f"{path}: 文件年份为 {data.get('year')},不是 {year}")
    return data, data["days"]


def parse_entries(path: Path, days: list[dict[str, Any]], *, holidays_only: bool):
    entries: list[CalendarEntry] = []
    for index, item in enumerate(days, start=1):
        try:
            day = dt.date.fromisoformat(item["date"])
            working = item["is_working_day"]
            kind = item.get("kind", "holiday")
            note = str(item.get("note", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(
                f"{path}: 第{index}条有误 / entry {index} is invalid: {exc}"
            ) from exc
        if not isinstance(working, bool) or kind not in KINDS:
            raise CommandError(f"{path}: 第{index}条有误 / entry {index} is invalid")
        if holidays_only and kind == "substitute":
            continue
        entries.append(CalendarEntry(day=day, is_working_day=working, note=note))
    return entries


class Command(BaseCommand):
    help = (
        "声明一个年度的工作日历并录入节假日 / declare a calendar year and enter its "
        "holidays from a JSON file"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--provisional",
            action="store_true",
            help="暂定日历(国务院办公厅放假安排公布前)/ provisional calendar",
        )
        parser.add_argument("--file", type=Path, help="日历数据文件 / JSON data file")
        parser.add_argument(
            "--jurisdiction", help="管辖地代码(缺省为全国)/ jurisdiction code (default national)"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="删除该年度文件中没有的调整 / remove that year's rows missing from the file",
        )
        parser.add_argument(
            "--holidays-only",
            action="store_true",
            help="不录入补假日 / skip substitute days (补假)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        provisional: bool = options["provisional"]
        path: Path = options["file"] or default_file(year, provisional)
        data, days = read_calendar_file(path, year)
        if data.get("provisional") and not provisional:
            raise CommandError(
                f"{path} 是暂定日历,请加 --provisional / the file is provisional: "
                "pass --provisional"
            )
        jurisdiction = None
        if options["jurisdiction"]:
            jurisdiction = Jurisdiction.objects.filter(code=options["jurisdiction"]).first()
            if jurisdiction is None:
                raise CommandError(
                    f"管辖地不存在 / no such jurisdiction: {options['jurisdiction']}"
                )
        entries = parse_entries(path, days, holidays_only=options["holidays_only"])
        if package_covers(year):
            self.stderr.write(
                f"注意:内置日历已覆盖{year}年,录入的调整将优先于内置日历。 / "
                f"note: the packaged calendar covers {year}; these rows override it."
            )
        try:
            result = load_calendar_year(
                None,
                year=year,
                entries=entries,
                jurisdiction=jurisdiction,
                provisional=provisional,
                note=str(data.get("note", ""))[:255],
                replace=options["replace"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.zh} / {exc.en}") from exc
        scope = jurisdiction.code if jurisdiction else "全国 national"
        self.stdout.write(
            f"{year} {scope}{' 暂定 provisional' if provisional else ''}: "
            f"{result.written} 条写入 written, {result.unchanged} 条未变 unchanged, "
            f"{result.removed} 条删除 removed"
        )
