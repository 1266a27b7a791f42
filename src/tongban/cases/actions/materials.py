"""A case's material checklist, written when the case is opened (or a joint part is)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.accounts import access, trust
from tongban.accounts.models import Applicant
from tongban.cases.actions.inputs import NOT_CHECKED, MaterialInput
from tongban.cases.models import (
    Case,
    CaseMaterial,
)
from tongban.catalog.models import (
    ItemImplementation,
    Material,
)
from tongban.core.errors import FieldErrors, Invalid


def _create_materials(
    case: Case, implementation: ItemImplementation, given: list[MaterialInput]
) -> None:
    rows = _material_rows(case.submitted_by, case.applicant, implementation, given)
    _save_materials(case, rows)


def _save_materials(case: Case, rows: list[CaseMaterial]) -> None:
    for row in rows:
        row.case = case
    CaseMaterial.objects.bulk_create(rows)


def _material_rows(
    submitter: Any,
    applicant: Applicant | None,
    implementation: ItemImplementation,
    given: list[MaterialInput],
) -> list[CaseMaterial]:
    """The case's checklist rows (not yet saved, no case yet) as ticked. Every required
    line left unticked and every 免提交 without a licence is reported at once, each as
    the field `materials.<material id>` (InvalidFields). Without a known applicant
    (its own fields are wrong) the lines a licence could stand in for are not judged."""
    checklist = {m.pk: m for m in implementation.materials.all()}
    by_id: dict[int, MaterialInput] = {}
    for given_entry in given:
        if given_entry.material_id not in checklist:
            raise Invalid(
                _("A material is not on the checklist."),
                code="unknown_material",
                details={"material_id": given_entry.material_id},
            )
        if given_entry.state not in (*CaseMaterial.State.values, NOT_CHECKED):
            raise Invalid(_("Unknown material state."), code="invalid_material_state")
        by_id[given_entry.material_id] = given_entry
    # licences found by ID number stand in for materials only when that number is proven:
    # a clerk saw the person, or the account's trust level reaches `own_records`
    held = licences_standing_in(submitter, applicant, checklist.values()) if applicant else {}
    rows = []
    unchecked: list[Material] = []
    problems = FieldErrors()
    for material in checklist.values():
        entry = by_id.get(material.pk)
        state = entry.state if entry else None
        reference = entry.licence_reference.strip() if entry else ""
        licence = held.get(material.licence_type_code) if material.licence_type_code else None
        if applicant is None and material.licence_type_code:
            continue
        if state == CaseMaterial.State.BY_LICENCE:
            if licence is None or (reference and reference != licence.identifier):
                problems.add(
                    f"materials.{material.pk}",
                    Invalid(
                        _("The applicant holds no valid e-licence for '%(material_name)s'."),
                        code="licence_not_valid",
                        details={"material_id": material.pk},
                        params={"material_name": material.name},
                    ),
                )
        elif state in (None, NOT_CHECKED, CaseMaterial.State.MISSING) and licence is not None:
            # 数据共享, 免提交: a valid licence from any jurisdiction satisfies the material
            state = CaseMaterial.State.BY_LICENCE
        if state == NOT_CHECKED:
            # the clerk ticks what was received: a required line left blank is a line
            # nobody checked, not a missing material (optional ones simply do not apply)
            if material.requirement != Material.Requirement.OPTIONAL:
                unchecked.append(material)
            state = CaseMaterial.State.NOT_APPLICABLE
        if state is None:
            state = (
                CaseMaterial.State.NOT_APPLICABLE
                if material.requirement == Material.Requirement.OPTIONAL
                else CaseMaterial.State.MISSING
            )
        rows.append(
            CaseMaterial(
                material=material,
                name=material.name,
                state=state,
                original_required=material.form == Material.Form.ORIGINAL
                and state != CaseMaterial.State.BY_LICENCE,
                original_posted=bool(entry and entry.original_posted),
                licence_reference=(
                    licence.identifier
                    if licence is not None and state == CaseMaterial.State.BY_LICENCE
                    else ""
                ),
            )
        )
    for material in unchecked:
        # one message per line, beside its line; the first also names every line
        problems.add(
            f"materials.{material.pk}",
            Invalid(
                _("Tick what was received for each required material: %(material_names)s."),
                code="material_not_checked",
                details={"field": "materials", "material_ids": [m.pk for m in unchecked]},
                params={"material_names": "、".join(m.name for m in unchecked)},
            ),
        )
    problems.raise_if_any()
    return rows


def licences_standing_in(submitter: Any, applicant: Applicant, materials: Any) -> dict[str, Any]:
    """The applicant's valid e-licences that stand in for `materials` (免提交), by licence
    type; the submission and the clerk's checklist both ask here. Found by ID number, they
    count only when that number is proven: a clerk saw the person, or the account's trust
    level reaches `own_records`."""
    proven = access.is_staff_member(submitter) or trust.meets(submitter, "own_records")
    return _licences_by_type(applicant, materials) if proven else {}


def _licences_by_type(applicant: Applicant, materials: Any) -> dict[str, Any]:
    # licences sits above cases: valid e-licences stand in for materials (免提交)
    from tongban.licences.selectors import valid_licences_of

    types = {m.licence_type_code for m in materials if m.licence_type_code}
    if not types:
        return {}
    held: dict[str, Any] = {}
    for licence in (
        valid_licences_of(applicant).filter(licence_type_code__in=types).order_by("-issued_at")
    ):
        held.setdefault(licence.licence_type_code, licence)
    return held
