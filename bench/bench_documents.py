"""Benchmark: notice PDF generation, licence signing and licence verification.

Targets (issue 4, median): notice < 300 ms, sign < 200 ms, verify < 200 ms. For scale it
also times a bare Django view that does one ORM INSERT through the test client, so the
figures can be compared as ratios on machines of different speed.

Runs on a throw-away SQLite database and PKI in a temporary directory:

    .venv/bin/python bench/bench_documents.py [--rounds 25] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(fn: Callable[[], object], rounds: int, warmup: int = 2) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tongban-bench-documents-"))
    os.environ["TONGBAN_VAR_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("TONGBAN_FAST_PASSWORD_HASHER", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.http import HttpRequest, HttpResponse
    from django.test import Client, override_settings
    from django.urls import path

    from tongban.core.models import AuditEvent
    from tongban.documents.notices import render_notice
    from tongban.licences import actions
    from tongban.licences.selectors import verify_licence
    from tongban.licences.signing import sign_data, sign_pdf
    from tongban.testing.licences import add_event, make_case
    from tongban.testing.world import build_world

    call_command("migrate", verbosity=0)
    world = build_world()
    actions.setup_pki(None)

    case = make_case(world, status="accepted")
    add_event(case, "accept", jurisdiction=world.donghu)
    results: dict[str, dict[str, float]] = {}

    def record(name: str, fn: Callable[[], object], rounds: int) -> None:
        median, p90 = _median_ms(fn, rounds)
        results[name] = {"median_ms": round(median, 1), "p90_ms": round(p90, 1), "n": rounds}

    record("notice_pdf", lambda: render_notice(case, "acceptance"), args.rounds)

    def issue() -> object:
        return actions.issue_licence_for_case(make_case(world, status="approved"), None)

    record("licence_issue_total", issue, args.rounds)
    licence = issue()
    from tongban.licences.models import Licence
    from tongban.licences.rendering import render_licence_pdf

    assert isinstance(licence, Licence)
    unsigned = render_licence_pdf(licence.data)

    def sign_only() -> object:
        sign_data(world.donghu, "x509", licence.data)
        return sign_pdf(world.donghu, unsigned, reason="bench", location="bench")

    record("licence_sign", sign_only, args.rounds)
    record("licence_render_unsigned", lambda: render_licence_pdf(licence.data), args.rounds)
    pdf = bytes(licence.pdf)
    record(
        "licence_verify_pdf", lambda: verify_licence(licence.identifier, pdf_bytes=pdf), args.rounds
    )
    record("licence_verify_record", lambda: verify_licence(licence.identifier), args.rounds)

    actions.set_data_signature_algorithm(world.user("platform-admin"), world.donghu, "sm2-sm3")
    record("sm2_sign_data", lambda: sign_data(world.donghu, "sm2-sm3", licence.data), args.rounds)

    def insert_view(request: HttpRequest) -> HttpResponse:
        AuditEvent.objects.create(action="bench", object_type="bench", object_id="1")
        return HttpResponse("ok")

    module = type(sys)("bench_documents_urls")
    module.urlpatterns = [path("bench/insert", insert_view)]  # type: ignore[attr-defined]
    sys.modules["bench_documents_urls"] = module
    client = Client()
    with override_settings(ROOT_URLCONF="bench_documents_urls"):
        record("bare_view_one_insert", lambda: client.get("/bench/insert"), args.rounds * 4)

    base = results["bare_view_one_insert"]["median_ms"] or 1.0
    for row in results.values():
        row["x_bare_view"] = round(row["median_ms"] / base, 1)
    targets = {"notice_pdf": 300, "licence_sign": 200, "licence_verify_pdf": 200}
    if args.json:
        print(json.dumps({"results": results, "targets_ms": targets}, ensure_ascii=False))
        return
    print(f"{'benchmark':26} {'median ms':>10} {'p90 ms':>8} {'x bare view':>12}  target")
    for name, row in results.items():
        target = targets.get(name)
        verdict = (
            ""
            if target is None
            else f"< {target} ms " + ("OK" if row["median_ms"] < target else "MISSED")
        )
        print(
            f"{name:26} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
            f"{row['x_bare_view']:>12.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
