"""A small, real world for tests: the four districts of the 武鄂黄黄 agreement, two items,
one active agreement, windows, staff in every role and applicants. Built with the ORM in
one go (tests need speed, not audit rows); the demo seed builds a much larger world."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password

from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Applicant, Role, RoleAssignment, User
from tongban.agreements.models import Agreement, AgreementItem, AgreementParty
from tongban.catalog.models import ItemImplementation, Material, ServiceItem
from tongban.centres.models import ServiceCentre, Window
from tongban.core import versioned
from tongban.regions.models import AdministrativeRegion, Department, Jurisdiction

PASSWORD = "tongban-test-pw"
ROLES = ("clerk", "officer", "head", "admin", "supervisor")
VERIFIED_APPLICANT: dict[str, Any] = {"trust_level": 4, "trust_source": "idp"}


@dataclass
class World:
    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    items: dict[str, ServiceItem] = field(default_factory=dict)
    implementations: dict[tuple[str, str], ItemImplementation] = field(default_factory=dict)
    windows: dict[str, Window] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    applicants: dict[str, Applicant] = field(default_factory=dict)
    agreement: Agreement | None = None

    @property
    def huangzhou(self) -> Jurisdiction:
        return self.jurisdictions["421102"]

    @property
    def donghu(self) -> Jurisdiction:
        return self.jurisdictions["420100Z01"]

    @property
    def gedian(self) -> Jurisdiction:
        return self.jurisdictions["420703400"]

    @property
    def tieshan(self) -> Jurisdiction:
        return self.jurisdictions["420205"]

    @property
    def outsider(self) -> Jurisdiction:
        """A jurisdiction that is not party to the agreement."""
        return self.jurisdictions["420115"]

    def user(self, name: str) -> User:
        return self.users[name]


def build_world(valid_from: dt.date = dt.date(2023, 3, 7)) -> World:
    """Most tests start here, so it is built in bulk: one INSERT per table and level
    instead of one per row, one password hash for every account, one master-data version
    at the end (bulk_create sends no signals: `versioned.bump` stands for the ones a
    row-by-row build would send; each account's grants version is its own random default,
    so no role change needs recording). The rows are the same as row by row, in the same
    order (docs/testing.md)."""
    world = World()
    hubei = _regions([("420000", "湖北省", "province", None)])[0]
    wuhan, huangshi, ezhou, huanggang = _regions(
        [
            ("420100", "武汉市", "city", hubei),
            ("420200", "黄石市", "city", hubei),
            ("420700", "鄂州市", "city", hubei),
            ("421100", "黄冈市", "city", hubei),
        ]
    )
    jiangxia, tieshan, huarong, huangzhou = _regions(
        [
            ("420115", "江夏区", "county", wuhan),
            ("420205", "铁山区", "county", huangshi),
            ("420703", "华容区", "county", ezhou),
            ("421102", "黄州区", "county", huanggang),
        ]
    )
    gedian_town = _regions([("420703400", "葛店开发区", "township", huarong)])[0]

    specs = [
        ("420100Z01", "武汉东湖新技术开发区", "东湖", "zone", wuhan),
        ("420703400", "鄂州葛店经济技术开发区", "葛店", "zone", gedian_town),
        ("421102", "黄冈市黄州区", "黄州", "region", huangzhou),
        ("420205", "黄石市铁山区(开铁区)", "开铁", "region", tieshan),
        ("420115", "武汉市江夏区", "江夏", "region", jiangxia),
    ]
    jurisdictions = Jurisdiction.objects.bulk_create(
        [
            Jurisdiction(code=code, name=name, short_name=short, kind=kind, region=region)
            for code, name, short, kind, region in specs
        ]
    )
    world.jurisdictions = {j.code: j for j in jurisdictions}
    departments = Department.objects.bulk_create(
        [
            Department(
                jurisdiction=j,
                kind=kind,
                name=f"{j.short_name}{label}",
                uscc=make_uscc(
                    region.code[:6], f"MB{index:03d}000{number}", authority="1", kind="1"
                ),
            )
            for index, (j, (*_, region)) in enumerate(zip(jurisdictions, specs, strict=True), 1)
            for number, (kind, label) in enumerate(
                (("market_regulation", "市场监督管理局"), ("civil_affairs", "民政局")), 1
            )
        ]
    )
    market = {d.jurisdiction.code: d for d in departments if d.kind == "market_regulation"}
    civil = {d.jurisdiction.code: d for d in departments if d.kind == "civil_affairs"}
    centres = ServiceCentre.objects.bulk_create(
        [
            ServiceCentre(
                jurisdiction=j,
                name=f"{j.short_name}政务服务中心",
                address=f"{j.name}政务服务中心",
                opening_hours="周一至周五 9:00-17:00",
            )
            for j in jurisdictions
        ]
    )
    windows = Window.objects.bulk_create(
        [
            Window(centre=centre, code="K01", name="跨域通办专窗", kind="dedicated")
            for centre in centres
        ]
    )
    world.windows = {w.centre.jurisdiction.code: w for w in windows}

    company, marriage = ServiceItem.objects.bulk_create(
        [
            ServiceItem(
                code="ITEM-COMPANY",
                name="企业设立登记",
                pinyin_initials="qysldj",
                item_type="licensing",
                department_kind="market_regulation",
                high_frequency=True,
            ),
            ServiceItem(
                code="ITEM-MARRIAGE",
                name="内地居民结婚登记",
                pinyin_initials="ndjmjhdj",
                item_type="confirmation",
                department_kind="civil_affairs",
                high_frequency=True,
            ),
        ]
    )
    world.items = {"company": company, "marriage": marriage}
    implementations = ItemImplementation.objects.bulk_create(
        [
            impl
            for code, j in world.jurisdictions.items()
            for impl in (
                ItemImplementation(
                    item=company,
                    jurisdiction=j,
                    department=market[code],
                    status="published",
                    statutory_limit_days=20,
                    promised_limit_days=3,
                    fee=Decimal("0"),
                    result_type="licence",
                    result_name="营业执照",
                    licence_type_code="11100000000000001",
                    delivery_methods=["post", "window", "electronic"],
                    modes=["online", "proxy", "joint"],
                    channels=["window", "terminal", "web", "app"],
                    needs_originals=True,
                    valid_from=valid_from,
                ),
                ItemImplementation(
                    item=marriage,
                    jurisdiction=j,
                    department=civil[code],
                    status="published",
                    statutory_limit_days=20,
                    promised_limit_days=1,
                    result_type="licence",
                    result_name="结婚证",
                    delivery_methods=["window"],
                    modes=["proxy"],
                    channels=["window"],
                    needs_originals=False,
                    valid_from=valid_from,
                ),
            )
        ]
    )
    world.implementations = {
        ("company" if impl.item is company else "marriage", impl.jurisdiction.code): impl
        for impl in implementations
    }
    company_materials = (
        (1, "公司登记(备案)申请书", "required", "original"),
        (2, "公司章程", "required", "copy"),
        (3, "住所使用证明", "deferrable", "copy"),
    )
    marriage_materials = ((1, "双方身份证", "required", "original"),)
    Material.objects.bulk_create(
        [
            Material(
                implementation=impl,
                position=position,
                name=name,
                requirement=requirement,
                form=form,
            )
            for impl in implementations
            for position, name, requirement, form in (
                company_materials if impl.item is company else marriage_materials
            )
        ]
    )

    agreement = Agreement.objects.create(
        code="WEHH-2023",
        title="武鄂黄黄政务服务“跨域通办”区级合作协议",
        status="active",
        signed_on=valid_from,
        valid_from=valid_from,
    )
    AgreementParty.objects.bulk_create(
        [
            AgreementParty(
                agreement=agreement,
                jurisdiction=world.jurisdictions[code],
                liaison_name="联络人",
                liaison_phone="027-00000000",
            )
            for code in ("420100Z01", "420703400", "421102", "420205")
        ]
    )
    AgreementItem.objects.bulk_create(
        [
            AgreementItem(agreement=agreement, item=company, modes=["proxy", "joint"]),
            AgreementItem(agreement=agreement, item=marriage, modes=["proxy"]),
        ]
    )
    world.agreement = agreement

    password = make_password(PASSWORD)  # one hash (with its salt) serves every account
    staff: list[tuple[User, str, Jurisdiction | None]] = [
        (
            User(username=f"{code}-{role}", kind="staff", display_name=f"{j.short_name}{role}"),
            role,
            j,
        )
        for code, j in world.jurisdictions.items()
        for role in ROLES
    ]
    staff.append((User(username="platform-admin", kind="staff"), Role.PLATFORM_ADMIN, None))
    # the world's applicants signed in through the identity platform (可信等级 4); an
    # unverified self-registered account is built by the tests that need one
    applicants: list[tuple[str, User, dict[str, Any]]] = [
        (
            "person",
            User(username="applicant-1", display_name="李明"),
            {
                "kind": "person",
                "name": "李明",
                "id_number": make_id_number("421102", dt.date(1998, 3, 6), 31),
                "phone": "13800138000",
                "email": "liming@example.test",
                "address": "湖北省黄冈市黄州区东门路1号",
            },
        ),
        (
            "other",
            User(username="applicant-2", display_name="王芳"),
            {
                "kind": "person",
                "name": "王芳",
                "id_number": make_id_number("420111", dt.date(1999, 8, 1), 42),
                "phone": "13900139000",
            },
        ),
        (
            "enterprise",
            # an enterprise's account is its agent's: `display_name` names the agent
            User(username="enterprise-1", display_name="卫敏"),
            {
                "kind": "enterprise",
                "name": "武汉市云尚李商贸有限公司",
                "uscc": make_uscc("420100", "MA4KXXXX1".replace("X", "0")),
                "agent_name": "卫敏",
                "agent_id_number": make_id_number("420111", dt.date(1996, 6, 26), 22),
                "phone": "13700137000",
            },
        ),
    ]
    for _key, user, _fields in applicants:
        user.kind = "applicant"
        for name, value in VERIFIED_APPLICANT.items():
            setattr(user, name, value)
    users = [user for user, _role, _j in staff] + [user for _k, user, _f in applicants]
    for user in users:
        user.password = password
    User.objects.bulk_create(users)
    world.users = {user.username: user for user in users}
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=role, jurisdiction=j) for user, role, j in staff]
    )
    created = Applicant.objects.bulk_create(
        [Applicant(user=user, **fields) for _key, user, fields in applicants]
    )
    world.applicants = {key: a for (key, _u, _f), a in zip(applicants, created, strict=True)}
    versioned.bump()
    return world


def _regions(
    rows: list[tuple[str, str, str, AdministrativeRegion | None]],
) -> list[AdministrativeRegion]:
    return AdministrativeRegion.objects.bulk_create(
        [
            AdministrativeRegion(code=code, name=name, level=level, parent=parent)
            for code, name, level, parent in rows
        ]
    )
