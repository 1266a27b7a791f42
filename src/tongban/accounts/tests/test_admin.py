import pytest
from django.test import Client

from tongban.accounts import actions
from tongban.accounts.models import ApiToken, Role, RoleAssignment, User
from tongban.accounts.tests.conftest import get_token
from tongban.core.masking import mask_id_number, mask_phone
from tongban.core.models import AuditEvent

STRONG = "a-long-enough-passphrase"


@pytest.fixture
def admin_client(world):
    user = actions.create_staff_user(None, "root", STRONG, roles=[(Role.PLATFORM_ADMIN, None)])
    client = Client()
    client.force_login(user)
    return client


def test_applicant_list_masks_id_numbers_and_phones(world, admin_client):
    person = world.applicants["person"]
    response = admin_client.get("/admin/accounts/applicant/")
    assert response.status_code == 200
    html = response.content.decode()
    assert person.id_number not in html
    assert person.phone not in html
    assert mask_id_number(person.id_number) in html
    assert mask_phone(person.phone) in html


def test_applicant_search_by_name_and_uscc(world, admin_client):
    enterprise = world.applicants["enterprise"]
    html = admin_client.get("/admin/accounts/applicant/", {"q": "云尚"}).content.decode()
    assert enterprise.uscc in html
    html = admin_client.get("/admin/accounts/applicant/", {"q": enterprise.uscc}).content.decode()
    assert "云尚李商贸" in html
    html = admin_client.get("/admin/accounts/applicant/", {"q": "不存在的名称"}).content.decode()
    assert "云尚李商贸" not in html


def test_user_admin_pages_render_with_role_inline(world, admin_client):
    assert admin_client.get("/admin/accounts/user/").status_code == 200
    clerk = world.user("421102-clerk")
    response = admin_client.get(f"/admin/accounts/user/{clerk.pk}/change/")
    assert response.status_code == 200
    assert "角色授权" in response.content.decode()


def test_admin_edit_of_an_applicant_is_audited(world, admin_client):
    person = world.applicants["person"]
    response = admin_client.post(
        f"/admin/accounts/applicant/{person.pk}/change/",
        {
            "kind": "person",
            "name": person.name,
            "id_number": person.id_number,
            "uscc": "",
            "agent_name": "",
            "agent_id_number": "",
            "phone": "13800000999",
            "email": person.email,
            "address": person.address,
            "user": person.user_id,
        },
    )
    assert response.status_code == 302
    audit = AuditEvent.objects.get(action="admin_change_applicant")
    assert audit.data["fields"] == ["phone"]


def test_api_tokens_are_read_only(world, admin_client):
    get_token(Client(), "421102-clerk")
    token = ApiToken.objects.get()
    assert admin_client.get("/admin/accounts/apitoken/").status_code == 200
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403
    response = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert response.status_code == 200  # view only
    assert token.key_hash not in response.content.decode()
    response = admin_client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="admin_revoke_token").exists()


def test_clerk_cannot_enter_the_admin_site(world):
    client = Client()
    client.force_login(world.user("421102-clerk"))
    response = client.get("/admin/accounts/applicant/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_jurisdiction_admin_cannot_manage_users(world):
    user = actions.create_staff_user(
        None, "hz-admin2", STRONG, roles=[(Role.ADMIN, world.huangzhou)]
    )
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403


def test_admin_refuses_an_invalid_id_number(world, admin_client):
    person = world.applicants["person"]
    wrong = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    response = admin_client.post(
        f"/admin/accounts/applicant/{person.pk}/change/",
        {"kind": "person", "name": person.name, "id_number": wrong, "phone": person.phone},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "身份号码校验码不正确" in response.content.decode()
    person.refresh_from_db()
    assert person.id_number != wrong


def test_admin_adds_a_user_with_audit(world, admin_client):
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "added-in-admin",
            "kind": "staff",
            "display_name": "后台新增",
            "password1": STRONG,
            "password2": STRONG,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="added-in-admin")
    assert user.check_password(STRONG)
    assert user.display_name == "后台新增"
    assert AuditEvent.objects.filter(action="admin_add_user", object_id=str(user.pk)).exists()


def test_granting_admin_role_in_the_admin_site_gives_admin_access(world, admin_client):
    user = world.user("421102-officer")
    existing = RoleAssignment.objects.get(user=user)
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "kind": "staff",
            "display_name": user.display_name,
            "is_active": "on",
            "role_assignments-TOTAL_FORMS": "2",
            "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-MIN_NUM_FORMS": "0",
            "role_assignments-MAX_NUM_FORMS": "1000",
            "role_assignments-0-id": existing.pk,
            "role_assignments-0-user": user.pk,
            "role_assignments-0-role": "officer",
            "role_assignments-0-jurisdiction": world.huangzhou.pk,
            "role_assignments-1-user": user.pk,
            "role_assignments-1-role": "admin",
            "role_assignments-1-jurisdiction": world.huangzhou.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert user.has_perm("catalog.change_itemimplementation")
    assert AuditEvent.objects.filter(action="admin_change_roles").exists()
