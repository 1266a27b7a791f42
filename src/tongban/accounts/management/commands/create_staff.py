"""`tongban create-staff USERNAME --role clerk --jurisdiction 421102 [--password ...]`"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.accounts import actions
from tongban.accounts.models import Role
from tongban.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "创建工作人员账号 / Create a staff account with one or more roles in a jurisdiction. "
        "Without --password the password is asked for on the terminal."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=Role.values,
            help="role; repeat for several roles in the same jurisdiction",
        )
        parser.add_argument(
            "--jurisdiction", help="jurisdiction code, e.g. 421102 (not for platform_admin)"
        )
        parser.add_argument("--display-name", default="", help="姓名, e.g. 黄州窗口收件员")
        parser.add_argument(
            "--password",
            help="the password (visible in the process list; prefer the prompt)",
        )

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                "No --password given and stdin is not a terminal: cannot ask for a password."
            )
        first = getpass.getpass("密码 / Password: ")
        second = getpass.getpass("再次输入 / Password (again): ")
        if first != second:
            raise CommandError("The two passwords differ.")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        roles = options["role"]
        code = options["jurisdiction"]
        pairs = [(role, None if role == Role.PLATFORM_ADMIN else code) for role in roles]
        try:
            specs = actions.role_specs(pairs)
            password = options["password"]
            if password is None:
                password = self._ask_password()
            user = actions.create_staff_user(
                None,
                options["username"],
                password,
                display_name=options["display_name"],
                roles=specs,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.zh} / {exc.en}") from exc
        where = f" @ {code}" if code else ""
        self.stdout.write(self.style.SUCCESS(f"created {user.username}: {', '.join(roles)}{where}"))
