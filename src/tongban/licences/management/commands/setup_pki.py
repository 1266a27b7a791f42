"""`tongban setup-pki`: create the platform root CA and every jurisdiction's signing
certificate and SM2 key under TONGBAN_PKI_DIR, and register their public halves.
Idempotent: existing keys are kept, so it is safe in every deployment script."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.errors import DomainError
from tongban.licences import actions, pki
from tongban.regions.models import Jurisdiction


class Command(BaseCommand):
    help = "Create the platform CA and per-jurisdiction signing keys (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-type",
            choices=pki.KEY_TYPES,
            default="rsa",
            help="key type of new certificates: rsa (2048-bit, default) or ecdsa (P-256)",
        )
        parser.add_argument(
            "--jurisdiction",
            action="append",
            default=[],
            metavar="CODE",
            help="only these jurisdictions (repeatable; default: every active one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False) and (
            settings.TONGBAN_PKI_PASSPHRASE == settings.INSECURE_DEFAULT_PKI_PASSPHRASE
        ):
            raise CommandError("Set TONGBAN_PKI_PASSPHRASE before creating production keys.")
        jurisdictions = None
        if options["jurisdiction"]:
            jurisdictions = list(Jurisdiction.objects.filter(code__in=options["jurisdiction"]))
            missing = set(options["jurisdiction"]) - {j.code for j in jurisdictions}
            if missing:
                raise CommandError(f"unknown jurisdiction codes: {', '.join(sorted(missing))}")
        try:
            report = actions.setup_pki(
                None, jurisdictions=jurisdictions, key_type=options["key_type"]
            )
        except DomainError as exc:
            raise CommandError(exc.en) from exc
        directory = pki.pki_dir()
        for path in report.created_files:
            self.stdout.write(f"created {path}")
        for key in report.registered_keys:
            self.stdout.write(f"registered {key}")
        if not report.created_files and not report.registered_keys:
            self.stdout.write("PKI already set up: nothing to do.")
        self.stdout.write(
            self.style.SUCCESS(f"PKI ready in {directory} (root: {pki.paths().root_cert})")
        )
