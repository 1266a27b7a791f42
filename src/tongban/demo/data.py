"""The demo world, as plain data. Sources: docs/domain.md §1, §2, §5, §6 and the seed
article (湖北日报 2023-03-08, "“跨域通办”赋能武鄂黄黄“四城一家”"). Region codes are real
GB/T 2260 codes; everything about people (names, ID numbers, phones, e-mails, addresses)
is fictional, and so are centre addresses, liaison phones, department credit codes and
e-licence type codes. Decisions are recorded in docs/adr/0030-demo-data.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from tongban.demo import catalogue

DEMO_PASSWORD = "tongban-demo"
STAFF_ROLES = ("clerk", "officer", "head", "admin", "supervisor")
ROLE_TITLES = {
    "clerk": "窗口收件员",
    "officer": "审批经办人",
    "head": "部门负责人",
    "admin": "管辖地管理员",
    "supervisor": "监督员",
}
PLATFORM_ADMIN_USERNAME = "platform-admin"


# ---------------------------------------------------------------- administrative regions


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: str
    parent: str | None


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("420000", "湖北省", "province", None),
    RegionSpec("420100", "武汉市", "city", "420000"),
    RegionSpec("420111", "洪山区", "county", "420100"),
    RegionSpec("420115", "江夏区", "county", "420100"),
    RegionSpec("420200", "黄石市", "city", "420000"),
    RegionSpec("420202", "黄石港区", "county", "420200"),
    RegionSpec("420203", "西塞山区", "county", "420200"),
    RegionSpec("420204", "下陆区", "county", "420200"),
    RegionSpec("420205", "铁山区", "county", "420200"),
    RegionSpec("420222", "阳新县", "county", "420200"),
    RegionSpec("420281", "大冶市", "county", "420200"),
    RegionSpec("420700", "鄂州市", "city", "420000"),
    RegionSpec("420703", "华容区", "county", "420700"),
    # township-level statistical code (统计用区划代码), not GB/T 2260
    RegionSpec("420703400", "葛店开发区", "township", "420703"),
    RegionSpec("421100", "黄冈市", "city", "420000"),
    RegionSpec("421102", "黄州区", "county", "421100"),
    # cross-province partners named by the article
    RegionSpec("370000", "山东省", "province", None),
    RegionSpec("371300", "临沂市", "city", "370000"),
    RegionSpec("371329", "临沭县", "county", "371300"),
    RegionSpec("330000", "浙江省", "province", None),
    RegionSpec("330200", "宁波市", "city", "330000"),
    RegionSpec("330205", "江北区", "county", "330200"),
    RegionSpec("320000", "江苏省", "province", None),
    RegionSpec("320200", "无锡市", "city", "320000"),
    RegionSpec("320205", "锡山区", "county", "320200"),
    RegionSpec("360000", "江西省", "province", None),
    RegionSpec("360400", "九江市", "city", "360000"),
    RegionSpec("360403", "浔阳区", "county", "360400"),
    RegionSpec("410000", "河南省", "province", None),
    RegionSpec("411500", "信阳市", "city", "410000"),
    RegionSpec("411522", "光山县", "county", "411500"),
    RegionSpec("411524", "商城县", "county", "411500"),  # the sixth county: our choice
    RegionSpec("411525", "固始县", "county", "411500"),
    RegionSpec("411526", "潢川县", "county", "411500"),
    RegionSpec("411527", "淮滨县", "county", "411500"),
    RegionSpec("411528", "息县", "county", "411500"),
    # 开铁's cross-province partners (ADR 0097)
    RegionSpec("411600", "周口市", "city", "410000"),
    RegionSpec("370300", "淄博市", "city", "370000"),
)


# ---------------------------------------------------------------- jurisdictions and centres


@dataclass(frozen=True)
class JurisdictionSpec:
    code: str
    name: str
    short_name: str
    kind: str  # region | zone
    region: str
    city: str  # the city, for names of city-level bodies (公积金中心, 不动产登记中心)
    service_bureau: str
    area_code: str  # telephone area code
    centre_address: str
    county: bool = False  # a 县 or a city: its police is a 公安局, not a 公安分局
    extended_hours: str = "周六 9:00-12:00 预约办理;工作日 12:00-13:30 午间不打烊"


OPENING_HOURS = "周一至周五 9:00-12:00, 13:30-17:30(夏季下午 14:30-18:00)"

JURISDICTIONS: tuple[JurisdictionSpec, ...] = (
    JurisdictionSpec(
        "420100Z01",
        "武汉东湖新技术开发区",
        "东湖",
        "zone",
        "420100",
        "武汉",
        "武汉东湖新技术开发区政务服务和大数据管理局",
        "027",
        "湖北省武汉市东湖新技术开发区高新大道示范路1号",
        extended_hours="周六、周日 9:00-17:00;工作日 12:00-13:30 午间不打烊",
    ),
    JurisdictionSpec(
        "420703400",
        "鄂州葛店经济技术开发区",
        "葛店",
        "zone",
        "420703400",
        "鄂州",
        "鄂州葛店经济技术开发区行政审批局",
        "0711",
        "湖北省鄂州市华容区葛店经济技术开发区创业大道示范路8号",
    ),
    JurisdictionSpec(
        "421102",
        "黄冈市黄州区",
        "黄州",
        "region",
        "421102",
        "黄冈",
        "黄冈市黄州区政务服务和大数据管理局",
        "0713",
        "湖北省黄冈市黄州区东门路示范街18号",
    ),
    JurisdictionSpec(
        "420205",
        "黄石经济技术开发区·铁山区",
        "开铁",
        "region",
        "420205",
        "黄石",
        "黄石市开铁区政务服务和大数据管理局",
        "0714",
        "湖北省黄石市铁山区示范大道66号",
        extended_hours="周六 9:00-12:00;延时服务至 19:00(预约)",
    ),
    # not party to any demo agreement: shows how an outsider is refused
    JurisdictionSpec(
        "420115",
        "武汉市江夏区",
        "江夏",
        "region",
        "420115",
        "武汉",
        "武汉市江夏区政务服务和大数据管理局",
        "027",
        "湖北省武汉市江夏区纸坊街示范路2号",
    ),
    JurisdictionSpec(
        "371329",
        "临沂市临沭县",
        "临沭",
        "region",
        "371329",
        "临沂",
        "临沭县行政审批服务局",
        "0539",
        "山东省临沂市临沭县示范路100号",
        county=True,
    ),
    JurisdictionSpec(
        "330205",
        "宁波市江北区",
        "江北",
        "region",
        "330205",
        "宁波",
        "宁波市江北区行政审批管理办公室",
        "0574",
        "浙江省宁波市江北区示范路9号",
    ),
    JurisdictionSpec(
        "320205",
        "无锡市锡山区",
        "锡山",
        "region",
        "320205",
        "无锡",
        "无锡市锡山区行政审批局",
        "0510",
        "江苏省无锡市锡山区示范路20号",
    ),
    JurisdictionSpec(
        "360403",
        "九江市浔阳区",
        "浔阳",
        "region",
        "360403",
        "九江",
        "九江市浔阳区行政审批局",
        "0792",
        "江西省九江市浔阳区示范路3号",
    ),
    JurisdictionSpec(
        "411526",
        "信阳市潢川县",
        "潢川",
        "region",
        "411526",
        "信阳",
        "潢川县政务服务和大数据管理局",
        "0376",
        "河南省信阳市潢川县示范路11号",
        county=True,
    ),
    JurisdictionSpec(
        "411522",
        "信阳市光山县",
        "光山",
        "region",
        "411522",
        "信阳",
        "光山县政务服务和大数据管理局",
        "0376",
        "河南省信阳市光山县示范路12号",
        county=True,
    ),
    JurisdictionSpec(
        "411528",
        "信阳市息县",
        "息县",
        "region",
        "411528",
        "信阳",
        "息县政务服务和大数据管理局",
        "0376",
        "河南省信阳市息县示范路13号",
        county=True,
    ),
    JurisdictionSpec(
        "411525",
        "信阳市固始县",
        "固始",
        "region",
        "411525",
        "信阳",
        "固始县政务服务和大数据管理局",
        "0376",
        "河南省信阳市固始县示范路14号",
        county=True,
    ),
    JurisdictionSpec(
        "411527",
        "信阳市淮滨县",
        "淮滨",
        "region",
        "411527",
        "信阳",
        "淮滨县政务服务和大数据管理局",
        "0376",
        "河南省信阳市淮滨县示范路15号",
        county=True,
    ),
    JurisdictionSpec(
        "411524",
        "信阳市商城县",
        "商城",
        "region",
        "411524",
        "信阳",
        "商城县政务服务和大数据管理局",
        "0376",
        "河南省信阳市商城县示范路16号",
        county=True,
    ),
    # 开铁's cross-province partners (the article names 周口市 and 淄博市 among others)
    JurisdictionSpec(
        "411600",
        "河南省周口市",
        "周口",
        "region",
        "411600",
        "周口",
        "周口市行政审批和政务信息管理局",
        "0394",
        "河南省周口市示范大道17号",
        county=True,
    ),
    JurisdictionSpec(
        "370300",
        "山东省淄博市",
        "淄博",
        "region",
        "370300",
        "淄博",
        "淄博市行政审批服务局",
        "0533",
        "山东省淄博市示范路18号",
        county=True,
    ),
)
JURISDICTION_CODES = tuple(j.code for j in JURISDICTIONS)
XINYANG_COUNTIES = ("411526", "411522", "411528", "411525", "411527", "411524")
KAITIE_PARTNERS = ("411600", "370300")


@dataclass(frozen=True)
class WindowSpec:
    code: str
    name: str
    kind: str


WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec("K01", "跨域通办专窗", "dedicated"),
    WindowSpec("D01", "综合兜底窗口", "fallback"),
    WindowSpec("T01", "政务服务一体机(自助终端)", "terminal"),
)
CLERK_WINDOW = "K01"


# ---------------------------------------------------------------- departments

# (kind, name pattern). {p}: the jurisdiction's name; {ps}: its police body;
# {city}, {short}: city name and the jurisdiction's short name
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("public_security", "{ps}"),
    ("exit_entry", "{ps}出入境管理大队"),
    ("civil_affairs", "{p}民政局"),
    ("market_regulation", "{p}市场监督管理局"),
    ("human_resources", "{p}人力资源和社会保障局"),
    ("medical_insurance", "{p}医疗保障局"),
    ("taxation", "国家税务总局{p}税务局"),
    ("housing_fund", "{city}住房公积金中心{short}办事处"),
    ("real_estate", "{city}不动产登记中心{short}分中心"),
    ("health", "{p}卫生健康局"),
    ("transport", "{p}交通运输局"),
    ("education", "{p}教育局"),
    ("disabled_persons", "{p}残疾人联合会"),
)


def department_name(pattern: str, j: JurisdictionSpec) -> str:
    ps = f"{j.name}公安{'局' if j.county else '分局'}"
    return pattern.format(p=j.name, ps=ps, city=j.city, short=j.short_name)


def department_org_code(jurisdiction_index: int, kind_index: int) -> str:
    """The 9-character organisation code inside a department's (fictional) USCC."""
    return f"7{jurisdiction_index:02d}{kind_index:02d}0000"


# ---------------------------------------------------------------- e-licence types (fictional)

LT_BUSINESS_LICENCE = "11100000000000001"  # 营业执照 (same code as testing/world.py)
LT_ID_CARD = "11100000000000002"  # 居民身份证
LT_HOUSEHOLD_REGISTER = "11100000000000003"  # 居民户口簿
LT_MARRIAGE = "11100000000000004"  # 结婚证
LT_DRIVING_LICENCE = "11100000000000005"  # 机动车驾驶证
LT_HK_MACAO_PERMIT = "11100000000000006"  # 往来港澳通行证
LT_PROPERTY = "11100000000000007"  # 不动产权证书
LT_SOCIAL_SECURITY_CARD = "11100000000000008"  # 社会保障卡
LT_DOCTOR = "11100000000000009"  # 医师执业证书
LT_BIRTH_CERT = "11100000000000010"  # 出生医学证明
LT_TRANSPORT_QUALIFICATION = "11100000000000011"  # 道路运输从业资格证
LT_FOOD = "11100000000000012"  # 食品经营许可证
LT_PASSPORT = "11100000000000013"  # 普通护照

LICENCE_TYPES: dict[str, str] = {
    LT_BUSINESS_LICENCE: "营业执照",
    LT_ID_CARD: "居民身份证",
    LT_HOUSEHOLD_REGISTER: "居民户口簿",
    LT_MARRIAGE: "结婚证",
    LT_DRIVING_LICENCE: "机动车驾驶证",
    LT_HK_MACAO_PERMIT: "往来港澳通行证",
    LT_PROPERTY: "不动产权证书",
    LT_SOCIAL_SECURITY_CARD: "社会保障卡",
    LT_DOCTOR: "医师执业证书",
    LT_BIRTH_CERT: "出生医学证明",
    LT_TRANSPORT_QUALIFICATION: "道路运输从业资格证",
    LT_FOOD: "食品经营许可证",
    LT_PASSPORT: "普通护照",
}


# ---------------------------------------------------------------- items and implementations


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    requirement: str = "required"  # required | optional | deferrable
    form: str = "original"  # original | copy | electronic
    licence_type_code: str = ""
    copies: int = 1
    note: str = ""


def id_card(note: str = "") -> MaterialSpec:
    return MaterialSpec("居民身份证", "required", "original", LT_ID_CARD, note=note)


# 法人 items (服务对象: 法人): filed by an enterprise through its agent; the clerk's form
# starts with 法人/企业 for them (ADR 0123). 企业设立登记 is not one: the enterprise does
# not exist yet and a person files it (ADR 0096).
ENTERPRISE_ITEMS = frozenset(
    {
        "ITEM-COMPANY-CHANGE",
        "ITEM-COMPANY-DEREGISTRATION",
        "ITEM-COMPANY-FILING",
        "ITEM-BRANCH",
        "ITEM-LICENCE-REISSUE",
        "ITEM-EQUITY-PLEDGE",
        "ITEM-FOOD-LICENCE-CHANGE",
        "ITEM-ANNUAL-REPORT",
        "ITEM-EMPLOYER-INSURANCE",
        "ITEM-FUND-EMPLOYER",
        "ITEM-NEW-TAXPAYER",
        "ITEM-INVOICE",
        "ITEM-TAX-CLEARANCE",
        "ITEM-FREIGHT-PERMIT",
    }
)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    item_type: str
    department_kind: str
    statutory: int
    promised: int
    result_type: str
    result_name: str
    materials: tuple[MaterialSpec, ...]
    modes: tuple[str, ...]
    channels: tuple[str, ...] = ("window", "web", "app")
    delivery_methods: tuple[str, ...] = ("post", "window")
    licence_type_code: str = ""
    fee: Decimal = Decimal("0")
    needs_originals: bool = False
    # 不动产: the registry checks the original title deed before it accepts (ADR 0094)
    originals_before_acceptance: bool = False
    high_frequency: bool = False
    description: str = ""
    legal_basis: str = ""
    conditions: str = ""


ALL_CHANNELS = ("window", "terminal", "web", "app")  # terminal-capable items

# the items of the first demo, with detailed checklists; every jurisdiction publishes them
DETAILED_ITEMS: tuple[ItemSpec, ...] = (
    # ---- 公安 / 出入境
    ItemSpec(
        "ITEM-HUKOU-MIGRATION",
        "户口迁移审批",
        "licensing",
        "public_security",
        20,
        5,
        "approval_document",
        "准予迁入证明",
        (
            MaterialSpec("户口迁移申请表"),
            MaterialSpec("居民户口簿", licence_type_code=LT_HOUSEHOLD_REGISTER),
            id_card(),
            MaterialSpec("迁入地合法稳定住所证明", form="copy", licence_type_code=LT_PROPERTY),
            MaterialSpec("结婚证", "optional", "copy", LT_MARRIAGE, note="夫妻投靠迁移时提交"),
        ),
        modes=("online", "proxy"),
        delivery_methods=("post", "window", "electronic"),
        needs_originals=True,
        high_frequency=True,
        description="跨省迁移“一站式”办理:迁入地审批,迁出地注销。",
        legal_basis="《中华人民共和国户口登记条例》第十条",
    ),
    # one item in the 行政许可事项清单 and in the article: "机动车驾驶证核发、审验"
    ItemSpec(
        "ITEM-DRIVING-LICENCE",
        "机动车驾驶证核发、审验",
        "licensing",
        "public_security",
        10,
        1,
        "licence",
        "机动车驾驶证",
        (
            MaterialSpec("机动车驾驶证申请表"),
            id_card(),
            MaterialSpec("县级以上医疗机构出具的身体条件证明", form="electronic"),
            MaterialSpec("近期一寸白底证件照", form="electronic"),
            MaterialSpec(
                "机动车驾驶证",
                "optional",
                "original",
                LT_DRIVING_LICENCE,
                note="换证、补证和审验时提交",
            ),
        ),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_DRIVING_LICENCE,
        fee=Decimal("10"),
        high_frequency=True,
        description="含初次申领、增驾、换证、补证和审验。",
        legal_basis="《中华人民共和国道路交通安全法》第十九条",
    ),
    ItemSpec(
        "ITEM-ID-CARD-RENEWAL",
        "居民身份证换领",
        "other",
        "public_security",
        20,
        15,
        "licence",
        "居民身份证",
        (
            MaterialSpec("原居民身份证"),
            MaterialSpec("居民户口簿", licence_type_code=LT_HOUSEHOLD_REGISTER),
            MaterialSpec("身份证数字相片", form="electronic"),
        ),
        modes=("proxy",),
        channels=("window", "terminal"),
        licence_type_code=LT_ID_CARD,
        fee=Decimal("20"),
    ),
    ItemSpec(
        "ITEM-HK-MACAO-PERMIT",
        "往来港澳通行证签发",
        "licensing",
        "exit_entry",
        7,
        7,
        "licence",
        "往来港澳通行证",
        (
            MaterialSpec("中国公民出入境证件申请表"),
            id_card(),
            MaterialSpec("出入境证件数字相片回执", form="electronic"),
        ),
        modes=("proxy",),
        channels=("window", "terminal"),
        licence_type_code=LT_HK_MACAO_PERMIT,
        fee=Decimal("60"),
        description="随着出入境政策变化,出入境类事项逐步成为高频通办事项。",
        legal_basis="《中华人民共和国出境入境管理法》",
    ),
    ItemSpec(
        "ITEM-PASSPORT",
        "普通护照签发",
        "licensing",
        "exit_entry",
        7,
        7,
        "licence",
        "普通护照",
        (
            MaterialSpec("中国公民出入境证件申请表"),
            id_card(),
            MaterialSpec("出入境证件数字相片回执", form="electronic"),
        ),
        modes=("proxy",),
        licence_type_code=LT_PASSPORT,
        fee=Decimal("120"),
        legal_basis="《中华人民共和国护照法》",
    ),
    # ---- 民政
    ItemSpec(
        "ITEM-MARRIAGE",
        "内地居民结婚登记",
        "confirmation",
        "civil_affairs",
        20,
        1,
        "licence",
        "结婚证",
        (
            MaterialSpec("双方居民身份证", licence_type_code=LT_ID_CARD),
            MaterialSpec("双方居民户口簿", licence_type_code=LT_HOUSEHOLD_REGISTER),
            MaterialSpec("双方近期半身免冠合影照片", copies=3),
            MaterialSpec("申请结婚登记声明书", note="双方到场签署"),
        ),
        modes=("proxy",),
        channels=("window",),
        delivery_methods=("window",),
        licence_type_code=LT_MARRIAGE,
        high_frequency=True,
        legal_basis="《婚姻登记条例》第四条、第五条",
        conditions="双方须亲自到婚姻登记机关;一方经常居住地跨省通办试点地区可办理。",
    ),
    # ---- 市场监管
    ItemSpec(
        "ITEM-COMPANY",
        "企业设立登记",
        "licensing",
        "market_regulation",
        20,
        3,
        "licence",
        "营业执照",
        (
            MaterialSpec("公司登记(备案)申请书"),
            MaterialSpec("公司章程", form="copy"),
            MaterialSpec("股东主体资格证明", form="copy", licence_type_code=LT_ID_CARD),
            MaterialSpec("法定代表人、董事、监事和经理的任职文件"),
            MaterialSpec("住所使用证明", "deferrable", "copy", LT_PROPERTY),
            MaterialSpec("经办人身份证明", licence_type_code=LT_ID_CARD),
        ),
        modes=("online", "proxy", "joint"),
        channels=ALL_CHANNELS,
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_BUSINESS_LICENCE,
        needs_originals=True,
        description="一般3个工作日办结,情形复杂的可延长3个工作日。可与公章刻制、涉税事项联办。",
        legal_basis="《中华人民共和国市场主体登记管理条例》第十九条",
    ),
    ItemSpec(
        "ITEM-SOLE-TRADER",
        "个体工商户设立登记",
        "licensing",
        "market_regulation",
        15,
        1,
        "licence",
        "营业执照",
        (
            MaterialSpec("个体工商户登记(备案)申请书"),
            MaterialSpec("经营者身份证明", licence_type_code=LT_ID_CARD),
            MaterialSpec("经营场所使用证明", "deferrable", "copy", LT_PROPERTY),
        ),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_BUSINESS_LICENCE,
        legal_basis="《促进个体工商户发展条例》",
    ),
    ItemSpec(
        "ITEM-COMPANY-CHANGE",
        "企业变更登记",
        "licensing",
        "market_regulation",
        20,
        3,
        "licence",
        "营业执照",
        (
            MaterialSpec("变更登记申请书"),
            MaterialSpec("股东会决议或股东决定"),
            MaterialSpec("修改后的公司章程或章程修正案", form="copy"),
            MaterialSpec("营业执照正副本", licence_type_code=LT_BUSINESS_LICENCE),
        ),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_BUSINESS_LICENCE,
        needs_originals=True,
    ),
    ItemSpec(
        "ITEM-COMPANY-DEREGISTRATION",
        "企业注销登记",
        "licensing",
        "market_regulation",
        20,
        3,
        "approval_document",
        "准予注销登记通知书",
        (
            MaterialSpec("注销登记申请书"),
            MaterialSpec("清算报告"),
            MaterialSpec("营业执照正副本", licence_type_code=LT_BUSINESS_LICENCE),
        ),
        modes=("online", "proxy"),
        needs_originals=True,
    ),
    ItemSpec(
        "ITEM-FOOD-LICENCE",
        "食品经营许可",
        "licensing",
        "market_regulation",
        20,
        10,
        "licence",
        "食品经营许可证",
        (
            MaterialSpec("食品经营许可申请书"),
            MaterialSpec("营业执照", form="copy", licence_type_code=LT_BUSINESS_LICENCE),
            MaterialSpec("主要设备设施布局及操作流程文件", form="copy"),
            MaterialSpec("食品安全管理制度", form="copy"),
        ),
        modes=("online", "proxy"),
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_FOOD,
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    ),
    # ---- 住房公积金
    ItemSpec(
        "ITEM-HOUSING-FUND-DEDUCTION",
        "住房公积金异地委托划扣",
        "public_service",
        "housing_fund",
        10,
        5,
        "record",
        "委托划扣签约结果告知",
        (
            MaterialSpec("异地委托划扣申请表"),
            id_card(),
            MaterialSpec("住房借款合同", form="copy"),
            MaterialSpec("本人住房公积金缴存证明", "optional", "electronic"),
        ),
        modes=("online", "proxy"),
        delivery_methods=("electronic", "window"),
        description="武汉都市圈住房公积金同城化:用缴存地公积金按月划扣贷款地的住房公积金贷款。",
    ),
    ItemSpec(
        "ITEM-HOUSING-FUND-CERTIFICATE",
        "住房公积金缴存证明出具",
        "public_service",
        "housing_fund",
        1,
        1,
        "record",
        "住房公积金缴存证明",
        (id_card(),),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("electronic", "window"),
    ),
    # ---- 医保
    ItemSpec(
        "ITEM-MEDICAL-TRANSFER",
        "基本医疗保险关系转移接续",
        "public_service",
        "medical_insurance",
        15,
        15,
        "record",
        "转移接续办结告知",
        (
            MaterialSpec("基本医疗保险关系转移接续申请表"),
            id_card(),
            MaterialSpec("基本医疗保障参保(合)凭证", "optional", "electronic"),
        ),
        modes=("online", "proxy", "joint"),
        delivery_methods=("electronic", "window"),
        description="转出地10个工作日内出具参保凭证,转入地5个工作日内办结接续。",
    ),
    ItemSpec(
        "ITEM-MEDICAL-REFERRAL",
        "异地就医备案",
        "public_service",
        "medical_insurance",
        1,
        1,
        "record",
        "异地就医备案回执",
        (
            MaterialSpec("社会保障卡", licence_type_code=LT_SOCIAL_SECURITY_CARD),
            MaterialSpec("异地就医备案表", form="electronic"),
        ),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("electronic",),
    ),
    # ---- 人社
    ItemSpec(
        "ITEM-PENSION-TRANSFER",
        "基本养老保险关系转移接续",
        "public_service",
        "human_resources",
        45,
        45,
        "record",
        "转移接续办结告知",
        (
            MaterialSpec("基本养老保险关系转移接续申请表"),
            id_card(),
            MaterialSpec("参保缴费凭证", "optional", "electronic"),
        ),
        modes=("online", "proxy", "joint"),
        delivery_methods=("electronic", "window"),
        description="转入地15个工作日发联系函,转出地15个工作日转出,转入地15个工作日办结。",
    ),
    ItemSpec(
        "ITEM-SOCIAL-SECURITY-CARD",
        "社会保障卡申领",
        "public_service",
        "human_resources",
        10,
        5,
        "licence",
        "社会保障卡",
        (id_card(), MaterialSpec("近期免冠证件照", form="electronic")),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        licence_type_code=LT_SOCIAL_SECURITY_CARD,
    ),
    ItemSpec(
        "ITEM-INSURANCE-RECORD",
        "个人参保证明查询打印",
        "public_service",
        "human_resources",
        1,
        1,
        "record",
        "个人参保证明",
        (MaterialSpec("社会保障卡或居民身份证", licence_type_code=LT_SOCIAL_SECURITY_CARD),),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("electronic", "window"),
    ),
    ItemSpec(
        "ITEM-UNEMPLOYMENT-BENEFIT",
        "失业保险金申领",
        "payment",
        "human_resources",
        20,
        10,
        "record",
        "失业保险金核定告知",
        (
            id_card(),
            MaterialSpec("解除或终止劳动关系证明", form="copy"),
            MaterialSpec("社会保障卡", "optional", "original", LT_SOCIAL_SECURITY_CARD),
        ),
        modes=("online", "proxy"),
        delivery_methods=("electronic",),
    ),
    ItemSpec(
        "ITEM-EMPLOYMENT-CARD",
        "就业创业证申领",
        "public_service",
        "human_resources",
        5,
        3,
        "record",
        "就业创业证",
        (id_card(), MaterialSpec("近期免冠证件照", form="electronic")),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
    ),
    # ---- 不动产登记
    ItemSpec(
        "ITEM-PROPERTY-TRANSFER",
        "不动产转移登记",
        "confirmation",
        "real_estate",
        30,
        5,
        "licence",
        "不动产权证书",
        (
            MaterialSpec("不动产登记申请书"),
            MaterialSpec("申请人身份证明", licence_type_code=LT_ID_CARD),
            MaterialSpec("不动产权属证书", licence_type_code=LT_PROPERTY),
            MaterialSpec("不动产买卖合同"),
            MaterialSpec("完税凭证", form="copy"),
            MaterialSpec("婚姻状况证明", "optional", "copy", LT_MARRIAGE),
        ),
        modes=("proxy", "joint"),
        channels=("window",),
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_PROPERTY,
        fee=Decimal("80"),
        needs_originals=True,
        originals_before_acceptance=True,
        legal_basis="《不动产登记暂行条例》第二十条",
    ),
    ItemSpec(
        "ITEM-PROPERTY-RECORDS",
        "不动产登记资料查询",
        "public_service",
        "real_estate",
        1,
        1,
        "record",
        "不动产登记信息查询结果",
        (id_card(),),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("electronic", "window"),
    ),
    # ---- 卫健
    ItemSpec(
        "ITEM-DOCTOR-REGISTRATION",
        "医师执业注册",
        "licensing",
        "health",
        20,
        10,
        "licence",
        "医师执业证书",
        (
            MaterialSpec("医师执业注册申请审核表"),
            MaterialSpec("医师资格证书", form="copy"),
            id_card(),
            MaterialSpec("六个月内的健康体检证明"),
            MaterialSpec("拟执业机构聘用证明"),
        ),
        modes=("online", "proxy"),
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_DOCTOR,
        legal_basis="《中华人民共和国医师法》第十三条",
    ),
    ItemSpec(
        "ITEM-BIRTH-CERTIFICATE",
        "出生医学证明补发",
        "public_service",
        "health",
        20,
        10,
        "licence",
        "出生医学证明",
        (
            MaterialSpec("出生医学证明补发申请表"),
            MaterialSpec("父母双方居民身份证", licence_type_code=LT_ID_CARD),
            MaterialSpec("出生时医疗机构出具的分娩记录", form="copy"),
        ),
        modes=("proxy",),
        licence_type_code=LT_BIRTH_CERT,
        needs_originals=True,
    ),
    ItemSpec(
        "ITEM-BIRTH-REGISTRATION",
        "生育登记",
        "public_service",
        "health",
        1,
        1,
        "record",
        "生育登记服务单",
        (
            MaterialSpec("夫妻双方居民身份证", licence_type_code=LT_ID_CARD),
            MaterialSpec("结婚证", "optional", "copy", LT_MARRIAGE),
        ),
        modes=("online", "proxy"),
        delivery_methods=("electronic",),
    ),
    # ---- 交通
    ItemSpec(
        "ITEM-TRANSPORT-QUALIFICATION",
        "道路运输从业人员从业资格证换发",
        "other",
        "transport",
        10,
        5,
        "licence",
        "道路运输从业资格证",
        (
            id_card(),
            MaterialSpec("原从业资格证", licence_type_code=LT_TRANSPORT_QUALIFICATION),
            MaterialSpec("近期一寸证件照", form="electronic"),
        ),
        modes=("online", "proxy"),
        delivery_methods=("post", "window", "electronic"),
        licence_type_code=LT_TRANSPORT_QUALIFICATION,
    ),
    # ---- 税务
    ItemSpec(
        "ITEM-TAX-CERTIFICATE",
        "开具税收完税证明",
        "public_service",
        "taxation",
        1,
        1,
        "record",
        "税收完税证明",
        (MaterialSpec("居民身份证或营业执照", licence_type_code=LT_ID_CARD),),
        modes=("online", "proxy"),
        channels=ALL_CHANNELS,
        delivery_methods=("electronic", "window"),
    ),
)

# materials and results that a valid e-licence of this type satisfies or is
MATERIAL_LICENCE_TYPES: dict[str, str] = {name: code for code, name in LICENCE_TYPES.items()}


def _catalogue_item(row: catalogue.CatalogueRow) -> ItemSpec:
    """An ItemSpec from a catalogue row (catalogue.py keeps the data compact)."""
    result_type, result_name = row.result.split(":", 1)
    modes = tuple(row.modes.split())
    if result_type == "record":
        delivery: tuple[str, ...] = ("electronic", "window")
    elif "online" in modes:
        delivery = ("post", "window", "electronic")
    else:
        delivery = ("post", "window")
    return ItemSpec(
        row.code,
        row.name,
        row.item_type,
        row.department_kind,
        row.statutory,
        row.promised,
        result_type,
        result_name,
        tuple(
            MaterialSpec(name, licence_type_code=MATERIAL_LICENCE_TYPES.get(name, ""))
            for name in row.materials.split(";")
        ),
        modes=modes,
        channels=tuple(row.channels.split()),
        delivery_methods=delivery,
        licence_type_code=MATERIAL_LICENCE_TYPES.get(result_name, "")
        if result_type == "licence"
        else "",
        # paper originals travel for proxy-only licences and confirmations
        needs_originals="online" not in modes and row.item_type in ("licensing", "confirmation"),
    )


ITEMS: tuple[ItemSpec, ...] = DETAILED_ITEMS + tuple(
    _catalogue_item(r) for r in catalogue.CATALOGUE
)
ITEM_CODES = tuple(i.code for i in ITEMS)
DETAILED_ITEM_CODES = tuple(i.code for i in DETAILED_ITEMS)
ITEMS_BY_CODE = {i.code: i for i in ITEMS}
#: the three high-frequency items the article names (东湖: ≈63% of cases and consultations)
HIGH_FREQUENCY_ITEMS = ("ITEM-HUKOU-MIGRATION", "ITEM-DRIVING-LICENCE", "ITEM-MARRIAGE")

# per-jurisdiction differences of a published implementation: (item, jurisdiction) → fields
IMPLEMENTATION_OVERRIDES: dict[tuple[str, str], dict[str, object]] = {
    # 葛店: the article's licence-and-seals-in-half-an-hour; promises one working day
    ("ITEM-COMPANY", "420703400"): {"promised_limit_days": 1},
    ("ITEM-SOLE-TRADER", "420703400"): {"promised_limit_days": 1},
    # 东湖 runs weekend hours for exit/entry
    ("ITEM-HK-MACAO-PERMIT", "420100Z01"): {"promised_limit_days": 5},
    # 黄石 housing-fund platform (2022-12-13): same-week processing
    ("ITEM-HOUSING-FUND-DEDUCTION", "420205"): {"promised_limit_days": 3},
}


# ---------------------------------------------------------------- agreements


@dataclass(frozen=True)
class AgreementItemSpec:
    item: str
    modes: tuple[str, ...]
    receiving: tuple[str, ...] = ()  # empty: every party may receive
    handling: tuple[str, ...] = ()  # empty: every party may handle


@dataclass(frozen=True)
class AgreementSpec:
    code: str
    title: str
    parties: tuple[str, ...]
    signed_on: dt.date | None  # None: not one signed document (the 1+8 circle's lists)
    valid_from: dt.date
    valid_to: dt.date | None
    items: tuple[AgreementItemSpec, ...]
    notes: str = ""


# one liaison per jurisdiction (fictional people, fictional numbers on real area codes)
LIAISONS: dict[str, tuple[str, str]] = {
    "420100Z01": ("周敏", "027-8765 0101"),
    "420703400": ("陈晓东", "0711-560 0102"),
    "421102": ("汪海燕", "0713-860 0103"),
    "420205": ("石磊", "0714-630 0104"),
    "420115": ("方志诚", "027-8195 0105"),
    "371329": ("王振华", "0539-720 0106"),
    "330205": ("孙丽娜", "0574-8760 0107"),
    "320205": ("钱建国", "0510-8820 0108"),
    "360403": ("熊文涛", "0792-820 0109"),
    "411526": ("胡志强", "0376-390 0110"),
    "411522": ("刘春梅", "0376-860 0111"),
    "411528": ("赵卫东", "0376-920 0112"),
    "411525": ("吴红霞", "0376-480 0113"),
    "411527": ("郑国庆", "0376-770 0114"),
    "411524": ("冯丽", "0376-795 0115"),
    "411600": ("郭建设", "0394-820 0116"),
    "370300": ("孙志刚", "0533-310 0117"),
}

WEHH = ("420100Z01", "420703400", "421102", "420205")


def _ai(item: str, *modes: str, **directions: tuple[str, ...]) -> AgreementItemSpec:
    return AgreementItemSpec(item, modes, **directions)


def _online_and_proxy(codes: str) -> tuple[AgreementItemSpec, ...]:
    """Items (space-separated codes) offered both online and by proxy, the common case."""
    return tuple(AgreementItemSpec(code, ("online", "proxy")) for code in codes.split())


def _listed(codes: tuple[str, ...], *explicit: AgreementItemSpec) -> tuple[AgreementItemSpec, ...]:
    """An agreement's items from a list of item codes (catalogue.py): every mode the item
    offers except joint handling, which an agreement opens only where it says so
    (`explicit` entries, which also carry one-way directions)."""
    given = {ai.item: ai for ai in explicit}
    unknown = set(given) - set(codes)
    if unknown:
        raise ValueError(f"explicit agreement items not on the list: {sorted(unknown)}")
    return tuple(
        given.get(code)
        or AgreementItemSpec(code, tuple(m for m in ITEMS_BY_CODE[code].modes if m != "joint"))
        for code in codes
    )


AGREEMENTS: tuple[AgreementSpec, ...] = (
    AgreementSpec(
        "WEHH-2023",
        "武鄂黄黄政务服务“跨域通办”区级合作协议",
        WEHH,
        dt.date(2023, 3, 7),
        dt.date(2023, 3, 7),
        None,
        (
            _ai("ITEM-COMPANY", "online", "proxy", "joint"),
            *_online_and_proxy("ITEM-SOLE-TRADER ITEM-COMPANY-CHANGE ITEM-COMPANY-DEREGISTRATION"),
            _ai("ITEM-FOOD-LICENCE", "proxy"),
            _ai("ITEM-HUKOU-MIGRATION", "proxy"),
            _ai("ITEM-DRIVING-LICENCE", "online", "proxy"),
            _ai("ITEM-MARRIAGE", "proxy"),
            _ai("ITEM-HK-MACAO-PERMIT", "proxy"),
            _ai("ITEM-ID-CARD-RENEWAL", "proxy"),
            _ai("ITEM-SOCIAL-SECURITY-CARD", "online", "proxy"),
            _ai("ITEM-PENSION-TRANSFER", "online", "proxy", "joint"),
            _ai("ITEM-MEDICAL-TRANSFER", "online", "proxy", "joint"),
            _ai("ITEM-MEDICAL-REFERRAL", "online", "proxy"),
            # one-way: the 黄石 housing-fund platform handles, every party receives
            _ai("ITEM-HOUSING-FUND-DEDUCTION", "proxy", handling=("420205",)),
            _ai("ITEM-PROPERTY-TRANSFER", "proxy", "joint"),
            *_online_and_proxy(
                "ITEM-DOCTOR-REGISTRATION ITEM-TAX-CERTIFICATE ITEM-INSURANCE-RECORD"
            ),
        ),
        "2023年3月7日在汉签约,由武汉市政务服务和大数据管理局、鄂州市行政审批局、黄冈市政务服务和"
        "大数据管理局、黄石市政务服务和大数据管理局指导。文中“开铁区”按黄石经济技术开发区·铁山区"
        "(420205)建模(演示假设)。住房公积金异地委托划扣为单向:四地收件,仅开铁区办理。",
    ),
    AgreementSpec(
        "GD-DH-2021",
        "葛店经开区与东湖高新区政务服务“跨域通办”合作协议",
        ("420703400", "420100Z01"),
        dt.date(2021, 6, 1),
        dt.date(2021, 6, 1),
        None,
        (
            _ai("ITEM-COMPANY", "proxy", "joint"),
            _ai("ITEM-SOLE-TRADER", "online", "proxy"),
            _ai("ITEM-SOCIAL-SECURITY-CARD", "online", "proxy"),
            _ai("ITEM-PENSION-TRANSFER", "online", "proxy", "joint"),
            *_online_and_proxy(
                "ITEM-UNEMPLOYMENT-BENEFIT ITEM-EMPLOYMENT-CARD ITEM-MEDICAL-TRANSFER "
                "ITEM-MEDICAL-REFERRAL ITEM-DOCTOR-REGISTRATION ITEM-BIRTH-REGISTRATION"
            ),
            _ai("ITEM-BIRTH-CERTIFICATE", "proxy"),
        ),
        "2021年6月签订(报道未给出具体日期,演示取6月1日)。首批事项涉及人社、医保、卫健等领域,"
        "统一了“跨域通办”办理标准。2021年6月26日,家住洪山区的卫女士在东湖政务服务中心“跨域联办”"
        "窗口提交申请,半小时后取得葛店经开区营业执照和3枚企业公章(全省首例跨市市场主体事项)。",
    ),
    AgreementSpec(
        "GD-XY-2022",
        "葛店经开区与信阳市六县政务服务“跨省通办”合作协议",
        ("420703400", *XINYANG_COUNTIES),
        dt.date(2022, 7, 1),
        dt.date(2022, 7, 1),
        dt.date(2027, 6, 30),
        _listed(
            catalogue.XINYANG_ITEMS,
            # one-way: the six counties receive company registrations that 葛店 handles
            _ai("ITEM-COMPANY", "proxy", receiving=XINYANG_COUNTIES, handling=("420703400",)),
            _ai("ITEM-SOLE-TRADER", "online", "proxy"),
            _ai("ITEM-COMPANY-CHANGE", "online", "proxy"),
            _ai("ITEM-FOOD-LICENCE", "proxy"),
            *_online_and_proxy(
                "ITEM-EMPLOYMENT-CARD ITEM-UNEMPLOYMENT-BENEFIT ITEM-SOCIAL-SECURITY-CARD "
                "ITEM-INSURANCE-RECORD"
            ),
            _ai("ITEM-PENSION-TRANSFER", "online", "proxy", "joint"),
            _ai("ITEM-MEDICAL-TRANSFER", "online", "proxy", "joint"),
            _ai("ITEM-MEDICAL-REFERRAL", "online", "proxy"),
        ),
        "2022年7月起葛店经开区陆续与信阳市潢川、光山、息县、固始、淮滨等6个县级政务服务中心签订,"
        "组建“跨省通办”战略合作联盟;演示合并为一份多方协议,签署日取7月1日。63项事项"
        "(市场主体登记注册、涉企经营许可、教育、就业、社保、医疗、养老),清单按国家“跨省通办”"
        "事项拟定(演示假设)。文章只点名五县,第六县取商城县(演示假设)。企业设立登记为单向:六县收件,葛店办理。",
    ),
    AgreementSpec(
        "HZ-LS-2022",
        "黄州区与临沭县政务服务“跨省通办”合作协议",
        ("421102", "371329"),
        dt.date(2022, 4, 1),
        dt.date(2022, 4, 1),
        dt.date(2027, 3, 31),
        _online_and_proxy(
            "ITEM-COMPANY ITEM-SOLE-TRADER ITEM-SOCIAL-SECURITY-CARD ITEM-PENSION-TRANSFER "
            "ITEM-MEDICAL-TRANSFER ITEM-MEDICAL-REFERRAL ITEM-TAX-CERTIFICATE"
        ),
        "2022年黄州区率先与临沭县签订“跨省通办”协议(月份未见报道,演示取4月1日)。",
    ),
    AgreementSpec(
        "HZ-JB-2022",
        "黄州区与宁波市江北区政务服务“跨省通办”合作协议",
        ("421102", "330205"),
        dt.date(2022, 9, 1),
        dt.date(2022, 9, 1),
        dt.date(2027, 8, 31),
        _online_and_proxy(
            "ITEM-COMPANY ITEM-SOCIAL-SECURITY-CARD ITEM-PENSION-TRANSFER "
            "ITEM-MEDICAL-TRANSFER ITEM-INSURANCE-RECORD"
        ),
        "临沭之后签订(日期未见报道,演示取2022年9月1日)。",
    ),
    AgreementSpec(
        "HZ-XS-2022",
        "黄州区与无锡市锡山区政务服务“跨省通办”合作协议",
        ("421102", "320205"),
        dt.date(2022, 11, 1),
        dt.date(2022, 11, 1),
        dt.date(2027, 10, 31),
        _online_and_proxy(
            "ITEM-COMPANY ITEM-SOLE-TRADER ITEM-PENSION-TRANSFER ITEM-MEDICAL-TRANSFER "
            "ITEM-MEDICAL-REFERRAL"
        ),
        "临沭之后签订(日期未见报道,演示取2022年11月1日)。",
    ),
    AgreementSpec(
        "HZ-XY-2023",
        "黄州区与九江市浔阳区政务服务“跨江合作”通办协议",
        ("421102", "360403"),
        dt.date(2023, 1, 10),
        dt.date(2023, 1, 10),
        dt.date(2027, 12, 31),
        _listed(
            catalogue.XUNYANG_ITEMS,
            *_online_and_proxy("ITEM-COMPANY ITEM-SOLE-TRADER ITEM-COMPANY-CHANGE"),
            _ai("ITEM-FOOD-LICENCE", "proxy"),
            *_online_and_proxy(
                "ITEM-SOCIAL-SECURITY-CARD ITEM-INSURANCE-RECORD ITEM-PENSION-TRANSFER "
                "ITEM-MEDICAL-TRANSFER ITEM-MEDICAL-REFERRAL ITEM-BIRTH-REGISTRATION "
                "ITEM-TRANSPORT-QUALIFICATION ITEM-TAX-CERTIFICATE"
            ),
        ),
        "2023年伊始签订(演示取1月10日)。浔阳区第一批54个服务事项在两地“就近办理”,"
        "涵盖黄州区通办清单的人社、卫健、市监、残联、民政、公安、医保、税务、交通9个部门"
        "(具体事项为演示假设)。",
    ),
    AgreementSpec(
        "WH-1P8-2022",
        "武汉城市圈(“1+8”)政务服务“一圈通办”“跨市通办”事项清单",
        WEHH,
        None,
        dt.date(2022, 1, 1),
        None,
        _listed(
            catalogue.CIRCLE_ITEMS,
            _ai("ITEM-PENSION-TRANSFER", "online", "proxy", "joint"),
            _ai("ITEM-MEDICAL-TRANSFER", "online", "proxy", "joint"),
        ),
        "武汉城市圈(武汉+黄石、鄂州、孝感、黄冈、咸宁、仙桃、天门、潜江)“一圈通办”:"
        "8个地级市、48个政务服务中心、106项事项“跨市通办”(报道)。武汉市于2021年6月、11月和"
        "2022年8月分三批印发“跨市通办”事项(武汉共410项);演示按2022年1月1日起生效建模,"
        "成员只列本演示中属于城市圈的四个管辖地(东湖、葛店、黄州、开铁),其余44个中心未建模;"
        "江夏区虽属武汉,在演示中保留为不参加任何协议的管辖地。具体事项为演示假设。",
    ),
    AgreementSpec(
        "KT-ZK-2022",
        "开铁区与周口市政务服务“跨省通办”合作协议",
        ("420205", "411600"),
        dt.date(2022, 6, 1),
        dt.date(2022, 6, 1),
        dt.date(2027, 5, 31),
        _listed(catalogue.KAITIE_ITEMS),
        "开铁区与宜昌市伍家岗区、当阳市、河南省周口市、山东省淄博市、荆州经开区等地签署通办协议,"
        "围绕市场监管、医疗、住房、社保、民政、公安、卫健7个民生领域梳理出跨省通办事项59项"
        "(报道)。演示只建模两份跨省协议(周口、淄博),签署日期未见报道(演示取2022年6月1日)。",
    ),
    AgreementSpec(
        "KT-ZB-2022",
        "开铁区与淄博市政务服务“跨省通办”合作协议",
        ("420205", "370300"),
        dt.date(2022, 8, 1),
        dt.date(2022, 8, 1),
        dt.date(2027, 7, 31),
        _listed(catalogue.KAITIE_ITEMS),
        "同开铁区与周口市协议的59项跨省通办事项;签署日期未见报道(演示取2022年8月1日)。",
    ),
)


def _implemented_items() -> dict[str, tuple[str, ...]]:
    """Which items each jurisdiction publishes: the detailed items everywhere, and every
    item of every agreement it is party to, so that any party may handle what its
    agreements list and any receiving window can apply the handling place's checklist."""
    # every item not from the compact catalogue (the detailed ones, and any a later demo
    # module adds to ITEMS) is published everywhere, as in the first demo
    everywhere = set(ITEM_CODES) - {row.code for row in catalogue.CATALOGUE}
    wanted: dict[str, set[str]] = {j.code: set(everywhere) for j in JURISDICTIONS}
    for agreement in AGREEMENTS:
        for party in agreement.parties:
            wanted[party].update(ai.item for ai in agreement.items)
    order = {code: index for index, code in enumerate(ITEM_CODES)}
    return {j: tuple(sorted(codes, key=order.__getitem__)) for j, codes in wanted.items()}


IMPLEMENTED_ITEMS: dict[str, tuple[str, ...]] = _implemented_items()


# ---------------------------------------------------------------- applicants (fictional)


@dataclass(frozen=True)
class PersonSpec:
    username: str
    name: str
    region: str  # of the ID number
    birth: dt.date
    sequence: int  # odd: male, even: female
    phone: str
    email: str
    address: str


@dataclass(frozen=True)
class EnterpriseSpec:
    username: str
    name: str
    uscc_region: str
    organisation_code: str  # 9 characters of the USCC alphabet
    agent: PersonSpec
    phone: str = ""
    address: str = ""
    email: str = field(default="")


# birth years respect python-stdnum's check that the region code existed in that year
PERSONS: tuple[PersonSpec, ...] = (
    PersonSpec(
        "applicant-1",
        "李明",
        "421102",
        dt.date(1998, 3, 6),
        31,
        "13800000001",
        "liming@example.com",
        "湖北省黄冈市黄州区东门路示范小区1栋101室",
    ),
    PersonSpec(
        "applicant-2",
        "王芳",
        "420111",
        dt.date(1999, 8, 1),
        42,
        "13800000002",
        "wangfang@example.com",
        "湖北省武汉市洪山区示范街道2号",
    ),
    PersonSpec(
        "applicant-3",
        "张伟",
        "420205",
        dt.date(1996, 11, 12),
        15,
        "13800000003",
        "zhangwei@example.com",
        "湖北省黄石市铁山区示范路3号",
    ),
    PersonSpec(
        "applicant-4",
        "刘洋",
        "371329",
        dt.date(2000, 2, 18),
        27,
        "13800000004",
        "liuyang@example.com",
        "湖北省黄冈市黄州区示范花园4栋402室",
    ),
    PersonSpec(
        "applicant-5",
        "陈静",
        "411526",
        dt.date(2001, 9, 9),
        58,
        "13800000005",
        "chenjing@example.com",
        "湖北省鄂州市华容区葛店示范社区5号",
    ),
)

ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    # the article's 李先生 of 黄冈, who set up this company in 东湖 from the 黄州 window
    EnterpriseSpec(
        "enterprise-1",
        "武汉市云尚李商贸有限公司",
        "420100",
        "MA4KD2Y8X",
        PersonSpec(
            "enterprise-1",
            "李云峰",
            "421102",
            dt.date(1997, 5, 20),
            17,
            "13800000011",
            "liyunfeng@example.com",
            "湖北省黄冈市黄州区示范路11号",
        ),
        phone="13800000011",
        address="湖北省武汉市东湖新技术开发区示范产业园11号",
        email="yunshangli@example.com",
    ),
    # the article's 卫女士 of 洪山, licence and seals from 葛店 in half an hour
    EnterpriseSpec(
        "enterprise-2",
        "鄂州市启明光电科技有限公司",
        "420703",
        "MA49R6KX3",
        PersonSpec(
            "enterprise-2",
            "卫敏",
            "420111",
            dt.date(1996, 6, 26),
            22,
            "13800000012",
            "weimin@example.com",
            "湖北省武汉市洪山区示范路12号",
        ),
        phone="13800000012",
        address="湖北省鄂州市葛店经济技术开发区示范大道12号",
        email="qiming@example.com",
    ),
    EnterpriseSpec(
        "enterprise-3",
        "潢川县豫楚农业发展有限公司",
        "411526",
        "MA9GQ3T7W",
        PersonSpec(
            "enterprise-3",
            "陈刚",
            "411526",
            dt.date(1999, 4, 3),
            13,
            "13800000013",
            "chengang@example.com",
            "河南省信阳市潢川县示范路13号",
        ),
        phone="13800000013",
        address="河南省信阳市潢川县示范工业园13号",
        email="yuchu@example.com",
    ),
)
