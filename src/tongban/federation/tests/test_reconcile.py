"""Statistics reconciliation across nodes (issue 13 §7, ADR 0133): each node counts the
cases of a cross-node agreement it sent, received, saw accepted and completed, per day;
the nodes exchange the figures as signed messages; each keeps the peer's beside its own,
and the dashboard and the stats API show both and the cases only one side counts.

Both "nodes" are this test process (`act_as`), as in test_replica.py: Hubei serves 黄州
(receiving), Henan 东湖 (handling), under WEHH-2023. The two real processes are in
test_two_nodes.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.tests.conftest import ApiClient
from tongban.federation import envelope, reconcile
from tongban.federation.models import (
    InboundMessage,
    OutboundMessage,
    ReconcileDay,
    RejectedMessage,
)
from tongban.federation.node import Node
from tongban.federation.tasks import reconcile_federation
from tongban.federation.testing import PASSPHRASE, act_as, make_federation, node_identity
from tongban.federation.tests.test_replica import (
    HANDLING_MOVES,
    NODES,
    _claims,
    _confirm,
    _peer_event,
    _post,
    _transferred,
)


@pytest.fixture
def split(settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any) -> Path:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("reconcile")
    make_federation(directory, {}, NODES)
    return directory


def _today() -> str:
    return reconcile.today().isoformat()


def _day(**figures: list[str]) -> dict[str, Any]:
    return {"day": _today(), **{m: figures.get(m, []) for m in reconcile.MEASURES}}


def _report(
    client: Any,
    split: Path,
    days: list[dict[str, Any]] | Any,
    *,
    sender: str = "henan",
    to: str = "hubei",
    jurisdiction: str = "420100Z01",
    created: dt.datetime | None = None,
) -> Any:
    claims = _claims(sender, to, "", 0, reconcile.KIND, jurisdiction, {"days": days})
    if created is not None:
        claims["created"] = envelope.iso(created)
    return _post(client, split, sender, claims)


def _accept_on_henan(client: Any, split: Path, number: str) -> None:
    """Henan's officer moves the case up to its approval; the events come to Hubei."""
    for seq, (action, source, target, code) in enumerate(HANDLING_MOVES, start=1):
        answer = _post(
            client,
            split,
            "henan",
            _claims(
                "henan",
                "hubei",
                number,
                seq,
                "case.event",
                "420100Z01",
                _peer_event(seq, action, source, target, code),
            ),
        )
        assert answer.json()["status"] == "applied", answer.json()


def _reconciliation(user: Any, world: Any) -> Any:
    return ApiClient(user).get(f"/stats/agreements/{world.agreement.pk}/reconciliation")


@pytest.mark.django_db
def test_hubei_counts_sends_and_keeps_its_figures(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    _accept_on_henan(client, split, case.number)

    result = reconcile.send_reports()
    assert result.queued == ["henan WEHH-2023 v1"] and result.unconfirmed == []
    message = OutboundMessage.objects.get(kind=reconcile.KIND)
    assert (message.peer, message.seq, message.agreement_code) == ("henan", 0, "WEHH-2023")
    assert message.jurisdiction in NODES["hubei"]["jurisdictions"]
    days = {entry["day"]: entry for entry in message.body["days"]}
    assert len(days) == settings.TONGBAN_FEDERATION_RECONCILE_DAYS
    assert days[_today()] == {
        "day": _today(),
        "sent": [case.number],
        "received": [],
        "accepted": [case.number],  # Henan's acceptance, replicated here
        "completed": [],
    }
    row = ReconcileDay.objects.get(peer="henan", day=reconcile.today())
    assert row.own["sent"] == [case.number] and row.theirs is None
    # before the peer reports, the day is "not reported", not "matched"
    answer = _reconciliation(world.user("421102-supervisor"), world)
    assert answer.status_code == 200, answer.json()
    today = next(d for d in answer.json()["days"] if d["day"] == _today())
    assert today["matched"] is None and today["theirs"] is None
    assert answer.json()["unreported_days"] == settings.TONGBAN_FEDERATION_RECONCILE_DAYS


@pytest.mark.django_db
def test_matching_figures_are_shown_matched_on_both_sides(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    _accept_on_henan(client, split, case.number)
    # Henan received the case and accepted it: its report mirrors ours
    answer = _report(client, split, [_day(received=[case.number], accepted=[case.number])])
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "applied"

    data = _reconciliation(world.user("421102-supervisor"), world).json()
    (today,) = [d for d in data["days"] if d["day"] == _today()]
    assert today["matched"] is True and today["differences"] == []
    assert today["ours"] == {"sent": 1, "received": 0, "accepted": 1, "completed": 0}
    assert today["theirs"] == today["ours"]
    assert data["mismatched_days"] == 0
    assert data["from"] < data["to"] == _today() and data["node"] == "hubei"
    # a window outside 1..31 days is refused with the contract's answer, never a 500
    too_long = ApiClient(world.user("421102-supervisor")).get(
        f"/stats/agreements/{world.agreement.pk}/reconciliation", days=32
    )
    assert too_long.status_code == 422
    # the other parties of the agreement see the same; so does the platform admin
    assert _reconciliation(world.user("420205-admin"), world).status_code == 200
    assert _reconciliation(world.user("platform-admin"), world).status_code == 200


@pytest.mark.django_db
def test_a_transfer_the_peer_never_applied_is_a_mismatch_naming_the_case(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    arrived, lost = _transferred(world), _transferred(world)
    # Henan applied the first transfer only, and completed a case Hubei never saw complete
    answer = _report(client, split, [_day(received=[arrived.number], completed=[arrived.number])])
    assert answer.status_code == 200, answer.json()

    data = _reconciliation(world.user("421102-supervisor"), world).json()
    (today,) = [d for d in data["days"] if d["day"] == _today()]
    assert today["matched"] is False
    assert today["ours"]["sent"] == 2 and today["theirs"]["sent"] == 1
    assert today["differences"] == [
        {
            "measure": "sent",
            "peer_measure": "received",
            "only_here": [lost.number],
            "only_there": [],
        },
        {
            "measure": "completed",
            "peer_measure": "completed",
            "only_here": [],
            "only_there": [arrived.number],
        },
    ]
    # why the peer lacks it: our transfer message is still queued here
    assert today["undelivered"] == {lost.number: "pending"}
    assert data["mismatched_days"] == 1

    # the dashboard flags the agreement; its page lists the differing case
    client.force_login(world.user("421102-supervisor"))
    board = client.get("/stats/").content.decode()
    assert 'data-testid="reconciliation-WEHH-2023"><span class="badge overdue-red">' in board
    page = client.get(f"/stats/agreements/{world.agreement.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="reconciliation"' in text and 'class="mismatch"' in text
    assert f"<code>{lost.number}</code>" in text


@pytest.mark.django_db
def test_an_older_report_arriving_late_does_not_replace_a_newer_one(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    now = dt.datetime.now(dt.UTC)
    assert _report(client, split, [_day(received=[case.number])], created=now).status_code == 200
    late = _report(client, split, [_day()], created=now - dt.timedelta(minutes=5))
    assert late.status_code == 200
    row = ReconcileDay.objects.get(peer="henan", day=reconcile.today())
    assert row.theirs is not None and row.theirs["received"] == [case.number]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "status"),
    [("420115-supervisor", 404), ("421102-clerk", 403), (None, 401)],
)
def test_only_statistics_staff_of_a_party_see_the_reconciliation(
    client: Any, settings: Any, split: Path, world: Any, user: str | None, status: int
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    _report(client, split, [_day()])
    answer = _reconciliation(world.user(user) if user else None, world)
    assert answer.status_code == status
    if user is not None:
        client.force_login(world.user(user))
        assert client.get(f"/stats/agreements/{world.agreement.pk}/").status_code == status
    # an agreement that does not exist is as unknown as one out of scope
    missing = ApiClient(world.user("421102-supervisor")).get(
        "/stats/agreements/999999/reconciliation"
    )
    assert missing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "code"),
    [
        ("everything matches", "malformed_message"),
        (
            [{"day": "yesterday", "sent": [], "received": [], "accepted": [], "completed": []}],
            "malformed_message",
        ),
        (
            [{"day": "2026-12-01", "sent": [1], "received": [], "accepted": [], "completed": []}],
            "malformed_message",
        ),
        ([{"day": "2026-12-01"}], "malformed_message"),
        ([], "malformed_message"),
    ],
)
def test_a_bad_report_is_refused_logged_and_stores_nothing(
    client: Any, settings: Any, split: Path, world: Any, days: Any, code: str
) -> None:
    act_as(settings, split, "hubei")
    answer = _report(client, split, days)
    assert answer.status_code == 400, answer.json()
    assert answer.json()["code"] == code
    assert RejectedMessage.objects.filter(code=code, claimed_peer="henan").exists()
    assert not ReconcileDay.objects.exists()
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_forged_report_is_refused(client: Any, settings: Any, split: Path, world: Any) -> None:
    act_as(settings, split, "hubei")
    # signed with Hubei's own key but claiming to come from Henan
    forger = node_identity(split, "hubei", NODES["hubei"]["jurisdictions"])
    claims = _claims("henan", "hubei", "", 0, reconcile.KIND, "420100Z01", {"days": [_day()]})
    impostor = Node("henan", "henan", forger.jurisdictions, forger.certificate, forger.key)
    token = envelope.sign_message(impostor, claims, dt.datetime.now(dt.UTC))
    answer = client.post(
        "/api/v1/federation/messages", {"jws": token}, content_type="application/json"
    )
    assert answer.status_code == 403 and answer.json()["code"] == "bad_signature"
    assert not ReconcileDay.objects.exists()


@pytest.mark.django_db
def test_a_report_spoken_for_a_jurisdiction_outside_the_agreement_is_refused(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    # Henan's node receives from Hubei, speaking for 江夏 (Hubei serves it; not a party)
    act_as(settings, split, "henan")
    answer = _report(client, split, [_day()], sender="hubei", to="henan", jurisdiction="420115")
    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == "not_a_party"
    assert not ReconcileDay.objects.exists()


@pytest.mark.django_db
def test_the_periodic_job_sends_only_under_confirmed_agreements(
    settings: Any, split: Path, world: Any
) -> None:
    settings.TONGBAN_NODE_CODE = ""
    assert reconcile_federation.call() == "idle"
    act_as(settings, split, "hubei")
    assert reconcile_federation.call() == "queued 0, unconfirmed 1"
    assert not OutboundMessage.objects.exists()
    _confirm(world, "henan")
    assert reconcile_federation.call() == "queued 1, unconfirmed 0"
    assert OutboundMessage.objects.filter(kind=reconcile.KIND, peer="henan").count() == 1


@pytest.mark.django_db
def test_days_are_cut_in_china_standard_time(settings: Any, split: Path, world: Any) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    transfer = OutboundMessage.objects.get(kind="case.transfer")
    # 16:30 UTC is 00:30 the next day in Beijing
    day = reconcile.today() - dt.timedelta(days=1)
    moment = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(16, 30), dt.UTC)
    OutboundMessage.objects.filter(pk=transfer.pk).update(created_at=moment)
    figures = reconcile.own_figures("henan", "WEHH-2023", 1, day - dt.timedelta(days=1), day)
    assert figures[day]["sent"] == [case.number]
    assert figures[day - dt.timedelta(days=1)]["sent"] == []


def _staff(client: Any, user: Any) -> None:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


@pytest.mark.django_db
def test_the_operations_page_shows_reconciliation_and_sends_on_demand(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    _transferred(world)
    _report(client, split, [_day()])  # Henan has not received it
    _staff(client, world.user("platform-admin"))
    page = client.get("/admin/federation/peerstatus/").content.decode()
    assert "不一致 1 天 / 1 day(s) differ" in page
    # the transfer waits in the queue: its age shows, and it can be resent from the list
    assert "最早待发 / Oldest queued" in page and "—" in page
    answer = client.post("/admin/federation/peerstatus/reconcile/")
    assert answer.status_code == 302
    assert OutboundMessage.objects.filter(kind=reconcile.KIND, peer="henan").count() == 1
    listing = client.get("/admin/federation/reconcileday/").content.decode()
    assert "不一致 / mismatch" in listing


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["421102-supervisor", None])
def test_others_cannot_send_reconciliation_from_the_operations_page(
    client: Any, settings: Any, split: Path, world: Any, who: str | None
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    if who is not None:
        _staff(client, world.user(who))
    answer = client.post("/admin/federation/peerstatus/reconcile/")
    assert answer.status_code in (302, 403)
    assert not OutboundMessage.objects.filter(kind=reconcile.KIND).exists()
