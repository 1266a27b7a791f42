"""`tongban seed-enterprise-demo`: walk the article's 卫女士 example (企业开办一件事 at the
东湖 window for a 葛店 company, 异地打照, pickup) through the workflow in the demo world.
Runs after `seed-demo` and `setup-pki` (the licence is signed). Idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.demo.enterprise import walk_wei_case


class Command(BaseCommand):
    help = "演示:卫女士企业开办一件事(仅限演示模式)/ Demo: the 卫女士 enterprise-opening case"

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("拒绝执行:仅限演示模式(TONGBAN_DEMO=1)。 / demo mode only.")
        try:
            case = walk_wei_case()
        except DomainError as exc:
            raise CommandError(f"seed-enterprise-demo failed: {exc.code}: {exc.en}") from exc
        if case is None:
            self.stdout.write("企业开办演示办件已存在 / the enterprise-opening demo case exists")
            return
        licence = case.licences.get()
        self.stdout.write(
            f"企业开办演示办件 {case.number}:{licence.holder_name} "
            f"{licence.holder_identifier},证照 {licence.identifier}"
        )
