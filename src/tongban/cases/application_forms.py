"""Structured application forms (申请表), one typed schema per `ServiceItem.form_kind`.

This is the ONE place where the content of a form is checked: `submit_case` calls
`clean_form` for the API, the web and the demo alike, and stores the cleaned JSON on
`Case.form_data`. pydantic (already installed with django-ninja) does the typing; the
rules a schema cannot express (capital = sum of contributions, one investor for sole
ownership, ID numbers) are validators here too, so nothing else repeats them.

企业设立登记 is filed for an enterprise that does not exist yet: the name comes from the
名称自主申报 (self-declared name, with its declaration number), the form names the
investors, the legal representative, the capital, the address and the business scope;
the enterprise and its 统一社会信用代码 come into being when the licence is issued
(`accounts.actions.register_enterprise`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tongban.accounts.identifiers import is_valid_id_number, is_valid_uscc, normalise
from tongban.catalog.models import FormKind
from tongban.core.errors import Invalid
from tongban.core.masking import mask_id_number

# enterprise type → (label as printed on the 营业执照, USCC char 2); the label stays Chinese on
# the licence and is translated by gettext where a page shows it (ADR 0107)
ENTERPRISE_TYPES: dict[str, tuple[str, str]] = {
    "llc_natural_persons": (gettext_noop("有限责任公司(自然人投资或控股)"), "1"),
    "llc_sole_natural_person": (gettext_noop("有限责任公司(自然人独资)"), "1"),
    "joint_stock": (gettext_noop("股份有限公司(非上市、自然人投资或控股)"), "1"),
    "sole_proprietorship": (gettext_noop("个人独资企业"), "1"),
    "partnership": (gettext_noop("普通合伙企业"), "1"),
}
SOLE_TYPES = frozenset({"llc_sole_natural_person", "sole_proprietorship"})
# seals a new enterprise usually has engraved (公安机关备案); the article's 卫女士 left with 3
# the value is the seal's Chinese name; pages translate it with gettext
SEAL_KINDS: tuple[str, ...] = (
    gettext_noop("公章"),
    gettext_noop("财务专用章"),
    gettext_noop("发票专用章"),
    gettext_noop("合同专用章"),
    gettext_noop("法定代表人名章"),
)
DEFAULT_SEALS = ("公章", "财务专用章", "发票专用章")

SealKind = Literal["公章", "财务专用章", "发票专用章", "合同专用章", "法定代表人名章"]
EnterpriseType = Literal[
    "llc_natural_persons",
    "llc_sole_natural_person",
    "joint_stock",
    "sole_proprietorship",
    "partnership",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NaturalPerson(_Strict):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=15, max_length=18)

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        value = normalise(value)
        if not is_valid_id_number(value):
            raise ValueError("公民身份号码不正确 / invalid citizen ID number")
        return value


class Investor(_Strict):
    """股东/投资人: a natural person (ID number) or an enterprise (USCC)."""

    kind: Literal["person", "enterprise"] = "person"
    name: str = Field(min_length=1, max_length=128)
    id_number: str = ""
    uscc: str = ""
    contribution: Decimal = Field(gt=0, max_digits=14, decimal_places=4)  # 认缴出资, 万元

    @model_validator(mode="after")
    def _identified(self) -> Investor:
        if self.kind == "person":
            self.id_number = normalise(self.id_number)
            if not is_valid_id_number(self.id_number) or self.uscc:
                raise ValueError("自然人股东须填写有效的公民身份号码 / person needs an ID number")
        else:
            self.uscc = normalise(self.uscc)
            if not is_valid_uscc(self.uscc) or self.id_number:
                raise ValueError("企业股东须填写有效的统一社会信用代码 / enterprise needs a USCC")
        return self


class CompanyEstablishment(_Strict):
    """企业设立登记申请表."""

    name_declaration_number: str = Field(min_length=4, max_length=32)  # 名称自主申报 number
    proposed_name: str = Field(min_length=4, max_length=100)
    enterprise_type: EnterpriseType
    registered_capital: Decimal = Field(gt=0, max_digits=14, decimal_places=4)  # 万元
    address: str = Field(min_length=4, max_length=200)
    business_scope: str = Field(min_length=2, max_length=2000)
    legal_representative: NaturalPerson
    investors: list[Investor] = Field(min_length=1, max_length=50)
    # only in a 企业开办一件事 bundle with the seal-engraving part
    seals: list[SealKind] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> CompanyEstablishment:
        total = sum((i.contribution for i in self.investors), Decimal(0))
        if total != self.registered_capital:
            raise ValueError(
                f"股东认缴出资合计{total}万元与注册资本{self.registered_capital}万元不一致 / "
                "contributions do not add up to the registered capital"
            )
        if self.enterprise_type in SOLE_TYPES and (
            len(self.investors) != 1 or self.investors[0].kind != "person"
        ):
            raise ValueError("独资企业只能有一名自然人投资人 / sole ownership needs one person")
        if len(set(self.seals)) != len(self.seals):
            raise ValueError("印章种类重复 / a seal kind is repeated")
        return self


class SealEngraving(_Strict):
    """公章刻制: which seals, for which enterprise (filled from the lead case in a bundle)."""

    enterprise_name: str = Field(min_length=4, max_length=100)
    seals: list[SealKind] = Field(min_length=1, max_length=10)


SCHEMAS: dict[str, type[_Strict]] = {
    FormKind.COMPANY_ESTABLISHMENT: CompanyEstablishment,
    FormKind.SEAL_ENGRAVING: SealEngraving,
}


def clean_form(form_kind: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Validate `raw` against the item's schema and return it as plain JSON. An item
    without a form kind takes no form. Raises Invalid (422) listing every problem."""
    if not form_kind:
        if raw:
            raise Invalid(
                _("This item takes no structured application form."),
                code="unexpected_field",
                details={"field": "form"},
            )
        return {}
    schema = SCHEMAS[form_kind]
    if raw is None:
        raise Invalid(
            _("The application form is required for this item."),
            code="missing_field",
            details={"field": "form"},
        )
    try:
        parsed = schema.model_validate(raw)
    except ValidationError as exc:
        problems = [
            {
                "field": "form" + "".join(f".{p}" for p in error["loc"]),
                "message": error["msg"].removeprefix("Value error, "),
            }
            for error in exc.errors(include_url=False, include_input=False)
        ]
        listed = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise Invalid(
            _("The application form is not valid: %(listed)s"),
            code="invalid_form",
            details={"problems": problems},
            params={"listed": listed},
        ) from None
    return parsed.model_dump(mode="json")


def enterprise_type_label(code: str) -> str:
    return ENTERPRISE_TYPES[code][0] if code in ENTERPRISE_TYPES else code


def uscc_type_char(code: str) -> str:
    return ENTERPRISE_TYPES[code][1] if code in ENTERPRISE_TYPES else "1"


def capital_label(value: str | Decimal) -> str:
    """注册资本 as printed: "100万元" / "12.5万元" (no trailing zeros)."""
    number = Decimal(str(value)).normalize()
    return f"{number:f}万元"


def masked_form(form_data: dict[str, Any]) -> dict[str, Any]:
    """The form for display and the API: citizens' ID numbers masked."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (mask_id_number(v) if k == "id_number" and v else walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    result: dict[str, Any] = walk(form_data)
    return result
