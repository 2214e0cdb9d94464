"""Fill the benchmark database with a seeded, realistic county-or-province of cases.

Run against an empty, migrated database with the demo county loaded::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luodian_bench \
        .venv/bin/python bench/generate.py --scale 100000 --seed 42

Rows go in with PostgreSQL ``COPY`` from in-memory buffers, in batches. Every row is built
from the model's concrete fields (explicit values here, the field's default otherwise), so a
column another app adds later does not break the generator. Cases are spread over
``--years`` years, all categories, townships, channels and departments (by the routing
rules), in every lifecycle state, with the fields each state implies (a dispatched case has
a department and deadlines, a closed one an outcome and ``closed_at``…), an event log that
replays the path to its state, and parties. Case numbers are unique per year, the yearly
counters and the id sequences are reset afterwards. Same seed + same ``--anchor`` day =
the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luodian_platform.settings")

import django  # noqa: E402

django.setup()

from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.models import NOT_PROVIDED  # noqa: E402

from dispatch.models import RoutingRule  # noqa: E402
from intake.models import Case, CaseCounter, CaseEvent, Channel, Outcome, Party, State  # noqa: E402
from luodian_platform.models import Category, Department, Township, User, Window  # noqa: E402

UTC = dt.UTC
DAY = 86400.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌宇浩凯鹏飞"
COMPANIES = ["建筑工程有限公司", "劳务有限公司", "物业服务有限公司", "运输有限公司", "商贸有限公司"]
SUBJECTS = {
    "labour": ["拖欠工资", "工伤赔偿", "解除劳动合同补偿", "欠薪讨薪"],
    "family": ["离婚财产分割", "赡养老人", "抚养费", "家庭矛盾"],
    "neighbour": ["宅基地界址", "排水纠纷", "噪音扰民", "通行权"],
    "traffic": ["交通事故赔偿", "车辆刮擦", "电动车碰撞"],
    "property": ["物业费", "漏水损害", "停车位"],
    "land": ["山林权属", "土地承包", "征地补偿"],
    "medical": ["医疗损害赔偿", "诊疗纠纷"],
    "consumer": ["商品质量", "预付卡退费", "装修合同"],
    "petition": ["反映拆迁安置", "反映低保评定", "反映工程质量"],
    "consultation": ["咨询继承", "咨询劳动合同", "咨询借贷"],
    "legal_aid": ["申请法律援助"],
    "counselling": ["情绪疏导", "家庭关系疏导"],
    "court_referral": ["民间借贷", "买卖合同", "租赁合同"],
}
CHANNEL_WEIGHTS = [
    (Channel.WALK_IN, 50),
    (Channel.HOTLINE_12345, 25),
    (Channel.ZONGZHI, 10),
    (Channel.PINGAN_APP, 8),
    (Channel.SCREENING, 5),
    (Channel.COURT, 2),
]
CATEGORY_WEIGHTS = {
    "labour": 16,
    "family": 12,
    "neighbour": 14,
    "traffic": 8,
    "property": 6,
    "land": 8,
    "medical": 3,
    "consumer": 7,
    "petition": 8,
    "consultation": 8,
    "legal_aid": 4,
    "counselling": 2,
    "court_referral": 4,
}
# State mix for recent cases (last --recent-days) and for older ones.
RECENT_STATES = [
    (State.RECEIVED, 4),
    (State.REGISTERED, 8),
    (State.DISPATCHED, 12),
    (State.ACCEPTED, 22),
    (State.MEDIATING, 12),
    (State.SUSPENDED, 3),
    (State.REPLIED, 7),
    (State.CLOSED, 20),
    (State.ARCHIVED, 6),
    (State.REJECTED, 5),
    (State.MERGED, 1),
]
OLD_STATES = [
    (State.ACCEPTED, 2),
    (State.MEDIATING, 1),
    (State.SUSPENDED, 2),
    (State.REPLIED, 0.5),
    (State.DISPATCHED, 0.5),
    (State.CLOSED, 25),
    (State.ARCHIVED, 60),
    (State.REJECTED, 7),
    (State.MERGED, 2),
]
HANDLING = {State.DISPATCHED, State.ACCEPTED, State.MEDIATING}


def _weighted(pairs):
    values = [p[0] for p in pairs]
    cum, total = [], 0.0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum


class CopyTable:
    """Rows for one model, written as PostgreSQL text-format COPY input."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.table = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = [self._default(f) for f in self.fields]
        # Fields of other packages (encrypted columns, blind indexes) store what their own
        # code computes: run it, so the generated rows read back like the service's rows.
        self.custom = {
            f.attname: f
            for f in self.fields
            if not type(f).__module__.startswith("django.") and not f.primary_key
        }
        self.buf = io.StringIO()
        self.rows = 0
        self.total = 0

    @staticmethod
    def _default(field):
        if field.primary_key:
            return None
        if field.default is not NOT_PROVIDED:
            value = field.default() if callable(field.default) else field.default
            return _fmt(value)
        if field.null:
            return r"\N"
        if isinstance(field, (models.CharField, models.TextField)):
            return ""
        if isinstance(field, models.BooleanField):
            return "f"
        if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            return "0"
        if isinstance(field, models.JSONField):
            return "{}"
        if isinstance(field, models.DateTimeField):
            return dt.datetime(2020, 1, 1, tzinfo=UTC).isoformat()
        if isinstance(field, models.DateField):
            return "2020-01-01"
        return r"\N"

    def add(self, values: dict) -> None:
        if self.custom:
            values = dict(values)
            for name, f in self.custom.items():
                source = getattr(f, "source", None)
                if source:
                    from luodian_platform.crypto import blind_index

                    values[name] = blind_index(values.get(source) or "")
                elif name in values:
                    values[name] = f.get_db_prep_save(values[name], connection)
        out = []
        for name, default in zip(self.attnames, self.defaults, strict=True):
            if name in values:
                out.append(_fmt(values[name]))
            else:
                out.append(default)
        self.buf.write("\t".join(out))
        self.buf.write("\n")
        self.rows += 1

    def flush(self, cursor) -> None:
        if not self.rows:
            return
        self.buf.seek(0)
        cols = ", ".join(f'"{c}"' for c in self.columns)
        cursor.copy_expert(f'COPY "{self.table}" ({cols}) FROM STDIN', self.buf)
        self.total += self.rows
        self.buf = io.StringIO()
        self.rows = 0


_ESC = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _fmt(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESC)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return dt.datetime.fromtimestamp(value, UTC).isoformat()  # floats are timestamps
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESC)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).translate(_ESC)


def _id_number(rng: random.Random, birth_year: int) -> str:
    body = (
        f"5227{rng.randint(10, 99)}{birth_year}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    )
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def generate(scale: int, seed: int, years: int, recent_days: int, anchor: dt.datetime, batch: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    end = anchor.timestamp()
    start = end - years * 365.25 * DAY
    recent_from = end - recent_days * DAY

    categories = {c.code: c for c in Category.objects.all()}
    cat_codes = [c for c in CATEGORY_WEIGHTS if c in categories] or list(categories)
    cat_values, cat_cum = _weighted([(c, CATEGORY_WEIGHTS.get(c, 1)) for c in cat_codes])
    towns = list(Township.objects.all())
    town_values, town_cum = _weighted(
        [(t.pk, max(1, t.registered_population + t.floating_population)) for t in towns]
    )
    chan_values, chan_cum = _weighted(CHANNEL_WEIGHTS)
    recent_values, recent_cum = _weighted(RECENT_STATES)
    old_values, old_cum = _weighted(OLD_STATES)
    windows = [w.pk for w in Window.objects.filter(is_room=False)] or [None]
    depts = {d.code: d.pk for d in Department.objects.all()}
    handling_depts = [pk for code, pk in depts.items() if code != "centre"]
    route = {}
    for rule in RoutingRule.objects.filter(is_active=True).select_related("category"):
        route.setdefault(rule.category.code, rule.department_id)
    users = {u.username: u.pk for u in User.objects.all()}
    clerk = users.get("clerk")
    dispatcher = users.get("dispatcher")
    followup = users.get("followup")
    staff_by_dept: dict[int, list[int]] = {}
    for u in User.objects.exclude(department=None):
        staff_by_dept.setdefault(u.department_id, []).append(u.pk)

    first_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    counters = {c.year: c.last for c in CaseCounter.objects.all()}
    cases = CopyTable(Case)
    parties = CopyTable(Party)
    events = CopyTable(CaseEvent)
    next_party = (Party.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    next_event = (CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    # Creation times, sorted so ids grow with time as they do in production.
    created = sorted(rng.uniform(start, end) for _ in range(scale))
    stats: dict[str, int] = {}
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        for i, created_ts in enumerate(created):
            cid = first_id + i
            year = dt.datetime.fromtimestamp(created_ts, UTC).astimezone(_CN).year
            seq = counters.get(year, 0) + 1
            counters[year] = seq
            code = cat_values[_pick(rng, cat_cum)]
            channel = chan_values[_pick(rng, chan_cum)]
            if created_ts >= recent_from:
                state = recent_values[_pick(rng, recent_cum)]
            else:
                state = old_values[_pick(rng, old_cum)]
            if state == State.MERGED and i == 0:
                state = State.REJECTED
            stats[state] = stats.get(state, 0) + 1
            surname = rng.choice(SURNAMES)
            applicant = (
                surname + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            )
            subject = rng.choice(SUBJECTS.get(code, ["纠纷"]))
            town = town_values[_pick(rng, town_cum)]
            people = 1 if rng.random() < 0.9 else rng.randint(2, 40)
            is_group = people >= 5
            risk = "high" if is_group else ("medium" if rng.random() < 0.15 else "low")
            row = {
                "id": cid,
                "number": f"LD{year}-{seq:06d}",
                "title": f"{applicant}{subject}",
                "facts": f"{applicant}反映{subject}问题,请求依法处理。编号{cid}。",
                "request": "请求调解处理",
                "category_id": categories[code].pk,
                "channel": channel,
                "external_id": "" if channel == Channel.WALK_IN else f"{channel[:2].upper()}{cid}",
                "township_id": town,
                "place": "",
                "amount": Decimal(rng.randint(1, 2000) * 100)
                if code in ("labour", "traffic")
                else None,
                "people_count": people,
                "risk_level": risk,
                "is_group": is_group,
                "is_repeat": rng.random() < 0.05,
                "is_violence_risk": rng.random() < 0.01,
                "is_vulnerable": rng.random() < 0.08,
                "window_id": rng.choice(windows) if channel == Channel.WALK_IN else None,
                "registered_by_id": clerk if channel == Channel.WALK_IN else None,
                "state": state,
                "created_at": created_ts,
            }
            first = "register" if channel == Channel.WALK_IN else "receive"
            path = [
                (first, "", State.REGISTERED if first == "register" else State.RECEIVED, created_ts)
            ]
            t = created_ts
            remaining = end - created_ts

            def step(name, frm, to, frac, _path=path, _remaining=remaining):
                nonlocal t
                t = t + rng.uniform(0.02, frac) * max(_remaining, 3600.0) * 0.3
                t = min(t, end - 60)
                _path.append((name, frm, to, t))
                return t

            if state == State.RECEIVED:
                pass
            elif state in (State.REJECTED, State.MERGED):
                if first == "receive" and rng.random() < 0.5:
                    step("take_in", State.RECEIVED, State.REGISTERED, 0.05)
                frm = path[-1][2]
                step("reject" if state == State.REJECTED else "merge", frm, state, 0.05)
                if state == State.REJECTED:
                    row["reject_reason"] = "不属于受理范围,已告知当事人通过诉讼途径解决"
                    row["reject_channel"] = "人民法院"
                else:
                    row["merged_into_id"] = cid - 1
            elif (
                code == "consultation"
                and state in (State.CLOSED, State.ARCHIVED)
                and first == "register"
            ):
                at = step("handle_on_spot", State.REGISTERED, State.CLOSED, 0.01)
                row.update(
                    outcome=Outcome.HANDLED,
                    reply_text="已当场解答",
                    reply_document="即办件答复",
                    replied_by_id=clerk,
                    replied_at=at,
                    closed_at=at,
                )
                if state == State.ARCHIVED:
                    row["archived_at"] = step("archive", State.CLOSED, State.ARCHIVED, 0.2)
            else:
                if first == "receive":
                    step("take_in", State.RECEIVED, State.REGISTERED, 0.01)
                if state != State.REGISTERED:
                    dept = route.get(code) or rng.choice(handling_depts)
                    if rng.random() < 0.1:
                        dept = rng.choice(handling_depts)
                    at = step("dispatch", State.REGISTERED, State.DISPATCHED, 0.02)
                    limit = rng.choice((7, 15, 30, 60))
                    # Open cases: most still within their deadline, about one in five overdue.
                    due = at + limit * DAY * 1.4
                    if state in HANDLING or state == State.SUSPENDED:
                        due = end + rng.uniform(-0.2, 0.8) * limit * DAY * 1.4
                    row.update(
                        department_id=dept,
                        dispatched_at=at,
                        sign_due_at=at + DAY,
                        due_at=due,
                    )
                    staff = staff_by_dept.get(dept) or [None]
                    if state != State.DISPATCHED:
                        at = step("sign_for", State.DISPATCHED, State.ACCEPTED, 0.02)
                        row.update(assignee_id=rng.choice(staff), accepted_at=at)
                        mediate = code not in ("consultation", "petition", "legal_aid") and (
                            state == State.MEDIATING or rng.random() < 0.6
                        )
                        if mediate and state != State.ACCEPTED:
                            step("start_mediation", State.ACCEPTED, State.MEDIATING, 0.05)
                        cur = path[-1][2]
                        if state == State.SUSPENDED:
                            at = step("suspend", cur, State.SUSPENDED, 0.1)
                            row.update(suspended_at=at, suspended_from=cur)
                        elif state in (State.REPLIED, State.CLOSED, State.ARCHIVED):
                            outcome = (
                                (Outcome.AGREEMENT if rng.random() < 0.75 else Outcome.NOTICE)
                                if cur == State.MEDIATING
                                else Outcome.HANDLED
                            )
                            at = step("reply", cur, State.REPLIED, 0.2)
                            row.update(
                                outcome=outcome,
                                reply_text="经调解,双方达成一致"
                                if outcome == Outcome.AGREEMENT
                                else "已依法答复",
                                reply_document=f"罗调字〔{year}〕{seq}号",
                                replied_by_id=row.get("assignee_id"),
                                replied_at=at,
                            )
                            if outcome == Outcome.AGREEMENT:
                                row["agreement_signed_at"] = at
                            if state != State.REPLIED:
                                row["closed_at"] = step(
                                    "approve", State.REPLIED, State.CLOSED, 0.05
                                )
                            if state == State.ARCHIVED:
                                row["archived_at"] = step(
                                    "archive", State.CLOSED, State.ARCHIVED, 0.2
                                )
            row["version"] = len(path) - 1
            row["updated_at"] = t
            cases.add(row)
            for n, (name, frm, to, at) in enumerate(path):
                actor = (
                    clerk
                    if name in ("register", "handle_on_spot")
                    else None
                    if name == "receive"
                    else row.get("assignee_id")
                    if name in ("sign_for", "start_mediation", "suspend", "reply")
                    else followup
                    if name == "archive"
                    else dispatcher
                )
                events.add(
                    {
                        "id": next_event,
                        "case_id": cid,
                        "transition": name,
                        "from_state": frm,
                        "to_state": to,
                        "actor_id": actor,
                        "at": at,
                        "payload": {"channel": channel} if n == 0 else {},
                    }
                )
                next_event += 1
            born = rng.randint(1950, 2004)
            parties.add(
                {
                    "id": next_party,
                    "case_id": cid,
                    "role": Party.PartyRole.APPLICANT,
                    "kind": Party.Kind.PERSON,
                    "name": applicant,
                    "id_number": _id_number(rng, born),
                    "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                    "address": "贵州省黔南州罗甸县",
                }
            )
            next_party += 1
            if code not in ("consultation", "counselling", "legal_aid"):
                org = rng.random() < 0.4
                parties.add(
                    {
                        "id": next_party,
                        "case_id": cid,
                        "role": Party.PartyRole.RESPONDENT,
                        "kind": Party.Kind.ORG if org else Party.Kind.PERSON,
                        "name": (rng.choice(SURNAMES) + "某" + rng.choice(COMPANIES))
                        if org
                        else rng.choice(SURNAMES) + rng.choice(GIVEN),
                        "credit_code": f"91522728{rng.randint(0, 10**10 - 1):010d}" if org else "",
                    }
                )
                next_party += 1
            if (i + 1) % batch == 0:
                for table in (cases, parties, events):
                    table.flush(cursor)
                _progress(i + 1, scale, t0)
        for table in (cases, parties, events):
            table.flush(cursor)
        for year, last in counters.items():
            cursor.execute(
                f'INSERT INTO "{CaseCounter._meta.db_table}" (year, last) VALUES (%s, %s) '  # noqa: S608 - table name from model metadata
                "ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
                [year, last],
            )
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case, Party, CaseEvent]):
            cursor.execute(sql)
    return {
        "cases": cases.total,
        "parties": parties.total,
        "events": events.total,
        "states": {str(k): v for k, v in sorted(stats.items())},
        "years": sorted(counters),
        "seconds": round(time.monotonic() - t0, 1),
    }


_CN = dt.timezone(dt.timedelta(hours=8))


def _pick(rng: random.Random, cum: list[float]) -> int:
    from bisect import bisect_right

    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _progress(done: int, total: int, t0: float) -> None:
    rate = done / max(time.monotonic() - t0, 1e-6)
    print(f"  generated {done}/{total} cases ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--recent-days", type=int, default=120)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument(
        "--anchor",
        default=dt.datetime.now(UTC).date().isoformat(),
        help="the data ends at this day's 00:00 UTC (default today); same seed + anchor = same data",
    )
    parser.add_argument("--json", help="write the summary here")
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        parser.error("the generator needs PostgreSQL (COPY); set DATABASE_URL")
    anchor = dt.datetime.fromisoformat(args.anchor).replace(tzinfo=UTC)
    t0 = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # A bulk load of rows consistent by construction: skip the per-row deferred
            # foreign-key triggers (superuser only; reset at the end of the transaction).
            cursor.execute("SET LOCAL session_replication_role = replica")
        summary = generate(args.scale, args.seed, args.years, args.recent_days, anchor, args.batch)
        from bench import downstream

        with connection.cursor() as cursor:
            # Fresh statistics before the INSERT … SELECTs: with none, the planner expects a
            # few hundred cases and walks the party table once per case (quadratic at 1M).
            cursor.execute("ANALYZE intake_case, intake_party, intake_caseevent")
        summary["downstream"] = downstream.generate(seed=args.seed, batch=args.batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    summary["total_seconds"] = round(time.monotonic() - t0, 1)
    summary["seed"] = args.seed
    summary["anchor"] = args.anchor
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
