"""Writes the demo world of `data.py` through the apps' actions, idempotently: every row
is looked up by its natural key (code, username, identifier) first; a row that exists
and matches is left alone, a mutable one that differs is updated, and frozen rows
(published implementations, active agreements) are never touched again. A second run
therefore writes nothing, not even audit rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction

from tongban.accounts import actions as accounts
from tongban.accounts import trust
from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Role, RoleAssignment, TrustSource, User
from tongban.accounts.selectors import find_applicant
from tongban.agreements import actions as agreements
from tongban.agreements.models import Agreement
from tongban.catalog import actions as catalog
from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.centres.models import ServiceCentre, Window
from tongban.core.models import AuditEvent
from tongban.demo import data
from tongban.demo.enterprise import build_enterprise_opening
from tongban.demo.hall import build_hall
from tongban.masterdata.actions import save_master_record
from tongban.regions.models import AdministrativeRegion, Department, Jurisdiction


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    jurisdiction: str
    display_name: str


@dataclass
class SeedReport:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    accounts: list[DemoAccount] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    @property
    def changed(self) -> int:
        return sum(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")

    def summary_lines(self) -> list[str]:
        kinds = sorted({kind for kind, _ in self.counts})
        lines = []
        for kind in kinds:
            parts = [
                f"{outcome} {self.counts[(kind, outcome)]}"
                for outcome in ("created", "updated", "unchanged")
                if self.counts[(kind, outcome)]
            ]
            lines.append(f"  {kind:<16} {', '.join(parts)}")
        return lines


def person_id_number(person: data.PersonSpec) -> str:
    return make_id_number(person.region, person.birth, person.sequence)


def enterprise_uscc(enterprise: data.EnterpriseSpec) -> str:
    return make_uscc(enterprise.uscc_region, enterprise.organisation_code)


class DemoBuilder:
    def __init__(self) -> None:
        self.report = SeedReport()
        self._password_hash: str | None = None
        self.regions: dict[str, AdministrativeRegion] = {}
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self.departments: dict[tuple[str, str], Department] = {}
        self.windows: dict[tuple[str, str], Window] = {}
        self.items: dict[str, ServiceItem] = {}
        self.admin: User | None = None

    @property
    def password_hash(self) -> str:
        """The demo password hashed once for every new account (PBKDF2 is slow on
        purpose; 80 hashes would take most of a minute). Not computed on a re-run."""
        if self._password_hash is None:
            self._password_hash = make_password(data.DEMO_PASSWORD)
        return self._password_hash

    # ------------------------------------------------------------ generic upsert

    def _upsert(
        self,
        kind: str,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
    ) -> Any:
        """Create or update a master record through masterdata.actions.save_master_record.
        `values` use attnames (parent_id) so that comparing costs no queries."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            save_master_record(None, obj)
            self.report.count(kind, "created")
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            self.report.count(kind, "unchanged")
            return obj
        for name in changed:
            setattr(obj, name, values[name])
        save_master_record(None, obj, changed_fields=changed)
        self.report.count(kind, "updated")
        return obj

    # ------------------------------------------------------------ steps

    def build(self) -> SeedReport:
        with transaction.atomic():
            self.build_regions()
            self.build_jurisdictions()
            self.build_departments()
            self.build_centres()
            self.build_platform_admin()
            self.build_items()
            self.build_implementations()
            self.build_agreements()
            self.build_staff()
            self.build_applicants()
            # 企业开办 and its "一件事" bundle live in their own module (ADR 0096)
            build_enterprise_opening(self.admin, self.report)
            # the service hall: hours, ticket lines, a day of bookings and tickets
            build_hall(self.report)
            if self.report.changed:
                AuditEvent.objects.create(
                    actor=None,
                    action="seed_demo",
                    object_type="demo.seed",
                    object_id="seed_demo",
                    summary=f"导入演示数据:{self.report.changed} 项新增或修改",
                    data={
                        f"{kind}.{outcome}": n for (kind, outcome), n in self.report.counts.items()
                    },
                )
        return self.report

    def build_regions(self) -> None:
        for spec in data.REGIONS:
            parent = self.regions[spec.parent] if spec.parent else None
            self.regions[spec.code] = self._upsert(
                "region",
                AdministrativeRegion,
                {"code": spec.code},
                {
                    "name": spec.name,
                    "level": spec.level,
                    "parent_id": parent.pk if parent else None,
                },
            )

    def build_jurisdictions(self) -> None:
        for spec in data.JURISDICTIONS:
            self.jurisdictions[spec.code] = self._upsert(
                "jurisdiction",
                Jurisdiction,
                {"code": spec.code},
                {
                    "name": spec.name,
                    "short_name": spec.short_name,
                    "kind": spec.kind,
                    "region_id": self.regions[spec.region].pk,
                    "service_bureau": spec.service_bureau,
                    "active": True,
                },
            )

    def build_departments(self) -> None:
        for j_index, spec in enumerate(data.JURISDICTIONS, start=1):
            j = self.jurisdictions[spec.code]
            for k_index, (kind, pattern) in enumerate(data.DEPARTMENTS, start=1):
                uscc = make_uscc(
                    self.regions[spec.region].code[:6],
                    data.department_org_code(j_index, k_index),
                    authority="1",  # 机关
                    kind="1",
                )
                self.departments[(spec.code, kind)] = self._upsert(
                    "department",
                    Department,
                    {"jurisdiction_id": j.pk, "kind": kind},
                    {"name": data.department_name(pattern, spec), "uscc": uscc},
                )

    def build_centres(self) -> None:
        for spec in data.JURISDICTIONS:
            j = self.jurisdictions[spec.code]
            centre = self._upsert(
                "service_centre",
                ServiceCentre,
                {"jurisdiction_id": j.pk, "name": f"{spec.name}政务服务中心"},
                {
                    "address": spec.centre_address,
                    "phone": f"{spec.area_code}-12345",
                    "opening_hours": data.OPENING_HOURS,
                    "extended_hours": spec.extended_hours,
                },
            )
            for window in data.WINDOWS:
                self.windows[(spec.code, window.code)] = self._upsert(
                    "window",
                    Window,
                    {"centre_id": centre.pk, "code": window.code},
                    {"name": window.name, "kind": window.kind, "active": True},
                )

    def _ensure_staff(
        self, username: str, display_name: str, role: str, jurisdiction: Jurisdiction | None
    ) -> User:
        window = None
        if role == Role.CLERK and jurisdiction is not None:
            window = self.windows[(jurisdiction.code, data.CLERK_WINDOW)]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.create_staff_user(
                None,
                username,
                password_hash=self.password_hash,
                display_name=display_name,
                roles=[(role, jurisdiction)],
            )
            self.report.count("staff", "created")
        else:
            had = RoleAssignment.objects.filter(
                user=user, role=role, jurisdiction=jurisdiction
            ).exists()
            self.report.count("staff", "unchanged" if had else "updated")
        if window is not None:
            accounts.assign_role(None, user, role, jurisdiction, window=window)
        elif not RoleAssignment.objects.filter(
            user=user, role=role, jurisdiction=jurisdiction
        ).exists():
            accounts.assign_role(None, user, role, jurisdiction)
        if not user.oidc_subject:
            # the same username signs in at the stand-in identity platform (tongban_idp)
            user = accounts.bind_identity_subject(None, user.pk, username)
        self.report.accounts.append(
            DemoAccount(
                username,
                role,
                jurisdiction.code if jurisdiction else "(全部)",
                user.display_name,
            )
        )
        return user

    def build_platform_admin(self) -> None:
        self.admin = self._ensure_staff(
            data.PLATFORM_ADMIN_USERNAME, "平台管理员", Role.PLATFORM_ADMIN, None
        )

    def build_items(self) -> None:
        for spec in data.ITEMS:
            wanted: dict[str, Any] = {
                "name": spec.name,
                "item_type": spec.item_type,
                "department_kind": spec.department_kind,
                "high_frequency": spec.high_frequency,
                "description": spec.description,
                "applicant_kind": "enterprise" if spec.code in data.ENTERPRISE_ITEMS else "",
            }
            item = ServiceItem.objects.filter(code=spec.code).first()
            if item is None:
                item = catalog.create_item(self.admin, code=spec.code, **wanted)
                self.report.count("item", "created")
            else:
                changed = {k: v for k, v in wanted.items() if getattr(item, k) != v}
                if changed:
                    item = catalog.update_item(self.admin, item, **changed)
                    self.report.count("item", "updated")
                else:
                    self.report.count("item", "unchanged")
            self.items[spec.code] = item

    def build_implementations(self) -> None:
        existing = set(
            ItemImplementation.objects.filter(
                item__code__in=data.ITEM_CODES,
                jurisdiction__code__in=data.JURISDICTION_CODES,
            ).values_list("item__code", "jurisdiction__code")
        )
        rows: list[catalog.NewImplementation] = []
        for j_spec in data.JURISDICTIONS:
            for code in data.IMPLEMENTED_ITEMS[j_spec.code]:
                if (code, j_spec.code) in existing:
                    # published versions are frozen: a change would be a new version,
                    # which is an administrator's decision, not the seed's
                    self.report.count("implementation", "unchanged")
                    continue
                rows.append(self._new_implementation(data.ITEMS_BY_CODE[code], j_spec))
                self.report.count("implementation", "created")
        if rows:
            # ≈1,200 first versions: the set-based action applies the same checks as
            # create_implementation_draft + publish_implementation, in seconds (ADR 0097)
            catalog.publish_first_versions(self.admin, rows)

    def _new_implementation(
        self, spec: data.ItemSpec, j_spec: data.JurisdictionSpec
    ) -> catalog.NewImplementation:
        j = self.jurisdictions[j_spec.code]
        department = self.departments[(j_spec.code, spec.department_kind)]
        fields: dict[str, Any] = {
            "implementation_code": f"{spec.code}-{j.code}-{department.uscc}",
            "legal_basis": spec.legal_basis,
            "conditions": spec.conditions,
            "statutory_limit_days": spec.statutory,
            "promised_limit_days": spec.promised,
            "fee": spec.fee,
            "result_type": spec.result_type,
            "result_name": spec.result_name,
            "licence_type_code": spec.licence_type_code,
            "delivery_methods": list(spec.delivery_methods),
            "modes": list(spec.modes),
            "channels": list(spec.channels),
            "needs_originals": spec.needs_originals,
            "originals_before_acceptance": spec.originals_before_acceptance,
        }
        fields.update(data.IMPLEMENTATION_OVERRIDES.get((spec.code, j.code), {}))
        materials = [
            {
                "name": m.name,
                "requirement": m.requirement,
                "form": m.form,
                "copies": m.copies,
                "licence_type_code": m.licence_type_code,
                "note": m.note,
            }
            for m in spec.materials
        ]
        return catalog.NewImplementation(self.items[spec.code], j, department, fields, materials)

    def build_agreements(self) -> None:
        for spec in data.AGREEMENTS:
            if Agreement.objects.filter(code=spec.code).exists():
                # an active version is frozen; changes are new versions made by people
                self.report.count("agreement", "unchanged")
                continue
            parties = [
                {
                    "jurisdiction": self.jurisdictions[code],
                    "signatory": next(
                        j.service_bureau for j in data.JURISDICTIONS if j.code == code
                    ),
                    "liaison_name": data.LIAISONS[code][0],
                    "liaison_phone": data.LIAISONS[code][1],
                }
                for code in spec.parties
            ]
            items = [
                {
                    "item": self.items[ai.item],
                    "modes": list(ai.modes),
                    "receiving_jurisdictions": [self.jurisdictions[c] for c in ai.receiving],
                    "handling_jurisdictions": [self.jurisdictions[c] for c in ai.handling],
                }
                for ai in spec.items
            ]
            draft = agreements.create_agreement_draft(
                self.admin,
                code=spec.code,
                title=spec.title,
                parties=parties,
                items=items,
                valid_from=spec.valid_from,
                valid_to=spec.valid_to,
                signed_on=spec.signed_on,
                notes=spec.notes,
            )
            agreements.activate_agreement(self.admin, draft)
            self.report.count("agreement", "created")

    def build_staff(self) -> None:
        for spec in data.JURISDICTIONS:
            j = self.jurisdictions[spec.code]
            for role in data.STAFF_ROLES:
                self._ensure_staff(
                    f"{spec.code}-{role}",
                    f"{spec.short_name}{data.ROLE_TITLES[role]}",
                    role,
                    j,
                )

    def _ensure_person(self, person: data.PersonSpec) -> User:
        id_number = person_id_number(person)
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = accounts.register_portal_user(
                person.username,
                None,
                person.name,
                id_number,
                person.phone,
                person.email,
                person.address,
                password_hash=self.password_hash,
            )
            self.report.count("applicant", "created")
        elif find_applicant(id_number) is None:
            accounts.register_applicant_person(
                None,
                person.name,
                id_number,
                person.phone,
                person.email,
                person.address,
                user=user,
            )
            self.report.count("applicant", "created")
        else:
            self.report.count("applicant", "unchanged")
        if not user.oidc_subject:
            user = accounts.bind_identity_subject(None, user.pk, person.username)
        if user.trust_level < trust.REAL_PERSON:
            # the demo people exist on the stand-in identity platform at level 4 too
            user = accounts.set_trust_level(None, user.pk, trust.REAL_PERSON, TrustSource.IDP)
        return user

    def build_applicants(self) -> None:
        for person in data.PERSONS:
            user = self._ensure_person(person)
            self.report.accounts.append(
                DemoAccount(person.username, "applicant", "", user.display_name)
            )
        for enterprise in data.ENTERPRISES:
            # the agent is a natural person with an account that also acts for the company
            user = self._ensure_person(enterprise.agent)
            uscc = enterprise_uscc(enterprise)
            if find_applicant(uscc) is None:
                accounts.register_applicant_enterprise(
                    None,
                    enterprise.name,
                    uscc,
                    enterprise.agent.name,
                    person_id_number(enterprise.agent),
                    enterprise.phone,
                    enterprise.email,
                    enterprise.address,
                    user=user,
                )
                self.report.count("applicant", "created")
            else:
                self.report.count("applicant", "unchanged")
            self.report.accounts.append(
                DemoAccount(
                    enterprise.username,
                    "applicant (agent)",
                    "",
                    f"{user.display_name} · {enterprise.name}",
                )
            )


def build_demo() -> SeedReport:
    return DemoBuilder().build()


def demo_usernames() -> list[str]:
    names = [data.PLATFORM_ADMIN_USERNAME]
    names += [f"{j.code}-{role}" for j in data.JURISDICTIONS for role in data.STAFF_ROLES]
    names += [p.username for p in data.PERSONS]
    names += [e.username for e in data.ENTERPRISES]
    return names
