"""A small, real world for tests: the four districts of the 武鄂黄黄 agreement, two items,
one active agreement, windows, staff in every role and applicants. Built with the ORM in
one go (tests need speed, not audit rows); the demo seed builds a much larger world."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tongban.accounts.identifiers import make_id_number, make_uscc
from tongban.accounts.models import Applicant, Role, RoleAssignment, User
from tongban.agreements.models import Agreement, AgreementItem, AgreementParty
from tongban.catalog.models import ItemImplementation, Material, ServiceItem
from tongban.centres.models import ServiceCentre, Window
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


def _region(code: str, name: str, level: str, parent: AdministrativeRegion | None):
    return AdministrativeRegion.objects.create(code=code, name=name, level=level, parent=parent)


def build_world(valid_from: dt.date = dt.date(2023, 3, 7)) -> World:
    world = World()
    hubei = _region("420000", "湖北省", "province", None)
    wuhan = _region("420100", "武汉市", "city", hubei)
    jiangxia = _region("420115", "江夏区", "county", wuhan)
    huangshi = _region("420200", "黄石市", "city", hubei)
    tieshan = _region("420205", "铁山区", "county", huangshi)
    ezhou = _region("420700", "鄂州市", "city", hubei)
    huarong = _region("420703", "华容区", "county", ezhou)
    gedian_town = _region("420703400", "葛店开发区", "township", huarong)
    huanggang = _region("421100", "黄冈市", "city", hubei)
    huangzhou = _region("421102", "黄州区", "county", huanggang)

    specs = [
        ("420100Z01", "武汉东湖新技术开发区", "东湖", "zone", wuhan),
        ("420703400", "鄂州葛店经济技术开发区", "葛店", "zone", gedian_town),
        ("421102", "黄冈市黄州区", "黄州", "region", huangzhou),
        ("420205", "黄石市铁山区(开铁区)", "开铁", "region", tieshan),
        ("420115", "武汉市江夏区", "江夏", "region", jiangxia),
    ]
    for index, (code, name, short, kind, region) in enumerate(specs, start=1):
        j = Jurisdiction.objects.create(
            code=code, name=name, short_name=short, kind=kind, region=region
        )
        world.jurisdictions[code] = j
        Department.objects.create(
            jurisdiction=j,
            kind="market_regulation",
            name=f"{short}市场监督管理局",
            uscc=make_uscc(region.code[:6], f"MB{index:03d}0001", authority="1", kind="1"),
        )
        Department.objects.create(
            jurisdiction=j,
            kind="civil_affairs",
            name=f"{short}民政局",
            uscc=make_uscc(region.code[:6], f"MB{index:03d}0002", authority="1", kind="1"),
        )
        centre = ServiceCentre.objects.create(
            jurisdiction=j,
            name=f"{short}政务服务中心",
            address=f"{name}政务服务中心",
            opening_hours="周一至周五 9:00-17:00",
        )
        world.windows[code] = Window.objects.create(
            centre=centre, code="K01", name="跨域通办专窗", kind="dedicated"
        )

    company = ServiceItem.objects.create(
        code="ITEM-COMPANY",
        name="企业设立登记",
        pinyin_initials="qysldj",
        item_type="licensing",
        department_kind="market_regulation",
        high_frequency=True,
    )
    marriage = ServiceItem.objects.create(
        code="ITEM-MARRIAGE",
        name="内地居民结婚登记",
        pinyin_initials="ndjmjhdj",
        item_type="confirmation",
        department_kind="civil_affairs",
        high_frequency=True,
    )
    world.items = {"company": company, "marriage": marriage}
    for code, j in world.jurisdictions.items():
        impl = ItemImplementation.objects.create(
            item=company,
            jurisdiction=j,
            department=Department.objects.get(jurisdiction=j, kind="market_regulation"),
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
        )
        Material.objects.create(
            implementation=impl,
            position=1,
            name="公司登记(备案)申请书",
            requirement="required",
            form="original",
        )
        Material.objects.create(
            implementation=impl, position=2, name="公司章程", requirement="required", form="copy"
        )
        Material.objects.create(
            implementation=impl,
            position=3,
            name="住所使用证明",
            requirement="deferrable",
            form="copy",
        )
        world.implementations[("company", code)] = impl
        impl2 = ItemImplementation.objects.create(
            item=marriage,
            jurisdiction=j,
            department=Department.objects.get(jurisdiction=j, kind="civil_affairs"),
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
        )
        Material.objects.create(
            implementation=impl2,
            position=1,
            name="双方身份证",
            requirement="required",
            form="original",
        )
        world.implementations[("marriage", code)] = impl2

    agreement = Agreement.objects.create(
        code="WEHH-2023",
        title="武鄂黄黄政务服务“跨域通办”区级合作协议",
        status="active",
        signed_on=valid_from,
        valid_from=valid_from,
    )
    for code in ("420100Z01", "420703400", "421102", "420205"):
        AgreementParty.objects.create(
            agreement=agreement,
            jurisdiction=world.jurisdictions[code],
            liaison_name="联络人",
            liaison_phone="027-00000000",
        )
    AgreementItem.objects.create(agreement=agreement, item=company, modes=["proxy", "joint"])
    AgreementItem.objects.create(agreement=agreement, item=marriage, modes=["proxy"])
    world.agreement = agreement

    for code, j in world.jurisdictions.items():
        for role in ROLES:
            user = User.objects.create_user(
                username=f"{code}-{role}",
                password=PASSWORD,
                kind="staff",
                display_name=f"{j.short_name}{role}",
            )
            RoleAssignment.objects.create(user=user, role=role, jurisdiction=j)
            world.users[user.username] = user
    admin = User.objects.create_user(username="platform-admin", password=PASSWORD, kind="staff")
    RoleAssignment.objects.create(user=admin, role=Role.PLATFORM_ADMIN)
    world.users["platform-admin"] = admin

    # the world's applicants signed in through the identity platform (可信等级 4); an
    # unverified self-registered account is built by the tests that need one
    _applicant(
        world,
        "person",
        "applicant-1",
        kind="person",
        name="李明",
        id_number=make_id_number("421102", dt.date(1998, 3, 6), 31),
        phone="13800138000",
        email="liming@example.test",
        address="湖北省黄冈市黄州区东门路1号",
    )
    _applicant(
        world,
        "other",
        "applicant-2",
        kind="person",
        name="王芳",
        id_number=make_id_number("420111", dt.date(1999, 8, 1), 42),
        phone="13900139000",
    )
    _applicant(
        world,
        "enterprise",
        "enterprise-1",
        display_name="卫敏",
        kind="enterprise",
        name="武汉市云尚李商贸有限公司",
        uscc=make_uscc("420100", "MA4KXXXX1".replace("X", "0")),
        agent_name="卫敏",
        agent_id_number=make_id_number("420111", dt.date(1996, 6, 26), 22),
        phone="13700137000",
    )
    return world


def _applicant(
    world: World, key: str, username: str, display_name: str = "", **applicant: Any
) -> Applicant:
    """A verified applicant account and the applicant it acts as (for an enterprise, the
    agent's account: `display_name` names the agent)."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        kind="applicant",
        display_name=display_name or applicant["name"],
        **VERIFIED_APPLICANT,
    )
    world.users[username] = user
    world.applicants[key] = Applicant.objects.create(user=user, **applicant)
    return world.applicants[key]
