"""Django's flush with the append-only guard switched off for its one connection: a flush
empties every table, history included, and is what the test suite runs between
transactional tests (on SQLite as DELETEs, which the triggers would refuse). ADR 0092."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from tongban.core.guards import history_purge


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with history_purge(connections[options["database"]]):
            super().handle(**options)
