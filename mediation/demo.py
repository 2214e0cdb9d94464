"""The demo county's mediators: staff mediators, the industry committees' members, the
29-strong expert pool (调解专家库) and the partner law firms' lawyers. Idempotent, keyed by
(name, kind). Names are invented."""

from __future__ import annotations

from luodian_platform.models import Category, Department, Township, User

from .models import Mediator

# (name, kind, department code, category codes, specialities, township code)
STAFF = [
    ("陈调解", "staff", "rsj", ["labour"], "劳动争议、欠薪", "longping"),
    ("杨春梅", "staff", "sfj", ["neighbour", "family", "land"], "邻里、婚姻家庭", "hexing"),
]
COMMITTEE = [
    ("韦国强", "committee", "tj-labour", ["labour"], "工资、工伤待遇", "longping"),
    ("罗秀英", "committee", "tj-labour", ["labour"], "建筑工地欠薪", "bianyang"),
    ("王德明", "committee", "tj-traffic", ["traffic"], "交通事故赔偿", "longping"),
    ("黄丽", "committee", "tj-traffic", ["traffic"], "保险理赔", "hexing"),
    ("岑玉兰", "committee", "tj-family", ["family"], "婚姻、抚养、赡养", "longping"),
    ("班文华", "committee", "tj-family", ["family", "neighbour"], "家事调解", "fengting"),
    ("吴建军", "committee", "tj-property", ["property"], "物业服务费、维修", "hexing"),
    ("梁红", "committee", "tj-property", ["property", "consumer"], "业主与物业", "longping"),
]
LAWYERS = [
    ("刘志远", "lawyer", "law-qianjun", ["labour", "consumer"], "劳动法、合同法", "longping"),
    ("蒙晓燕", "lawyer", "law-qianjun", ["family", "medical"], "婚姻家事、医疗损害", "longping"),
    ("谭海", "lawyer", "law-fangzheng", ["traffic", "land"], "侵权、土地", "hexing"),
    ("何静", "lawyer", "law-fangzheng", ["property", "court_referral"], "物权、诉前调解", "hexing"),
]
_EXPERT_SEED = [
    ("罗成", "land", "土地山林确权"),
    ("陆永红", "land", "林权纠纷"),
    ("韦光荣", "neighbour", "村规民约"),
    ("岑德胜", "neighbour", "宅基地相邻"),
    ("潘秀珍", "family", "婚姻家庭"),
    ("杨光明", "family", "赡养纠纷"),
    ("王志刚", "labour", "劳动保障"),
    ("罗小平", "labour", "工伤认定"),
    ("黄世英", "medical", "临床医学"),
    ("李明华", "medical", "医疗鉴定"),
    ("吴天福", "traffic", "交通事故责任"),
    ("蒙金凤", "traffic", "车辆定损"),
    ("班仕林", "property", "物业管理"),
    ("陆文静", "consumer", "消费者权益"),
    ("韦美玲", "consumer", "产品质量"),
    ("梁正国", "land", "征地补偿"),
    ("熊开明", "neighbour", "民族习惯调解"),
    ("覃丽萍", "family", "心理咨询"),
    ("石永福", "labour", "农民工权益"),
    ("龙启华", "court_referral", "退休法官"),
    ("周德兴", "court_referral", "退休检察官"),
    ("邓玉芬", "family", "妇女儿童权益"),
    ("冉建平", "medical", "卫生管理"),
    ("田继光", "land", "水利纠纷"),
    ("吴秀兰", "neighbour", "村(居)调解"),
    ("杨建华", "property", "建筑工程"),
    ("罗光辉", "traffic", "保险理赔"),
    ("王金花", "labour", "社会保险"),
    ("黄永刚", "consumer", "价格争议"),
]
TOWNSHIP_CYCLE = [
    "longping",
    "hexing",
    "bianyang",
    "fengting",
    "moyang",
    "maojing",
    "luokun",
    "hongshuihe",
    "muyin",
    "luosha",
]
EXPERTS = [
    (name, "expert", None, [cat], spec, TOWNSHIP_CYCLE[i % len(TOWNSHIP_CYCLE)])
    for i, (name, cat, spec) in enumerate(_EXPERT_SEED)
]


def load() -> dict[str, int]:
    categories = {c.code: c for c in Category.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    townships = {t.code: t for t in Township.objects.all()}
    for name, kind, dept, cats, spec, town in [*STAFF, *COMMITTEE, *LAWYERS, *EXPERTS]:
        mediator, _created = Mediator.objects.update_or_create(
            name=name,
            kind=kind,
            defaults={
                "department": departments.get(dept) if dept else None,
                "specialities": spec,
                "township": townships.get(town),
                "availability_note": "工作日 9:00-17:00",
            },
        )
        mediator.categories.set([categories[c] for c in cats if c in categories])
    demo_user = User.objects.filter(username="mediator").first()
    if demo_user is not None:
        Mediator.objects.filter(name="陈调解", kind="staff").update(user=demo_user)
    return {
        "mediators": Mediator.objects.count(),
        "experts": Mediator.objects.filter(kind=Mediator.Kind.EXPERT).count(),
    }
