"""`tongban federation ...`: the federation's operations (docs/federation.md,
docs/operations.md "Federation").

    init-root                       create the federation root CA (operator, once)
    issue-node CODE --name NAME     a node's signing key and certificate, from the root
                                    (--sm2: and an SM2 key, for a node signing with SM2SM3)
    sign-trust-list NODES.json      sign a trust list (operator) → --output FILE
    verify-trust-list [FILE]        verify a trust list against the root certificate
    check-agreement PEER CODE       agreement handshake with a peer (--version, --jurisdiction)
    ping PEER                       queue a signed ping (--case/--count: a numbered sequence)
    deliver [--once]                the delivery worker
    status                          peers, queue depth, last success, failures
    reconcile [PEER] [--days N]     queue this node's statistics to peers (ADR 0133) and
                                    show both sides' figures kept so far
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tongban.core.errors import DomainError
from tongban.federation import actions, jose, pki, trust
from tongban.federation.delivery import Deliverer, DeliveryConfig
from tongban.federation.node import this_node
from tongban.licences import pki as licence_pki


class Command(BaseCommand):
    help = "Federation between Tongban nodes: PKI, trust list, handshake, delivery, status."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        root = sub.add_parser("init-root", help="create the federation root CA (idempotent)")
        root.add_argument("--dir", type=Path, default=None)
        node = sub.add_parser("issue-node", help="a node's key and certificate (idempotent)")
        node.add_argument("code")
        node.add_argument("--name", required=True)
        node.add_argument(
            "--sm2", action="store_true", help="also an SM2 key (trust list alg SM2SM3)"
        )
        node.add_argument("--dir", type=Path, default=None)
        sign = sub.add_parser("sign-trust-list", help="sign a trust list from a JSON file")
        sign.add_argument("nodes", type=Path, help='JSON: {"federation", "sequence", "nodes"}')
        sign.add_argument("--output", type=Path, required=True)
        sign.add_argument("--valid-days", type=int, default=90)
        sign.add_argument("--dir", type=Path, default=None)
        verify = sub.add_parser("verify-trust-list", help="verify a trust list")
        verify.add_argument("path", type=Path, nargs="?", default=None)
        check = sub.add_parser("check-agreement", help="agreement handshake with a peer")
        check.add_argument("peer")
        check.add_argument("agreement")
        check.add_argument("--version", type=int, default=None)
        check.add_argument("--jurisdiction", required=True)
        ping = sub.add_parser("ping", help="queue signed ping messages to a peer")
        ping.add_argument("peer")
        ping.add_argument("--jurisdiction", required=True)
        ping.add_argument("--case", default="")
        ping.add_argument("--count", type=int, default=1)
        deliver = sub.add_parser("deliver", help="send queued messages to peers")
        deliver.add_argument("--once", action="store_true")
        deliver.add_argument("--poll", type=float, default=None)
        sub.add_parser("status", help="peers, queue depth, last success, failures")
        reconcile = sub.add_parser("reconcile", help="send statistics figures to peers now")
        reconcile.add_argument("peer", nargs="?", default=None)
        reconcile.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["subcommand"].replace("-", "_")
        try:
            getattr(self, f"_{name}")(options)
        except DomainError as error:
            raise CommandError(f"{error.en} ({error.code})") from error

    def _init_root(self, options: dict[str, Any]) -> None:
        self._refuse_insecure_passphrase()
        cert, created = pki.ensure_root(options["dir"])
        where = (options["dir"] or pki.federation_dir()) / "root" / "cert.pem"
        verb = "created" if created else "kept"
        self.stdout.write(f"{verb} federation root {where} ({pki.thumbprint(cert)})")

    def _issue_node(self, options: dict[str, Any]) -> None:
        self._refuse_insecure_passphrase()
        cert, created = pki.ensure_node(options["code"], options["name"], options["dir"])
        verb = "created" if created else "kept"
        path = pki.node_cert_path(options["code"], options["dir"])
        self.stdout.write(f"{verb} node certificate {path} ({pki.thumbprint(cert)})")
        if options["sm2"]:
            public_hex = pki.ensure_node_sm2(options["code"], options["dir"])
            path = pki.node_sm2_path(options["code"], options["dir"])
            self.stdout.write(f"node SM2 key {path} (public {public_hex})")

    def _sign_trust_list(self, options: dict[str, Any]) -> None:
        spec = json.loads(options["nodes"].read_text())
        base = options["dir"] or pki.federation_dir()
        entries = []
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        for raw in spec["nodes"]:
            cert_paths = raw.get("certificates") or [str(pki.node_cert_path(raw["code"], base))]
            algorithm = raw.get("alg", jose.ES256)
            sm2_keys = raw.get("sm2_public_keys") or (
                [pki.sm2_public(raw["code"], base)] if algorithm == jose.SM2SM3 else []
            )
            entries.append(
                trust.node_entry(
                    raw["code"],
                    raw.get("name", raw["code"]),
                    raw["base_url"],
                    raw.get("jurisdictions", []),
                    [licence_pki.load_certificate(Path(p)) for p in cert_paths],
                    now - dt.timedelta(minutes=5),
                    now + dt.timedelta(days=int(raw.get("valid_days", 365))),
                    algorithm=algorithm,
                    sm2_public_keys=sm2_keys,
                    licence_roots=[
                        licence_pki.load_certificate(Path(p)) for p in raw.get("licence_roots", [])
                    ],
                )
            )
        token = trust.sign_trust_list(
            spec.get("federation", "tongban"),
            int(spec.get("sequence", 1)),
            entries,
            valid_days=options["valid_days"],
            base=options["dir"],
        )
        options["output"].parent.mkdir(parents=True, exist_ok=True)
        tmp = options["output"].with_suffix(".tmp")
        tmp.write_text(token + "\n")
        tmp.replace(options["output"])  # a node never reads half a list
        self.stdout.write(f"signed trust list with {len(entries)} node(s): {options['output']}")

    def _verify_trust_list(self, options: dict[str, Any]) -> None:
        path = options["path"] or Path(settings.TONGBAN_FEDERATION_TRUST_LIST)
        root = licence_pki.load_certificate(pki.root_cert_path())
        listed = trust.parse_trust_list(path.read_text(), root)
        self.stdout.write(
            f"trust list {listed.federation!r} #{listed.sequence} valid until "
            f"{listed.next_update.isoformat()}"
        )
        for node in listed.nodes.values():
            self.stdout.write(
                f"  {node.code} {node.name} {node.base_url} "
                f"jurisdictions={','.join(sorted(node.jurisdictions))} "
                f"certificates={len(node.certificates)}"
            )

    def _check_agreement(self, options: dict[str, Any]) -> None:
        from tongban.agreements.models import Agreement
        from tongban.federation.agreements import in_force

        if options["version"] is None:
            agreement = (
                Agreement.objects.filter(code=options["agreement"], status="active")
                .order_by("-version")
                .first()
            )
        else:
            agreement = in_force(options["agreement"], options["version"])
        if agreement is None:
            raise CommandError(f"no agreement {options['agreement']} in force on this node")
        actions.check_agreement(
            None, options["peer"], agreement, jurisdiction=options["jurisdiction"]
        )
        self.stdout.write(
            f"agreement {agreement.code} v{agreement.version} agreed with {options['peer']}"
        )

    def _ping(self, options: dict[str, Any]) -> None:
        with transaction.atomic():
            for number in range(options["count"]):
                actions.enqueue_message(
                    peer=options["peer"],
                    kind="ping",
                    jurisdiction=options["jurisdiction"],
                    case_ref=options["case"],
                    body={"n": number + 1},
                )
        self.stdout.write(f"queued {options['count']} ping(s) to {options['peer']}")

    def _deliver(self, options: dict[str, Any]) -> None:
        config = DeliveryConfig.from_settings()
        if options["poll"] is not None:
            config = DeliveryConfig(
                backoff_seconds=config.backoff_seconds,
                backoff_max_seconds=config.backoff_max_seconds,
                lease_seconds=config.lease_seconds,
                poll_seconds=max(0.1, options["poll"]),
            )
        deliverer = Deliverer(config)
        if options["once"]:
            self.stdout.write(f"federation: {deliverer.run_once()}")
            return
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"federation delivery {deliverer.token} running (Ctrl-C to stop)")
        self.stdout.flush()
        deliverer.run_forever(stop)

    def _status(self, options: dict[str, Any]) -> None:
        from tongban.federation.selectors import peer_overview

        me = this_node()
        self.stdout.write(f"node {me.code} ({me.name})")
        for row in peer_overview():
            self.stdout.write(
                f"  {row.code} {row.base_url} pending={row.pending} refused={row.refused} "
                f"last_success={row.last_success_at} failures={row.consecutive_failures} "
                f"{row.last_error}"
            )

    def _reconcile(self, options: dict[str, Any]) -> None:
        from tongban.federation import reconcile

        result = reconcile.send_reports(None, peer=options["peer"], days=options["days"])
        for label in result.queued:
            self.stdout.write(f"queued figures for {label}")
        for label in result.unconfirmed:
            self.stdout.write(f"skipped {label}: agreement not confirmed with that node")
        for peer, status in sorted(reconcile.peer_reconciliation().items()):
            self.stdout.write(
                f"  {peer}: days={status.days} mismatched={status.mismatched_days} "
                f"unreported={status.unreported_days} last_report={status.last_report_at}"
            )

    def _refuse_insecure_passphrase(self) -> None:
        if getattr(settings, "PRODUCTION", False) and (
            settings.TONGBAN_PKI_PASSPHRASE == settings.INSECURE_DEFAULT_PKI_PASSPHRASE
        ):
            raise CommandError("Set TONGBAN_PKI_PASSPHRASE before creating production keys.")
