"""Demo data: the demo users of API.md and ~40 cases in every state, made through the services.

Every case is registered and moved with ``cases.services``, so its history, hash chain, SLA
timers and outbox rows are exactly what real use would produce. That also means every case is
registered *now*: backdating would need rewriting hashed events or faking the clock, and a demo
whose timeline lies is worse than one that starts today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from . import answer_demo, forwarding, public_demo, services
from .enums import (
    Channel,
    ContactMethod,
    DissatisfiedReason,
    Kind,
    Priority,
    Rating,
    ReplyChannel,
    ReplyResult,
    Role,
    State,
)
from .models import Case, Category, Department, User
from .seed import load_district

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    department: str
    last_name: str
    first_name: str
    superuser: bool = False


DEMO_USERS = (
    DemoUser("agent", Role.AGENT, "XFJ", "李", "娜"),
    DemoUser("dispatcher", Role.DISPATCHER, "XFJ", "王", "建国"),
    DemoUser("clerk_cgj", Role.CLERK, "CGJ", "张", "伟"),
    DemoUser("head_cgj", Role.HEAD, "CGJ", "刘", "洋"),
    DemoUser("clerk_hbj", Role.CLERK, "HBJ", "陈", "静"),
    DemoUser("clerk_cgje", Role.CLERK, "CGJ-E", "周", "涛"),
    DemoUser("clerk_jde", Role.CLERK, "JD-E", "吴", "芳"),
    DemoUser("clerk_jde01", Role.CLERK, "JD-E-01", "郑", "丽华"),
    DemoUser("supervisor", Role.SUPERVISOR, "GOV", "赵", "敏"),
    DemoUser("leader", Role.LEADER, "GOV", "钱", "志远"),
    DemoUser("admin", Role.ADMIN, "GOV", "孙", "强", superuser=True),
    # The restricted queue (纪检/督查) for reports about staff: cases.answer_demo makes its department.
    DemoUser("clerk_jjz", Role.CLERK, "JJZ", "冯", "立"),
)

# Departments that have a demo clerk; cases for other departments stop at "assigned" (nobody
# there to sign for them), which is also what a department inbox looks like before sign-in.
CLERK_OF = {"CGJ": "clerk_cgj", "HBJ": "clerk_hbj"}


class DemoDataRefused(Exception):
    pass


@dataclass(frozen=True)
class DemoCase:
    """One case and how far it goes. ``to`` is a path name understood by ``_walk``."""

    to: str
    channel: str
    kind: str
    category: str
    title: str
    content: str
    location: str = ""
    reply: str = ""  # the department's reply, or the agent's direct answer
    rating: str = ""
    comment: str = ""
    extra: dict = field(default_factory=dict)  # reason / note / merge_into (a title) / wrong_department
    urgent: bool = False
    private: bool = False


H, W, M, L, S, E, OPEN311 = (
    Channel.HOTLINE,
    Channel.WEB,
    Channel.MAILBOX,
    Channel.LETTER,
    Channel.SMS,
    Channel.EMAIL,
    Channel.OPEN311,
)
K = Kind

DEMO_CASES = (
    DemoCase(
        "closed",
        H,
        K.COMPLAINT,
        "CITY-VEND",
        "学府路夜市占道经营，行人无法通行",
        "每晚六点以后学府路两侧摆满烧烤摊，人行道完全被占，油烟很大，推婴儿车只能走机动车道。",
        "东湖街道学府路",
        reply="经核查，我局已联合东湖街道对学府路夜间摊点开展整治，劝离占道摊贩12处，"
        "并在学府路北侧划定临时疏导点，今后每晚安排执法队员值守。",
        rating=Rating.SATISFIED,
        comment="处理很快，谢谢。",
    ),
    DemoCase(
        "in_progress",
        W,
        K.COMPLAINT,
        "CITY-VEND",
        "菜市场门口流动摊贩占用盲道",
        "南苑菜市场门口每天早上有十几个流动摊贩，把盲道全部占了，视障人士无法通行。",
        "南苑街道菜市场东门",
    ),
    DemoCase(
        "replied",
        M,
        K.REPORT,
        "CITY-BUILD",
        "小区楼顶加建阳光房",
        "幸福里小区3号楼顶层住户近一个月在楼顶搭建阳光房，已经封顶，担心影响楼体安全和防水。",
        "西岭街道幸福里小区3号楼",
        reply="我局执法人员已现场勘查，该阳光房未取得规划许可，属违法建设，"
        "已下达限期拆除决定书，责令当事人于15日内自行拆除。",
    ),
    DemoCase(
        "reopened",
        H,
        K.COMPLAINT,
        "CITY-BUILD",
        "一楼住户私自扩建院墙占用绿地",
        "锦绣花园5栋一楼住户把院墙往外扩了两米多，占用了小区公共绿地，物业劝阻无效。",
        "北岸街道锦绣花园5栋",
        reply="经现场核查，已责令当事人恢复原状。",
        rating=Rating.DISSATISFIED,
        comment="院墙根本没拆，答复与事实不符。",
        extra={"reason": "群众反映违建仍未拆除，答复与实际不符，请重新核查并督促整改。"},
    ),
    DemoCase(
        "pending_decision",
        W,
        K.COMPLAINT,
        "CITY-BUILD",
        "小区内违规搭建彩钢棚",
        "幸福里小区12栋楼下有人搭了彩钢棚堆放杂物，挡住消防通道。",
        "东湖街道幸福里小区12栋",
        reply="经现场核查，已要求当事人清理杂物，彩钢棚将于月底前拆除。",
        rating=Rating.DISSATISFIED,
        comment="杂物清了一半，彩钢棚还在，消防通道仍被挡住。",
    ),
    DemoCase(
        "assigned",
        S,
        K.COMPLAINT,
        "CITY-WASTE",
        "垃圾桶三天没人清运",
        "明珠小区北门垃圾桶已经满了三天，没人来运，天气热气味很大。",
        "东湖街道明珠小区北门",
    ),
    DemoCase(
        "closed",
        H,
        K.HELP,
        "CITY-WASTE",
        "家里旧沙发等大件垃圾不知如何处理",
        "家里要扔一套旧沙发和一张床垫，小区不让放在垃圾桶旁边，请问怎么处理？",
        "南苑街道桂花苑",
        reply="已协调环卫公司于本周六上午上门免费清运大件垃圾，并告知今后可拨打环卫热线预约。",
        rating=Rating.BASICALLY_SATISFIED,
        comment="解决了，就是等的时间有点长。",
    ),
    DemoCase(
        "closed",
        H,
        K.COMPLAINT,
        "ENV-NOISE",
        "KTV深夜噪声扰民",
        "星光KTV每天营业到凌晨两点，低音炮震得窗户都响，住在楼上根本睡不着。",
        "西岭街道星光路88号",
        reply="经夜间监测，该KTV噪声超标，已责令其加装隔音设施并限定23时后降低音量，复测已达标。",
        rating=Rating.SATISFIED,
        comment="现在安静多了。",
    ),
    DemoCase(
        "on_hold",
        W,
        K.COMPLAINT,
        "ENV-NOISE",
        "地铁工地夜间打桩施工",
        "地铁6号线长江路站工地连续一周晚上十一点以后还在打桩，是否办理了夜间施工许可？",
        "长江路与幸福路交口",
        extra={"reason": "请群众补充具体施工时段及现场录像，以便核查夜间施工许可。"},
    ),
    DemoCase(
        "merged",
        H,
        K.COMPLAINT,
        "ENV-NOISE",
        "长江路地铁工地半夜施工",
        "长江路站工地半夜还在施工，噪声很大，影响周边居民休息。",
        "长江路站",
        extra={"merge_into": "地铁工地夜间打桩施工"},
    ),
    DemoCase(
        "sent_back",
        OPEN311,
        K.REPORT,
        "ENV-AIR",
        "餐馆油烟直排居民楼",
        "楼下新开的川菜馆没有安装油烟净化器，油烟直接排到居民楼里，家里窗户都不敢开。",
        "北岸街道滨河路16号",
        reply="已通知该餐馆整改。",
        extra={"note": "答复未说明现场核查情况和整改时限，请补充后重新答复。"},
    ),
    DemoCase(
        "answered",
        E,
        K.COMPLAINT,
        "ENV-AIR",
        "城郊露天焚烧垃圾",
        "每天傍晚城郊结合部有人焚烧垃圾和秸秆，浓烟飘进小区，呼吸都难受。",
        "南苑街道城郊村",
        reply="经核查，焚烧点位于南苑街道城郊村，已对焚烧人员进行教育并清理现场，街道已安排网格员每日巡查。",
    ),
    DemoCase(
        "assigned",
        OPEN311,
        K.COMPLAINT,
        "CITY-ROAD",
        "人行道地砖松动积水",
        "人民路人民医院门口人行道地砖大面积松动，下雨一踩就溅一身泥水，老人容易摔倒。",
        "人民路人民医院门口",
    ),
    DemoCase(
        "registered",
        H,
        K.HELP,
        "CITY-ROAD",
        "小区门口路灯不亮",
        "和平路与建设路交口的三盏路灯已经坏了一个星期，晚上一片漆黑很不安全。",
        "和平路与建设路交口",
    ),
    DemoCase(
        "returned",
        H,
        K.COMPLAINT,
        "CITY-PROP",
        "物业擅自上调停车费",
        "绿城小区物业没有开业主大会就把地面停车费从每月150元涨到300元，要求说明依据。",
        "绿城小区",
        extra={"wrong_department": "CGJ", "reason": "物业收费属住房和城乡建设局监管事项，非城管执法职责，请改派。"},
    ),
    DemoCase(
        "resolved_closed",
        W,
        K.CONSULTATION,
        "CITY-PROP",
        "如何召集业主大会",
        "我们小区想成立业主委员会，请问第一次业主大会应该怎么召集？需要什么材料？",
        "",
        reply="首次业主大会由街道办事处指导组织筹备组召集。请向小区所在街道办事处提出书面申请，"
        "附业主名单和建筑面积资料，筹备组成立后60日内召开首次业主大会。",
        rating=Rating.SATISFIED,
    ),
    DemoCase(
        "assigned",
        H,
        K.HELP,
        "CITY-WATER",
        "小区水管爆裂整栋楼停水",
        "春晓小区7号楼地下主水管爆裂，整栋楼停水，地下室已经进水，请尽快派人抢修。",
        "春晓小区7号楼",
        urgent=True,
    ),
    DemoCase(
        "registered",
        W,
        K.COMPLAINT,
        "CITY-WATER",
        "下雨后路口积水严重",
        "每次下雨建设路和学府路交口都积水没过脚踝，排水口可能堵了。",
        "建设路与学府路交口",
    ),
    DemoCase(
        "answered_directly",
        H,
        K.CONSULTATION,
        "GOV-PROC",
        "政务服务中心周末是否办公",
        "请问区政务服务中心周六可以办理营业执照吗？",
        "",
        reply="区政务服务中心周六上午9:00—12:00提供延时服务，可办理营业执照登记等高频事项，请携带身份证原件。",
    ),
    DemoCase(
        "resolved_closed",
        M,
        K.PRAISE,
        "GOV-STAFF",
        "表扬社区工作人员热心服务",
        "东湖社区的小周帮我母亲办理高龄补贴，跑了好几趟，还上门帮忙拍照填表，特此表扬。",
        "东湖社区",
        reply="感谢您的肯定，我们已将表扬转达东湖社区并予以通报表扬。",
        rating=Rating.SATISFIED,
    ),
    DemoCase(
        "assigned",
        L,
        K.COMPLAINT,
        "GOV-STAFF",
        "办事窗口工作人员态度生硬",
        "本人于上周到区政务服务中心不动产窗口办事，工作人员态度生硬，不解释就让我回去补材料。",
        "区政务服务中心",
    ),
    DemoCase(
        "registered",
        M,
        K.SUGGESTION,
        "INV-POLICY",
        "建议延续小微企业房租减免政策",
        "今年小微企业经营压力大，建议区里延续国有房屋租金减免政策，并简化申请手续。",
        "",
    ),
    DemoCase(
        "resolved_closed",
        E,
        K.CONSULTATION,
        "INV-POLICY",
        "高新技术企业认定奖励如何申请",
        "我公司今年通过高新技术企业认定，请问区里的奖励政策如何申请？",
        "",
        reply="请于每年4月登录区投资促进局网站下载申报表，连同高企证书复印件报送，奖励资金于审核后3个月内拨付。",
        rating=Rating.BASICALLY_SATISFIED,
        comment="希望能网上申报。",
    ),
    DemoCase(
        "rejected",
        W,
        K.COMPLAINT,
        "INV-BIZREG",
        "公司股东之间股权纠纷",
        "我和合伙人的公司股权比例有争议，他私自变更了工商登记，请政府帮我要回股份。",
        "",
        extra={"reason": "legal_channel", "note": "股权纠纷请通过民事诉讼或仲裁解决；登记问题可申请行政复议。"},
    ),
    DemoCase(
        "answered_directly",
        H,
        K.CONSULTATION,
        "INV-BIZREG",
        "个体户营业执照能否网上办理",
        "开一家小奶茶店，个体工商户营业执照能不能在手机上办？",
        "",
        reply="可以。通过“市场监管”政务服务小程序即可全程网上办理个体工商户登记，审核通过后可邮寄执照。",
    ),
    DemoCase(
        "rejected",
        H,
        K.REPORT,
        "SEC-ORDER",
        "楼下有人正在打架",
        "楼下烧烤店门口现在有几个人正在打架，有人受伤了。",
        "北岸街道滨河路烧烤街",
        extra={"reason": "emergency", "note": "已告知来电人立即拨打110，并协助转接。"},
    ),
    DemoCase(
        "resolved_closed",
        S,
        K.CONSULTATION,
        "SEC-HUKOU",
        "居住证办理需要哪些材料",
        "外地来这边工作半年了，办居住证需要什么材料？",
        "",
        reply="请携带身份证、劳动合同或营业执照、租房合同到居住地派出所办理，连续居住满半年即可申领。",
        rating=Rating.BASICALLY_SATISFIED,
    ),
    DemoCase(
        "assigned",
        H,
        K.COMPLAINT,
        "LAB-WAGE",
        "装修公司拖欠农民工工资",
        "我们8个工人在鑫盛装饰公司干了三个月，老板拖欠工资共计9万多元，现在电话也不接。",
        "鑫盛装饰公司",
        urgent=True,
    ),
    DemoCase(
        "registered",
        L,
        K.HELP,
        "LAB-WAGE",
        "请求帮助追讨工资",
        "本人在某餐饮店打工，离职后店主以各种理由拒付最后两个月工资，恳请政府帮助。",
        "",
    ),
    DemoCase(
        "answered_directly",
        W,
        K.CONSULTATION,
        "LAB-INSUR",
        "灵活就业人员如何参加社保",
        "我是自由职业者，想自己交养老保险和医疗保险，去哪里办？",
        "",
        reply="灵活就业人员可携带身份证到区社保经办大厅或通过“掌上社保”办理参保登记，缴费基数可在规定范围内自选。",
    ),
    DemoCase(
        "assigned",
        H,
        K.REPORT,
        "MKT-FOOD",
        "餐馆使用过期食材",
        "我在一家快餐店后厨打工，发现老板用过期的冷冻肉做菜，担心吃坏人。",
        "西岭街道美食街",
    ),
    DemoCase(
        "rejected",
        W,
        K.COMPLAINT,
        "MKT-CONS",
        "外省网店卖假货不退款",
        "在外省一家网店买的运动鞋是假货，商家拒绝退款，平台也不管。",
        "",
        extra={"reason": "out_of_remit", "note": "请向商家所在地市场监管部门或全国12315平台投诉。"},
    ),
    DemoCase(
        "registered",
        OPEN311,
        K.COMPLAINT,
        "MKT-FOOD",
        "超市熟食区卫生差",
        "华联超市熟食区苍蝇很多，售货员不戴手套直接抓熟食。",
        "华联超市人民路店",
    ),
    DemoCase(
        "assigned",
        M,
        K.SUGGESTION,
        "TRN-BUS",
        "建议开通地铁站接驳公交",
        "南苑新区居民多，到最近的地铁站有3公里，建议开通社区到地铁站的接驳公交。",
        "南苑新区",
    ),
    DemoCase(
        "registered",
        H,
        K.COMPLAINT,
        "TRN-TAXI",
        "出租车拒载短途乘客",
        "晚上在高铁站打车，出租车司机嫌路近拒载，排队的乘客都被拒了。",
        "高铁站出租车上客区",
    ),
    DemoCase(
        "resolved_closed",
        H,
        K.CONSULTATION,
        "EDU-ENROL",
        "小学入学登记时间",
        "孩子今年满六岁，请问小学入学登记什么时候开始？需要房产证吗？",
        "",
        reply="今年小学入学网上登记为5月10日至5月20日，需提供户口簿和房产证明（或居住证及租赁备案）。",
        rating=Rating.SATISFIED,
    ),
    DemoCase(
        "assigned",
        L,
        K.REPORT,
        "EDU-FEES",
        "学校违规收取资料费",
        "某小学要求每个学生交500元“教辅资料费”，没有收据，请查处。",
        "",
        private=True,
    ),
    DemoCase(
        "registered",
        W,
        K.COMPLAINT,
        "HLT-SERV",
        "医院挂号排队时间过长",
        "区人民医院早上挂号窗口只开两个，排队一个多小时，自助机经常故障。",
        "区人民医院门诊大厅",
    ),
    DemoCase(
        "resolved_closed",
        H,
        K.HELP,
        "CIV-ELDER",
        "独居老人申请助餐服务",
        "我父亲82岁独居，做饭不方便，请问能否申请社区助餐？",
        "东湖街道",
        reply="可向所在社区提出申请，经评估后可享受社区长者食堂助餐服务，80岁以上每餐补贴5元。",
        rating=Rating.DISSATISFIED,
        comment="离家太远，老人走不过去，希望能送餐上门。",
        extra={"decision": "答复符合助餐服务政策；送餐上门已转社区志愿者服务队，可向社区另行预约。"},
    ),
    DemoCase(
        "assigned",
        W,
        K.SUGGESTION,
        "CIV-COMM",
        "建议社区增设儿童游乐设施",
        "东湖社区只有一个小广场，没有儿童游乐设施，建议利用闲置空地建设口袋公园。",
        "东湖社区",
    ),
    DemoCase(
        "closed_by_agent",
        M,
        K.COMPLAINT,
        "ENV-NOISE",
        "广场舞音响声音过大",
        "滨河公园广场舞每晚八点到十点音响开得很大，附近居民无法休息。",
        "滨河公园",
        reply="已会同街道约谈广场舞团队负责人，约定音量控制在60分贝以下、21时前结束，并设置分贝监测屏。",
        rating=Rating.BASICALLY_SATISFIED,
        comment="电话回访：音量小了一些。",
    ),
    DemoCase(
        "replied",
        L,
        K.COMPLAINT,
        "CITY-WASTE",
        "垃圾中转站臭味扰民",
        "西岭垃圾中转站夏天臭味很重，离居民楼不到50米，请求加强除臭或迁址。",
        "西岭垃圾中转站",
        reply="已督促运营单位每日冲洗两次并加装除臭喷淋设备，迁址问题已纳入明年规划研究。",
    ),
    # A matter for 119: handed over (应急移交) with the number and time, not rejected (issue 12).
    DemoCase(
        "transferred",
        H,
        K.HELP,
        "CIV-COMM",
        "楼道冒烟有焦糊味",
        "来电人称所住楼栋三楼楼道冒烟，有焦糊味，担心起火。",
        "东湖社区6栋",
        extra={"number": "119", "note": "已转119，并告知来电人先撤离到楼外。"},
        urgent=True,
    ),
    # Issue 12: multi-tier dispatch (二次派单), a dispute, an urgent case on top of the queue.
    DemoCase(
        "forwarded",
        H,
        K.HELP,
        "CIV-COMM",
        "楼道堆放杂物堵塞消防通道",
        "东湖小区7栋楼道里堆满了纸箱和旧家具，消防通道被堵住，物业说管不了。",
        "东湖街道东湖小区7栋",
        extra={"department": "JD-E", "to": "JD-E-01", "instructions": "请东湖社区组织清理，并回复街道。"},
    ),
    DemoCase(
        "sub_replied",
        W,
        K.COMPLAINT,
        "CIV-COMM",
        "小区健身器材损坏无人维修",
        "东湖小区中心花园的健身器材坏了两个多月，扶手断裂，老人和孩子使用有危险。",
        "东湖街道东湖小区中心花园",
        reply="社区已联系器材厂家上门，断裂扶手已拆除更换，并在器材旁张贴安全使用提示。",
        extra={"department": "JD-E", "to": "JD-E-01", "instructions": "请社区核实并联系厂家维修。"},
    ),
    DemoCase(
        "disputed",
        W,
        K.COMPLAINT,
        "CITY-WASTE",
        "小区物业乱收垃圾清运费",
        "物业公司今年起每户每月额外收取20元垃圾清运费，没有公示依据。",
        "南苑街道丽景小区",
        extra={
            "wrong_department": "CGJ",
            "reason": "物业收费属住房和城乡建设局监管事项，非城管执法职责。",
            "note": "诉求涉及生活垃圾清运收费，城管局负责生活垃圾管理，退单理由不成立。",
        },
    ),
    DemoCase(
        "registered",
        H,
        K.HELP,
        "CITY-WATER",
        "路面井盖缺失，有行人跌落风险",
        "幸福路小学门口的雨水井盖不见了，放学时孩子很多，非常危险，请尽快处理。",
        "幸福路小学门口",
        urgent=True,
    ),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "建华",
    "丽娟",
    "国庆",
    "晓东",
    "雪梅",
    "春生",
    "文博",
    "子涵",
    "宇轩",
    "欣怡",
)


def _citizen(rng: random.Random, spec: DemoCase) -> services.Citizen:
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    email = f"citizen{rng.randrange(1000, 9999)}@example.com" if spec.channel == Channel.EMAIL else ""
    return services.Citizen(name=name, phone=phone, email=email)


def _register(spec: DemoCase, users: dict[str, User], rng: random.Random) -> Case:
    # Who records it: the agent on the phone or for e-mail, the petition office for paper letters,
    # the citizen themselves on the web, mailbox and SMS, an Open311 app for Open311.
    actor = {Channel.HOTLINE: users["agent"], Channel.EMAIL: users["agent"], Channel.LETTER: users["dispatcher"]}.get(
        spec.channel
    )
    citizen = _citizen(rng, spec)
    return services.case_register(
        actor=actor,
        channel=spec.channel,
        kind=spec.kind,
        category=spec.category,
        title=spec.title,
        content=spec.content,
        location=spec.location,
        citizen=citizen,
        publish_consent=not spec.private,
        priority=Priority.URGENT if spec.urgent else Priority.NORMAL,
        reply_channel=ReplyChannel.EMAIL if citizen.email else ReplyChannel.SMS,
        as_label="open311" if spec.channel == Channel.OPEN311 else "citizen",
    )


def _dissatisfied_reason(spec: DemoCase) -> str:
    # A dissatisfied citizen says why (then the case waits for a supervisor's decision).
    return DissatisfiedReason.NOT_SOLVED if spec.rating == Rating.DISSATISFIED else ""


def _walk(case: Case, spec: DemoCase, users: dict[str, User], made: list[Case]) -> Case:
    """Move a freshly registered case along ``spec.to`` with the services, as the staff would."""
    to, x = spec.to, spec.extra
    dispatcher, agent = users["dispatcher"], users["agent"]
    if to == State.REGISTERED:
        return case
    if to == State.REJECTED:
        return services.case_reject(case=case, actor=dispatcher, reason=x["reason"], note=x["note"])
    if to == State.TRANSFERRED:
        return services.case_transfer_emergency(case=case, actor=agent, number=x["number"], note=x["note"])
    if to == State.MERGED:
        target = next(c for c in made if c.title == x["merge_into"])
        return services.case_merge(case=case, actor=dispatcher, duplicate_of=target.tracking_no)
    if to.startswith(("resolved", "answered_directly")):
        case = services.case_resolve_directly(case=case, actor=agent, answer=spec.reply)
        if to == "answered_directly":
            return case
        case = services.case_feedback(
            case=case, actor=None, rating=spec.rating, comment=spec.comment, reason=_dissatisfied_reason(spec)
        )
        return _uphold(case, spec, users)
    if to == "disputed":
        case = services.case_assign(
            case=case, actor=dispatcher, department=x["wrong_department"], instructions="请核实处理。"
        )
        case = services.case_return(case=case, actor=users[CLERK_OF[x["wrong_department"]]], reason=x["reason"])
        return forwarding.case_dispute(case=case, actor=dispatcher, note=x["note"])
    if to in {"forwarded", "sub_replied"}:
        case = services.case_assign(
            case=case, actor=dispatcher, department=x["department"], instructions="请核实处理。"
        )
        case = services.case_sign_for(case=case, actor=users["clerk_jde"])
        case = forwarding.case_forward(
            case=case, actor=users["clerk_jde"], department=x["to"], instructions=x["instructions"]
        )
        if to == "forwarded":
            return case
        case = services.case_sign_for(case=case, actor=users["clerk_jde01"])
        # The sub-unit replies like any department now: result and this round's contact (answer).
        contact = {"at": timezone.now(), "method": ContactMethod.PHONE}
        return services.case_reply(
            case=case,
            actor=users["clerk_jde01"],
            text=spec.reply,
            result=x.get("result", ReplyResult.SOLVED),
            contact=contact,
        )
    if to == "returned":
        case = services.case_assign(
            case=case, actor=dispatcher, department=x["wrong_department"], instructions="请核实处理。"
        )
        return services.case_return(case=case, actor=users[CLERK_OF[x["wrong_department"]]], reason=x["reason"])

    department = Category.objects.get(code=spec.category).default_department.code
    case = services.case_assign(
        case=case, actor=dispatcher, department=department, instructions="请依法核实处理，按时答复群众。"
    )
    if to == State.ASSIGNED:
        return case
    clerk = users[CLERK_OF[department]]
    case = services.case_sign_for(case=case, actor=clerk)
    if to == State.IN_PROGRESS:
        return case
    if to == "on_hold":
        return services.case_hold(case=case, actor=clerk, reason=x["reason"])
    # 12345 practice: the clerk phoned the citizen before replying.
    contact = {"at": timezone.now(), "method": ContactMethod.PHONE}
    result = x.get("result", ReplyResult.SOLVED)
    case = services.case_reply(case=case, actor=clerk, text=spec.reply, result=result, contact=contact)
    if to == "sent_back":
        return services.case_send_back(case=case, actor=dispatcher, note=x["note"])
    if to == State.REPLIED:
        return case
    case = services.case_approve(case=case, actor=dispatcher)
    if to == State.ANSWERED:
        return case
    # The citizen rates on the tracking page, or the agent records it on the call-back.
    rater = agent if to == "closed_by_agent" else None
    case = services.case_feedback(
        case=case, actor=rater, rating=spec.rating, comment=spec.comment, reason=_dissatisfied_reason(spec)
    )
    if to == "reopened":
        case = services.case_reopen(case=case, actor=users["supervisor"], reason=x["reason"])
    return _uphold(case, spec, users)


def _uphold(case: Case, spec: DemoCase, users: dict[str, User]) -> Case:
    """A dissatisfied case the demo shows closed: the supervisor upheld the answer, explaining why."""
    if case.state != State.PENDING_DECISION or "decision" not in spec.extra:
        return case
    return services.case_close(case=case, actor=users["supervisor"], reason=spec.extra["decision"])


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()


def create_demo_users() -> dict[str, User]:
    # One hash for all: the password is public anyway, and each PBKDF2 hash costs about a second.
    password_hash = make_password(DEMO_PASSWORD)
    users = {}
    for spec in DEMO_USERS:
        user = User(
            username=spec.username,
            role=spec.role,
            department=Department.objects.get(code=spec.department),
            last_name=spec.last_name,
            first_name=spec.first_name,
            email=f"{spec.username}@example.com",
            is_staff=spec.superuser,
            is_superuser=spec.superuser,
        )
        user.password = password_hash
        user.save()
        users[spec.username] = user
    return users


def create_demo_data(*, seed: int = 20261121) -> dict[str, int]:
    """Load the district, then create the demo users and cases, all or nothing.
    Returns counts; ``{"skipped": 1}`` when the demo users are already there (idempotent)."""
    if not settings.DEMO_DATA_ALLOWED:
        raise DemoDataRefused("Demo data is refused: settings.DEMO_DATA_ALLOWED is False (production settings).")
    load_district()
    answer_demo.ensure_discipline_department()
    if demo_users_exist():
        return {"skipped": 1}
    rng = random.Random(seed)  # the same citizens every time: easier to talk about in a demo
    with transaction.atomic():
        users = create_demo_users()
        made: list[Case] = []
        for spec in DEMO_CASES:
            made.append(_walk(_register(spec, users, rng), spec, users, made))
        # Other apps' demo data (the Open311 API key, telephony calls) belongs here, after the
        # cases, each as one call into that app's own function.
        public = public_demo.create_public_demo_data(users)  # Open311 demo key; closed cases published
        answer = answer_demo.create_answer_demo_data(users)  # a report about staff in its queue, reply templates
    return {"users": len(users), "cases": len(made) + answer["restricted_reports"], "published": public["published"]}
