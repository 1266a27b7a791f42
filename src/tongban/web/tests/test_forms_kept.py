"""Issue 15 §1 and §3 (ADR 0123): a refused submission keeps every value, tick and file
(files held server-side for the form), reports every problem at once beside its field,
on the page and in the API; an enterprise's agent chooses 本人 or 本企业."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from tongban.accounts.models import Applicant
from tongban.attachments.actions import hold_uploads, purge_held_uploads
from tongban.attachments.models import Attachment, HeldUpload
from tongban.cases.models import Case
from tongban.core.errors import NotAuthenticated
from tongban.core.models import AuditEvent
from tongban.web.tests.conftest import fake_pdf_upload, pdf_upload
from tongban.web.tests.test_pages import _html, _new_case_form

pytestmark = pytest.mark.django_db

FORM_URL = "/clerk/cases/new/"


def _refused_clerk_form(world, token):
    """The issue's failure: 邮政寄递 without an address, plus an unticked required line
    and a wrong agent ID number, with a scan chosen and 原件随件寄出 ticked."""
    data, materials = _new_case_form(world, token=token, delivery_address="")
    del data[f"m{materials[2].pk}_state"]
    data["agent_id_number"] = "420111199606260000"
    return data, materials


def test_a_refused_window_form_marks_every_field_and_keeps_everything(
    web, world, django_capture_on_commit_callbacks
):
    client = web("421102-clerk")
    data, materials = _refused_clerk_form(world, "t-keep")
    response = client.post(FORM_URL, data)
    assert response.status_code == 422
    page = _html(response)
    # every problem at once, each beside its field and pointed at by it
    for name in ("delivery_address", "agent_id_number"):
        assert f'id="err-{name}"' in page
    assert 'id="delivery_address"' in page
    assert 'aria-invalid="true" aria-describedby="err-delivery_address"' in page
    assert 'aria-describedby="err-agent_id_number agent-check"' in page
    line = f"m{materials[2].pk}_state"
    assert (
        f'id="m{materials[2].pk}_provided" aria-invalid="true" aria-describedby="err-{line}"'
        in (page)
    )
    assert "3 entries need correcting" not in page and "3 处需要更正" in page  # zh page only
    # values, ticks and the chosen file are all still there
    assert 'value="武汉市云尚李商贸有限公司"' in page
    assert f'name="m{materials[0].pk}_posted" value="1" checked' in page
    assert f'name="m{materials[0].pk}_state" value="provided" checked' in page
    held = HeldUpload.objects.get()
    assert held.material_id == materials[1].pk and held.original_name == "章程.pdf"
    assert 'data-testid="held-upload"' in page and "章程.pdf" in page
    assert not Case.objects.exists() and not Attachment.objects.exists()

    # fixed and sent again without choosing the file again: the case opens with it
    data.update(
        {
            "delivery_address": "湖北省黄冈市黄州区东门路1号",
            f"m{materials[2].pk}_state": "missing",
            "agent_id_number": world.applicants["enterprise"].agent_id_number,
        }
    )
    del data[f"m{materials[1].pk}_file"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(FORM_URL, data).status_code == 302
    case = Case.objects.get()
    attachment = Attachment.objects.get(case=case)
    assert attachment.case_material is not None
    assert attachment.case_material.material_id == materials[1].pk
    assert attachment.sha256 == held.sha256 and attachment.original_name == "章程.pdf"
    assert not HeldUpload.objects.exists()
    assert not default_storage.exists(str(held.file.name))  # the held copy is gone
    assert default_storage.exists(str(attachment.file.name))


def test_the_page_is_in_english_only_in_english(web, world):
    client = web("421102-clerk")
    client.cookies["django_language"] = "en"
    data, _materials = _refused_clerk_form(world, "t-en")
    page = _html(client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en"))
    assert "3 entries need correcting" in page and "The delivery address is required." in page
    assert "处需要更正" not in page and "请填写寄递地址" not in page


def test_a_held_file_can_be_removed_and_a_refused_file_is_marked_on_its_line(web, world):
    client = web("421102-clerk")
    data, materials = _new_case_form(world, token="t-remove", delivery_address="")
    data[f"m{materials[0].pk}_file"] = fake_pdf_upload("假的.pdf")
    response = client.post(FORM_URL, data)
    assert response.status_code == 422
    page = _html(response)
    assert f'aria-describedby="err-m{materials[0].pk}_state"' in page
    assert "假的.pdf" in page
    held = HeldUpload.objects.get()  # the good file is held, the refused one is not
    assert held.material_id == materials[1].pk
    # 移除 only shows the form again: nothing is submitted, the file is gone
    data.pop(f"m{materials[0].pk}_file")
    data.pop(f"m{materials[1].pk}_file")
    response = client.post(FORM_URL, {**data, "remove_upload": str(held.pk)})
    assert response.status_code == 200 and 'data-testid="held-upload"' not in _html(response)
    assert not HeldUpload.objects.exists() and not Case.objects.exists()
    assert AuditEvent.objects.filter(action="hold_uploads").count() == 2


def test_held_files_belong_to_their_user_and_form(web, world):
    data, materials = _refused_clerk_form(world, "t-mine")
    web("421102-clerk").post(FORM_URL, data)
    assert HeldUpload.objects.count() == 1
    # another clerk posting the same token gets none of them
    from tongban.accounts.models import RoleAssignment, User
    from tongban.testing.world import PASSWORD

    other = User.objects.create_user("421102-clerk-2", password=PASSWORD, kind="staff")
    RoleAssignment.objects.create(user=other, role="clerk", jurisdiction=world.huangzhou)
    client = web(None)
    client.force_login(other)
    fixed = {
        **data,
        "delivery_address": "湖北省黄冈市黄州区东门路1号",
        f"m{materials[2].pk}_state": "missing",
        "agent_id_number": world.applicants["enterprise"].agent_id_number,
    }
    del fixed[f"m{materials[1].pk}_file"]
    page = _html(client.post(FORM_URL, fixed))
    assert "章程.pdf" not in page
    assert Case.objects.count() == 1 and not Attachment.objects.exists()
    assert HeldUpload.objects.count() == 1  # still the first clerk's


def test_holding_files_needs_a_signed_in_user(world):
    from django.contrib.auth.models import AnonymousUser

    from tongban.attachments.actions import CaseFile

    with pytest.raises(NotAuthenticated):
        hold_uploads(AnonymousUser(), "t", [CaseFile(pdf_upload(), material_id=1)], materials=[1])
    assert not HeldUpload.objects.exists()


def test_unauthenticated_form_post_goes_to_sign_in(web, world):
    data, _materials = _refused_clerk_form(world, "t-anon")
    response = web(None).post(FORM_URL, data)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not HeldUpload.objects.exists()


def test_out_of_jurisdiction_clerk_holds_nothing(web, world):
    data, _materials = _refused_clerk_form(world, "t-far")
    data["at"] = "421102"
    response = web("420100Z01-officer").post(FORM_URL, data)
    assert response.status_code == 403
    assert not HeldUpload.objects.exists()


def test_expired_held_files_are_purged(web, world, django_capture_on_commit_callbacks):
    data, _materials = _refused_clerk_form(world, "t-old")
    web("421102-clerk").post(FORM_URL, data)
    held = HeldUpload.objects.get()
    assert purge_held_uploads() == 0
    HeldUpload.objects.filter(pk=held.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_held_uploads")
    assert not HeldUpload.objects.exists()
    assert not default_storage.exists(str(held.file.name))


# --- 本人 / 本企业 (§3) --------------------------------------------------------------


def _agent_with_own_record(world):
    enterprise = world.applicants["enterprise"]
    person = Applicant.objects.create(
        kind="person",
        name="卫敏",
        id_number=enterprise.agent_id_number,
        user=enterprise.user,
    )
    return enterprise, person


def _apply(client, world, **extra):
    impl = world.implementations[("company", "420100Z01")]
    materials = list(impl.materials.order_by("position"))
    data = {
        "token": extra.pop("token", "t-apply"),
        "delivery_method": "electronic",
        f"m{materials[0].pk}_file": pdf_upload("申请书.pdf"),
        **extra,
    }
    return client.post("/my/apply/ITEM-COMPANY/420100Z01/", data), materials


def test_an_agent_chooses_between_himself_and_his_enterprise(web, world):
    enterprise, person = _agent_with_own_record(world)
    client = web("enterprise-1")
    page = _html(client.get("/my/apply/ITEM-COMPANY/420100Z01/"))
    assert "本人" in page and "本企业" in page and 'name="acting_as"' in page
    # no choice: refused on that field, the file held, nothing filed
    response, _materials = _apply(client, world, delivery_method="post")
    assert response.status_code == 422
    page = _html(response)
    assert (
        'aria-describedby="err-acting_as"' in page
        and "请选择以本人名义还是以本企业名义申请" in page
    )
    assert 'aria-describedby="err-delivery_address"' in page  # both problems at once
    assert HeldUpload.objects.count() == 1 and not Case.objects.exists()
    # for the enterprise: the enterprise applies, its agent (this account) files
    response, _materials = _apply(client, world, acting_as=str(enterprise.pk))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.applicant == enterprise and case.submitted_by == enterprise.user
    assert Attachment.objects.filter(case=case).count() == 1
    # for himself
    response, _materials = _apply(client, world, acting_as=str(person.pk), token="t-self")
    assert Case.objects.order_by("-pk")[0].applicant == person


def test_an_agent_cannot_apply_as_someone_elses_applicant(web, world):
    _agent_with_own_record(world)
    other = world.applicants["person"]
    response, _materials = _apply(web("enterprise-1"), world, acting_as=str(other.pk))
    assert response.status_code == 422 and not Case.objects.exists()


def test_an_account_with_one_applicant_sees_no_choice(web, world):
    page = _html(web("applicant-1").get("/my/apply/ITEM-COMPANY/420100Z01/"))
    assert 'name="acting_as"' not in page


# --- registration: every problem after one submit ------------------------------------


def test_registration_reports_every_problem_at_once_in_the_page_language(web, world):
    form = {
        "username": "bad name!",
        "name": "张三",
        "id_number": "123",
        "phone": "12",
        "email": "",
        "password": "short",
        "password2": "short",
    }
    response = web(None).post("/register/", form)
    assert response.status_code == 422
    page = _html(response)
    for name in ("username", "id_number", "phone", "password"):
        assert f'id="err-{name}"' in page, name
        assert f'aria-describedby="err-{name}"' in page, name
    assert "身份号码应为18位" in page and 'value="张三"' in page
    english = web(None)
    english.cookies["django_language"] = "en"
    page = _html(english.post("/register/", form, HTTP_ACCEPT_LANGUAGE="en"))
    assert "身份号码应为18位" not in page and "密码" not in page.split("<main", 1)[-1]
    from tongban.accounts.models import User

    assert not User.objects.filter(username__in=["bad name!", "badname"]).exists()


def test_the_window_form_starts_with_an_enterprise_for_a_legal_person_item(web, world):
    from tongban.catalog.models import ServiceItem

    query = {"at": "421102", "item": "ITEM-COMPANY", "handling": "420100Z01", "mode": "proxy"}
    page = _html(web("421102-clerk").get(FORM_URL, query))
    assert 'value="person" checked' in page and 'value="enterprise" checked' not in page
    ServiceItem.objects.filter(code="ITEM-COMPANY").update(applicant_kind="enterprise")
    page = _html(web("421102-clerk").get(FORM_URL, query))
    assert 'value="enterprise" checked' in page and 'value="person" checked' not in page
    # what the clerk chose is kept on a refused form
    data, _materials = _new_case_form(world, token="t-kind", delivery_address="")
    data["applicant_kind"] = "person"
    page = _html(web("421102-clerk").post(FORM_URL, data))
    assert 'value="person" checked' in page
