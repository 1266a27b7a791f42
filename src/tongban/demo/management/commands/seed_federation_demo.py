from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tongban.demo.data import XINYANG_COUNTIES
from tongban.federation import pki, trust
from tongban.licences import pki as licence_pki
from tongban.regions.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "两节点演示的互联根、节点密钥和签名节点目录 / the two-node demo's federation: root, "
        "node keys (kept when present) and a signed trust list in which henan serves the "
        "six 信阳 counties and hubei every other jurisdiction of the demo world (issue 13)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--hubei-url", default="http://127.0.0.1:8000")
        parser.add_argument("--henan-url", default="http://127.0.0.1:8001")
        parser.add_argument(
            "--henan-pki-dir",
            type=Path,
            default=None,
            help="the henan node's TONGBAN_PKI_DIR (default <var>/henan/pki)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base: Path = settings.TONGBAN_FEDERATION_DIR
        base.mkdir(parents=True, exist_ok=True)
        pki.ensure_root(base)
        codes = set(Jurisdiction.objects.values_list("code", flat=True))
        served = {
            "hubei": ("湖北", options["hubei_url"], sorted(codes - set(XINYANG_COUNTIES))),
            "henan": ("河南", options["henan_url"], sorted(codes & set(XINYANG_COUNTIES))),
        }
        # each node's licence root CA goes into the list, so a licence one node signs
        # verifies on the other (ADR 0132); henan's `setup-pki` later keeps this root
        secret = licence_pki.passphrase()
        henan_pki = options["henan_pki_dir"] or Path(settings.VAR_DIR) / "henan" / "pki"
        licence_roots = {
            "hubei": licence_pki.ensure_root(licence_pki.paths(), secret, "rsa")[0],
            "henan": licence_pki.ensure_root(licence_pki.paths(henan_pki), secret, "rsa")[0],
        }
        now = dt.datetime.now(dt.UTC)
        entries = []
        for code, (name, url, jurisdictions) in served.items():
            cert, _ = pki.ensure_node(code, name, base)
            entries.append(
                trust.node_entry(
                    code,
                    name,
                    url,
                    jurisdictions,
                    [cert],
                    now - dt.timedelta(minutes=5),
                    now + dt.timedelta(days=365),
                    licence_roots=[licence_roots[code]],
                )
            )
        token = trust.sign_trust_list("tongban-demo", 1, entries, valid_days=90, base=base)
        path = base / "trust-list.jws"
        partial = path.with_suffix(".partial")
        partial.write_text(token)
        # replaced atomically: a running node re-reads the list when the file changes
        os.replace(partial, path)
        trust.clear_cache()
        for code, (_, url, jurisdictions) in served.items():
            self.stdout.write(f"{code}: {url}, {len(jurisdictions)} jurisdictions")
        self.stdout.write(self.style.SUCCESS(f"trust list written to {path}"))
