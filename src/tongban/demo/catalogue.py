"""The demo's service catalogue beyond the detailed items of `data.py`, and the item lists
of the article's larger agreements, as plain data (docs/adr/0097-the-articles-world.md).

Item names follow the national catalogues they come from: the State Council's list of
high-frequency 跨省通办 items (国办发〔2020〕35号 and its later batches), the 行政许可事项
清单 and the provinces' 跨域通办 lists. Time limits, channels and materials are plausible,
not authoritative. Codes are mnemonic like the rest of the demo (the GB/T 39554.1 code
structure was not found, domain notes §5).

A row is `(code, name, department kind, item type, statutory days, promised days,
"result type:result name", modes, channels, materials)`; modes and channels are
space-separated codes, materials `;`-separated names. Terminal-capable items list the
`terminal` channel."""

from __future__ import annotations

from typing import NamedTuple


class CatalogueRow(NamedTuple):
    code: str
    name: str
    department_kind: str
    item_type: str
    statutory: int
    promised: int
    result: str
    modes: str
    channels: str
    materials: str


WEB = "window web app"
ALL = "window terminal web app"
WINDOW = "window"

# fmt: off
CATALOGUE: tuple[CatalogueRow, ...] = (
    # ---- 公安 (户政、交管)
    CatalogueRow("ITEM-ID-CARD-LOSS", "居民身份证补领", "public_security", "other", 20, 15, "licence:居民身份证", "proxy", "window terminal", "居民户口簿;身份证数字相片"),  # noqa: E501
    CatalogueRow("ITEM-ID-CARD-FIRST", "居民身份证首次申领", "public_security", "other", 20, 15, "licence:居民身份证", "proxy", "window terminal", "居民户口簿;身份证数字相片"),  # noqa: E501
    CatalogueRow("ITEM-HUKOU-CERTIFICATE", "户籍类证明开具", "public_security", "public_service", 5, 1, "record:户籍证明", "online proxy", ALL, "居民身份证;居民户口簿"),  # noqa: E501
    CatalogueRow("ITEM-HUKOU-CORRECTION", "户口登记项目变更更正", "public_security", "confirmation", 20, 10, "record:户口登记项目变更结果", "proxy", WINDOW, "户口登记项目变更更正申请表;居民户口簿;居民身份证;变更更正依据材料"),  # noqa: E501
    CatalogueRow("ITEM-RESIDENCE-PERMIT", "居住证申领", "public_security", "other", 15, 10, "licence:居住证", "online proxy", WEB, "居民身份证;居住登记凭证;合法稳定住所证明"),  # noqa: E501
    CatalogueRow("ITEM-NO-CRIMINAL-RECORD", "无犯罪记录证明开具", "public_security", "public_service", 3, 3, "record:无犯罪记录证明", "online proxy", ALL, "无犯罪记录证明申请表;居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-VEHICLE-TRANSFER", "机动车转移登记", "public_security", "confirmation", 5, 1, "record:机动车登记证书", "proxy", WINDOW, "机动车登记证书;居民身份证;机动车来历证明;机动车查验记录表"),  # noqa: E501
    CatalogueRow("ITEM-VEHICLE-PLATE", "机动车号牌补领、换领", "public_security", "other", 15, 5, "record:机动车号牌", "online proxy", WEB, "补换领机动车号牌申请表;居民身份证;机动车行驶证"),  # noqa: E501
    CatalogueRow("ITEM-VEHICLE-INSPECTION", "机动车检验合格标志核发", "public_security", "other", 1, 1, "record:机动车检验合格标志", "online proxy", ALL, "机动车行驶证;机动车安全技术检验报告;交通事故责任强制保险凭证"),  # noqa: E501
    CatalogueRow("ITEM-TRAFFIC-FINE", "道路交通安全违法行为处理", "public_security", "other", 5, 1, "record:处罚决定书", "online proxy", ALL, "机动车驾驶证;居民身份证"),  # noqa: E501
    # ---- 出入境
    CatalogueRow("ITEM-TAIWAN-PERMIT", "大陆居民往来台湾通行证签发", "exit_entry", "licensing", 7, 7, "licence:往来台湾通行证", "proxy", "window terminal", "中国公民出入境证件申请表;居民身份证;出入境证件数字相片回执"),  # noqa: E501
    CatalogueRow("ITEM-HK-MACAO-ENDORSEMENT", "往来港澳通行证签注", "exit_entry", "licensing", 7, 5, "record:往来港澳签注", "online proxy", ALL, "往来港澳通行证;居民身份证"),  # noqa: E501
    # ---- 民政
    CatalogueRow("ITEM-DIVORCE", "内地居民离婚登记", "civil_affairs", "confirmation", 30, 30, "licence:离婚证", "proxy", WINDOW, "双方居民身份证;双方居民户口簿;结婚证;离婚协议书"),  # noqa: E501
    CatalogueRow("ITEM-MARRIAGE-REISSUE", "补领婚姻登记证", "civil_affairs", "confirmation", 20, 1, "licence:结婚证", "proxy", WINDOW, "居民身份证;居民户口簿;婚姻登记档案证明"),  # noqa: E501
    CatalogueRow("ITEM-MARRIAGE-RECORD", "婚姻登记档案查询", "civil_affairs", "public_service", 5, 1, "record:婚姻登记记录证明", "online proxy", ALL, "居民身份证;婚姻登记档案查询申请表"),  # noqa: E501
    CatalogueRow("ITEM-MINIMUM-LIVING", "最低生活保障审核确认", "civil_affairs", "payment", 30, 20, "record:最低生活保障审核结果", "online proxy", WEB, "最低生活保障申请书;居民身份证;居民户口簿;家庭收入和财产状况声明"),  # noqa: E501
    CatalogueRow("ITEM-ELDERLY-ALLOWANCE", "高龄津贴申领", "civil_affairs", "payment", 20, 10, "record:高龄津贴审核结果", "online proxy", WEB, "高龄津贴申请表;居民身份证;银行账户信息"),  # noqa: E501
    CatalogueRow("ITEM-DISABILITY-SUBSIDY", "困难残疾人生活补贴和重度残疾人护理补贴申领", "civil_affairs", "payment", 20, 15, "record:残疾人两项补贴审核结果", "online proxy", WEB, "两项补贴申请审批表;居民身份证;残疾人证"),  # noqa: E501
    CatalogueRow("ITEM-FUNERAL-SUBSIDY", "基本殡葬服务补贴申领", "civil_affairs", "payment", 20, 10, "record:殡葬补贴审核结果", "proxy", WINDOW, "殡葬补贴申请表;死亡证明;经办人居民身份证"),  # noqa: E501
    # ---- 市场监管
    CatalogueRow("ITEM-COMPANY-FILING", "企业备案(章程、董事、监事、经理等)", "market_regulation", "other", 15, 3, "record:备案通知书", "online proxy", ALL, "备案申请书;营业执照;章程或章程修正案"),  # noqa: E501
    CatalogueRow("ITEM-BRANCH", "分公司设立登记", "market_regulation", "licensing", 20, 3, "licence:营业执照", "online proxy", ALL, "分公司登记申请书;隶属企业营业执照;负责人任职文件;经营场所使用证明"),  # noqa: E501
    CatalogueRow("ITEM-SOLE-TRADER-CHANGE", "个体工商户变更登记", "market_regulation", "licensing", 15, 1, "licence:营业执照", "online proxy", ALL, "个体工商户变更登记申请书;营业执照;经营者身份证明"),  # noqa: E501
    CatalogueRow("ITEM-SOLE-TRADER-CLOSE", "个体工商户注销登记", "market_regulation", "licensing", 15, 1, "approval_document:准予注销登记通知书", "online proxy", ALL, "个体工商户注销登记申请书;营业执照"),  # noqa: E501
    CatalogueRow("ITEM-COOPERATIVE", "农民专业合作社设立登记", "market_regulation", "licensing", 20, 3, "licence:营业执照", "online proxy", WEB, "农民专业合作社登记申请书;全体设立人签名的设立大会纪要;章程;成员名册及身份证明"),  # noqa: E501
    CatalogueRow("ITEM-LICENCE-REISSUE", "营业执照遗失补领、换发", "market_regulation", "other", 15, 1, "licence:营业执照", "online proxy", ALL, "营业执照补领换发申请书;经办人身份证明"),  # noqa: E501
    CatalogueRow("ITEM-EQUITY-PLEDGE", "股权出质设立登记", "market_regulation", "confirmation", 10, 3, "record:股权出质设立登记通知书", "online proxy", WEB, "股权出质登记申请书;质押合同;出质人和质权人主体资格证明"),  # noqa: E501
    CatalogueRow("ITEM-FOOD-LICENCE-CHANGE", "食品经营许可变更", "market_regulation", "licensing", 20, 5, "licence:食品经营许可证", "online proxy", WEB, "食品经营许可变更申请书;食品经营许可证;与变更事项有关的材料"),  # noqa: E501
    CatalogueRow("ITEM-FOOD-PRODUCTION", "食品生产许可", "market_regulation", "licensing", 20, 10, "licence:食品生产许可证", "proxy", WINDOW, "食品生产许可申请书;营业执照;食品生产加工场所及其周围环境平面图;食品安全管理制度"),  # noqa: E501
    CatalogueRow("ITEM-INDUSTRIAL-PRODUCT", "工业产品生产许可证核发", "market_regulation", "licensing", 60, 30, "licence:工业产品生产许可证", "online proxy", WEB, "工业产品生产许可证申请书;营业执照;产品检验报告"),  # noqa: E501
    CatalogueRow("ITEM-SPECIAL-EQUIPMENT", "特种设备使用登记", "market_regulation", "confirmation", 15, 5, "record:特种设备使用登记证", "online proxy", WEB, "特种设备使用登记表;产品合格证;监督检验证明"),  # noqa: E501
    CatalogueRow("ITEM-EQUIPMENT-OPERATOR", "特种设备作业人员资格认定", "market_regulation", "licensing", 20, 10, "licence:特种设备作业人员证", "online proxy", WEB, "特种设备作业人员资格申请表;居民身份证;考试合格证明"),  # noqa: E501
    CatalogueRow("ITEM-DRUG-RETAIL", "药品零售企业许可", "market_regulation", "licensing", 30, 15, "licence:药品经营许可证", "proxy", WINDOW, "药品经营许可证申请表;营业执照;执业药师注册证;经营场所使用证明"),  # noqa: E501
    CatalogueRow("ITEM-DEVICE-FILING", "第二类医疗器械经营备案", "market_regulation", "other", 5, 1, "record:第二类医疗器械经营备案凭证", "online proxy", WEB, "第二类医疗器械经营备案表;营业执照;经营场所和库房地址证明"),  # noqa: E501
    CatalogueRow("ITEM-ANNUAL-REPORT", "企业年度报告公示", "market_regulation", "other", 1, 1, "record:年度报告公示回执", "online proxy", ALL, "企业年度报告"),  # noqa: E501
    # ---- 人社
    CatalogueRow("ITEM-SSC-REISSUE", "社会保障卡挂失与补换", "human_resources", "public_service", 10, 5, "licence:社会保障卡", "online proxy", ALL, "居民身份证;近期免冠证件照"),  # noqa: E501
    CatalogueRow("ITEM-UNEMPLOYMENT-TRANSFER", "失业保险关系转移接续", "human_resources", "public_service", 20, 10, "record:转移接续办结告知", "online proxy", WEB, "失业保险关系转移申请表;居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-EMPLOYMENT-REGISTRATION", "就业登记", "human_resources", "public_service", 5, 1, "record:就业登记结果", "online proxy", ALL, "居民身份证;劳动合同"),  # noqa: E501
    CatalogueRow("ITEM-UNEMPLOYMENT-REGISTRATION", "失业登记", "human_resources", "public_service", 5, 1, "record:失业登记结果", "online proxy", ALL, "居民身份证;解除或终止劳动关系证明"),  # noqa: E501
    CatalogueRow("ITEM-RETIREMENT", "职工正常退休(职)申请", "human_resources", "payment", 20, 15, "record:退休审批表", "online proxy", WEB, "居民身份证;职工档案;退休申请表"),  # noqa: E501
    CatalogueRow("ITEM-RESIDENT-PENSION", "城乡居民基本养老保险参保登记", "human_resources", "public_service", 5, 1, "record:参保登记结果", "online proxy", ALL, "居民身份证;居民户口簿"),  # noqa: E501
    CatalogueRow("ITEM-PENSION-QUALIFICATION", "领取养老金人员待遇资格认证", "human_resources", "other", 5, 1, "record:资格认证结果", "online proxy", ALL, "居民身份证;社会保障卡"),  # noqa: E501
    CatalogueRow("ITEM-WORK-INJURY", "工伤认定申请", "human_resources", "confirmation", 60, 30, "approval_document:认定工伤决定书", "proxy", WINDOW, "工伤认定申请表;劳动关系证明;医疗诊断证明"),  # noqa: E501
    CatalogueRow("ITEM-WORK-INJURY-MEDICAL", "工伤职工异地居住就医申请", "human_resources", "public_service", 10, 5, "record:异地居住就医备案结果", "online proxy", WEB, "异地居住就医申请表;居民身份证;工伤认定决定书"),  # noqa: E501
    CatalogueRow("ITEM-VOCATIONAL-CERT", "职业资格证书核验", "human_resources", "public_service", 5, 1, "record:职业资格证书核验结果", "online proxy", ALL, "居民身份证;职业资格证书"),  # noqa: E501
    CatalogueRow("ITEM-TRAINING-SUBSIDY", "职业培训补贴申领", "human_resources", "payment", 20, 15, "record:补贴核定告知", "online proxy", WEB, "职业培训补贴申请表;居民身份证;职业资格证书"),  # noqa: E501
    CatalogueRow("ITEM-STARTUP-LOAN", "创业担保贷款申请", "human_resources", "payment", 20, 15, "record:贷款审核结果", "proxy", WINDOW, "创业担保贷款申请书;营业执照;居民身份证;就业创业证"),  # noqa: E501
    CatalogueRow("ITEM-EMPLOYER-INSURANCE", "单位参保登记", "human_resources", "public_service", 5, 1, "record:单位参保登记结果", "online proxy", WEB, "营业执照;社会保险登记表"),  # noqa: E501
    CatalogueRow("ITEM-PERSONNEL-FILE", "流动人员人事档案接收", "human_resources", "public_service", 10, 5, "record:档案接收回执", "online proxy", WEB, "居民身份证;档案转递通知单"),  # noqa: E501
    # ---- 医保
    CatalogueRow("ITEM-MEDICAL-ENROL", "城乡居民基本医疗保险参保登记", "medical_insurance", "public_service", 5, 1, "record:参保登记结果", "online proxy", ALL, "居民身份证;居民户口簿"),  # noqa: E501
    CatalogueRow("ITEM-MEDICAL-RECORD", "基本医疗保险参保信息查询和参保凭证打印", "medical_insurance", "public_service", 1, 1, "record:参保凭证", "online proxy", ALL, "居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-MEDICAL-REIMBURSE", "异地就医费用零星报销", "medical_insurance", "payment", 20, 15, "record:报销结算单", "online proxy", WEB, "零星报销申请表;医疗费用票据;费用明细清单;出院小结"),  # noqa: E501
    CatalogueRow("ITEM-MATERNITY-BENEFIT", "生育津贴支付", "medical_insurance", "payment", 20, 10, "record:生育津贴核定告知", "online proxy", WEB, "居民身份证;出生医学证明;生育津贴申领表"),  # noqa: E501
    CatalogueRow("ITEM-CHRONIC-DISEASE", "门诊慢特病待遇认定", "medical_insurance", "confirmation", 20, 10, "record:慢特病待遇认定结果", "online proxy", WEB, "门诊慢特病申请表;病历资料;检查报告"),  # noqa: E501
    CatalogueRow("ITEM-MEDICAL-INFO-CHANGE", "医保参保人员信息变更", "medical_insurance", "public_service", 5, 1, "record:信息变更结果", "online proxy", ALL, "居民身份证;信息变更申请表"),  # noqa: E501
    # ---- 税务
    CatalogueRow("ITEM-NEW-TAXPAYER", "新办纳税人涉税事项办理", "taxation", "public_service", 5, 1, "record:涉税事项办理结果", "online proxy", ALL, "营业执照;法定代表人居民身份证;经营场所使用证明"),  # noqa: E501
    CatalogueRow("ITEM-INVOICE", "发票领用", "taxation", "public_service", 5, 1, "record:发票领用结果", "online proxy", ALL, "经办人居民身份证;营业执照"),  # noqa: E501
    CatalogueRow("ITEM-TAX-RESIDENCE", "开具中国税收居民身份证明", "taxation", "public_service", 10, 10, "record:中国税收居民身份证明", "online proxy", WEB, "中国税收居民身份证明申请表;居民身份证或营业执照"),  # noqa: E501
    CatalogueRow("ITEM-TAX-CLEARANCE", "清税证明开具(注销税务登记)", "taxation", "public_service", 20, 5, "record:清税证明", "online proxy", WEB, "清税申报表;营业执照"),  # noqa: E501
    # ---- 住房公积金
    CatalogueRow("ITEM-FUND-EMPLOYER", "住房公积金单位登记开户", "housing_fund", "public_service", 5, 1, "record:单位登记开户结果", "online proxy", WEB, "营业执照;住房公积金单位登记表;经办人居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-FUND-TRANSFER", "住房公积金异地转移接续", "housing_fund", "public_service", 15, 10, "record:转移接续办结告知", "online proxy", WEB, "居民身份证;住房公积金异地转移接续申请表"),  # noqa: E501
    CatalogueRow("ITEM-FUND-RETIREMENT", "正常退休提取住房公积金", "housing_fund", "payment", 5, 3, "record:提取到账告知", "online proxy", ALL, "居民身份证;退休证明;银行卡"),  # noqa: E501
    CatalogueRow("ITEM-FUND-QUERY", "个人住房公积金缴存贷款信息查询", "housing_fund", "public_service", 1, 1, "record:缴存贷款信息", "online proxy", ALL, "居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-FUND-LOAN", "住房公积金个人住房贷款申请", "housing_fund", "public_service", 20, 15, "record:贷款审批结果", "proxy", WINDOW, "住房公积金贷款申请表;居民身份证;购房合同;婚姻状况证明;收入证明"),  # noqa: E501
    CatalogueRow("ITEM-FUND-REPAY", "提前偿还住房公积金贷款", "housing_fund", "public_service", 5, 1, "record:还款结果告知", "online proxy", ALL, "居民身份证;借款合同"),  # noqa: E501
    CatalogueRow("ITEM-FUND-RENT", "租房提取住房公积金", "housing_fund", "payment", 5, 3, "record:提取到账告知", "online proxy", ALL, "居民身份证;租房合同或无房证明;银行卡"),  # noqa: E501
    # ---- 不动产登记
    CatalogueRow("ITEM-PROPERTY-MORTGAGE", "不动产抵押登记", "real_estate", "confirmation", 30, 5, "record:不动产登记证明", "proxy", WINDOW, "不动产登记申请书;申请人身份证明;不动产权证书;抵押合同;主债权合同"),  # noqa: E501
    CatalogueRow("ITEM-MORTGAGE-CANCEL", "不动产抵押权注销登记", "real_estate", "confirmation", 30, 1, "record:注销登记结果", "online proxy", WEB, "不动产登记申请书;申请人身份证明;不动产登记证明;抵押权消灭的材料"),  # noqa: E501
    CatalogueRow("ITEM-PROPERTY-CHANGE", "不动产变更登记", "real_estate", "confirmation", 30, 5, "licence:不动产权证书", "proxy", WINDOW, "不动产登记申请书;申请人身份证明;不动产权证书;变更的证明材料"),  # noqa: E501
    CatalogueRow("ITEM-PROPERTY-REISSUE", "不动产权证书补发、换发", "real_estate", "confirmation", 30, 10, "licence:不动产权证书", "proxy", WINDOW, "不动产登记申请书;申请人身份证明;遗失声明或损坏的证书"),  # noqa: E501
    CatalogueRow("ITEM-PROPERTY-ADVANCE", "不动产预告登记", "real_estate", "confirmation", 30, 5, "record:不动产登记证明", "proxy", WINDOW, "不动产登记申请书;申请人身份证明;已备案的商品房预售合同"),  # noqa: E501
    # ---- 卫健
    CatalogueRow("ITEM-NURSE-REGISTRATION", "护士执业注册", "health", "licensing", 20, 10, "licence:护士执业证书", "online proxy", WEB, "护士执业注册申请审核表;护士执业资格考试成绩合格证明;居民身份证;健康体检证明"),  # noqa: E501
    CatalogueRow("ITEM-DOCTOR-CHANGE", "医师变更执业注册", "health", "licensing", 20, 10, "licence:医师执业证书", "online proxy", WEB, "医师变更执业注册申请审核表;医师执业证书;拟执业机构聘用证明"),  # noqa: E501
    CatalogueRow("ITEM-CLINIC-FILING", "诊所备案", "health", "other", 5, 1, "record:诊所备案凭证", "proxy", WINDOW, "诊所备案信息表;诊所主要负责人执业证书;场所使用证明"),  # noqa: E501
    CatalogueRow("ITEM-PUBLIC-PLACE", "公共场所卫生许可", "health", "licensing", 20, 5, "licence:公共场所卫生许可证", "online proxy", WEB, "公共场所卫生许可申请表;营业执照;卫生检测报告"),  # noqa: E501
    CatalogueRow("ITEM-FAMILY-PLANNING-AID", "计划生育家庭特别扶助金申领", "health", "payment", 30, 20, "record:扶助金审核结果", "proxy", WINDOW, "特别扶助申请表;居民身份证;独生子女父母光荣证"),  # noqa: E501
    CatalogueRow("ITEM-VACCINATION-CARD", "预防接种证查验及补办", "health", "public_service", 5, 1, "record:预防接种证", "proxy", WINDOW, "儿童出生医学证明;监护人居民身份证"),  # noqa: E501
    # ---- 交通运输
    CatalogueRow("ITEM-QUALIFICATION-REISSUE", "道路运输从业人员从业资格证补发", "transport", "other", 10, 5, "licence:道路运输从业资格证", "online proxy", WEB, "居民身份证;补发申请表;近期一寸证件照"),  # noqa: E501
    CatalogueRow("ITEM-FREIGHT-PERMIT", "道路普通货物运输经营许可", "transport", "licensing", 20, 5, "licence:道路运输经营许可证", "online proxy", WEB, "道路货物运输经营申请表;营业执照;负责人居民身份证;安全生产管理制度"),  # noqa: E501
    CatalogueRow("ITEM-VEHICLE-OPERATION", "道路运输证配发", "transport", "licensing", 20, 5, "licence:道路运输证", "online proxy", WEB, "道路运输证申请表;机动车行驶证;道路运输经营许可证"),  # noqa: E501
    CatalogueRow("ITEM-RIDE-HAILING-DRIVER", "网络预约出租汽车驾驶员证核发", "transport", "licensing", 20, 10, "licence:网络预约出租汽车驾驶员证", "proxy", WINDOW, "申请表;机动车驾驶证;无犯罪记录证明;考试合格证明"),  # noqa: E501
    CatalogueRow("ITEM-TRANSPORT-REVIEW", "道路运输车辆年度审验", "transport", "other", 10, 3, "record:年度审验结果", "online proxy", ALL, "道路运输证;机动车综合性能检测报告"),  # noqa: E501
    # ---- 教育
    CatalogueRow("ITEM-TEACHER-CERTIFICATE", "教师资格认定", "education", "licensing", 60, 30, "licence:教师资格证书", "online proxy", WEB, "教师资格认定申请表;居民身份证;学历证书;普通话水平测试等级证书;体检合格证明"),  # noqa: E501
    CatalogueRow("ITEM-TEACHER-CERT-REISSUE", "教师资格证书补发、换发", "education", "other", 20, 10, "licence:教师资格证书", "online proxy", WEB, "补换发申请表;居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-SCHOOL-TRANSFER", "中小学生转学", "education", "public_service", 10, 5, "record:转学联系单", "online proxy", WEB, "转学申请表;学生居民户口簿;监护人居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-DIPLOMA-CERTIFICATE", "中等职业学校学历证明补办", "education", "public_service", 10, 5, "record:学历证明书", "online proxy", WEB, "学历证明申请表;居民身份证"),  # noqa: E501
    CatalogueRow("ITEM-STUDENT-AID", "家庭经济困难学生资助申请", "education", "payment", 20, 10, "record:资助审核结果", "online proxy", WEB, "资助申请表;家庭经济困难情况认定材料;学生证"),  # noqa: E501
    CatalogueRow("ITEM-PRIVATE-SCHOOL", "民办学校办学许可", "education", "licensing", 90, 30, "licence:民办学校办学许可证", "proxy", WINDOW, "办学许可申请报告;举办者资格证明;校舍使用证明;章程"),  # noqa: E501
    # ---- 残联
    CatalogueRow("ITEM-DISABILITY-CARD", "残疾人证新办", "disabled_persons", "confirmation", 20, 15, "licence:中华人民共和国残疾人证", "proxy", WINDOW, "残疾人证申请表;居民身份证;居民户口簿;残疾评定表"),  # noqa: E501
    CatalogueRow("ITEM-DISABILITY-CARD-MOVE", "残疾人证迁移", "disabled_persons", "other", 20, 10, "licence:中华人民共和国残疾人证", "online proxy", WEB, "残疾人证迁移申请表;残疾人证;迁入地居民户口簿"),  # noqa: E501
    CatalogueRow("ITEM-DISABILITY-CARD-RENEW", "残疾人证换领、补领", "disabled_persons", "other", 20, 10, "licence:中华人民共和国残疾人证", "online proxy", WEB, "残疾人证换领补领申请表;居民身份证;原残疾人证或遗失声明"),  # noqa: E501
    CatalogueRow("ITEM-DISABILITY-REHAB", "残疾儿童康复救助申请", "disabled_persons", "payment", 20, 10, "record:康复救助审核结果", "online proxy", WEB, "康复救助申请表;儿童居民户口簿;医疗机构诊断证明"),  # noqa: E501
)


# ---------------------------------------------------------------- agreement item lists

#: 武汉城市圈(“1+8”)“跨市通办”: 106 items (the article, on 开铁 joining the circle).
#: The circle's wider lists (410 items for 武汉 in 2021–2022) are not modelled.
CIRCLE_ITEMS: tuple[str, ...] = (
    # 公安
    "ITEM-HUKOU-MIGRATION", "ITEM-DRIVING-LICENCE", "ITEM-ID-CARD-RENEWAL",
    "ITEM-ID-CARD-LOSS", "ITEM-ID-CARD-FIRST", "ITEM-HUKOU-CERTIFICATE",
    "ITEM-HUKOU-CORRECTION", "ITEM-RESIDENCE-PERMIT", "ITEM-NO-CRIMINAL-RECORD",
    "ITEM-VEHICLE-TRANSFER", "ITEM-VEHICLE-PLATE", "ITEM-VEHICLE-INSPECTION",
    "ITEM-TRAFFIC-FINE",
    # 出入境
    "ITEM-HK-MACAO-PERMIT", "ITEM-PASSPORT", "ITEM-TAIWAN-PERMIT", "ITEM-HK-MACAO-ENDORSEMENT",
    # 民政
    "ITEM-MARRIAGE", "ITEM-DIVORCE", "ITEM-MARRIAGE-REISSUE", "ITEM-MARRIAGE-RECORD",
    "ITEM-MINIMUM-LIVING", "ITEM-ELDERLY-ALLOWANCE", "ITEM-DISABILITY-SUBSIDY",
    "ITEM-FUNERAL-SUBSIDY",
    # 市场监管
    "ITEM-COMPANY", "ITEM-SOLE-TRADER", "ITEM-COMPANY-CHANGE", "ITEM-COMPANY-DEREGISTRATION",
    "ITEM-COMPANY-FILING", "ITEM-BRANCH", "ITEM-SOLE-TRADER-CHANGE", "ITEM-SOLE-TRADER-CLOSE",
    "ITEM-COOPERATIVE", "ITEM-LICENCE-REISSUE", "ITEM-EQUITY-PLEDGE", "ITEM-FOOD-LICENCE",
    "ITEM-FOOD-LICENCE-CHANGE", "ITEM-SPECIAL-EQUIPMENT", "ITEM-EQUIPMENT-OPERATOR",
    "ITEM-DEVICE-FILING", "ITEM-ANNUAL-REPORT",
    # 人社
    "ITEM-PENSION-TRANSFER", "ITEM-SOCIAL-SECURITY-CARD", "ITEM-SSC-REISSUE",
    "ITEM-INSURANCE-RECORD", "ITEM-UNEMPLOYMENT-BENEFIT", "ITEM-UNEMPLOYMENT-TRANSFER",
    "ITEM-EMPLOYMENT-CARD", "ITEM-EMPLOYMENT-REGISTRATION", "ITEM-UNEMPLOYMENT-REGISTRATION",
    "ITEM-RETIREMENT", "ITEM-RESIDENT-PENSION", "ITEM-PENSION-QUALIFICATION",
    "ITEM-WORK-INJURY-MEDICAL", "ITEM-VOCATIONAL-CERT", "ITEM-TRAINING-SUBSIDY",
    "ITEM-EMPLOYER-INSURANCE", "ITEM-PERSONNEL-FILE",
    # 医保
    "ITEM-MEDICAL-TRANSFER", "ITEM-MEDICAL-REFERRAL", "ITEM-MEDICAL-ENROL",
    "ITEM-MEDICAL-RECORD", "ITEM-MEDICAL-REIMBURSE", "ITEM-MATERNITY-BENEFIT",
    "ITEM-CHRONIC-DISEASE", "ITEM-MEDICAL-INFO-CHANGE",
    # 税务
    "ITEM-TAX-CERTIFICATE", "ITEM-NEW-TAXPAYER", "ITEM-INVOICE", "ITEM-TAX-RESIDENCE",
    "ITEM-TAX-CLEARANCE",
    # 住房公积金
    "ITEM-HOUSING-FUND-CERTIFICATE", "ITEM-FUND-EMPLOYER", "ITEM-FUND-TRANSFER",
    "ITEM-FUND-RETIREMENT", "ITEM-FUND-QUERY", "ITEM-FUND-LOAN", "ITEM-FUND-REPAY",
    "ITEM-FUND-RENT",
    # 不动产
    "ITEM-PROPERTY-TRANSFER", "ITEM-PROPERTY-RECORDS", "ITEM-PROPERTY-MORTGAGE",
    "ITEM-MORTGAGE-CANCEL", "ITEM-PROPERTY-CHANGE", "ITEM-PROPERTY-REISSUE",
    # 卫健
    "ITEM-DOCTOR-REGISTRATION", "ITEM-NURSE-REGISTRATION", "ITEM-DOCTOR-CHANGE",
    "ITEM-BIRTH-CERTIFICATE", "ITEM-BIRTH-REGISTRATION", "ITEM-PUBLIC-PLACE",
    "ITEM-VACCINATION-CARD",
    # 交通运输
    "ITEM-TRANSPORT-QUALIFICATION", "ITEM-QUALIFICATION-REISSUE", "ITEM-FREIGHT-PERMIT",
    "ITEM-VEHICLE-OPERATION", "ITEM-TRANSPORT-REVIEW",
    # 教育
    "ITEM-TEACHER-CERTIFICATE", "ITEM-TEACHER-CERT-REISSUE", "ITEM-SCHOOL-TRANSFER",
    "ITEM-DIPLOMA-CERTIFICATE",
    # 残联
    "ITEM-DISABILITY-CARD", "ITEM-DISABILITY-CARD-MOVE", "ITEM-DISABILITY-CARD-RENEW",
    "ITEM-DISABILITY-REHAB",
)

#: 葛店 with the six 信阳 counties: 63 items — 市场主体登记注册、涉企经营许可、教育、就业、
#: 社保、医疗、养老 (the article).
XINYANG_ITEMS: tuple[str, ...] = (
    # 市场主体登记注册
    "ITEM-COMPANY", "ITEM-SOLE-TRADER", "ITEM-COMPANY-CHANGE", "ITEM-COMPANY-DEREGISTRATION",
    "ITEM-COMPANY-FILING", "ITEM-BRANCH", "ITEM-SOLE-TRADER-CHANGE", "ITEM-SOLE-TRADER-CLOSE",
    "ITEM-COOPERATIVE", "ITEM-LICENCE-REISSUE", "ITEM-EQUITY-PLEDGE", "ITEM-ANNUAL-REPORT",
    # 涉企经营许可
    "ITEM-FOOD-LICENCE", "ITEM-FOOD-LICENCE-CHANGE", "ITEM-FOOD-PRODUCTION",
    "ITEM-INDUSTRIAL-PRODUCT", "ITEM-SPECIAL-EQUIPMENT", "ITEM-EQUIPMENT-OPERATOR",
    "ITEM-DRUG-RETAIL", "ITEM-DEVICE-FILING", "ITEM-PUBLIC-PLACE", "ITEM-FREIGHT-PERMIT",
    "ITEM-VEHICLE-OPERATION", "ITEM-NEW-TAXPAYER", "ITEM-INVOICE", "ITEM-TAX-CLEARANCE",
    # 教育
    "ITEM-TEACHER-CERTIFICATE", "ITEM-TEACHER-CERT-REISSUE", "ITEM-SCHOOL-TRANSFER",
    "ITEM-DIPLOMA-CERTIFICATE", "ITEM-STUDENT-AID", "ITEM-PRIVATE-SCHOOL",
    # 就业
    "ITEM-EMPLOYMENT-CARD", "ITEM-EMPLOYMENT-REGISTRATION", "ITEM-UNEMPLOYMENT-REGISTRATION",
    "ITEM-UNEMPLOYMENT-BENEFIT", "ITEM-UNEMPLOYMENT-TRANSFER", "ITEM-VOCATIONAL-CERT",
    "ITEM-TRAINING-SUBSIDY", "ITEM-STARTUP-LOAN", "ITEM-PERSONNEL-FILE",
    # 社保
    "ITEM-SOCIAL-SECURITY-CARD", "ITEM-SSC-REISSUE", "ITEM-INSURANCE-RECORD",
    "ITEM-EMPLOYER-INSURANCE", "ITEM-WORK-INJURY", "ITEM-WORK-INJURY-MEDICAL",
    # 医疗
    "ITEM-MEDICAL-TRANSFER", "ITEM-MEDICAL-REFERRAL", "ITEM-MEDICAL-ENROL",
    "ITEM-MEDICAL-RECORD", "ITEM-MEDICAL-REIMBURSE", "ITEM-MATERNITY-BENEFIT",
    "ITEM-CHRONIC-DISEASE", "ITEM-MEDICAL-INFO-CHANGE", "ITEM-DOCTOR-REGISTRATION",
    "ITEM-NURSE-REGISTRATION",
    # 养老
    "ITEM-PENSION-TRANSFER", "ITEM-RETIREMENT", "ITEM-RESIDENT-PENSION",
    "ITEM-PENSION-QUALIFICATION", "ITEM-ELDERLY-ALLOWANCE", "ITEM-FUND-RETIREMENT",
)

#: 黄州 with 浔阳: the first batch of 54 items, from the nine departments of 黄州's
#: published list (人社、卫健、市监、残联、民政、公安、医保、税务、交通).
XUNYANG_ITEMS: tuple[str, ...] = (
    # 人社
    "ITEM-PENSION-TRANSFER", "ITEM-SOCIAL-SECURITY-CARD", "ITEM-SSC-REISSUE",
    "ITEM-INSURANCE-RECORD", "ITEM-UNEMPLOYMENT-BENEFIT", "ITEM-UNEMPLOYMENT-TRANSFER",
    "ITEM-EMPLOYMENT-CARD", "ITEM-EMPLOYMENT-REGISTRATION", "ITEM-RESIDENT-PENSION",
    "ITEM-PENSION-QUALIFICATION", "ITEM-VOCATIONAL-CERT",
    # 卫健
    "ITEM-DOCTOR-REGISTRATION", "ITEM-NURSE-REGISTRATION", "ITEM-DOCTOR-CHANGE",
    "ITEM-BIRTH-REGISTRATION", "ITEM-BIRTH-CERTIFICATE", "ITEM-PUBLIC-PLACE",
    # 市监
    "ITEM-COMPANY", "ITEM-SOLE-TRADER", "ITEM-COMPANY-CHANGE", "ITEM-COMPANY-DEREGISTRATION",
    "ITEM-COMPANY-FILING", "ITEM-SOLE-TRADER-CHANGE", "ITEM-SOLE-TRADER-CLOSE",
    "ITEM-FOOD-LICENCE", "ITEM-FOOD-LICENCE-CHANGE", "ITEM-LICENCE-REISSUE",
    # 残联
    "ITEM-DISABILITY-CARD-MOVE", "ITEM-DISABILITY-CARD-RENEW", "ITEM-DISABILITY-REHAB",
    # 民政
    "ITEM-MARRIAGE-RECORD", "ITEM-ELDERLY-ALLOWANCE", "ITEM-DISABILITY-SUBSIDY",
    # 公安
    "ITEM-HUKOU-CERTIFICATE", "ITEM-NO-CRIMINAL-RECORD", "ITEM-RESIDENCE-PERMIT",
    "ITEM-VEHICLE-INSPECTION", "ITEM-TRAFFIC-FINE",
    # 医保
    "ITEM-MEDICAL-TRANSFER", "ITEM-MEDICAL-REFERRAL", "ITEM-MEDICAL-ENROL",
    "ITEM-MEDICAL-RECORD", "ITEM-MEDICAL-REIMBURSE", "ITEM-MATERNITY-BENEFIT",
    "ITEM-MEDICAL-INFO-CHANGE",
    # 税务
    "ITEM-TAX-CERTIFICATE", "ITEM-NEW-TAXPAYER", "ITEM-INVOICE", "ITEM-TAX-CLEARANCE",
    # 交通
    "ITEM-TRANSPORT-QUALIFICATION", "ITEM-QUALIFICATION-REISSUE", "ITEM-FREIGHT-PERMIT",
    "ITEM-VEHICLE-OPERATION", "ITEM-TRANSPORT-REVIEW",
)

#: 开铁's cross-province agreements (周口, 淄博): 59 items in seven areas — 市场监管、医疗、
#: 住房、社保、民政、公安、卫健 (the article).
KAITIE_ITEMS: tuple[str, ...] = (
    # 市场监管
    "ITEM-COMPANY", "ITEM-SOLE-TRADER", "ITEM-COMPANY-CHANGE", "ITEM-COMPANY-DEREGISTRATION",
    "ITEM-COMPANY-FILING", "ITEM-BRANCH", "ITEM-SOLE-TRADER-CHANGE", "ITEM-SOLE-TRADER-CLOSE",
    "ITEM-LICENCE-REISSUE", "ITEM-FOOD-LICENCE", "ITEM-FOOD-LICENCE-CHANGE",
    "ITEM-SPECIAL-EQUIPMENT",
    # 医疗
    "ITEM-MEDICAL-TRANSFER", "ITEM-MEDICAL-REFERRAL", "ITEM-MEDICAL-ENROL",
    "ITEM-MEDICAL-RECORD", "ITEM-MEDICAL-REIMBURSE", "ITEM-MATERNITY-BENEFIT",
    "ITEM-CHRONIC-DISEASE", "ITEM-MEDICAL-INFO-CHANGE",
    # 住房
    "ITEM-HOUSING-FUND-CERTIFICATE", "ITEM-FUND-TRANSFER", "ITEM-FUND-RETIREMENT",
    "ITEM-FUND-QUERY", "ITEM-FUND-REPAY", "ITEM-FUND-RENT", "ITEM-PROPERTY-RECORDS",
    "ITEM-MORTGAGE-CANCEL",
    # 社保
    "ITEM-PENSION-TRANSFER", "ITEM-SOCIAL-SECURITY-CARD", "ITEM-SSC-REISSUE",
    "ITEM-INSURANCE-RECORD", "ITEM-UNEMPLOYMENT-BENEFIT", "ITEM-UNEMPLOYMENT-TRANSFER",
    "ITEM-EMPLOYMENT-CARD", "ITEM-RESIDENT-PENSION", "ITEM-PENSION-QUALIFICATION",
    "ITEM-WORK-INJURY-MEDICAL",
    # 民政
    "ITEM-MARRIAGE-RECORD", "ITEM-MINIMUM-LIVING", "ITEM-ELDERLY-ALLOWANCE",
    "ITEM-DISABILITY-SUBSIDY", "ITEM-FUNERAL-SUBSIDY",
    # 公安
    "ITEM-HUKOU-MIGRATION", "ITEM-DRIVING-LICENCE", "ITEM-ID-CARD-RENEWAL",
    "ITEM-ID-CARD-LOSS", "ITEM-HUKOU-CERTIFICATE", "ITEM-RESIDENCE-PERMIT",
    "ITEM-NO-CRIMINAL-RECORD", "ITEM-VEHICLE-INSPECTION",
    # 卫健
    "ITEM-DOCTOR-REGISTRATION", "ITEM-NURSE-REGISTRATION", "ITEM-DOCTOR-CHANGE",
    "ITEM-BIRTH-CERTIFICATE", "ITEM-BIRTH-REGISTRATION", "ITEM-PUBLIC-PLACE",
    "ITEM-FAMILY-PLANNING-AID", "ITEM-VACCINATION-CARD",
)
# fmt: on
