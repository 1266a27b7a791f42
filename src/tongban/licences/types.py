"""Licence types as data: for each 证照类型代码, the fields of the real document in the order
it prints them, their labels, and where each value comes from.

A source is one of
- ``holder.name`` / ``holder.uscc`` / ``holder.id_number`` — the licence holder;
- ``form.<path>`` — the case's structured application form (cases/application_forms.py),
  e.g. ``form.legal_representative.name``;
- ``issued_on`` — the day of issue (for a 营业执照 that is the 成立日期);
- ``case.item`` / ``case.number`` — the case the licence results from.

A value may pass through a named formatter (``date``, ``capital``, ``enterprise_type``).
Types without an entry here keep the generic layout (holder, item, case number). The
issuer line (发证机关 / 登记机关) and the date are printed by the renderer with the labels
given here. Fields marked ``public`` are register data the public verification page may
show (a business licence is public; a person's certificate is not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LT_BUSINESS_LICENCE = "11100000000000001"


@dataclass(frozen=True)
class LicenceField:
    label: str
    label_en: str
    source: str
    formatter: str = ""
    public: bool = False


@dataclass(frozen=True)
class LicenceType:
    code: str
    name: str
    name_en: str
    fields: tuple[LicenceField, ...]
    holder_kind: str = ""  # "enterprise" / "person" / "" (either)
    issuer_label: str = "发证机关"
    date_label: str = "发证日期"

    def field(self, label: str) -> LicenceField | None:
        return next((f for f in self.fields if f.label == label), None)


def _date(value: Any) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day.year}年{day.month}月{day.day}日"


def _capital(value: Any) -> str:
    from tongban.cases.application_forms import capital_label

    return capital_label(value)


def _enterprise_type(value: Any) -> str:
    from tongban.cases.application_forms import enterprise_type_label

    return enterprise_type_label(str(value))


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "date": _date,
    "capital": _capital,
    "enterprise_type": _enterprise_type,
}

GENERIC_FIELDS = (
    LicenceField("事项", "Item", "case.item"),
    LicenceField("办件编号", "Case number", "case.number"),
)

LICENCE_TYPES: dict[str, LicenceType] = {
    LT_BUSINESS_LICENCE: LicenceType(
        code=LT_BUSINESS_LICENCE,
        name="营业执照",
        name_en="Business licence",
        holder_kind="enterprise",
        issuer_label="登记机关",
        date_label="发照日期",
        fields=(
            LicenceField("名称", "Name", "holder.name", public=True),
            LicenceField("统一社会信用代码", "USCC", "holder.uscc", public=True),
            LicenceField("类型", "Type", "form.enterprise_type", "enterprise_type", True),
            LicenceField(
                "法定代表人", "Legal representative", "form.legal_representative.name", public=True
            ),
            LicenceField(
                "注册资本", "Registered capital", "form.registered_capital", "capital", True
            ),
            LicenceField("成立日期", "Date of establishment", "issued_on", "date", True),
            LicenceField("住所", "Domicile", "form.address", public=True),
            LicenceField("经营范围", "Business scope", "form.business_scope", public=True),
        ),
    ),
}


def licence_type(code: str) -> LicenceType | None:
    return LICENCE_TYPES.get(code)


def _lookup(source: str, context: dict[str, Any]) -> Any:
    value: Any = context
    for part in source.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def field_values(code: str, context: dict[str, Any]) -> dict[str, str]:
    """The printed fields of a licence of type `code`, in document order. `context` holds
    ``holder`` (name, uscc, id_number), ``form``, ``issued_on`` and ``case`` (item,
    number). A field whose source is empty is left out rather than printed blank."""
    spec = licence_type(code)
    holder = context.get("holder") or {}
    if spec is None:
        if holder.get("uscc"):
            head = {"名称": holder.get("name", ""), "统一社会信用代码": holder["uscc"]}
        else:
            head = {"姓名": holder.get("name", ""), "公民身份号码": holder.get("id_number", "")}
        fields: tuple[LicenceField, ...] = GENERIC_FIELDS
    else:
        head, fields = {}, spec.fields
    values = dict(head)
    for f in fields:
        raw = _lookup(f.source, context)
        if raw in (None, "", [], {}):
            continue
        values[f.label] = FORMATTERS[f.formatter](raw) if f.formatter else str(raw)
    return values


def ordered_rows(code: str, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows to print: the type's fields in document order, then anything else (fields the
    officer added with the decision) in the order given."""
    spec = licence_type(code)
    order = [f.label for f in spec.fields] if spec else []
    rows = [(label, str(fields[label])) for label in order if label in fields]
    rows += [(str(k), str(v)) for k, v in fields.items() if k not in order]
    return rows


def public_rows(code: str, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields the public verification page may show (register data only)."""
    spec = licence_type(code)
    if spec is None:
        return []
    return [(f.label, str(fields[f.label])) for f in spec.fields if f.public and f.label in fields]
