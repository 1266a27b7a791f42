"""The demo seed: refuses outside demo mode, builds the world through the actions, and a
second run changes nothing. One test seeds (twice) and checks everything, to stay fast."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from tongban.accounts.identifiers import is_valid_id_number, is_valid_uscc
from tongban.accounts.models import Applicant, RoleAssignment, User
from tongban.agreements.models import Agreement, AgreementItem
from tongban.agreements.selectors import find_agreement_item
from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.centres.models import Window
from tongban.core.models import AuditEvent
from tongban.demo import data
from tongban.demo.builder import demo_usernames
from tongban.regions.models import CalendarYear, Department, Jurisdiction


def seed() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def row_counts() -> dict[str, int]:
    labels = ("core", "regions", "accounts", "centres", "catalog", "agreements", "auth")
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels
    }


def test_refuses_without_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="TONGBAN_DEMO=1"):
        seed()
    assert not User.objects.exists()
    assert not Jurisdiction.objects.exists()


def test_seed_builds_the_demo_world_once(db, settings):
    settings.DEMO_MODE = True
    first_output = seed()
    first = row_counts()
    second_output = seed()
    assert row_counts() == first, "the second run must change nothing"
    assert "nothing to do" in second_output
    for text in (first_output, second_output):
        assert "platform-admin" in text and "421102-clerk" in text
        assert "http://127.0.0.1:8000/admin/" in text and "/api/docs" in text

    check_accounts_log_in()
    check_staff()
    check_master_data()
    check_agreements()
    check_applicants()
    assert CalendarYear.objects.filter(year=2027, provisional=True).exists()


def check_accounts_log_in() -> None:
    usernames = demo_usernames()
    assert set(User.objects.values_list("username", flat=True)) == set(usernames)
    client = Client()
    for username in usernames:
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": data.DEMO_PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, username


def check_staff() -> None:
    for j in data.JURISDICTIONS:
        for role in data.STAFF_ROLES:
            user = User.objects.get(username=f"{j.code}-{role}")
            (assignment,) = RoleAssignment.objects.filter(user=user).select_related(
                "jurisdiction", "window"
            )
            assert assignment.jurisdiction is not None
            assert (assignment.role, assignment.jurisdiction.code) == (role, j.code)
            if role == "clerk":
                assert assignment.window is not None and assignment.window.kind == "dedicated"
            assert user.is_staff == (role == "admin")
    assert User.objects.get(username="421102-clerk").display_name == "黄州窗口收件员"
    root = User.objects.get(username="platform-admin")
    assert root.is_superuser and root.is_staff
    assert User.objects.get(username="420100Z01-admin").has_perm("catalog.change_material")


def check_master_data() -> None:
    zones = dict(Jurisdiction.objects.filter(kind="zone").values_list("code", "name"))
    assert zones == {"420100Z01": "武汉东湖新技术开发区", "420703400": "鄂州葛店经济技术开发区"}
    assert Jurisdiction.objects.get(code="420205").short_name == "开铁"
    shangcheng = Jurisdiction.objects.get(code="411524").region
    assert shangcheng.parent is not None and shangcheng.parent.code == "411500"
    jurisdictions = Jurisdiction.objects.count()
    assert jurisdictions == len(data.JURISDICTIONS)
    assert Department.objects.count() == jurisdictions * len(data.DEPARTMENTS)
    for uscc in Department.objects.values_list("uscc", flat=True):
        assert is_valid_uscc(uscc) and uscc.startswith("11")
    kinds = sorted(Window.objects.values_list("centre__jurisdiction__code", "kind"))
    assert len(kinds) == jurisdictions * 3
    assert {k for _, k in kinds} == {"dedicated", "fallback", "terminal"}

    # demo/enterprise.py adds the 企业开办一件事 parts on top of data.ITEMS
    assert ServiceItem.objects.filter(code__in=data.ITEM_CODES).count() == len(data.ITEMS) >= 106
    # only the three items the article names are high-frequency
    assert set(ServiceItem.objects.filter(high_frequency=True).values_list("name", flat=True)) == {
        "户口迁移审批",
        "机动车驾驶证核发、审验",
        "内地居民结婚登记",
    }
    published = ItemImplementation.objects.filter(
        status="published", item__code__in=data.ITEM_CODES
    )
    assert published.count() == sum(len(codes) for codes in data.IMPLEMENTED_ITEMS.values())
    assert not published.exclude(valid_from=timezone.localdate()).exists()
    # the set-based publication leaves one audit row per implementation, like the actions
    # (demo/enterprise.py publishes a few more versions through the action)
    assert AuditEvent.objects.filter(action="catalog.implementation.publish").count() == (
        ItemImplementation.objects.exclude(published_at=None).count()
    )
    assert not published.filter(materials__isnull=True).exists()
    company = published.get(item__code="ITEM-COMPANY", jurisdiction__code="421102")
    assert (company.promised_limit_days, company.result_type) == (3, "licence")
    assert company.licence_type_code == data.LT_BUSINESS_LICENCE
    assert "terminal" in company.channels
    assert company.department.kind == "market_regulation"
    assert company.materials.filter(requirement="deferrable").exists()
    assert company.materials.filter(licence_type_code=data.LT_ID_CARD).exists()
    gedian = published.get(item__code="ITEM-COMPANY", jurisdiction__code="420703400")
    assert gedian.promised_limit_days == 1


def check_agreements() -> None:
    assert Agreement.objects.filter(status="active").count() == len(data.AGREEMENTS)
    wehh = Agreement.objects.get(code="WEHH-2023")
    assert str(wehh.signed_on) == "2023-03-07"
    assert set(wehh.parties.values_list("jurisdiction__code", flat=True)) == set(data.WEHH)
    assert all(p.liaison_name and p.liaison_phone for p in wehh.parties.all())
    xinyang = Agreement.objects.get(code="GD-XY-2022")
    assert xinyang.parties.count() == 7
    # the article's item counts
    sizes = dict(Agreement.objects.annotate(n=Count("items")).values_list("code", "n"))
    assert sizes["GD-XY-2022"] == 63 and "63" in xinyang.notes
    assert sizes["HZ-XY-2023"] == 54
    assert sizes["KT-ZK-2022"] == sizes["KT-ZB-2022"] == 59
    assert sizes["WH-1P8-2022"] == 106
    circle = Agreement.objects.get(code="WH-1P8-2022")
    assert str(circle.valid_from) == "2022-01-01" and circle.valid_to is None
    assert "48个政务服务中心" in circle.notes
    assert set(circle.parties.values_list("jurisdiction__code", flat=True)) == set(data.WEHH)
    kaitie = AgreementItem.objects.filter(agreement__code="KT-ZK-2022")
    assert set(kaitie.values_list("item__department_kind", flat=True)) == {
        "market_regulation",
        "medical_insurance",
        "housing_fund",
        "real_estate",
        "human_resources",
        "civil_affairs",
        "public_security",
        "health",
    }  # the article's seven areas: 住房 is the fund and the property register
    check_every_agreement_item_can_be_handled()

    today = timezone.localdate()
    j = {x.code: x for x in Jurisdiction.objects.all()}
    items = {i.code: i for i in ServiceItem.objects.all()}
    fund = items["ITEM-HOUSING-FUND-DEDUCTION"]
    # one-way: 东湖 receives for 开铁, never the reverse
    assert find_agreement_item(fund, j["420100Z01"], j["420205"], "proxy", today)
    assert find_agreement_item(fund, j["420205"], j["420100Z01"], "proxy", today) is None
    company = items["ITEM-COMPANY"]
    # the article: 黄州 receives, 东湖 handles
    assert find_agreement_item(company, j["421102"], j["420100Z01"], "proxy", today)
    # 潢川 receives for 葛店 but 葛店 does not receive for 潢川
    assert find_agreement_item(company, j["411526"], j["420703400"], "proxy", today)
    assert find_agreement_item(company, j["420703400"], j["411526"], "proxy", today) is None
    # 江夏 is party to nothing
    assert find_agreement_item(company, j["420115"], j["421102"], "proxy", today) is None


def check_every_agreement_item_can_be_handled() -> None:
    """Every party that may handle an agreement item has published it, so a window can
    receive everything an agreement lists."""
    published = set(
        ItemImplementation.objects.filter(status="published").values_list(
            "item_id", "jurisdiction_id"
        )
    )
    checked = 0
    for ai in AgreementItem.objects.prefetch_related(
        "handling_jurisdictions", "agreement__parties"
    ):
        handlers = [j.pk for j in ai.handling_jurisdictions.all()] or [
            p.jurisdiction_id for p in ai.agreement.parties.all()
        ]
        for handler in handlers:
            assert (ai.item_id, handler) in published, (ai.agreement.code, ai.item_id)
            checked += 1
    assert checked > 1000


def check_applicants() -> None:
    persons = Applicant.objects.filter(kind="person")
    enterprises = Applicant.objects.filter(kind="enterprise")
    assert persons.count() == len(data.PERSONS) + len(data.ENTERPRISES)
    assert enterprises.count() == len(data.ENTERPRISES)
    assert all(is_valid_id_number(a.id_number) for a in persons)
    assert all(is_valid_uscc(a.uscc) and is_valid_id_number(a.agent_id_number) for a in enterprises)
    assert all(a.email.endswith("@example.com") for a in persons)
    yunshang = enterprises.get(name="武汉市云尚李商贸有限公司")
    assert yunshang.agent_name == "李云峰"
    assert yunshang.user is not None and yunshang.user.username == "enterprise-1"
    assert User.objects.get(username="applicant-1").kind == "applicant"
