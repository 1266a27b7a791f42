"""The 葛店–信阳 corner of the two-node tests: 潢川 (Henan) with its officer and its
company-registration implementation, and the agreement GD-XY-2023 between 葛店 and 潢川,
added to the test world before its database is copied to both nodes; and the steps each
node's staff take, run inside that node's process (`tongban shell -c`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

GEDIAN, HUANGCHUAN, AGREEMENT = "420703400", "411526", "GD-XY-2023"


def add_xinyang(valid_from: dt.date = dt.date(2023, 3, 7)) -> None:
    from tongban.accounts.identifiers import make_uscc
    from tongban.accounts.models import RoleAssignment, User
    from tongban.agreements.models import Agreement, AgreementItem, AgreementParty
    from tongban.catalog.models import ItemImplementation, Material, ServiceItem
    from tongban.regions.models import AdministrativeRegion, Department, Jurisdiction
    from tongban.testing.world import PASSWORD

    henan = AdministrativeRegion.objects.create(code="410000", name="河南省", level="province")
    xinyang = AdministrativeRegion.objects.create(
        code="411500", name="信阳市", level="city", parent=henan
    )
    county = AdministrativeRegion.objects.create(
        code=HUANGCHUAN, name="潢川县", level="county", parent=xinyang
    )
    huangchuan = Jurisdiction.objects.create(
        code=HUANGCHUAN, name="信阳市潢川县", short_name="潢川", kind="region", region=county
    )
    department = Department.objects.create(
        jurisdiction=huangchuan,
        kind="market_regulation",
        name="潢川市场监督管理局",
        uscc=make_uscc("411526", "MB0900001", authority="1", kind="1"),
    )
    company = ServiceItem.objects.get(code="ITEM-COMPANY")
    implementation = ItemImplementation.objects.create(
        item=company,
        jurisdiction=huangchuan,
        department=department,
        status="published",
        statutory_limit_days=20,
        promised_limit_days=3,
        fee=Decimal("0"),
        result_type="licence",
        result_name="营业执照",
        licence_type_code="11100000000000001",
        delivery_methods=["post", "window", "electronic"],
        modes=["proxy"],
        channels=["window"],
        needs_originals=False,
        valid_from=valid_from,
    )
    for position, name in enumerate(("公司登记(备案)申请书", "公司章程"), start=1):
        Material.objects.create(
            implementation=implementation,
            position=position,
            name=name,
            requirement="required",
            form="copy",
        )
    agreement = Agreement.objects.create(
        code=AGREEMENT,
        title="葛店开发区与信阳市六县政务服务“跨省通办”合作协议",
        status="active",
        signed_on=valid_from,
        valid_from=valid_from,
    )
    for code in (GEDIAN, HUANGCHUAN):
        AgreementParty.objects.create(
            agreement=agreement,
            jurisdiction=Jurisdiction.objects.get(code=code),
            liaison_name="联络人",
            liaison_phone="027-00000000",
        )
    AgreementItem.objects.create(agreement=agreement, item=company, modes=["proxy"])
    for role in ("clerk", "officer"):
        user = User.objects.create_user(
            username=f"{HUANGCHUAN}-{role}", password=PASSWORD, kind="staff"
        )
        RoleAssignment.objects.create(user=user, role=role, jurisdiction=huangchuan)


def receive_for_huangchuan() -> str:
    """On Hubei: the 葛店 clerk receives a company registration for 潢川, checks it and
    transfers it; prints and returns its number."""
    from tongban.accounts.models import Applicant, User
    from tongban.cases.actions import ActionInput, perform_case_action, submit_case
    from tongban.catalog.models import ItemImplementation
    from tongban.testing.cases import company_submission_input

    clerk = User.objects.get(username=f"{GEDIAN}-clerk")
    implementation = ItemImplementation.objects.select_related("jurisdiction").get(
        item__code="ITEM-COMPANY", jurisdiction__code=HUANGCHUAN
    )
    case = submit_case(
        clerk,
        company_submission_input(
            implementation,
            Applicant.objects.get(kind="enterprise"),
            receiving=GEDIAN,
            delivery_address="湖北省鄂州市葛店开发区创业大道1号",
        ),
    )
    perform_case_action(clerk, case.number, "check", ActionInput())
    perform_case_action(clerk, case.number, "transfer", ActionInput())
    print(case.number)
    return case.number


def decide_on_henan(number: str) -> None:
    """On Henan: 潢川's officer receives the transfer, accepts and approves the replica."""
    from tongban.accounts.models import User
    from tongban.cases.actions import ActionInput, perform_case_action

    officer = User.objects.get(username=f"{HUANGCHUAN}-officer")
    for action in ("receive_transfer", "accept", "approve"):
        perform_case_action(officer, number, action, ActionInput())


def apply_online(handling: str, officer: str) -> str:
    """On the node serving `handling`: applicant-1 (who has an e-mail address) applies
    online for a company registration there and `officer` accepts it, which queues the
    applicant's "accepted" notification on that node. Prints and returns the number."""
    from tongban.accounts.models import User
    from tongban.cases.actions import (
        ActionInput,
        MaterialInput,
        SubmitInput,
        perform_case_action,
        submit_case,
    )
    from tongban.catalog.models import ItemImplementation

    implementation = ItemImplementation.objects.get(
        item__code="ITEM-COMPANY", jurisdiction__code=handling
    )
    # 潢川's implementation is window-only in this world; open it online for the test
    implementation.modes = sorted({*implementation.modes, "online"})
    implementation.channels = sorted({*implementation.channels, "web"})
    implementation.delivery_methods = sorted({*implementation.delivery_methods, "electronic"})
    implementation.save(update_fields=["modes", "channels", "delivery_methods"])
    case = submit_case(
        User.objects.get(username="applicant-1"),
        SubmitInput(
            item="ITEM-COMPANY",
            handling=handling,
            mode="online",
            channel="web",
            delivery_method="electronic",
            materials=[MaterialInput(material_id=m.pk) for m in implementation.materials.all()],
        ),
    )
    perform_case_action(User.objects.get(username=officer), case.number, "accept", ActionInput())
    print(case.number)
    return case.number


def issue_on_henan(number: str) -> None:
    """On Henan: 潢川's signing keys (under the root the trust list publishes), then its
    officer issues the result, and the worker's part done here: the licence is signed,
    which queues it for Hubei (ADR 0132). Prints the licence identifier."""
    from tongban.accounts.models import User
    from tongban.cases.actions import ActionInput, perform_case_action
    from tongban.licences.actions import licences_to_sign, setup_pki, sign_licence
    from tongban.licences.models import Licence
    from tongban.regions.models import Jurisdiction

    setup_pki(None, jurisdictions=[Jurisdiction.objects.get(code=HUANGCHUAN)], key_type="ecdsa")
    officer = User.objects.get(username=f"{HUANGCHUAN}-officer")
    perform_case_action(officer, number, "issue_result", ActionInput())
    for pk in licences_to_sign():
        sign_licence(pk)
    print(Licence.objects.get(case__number=number, status="valid").identifier)
