"""企业开办 on top of the test world: the seal-engraving, tax and social-security items with
their departments in 葛店, the "企业开办一件事" bundle, and 企业设立登记 with its structured
form. Like world.py, built with the ORM in one go; the demo builds the same through the
catalogue actions (demo/enterprise.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Applicant
from tongban.catalog.models import (
    BundlePart,
    FormKind,
    ItemBundle,
    ItemImplementation,
    Material,
    ServiceItem,
)
from tongban.core import versioned
from tongban.regions.models import Department

BUNDLE_CODE = "BUNDLE-QYKB"
SEAL_ITEM = "ITEM-SEAL"
TAX_ITEM = "ITEM-TAX-NEW"
SOCIAL_ITEM = "ITEM-SOCIAL-UNIT"


@dataclass
class EnterpriseOpening:
    bundle: ItemBundle
    seal: ServiceItem
    tax: ServiceItem
    social: ServiceItem
    applicant: Applicant  # 卫女士, a natural person with the portal account enterprise-1


PARTS = (
    # code, name, department kind, department name, result, optional
    (SEAL_ITEM, "公章刻制", "public_security", "葛店公安分局", "印章刻制备案", False),
    (TAX_ITEM, "新办纳税人涉税事项", "taxation", "葛店税务局", "涉税事项办理结果", True),
    (SOCIAL_ITEM, "单位参保登记", "human_resources", "葛店人社局", "社会保险登记结果", True),
)


def add_enterprise_opening(
    world: Any, valid_from: dt.date = dt.date(2023, 3, 7)
) -> EnterpriseOpening:
    gedian = world.gedian
    company = world.items["company"]
    company.form_kind = FormKind.COMPANY_ESTABLISHMENT
    company.save(update_fields=["form_kind"])
    # 葛店 takes 企业开办 fully electronically: the receiving window checks the originals
    # and pushes the file, nothing travels by post (the half-hour of the article)
    ItemImplementation.objects.filter(item=company, jurisdiction=gedian).update(
        needs_originals=False
    )
    versioned.bump()  # an update() sends no save signal (ADR 0119)
    items = {}
    for index, (code, name, kind, department_name, result, _optional) in enumerate(PARTS, start=3):
        item = ServiceItem.objects.create(
            code=code,
            name=name,
            item_type="public_service",
            department_kind=kind,
            form_kind=FormKind.SEAL_ENGRAVING if code == SEAL_ITEM else "",
        )
        department = Department.objects.create(
            jurisdiction=gedian,
            kind=kind,
            name=department_name,
            uscc=make_uscc("420703", f"MB002000{index}", authority="1", kind="1"),
        )
        implementation = ItemImplementation.objects.create(
            item=item,
            jurisdiction=gedian,
            department=department,
            status="published",
            statutory_limit_days=5,
            promised_limit_days=1,
            result_type="record",
            result_name=result,
            delivery_methods=["window", "electronic"],
            modes=["joint"],
            channels=["window"],
            needs_originals=False,
            valid_from=valid_from,
        )
        Material.objects.create(
            implementation=implementation,
            position=1,
            name="经办人身份证明",
            requirement="required",
            form="original",
        )
        items[code] = item
    bundle = ItemBundle.objects.create(code=BUNDLE_CODE, name="企业开办一件事", lead_item=company)
    for position, (code, *_rest, optional) in enumerate(PARTS, start=1):
        BundlePart.objects.create(
            bundle=bundle, item=items[code], position=position, optional=optional
        )
    agent = world.applicants["enterprise"]
    applicant = Applicant.objects.create(
        kind="person",
        name=agent.agent_name,
        id_number=agent.agent_id_number,
        phone="13700137000",
        address="湖北省武汉市洪山区珞喻路1号",
        user=world.user("enterprise-1"),
    )
    return EnterpriseOpening(
        bundle=bundle,
        seal=items[SEAL_ITEM],
        tax=items[TAX_ITEM],
        social=items[SOCIAL_ITEM],
        applicant=applicant,
    )


def establishment_form(
    world: Any, name: str = "鄂州葛店云帆科技有限公司", **overrides: Any
) -> dict[str, Any]:
    # 卫女士 is the legal representative and one of the two investors
    legal_id = world.applicants["enterprise"].agent_id_number
    form: dict[str, Any] = {
        "name_declaration_number": "鄂名申2024092700123",
        "proposed_name": name,
        "enterprise_type": "llc_natural_persons",
        "registered_capital": "100",
        "address": "湖北省鄂州市葛店开发区创业大道1号",
        "business_scope": "一般项目:技术服务、技术开发、技术咨询;软件开发。",
        "legal_representative": {"name": "卫敏", "id_number": legal_id},
        "investors": [
            {"kind": "person", "name": "卫敏", "id_number": legal_id, "contribution": "60"},
            {
                "kind": "person",
                "name": "周强",
                "id_number": make_id_number("420111", dt.date(1988, 1, 20), 57),
                "contribution": "40",
            },
        ],
    }
    form.update(overrides)
    return form
