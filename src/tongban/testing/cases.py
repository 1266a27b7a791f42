"""Submissions the tests build: one company registration (企业设立登记) received at a
window for another jurisdiction, shared by the in-process tests (`web/tests/conftest.py`,
from the test world) and the steps the two-node tests run inside a node's process
(`federation/tests/xinyang.py`, from that node's database)."""

from __future__ import annotations

from tongban.accounts.models import Applicant
from tongban.cases.actions import ApplicantInput, MaterialInput, SubmitInput
from tongban.catalog.models import ItemImplementation


def company_submission_input(
    implementation: ItemImplementation,
    enterprise: Applicant,
    *,
    receiving: str | None,
    delivery_address: str = "湖北省黄冈市黄州区东门路1号",
    missing: tuple[int, ...] = (),
) -> SubmitInput:
    """`enterprise`'s agent applies at `receiving`'s window for `implementation` (its
    jurisdiction handles), by post, every checklist line provided but those at the
    `missing` positions."""
    return SubmitInput(
        item="ITEM-COMPANY",
        handling=implementation.jurisdiction.code,
        receiving=receiving,
        mode="proxy",
        channel="window",
        delivery_method="post",
        delivery_address=delivery_address,
        applicant=ApplicantInput(
            kind="enterprise",
            name=enterprise.name,
            uscc=enterprise.uscc,
            agent_name=enterprise.agent_name,
            agent_id_number=enterprise.agent_id_number,
        ),
        materials=[
            MaterialInput(
                material_id=m.pk, state="missing" if m.position in missing else "provided"
            )
            for m in implementation.materials.order_by("position")
        ],
    )
