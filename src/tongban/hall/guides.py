"""Public service guides (办事指南): what the public may read without logging in. Every
read here is of published master data only (published implementations in force,
agreements in force, centres of active jurisdictions); drafts, retired versions, liaison
phones and anything personal never appear. The web guide pages and the public API ask
these functions (ADR 0108)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.agreements.models import Agreement, AgreementItem, AgreementParty
from tongban.agreements.selectors import MODE_ORDER, agreements_in_force
from tongban.catalog.models import ItemImplementation, Material, Mode, ServiceItem
from tongban.catalog.selectors import published_implementations
from tongban.centres.models import OpeningHours, ServiceCentre, Window
from tongban.core.errors import NotFound
from tongban.regions.models import Jurisdiction


def _item_not_found(code: str) -> NotFound:
    return NotFound(
        _("No published service guide for item %(code)s."),
        code="guide_not_found",
        params={"code": code},
    )


def public_items(on: dt.date, q: str | None = None) -> QuerySet[ServiceItem]:
    """Items with at least one version in force on `on`, matched like the workbench's
    search (name contains, code or pinyin initials prefix)."""
    items = ServiceItem.objects.filter(
        Exists(published_implementations(on).filter(item=OuterRef("pk")))
    )
    if q and q.strip():
        term = q.strip()
        items = items.filter(
            Q(name__icontains=term)
            | Q(code__istartswith=term)
            | Q(pinyin_initials__startswith=term.lower())
        )
    return items.order_by("code").prefetch_related(
        Prefetch(
            "implementations",
            queryset=published_implementations(on)
            .filter(jurisdiction__active=True)
            .select_related("jurisdiction")
            .order_by("jurisdiction__code"),
            to_attr="published_versions",
        )
    )


@dataclass(frozen=True)
class Comparison:
    """One line of the side-by-side table: the value of one field in each jurisdiction,
    and whether the jurisdictions disagree (the "同标准" check)."""

    key: str
    label: str
    values: list[str]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1

    def outliers(self) -> list[bool]:
        """Which cells differ from the most common value (highlighted on the page)."""
        if not self.differs:
            return [False] * len(self.values)
        common = Counter(self.values).most_common(1)[0][0]
        return [v != common for v in self.values]


@dataclass(frozen=True)
class CrossRoute:
    """Where an item can be received across borders: under `agreement`, any of
    `receiving` may take it in for any of `handling` in `modes`."""

    agreement: Agreement
    modes: list[str]
    receiving: list[Jurisdiction]
    handling: list[Jurisdiction]


@dataclass
class ItemGuide:
    item: ServiceItem
    on: dt.date
    implementations: list[ItemImplementation]
    routes: list[CrossRoute]
    centres: list[ServiceCentre] = field(default_factory=list)

    @property
    def jurisdictions(self) -> list[Jurisdiction]:
        return [i.jurisdiction for i in self.implementations]

    def comparison(self) -> list[Comparison]:
        impls = self.implementations
        rows = [
            ("legal_basis", "设定依据", [i.legal_basis for i in impls]),
            ("conditions", "受理条件", [i.conditions for i in impls]),
            ("materials", "申请材料", [materials_summary(i) for i in impls]),
            ("fee", "收费(元)", [fee_text(i.fee) for i in impls]),
            ("statutory_limit", "法定时限(工作日)", [str(i.statutory_limit_days) for i in impls]),
            ("promised_limit", "承诺时限", [promised_text(i) for i in impls]),
            ("modes", "通办模式", [labels(i.modes, Mode) for i in impls]),
            ("result", "办理结果", [i.result_name or i.get_result_type_display() for i in impls]),
        ]
        return [Comparison(key, label, values) for key, label, values in rows]

    @property
    def differing(self) -> list[str]:
        return [c.key for c in self.comparison() if c.differs]


def fee_text(fee: Decimal) -> str:
    return "不收费" if fee == 0 else f"{fee:.2f}"


def promised_text(impl: ItemImplementation) -> str:
    if impl.promised_limit_hours:
        return f"即办,{impl.promised_limit_hours} 小时"
    return f"{impl.promised_limit_days} 个工作日"


def labels(values: list[str], choices: type[Mode]) -> str:
    known = dict(choices.choices)
    return "、".join(str(known.get(v, v)) for v in values)


def material_text(material: Material) -> str:
    text = f"{material.name}({material.get_form_display()}{material.copies}份,"
    text += f"{material.get_requirement_display()})"
    if material.licence_type_code:
        text += " 可用电子证照替代"
    return text


def materials_summary(impl: ItemImplementation) -> str:
    return ";".join(material_text(m) for m in impl.materials.all())


def _centres_prefetch() -> list[Prefetch]:
    return [
        Prefetch("windows", queryset=Window.objects.filter(active=True).order_by("code")),
        Prefetch("hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
    ]


def _routes(item: ServiceItem, on: dt.date) -> list[CrossRoute]:
    found = []
    candidates = (
        AgreementItem.objects.filter(agreement__in=agreements_in_force(on), item=item)
        .select_related("agreement")
        .prefetch_related(
            "receiving_jurisdictions",
            "handling_jurisdictions",
            Prefetch(
                "agreement__parties",
                queryset=AgreementParty.objects.select_related("jurisdiction").order_by(
                    "jurisdiction__code"
                ),
            ),
        )
        .order_by("agreement__code")
    )
    for candidate in candidates:
        parties = [p.jurisdiction for p in candidate.agreement.parties.all()]
        receiving = list(candidate.receiving_jurisdictions.all()) or parties
        handling = list(candidate.handling_jurisdictions.all()) or parties
        modes = sorted(candidate.modes, key=lambda m: MODE_ORDER.get(m, 99))
        found.append(
            CrossRoute(
                candidate.agreement,
                modes,
                sorted(receiving, key=lambda j: j.code),
                sorted(handling, key=lambda j: j.code),
            )
        )
    return found


def item_guide(code: str, on: dt.date, jurisdiction: str | None = None) -> ItemGuide:
    """The guide of one item: every jurisdiction's version in force (or only
    `jurisdiction`'s), the agreements that open it across borders and the centres that
    receive it. NotFound when nothing is published (drafts are not disclosed)."""
    item = ServiceItem.objects.filter(code=code).first()
    if item is None:
        raise _item_not_found(code)
    impls = (
        published_implementations(on)
        .filter(item=item, jurisdiction__active=True)
        .select_related("jurisdiction", "department")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("position")))
        .order_by("jurisdiction__code")
    )
    if jurisdiction:
        impls = impls.filter(jurisdiction__code=jurisdiction)
    implementations = list(impls)
    if not implementations:
        raise _item_not_found(code)
    routes = _routes(item, on)
    receiving_ids = {j.pk for r in routes for j in r.receiving} | {
        i.jurisdiction_id for i in implementations
    }
    centres = list(
        ServiceCentre.objects.filter(jurisdiction_id__in=receiving_ids, jurisdiction__active=True)
        .select_related("jurisdiction")
        .prefetch_related(*_centres_prefetch())
        .order_by("jurisdiction__code", "name")
    )
    return ItemGuide(item, on, implementations, routes, centres)


def public_agreements(on: dt.date) -> QuerySet[Agreement]:
    return (
        agreements_in_force(on)
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=AgreementParty.objects.select_related("jurisdiction").order_by(
                    "jurisdiction__code"
                ),
            )
        )
        .order_by("code")
    )


@dataclass
class AgreementGuide:
    agreement: Agreement
    parties: list[Jurisdiction]
    items: list[AgreementItem]


def agreement_guide(code: str, on: dt.date) -> AgreementGuide:
    """An agreement in force with its 通办事项清单 (items, modes, directions)."""
    agreement = public_agreements(on).filter(code=code).first()
    if agreement is None:
        raise NotFound(
            _("No agreement in force with code %(code)s."),
            code="guide_not_found",
            params={"code": code},
        )
    items = list(
        agreement.items.select_related("item")
        .prefetch_related("receiving_jurisdictions", "handling_jurisdictions")
        .order_by("item__code")
    )
    return AgreementGuide(agreement, [p.jurisdiction for p in agreement.parties.all()], items)


def public_centres(jurisdiction: str | None = None) -> QuerySet[ServiceCentre]:
    centres = ServiceCentre.objects.filter(jurisdiction__active=True)
    if jurisdiction:
        centres = centres.filter(jurisdiction__code=jurisdiction)
    return (
        centres.select_related("jurisdiction")
        .prefetch_related(*_centres_prefetch())
        .order_by("jurisdiction__code", "name")
    )


def get_public_centre(centre_id: int) -> ServiceCentre:
    centre = public_centres().filter(pk=centre_id).first()
    if centre is None:
        raise NotFound(_("No such service centre."), code="centre_not_found")
    return centre
