from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Write the OpenAPI schema, or check that the committed one is up to date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", help="write the schema to this file")
        parser.add_argument("--check", help="fail if this file differs from the schema")

    def handle(self, *args: Any, **options: Any) -> None:
        from tongban.api import api

        schema = api.get_openapi_schema(path_prefix="/api")
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if options["check"]:
            path = Path(options["check"])
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(
                    f"{path} is out of date with the API: run `make schema` and commit it."
                )
            self.stdout.write(f"{path} matches the API.")
        elif options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {options['output']}")
        else:
            sys.stdout.write(text)
