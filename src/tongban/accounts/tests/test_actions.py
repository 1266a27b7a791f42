import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from tongban.accounts import access, actions
from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Applicant, Role, RoleAssignment, User
from tongban.accounts.tests.conftest import get_token
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.core.models import AuditEvent

STRONG = "a-long-enough-passphrase"
NEW_ID = make_id_number("421102", dt.date(2001, 2, 3), 17)
NEW_USCC = make_uscc("421102", "MA4KD2Y8X")


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def fresh_user(username: str) -> User:
    return User.objects.get(username=username)  # no cached grants


# ---------------------------------------------------------------- create_staff_user


def test_platform_admin_creates_staff_with_roles_and_audit(world):
    admin = world.user("platform-admin")
    user = actions.create_staff_user(
        admin,
        "hz-new",
        STRONG,
        "黄州新收件员",
        roles=[(Role.CLERK, world.huangzhou), (Role.OFFICER, world.huangzhou)],
    )
    assert user.kind == User.Kind.STAFF
    assert user.check_password(STRONG)
    assert access.roles_in(fresh_user("hz-new"), world.huangzhou.pk) == {"clerk", "officer"}
    audit = AuditEvent.objects.get(action="create_staff_user", object_id=str(user.pk))
    assert audit.actor == admin
    assert {"role": "clerk", "jurisdiction": "421102"} in audit.data["roles"]


def test_jurisdiction_admin_creates_clerk_in_own_jurisdiction(world):
    user = actions.create_staff_user(
        world.user("421102-admin"), "hz-clerk2", STRONG, roles=[(Role.CLERK, world.huangzhou)]
    )
    assert RoleAssignment.objects.filter(user=user, jurisdiction=world.huangzhou).exists()


def test_jurisdiction_admin_may_not_create_staff_elsewhere(world):
    with pytest.raises(Forbidden) as info:
        actions.create_staff_user(
            world.user("421102-admin"), "dh-clerk2", STRONG, roles=[(Role.CLERK, world.donghu)]
        )
    assert info.value.code == "may_not_grant_role"
    assert not User.objects.filter(username="dh-clerk2").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PLATFORM_ADMIN])
def test_jurisdiction_admin_may_not_grant_admin_roles(world, role):
    jurisdiction = None if role == Role.PLATFORM_ADMIN else world.huangzhou
    with pytest.raises(Forbidden):
        actions.create_staff_user(
            world.user("421102-admin"), "hz-boss", STRONG, roles=[(role, jurisdiction)]
        )


@pytest.mark.parametrize("username", ["421102-clerk", "421102-head", "applicant-1"])
def test_other_users_may_not_create_staff(world, username):
    with pytest.raises(Forbidden):
        actions.create_staff_user(
            world.user(username), "x-new", STRONG, roles=[(Role.CLERK, world.huangzhou)]
        )


def test_anonymous_may_not_create_staff(world):
    with pytest.raises(NotAuthenticated):
        actions.create_staff_user(
            AnonymousUser(), "x-new", STRONG, roles=[(Role.CLERK, world.huangzhou)]
        )


def test_username_is_unique_ignoring_case(world):
    with pytest.raises(Conflict) as info:
        actions.create_staff_user(None, "421102-CLERK", STRONG, roles=[(Role.CLERK, world.gedian)])
    assert info.value.code == "username_taken"


def test_weak_password_is_refused_and_nothing_written(world):
    audits = AuditEvent.objects.count()
    with pytest.raises(Invalid) as info:
        actions.create_staff_user(None, "weak", "123", roles=[(Role.CLERK, world.huangzhou)])
    assert info.value.code == "weak_password"
    assert info.value.details["errors"]
    assert not User.objects.filter(username="weak").exists()
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ([], "roles_required"),
        ([("wizard", None)], "unknown_role"),
        ([(Role.CLERK, None)], "jurisdiction_required"),
        ([(Role.PLATFORM_ADMIN, "J")], "platform_admin_without_jurisdiction"),
    ],
)
def test_bad_role_specs_are_invalid(world, roles, code):
    roles = [(r, world.huangzhou if j == "J" else j) for r, j in roles]
    with pytest.raises(Invalid) as info:
        actions.create_staff_user(None, "spec", STRONG, roles=roles)
    assert info.value.code == code
    assert not User.objects.filter(username="spec").exists()


@pytest.mark.parametrize("username", ["", "has space", "semi;colon"])
def test_bad_username_is_invalid(world, username):
    with pytest.raises(Invalid) as info:
        actions.create_staff_user(None, username, STRONG, roles=[(Role.CLERK, world.huangzhou)])
    assert info.value.code == "invalid_username"


def test_platform_admin_role_makes_a_django_superuser(world):
    user = actions.create_staff_user(None, "root2", STRONG, roles=[(Role.PLATFORM_ADMIN, None)])
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff


def test_jurisdiction_admin_gets_admin_site_access_to_master_data(world):
    user = actions.create_staff_user(
        world.user("platform-admin"), "hz-admin2", STRONG, roles=[(Role.ADMIN, world.huangzhou)]
    )
    user = fresh_user("hz-admin2")
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("catalog.change_itemimplementation")
    assert user.has_perm("centres.add_window")
    assert user.has_perm("catalog.view_serviceitem")
    assert not user.has_perm("catalog.change_serviceitem")
    assert not user.has_perm("catalog.delete_itemimplementation")
    assert not user.has_perm("accounts.change_user")


# ---------------------------------------------------------------- assign / revoke


def test_assign_role_is_idempotent(world):
    user = world.user("421102-clerk")
    first = actions.assign_role(world.user("platform-admin"), user, Role.OFFICER, world.huangzhou)
    audits = AuditEvent.objects.count()
    again = actions.assign_role(world.user("platform-admin"), user, Role.OFFICER, world.huangzhou)
    assert again.pk == first.pk
    assert AuditEvent.objects.count() == audits


def test_assign_role_refreshes_cached_grants(world):
    user = world.user("421102-clerk")
    assert not access.has_role(user, [Role.HEAD], world.huangzhou.pk)
    actions.assign_role(world.user("421102-admin"), user, Role.HEAD, world.huangzhou)
    assert access.has_role(user, [Role.HEAD], world.huangzhou.pk)


def test_assign_role_records_the_window(world):
    window = world.windows["421102"]
    assignment = actions.assign_role(
        None, world.user("421102-clerk"), Role.CLERK, world.huangzhou, window=window
    )
    assert assignment.window == window
    assert AuditEvent.objects.filter(action="assign_role_window").count() == 1


def test_window_must_belong_to_the_jurisdiction(world):
    with pytest.raises(Invalid) as info:
        actions.assign_role(
            None,
            world.user("421102-clerk"),
            Role.CLERK,
            world.huangzhou,
            window=world.windows["420100Z01"],
        )
    assert info.value.code == "window_not_in_jurisdiction"


def test_applicant_account_cannot_hold_a_staff_role(world):
    with pytest.raises(Invalid) as info:
        actions.assign_role(None, world.user("applicant-1"), Role.CLERK, world.huangzhou)
    assert info.value.code == "not_staff_account"


def test_jurisdiction_admin_may_not_assign_in_another_jurisdiction(world):
    with pytest.raises(Forbidden):
        actions.assign_role(
            world.user("420100Z01-admin"), world.user("421102-clerk"), Role.HEAD, world.huangzhou
        )


def test_revoke_role_removes_it_with_audit(world):
    user = world.user("421102-officer")
    actions.revoke_role(world.user("421102-admin"), user, Role.OFFICER, world.huangzhou)
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not access.has_role(user, [Role.OFFICER], world.huangzhou.pk)
    assert AuditEvent.objects.filter(action="revoke_role").count() == 1


def test_revoking_admin_role_removes_admin_site_access(world):
    user = actions.create_staff_user(
        None, "hz-admin3", STRONG, roles=[(Role.ADMIN, world.huangzhou)]
    )
    actions.revoke_role(None, user, Role.ADMIN, world.huangzhou)
    user = fresh_user("hz-admin3")
    assert not user.is_staff
    assert not user.groups.exists()
    assert not user.has_perm("catalog.change_itemimplementation")


def test_revoke_missing_role_is_not_found(world):
    with pytest.raises(NotFound):
        actions.revoke_role(None, world.user("421102-clerk"), Role.HEAD, world.huangzhou)


def test_last_platform_admin_cannot_be_removed(world):
    admin = world.user("platform-admin")
    with pytest.raises(Conflict) as info:
        actions.revoke_role(admin, admin, Role.PLATFORM_ADMIN)
    assert info.value.code == "last_platform_admin"
    second = actions.create_staff_user(None, "root2", STRONG, roles=[(Role.PLATFORM_ADMIN, None)])
    actions.revoke_role(admin, admin, Role.PLATFORM_ADMIN)
    assert not RoleAssignment.objects.filter(user=admin).exists()
    assert RoleAssignment.objects.filter(user=second, role=Role.PLATFORM_ADMIN).exists()


def test_clerk_may_not_revoke_roles(world):
    with pytest.raises(Forbidden):
        actions.revoke_role(
            world.user("421102-clerk"),
            world.user("421102-officer"),
            Role.OFFICER,
            world.huangzhou,
        )


# ---------------------------------------------------------------- applicants


def test_clerk_registers_a_person(world):
    clerk = world.user("421102-clerk")
    applicant = actions.register_applicant_person(
        clerk, " 赵六 ", NEW_ID.lower(), "138 0000 9999", "zl@example.com", "黄州区某路1号"
    )
    assert applicant.kind == Applicant.Kind.PERSON
    assert applicant.name == "赵六"
    assert applicant.id_number == NEW_ID
    assert applicant.phone == "13800009999"
    audit = AuditEvent.objects.get(action="register_applicant", object_id=str(applicant.pk))
    assert audit.actor == clerk
    assert NEW_ID not in str(audit.data) and NEW_ID not in audit.summary


def test_landline_phone_is_accepted(world):
    applicant = actions.register_applicant_person(None, "赵六", NEW_ID, phone="0713-8600123")
    assert applicant.phone == "0713-8600123"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"id_number": wrong_check(NEW_ID)}, "invalid_id_number"),
        ({"phone": "12345"}, "invalid_phone"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"name": "  "}, "name_required"),
        ({"address": "长" * 300}, "address_too_long"),
    ],
)
def test_bad_person_input_is_invalid_and_writes_nothing(world, kwargs, code):
    values = {"name": "赵六", "id_number": NEW_ID} | kwargs
    count = Applicant.objects.count()
    with pytest.raises(Invalid) as info:
        actions.register_applicant_person(world.user("421102-clerk"), **values)
    assert info.value.code == code
    assert info.value.status == 422
    assert Applicant.objects.count() == count


def test_person_registered_twice_is_a_conflict(world):
    existing = world.applicants["person"]
    with pytest.raises(Conflict) as info:
        actions.register_applicant_person(None, "李明", existing.id_number)
    assert info.value.code == "applicant_exists"


def test_applicant_may_not_register_other_applicants(world):
    with pytest.raises(Forbidden):
        actions.register_applicant_person(world.user("applicant-1"), "赵六", NEW_ID)


def test_only_applicant_accounts_can_be_linked(world):
    with pytest.raises(Invalid) as info:
        actions.register_applicant_person(None, "赵六", NEW_ID, user=world.user("421102-clerk"))
    assert info.value.code == "not_applicant_account"


def test_register_enterprise_with_authority_n_code(world):
    uscc = make_uscc("421102", "MA4KD2Y8X", authority="N", kind="1")
    applicant = actions.register_applicant_enterprise(
        world.user("421102-clerk"),
        "黄州某合作社",
        uscc.lower(),
        "赵六",
        NEW_ID,
        phone="13800009999",
        user=world.user("applicant-1"),
    )
    assert applicant.kind == Applicant.Kind.ENTERPRISE
    assert applicant.uscc == uscc
    assert applicant.agent_id_number == NEW_ID
    assert applicant.user == world.user("applicant-1")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"uscc": wrong_check(NEW_USCC)}, "invalid_uscc"),
        ({"agent_id_number": "123"}, "invalid_id_number"),
        ({"agent_name": ""}, "agent_name_required"),
    ],
)
def test_bad_enterprise_input_is_invalid(world, kwargs, code):
    values = {
        "name": "黄州某公司",
        "uscc": NEW_USCC,
        "agent_name": "赵六",
        "agent_id_number": NEW_ID,
    } | kwargs
    with pytest.raises(Invalid) as info:
        actions.register_applicant_enterprise(None, **values)
    assert info.value.code == code


def test_enterprise_registered_twice_is_a_conflict(world):
    existing = world.applicants["enterprise"]
    with pytest.raises(Conflict):
        actions.register_applicant_enterprise(None, "同名公司", existing.uscc, "赵六", NEW_ID)


def test_portal_self_registration_creates_account_and_applicant(world, api):
    user = actions.register_portal_user(
        "zhaoliu", STRONG, "赵六", NEW_ID, "13800009999", "zl@example.com"
    )
    assert user.kind == User.Kind.APPLICANT
    assert user.display_name == "赵六"
    applicant = Applicant.objects.get(user=user)
    assert applicant.id_number == NEW_ID
    assert get_token(api, "zhaoliu", STRONG)
    assert AuditEvent.objects.filter(action="register_portal_user", actor=user).exists()


def test_portal_registration_of_a_known_person_does_not_disclose_it(world):
    """ADR 0091: the same answer as for a new person; the account is linked to nobody and
    the registered applicant is told."""
    from tongban.notifications.models import OutboxMessage

    known = world.applicants["person"]
    user = actions.register_portal_user("someone", STRONG, "李明", known.id_number)
    assert user.kind == User.Kind.APPLICANT and user.pk is not None
    assert not Applicant.objects.filter(user=user).exists()
    known.refresh_from_db()
    assert known.user_id != user.pk
    assert (
        Applicant.objects.filter(id_number_index=blind_index("identifier", known.id_number)).count()
        == 1
    )
    message = OutboxMessage.objects.get(applicant=known, template="registration_attempt")
    assert message.case_id is None and message.context == {"username": "someone"}
    audit = AuditEvent.objects.get(action="register_portal_user_unlinked", actor=user)
    assert known.id_number not in str(audit.data) and known.id_number not in audit.summary


def test_new_person_registration_queues_no_notification(world):
    from tongban.notifications.models import OutboxMessage

    before = OutboxMessage.objects.count()
    actions.register_portal_user("zhaoliu", STRONG, "赵六", NEW_ID)
    assert OutboxMessage.objects.count() == before


def test_portal_registration_checks_password_and_username(world):
    with pytest.raises(Invalid):
        actions.register_portal_user("zhaoliu", "short", "赵六", NEW_ID)
    with pytest.raises(Conflict):
        actions.register_portal_user("applicant-1", STRONG, "赵六", NEW_ID)
    assert not Applicant.objects.filter(id_number_index=blind_index("identifier", NEW_ID)).exists()


def test_password_and_hash_are_mutually_exclusive(world):
    with pytest.raises(ValueError):
        actions.register_portal_user("zhaoliu", STRONG, "赵六", NEW_ID, password_hash="x")
