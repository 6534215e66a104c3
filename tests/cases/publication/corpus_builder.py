"""Builds tests/cases/publication/redaction_corpus.json: hand-written messages plus templated ones.

Run ``.venv/bin/python tests/cases/publication/corpus_builder.py`` to regenerate (deterministic seed).
Each item: ``text``, ``names`` (the citizen's name, as the redactor is told it), and ``pii``:
entries ``{"text": <substring>, "kind": <kind>, "secret": <part that must be hidden>}``;
every occurrence of ``text`` is personal data. Hard negatives (dates, amounts, tracking
numbers, bus routes, order numbers) are simply text that carries no ``pii`` entry.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
rng = random.Random(20261121)


def id_no() -> str:
    area = rng.choice(["110105", "440305", "310115", "320106", "510107", "420106", "330106"])
    birth = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = area + birth + f"{rng.randint(0, 999):03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def bad_id_no() -> str:
    good = id_no()
    last = good[-1]
    return good[:-1] + ("0" if last != "0" else "1")


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        cand = body + d
        total = 0
        for i, ch in enumerate(reversed(cand)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return cand
    raise AssertionError


def mobile() -> str:
    return (
        rng.choice(["138", "139", "135", "186", "177", "150", "199", "131", "158"]) + f"{rng.randint(0, 99999999):08d}"
    )


def landline() -> str:
    return (
        rng.choice(["010-", "021-", "0755-", "020-", "0571-", "028-"])
        + f"{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
    )


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
]
ROADS = [
    "幸福路",
    "人民路",
    "建设大道",
    "解放街",
    "和平巷",
    "东湖路",
    "中山大街",
    "滨江路",
    "学府路",
    "朝阳街",
    "青年路",
    "光明巷",
]
COMPOUNDS = ["阳光花园", "锦绣家园", "翠湖小区", "金色公寓", "望江苑", "东湖新村"]
PLATES = ["粤B", "京A", "沪C", "苏E", "浙A", "川A", "鄂A", "湘A"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
TITLES = ["先生", "女士", "师傅", "阿姨"]
EMAIL_USERS = ["zhangwei88", "li.na", "wang_fang2020", "chenjie", "liu-yang", "sunmin.sh"]
EMAIL_HOSTS = ["qq.com", "163.com", "126.com", "sina.com", "example.cn", "mail.hotmail.com"]

NEGATIVE_CLAUSES = [
    "我于2026年11月3日已经反映过一次，工单号2026110300042，至今没有回复。",
    "此前的流水号是2026102900317。",
    "物业费每月收取320元，今年涨到了450元。",
    "乘坐16路、203路公交车到站后需要步行1.5公里。",
    "每天晚上22:30以后还在施工，噪音超过70分贝。",
    "已拨打12345和110均未解决。",
    "快递单号SF1402578812345一直显示未派送。",
    "订单号6221390011223344558，平台拒绝退款。",
    "2026-10-15至2026-11-20期间共停水3次。",
    "按照GB 50016-2014的规定，消防通道宽度不得小于4米。",
    "地铁2号线3号出口的电梯坏了两个月。",
    "小区共有1200户居民，约3000人受影响。",
    "第3期工程款87万元至今未结清。",
    "去年缴纳社保12个月，共计5678.90元。",
    "人民路与建设路交叉口的红绿灯周期只有15秒。",
    "区政府5楼信访接待室的工作人员态度很好。",
    "咨询热线95100一直占线，等了20分钟。",
    "学校开学时间是9月1日上午8点。",
    "我们楼有32层，只有2部电梯。",
    "申请编号440305202611210003，已经提交了30个工作日。",
]


def pick_name() -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def addr() -> tuple[str, str]:
    if rng.random() < 0.6:
        road = rng.choice(ROADS)
        tail = f"{rng.randint(1, 399)}号"
        if rng.random() < 0.6:
            tail += f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
        return road + tail, tail
    compound = rng.choice(COMPOUNDS)
    tail = f"{rng.randint(1, 40)}栋{rng.randint(1, 6)}单元{rng.randint(1, 28)}0{rng.randint(1, 4)}室"
    return compound + tail, tail


def templated(n: int) -> list[dict]:
    items = []
    for _ in range(n):
        name = pick_name()
        pii: list[dict] = []
        parts: list[str] = []
        shape = rng.randint(0, 5)
        if shape == 0:
            phone = mobile()
            a, tail = addr()
            parts.append(f"我是{a}的住户{name}，")
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"楼下烧烤店油烟直排，请尽快处理，联系电话{phone}。")
            pii += [{"text": name, "kind": "name"}, {"text": tail, "kind": "address"}, {"text": phone, "kind": "phone"}]
        elif shape == 1:
            title = rng.choice(TITLES)
            idn = id_no()
            parts.append(f"{name[0]}{title}来电反映：本人身份证号{idn}，办理居住证时系统提示信息有误。")
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"请工作人员与{name[0]}{title}联系。")
            pii += [{"text": f"{name[0]}{title}", "kind": "name", "secret": name[0]}, {"text": idn, "kind": "id_no"}]
        elif shape == 2:
            plate = (
                rng.choice(PLATES)
                + "".join(rng.choice(PLATE_LETTERS + "0123456789") for _ in range(1))
                + f"{rng.randint(1000, 9999)}"
            )
            if rng.random() < 0.3:
                plate = rng.choice(PLATES) + "·D" + f"{rng.randint(10000, 99999)}"
            email = f"{rng.choice(EMAIL_USERS)}@{rng.choice(EMAIL_HOSTS)}"
            parts.append(f"我的车{plate}停在小区门口被贴了罚单，")
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"请把处理结果发到我的邮箱{email}，谢谢。{name}")
            pii += [{"text": plate, "kind": "plate"}, {"text": email, "kind": "email"}, {"text": name, "kind": "name"}]
        elif shape == 3:
            card = luhn_complete(rng.choice(["622202", "621700", "622848", "623668"]), rng.choice([16, 19]))
            spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4)) if rng.random() < 0.4 else card
            parts.append(f"公司拖欠工资三个月，工资卡号{spaced}，")
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"我叫{name}，电话{landline()}也可以找到我。")
            lt = parts[-1].split("电话")[1].split("也")[0]
            pii += [
                {"text": spaced, "kind": "bank_card"},
                {"text": name, "kind": "name"},
                {"text": lt, "kind": "phone"},
            ]
        elif shape == 4:
            phone = mobile()
            fmt = rng.choice(
                [phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86{phone}"]
            )
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"路灯坏了一个多月，晚上非常黑，老人摔倒过。有事请打{fmt}找{name}。")
            pii += [{"text": fmt, "kind": "phone"}, {"text": name, "kind": "name"}]
        else:
            a, tail = addr()
            bad = bad_id_no()
            parts.append(f"{a}楼道堆放杂物，存在消防隐患。")
            parts.append(f"（证件号{bad}填写有误，已作废）")
            parts.append(rng.choice(NEGATIVE_CLAUSES))
            parts.append(f"反映人：{name}")
            pii += [{"text": tail, "kind": "address"}, {"text": name, "kind": "name"}]
        items.append({"text": "".join(parts), "names": [name], "pii": pii})
    return items


HAND_WRITTEN: list[dict] = [
    {
        "text": "您好，我是东湖街道幸福路12号3栋2单元501室的业主刘建国，楼上漏水严重，请帮忙协调。电话13812345678。",
        "names": ["刘建国"],
        "pii": [
            {"text": "刘建国", "kind": "name"},
            {"text": "12号3栋2单元501室", "kind": "address"},
            {"text": "13812345678", "kind": "phone"},
        ],
    },
    {
        "text": "刘先生来电：小区门口摊贩占道，晚上7点到11点最严重，多次反映无果，工单2026111500087。",
        "names": ["刘建国"],
        "pii": [{"text": "刘先生", "kind": "name", "secret": "刘"}],
    },
    {"text": "建议在建设大道与学府路交叉口增设红绿灯，上下学高峰期车流量大，很危险。", "names": ["孙丽"], "pii": []},
    {"text": "12345热线您好，我想咨询一下新生儿医保怎么办理，需要带哪些材料？", "names": ["周敏"], "pii": []},
    {
        "text": "举报：滨江路88号附近的工地夜间施工，凌晨2点还在打桩，电话0571-86001234。",
        "names": ["吴涛"],
        "pii": [{"text": "88号", "kind": "address"}, {"text": "0571-86001234", "kind": "phone"}],
    },
    {
        "text": "我的电动车京A·D12345在学府路被拖走了，没有任何通知，请问去哪里领取？",
        "names": ["郑凯"],
        "pii": [{"text": "京A·D12345", "kind": "plate"}],
    },
    {
        "text": "感谢区城管局的王队长，上周帮我们清理了楼道垃圾，特此表扬！——赵女士",
        "names": ["赵红梅"],
        "pii": [{"text": "赵女士", "kind": "name", "secret": "赵"}],
    },
    {
        "text": "2026年10月的电费单显示用电865度，金额528.65元，明显偏高，请核查。户号0012345678。",
        "names": ["钱进"],
        "pii": [],
    },
    {"text": "孩子在区实验小学读三年级，学校要求每人交300元资料费，是否合规？", "names": ["何静"], "pii": []},
    {
        "text": "我叫欧阳娜娜，身份证440305199003071234不对，正确的是11010519491231002X，请更正社保登记。",
        "names": ["欧阳娜娜"],
        "pii": [{"text": "欧阳娜娜", "kind": "name"}, {"text": "11010519491231002X", "kind": "id_no"}],
    },
    {
        "text": "欧阳女士反映：光明巷7号院内下水道堵塞，污水外溢。",
        "names": ["欧阳娜娜"],
        "pii": [{"text": "欧阳女士", "kind": "name", "secret": "欧阳"}, {"text": "7号", "kind": "address"}],
    },
    {"text": "公交16路末班车经常提前发车，22:10的车21:55就开走了。", "names": ["马超"], "pii": []},
    {"text": "物业经理张贴通知说要涨价，业主们都很紧张，希望政府出面。", "names": ["张建华"], "pii": []},
    {
        "text": "张建华反映物业张贴涨价通知，张先生认为不合理，请核查。",
        "names": ["张建华"],
        "pii": [{"text": "张建华", "kind": "name"}, {"text": "张先生", "kind": "name", "secret": "张"}],
    },
    {
        "text": "请回复到邮箱 hz_resident2026@163.com ，谢谢！",
        "names": ["黄磊"],
        "pii": [{"text": "hz_resident2026@163.com", "kind": "email"}],
    },
    {
        "text": "粤B5K8L9的大货车每天在小区里乱停，挡住消防通道。",
        "names": ["林峰"],
        "pii": [{"text": "粤B5K8L9", "kind": "plate"}],
    },
    {"text": "已于11月2日拨打95100反映，答复称3个工作日内处理，现已过去15天。", "names": ["高原"], "pii": []},
    {
        "text": "锦绣家园12栋3单元1802室楼上每晚装修到很晚，电话 139 1234 5678。",
        "names": ["胡悦"],
        "pii": [{"text": "12栋3单元1802室", "kind": "address"}, {"text": "139 1234 5678", "kind": "phone"}],
    },
    {"text": "建议地铁3号线延长运营时间到24点，方便加班族。", "names": ["罗勇"], "pii": []},
    {
        "text": "本人银行卡6217000010001234569被冻结，银行说需要公安出具证明。",
        "names": ["徐明"],
        "pii": [{"text": "6217000010001234569", "kind": "bank_card"}],
    },
    {"text": "拖欠农民工工资共计126500元，涉及工人23人，项目编号XM-2026-0087。", "names": ["郭强"], "pii": []},
    {
        "text": "中山大街221号的早餐店卫生状况很差，老板说有关系不怕投诉。举报人：马丽，电话15012345678。",
        "names": ["马丽"],
        "pii": [
            {"text": "221号", "kind": "address"},
            {"text": "马丽", "kind": "name"},
            {"text": "15012345678", "kind": "phone"},
        ],
    },
    {"text": "咨询：退休人员每年什么时候进行资格认证？我父亲今年72岁，行动不便。", "names": ["陈晓"], "pii": []},
    {
        "text": "家里座机电话是 87654321，白天没人，请晚上打。",
        "names": ["吴芳"],
        "pii": [{"text": "87654321", "kind": "phone"}],
    },
    {
        "text": "东湖新村5栋楼顶的违建已经盖了三层，城管来看过一次就没下文了。",
        "names": ["李军"],
        "pii": [{"text": "5栋", "kind": "address"}],
    },
    {
        "text": "和平巷3号楼2单元502的住户养了十几条狗，噪音和气味扰民。",
        "names": ["王霞"],
        "pii": [{"text": "3号楼2单元502", "kind": "address"}],
    },
    {
        "text": "我在人民路456号开了一家小饭馆，营业执照年检有问题，请问如何处理？联系人周师傅 18612349876",
        "names": ["周国平"],
        "pii": [
            {"text": "456号", "kind": "address"},
            {"text": "周师傅", "kind": "name", "secret": "周"},
            {"text": "18612349876", "kind": "phone"},
        ],
    },
    {"text": "希望在朝阳街增加共享单车停放点，目前最近的在800米外。", "names": ["夏雨"], "pii": []},
    {"text": "2026112100042 这个工单什么时候能处理？我的查询码是K7PX9Q。", "names": ["田甜"], "pii": []},
    {
        "text": "我是沪C88K66的车主，在滨江路停车场被多收了50元停车费。电话021-64001122转803。",
        "names": ["沈涛"],
        "pii": [{"text": "沪C88K66", "kind": "plate"}, {"text": "021-64001122转803", "kind": "phone"}],
    },
    {
        "text": "反映人孙立新（身份证号320106198507152316）要求查询公积金缴存记录。",
        "names": ["孙立新"],
        "pii": [{"text": "孙立新", "kind": "name"}, {"text": "320106198507152316", "kind": "id_no"}],
    },
    {
        "text": "青年路的下水井盖丢了，已经有两辆电动车摔倒，位置大概在青年路和解放街路口往北50米。",
        "names": ["朱丹"],
        "pii": [],
    },
    {
        "text": "诸葛先生来信：学府路小学门口接送孩子的车辆乱停，早上7:40-8:10最堵。",
        "names": ["诸葛明"],
        "pii": [{"text": "诸葛先生", "kind": "name", "secret": "诸葛"}],
    },
    {"text": "招聘单位要求交500元押金，还扣押了我的身份证，这是否合法？", "names": ["杨帆"], "pii": []},
    {
        "text": "我家住望江苑8栋1单元1101室，楼下水泵房噪音很大，已经影响睡眠三个月。电话：0755 2666 8888",
        "names": ["韩冰"],
        "pii": [{"text": "8栋1单元1101室", "kind": "address"}, {"text": "0755 2666 8888", "kind": "phone"}],
    },
    {
        "text": "外卖骑手闯红灯，在建设大道撞了我家老人。对方车牌浙A12345，电话17712345678。",
        "names": ["许诺"],
        "pii": [{"text": "浙A12345", "kind": "plate"}, {"text": "17712345678", "kind": "phone"}],
    },
    {
        "text": "许女士表示，如果本周内不处理，将向上级部门反映。许诺 2026年11月20日",
        "names": ["许诺"],
        "pii": [{"text": "许女士", "kind": "name", "secret": "许"}, {"text": "许诺", "kind": "name"}],
    },
    {"text": "电影院门口的公厕已经关闭半年，请问什么时候重新开放？", "names": ["蒋雯"], "pii": []},
    {
        "text": "我的邮箱是 Wang.Lei@example.cn，手机号+86 13900001111，请任选一种方式答复。",
        "names": ["王磊"],
        "pii": [{"text": "Wang.Lei@example.cn", "kind": "email"}, {"text": "+86 13900001111", "kind": "phone"}],
    },
    {"text": "医保卡在外地使用时报销比例是70%还是50%？", "names": ["邓超"], "pii": []},
]


# Written after the redactor was tuned on the rest, without changing it for these: an honest check.
HELD_OUT: list[dict] = [
    {
        "text": "联系我：一三八零零一三八零零零，白天上班不方便接听。",
        "names": ["卢军"],
        "pii": [{"text": "一三八零零一三八零零零", "kind": "phone"}],
    },
    {
        "text": "座机(0755)26668888，找前台转物业经理。",
        "names": ["严华"],
        "pii": [{"text": "(0755)26668888", "kind": "phone"}],
    },
    {
        "text": "本人身份证号码：51010719850101001x，社保卡一直无法激活。",
        "names": ["江涛"],
        "pii": [{"text": "51010719850101001x", "kind": "id_no"}],
    },
    {
        "text": "王芳反映：邻居王芳芳家的空调外机滴水到我家阳台。",
        "names": ["王芳"],
        "pii": [{"text": "王芳反映", "kind": "name", "secret": "王芳"}],
    },
    {"text": "粤b12345这辆车每天占用消防通道。", "names": ["梁宇"], "pii": [{"text": "粤b12345", "kind": "plate"}]},
    {
        "text": "回复请发 LIANG.YU@EXAMPLE.COM 。",
        "names": ["梁宇"],
        "pii": [{"text": "LIANG.YU@EXAMPLE.COM", "kind": "email"}],
    },
    {"text": "根据2026年度第3批补贴名单和第12345号文件，按95100后按1再按2可以查询。", "names": ["宋佳"], "pii": []},
    {"text": "我住学府路18号附近，门口的树被砍了。", "names": ["唐亮"], "pii": [{"text": "18号", "kind": "address"}]},
    {
        "text": "唐师傅说他的手机138 0013 8000打不通，请改打他爱人电话13900139000。",
        "names": ["唐亮"],
        "pii": [
            {"text": "唐师傅", "kind": "name", "secret": "唐"},
            {"text": "138 0013 8000", "kind": "phone"},
            {"text": "13900139000", "kind": "phone"},
        ],
    },
    {"text": "建议：将光明巷改为单行道，早高峰7:30-8:30车流量约每小时800辆。", "names": ["彭越"], "pii": []},
]


def main() -> None:
    items = HAND_WRITTEN + templated(80) + HELD_OUT
    out = Path(__file__).with_name("redaction_corpus.json")
    out.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(items)} messages -> {out}")


if __name__ == "__main__":
    main()
