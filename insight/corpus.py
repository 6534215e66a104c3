"""The generated training corpus: what a fresh install trains on before the district has closed cases.

How it is made: for every leaf category of the seed data a hand-written list of *matters* (a short
title and one or more ways of saying the core of it), each written as a citizen would say it on the
phone or type it on the board; ``generate()`` wraps a matter in an opener (greeting, who is
speaking), a place (a community, road or building of the district), a time phrase, an optional
detail and a demand, choosing each part at random with a fixed seed, so the same call gives the
same corpus. The corpus is shipped as ``data/corpus.tsv`` (``manage.py insight_corpus`` rewrites
it) so the model that a fresh install trains is reproducible.

The held-out set (``data/heldout_categories.tsv``) was written by hand before this module, in its
own wording, and is never read here.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_PATH = DATA_DIR / "corpus.tsv"
HELDOUT_PATH = DATA_DIR / "heldout_categories.tsv"
HELDOUT_CLUSTERS_PATH = DATA_DIR / "heldout_clusters.tsv"
DISTRICT_FIXTURE = Path(__file__).resolve().parent.parent / "cases" / "fixtures" / "district.json"


def fixture_default_departments() -> dict[str, str]:
    """Leaf category code -> default department code, from the district's seed data."""
    data = json.loads(DISTRICT_FIXTURE.read_text(encoding="utf-8"))
    return {c["code"]: c["department"] for c in data["categories"] if c.get("department")}


# Community (居委会) department code -> the names people use for it, and its street office.
COMMUNITIES: dict[str, tuple[str, ...]] = {
    "JD-E-01": ("东湖社区", "东湖小区", "东湖花园"),
    "JD-E-02": ("湖滨社区", "湖滨小区", "湖滨新村"),
    "JD-E-03": ("幸福里社区", "幸福里小区", "幸福里"),
    "JD-W-01": ("西岭社区", "西岭小区", "西岭新苑"),
    "JD-W-02": ("枫林社区", "枫林小区", "枫林苑"),
    "JD-W-03": ("青石社区", "青石小区", "青石巷"),
    "JD-S-01": ("南苑社区", "南苑小区", "南苑新村"),
    "JD-S-02": ("花园社区", "花园小区", "花园里"),
    "JD-S-03": ("学府社区", "学府小区", "学府佳苑"),
    "JD-N-01": ("北岸社区", "北岸小区", "北岸家园"),
    "JD-N-02": ("江景社区", "江景小区", "江景花园"),
    "JD-N-03": ("新村社区", "新村小区", "新村一区"),
}
ROADS = (
    "东湖路", "湖滨大道", "西岭大街", "南苑路", "北岸路", "滨江路", "人民路", "文化路", "中山路",
    "建设路", "解放路", "朝阳路", "光明街", "和平路", "枫林路", "学府路", "新村大道", "青石街",
)  # fmt: skip
BUILDINGS = ("3栋", "5号楼", "12幢", "2单元", "7号楼1单元", "A座", "东门", "北门", "南门口")

OPENERS = (
    "", "", "你好，", "您好，", "我要反映一个问题，", "我是{community}的居民，", "我想投诉一下，",
    "麻烦问一下，", "我是住在{community}的，", "我反映个情况：", "领导您好，", "打扰了，",
    "我是一名普通市民，", "我家住{community}{building}，",
)  # fmt: skip
TIMES = (
    "", "", "最近", "这几天", "最近一个月", "已经好几天了，", "从上周开始", "这半年来", "今天上午",
    "昨天晚上", "连续一周", "每天", "前天",
)  # fmt: skip
DEMANDS = (
    "", "", "希望有关部门尽快处理。", "请相关部门管一管。", "希望能给个答复。", "麻烦尽快解决，谢谢。",
    "请政府重视一下。", "希望早日解决。", "请核实处理。", "多次反映都没有结果，请督促落实。",
    "谢谢！", "请帮忙协调。", "希望有人来看看。",
)  # fmt: skip


@dataclass(frozen=True)
class Matter:
    title: str
    bodies: tuple[str, ...]


def _m(title: str, *bodies: str) -> Matter:
    return Matter(title, bodies)


# Placeholders in bodies: {place} (a road or community), {community}, {road}.
MATTERS: dict[str, tuple[Matter, ...]] = {
    "GOV-PROC": (
        _m("办事需要哪些材料", "想去政务服务中心办手续，不清楚要准备哪些材料", "请问办这个事要带什么证件和复印件"),
        _m("咨询办理流程", "不知道办理流程是怎样的，先去哪个窗口", "这个业务在哪里办，要跑几次"),
        _m("网上办事咨询", "网上办事大厅怎么申请，提交后在哪里看审核进度", "手机上的政务APP办理时一直报错"),
        _m("政务中心工作时间", "政务服务中心中午和周末办不办公", "想知道大厅的上班时间和预约方式"),
        _m("证明怎么开", "单位要一份证明材料，不知道该去哪个部门开", "开具证明需要本人到场吗"),
        _m("补办证件", "证件遗失了需要补办，请问流程和所需材料", "证件损坏了怎么换新的"),
        _m("审批进度查询", "材料交上去很久了，想查询一下审批进度", "承诺的办结时限到了还没有结果，想问问进度"),
        _m("预约取号", "线上预约总是约满了，能不能现场取号", "取号排队的人太多，有没有别的预约办法"),
        _m("一件事一次办", "几件相关的事能不能一次办完，不想来回跑", "听说有一窗通办，具体怎么操作"),
        _m("代办咨询", "家里老人行动不便，能不能由子女代办，需要委托书吗", "本人在外地，能否委托他人办理"),
        _m("不动产登记咨询", "买了二手房要过户，不动产登记需要什么材料", "房产证加名字怎么办理"),
        _m("婚姻登记咨询", "结婚登记要提前预约吗，需要带户口本吗", "办理离婚登记的流程是怎样的"),
    ),
    "GOV-STAFF": (
        _m("工作人员态度差", "窗口工作人员态度生硬，问两句就不耐烦", "办事员对群众冷言冷语，服务态度很差"),
        _m("推诿扯皮", "去办事被几个部门来回踢皮球，谁都说不归自己管", "工作人员互相推诿，事情一直办不成"),
        _m("上班时间玩手机", "工作人员上班时间刷手机聊天，群众排队没人理", "窗口人员工作时间看视频"),
        _m("脱岗离岗", "上班时间窗口没人，等了很久工作人员才回来", "工作时间人员不在岗，电话也没人接"),
        _m("索要好处", "有工作人员暗示要送礼才能加快办理", "办事人员借机索要红包"),
        _m("举报违纪", "举报某单位干部公车私用", "反映有公职人员收受企业礼品"),
        _m(
            "表扬工作人员",
            "要表扬一下工作人员，服务热情周到，帮我解决了大问题",
            "感谢工作人员耐心细致的服务，给他们点赞",
        ),
        _m("执法态度粗暴", "执法人员态度粗暴，不亮证件就要扣东西", "检查人员说话蛮横，不讲道理"),
        _m("办事拖延", "手续齐全却迟迟不给办，一拖再拖", "说好的时限过了很久都不办，工作人员敷衍"),
        _m("电话无人接听", "部门公布的咨询电话一直打不通，打通了也说不清楚", "接电话的工作人员敷衍了事"),
        _m("门难进脸难看", "到机关办事门难进脸难看事难办", "工作人员说话带刺，让人心里很不舒服"),
    ),
    "INV-POLICY": (
        _m("企业扶持政策咨询", "想了解区里对中小企业有哪些扶持政策", "企业能申请哪些财政补贴和奖励"),
        _m("招商引资优惠", "准备来示范区投资设厂，有什么招商优惠政策", "投资项目落地在土地、税收上有没有支持"),
        _m("补贴资金未兑现", "申报的企业补贴审核通过了，资金一直没拨付", "政策承诺的奖励迟迟不兑现"),
        _m("人才政策咨询", "引进的高层次人才有没有安家补贴", "企业招聘的人才能享受哪些住房和落户政策"),
        _m("创业扶持咨询", "想自主创业，有没有创业补贴和贴息贷款", "返乡创业能申请哪些扶持"),
        _m("项目对接", "有一个产业项目想找投资促进部门对接", "想联系招商部门洽谈合作"),
        _m("营商环境建议", "建议进一步优化营商环境，减少企业跑腿", "建议为企业设立一对一服务专员"),
        _m("园区厂房政策", "园区标准厂房的租金优惠怎么申请", "想租用产业园的厂房，有没有减免"),
        _m("科技企业奖励", "高新技术企业认定后的奖励怎么申报", "研发投入补助的申报时间是什么时候"),
        _m("政策宣传不到位", "很多企业不知道有扶持政策，建议加强政策宣传", "政策文件太难懂，建议出个解读"),
        _m("产业基金", "区产业投资基金怎么申请", "企业想申请引导基金投资，条件是什么"),
    ),
    "INV-BIZREG": (
        _m("营业执照办理", "想开个小店，营业执照怎么办理", "个体工商户注册需要什么材料"),
        _m("公司注册咨询", "注册有限公司需要哪些条件，注册资本怎么填", "公司注册地址能用租的民房吗"),
        _m("许可证申请", "开餐饮店要办哪些许可证", "经营许可申请提交后多久能批下来"),
        _m("执照变更", "营业执照的经营范围和地址需要变更，怎么办", "公司股东变更要准备什么材料"),
        _m("企业注销", "公司不经营了想注销，流程太麻烦", "个体户注销需要去哪些部门"),
        _m("经营异常名录", "公司被列入经营异常名录，怎样申请移出", "企业年报没报被列为异常了"),
        _m("名称登记", "企业名称申报一直通不过", "公司起名被系统驳回，说名称近似"),
        _m("审批超时投诉", "登记许可审批超过承诺时限，一直不出结果", "申请执照被多次退回，每次理由都不同"),
        _m("电子执照问题", "电子营业执照领取不了", "网上登记系统提交材料总是失败"),
        _m("法人变更", "更换法定代表人需要什么手续", "公司法人变更需要全体股东到场吗"),
        _m("年报咨询", "企业年度报告怎么填报，逾期有什么后果", "个体户也需要年报吗"),
    ),
    "CITY-VEND": (
        _m("占道经营", "{place}有商贩占道经营，把人行道都占满了", "{place}门口天天有人摆地摊卖东西，行人没法走"),
        _m("流动摊贩", "{place}附近流动摊贩很多，推着车到处卖", "一到傍晚{place}就聚满了小商小贩"),
        _m("店外经营", "{place}的商铺把货摆到店门外，占用人行道", "沿街店铺出店经营，桌椅摆到路边"),
        _m("夜市烧烤占道", "{place}的夜宵烧烤摊占道经营到半夜", "晚上{place}的大排档把桌子摆到马路上"),
        _m("菜贩占道", "{place}路边卖菜的摊位越来越多，早上堵得走不动", "有人在{place}路口卖菜卖水果，占了半条路"),
        _m("学校门口摆摊", "学校门口有小摊贩卖三无零食，还堵住校门", "放学时间校门口全是摊点，接孩子都挤不进去"),
        _m("占道洗车修车", "{place}有修车店在人行道上修车洗车", "洗车店占用人行道作业，污水横流"),
        _m("地摊回潮", "{place}的地摊整治后又回来了", "城管走了摊贩又出来，{place}占道现象反复"),
        _m("占用盲道", "摊位把{place}的盲道都占了", "人行道上摆满货物，盲道完全被挡住"),
    ),
    "CITY-BUILD": (
        _m("违法建设", "{place}有人私搭乱建，违规建房", "举报{place}有一处违章建筑正在施工"),
        _m("楼顶违建", "顶楼住户在楼顶私自搭建阳光房", "{place}{building}楼顶有人加盖了房子"),
        _m("侵占公共空间", "有住户圈占小区公共绿地搭建棚子", "楼道被人私自砌墙封起来占为己有"),
        _m("违规扩建", "一楼住户私自扩建院子，破坏了绿化", "有人把阳台外扩，还加装了铁架子"),
        _m("擅自改变结构", "邻居装修拆了承重墙，担心楼体安全", "住户私自开挖地下室，墙面已经开裂"),
        _m("违建拆除不彻底", "之前查处的违建没拆干净，又在继续建", "违法建筑下了通知却迟迟不拆"),
        _m("农村违建", "村里有人占用耕地建房", "有村民未经审批在宅基地外建房"),
        _m("商铺违建", "沿街门面违规搭建雨棚和夹层", "商户私自加建广告架和彩钢棚"),
        _m("连夜抢建", "{place}有人晚上偷偷施工抢建", "有人趁周末突击盖房子，明显没有手续"),
    ),
    "CITY-ROAD": (
        _m("路面破损", "{place}路面坑坑洼洼，有好几个大坑", "{place}的路面破损严重，车辆颠簸"),
        _m("井盖缺失", "{place}有个井盖丢了，非常危险", "{place}的窨井盖破损下沉，路过很容易绊倒"),
        _m("路灯不亮", "{place}的路灯坏了很久，晚上一片漆黑", "{place}一整排路灯都不亮了"),
        _m("人行道损坏", "{place}人行道地砖松动破碎", "人行道的砖都翘起来了，老人走路容易摔"),
        _m("护栏损坏", "{place}的道路护栏被撞坏没人修", "隔离栏倒了好几根，一直没有修复"),
        _m("路面塌陷", "{place}路面突然塌陷出现大坑", "{place}路口地面下沉开裂"),
        _m("交通设施损坏", "路口的指示牌歪倒了", "{place}的交通标志被遮挡看不清"),
        _m("盲道损坏", "{place}盲道破损中断", "盲道上的砖缺了很多块"),
        _m("公共设施损坏", "路边的公共座椅和垃圾箱损坏", "天桥的扶手松动，存在安全隐患"),
        _m("减速带损坏", "{place}的减速带破碎了", "路上的减速带松动，车压过去哐哐响"),
    ),
    "CITY-WASTE": (
        _m("垃圾未清运", "{place}的垃圾桶满了好几天没人清运", "{place}垃圾堆积如山，没有及时拉走"),
        _m("建筑垃圾乱倒", "有人在{place}乱倒建筑垃圾和装修垃圾", "路边空地被倒满了渣土和碎砖"),
        _m("垃圾站异味", "{place}旁边的垃圾站臭味很大", "垃圾中转站离住户太近，夏天臭不可闻"),
        _m("清运扰民", "垃圾车天不亮就来清运，噪声很大", "清运垃圾时把桶摔得砰砰响"),
        _m("垃圾车滴漏", "垃圾运输车一路洒漏污水", "垃圾车沿路撒落垃圾"),
        _m("大件垃圾", "楼下堆着旧家具没人处理", "废旧床垫沙发堆在路边很久了"),
        _m("环卫保洁不到位", "{place}的道路很久没人打扫", "环卫工人不按时清扫，地上全是垃圾"),
        _m("垃圾分类", "垃圾分类投放点设置不合理", "小区撤桶以后扔垃圾很不方便，希望增加投放点"),
        _m("垃圾桶问题", "垃圾桶数量太少根本不够用", "垃圾桶坏了，污水流得到处都是"),
        _m("水面垃圾", "河面上漂着很多垃圾没人打捞", "河道里的塑料袋和垃圾越积越多"),
    ),
    "CITY-PROP": (
        _m("物业服务差", "{community}的物业服务太差，什么都不管", "物业收费不办事，小区脏乱差"),
        _m("电梯故障物业不修", "{community}{building}电梯坏了物业迟迟不修", "电梯经常困人，物业一直推脱"),
        _m("物业乱收费", "物业擅自涨物业费", "物业收取各种不合理的费用"),
        _m("停车收费纠纷", "物业乱收停车费", "小区车位费上涨，物业不让业主的车进门"),
        _m("公共收益", "物业不公开小区公共收益", "小区广告费停车费去向不明"),
        _m("维修基金", "想动用专项维修资金修屋顶，怎么申请", "维修资金的使用需要什么程序"),
        _m("业委会成立", "小区想成立业主委员会，需要怎么做", "业委会换届选举遇到阻挠"),
        _m("物业交接", "新旧物业交接闹纠纷，老物业不肯退场", "物业撤场后小区没人管"),
        _m("物业停水停电", "物业为了催缴费用停水停电", "物业以欠费为由给业主断电"),
        _m("报修不处理", "向物业报修很多次都没人来修", "楼道灯、门禁坏了物业不管"),
        _m("小区安全管理", "物业门岗形同虚设，外人随便进", "小区监控坏了物业不修，经常丢东西"),
    ),
    "CITY-WATER": (
        _m("突然停水", "{place}突然停水，事先没有任何通知", "{community}停水一整天了，也不知道什么时候来水"),
        _m("水质问题", "自来水浑浊发黄，有异味", "家里的水烧开后有很多水垢和沉淀"),
        _m("水压低", "家里水压太小，高楼层用不了水", "一到用水高峰水就上不去"),
        _m("下水道堵塞", "{place}的下水道堵了，污水往外冒", "小区排水管堵塞，污水横流"),
        _m("道路积水", "一下雨{place}就积水严重", "{place}排水不畅，雨后积水很深"),
        _m("水管爆裂", "{place}的供水管爆了，水流成河", "路边的自来水管破裂漏水好几天"),
        _m("污水外溢", "化粪池满溢，污水流到路上", "污水井冒水，臭味很大"),
        _m("水费异常", "水费突然比平时高了很多", "水表走得很快，怀疑水表有问题"),
        _m("二次供水", "小区二次供水水箱长期不清洗", "楼顶水箱脏，担心饮水安全"),
        _m("管网改造", "老小区供水管道老化，希望改造", "雨污分流改造什么时候做"),
        _m("雨水井堵塞", "雨水篦子被堵死了", "雨水口被垃圾泥沙堵住"),
    ),
    "ENV-NOISE": (
        _m("夜间施工噪声", "{place}的工地晚上还在施工，噪声太大", "夜里工地机器轰鸣，居民无法休息"),
        _m("广场舞噪声", "{place}跳广场舞音响太吵", "广场舞音乐声音太大，影响休息"),
        _m("娱乐场所噪声", "{place}的酒吧KTV半夜还很吵", "楼下娱乐场所音乐声震耳，直到凌晨"),
        _m("商铺喇叭", "店铺门口喇叭循环叫卖，太吵了", "商家用高音喇叭招揽生意"),
        _m("设备噪声", "饭店空调外机和排风机噪声很大", "楼下商户的风机整夜运转"),
        _m("装修噪声", "邻居装修噪声大，休息时间也在电钻", "楼上装修天天砸墙"),
        _m("交通噪声", "{place}车辆鸣笛和车流噪声严重", "高架路噪声大，建议加装隔音屏"),
        _m("工厂噪声", "附近工厂机器声音昼夜不停", "企业生产设备噪声扰民"),
        _m("卸货噪声", "超市夜间卸货噪声扰民", "凌晨有货车装卸，声音很大"),
        _m("生活噪声", "楼下健身房和培训机构噪声大", "楼上琴行每天晚上练琴到很晚"),
    ),
    "ENV-AIR": (
        _m("工厂废气", "{place}有工厂排放废气，气味刺鼻", "附近企业夜间偷排废气"),
        _m("餐饮油烟", "{place}的饭店油烟直排，熏得窗户都不敢开", "餐馆油烟没有净化，直接排向居民楼"),
        _m("工地扬尘", "{place}工地扬尘严重，没有洒水降尘", "施工现场裸土不覆盖，灰尘很大"),
        _m("焚烧垃圾秸秆", "有人露天焚烧垃圾，浓烟滚滚", "田里烧秸秆，烟雾弥漫"),
        _m("喷漆异味", "汽修店露天喷漆，气味难闻", "家具厂喷漆废气没有处理"),
        _m("异味扰民", "每天晚上都能闻到刺鼻的臭味", "空气中有很浓的化学品气味，不知道哪里来的"),
        _m("渣土车扬尘", "渣土车不密闭，沿路撒漏扬尘", "运输车辆带泥上路，尘土飞扬"),
        _m("锅炉烟囱冒黑烟", "烟囱冒黑烟", "锅炉房排放浓烟"),
        _m("露天烧烤烟雾", "露天烧烤烟雾大，飘进居民家", "烧烤摊的炭火烟很呛人"),
    ),
    "SEC-ORDER": (
        _m("聚众赌博", "{place}有人聚众赌博", "有人在出租屋里开设赌场"),
        _m("偷盗", "{place}电动车经常被盗", "小区里最近失窃很多，希望加强巡逻"),
        _m("寻衅滋事", "有人酒后闹事打架", "几个人经常在{place}寻衅滋事"),
        _m("诈骗", "有人打着免费体检的名义骗老人钱", "接到诈骗电话，想举报"),
        _m("群租隐患", "有人把房子隔成很多小间群租，人员混杂", "群租房进出人员复杂，存在治安隐患"),
        _m("可疑人员", "{place}附近最近总有可疑人员出没", "有陌生人在楼道里乱贴小广告还撬门"),
        _m("传销", "疑似有传销组织在小区活动", "出租屋里聚集很多年轻人听课，像是传销"),
        _m("违规燃放", "禁放区有人燃放烟花爆竹", "半夜有人放鞭炮"),
        _m("网吧未成年人", "网吧接纳未成年人上网", "游戏厅里很多中学生"),
        _m("治安巡逻", "{place}晚上治安不好，希望增加巡逻", "路上夜里经常有人抢包"),
    ),
    "SEC-HUKOU": (
        _m("居住证办理", "办理居住证需要什么材料", "外地人在示范区怎么申领居住证"),
        _m("户口迁移", "户口迁入迁出需要哪些手续", "想把户口迁到这边来，怎么办理"),
        _m("新生儿落户", "孩子出生后怎么上户口", "新生儿随父还是随母落户，需要什么材料"),
        _m("身份证办理", "身份证丢失后怎么补领", "身份证到期换证要多久"),
        _m("户籍信息更正", "户口本上的信息登记错了怎么改", "身份证上的名字有错字，如何更正"),
        _m("落户政策", "大学毕业生落户有什么条件", "人才引进落户需要什么手续"),
        _m("集体户口", "集体户口怎么迁出", "集体户口的户口页怎么借用"),
        _m("临时身份证", "身份证过期了能不能办临时身份证", "临时身份证在哪里办理"),
        _m("投靠落户", "父母投靠子女落户的条件", "夫妻投靠落户需要结婚多久"),
        _m("分户立户", "想从家里户口本上分户单独立户", "分户需要什么条件"),
        _m("居住证签注", "居住证到期签注在哪里办", "居住证积分怎么查询"),
    ),
    "LAB-WAGE": (
        _m("拖欠工资", "公司拖欠员工工资好几个月了", "老板一直拖着不发工资"),
        _m("农民工讨薪", "工地包工头拖欠农民工工资", "在{place}的工地干活，工钱一直拿不到"),
        _m("老板跑路欠薪", "老板跑路了，工资没人发", "公司倒闭，员工工资无人支付"),
        _m("离职工资不结", "离职后公司不结清工资", "辞职了公司以各种理由不发最后一个月工资"),
        _m("加班费", "公司不支付加班费", "每周加班却从来没有加班工资"),
        _m("克扣工资", "公司无故克扣工资", "老板随意罚款扣钱，工资只发一部分"),
        _m("最低工资", "工资低于最低工资标准", "每月到手工资远低于当地最低标准"),
        _m("劳务派遣欠薪", "劳务公司拖欠派遣工工资", "外包公司和用工单位互相推脱工资"),
        _m("奖金提成不发", "说好的提成和年终奖不兑现", "绩效奖金被公司扣着不发"),
        _m("讨薪求助", "我们十几个工人被欠薪，请帮忙讨回工资", "家里急需用钱，求助追讨欠薪"),
    ),
    "LAB-INSUR": (
        _m("社保补缴", "社保断缴了怎么补缴", "中间停缴几个月社保有什么影响"),
        _m("单位不缴社保", "公司不给员工缴纳社会保险", "单位只给交医保不交养老"),
        _m("退休养老金", "到了退休年龄怎么办理退休领养老金", "养老金计算标准是什么"),
        _m("医保转移", "外地医保关系怎么转到这里", "医保跨省转移接续怎么办"),
        _m("失业保险", "失业了能领失业金吗", "失业保险金怎么申领"),
        _m("工伤认定", "上班受伤公司不给认定工伤", "工伤认定和赔偿怎么申请"),
        _m("灵活就业参保", "个人怎么以灵活就业人员身份参保", "自由职业者怎么交社保"),
        _m("社保卡", "社保卡丢失补办", "社保卡激活不了"),
        _m("生育保险", "生育津贴怎么申领", "生育保险报销迟迟不到账"),
        _m("缴费基数", "公司按最低基数缴社保", "社保缴费基数和工资不一致"),
        _m("居民医保", "城乡居民医保怎么缴费", "居民医保缴费标准是多少"),
    ),
    "MKT-FOOD": (
        _m("外卖食品安全", "外卖里吃出异物", "点的外卖变质有馊味"),
        _m("餐馆卫生差", "{place}一家餐馆后厨卫生很差", "饭店厨房脏乱，有老鼠蟑螂"),
        _m("过期食品", "超市销售过期食品", "买到的食品已经过了保质期"),
        _m("无证作坊", "居民楼里有无证食品加工作坊", "黑作坊生产食品卫生无保障"),
        _m("食物中毒", "吃完饭后多人呕吐腹泻", "怀疑在饭店吃了不干净的东西食物中毒"),
        _m("散装食品标签", "散装食品没有生产日期和标签", "卖的熟食来源不明"),
        _m("学校食堂", "学校食堂饭菜卫生堪忧", "孩子在食堂吃饭后肚子疼"),
        _m("肉类检疫", "市场卖的肉没有检疫证明", "有摊贩卖病死猪肉"),
        _m("饮品店卫生", "奶茶店操作不规范，卫生差", "饮品店用过期原料"),
        _m("食用油问题", "怀疑餐馆使用地沟油", "饭店回收使用剩油"),
        _m("食品变质", "买的蛋糕面包发霉了", "刚买的熟食已经变质"),
    ),
    "MKT-CONS": (
        _m("预付卡退费", "办的会员卡商家关门了，钱退不回来", "预付卡消费后商家跑路"),
        _m("假冒伪劣", "买到假冒商品，商家不认账", "商店卖假货"),
        _m("退换货纠纷", "商品有质量问题商家拒绝退换", "买的电器坏了商家不给修也不退"),
        _m("价格欺诈", "商家标价和实际收费不一致", "商场虚假打折，先涨价后降价"),
        _m("强制消费", "商家诱导消费办卡", "美容店强行推销，不买不让走"),
        _m("维修乱收费", "维修店乱报价乱收费", "修家电被多收了很多钱"),
        _m("合同违约", "装修公司收了定金不履约", "商家不按合同约定交货"),
        _m("计量不准", "市场摊位缺斤短两", "商家的秤有问题"),
        _m("培训退费", "培训机构拒绝退还剩余课时费", "教育机构收费后跑路"),
        _m("汽车消费纠纷", "4S店强制收取各种服务费", "买的新车有质量问题，4S店推脱"),
        _m("商家换老板不认卡", "店铺换了老板不认以前的会员卡", "转让后的店不承认原来的储值"),
    ),
    "TRN-BUS": (
        _m("增设公交线路", "{place}附近没有公交线路，建议开通", "建议增加到{place}的公交线路"),
        _m("公交班次少", "公交车班次太少，等车时间太长", "高峰期公交车太挤，建议加密班次"),
        _m("公交司机服务", "公交司机服务态度差", "公交车司机开车太猛，乘客站不稳"),
        _m("公交站点设置", "公交站台位置设置不合理", "建议在{place}增设公交站点"),
        _m("末班车", "末班车收车太早", "建议延长公交运营时间"),
        _m("公交改线", "公交线路调整没有提前公告", "公交改道后很不方便，希望恢复原线路"),
        _m("公交不进站", "公交车不进站停靠", "公交车过站不停"),
        _m("车内环境", "公交车上空调不开", "公交车车厢脏，座椅破损"),
        _m("公交卡", "老年公交卡怎么办理和年审", "公交卡刷卡失败"),
        _m("社区巴士", "建议开通社区微循环公交", "建议开设接驳地铁的短途公交"),
        _m("站牌信息", "公交站牌信息没有更新", "电子站牌显示不准确"),
    ),
    "TRN-TAXI": (
        _m("出租车拒载", "出租车拒载", "司机挑客，嫌路近不拉"),
        _m("网约车绕路", "网约车故意绕路多收钱", "司机不按导航走，多收了车费"),
        _m("出租车不打表", "出租车不打表乱要价", "出租车司机议价收费"),
        _m("司机骚扰", "网约车司机下车后骚扰乘客", "司机言语不文明"),
        _m("黑车", "{place}有黑车非法营运拉客", "车站门口黑车揽客"),
        _m("出租车服务", "出租车司机开车打电话抽烟", "出租车车内卫生差"),
        _m("遗失物品", "乘坐出租车时东西落在车上了", "手机丢在网约车上，司机不接电话"),
        _m("平台扣费", "网约车平台乱扣费", "司机不来接还让我付取消费"),
        _m("非法拼车", "出租车司机擅自拼客", "拼车后每人都收全程车费"),
        _m("人车不符", "网约车车牌与平台信息不符", "接单司机和平台登记的不是同一个人"),
    ),
    "EDU-ENROL": (
        _m("入学划片", "学区划片不合理，孩子只能去很远的学校", "想了解今年的学区划分"),
        _m("随迁子女入学", "外来务工人员子女怎么入学", "非户籍孩子上学需要什么材料"),
        _m("幼儿园入园难", "公办幼儿园学位不够", "孩子上幼儿园报不上名"),
        _m("转学", "孩子从外地转学过来怎么办理", "转学需要什么手续"),
        _m("小升初政策", "小升初招生政策", "初中入学怎么报名"),
        _m("入学资格审核", "入学报名审核没通过", "房产证明不符合入学条件怎么办"),
        _m("配套学校", "新小区配套学校一直没建", "附近学校学位紧张"),
        _m("入学年龄", "孩子多大能上小学", "入学年龄截止日期是几月"),
        _m("招生公示", "学校招生信息不公开", "希望公示招生计划和名额"),
        _m("特殊教育", "特殊儿童如何入学", "残疾儿童随班就读"),
        _m("学籍问题", "学籍转不过来", "中考报名学籍问题"),
    ),
    "EDU-FEES": (
        _m("学校乱收费", "学校违规收取费用", "学校巧立名目收费"),
        _m("强制购买教辅", "老师要求统一购买教辅资料", "学校强制订购辅导书"),
        _m("幼儿园收费", "幼儿园收费不透明", "幼儿园另外收取各种费用"),
        _m("有偿补课", "在职教师有偿补课", "老师课上不讲课后收费补课"),
        _m("校服费用", "校服价格太贵", "学校强制统一购买校服"),
        _m("借读择校费", "学校收取借读费", "收择校费赞助费"),
        _m("家委会收费", "家委会乱收班费", "家长群里摊派费用"),
        _m("课后服务收费", "课后服务变相强制收费", "托管费用太高"),
        _m("学校收押金", "学校收取押金", "报名时要求交保证金"),
        _m("代收费", "学校代收商业保险费", "学校代办各种收费"),
    ),
    "HLT-SERV": (
        _m("看病排队", "医院看病排队时间太长", "挂号难，专家号挂不上"),
        _m("医生态度", "医生服务态度不好", "护士态度恶劣"),
        _m("过度医疗", "医院过度检查乱开药", "小病开了很多不必要的检查"),
        _m("疫苗接种", "疫苗接种怎么预约", "社区卫生中心能不能打疫苗"),
        _m("医疗纠纷", "手术出现问题医院推卸责任", "怀疑医疗事故，怎么鉴定"),
        _m("缺药", "社区卫生服务中心缺药", "医院常用药买不到"),
        _m("号贩子", "医院有号贩子倒号", "医院门口有人高价卖号"),
        _m("医保报销", "住院费用医保报销比例太低", "看病时医保不能用"),
        _m("家庭医生", "家庭医生签约怎么办", "家庭医生不提供服务"),
        _m("急诊", "急诊等待太久", "晚上急诊只有一个医生"),
        _m("医院管理", "医院停车难收费高", "医院环境卫生差"),
    ),
    "CIV-ELDER": (
        _m("养老院入住", "公办养老院怎么申请入住", "养老机构收费标准是多少"),
        _m("高龄补贴", "高龄津贴怎么申请", "老人的高龄补贴没有发放"),
        _m("独居老人", "独居老人没人照顾，请社区关心", "邻居家老人独居生病了"),
        _m("老年食堂", "建议开设老年助餐点", "社区长者食堂饭菜不好"),
        _m("居家养老", "居家养老上门服务怎么申请", "失能老人能不能享受上门护理"),
        _m("养老院服务差", "养老院护工虐待老人", "养老机构服务质量差"),
        _m("适老化改造", "老人家里适老化改造补贴", "申请安装扶手和防滑设施"),
        _m("老年活动", "社区没有老年活动场所", "老年活动室常年关门"),
        _m("护理补贴", "失能老人护理补贴怎么领", "长期护理保险待遇"),
        _m("防走失", "认知障碍老人防走失求助", "老人走失了请帮忙寻找"),
        _m("日间照料", "日间照料中心能否接收老人", "社区托老所的服务内容"),
    ),
    "CIV-COMM": (
        _m("邻里纠纷", "邻居之间闹矛盾，希望社区调解", "和楼上邻居因为漏水吵架，希望居委会调解"),
        _m("楼道杂物", "{community}楼道里堆满杂物", "邻居在楼梯间堆放杂物，消防通道被堵"),
        _m("流浪动物", "{community}流浪猫狗很多", "小区里流浪狗咬人"),
        _m("停车难", "{community}停车位不够，乱停车", "老小区车位紧张，希望规划停车位"),
        _m("飞线充电", "{community}有人私拉电线给电动车充电", "电动车在楼道里充电，存在火灾隐患"),
        _m("社区证明", "居委会不给开证明", "需要社区开具居住证明"),
        _m("加装电梯", "{community}老楼想加装电梯", "加装电梯协调困难，低层住户反对"),
        _m("宠物扰民", "邻居养狗扰民", "楼上养的狗整天叫，还随地便溺"),
        _m("社区设施", "{community}的健身器材损坏", "社区游乐设施太少"),
        _m("高空抛物", "{community}高空抛物", "楼上有人往下扔东西"),
        _m("公共区域被占", "有人在小区绿地种菜", "住户占用公共空间"),
        _m("社区活动", "建议社区多组织文化活动", "社区服务中心开放时间太短"),
    ),
}

# CIV-COMM goes to the street office of the community it is about; the other categories to the
# category's default department.
STREET_FOR_COMMUNITY = {code: code.rsplit("-", 1)[0] for code in COMMUNITIES}


@dataclass(frozen=True)
class Message:
    category: str
    department: str
    title: str
    content: str


def generate(*, per_category: int = 200, seed: int = 14, default_departments: dict[str, str]) -> list[Message]:
    """``per_category`` messages for every category of ``MATTERS``; ``default_departments`` maps a
    category code to its department code (from the seed data)."""
    rng = random.Random(seed)
    out: list[Message] = []
    for category, matters in MATTERS.items():
        for _ in range(per_category):
            matter = rng.choice(matters)
            community_code = rng.choice(list(COMMUNITIES))
            community = rng.choice(COMMUNITIES[community_code])
            road = rng.choice(ROADS)
            place = rng.choice((community, road, f"{road}{rng.choice(BUILDINGS)}", f"{community}附近"))
            fill = {"place": place, "community": community, "road": road, "building": rng.choice(BUILDINGS)}
            body = rng.choice(matter.bodies).format(**fill)
            parts = [rng.choice(OPENERS).format(**fill), rng.choice(TIMES), body]
            if category == "CIV-COMM" and community not in "".join(parts):
                # A street office answers for its own communities: say which one.
                parts.insert(1, f"我们{community}")
            elif "{place}" not in " ".join(matter.bodies) and rng.random() < 0.4:
                parts.insert(1, f"在{place}，")
            content = "".join(parts).rstrip("，") + ("，" if rng.random() < 0.6 else "。") + rng.choice(DEMANDS)
            title = matter.title if rng.random() < 0.7 else body.split("，")[0][:24]
            department = default_departments[category]
            if category == "CIV-COMM":
                department = STREET_FOR_COMMUNITY[community_code]
            out.append(Message(category, department, title, content.rstrip("，")))
    return out


def write_corpus(messages: list[Message], path: Path = CORPUS_PATH) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# Generated by insight.corpus.generate() (manage.py insight_corpus); see that module.\n")
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["category", "department", "title", "content"])
        for m in messages:
            writer.writerow([m.category, m.department, m.title, m.content])


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a tab-separated data file, comments (``#``) and the header row skipped."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("category\t"):
                continue
            rows.append(line.split("\t"))
    return rows


def read_corpus(path: Path = CORPUS_PATH) -> list[Message]:
    return [Message(*row[:4]) for row in read_tsv(path)]


def read_heldout(path: Path = HELDOUT_PATH) -> list[tuple[str, str, str]]:
    """(category, title, content) of the hand-written held-out set."""
    return [(row[0], row[1], row[2]) for row in read_tsv(path)]


def cluster_tuning_set(*, seed: int = 7, groups: int = 15, distractors: int = 200) -> tuple[list[str], list[str]]:
    """A generated tuning set for the cluster threshold: ``groups`` matters each told by 3-4
    callers (the same matter and place, each with their own opener, time words and demand, as
    copied group messages are), among ``distractors`` other generated messages — many of the same
    matter at another place, the hard case. Returns (texts, group label or "")."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    categories = list(MATTERS)
    for g in range(groups):
        matter = rng.choice(MATTERS[rng.choice(categories)])
        community = rng.choice(COMMUNITIES[rng.choice(list(COMMUNITIES))])
        place = rng.choice((community, f"{rng.choice(ROADS)}{rng.choice(BUILDINGS)}"))
        body = rng.choice(matter.bodies).format(place=place, community=community, road=place, building="")
        if "{place}" not in " ".join(matter.bodies):
            body = f"{place}{body}"
        detail = rng.choice(("已经持续很久", "影响几百户居民", "大家多次反映", "涉及几十个人"))
        for _ in range(rng.choice((3, 4))):
            opener = rng.choice(OPENERS).format(community=community, building="")
            texts.append(f"{matter.title}。{opener}{rng.choice(TIMES)}{body}，{detail}，{rng.choice(DEMANDS)}")
            labels.append(f"t{g:02d}")
    fake_defaults = {code: "X" for code in MATTERS}
    for m in generate(per_category=distractors // len(MATTERS) + 1, seed=seed + 1, default_departments=fake_defaults)[
        :distractors
    ]:
        texts.append(f"{m.title}。{m.content}")
        labels.append("")
    return texts, labels


HELDOUT_CLUSTERS2_PATH = DATA_DIR / "heldout_clusters2.tsv"
HELDOUT_CLUSTERS3_PATH = DATA_DIR / "heldout_clusters3.tsv"


def cluster_set(path: Path) -> tuple[list[str], list[str]]:
    """A hand-written cluster set (``group<TAB>text``; an empty group is a distractor), among the
    held-out category messages as further distractors. Returns (texts, group label or "")."""
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            group, text = line.rstrip("\n").split("\t", 1)
            texts.append(text)
            labels.append(group)
    for _, title, content in read_heldout():
        texts.append(f"{title}。{content}")
        labels.append("")
    return texts, labels
