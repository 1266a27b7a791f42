"""Agreement life cycle, validation, version history and permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tongban.agreements import actions
from tongban.agreements.models import Agreement, AgreementEvent, AgreementItem
from tongban.agreements.tests.conftest import parties_of
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def problem_codes(exc: Invalid) -> set[str]:
    return {p["code"] for p in exc.details["problems"]}


def events(agreement: Agreement) -> list[str]:
    return list(agreement.events.values_list("action", flat=True))


def new_draft(world, actor_name="platform-admin", **overrides):
    values: dict[str, Any] = {
        "code": "HZ-JX-2024",
        "title": "黄州区—江夏区跨域通办合作协议",
        "parties": parties_of(world, "421102", "420115"),
        "items": [
            {
                "item": world.items["company"],
                "modes": ["proxy", "joint"],
                "receiving_jurisdictions": [world.huangzhou],
            }
        ],
        "valid_from": dt.date(2024, 1, 1),
        "signed_on": dt.date(2023, 12, 20),
    }
    values.update(overrides)
    return actions.create_agreement_draft(world.user(actor_name), **values)


def test_create_draft(world):
    draft = new_draft(world)
    assert (draft.status, draft.version) == ("draft", 1)
    assert sorted(draft.parties.values_list("jurisdiction__code", flat=True)) == [
        "420115",
        "421102",
    ]
    row = draft.items.get()
    assert row.modes == ["proxy", "joint"]
    assert list(row.receiving_jurisdictions.all()) == [world.huangzhou]
    assert events(draft) == ["created"]
    assert AuditEvent.objects.filter(
        action="agreements.create_draft", object_id=str(draft.pk)
    ).exists()


def test_admin_of_a_listed_party_may_create(world):
    draft = new_draft(world, "421102-admin")
    assert draft.events.get().actor == world.user("421102-admin")


@pytest.mark.parametrize("name", ["420205-admin", "421102-clerk", "421102-head", "applicant-1"])
def test_others_may_not_create(world, name):
    with pytest.raises(Forbidden):
        new_draft(world, name)
    assert not Agreement.objects.filter(code="HZ-JX-2024").exists()


def test_unauthenticated_may_not_create(world, anonymous):
    with pytest.raises(NotAuthenticated):
        actions.create_agreement_draft(
            anonymous,
            code="X",
            title="X",
            parties=parties_of(world, "421102", "420115"),
            valid_from=dt.date(2024, 1, 1),
        )


def test_validation_reports_every_problem(world):
    with pytest.raises(Invalid) as caught:
        new_draft(
            world,
            parties=parties_of(world, "421102"),
            items=[
                {
                    "item": world.items["company"],
                    "modes": ["proxy", "fax"],
                    "handling_jurisdictions": [world.tieshan],
                },
                {"item": world.items["marriage"], "modes": []},
                {"item": world.items["marriage"], "modes": ["proxy"]},
            ],
            valid_to=dt.date(2023, 1, 1),
        )
    assert problem_codes(caught.value) == {
        "too_few_parties",
        "unknown_modes",
        "direction_not_party",
        "no_modes",
        "duplicate_item",
        "valid_to_before_valid_from",
    }
    assert caught.value.code == "agreement_invalid"
    assert not Agreement.objects.filter(code="HZ-JX-2024").exists()


def test_duplicate_party_and_no_possible_direction(world):
    with pytest.raises(Invalid) as caught:
        new_draft(world, parties=parties_of(world, "421102", "421102"))
    assert {"duplicate_party", "too_few_parties"} <= problem_codes(caught.value)
    with pytest.raises(Invalid) as caught:
        new_draft(
            world,
            items=[
                {
                    "item": world.items["company"],
                    "modes": ["proxy"],
                    "receiving_jurisdictions": [world.huangzhou],
                    "handling_jurisdictions": [world.huangzhou],
                }
            ],
        )
    assert problem_codes(caught.value) == {"no_direction"}


def test_code_must_be_new(world, wehh):
    with pytest.raises(Conflict) as caught:
        new_draft(world, code=wehh.code)
    assert caught.value.code == "agreement_code_exists"


def test_new_version_copies_everything(world, wehh):
    row = AgreementItem.objects.get(agreement=wehh, item=world.items["company"])
    row.handling_jurisdictions.set([world.donghu, world.gedian])
    draft = actions.new_agreement_version(world.user("421102-admin"), wehh)
    assert (draft.code, draft.version, draft.status) == (wehh.code, 2, "draft")
    assert draft.title == wehh.title and draft.valid_from == wehh.valid_from
    assert set(draft.parties.values_list("jurisdiction_id", "liaison_name")) == set(
        wehh.parties.values_list("jurisdiction_id", "liaison_name")
    )
    copied = draft.items.get(item=world.items["company"])
    assert copied.modes == ["proxy", "joint"]
    assert set(copied.handling_jurisdictions.all()) == {world.donghu, world.gedian}
    assert draft.items.count() == 2
    assert events(draft) == ["new_version"]
    with pytest.raises(Conflict) as caught:
        actions.new_agreement_version(world.user("421102-admin"), wehh)
    assert caught.value.code == "agreement_draft_exists"
    with pytest.raises(Conflict) as caught:
        actions.new_agreement_version(world.user("421102-admin"), draft)
    assert caught.value.code == "agreement_is_draft"


def test_active_version_is_frozen(world, wehh):
    with pytest.raises(Conflict) as caught:
        actions.update_agreement_draft(world.user("platform-admin"), wehh, title="改名")
    assert caught.value.code == "agreement_frozen"
    wehh.refresh_from_db()
    assert wehh.title.startswith("武鄂黄黄")


def test_update_draft(world):
    draft = new_draft(world)
    admin = world.user("421102-admin")
    updated = actions.update_agreement_draft(
        admin,
        draft,
        title="新标题",
        valid_to=dt.date(2026, 12, 31),
        parties=parties_of(world, "421102", "420115", "420205"),
    )
    assert updated.title == "新标题" and updated.valid_to == dt.date(2026, 12, 31)
    assert updated.parties.count() == 3
    assert updated.items.get().receiving_jurisdictions.get() == world.huangzhou  # items kept
    assert events(updated) == ["created", "updated"]
    # dropping a party that an item's direction names is refused
    with pytest.raises(Invalid) as caught:
        actions.update_agreement_draft(admin, draft, parties=parties_of(world, "420115", "420205"))
    assert "direction_not_party" in problem_codes(caught.value)
    assert "actor_not_party" in problem_codes(caught.value)


def test_activate_supersedes_previous_version(world, wehh):
    admin = world.user("421102-admin")
    draft = actions.new_agreement_version(admin, wehh)
    active = actions.activate_agreement(admin, draft)
    wehh.refresh_from_db()
    assert active.status == "active" and active.supersedes == wehh
    assert wehh.status == "superseded"
    assert events(wehh) == ["superseded"]
    assert events(active) == ["new_version", "activated"]
    assert AuditEvent.objects.filter(action="agreements.supersede", object_id=str(wehh.pk)).exists()
    with pytest.raises(Conflict) as caught:
        actions.activate_agreement(admin, active)
    assert caught.value.code == "agreement_not_draft"
    with pytest.raises(Conflict):
        actions.resume_agreement(admin, wehh)  # a superseded version stays superseded


def test_activate_supersedes_a_suspended_version_too(world, wehh):
    platform = world.user("platform-admin")
    actions.suspend_agreement(platform, wehh, "联席会议决定暂停")
    draft = actions.new_agreement_version(platform, wehh)
    actions.activate_agreement(platform, draft)
    wehh.refresh_from_db()
    assert wehh.status == "superseded"


def test_activation_checks(world, wehh):
    platform = world.user("platform-admin")
    empty = new_draft(world, items=[])
    with pytest.raises(Invalid) as caught:
        actions.activate_agreement(platform, empty)
    assert problem_codes(caught.value) == {"no_items"}
    ended = new_draft(world, code="OLD", valid_to=dt.date(2024, 12, 31))
    with pytest.raises(Invalid) as caught:
        actions.activate_agreement(platform, ended)
    assert problem_codes(caught.value) == {"already_expired"}
    future = actions.new_agreement_version(platform, wehh)
    actions.update_agreement_draft(
        platform, future, valid_from=timezone.localdate() + dt.timedelta(days=10)
    )
    with pytest.raises(Invalid) as caught:
        actions.activate_agreement(platform, future)
    assert problem_codes(caught.value) == {"starts_after_predecessor_ends"}
    # a first version may start in the future: it simply opens nothing until then
    later = new_draft(world, code="LATER", valid_from=timezone.localdate() + dt.timedelta(days=10))
    assert actions.activate_agreement(platform, later).status == "active"


def test_suspend_resume_expire(world, wehh):
    admin = world.user("420205-admin")
    today = timezone.localdate()
    assert actions.suspend_agreement(admin, wehh, "系统升级").status == "suspended"
    with pytest.raises(Conflict) as caught:
        actions.suspend_agreement(admin, wehh)
    assert caught.value.code == "agreement_not_active"
    assert actions.resume_agreement(admin, wehh).status == "active"
    with pytest.raises(Conflict) as caught:
        actions.resume_agreement(admin, wehh)
    assert caught.value.code == "agreement_not_suspended"
    expired = actions.expire_agreement(admin, wehh)
    assert (expired.status, expired.valid_to) == ("expired", today)
    with pytest.raises(Conflict) as caught:
        actions.expire_agreement(admin, wehh)
    assert caught.value.code == "agreement_not_in_effect"
    assert events(wehh) == ["suspended", "resumed", "expired"]
    assert wehh.events.first().note == "系统升级"
    assert AuditEvent.objects.filter(object_type="agreements.agreement").count() == 3


def test_expire_due_agreements(world, wehh):
    Agreement.objects.filter(pk=wehh.pk).update(valid_to=dt.date(2024, 12, 31))
    assert actions.expire_due_agreements(dt.date(2024, 12, 31)) == []
    assert [a.pk for a in actions.expire_due_agreements(dt.date(2025, 1, 1))] == [wehh.pk]
    wehh.refresh_from_db()
    assert wehh.status == "expired"
    assert AgreementEvent.objects.get(agreement=wehh).actor is None


def test_permissions_on_existing_versions(world, wehh):
    # staff of a party, not admin: may see, may not change
    with pytest.raises(Forbidden):
        actions.suspend_agreement(world.user("421102-clerk"), wehh)
    # admin of a non-party: the active agreement is public, so 403
    with pytest.raises(Forbidden):
        actions.new_agreement_version(world.user("420115-admin"), wehh)
    draft = actions.new_agreement_version(world.user("platform-admin"), wehh)
    # ...but a draft of others is not disclosed
    for name in ("420115-admin", "applicant-1", "421102-clerk"):
        with pytest.raises(NotFound):
            actions.update_agreement_draft(world.user(name), draft, title="x")
        with pytest.raises(NotFound):
            actions.activate_agreement(world.user(name), draft)
    assert actions.activate_agreement(world.user("420703400-admin"), draft).status == "active"


def test_delete_draft(world, wehh):
    draft = actions.new_agreement_version(world.user("platform-admin"), wehh)
    actions.delete_agreement_draft(world.user("421102-admin"), draft)
    assert not Agreement.objects.filter(pk=draft.pk).exists()
    with pytest.raises(Conflict):
        actions.delete_agreement_draft(world.user("421102-admin"), wehh)


def test_expire_agreements_command_marks_only_past_end_dates(world):
    import datetime as dt
    from io import StringIO

    from django.core.management import call_command

    agreement = world.agreement
    out = StringIO()
    call_command("expire_agreements", stdout=out)
    agreement.refresh_from_db()
    assert agreement.status == "active" and "0 agreement(s)" in out.getvalue()
    type(agreement).objects.filter(pk=agreement.pk).update(valid_to=dt.date(2024, 1, 1))
    call_command("expire_agreements", stdout=out)
    agreement.refresh_from_db()
    assert agreement.status == "expired"
    assert agreement.events.filter(action="expired").exists()
