"""Demo articles (manage.py kb_demo_data, after demo_data): two or more published articles per
category family, one draft, one that expires at the end of this month, one edited into a second
version, and one case on the desk answered from an article — so every knowledge-base screen (the
desk panel, the console pages, the portal's 常见问题) shows something."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.enums import Channel, Kind
from cases.models import User

from . import services
from .enums import ArticleStatus
from .models import Article
from .selectors import month_bounds

# (category, department, title, keywords, body)
ARTICLES = [
    (
        "GOV-PROC",
        "GOV",
        "政务服务中心办公时间和地址",
        "政务服务中心 办事大厅 上班时间",
        "区政务服务中心位于幸福路 100 号，周一至周五 9:00—12:00、13:30—17:30 办公，法定节假日休息；周六上午开放不动产登记和社保窗口。",
    ),
    (
        "GOV-PROC",
        "GOV",
        "哪些事项可以网上办理",
        "网上办 一网通办 预约",
        "社保、医保、公积金、户籍、营业执照等 200 余项事项可在“一网通办”平台办理，需线下核验的事项可在网上预约时段，免排队。",
    ),
    (
        "INV-POLICY",
        "TCJ",
        "小微企业房租补贴怎么申请",
        "房租补贴 小微企业 扶持政策",
        "在本区注册并纳税满一年的小微企业，可在每年 3 月和 9 月通过区投资促进局网站申报房租补贴，需提供租赁合同、发票和纳税证明。",
    ),
    (
        "INV-BIZREG",
        "SJJ",
        "个体工商户营业执照办理材料",
        "营业执照 个体户 注册",
        "办理个体工商户营业执照需经营者身份证、经营场所证明（租赁合同或产权证明）；可在政务服务中心市场监管窗口或网上办理，一般 1 个工作日办结。",
    ),
    (
        "CITY-VEND",
        "CGJ",
        "发现占道经营如何反映",
        "占道经营 摊贩 人行道",
        "可拨打 12345 或网上留言，说明具体地点和时段；城管执法中队将在 3 个工作日内现场处置，并引导摊贩到便民疏导点经营。",
    ),
    (
        "CITY-WASTE",
        "CGJ",
        "大件垃圾和装修垃圾怎么处理",
        "大件垃圾 装修垃圾 清运 预约",
        "大件垃圾请放到小区指定投放点；装修垃圾需袋装并预约清运，可拨打 12345 转区环卫所预约，收费标准在区城管局网站公示。",
    ),
    (
        "CITY-ROAD",
        "ZJJ",
        "路灯不亮、井盖缺失怎么报修",
        "路灯 井盖 道路 报修",
        "请提供具体位置（路名、门牌号或附近标志物）；路灯一般 2 个工作日内修复，井盖缺失属紧急情况，养护单位 2 小时内到场设置警示并更换。",
    ),
    (
        "CITY-PROP",
        "ZJJ",
        "物业服务收费有疑问怎么办",
        "物业费 物业收费 业主",
        "物业收费应按合同约定并在小区公示；对收费标准有疑问可先向业主委员会和物业企业了解，协商不成可向区住建局物业管理科反映。",
    ),
    (
        "ENV-NOISE",
        "HBJ",
        "夜间施工噪声扰民怎么反映",
        "噪声 夜间施工 扰民",
        "22:00 至次日 6:00 禁止产生噪声的建筑施工作业（抢修、抢险和经批准的连续作业除外）；反映时请说明工地位置和时间，生态环境分局将核查夜间施工许可。",
    ),
    (
        "ENV-AIR",
        "HBJ",
        "露天焚烧、油烟污染的处理",
        "油烟 焚烧 大气污染",
        "露天焚烧垃圾和秸秆、餐饮油烟直排可拨打 12345 反映，生态环境分局会同属地街道现场核查，餐饮单位须安装并正常使用油烟净化设施。",
    ),
    (
        "SEC-HUKOU",
        "GAJ",
        "居住证办理需要哪些材料",
        "居住证 暂住证 材料 办理",
        "办理居住证需携带本人身份证、居住地址证明（房屋租赁合同或房产证）和近期一寸照片，到居住地派出所户籍窗口办理，一般 15 个工作日内制证。",
    ),
    (
        "SEC-HUKOU",
        "GAJ",
        "身份证丢失如何补办",
        "身份证 补办 挂失",
        "身份证丢失可到任一派出所户籍窗口补办，带户口簿；急需乘机可在派出所开具临时身份证明。补领工本费 20 元。",
    ),
    (
        "LAB-WAGE",
        "RSJ",
        "被拖欠工资怎么维权",
        "拖欠工资 欠薪 劳动监察",
        "可携带劳动合同、考勤或工资记录等证据到区劳动保障监察大队投诉，或拨打 12345；属于劳动争议的可向区劳动人事争议仲裁院申请仲裁，不收费。",
    ),
    (
        "LAB-INSUR",
        "RSJ",
        "社保卡丢失补办",
        "社保卡 补办 挂失",
        "社保卡丢失请先拨打 12333 或在手机 App 挂失，再携带身份证到社保服务中心或合作银行网点补办，即时制卡。",
    ),
    (
        "MKT-FOOD",
        "SJJ",
        "买到过期食品怎么投诉",
        "过期食品 食品安全 投诉 赔偿",
        "请保留购物小票和商品；可拨打 12315 或 12345 投诉，市场监管局核实后依法处理。经营明知过期的食品，消费者可主张价款十倍或损失三倍的赔偿。",
    ),
    (
        "MKT-CONS",
        "SJJ",
        "预付卡商家关门如何退费",
        "预付卡 健身卡 退费 跑路",
        "请保留合同、付款记录和卡片，向市场监管局登记；涉嫌诈骗的请向公安机关报案。区里对预付卡经营者实行资金存管，可按登记顺序申请退款。",
    ),
    (
        "TRN-BUS",
        "JTJ",
        "公交线路调整建议怎么提",
        "公交 线路 站点 建议",
        "公交线路和站点的调整建议可通过 12345 或区交通运输局网站提交，交通运输局每季度汇总论证，调整方案会提前 10 天在站点和网站公示。",
    ),
    (
        "TRN-TAXI",
        "JTJ",
        "出租车拒载、绕路如何投诉",
        "出租车 网约车 拒载 绕路",
        "请记下车牌号、上下车时间和地点，保留发票或行程截图，拨打 12345 投诉；交通运输执法部门 10 个工作日内核实处理并答复。",
    ),
    (
        "EDU-ENROL",
        "JYJ",
        "小学新生入学报名时间",
        "入学 报名 小学 学区",
        "小学新生网上报名一般在每年 5 月中旬，需适龄儿童户口簿、房产或居住证明；具体日期和学区划分以区教育局当年公告为准。",
    ),
    (
        "EDU-FEES",
        "JYJ",
        "学校收费标准在哪里查",
        "学校收费 收费标准 违规收费",
        "公办学校的收费项目和标准在学校公示栏及区教育局网站公开；发现公示以外的收费可向区教育局举报，查实的全部退还。",
    ),
    (
        "HLT-SERV",
        "WJJ",
        "医保异地就医备案",
        "医保 异地就医 备案",
        "长期异地居住或临时外出就医，可在国家医保服务平台 App 或医保经办窗口办理异地就医备案，备案后在就医地定点医院直接结算。",
    ),
    (
        "HLT-SERV",
        "WJJ",
        "家庭医生签约怎么办理",
        "家庭医生 签约 社区卫生服务中心",
        "携带身份证和医保卡到户籍或居住地的社区卫生服务中心签约家庭医生，签约后可享受预约门诊、慢病随访和长处方等服务，基础服务免费。",
    ),
    (
        "CIV-ELDER",
        "MZJ",
        "老年人助餐服务怎么申请",
        "助餐 老年人 养老服务",
        "60 周岁以上本区户籍老年人可向社区居委会申请助餐服务，凭老年人卡在社区长者食堂用餐享受补贴；行动不便的可申请送餐上门。",
    ),
    (
        "CIV-COMM",
        "JD-E",
        "小区楼道堆物如何处理",
        "楼道 堆物 消防 社区",
        "楼道堆物影响消防通道，可先向物业或社区居委会反映，社区会同物业上门劝导清理；拒不清理的由街道综合执法队依法处理。",
    ),
]

DRAFT = (
    "CITY-WATER",
    "SWJ",
    "停水通知在哪里查（草稿）",
    "停水 供水 通知",
    "计划停水会提前 24 小时在小区公告栏和水务集团公众号发布；突发停水可拨打 12345 询问恢复时间。（待供水公司确认后发布）",
)


def _author(users: dict[str, User], department: str) -> User:
    # The departments with demo clerks write their own articles; the dispatch desk writes the rest.
    return {"CGJ": users.get("clerk_cgj"), "HBJ": users.get("clerk_hbj"), "JD-E": users.get("clerk_jde")}.get(
        department
    ) or users["dispatcher"]


def create_kb_demo_data(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Idempotent: does nothing when demo articles exist; refused where demo data is."""
    if not settings.DEMO_DATA_ALLOWED:
        raise RuntimeError("Demo data is refused: settings.DEMO_DATA_ALLOWED is False (production settings).")
    if Article.objects.exists():
        return {"skipped": 1}
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["agent", "dispatcher", "clerk_cgj", "clerk_hbj", "clerk_jde"])
    }
    if "dispatcher" not in users or "agent" not in users:
        raise RuntimeError("Run manage.py demo_data first: the demo articles are written by the demo users.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    _first, month_end = month_bounds(today)
    made: list[Article] = []
    with transaction.atomic():
        for n, (category, department, title, keywords, body) in enumerate(ARTICLES):
            until = month_end if n == 1 else None  # one article expires at the end of this month
            made.append(
                services.article_create(
                    actor=_author(users, department),
                    data=services.ArticleInput(
                        title=title,
                        body=body,
                        category=category,
                        department=department,
                        keywords=keywords,
                        valid_from=today - dt.timedelta(days=90),
                        valid_until=until,
                        status=ArticleStatus.PUBLISHED,
                    ),
                    now=now - dt.timedelta(days=30),
                )
            )
        category, department, title, keywords, body = DRAFT
        services.article_create(
            actor=users["dispatcher"],
            data=services.ArticleInput(
                title=title,
                body=body,
                category=category,
                department=department,
                keywords=keywords,
                status=ArticleStatus.DRAFT,
            ),
            now=now,
        )
        # One article edited: its history shows two versions.
        hukou = next(a for a in made if a.title == "居住证办理需要哪些材料")
        services.article_update(
            article=hukou,
            actor=users["dispatcher"],
            data=services.ArticleInput(
                title=hukou.title,
                body=hukou.body + "可在“一网通办”平台预约办理时段。",
                category="SEC-HUKOU",
                department="GAJ",
                keywords=hukou.keywords,
                valid_from=hukou.valid_from,
                status=ArticleStatus.PUBLISHED,
            ),
            now=now - dt.timedelta(days=2),
        )
        hukou.refresh_from_db()
        # A call answered from it at the desk: the usage count and the case's kb_article.
        case = case_services.case_register(
            actor=users["agent"],
            channel=Channel.HOTLINE,
            kind=Kind.CONSULTATION,
            category="SEC-HUKOU",
            title="咨询居住证办理材料",
            content="来电人刚到本区工作，询问办理居住证需要带什么材料。",
            citizen=case_services.Citizen(name="周敏", phone="13700001234"),
            now=now - dt.timedelta(days=1),
        )
        services.case_resolve_directly(
            case=case, actor=users["agent"], answer=hukou.body, kb_article=hukou.pk, now=now - dt.timedelta(days=1)
        )
    return {"articles": len(made) + 1, "uses": 1}
