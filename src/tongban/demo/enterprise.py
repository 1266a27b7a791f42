"""企业开办 in the demo world (ADR 0096), kept apart from demo/data.py.

- `build_enterprise_opening(admin)` (part of `tongban seed-demo`): 企业设立登记 takes its
  structured form; the 公章刻制 (public security), 新办纳税人涉税事项 (tax) and 单位参保登记
  (social security) items with implementations in 葛店 and 东湖; the "企业开办一件事" bundle;
  葛店 takes 企业开办 fully electronically (a new implementation version without originals
  by post), as it must for the article's half hour.
- `walk_wei_case()` (`tongban seed-enterprise-demo`, after `setup-pki`, since it issues a
  signed licence): the article's example — 卫女士 of 洪山 files at the 东湖 window for a
  葛店 company; licence issued, three seals engraved, licence printed at the 东湖 window
  (异地打照) and picked up there; the case completes.

Both are idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongban.accounts.actions import register_applicant_person
from tongban.accounts.models import Applicant, User
from tongban.cases.actions import ActionInput, SubmitInput, perform_case_action, submit_case
from tongban.cases.models import Case
from tongban.catalog import actions as catalog
from tongban.catalog.models import FormKind, ItemBundle, ItemImplementation, ServiceItem
from tongban.core.crypto import blind_index
from tongban.licences.actions import licences_to_sign, sign_licence
from tongban.regions.models import Department, Jurisdiction

DONGHU, GEDIAN = "420100Z01", "420703400"
BUNDLE_CODE = "BUNDLE-QYKB"
WEI_COMPANY = "鄂州葛店卫氏文化创意有限公司"


@dataclass(frozen=True)
class PartSpec:
    code: str
    name: str
    department_kind: str
    result_name: str
    optional: bool
    form_kind: str = ""


PARTS = (
    PartSpec(
        "ITEM-SEAL",
        "公章刻制",
        "public_security",
        "印章刻制备案",
        False,
        FormKind.SEAL_ENGRAVING,
    ),
    PartSpec("ITEM-TAX-NEW", "新办纳税人涉税事项", "taxation", "涉税事项办理结果", True),
    PartSpec("ITEM-SOCIAL-UNIT", "单位参保登记", "human_resources", "社会保险登记结果", True),
)


def build_enterprise_opening(admin: Any, report: Any) -> None:
    company = ServiceItem.objects.get(code="ITEM-COMPANY")
    if company.form_kind != FormKind.COMPANY_ESTABLISHMENT:
        company = catalog.update_item(admin, company, form_kind=FormKind.COMPANY_ESTABLISHMENT)
        report.count("item", "updated")
    items = {}
    for spec in PARTS:
        item = ServiceItem.objects.filter(code=spec.code).first()
        if item is None:
            item = catalog.create_item(
                admin,
                code=spec.code,
                name=spec.name,
                item_type="public_service",
                department_kind=spec.department_kind,
                description="“企业开办一件事”联办事项,随企业设立登记一次申请。",
                form_kind=spec.form_kind,
            )
            report.count("item", "created")
        items[spec.code] = item
        for code in (GEDIAN, DONGHU):
            _ensure_part_implementation(admin, report, item, spec, code)
    _electronic_company_registration(admin, report, company)
    if not ItemBundle.objects.filter(code=BUNDLE_CODE).exists():
        catalog.define_bundle(
            admin,
            code=BUNDLE_CODE,
            name="企业开办一件事",
            lead_item=company,
            parts=[(items[spec.code], spec.optional) for spec in PARTS],
        )
        report.count("bundle", "created")


def _ensure_part_implementation(
    admin: Any, report: Any, item: ServiceItem, spec: PartSpec, code: str
) -> None:
    jurisdiction = Jurisdiction.objects.get(code=code)
    if ItemImplementation.objects.filter(item=item, jurisdiction=jurisdiction).exists():
        return
    department = Department.objects.get(jurisdiction=jurisdiction, kind=spec.department_kind)
    draft = catalog.create_implementation_draft(
        admin,
        item,
        jurisdiction,
        department,
        materials=[{"name": "经办人身份证明", "requirement": "required", "form": "original"}],
        implementation_code=f"{spec.code}-{code}-{department.uscc}",
        statutory_limit_days=5,
        promised_limit_days=1,
        result_type="record",
        result_name=spec.result_name,
        delivery_methods=["window", "electronic"],
        modes=["joint"],
        channels=["window"],
        needs_originals=False,
    )
    catalog.publish_implementation(admin, draft)
    report.count("implementation", "created")


def _electronic_company_registration(admin: Any, report: Any, company: ServiceItem) -> None:
    published = ItemImplementation.objects.filter(
        item=company, jurisdiction__code=GEDIAN, status=ItemImplementation.Status.PUBLISHED
    ).first()
    if published is None or not published.needs_originals:
        return
    draft = catalog.new_implementation_version(admin, published)
    catalog.update_draft(admin, draft, needs_originals=False)
    catalog.publish_implementation(admin, draft)
    report.count("implementation", "updated")


# ---- the article's example, walked through the workflow -----------------------------------


def _wei(agent: User) -> Applicant:
    """卫女士 as a natural person (she is also the agent of another demo enterprise)."""
    enterprise = Applicant.objects.get(user=agent, kind=Applicant.Kind.ENTERPRISE)
    person = Applicant.objects.filter(
        kind=Applicant.Kind.PERSON,
        id_number_index=blind_index("identifier", enterprise.agent_id_number),
    ).first()
    if person is not None:
        return person
    return register_applicant_person(
        None,
        enterprise.agent_name,
        enterprise.agent_id_number,
        phone=enterprise.phone,
        address="湖北省武汉市洪山区示范路12号",
        user=agent,
    )


def wei_form(legal_name: str, legal_id: str) -> dict[str, Any]:
    return {
        "name_declaration_number": "鄂名申20210626000001",
        "proposed_name": WEI_COMPANY,
        "enterprise_type": "llc_sole_natural_person",
        "registered_capital": "50",
        "address": "湖北省鄂州市葛店经济技术开发区创业大道26号",
        "business_scope": "一般项目:文化创意设计服务;会议及展览服务;广告设计、代理。",
        "legal_representative": {"name": legal_name, "id_number": legal_id},
        "investors": [
            {"kind": "person", "name": legal_name, "id_number": legal_id, "contribution": "50"}
        ],
        "seals": ["公章", "财务专用章", "发票专用章"],
    }


def walk_wei_case() -> Case | None:
    """Returns the completed case, or None when it had been walked already."""
    from tongban.centres.models import Window
    from tongban.notifications.models import OutboxMessage

    if Applicant.objects.filter(kind=Applicant.Kind.ENTERPRISE, name=WEI_COMPANY).exists():
        return None
    clerk = User.objects.get(username=f"{DONGHU}-clerk")
    officer = User.objects.get(username=f"{GEDIAN}-officer")
    with transaction.atomic():
        wei = _wei(User.objects.get(username="enterprise-2"))
        window = Window.objects.filter(centre__jurisdiction__code=DONGHU, kind="dedicated").first()
        implementation = ItemImplementation.objects.get(
            item__code="ITEM-COMPANY",
            jurisdiction__code=GEDIAN,
            status=ItemImplementation.Status.PUBLISHED,
        )
        from tongban.cases.actions import MaterialInput

        case = submit_case(
            clerk,
            SubmitInput(
                item="ITEM-COMPANY",
                handling=GEDIAN,
                receiving=DONGHU,
                window_id=window.pk if window else None,
                mode="joint",
                channel="window",
                delivery_method="window",
                applicant_id=wei.pk,
                materials=[MaterialInput(material_id=m.pk) for m in implementation.materials.all()],
                form=wei_form(wei.name, wei.id_number),
                bundle=BUNDLE_CODE,
            ),
        )
        number = case.number
        perform_case_action(clerk, number, "check", ActionInput())
        perform_case_action(clerk, number, "transfer", ActionInput())
        perform_case_action(officer, number, "receive_transfer", ActionInput())
        case = perform_case_action(officer, number, "accept", ActionInput())
        perform_case_action(officer, number, "approve", ActionInput())
        perform_case_action(officer, number, "issue_result", ActionInput())
        # the worker signs the licence moments after the decision (ADR 0121); the demo
        # signs it here, as that worker would, before the window prints it
        for licence_id in licences_to_sign():
            sign_licence(licence_id)
        for sub in case.subcases.order_by("number"):
            for action in ("accept", "approve", "issue_result", "ship", "complete"):
                perform_case_action(officer, sub.number, action, ActionInput())
        perform_case_action(clerk, number, "print_licence", ActionInput())
        code = (
            OutboxMessage.objects.filter(case__number=number, template="ready_for_pickup")
            .latest("pk")
            .context["pickup_code"]
        )
        perform_case_action(
            clerk,
            number,
            "pickup",
            ActionInput(pickup_code=code, picker_id_number=wei.id_number),
        )
        return perform_case_action(officer, number, "complete", ActionInput())
