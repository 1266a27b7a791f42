"""Parsing of posted forms into the domain's input dataclasses. Only shape is checked
here (a number is a number, a string fits its column: the API's schema for the same
input, core.inputs.validate_input); every rule is the action's."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, get_args, get_origin

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tongban.attachments.actions import CaseFile
from tongban.cases.actions import (
    NOT_CHECKED,
    REQUIRED_WHEN,
    ActionInput,
    ApplicantInput,
    JointPartInput,
    MaterialInput,
    label_of,
)
from tongban.cases.api import ApplicantIn, CaseCreateIn
from tongban.cases.models import CaseMaterial
from tongban.catalog.models import ItemImplementation, Material
from tongban.core.errors import DomainError, Invalid, InvalidFields, StrOrPromise
from tongban.core.inputs import MAX_ID, text_problem, validate_fields, validate_input

MATERIAL_STATES_AT_WINDOW = (
    CaseMaterial.State.PROVIDED,
    CaseMaterial.State.MISSING,
    CaseMaterial.State.DEFERRED,
    CaseMaterial.State.BY_LICENCE,
    CaseMaterial.State.NOT_APPLICABLE,
)


def parse_int(value: Any, field: str, label: StrOrPromise) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(
            _("%(label)s must be a whole number."),
            code="invalid_number",
            details={"field": field},
            params={"label": label},
        ) from None
    if abs(number) > MAX_ID:  # ids are bigints: a larger number overflows the driver
        raise Invalid(
            _("%(label)s is out of range."),
            code="invalid_number",
            details={"field": field},
            params={"label": label},
        )
    return number


def parse_ids(values: list[str], field: str) -> list[int]:
    ids = []
    for value in values:
        number = parse_int(value, field, _("The selected entry"))
        if number is not None:
            ids.append(number)
    return ids


def action_input(post: QueryDict) -> ActionInput:
    """Every field any action dialog may post (unused ones stay empty), read as the kind
    the contract declares it (cases.actions.ActionInput) and checked against it: a page
    refuses what the API refuses (422)."""
    values: dict[str, Any] = {}
    for name, info in ActionInput.model_fields.items():
        kind = info.annotation
        if get_origin(kind) is list:
            values[name] = parse_ids(post.getlist(name), name)
        elif kind is bool:
            values[name] = post.get(name) in ("on", "1", "true")
        elif int in get_args(kind):
            values[name] = parse_int(post.get(name), name, label_of(name))
        elif type(None) in get_args(kind):
            values[name] = post.get(name) or None
        else:
            values[name] = post.get(name, "")
    return validate_input(ActionInput, values)


def confirmed(post: QueryDict) -> bool:
    """A step that cannot be undone is performed from a page only with its dialog's
    explicit confirmation ticked (issue 15 §5): one Enter or a stray click does not commit
    it. Programs on the API confirm by calling; `irreversible_actions` tells them which."""
    return post.get("confirm_irreversible") == "on"


def confirmation_required() -> Invalid:
    return Invalid(
        _("This step cannot be undone: tick the confirmation first."),
        code="confirmation_required",
        details={"field": "confirm_irreversible"},
    )


def applicant_input(post: QueryDict) -> ApplicantInput:
    kind = post.get("applicant_kind", "person")
    data = ApplicantInput(
        kind=kind,
        name=post.get("applicant_name", ""),
        id_number=post.get("id_number", "") if kind == "person" else "",
        uscc=post.get("uscc", "") if kind == "enterprise" else "",
        agent_name=post.get("agent_name", "") if kind == "enterprise" else "",
        agent_id_number=post.get("agent_id_number", "") if kind == "enterprise" else "",
        phone=post.get("phone", ""),
        email=post.get("email", ""),
        address=post.get("applicant_address", ""),
    )
    validate_input(ApplicantIn, asdict(data))
    return data


def acting_for(post: QueryDict) -> int | None:
    """本人 / 本企业: the applicant record an applicant's account applies as (`acting_as`,
    one of accounts.selectors.own_applicants); none chosen leaves it to the action."""
    return parse_int(post.get("acting_as"), "applicant_id", _("For myself or my enterprise"))


def submission_token(post: QueryDict) -> str:
    """The form's one-time token (it becomes the submission's idempotency key): the one
    the page rendered, or a fresh one for anything else (e.g. an over-long posted value)."""
    token = post.get("token", "")
    # "web-" + 64 characters fit IdempotencyRecord.key (128)
    if 0 < len(token) <= 64 and text_problem(token) is None:
        return token
    return uuid.uuid4().hex


def delivery_address(post: QueryDict) -> str:
    value = post.get("delivery_address", "")
    validate_fields(CaseCreateIn, {"delivery_address": value})
    return value


def joint_parts(post: QueryDict) -> list[JointPartInput]:
    parts = []
    for jurisdiction, item in zip(
        post.getlist("part_jurisdiction"), post.getlist("part_item"), strict=False
    ):
        if jurisdiction.strip() and item.strip():
            parts.append(JointPartInput(jurisdiction=jurisdiction.strip(), item=item.strip()))
    return parts


def establishment_context(item: Any) -> dict[str, Any]:
    """What web/_establishment_form.html needs, for the clerk's and the portal's forms."""
    from tongban.cases.application_forms import ENTERPRISE_TYPES
    from tongban.catalog.models import FormKind

    return {
        "establishment": item.form_kind == FormKind.COMPANY_ESTABLISHMENT,
        "enterprise_types": [
            (code, gettext(label)) for code, (label, _k) in ENTERPRISE_TYPES.items()
        ],
        "investor_rows": range(3),
    }


def establishment_form(post: QueryDict) -> dict[str, Any]:
    """The 企业设立登记 form as posted, untouched: cases/application_forms.py checks it."""
    investors = [
        {"kind": "person", "name": name.strip(), "id_number": id_number.strip(), "contribution": c}
        for name, id_number, c in zip(
            post.getlist("investor_name"),
            post.getlist("investor_id_number"),
            post.getlist("investor_contribution"),
            strict=False,
        )
        if name.strip() or id_number.strip() or c.strip()
    ]
    return {
        "name_declaration_number": post.get("name_declaration_number", ""),
        "proposed_name": post.get("proposed_name", ""),
        "enterprise_type": post.get("enterprise_type", ""),
        "registered_capital": post.get("registered_capital", "").strip() or "0",
        "address": post.get("company_address", ""),
        "business_scope": post.get("business_scope", ""),
        "legal_representative": {
            "name": post.get("legal_name", ""),
            "id_number": post.get("legal_id_number", ""),
        },
        "investors": investors,
        "seals": post.getlist("seals"),
    }


def material_files(files: Any, materials: list[Material]) -> list[CaseFile]:
    """The files uploaded for a checklist in a submission form (`m<material id>_file`)."""
    return [
        CaseFile(files[f"m{m.pk}_file"], material_id=m.pk)
        for m in materials
        if files.get(f"m{m.pk}_file")
    ]


def case_material_files(files: Any) -> list[CaseFile]:
    """The files uploaded in an action dialog for materials of the case (`file_<id>`)."""
    result = []
    for name, upload in files.items():
        digits = name.removeprefix("file_")
        # an id that cannot exist (not a number, beyond a bigint) names no material
        if name.startswith("file_") and digits.isdigit() and upload and int(digits) <= MAX_ID:
            result.append(CaseFile(upload, material_id=int(digits)))
    return result


def material_inputs(
    post: QueryDict,
    implementation: ItemImplementation,
    uploaded: set[int],
    *,
    self_service: bool,
) -> list[MaterialInput]:
    """The checklist as ticked. At a window the clerk ticks each line (an uploaded scan
    ticks its line as received); online and at a
    terminal a line counts as provided when a file was uploaded for it (or the
    applicant's e-licence replaces it), else as missing."""
    result = []
    for material in implementation.materials.all():
        key = f"m{material.pk}"
        state: str
        if self_service:
            if material.pk in uploaded:
                state = CaseMaterial.State.PROVIDED
            elif post.get(f"{key}_licence"):
                state = CaseMaterial.State.BY_LICENCE
            elif material.requirement == Material.Requirement.OPTIONAL:
                continue
            else:
                state = CaseMaterial.State.MISSING
        else:
            # a line left unticked stays unticked: the action refuses it when required
            state = post.get(f"{key}_state") or NOT_CHECKED
            if material.pk in uploaded and state == NOT_CHECKED:
                state = CaseMaterial.State.PROVIDED
        result.append(
            MaterialInput(
                material_id=material.pk,
                state=state,
                original_posted=bool(post.get(f"{key}_posted")),
                licence_reference=post.get(f"{key}_licence", "").strip(),
            )
        )
    return result


class RegisterForm(forms.Form):
    """Portal self-registration: shape only; the action validates the ID number,
    password strength and uniqueness."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    name = forms.CharField(label=_("姓名"), max_length=64)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            raise forms.ValidationError(_("两次输入的密码不一致。"))
        return data


class LookupForm(forms.Form):
    number = forms.CharField(label=_("办件编号"), max_length=32)
    identifier = forms.CharField(label=_("申请人身份号码或统一社会信用代码"), max_length=18)


# --- errors beside their fields (ADR 0123) -----------------------------------------------

# a field of the submission contract (or of the API's ApplicantIn) → the page's input
_INPUT_OF = {
    "applicant": "applicant_name",
    "applicant.name": "applicant_name",
    "applicant.id_number": "id_number",
    "applicant.uscc": "uscc",
    "applicant.agent_name": "agent_name",
    "applicant.agent_id_number": "agent_id_number",
    "name": "applicant_name",
    "id_number": "id_number",
    "uscc": "uscc",
    "agent_name": "agent_name",
    "agent_id_number": "agent_id_number",
    "phone": "phone",
    "email": "email",
    "address": "applicant_address",
    "delivery_address": "delivery_address",
    "delivery_method": "delivery_method",
    "applicant_id": "acting_as",
}


@dataclass
class PageErrors:
    """A refused form as the page shows it: one message per input (`by_input`, keyed by
    the input's name, which is also its id) and the summary's links to them, first
    invalid field first."""

    by_input: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, anchor: str, message: str) -> None:
        if name not in self.by_input:
            self.by_input[name] = message
            self.links.append((anchor, message))


def page_errors(error: DomainError, *, checklist: str) -> PageErrors:
    """Where on the page each problem of `error` belongs. `checklist` says how the page
    asks for a material: `state` (the clerk ticks a line) or `file` (an upload)."""
    problems = error.problems if isinstance(error, InvalidFields) else {_field_of(error): error}
    result = PageErrors()
    for given, problem in problems.items():
        name = _field_of(problem) if problem.details.get("errors") else given
        if name.startswith("materials."):
            pk = name.removeprefix("materials.")
            anchor = f"m{pk}_provided" if checklist == "state" else f"m{pk}_file"
            result.add(f"m{pk}_{checklist}", anchor, problem.message())
        elif name == "materials":
            for pk in problem.details.get("material_ids", []):
                anchor = f"m{pk}_provided" if checklist == "state" else f"m{pk}_file"
                result.add(f"m{pk}_{checklist}", anchor, problem.message())
        elif name in _INPUT_OF:
            result.add(_INPUT_OF[name], _INPUT_OF[name], problem.message())
    return result


def _field_of(error: DomainError) -> str:
    # a shape error (core.inputs) names its field in details.errors[].loc
    errors = error.details.get("errors") or []
    if errors and errors[0].get("loc"):
        return str(errors[0]["loc"][0])
    return str(error.details.get("field", ""))


def held_file_errors(refused: dict[int, DomainError]) -> InvalidFields | None:
    """Files `hold_uploads` refused, as the fields of their checklist lines."""
    if not refused:
        return None
    return InvalidFields({f"materials.{pk}": error for pk, error in refused.items()})


def required_when_attrs(name: str) -> dict[str, str]:
    """The data attributes that let the browser check a conditional rule of the
    submission before submit (tongban.js); the rule and its message are the action's."""
    for rule in REQUIRED_WHEN:
        if rule.field == name:
            return {
                "data-required-when": f"{rule.when}={rule.value}",
                "data-required-message": rule.error().message(),
            }
    return {}
