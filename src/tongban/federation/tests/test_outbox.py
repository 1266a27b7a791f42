"""The sending side: what enqueue_message accepts, per-case numbering, the delivery
worker against a peer that does not answer, leases and the operator's resend."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from tongban.federation import actions
from tongban.federation.delivery import Deliverer, DeliveryConfig
from tongban.federation.models import OutboundMessage, PeerStatus
from tongban.federation.selectors import peer_overview
from tongban.federation.testing import make_federation


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def henan_down(hubei: Path, tmp_path: Path, settings: Any) -> Path:
    """The trust list places Henan on a port where nothing listens."""
    directory = hubei
    make_federation(directory, {"henan": f"http://127.0.0.1:{_free_port()}"})
    return directory


def _ping(case: str = "", n: int = 1, jurisdiction: str = "420703400") -> OutboundMessage:
    return actions.enqueue_message(
        peer="henan", kind="ping", jurisdiction=jurisdiction, case_ref=case, body={"n": n}
    )


@pytest.mark.django_db
def test_messages_of_a_case_are_numbered_per_peer(hubei: Path) -> None:
    first, second = _ping("HB-1"), _ping("HB-1")
    other = _ping("HB-2")
    loose = _ping()
    assert (first.seq, second.seq, other.seq, loose.seq) == (1, 2, 1, 0)
    assert first.state == "pending" and first.next_attempt_at is not None
    assert first.digest != second.digest


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(hubei: Path) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _ping("HB-9")
        raise RuntimeError("the change failed")
    assert not OutboundMessage.objects.exists()
    assert _ping("HB-9").seq == 1


@pytest.mark.django_db
def test_a_node_sends_only_for_jurisdictions_it_serves(hubei: Path) -> None:
    from tongban.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        _ping(jurisdiction="411526")  # 潢川 is Henan's
    assert refused.value.code == "jurisdiction_not_served"


@pytest.mark.django_db
def test_a_message_to_a_node_off_the_trust_list_is_refused(hubei: Path) -> None:
    from tongban.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        actions.enqueue_message(peer="shandong", kind="ping", jurisdiction="421102")
    assert refused.value.code == "unknown_node"


@pytest.mark.django_db
def test_cases_under_an_agreement_need_a_confirmed_handshake(world: Any, hubei: Path) -> None:
    from tongban.core.errors import DomainError
    from tongban.federation import agreements as fed_agreements
    from tongban.federation.models import AgreementCheck

    def send() -> OutboundMessage:
        return actions.enqueue_message(
            peer="henan",
            kind="ping",
            jurisdiction="420703400",
            case_ref="HB-3",
            agreement=world.agreement,
        )

    with pytest.raises(DomainError) as refused:
        send()
    assert refused.value.code == "agreement_not_confirmed"
    check = AgreementCheck.objects.create(
        peer="henan",
        agreement_code=world.agreement.code,
        agreement_version=world.agreement.version,
        fingerprint=fed_agreements.fingerprint(world.agreement),
        agreed=True,
        checked_at=dt.datetime.now(dt.UTC),
    )
    message = send()
    assert message.agreement_fingerprint == check.fingerprint
    # the local copy changes: the earlier handshake no longer covers it
    world.agreement.parties.first().delete()
    with pytest.raises(DomainError):
        send()


@pytest.mark.django_db(transaction=True)
def test_a_peer_that_is_down_keeps_its_messages_waiting_with_back_off(henan_down: Path) -> None:
    message = _ping("HB-4")
    second = _ping("HB-4")
    deliverer = Deliverer(DeliveryConfig(backoff_seconds=30, backoff_max_seconds=120))
    stats = deliverer.run_once()
    # the first failure marks the peer down for the pass: the second message waits untried
    assert stats.retrying == 1 and stats.peers_down == {"henan"}
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1
    assert message.error_code == "peer_unreachable"
    assert message.jws  # the signed copy that was attempted
    assert message.next_attempt_at is not None
    assert message.last_attempt_at is not None
    assert 25 <= (message.next_attempt_at - message.last_attempt_at).total_seconds() <= 31
    status = PeerStatus.objects.get(peer="henan")
    assert status.consecutive_failures == 1 and "peer_unreachable" in status.last_error
    second.refresh_from_db()
    assert second.attempts == 0
    # the next pass tries the untried one; the first waits for its back-off
    assert Deliverer(DeliveryConfig()).run_once().retrying == 1
    assert Deliverer(DeliveryConfig()).run_once().retrying == 0
    message.refresh_from_db()
    assert message.attempts == 1
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31), tick=False):
        Deliverer(DeliveryConfig(backoff_seconds=30, backoff_max_seconds=120)).run_once()
    retried = [m for m in OutboundMessage.objects.all() if m.attempts == 2]
    assert len(retried) == 1  # the first failure of the pass stops it for this peer
    next_at, last_at = retried[0].next_attempt_at, retried[0].last_attempt_at
    assert next_at is not None and last_at is not None
    assert (next_at - last_at).total_seconds() == 60
    overview = {row.code: row for row in peer_overview()}
    assert overview["henan"].pending == 2 and overview["henan"].consecutive_failures == 3


def test_back_off_doubles_and_is_capped() -> None:
    config = DeliveryConfig(backoff_seconds=5, backoff_max_seconds=600)
    assert [config.backoff(n).total_seconds() for n in (1, 2, 3, 8, 9, 100)] == [
        5,
        10,
        20,
        600,
        600,
        600,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_claim_left_by_a_dead_worker_is_taken_over_after_its_lease(henan_down: Path) -> None:
    message = _ping("HB-5")
    OutboundMessage.objects.filter(pk=message.pk).update(
        claimed_by="dead-worker", claimed_at=dt.datetime.now(dt.UTC)
    )
    config = DeliveryConfig(lease_seconds=60)
    assert Deliverer(config).run_once().retrying == 0  # still leased
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)):
        assert Deliverer(config).run_once().retrying == 1
    message.refresh_from_db()
    assert message.claimed_by == "" and message.attempts == 1


@pytest.mark.django_db
def test_an_operator_resends_a_refused_message(hubei: Path, world: Any) -> None:
    from tongban.core.errors import DomainError
    from tongban.core.models import AuditEvent

    message = _ping("HB-6")
    OutboundMessage.objects.filter(pk=message.pk).update(
        state="refused", error_code="bad_signature", next_attempt_at=None
    )
    admin = world.user("admin") if "admin" in world.users else None
    actions.resend_message(admin, message)
    message.refresh_from_db()
    assert message.state == "pending" and message.next_attempt_at is not None
    assert AuditEvent.objects.filter(action="federation.resend").exists()
    OutboundMessage.objects.filter(pk=message.pk).update(state="delivered")
    with pytest.raises(DomainError) as refused:
        actions.resend_message(admin, message)
    assert refused.value.code == "already_delivered"
