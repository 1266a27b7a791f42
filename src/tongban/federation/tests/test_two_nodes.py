"""Two real nodes (own processes, own SQLite databases, own ports): the agreement
handshake, delivery, a peer down for a while, kill -9 of either side mid-exchange,
refusals logged by the receiving process. Bounded: every wait has a time limit."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from tongban.federation import envelope, pki
from tongban.federation.node import Node
from tongban.federation.reconcile import MIRROR, today
from tongban.federation.testing import PASSPHRASE, node_identity
from tongban.federation.tests.nodes import NodeProcess, two_nodes, wait_for
from tongban.web.tests.browser import browser  # noqa: F401

pytestmark = pytest.mark.federation_nodes


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    previous = settings.TONGBAN_PKI_PASSPHRASE
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    try:
        with two_nodes(tmp_path_factory.mktemp("two-nodes")) as pair:
            yield pair
    finally:
        settings.TONGBAN_PKI_PASSPHRASE = previous


def _all_applied(receiver: NodeProcess, case: str, count: int) -> bool:
    rows = receiver.inbound(case)
    return len(rows) == count and all(state == "applied" for _, state, _ in rows)


def _assert_converged(sender: NodeProcess, receiver: NodeProcess, case: str, count: int) -> None:
    rows = receiver.inbound(case)
    assert [seq for seq, _, _ in rows] == list(range(1, count + 1))  # nothing lost or twice
    assert {state for _, state, _ in rows} == {"applied"}
    assert len({message_id for _, _, message_id in rows}) == count
    assert sender.outbound_states(case) == {"delivered": count}


def test_the_agreement_handshake_passes_for_identical_copies_and_refuses_different_ones(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    hubei, henan = nodes
    agreed = hubei.tongban(
        "federation", "check-agreement", "henan", "WEHH-2023", "--jurisdiction", "420703400"
    )
    assert "agreed with henan" in agreed.stdout
    # Henan's copy changes (a party leaves): the fingerprints differ, the check refuses
    henan.rows(
        "DELETE FROM agreements_agreementparty WHERE id = (SELECT max(p.id) FROM "
        "agreements_agreementparty p JOIN agreements_agreement a ON a.id = p.agreement_id "
        "WHERE a.code = 'WEHH-2023')"
    )
    with_party_removed = hubei.tongban(
        "federation",
        "check-agreement",
        "henan",
        "WEHH-2023",
        "--jurisdiction",
        "420703400",
        check=False,
    )
    assert with_party_removed.returncode != 0
    assert "agreement_mismatch" in with_party_removed.stderr
    assert ("agreement_mismatch", "hubei") in henan.rejections()
    checks = hubei.rows("SELECT agreed, error_code FROM federation_agreementcheck")
    assert checks == [(0, "agreement_mismatch")]


def test_messages_wait_while_the_peer_is_down_and_flow_when_it_returns(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    hubei, henan = nodes
    henan.stop()
    hubei.tongban(
        "federation",
        "ping",
        "henan",
        "--jurisdiction",
        "420703400",
        "--case",
        "DOWN-1",
        "--count",
        "5",
    )
    first = hubei.tongban("federation", "deliver", "--once")
    assert "peers_down=henan" in first.stdout
    assert hubei.outbound_states("DOWN-1") == {"pending": 5}
    henan.start()
    hubei.start_deliverer()
    try:
        wait_for(
            lambda: hubei.outbound_states("DOWN-1") == {"delivered": 5},
            what="the queue to drain",
        )
    finally:
        hubei.stop_deliverer()
    _assert_converged(hubei, henan, "DOWN-1", 5)
    status = hubei.tongban("federation", "status").stdout
    assert "henan" in status and "pending=0" in status


def test_kill_9_of_the_receiving_node_mid_exchange_loses_and_doubles_nothing(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    hubei, henan = nodes
    count = 40
    hubei.tongban(
        "federation",
        "ping",
        "henan",
        "--jurisdiction",
        "420703400",
        "--case",
        "KILL-R",
        "--count",
        str(count),
    )
    hubei.start_deliverer()
    try:
        wait_for(lambda: len(henan.inbound("KILL-R")) >= 5, what="the first messages")
        henan.kill9()
        # the kill came mid-exchange (else this test would prove nothing)
        assert len(henan.inbound("KILL-R")) < count
        time.sleep(0.5)
        henan.start()
        wait_for(lambda: _all_applied(henan, "KILL-R", count), what="every message applied")
        wait_for(
            lambda: hubei.outbound_states("KILL-R") == {"delivered": count},
            what="every message delivered",
        )
    finally:
        hubei.stop_deliverer()
    _assert_converged(hubei, henan, "KILL-R", count)


def test_kill_9_of_the_sending_worker_mid_exchange_loses_and_doubles_nothing(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    hubei, henan = nodes
    count = 40
    hubei.tongban(
        "federation",
        "ping",
        "henan",
        "--jurisdiction",
        "420703400",
        "--case",
        "KILL-S",
        "--count",
        str(count),
    )
    hubei.start_deliverer()
    wait_for(lambda: len(henan.inbound("KILL-S")) >= 5, what="the first messages")
    hubei.kill9_deliverer()
    # a restarted worker takes over the dead one's claim once its lease has passed
    hubei.start_deliverer()
    try:
        wait_for(
            lambda: hubei.outbound_states("KILL-S") == {"delivered": count},
            what="every message delivered",
        )
    finally:
        hubei.stop_deliverer()
    _assert_converged(hubei, henan, "KILL-S", count)


def _post(receiver: NodeProcess, token: str) -> httpx.Response:
    return httpx.post(
        f"{receiver.url}/api/v1/federation/messages",
        json={"jws": token},
        headers={"Accept-Language": "en"},
        timeout=10,
    )


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "hubei",
        "to": "henan",
        "kind": "ping",
        "case": "",
        "seq": 0,
        "jurisdiction": "421102",
        "agreement": None,
        "created": envelope.iso(dt.datetime.now(dt.UTC)),
        "body": {},
    }
    claims.update(overrides)
    return claims


def test_the_receiving_process_refuses_and_logs_forgeries_strangers_and_replays(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    hubei, henan = nodes
    real = node_identity(hubei.federation, "hubei")
    now = dt.datetime.now(dt.UTC)
    forged = Node(
        "hubei",
        "hubei",
        real.jurisdictions,
        real.certificate,
        ec.generate_private_key(ec.SECP256R1()),
    )
    assert _post(henan, envelope.sign_message(forged, _claims(), now)).json()["code"] == (
        "bad_signature"
    )
    cert, _ = pki.ensure_node("shandong", "山东", hubei.federation)
    stranger = Node(
        "shandong",
        "山东",
        frozenset({"371329"}),
        cert,
        pki.load_key(pki.node_key_path("shandong", hubei.federation)),
    )
    answer = _post(
        henan,
        envelope.sign_message(
            stranger, _claims(**{"from": "shandong", "jurisdiction": "371329"}), now
        ),
    )
    assert answer.status_code == 403 and answer.json()["code"] == "unknown_node"
    outside = _post(henan, envelope.sign_message(real, _claims(jurisdiction="411526"), now))
    assert outside.json()["code"] == "jurisdiction_not_served"
    message = _claims()
    assert _post(henan, envelope.sign_message(real, message, now)).json()["status"] == "applied"
    assert _post(henan, envelope.sign_message(real, message, now)).json()["status"] == ("duplicate")
    captured = envelope.sign_message(real, _claims(), now - dt.timedelta(hours=1))
    replayed = _post(henan, captured)
    assert replayed.status_code == 409 and replayed.json()["code"] == "replay"
    logged = henan.rejections()
    for expected in [
        ("bad_signature", "hubei"),
        ("unknown_node", "shandong"),
        ("jurisdiction_not_served", "hubei"),
        ("replay", "hubei"),
    ]:
        assert expected in logged


def _reconciled(node: NodeProcess, peer: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Today's figures on `node` towards `peer`: its own and the peer's, once reported."""
    rows = node.rows(
        "SELECT own, theirs FROM federation_reconcileday WHERE peer = ? AND day = ? "
        "AND theirs IS NOT NULL",
        peer,
        today().isoformat(),
    )
    return (_json(rows[0][0]), _json(rows[0][1])) if rows else None


def _json(value: object) -> dict[str, Any]:
    """A JSON column as read directly: text on SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, str | bytes) else dict(value)  # type: ignore[call-overload]


def _case_status(node: NodeProcess, number: str) -> str | None:
    rows = node.rows("SELECT status FROM cases_case WHERE number = ?", number)
    return str(rows[0][0]) if rows else None


def _notifications(node: NodeProcess, number: str) -> list[str]:
    return [
        str(template)
        for (template,) in node.rows(
            "SELECT o.template FROM notifications_outboxmessage o "
            "JOIN cases_case c ON c.id = o.case_id WHERE c.number = ? ORDER BY o.id",
            number,
        )
    ]


def test_a_case_received_on_hubei_is_decided_on_henan_and_the_result_reaches_hubei(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    """The issue's walk: the 葛店 clerk receives for 潢川 on Hubei's node; the replica is
    made on Henan's, where 411526-officer accepts and approves; the events come back, move
    Hubei's case and notify its applicant once. Henan is down while the case is sent."""
    from tongban.federation.tests.xinyang import AGREEMENT, GEDIAN, HUANGCHUAN

    hubei, henan = nodes
    hubei.tongban("federation", "check-agreement", "henan", AGREEMENT, "--jurisdiction", GEDIAN)
    henan.tongban("federation", "check-agreement", "hubei", AGREEMENT, "--jurisdiction", HUANGCHUAN)
    henan.stop()
    received = hubei.tongban(
        "shell",
        "-c",
        "from tongban.federation.tests.xinyang import receive_for_huangchuan; "
        "receive_for_huangchuan()",
    )
    number = received.stdout.strip().splitlines()[-1]
    # the submission, check and transfer events and the case itself: waiting for the peer
    assert hubei.outbound_states(number) == {"pending": 4}
    hubei.tongban("federation", "deliver", "--once")
    assert hubei.outbound_states(number) == {"pending": 4}
    henan.start()
    hubei.start_deliverer()
    henan.start_deliverer()
    try:
        wait_for(lambda: _case_status(henan, number) == "in_transfer", what="the replica")
        henan.tongban(
            "shell",
            "-c",
            "from tongban.federation.tests.xinyang import decide_on_henan; "
            f"decide_on_henan({number!r})",
        )
        # Hubei's server dies (kill -9) while Henan's events are on their way
        hubei.kill9()
        time.sleep(0.5)
        hubei.start()
        wait_for(lambda: _case_status(hubei, number) == "approved", what="the decision on hubei")
        wait_for(
            lambda: henan.outbound_states(number) == {"delivered": 3},
            what="henan's events delivered",
        )
        # statistics reconciliation (ADR 0133): each sends its figures, each keeps both
        hubei.tongban("federation", "reconcile", "henan")
        henan.tongban("federation", "reconcile", "hubei")
        wait_for(
            lambda: bool(_reconciled(hubei, "henan")) and bool(_reconciled(henan, "hubei")),
            what="both nodes' statistics figures exchanged",
        )
    finally:
        hubei.stop_deliverer()
        henan.stop_deliverer()
    on_hubei, on_henan = _reconciled(hubei, "henan"), _reconciled(henan, "hubei")
    assert on_hubei is not None and on_henan is not None
    (hubei_own, henan_figures), (henan_own, hubei_figures) = on_hubei, on_henan
    assert hubei_own["sent"] == [number] and hubei_own["accepted"] == [number]
    assert henan_own["received"] == [number] and henan_own["accepted"] == [number]
    # the same figures on both sides: our sent is their received, and the other way
    for own, theirs in ((hubei_own, henan_figures), (henan_own, hubei_figures)):
        assert {m: own[m] for m in MIRROR} == {m: theirs[MIRROR[m]] for m in MIRROR}
    assert _case_status(henan, number) == "approved"
    # one timeline on each side: its own events and the other leg's
    assert hubei.rows(
        "SELECT action FROM federation_replicatedcaseevent WHERE case_ref = ? ORDER BY at",
        number,
    ) == [("receive_transfer",), ("accept",), ("approve",)]
    assert [
        action
        for (action,) in henan.rows(
            "SELECT action FROM federation_replicatedcaseevent WHERE case_ref = ? ORDER BY at",
            number,
        )
    ] == ["submit", "check", "transfer"]
    replica = henan.rows(
        "SELECT r.origin_node, r.origin_number FROM federation_casereplica r "
        "JOIN cases_case c ON c.id = r.case_id WHERE c.number = ?",
        number,
    )
    assert replica == [("hubei", number)]
    # notifications go out once, from the node holding the applicant relation
    assert _notifications(henan, number) == []
    sent = _notifications(hubei, number)
    assert sent.count("accepted") == 1 and sent.count("approved") == 1

    # the licence comes back (ADR 0132): 潢川 issues and signs it on Henan; Hubei keeps it
    # for 葛店's applicant and verifies it through the trust list
    issued = henan.tongban(
        "shell",
        "-c",
        f"from tongban.federation.tests.xinyang import issue_on_henan; issue_on_henan({number!r})",
    )
    identifier = issued.stdout.strip().splitlines()[-1]
    hubei.start_deliverer()
    henan.start_deliverer()
    try:
        wait_for(
            lambda: (
                hubei.rows(
                    "SELECT issuing_node FROM licences_licence WHERE identifier = ?", identifier
                )
                == [("henan",)]
            ),
            what="the licence on hubei",
        )
    finally:
        hubei.stop_deliverer()
        henan.stop_deliverer()
    assert _case_status(hubei, number) == "result_issued"
    verified = httpx.get(f"{hubei.url}/api/v1/licences/{identifier}/verify", timeout=30).json()
    assert verified["status"] == "valid", verified
    assert verified["licence"]["issuing_node"] == "河南"
    assert _notifications(henan, number) == []
    assert _notifications(hubei, number).count("result_issued") == 1


class _MailSink:
    """An SMTP server in the test process: every node's mail arrives here."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _text(content: bytes) -> str:
    import email
    from email import policy

    message = email.message_from_bytes(content, policy=policy.default)
    return "".join(
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    ) + str(message["Subject"])


def _all_sent(states: list[str]) -> bool:
    return bool(states) and set(states) == {"sent"}


def _email_states(node: NodeProcess, number: str) -> list[str]:
    return [
        str(state)
        for (state,) in node.rows(
            "SELECT d.state FROM notifications_outboxdelivery d "
            "JOIN notifications_outboxmessage o ON o.id = d.message_id "
            "JOIN cases_case c ON c.id = o.case_id WHERE c.number = ? AND d.channel = 'email'",
            number,
        )
    ]


def test_each_node_s_own_worker_delivers_its_own_notifications(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    """As in the demo, each node runs its own `tongban run-worker` with its own mail
    settings; an application each node holds the applicant relation of (an online one, on
    each side) is notified by that node's worker and by no other (ADR 0127)."""
    from aiosmtpd.controller import Controller

    from tongban.federation.tests.nodes import free_port
    from tongban.federation.tests.xinyang import HUANGCHUAN

    hubei, henan = nodes
    sink = _MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for node in nodes:
            node.start_worker(
                TONGBAN_EMAIL_PORT=str(controller.port),
                TONGBAN_EMAIL_FROM=f"tongban@{node.code}.test",
            )
        numbers = {}
        for node, handling in ((hubei, "420100Z01"), (henan, HUANGCHUAN)):
            applied = node.tongban(
                "shell",
                "-c",
                "from tongban.federation.tests.xinyang import apply_online; "
                f"apply_online({handling!r}, {handling + '-officer'!r})",
            )
            numbers[node.code] = applied.stdout.strip().splitlines()[-1]
        wait_for(
            lambda: all(_all_sent(_email_states(n, numbers[n.code])) for n in nodes),
            what="each node's own e-mails sent",
        )
    finally:
        for node in nodes:
            node.stop_worker()
        controller.stop()
    for node in nodes:
        number = numbers[node.code]
        about = [(sender, to) for sender, to, content in sink.mails if number in _text(content)]
        sent = _email_states(node, number)
        assert about == [(f"tongban@{node.code}.test", ["liming@example.test"])] * len(sent)
    # each case exists on its own node only: no other worker could have notified it
    assert _case_status(henan, numbers["hubei"]) is None
    assert _case_status(hubei, numbers["henan"]) is None


@pytest.mark.browser
def test_the_two_node_walk_in_a_browser(
    nodes: tuple[NodeProcess, NodeProcess],
    browser: Any,  # noqa: F811
    request: pytest.FixtureRequest,
) -> None:
    """The README's walk in Chromium: 411526-officer decides in Henan's web workbench on
    the replica of a case 葛店 received on Hubei's node; the 葛店 clerk then sees the
    decision and Henan's steps in the case's one timeline on Hubei's node."""
    from playwright.sync_api import expect

    from tongban.federation.tests.xinyang import AGREEMENT, GEDIAN, HUANGCHUAN
    from tongban.testing.world import PASSWORD
    from tongban.web.tests.browser import Journey, act, log_in

    hubei, henan = nodes
    hubei.tongban("federation", "check-agreement", "henan", AGREEMENT, "--jurisdiction", GEDIAN)
    henan.tongban("federation", "check-agreement", "hubei", AGREEMENT, "--jurisdiction", HUANGCHUAN)
    received = hubei.tongban(
        "shell",
        "-c",
        "from tongban.federation.tests.xinyang import receive_for_huangchuan; "
        "receive_for_huangchuan()",
    )
    number = received.stdout.strip().splitlines()[-1]
    hubei.start_deliverer()
    henan.start_deliverer()
    journey = Journey(browser, henan.url, request.node.name.removeprefix("test_"))
    try:
        wait_for(lambda: _case_status(henan, number) == "in_transfer", what="the replica")
        officer = journey.page()
        log_in(officer, f"{HUANGCHUAN}-officer", PASSWORD)
        officer.goto(f"/cases/{number}/")
        # Hubei's steps are in the replica's timeline, marked with their node
        expect(officer.locator('[data-testid="timeline"] [data-node="hubei"]')).to_have_count(3)
        act(officer, "receive_transfer", "pending_acceptance")
        act(officer, "accept", "accepted")
        act(officer, "approve", "approved")
        journey.shot(officer, "henan-officer-approved")
        wait_for(lambda: _case_status(hubei, number) == "approved", what="the decision on hubei")

        clerk = journey.page()
        clerk.goto(f"{hubei.url}/login/")
        clerk.get_by_label("用户名").fill(f"{GEDIAN}-clerk")
        clerk.get_by_label("密码").fill(PASSWORD)
        clerk.locator("main form button[type=submit]").click()
        clerk.wait_for_load_state()
        clerk.goto(f"{hubei.url}/cases/{number}/")
        expect(clerk.get_by_test_id("case-status")).to_have_attribute("data-status", "approved")
        timeline = clerk.get_by_test_id("timeline")
        expect(timeline.locator('[data-node="henan"]')).to_have_count(3)
        expect(timeline.locator('[data-node="henan"][data-action="approve"]')).to_be_visible()
        # the receiving leg's actions are Hubei's; the handling leg offers nothing here
        expect(clerk.locator('[data-testid="actions"] [data-action="accept"]')).to_have_count(0)
        journey.shot(clerk, "hubei-clerk-timeline")
        assert officer.js_errors == [] and clerk.js_errors == []
    finally:
        journey.close()
        hubei.stop_deliverer()
        henan.stop_deliverer()


def _restart(node: NodeProcess, clock_offset: float) -> None:
    node.stop()
    node.clock_offset = clock_offset
    node.start()


def test_nodes_minutes_apart_exchange_in_sequence_and_refuse_a_copy_beyond_the_window(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    """Henan's clock runs 8 minutes ahead of Hubei's (the window is 15): messages flow,
    are applied by their per-case sequence whatever their times say, and a copy signed
    by a Hubei clock 10 minutes slow (18 apart) is refused as `replay` and logged; the
    sender keeps it and delivers it once its clock is right."""
    hubei, henan = nodes
    skew = "TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS"
    _restart(henan, 8 * 60)
    try:
        # seq 1-2 written by a Hubei clock 5 minutes fast, 3-4 by one 5 minutes slow
        for offset, count in (("300", "2"), ("-300", "2")):
            hubei.tongban(
                "federation", "ping", "henan", "--jurisdiction", "420703400",
                "--case", "SKEW", "--count", count, env={skew: offset},
            )  # fmt: skip
        stale_sql = (
            "SELECT count(*) FROM federation_rejectedmessage WHERE code = 'replay' "
            "AND reason LIKE '%stale%'"
        )
        [(stale_before,)] = henan.rows(stale_sql)
        slow = hubei.tongban("federation", "deliver", "--once", env={skew: "-600"})
        # refused as stale by the peer (each at least once: the short back-off of the
        # test nodes lets a pass try again), kept for a retry by the sender
        stats = dict(part.split("=") for part in slow.stdout.split()[1:])
        assert (stats["delivered"], stats["refused"]) == ("0", "0"), slow.stdout
        assert int(stats["retrying"]) >= 4
        assert hubei.outbound_states("SKEW") == {"pending": 4}
        assert henan.inbound("SKEW") == []
        assert henan.rows(stale_sql) == [(int(str(stale_before)) + int(stats["retrying"]),)]
        assert "(replay)" in henan.logs[-1].read_text()
        hubei.start_deliverer()
        try:
            wait_for(lambda: _all_applied(henan, "SKEW", 4), what="the skewed messages")
        finally:
            hubei.stop_deliverer()
        created = {
            seq: str(at)
            for seq, at in henan.rows(
                "SELECT seq, created_at FROM federation_inboundmessage WHERE case_ref = 'SKEW'"
            )
        }
        assert created[3] < created[1]  # written "earlier", applied later: by sequence

        # arriving out of order too: seq 6 (written 5 minutes before seq 5) comes first
        # and is held; seq 5, signed 14 minutes before Henan's clock, releases both
        real = node_identity(hubei.federation, "hubei")
        now = dt.datetime.now(dt.UTC)
        later = _claims(case="SKEW", seq=6, created=envelope.iso(now - dt.timedelta(minutes=5)))
        earlier = _claims(case="SKEW", seq=5, created=envelope.iso(now + dt.timedelta(minutes=5)))
        held = _post(henan, envelope.sign_message(real, later, now)).json()
        assert (held["status"], held["missing"]) == ("held", [5])
        assert [state for seq, state, _ in henan.inbound("SKEW") if seq == 6] == ["held"]
        applied = _post(henan, envelope.sign_message(real, earlier, now - dt.timedelta(minutes=6)))
        assert applied.json()["status"] == "applied"
        assert _all_applied(henan, "SKEW", 6)
        # 16 minutes before Henan's clock: outside the window, whatever Hubei's says
        beyond = _post(henan, envelope.sign_message(real, _claims(), now - dt.timedelta(minutes=8)))
        assert beyond.status_code == 409
        assert (beyond.json()["code"], beyond.json()["details"]) == ("replay", {"reason": "stale"})
    finally:
        _restart(henan, 0)
