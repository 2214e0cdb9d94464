"""Import a CSV export of the 12345 hotline system as channel orders.

Each row becomes the same JSON order the channel API accepts and goes through the same
validation and idempotency (channel + 工单编号), so importing a file twice, or importing
orders the hotline already pushed through the API, creates nothing new. Column mapping:
docs/intake.md.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from intake.api.channel import process_one, summarise
from intake.models import Channel, OtherProceeding
from luodian_platform.models import Category, Township

# CSV header -> order field (applicant/respondent columns become parties).
COLUMNS = {
    "工单编号": "external_id",
    "标题": "title",
    "诉求内容": "facts",
    "诉求类别": "category",
    "所属乡镇": "township",
    "发生地点": "place",
    "涉及金额": "amount",
    "涉及人数": "people_count",
    "已进入程序": "other_proceeding",
}
PROCEEDINGS = {
    "诉讼": OtherProceeding.LITIGATION,
    "仲裁": OtherProceeding.ARBITRATION,
    "行政复议": OtherProceeding.RECONSIDERATION,
    "信访": OtherProceeding.PETITION,
}


def _read(path: Path) -> list[dict[str, str]]:
    # Excel exports are often GB18030 with or without a BOM; try UTF-8 first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as f:
                return list(csv.DictReader(f))
        except UnicodeDecodeError:
            continue
    raise CommandError(f"cannot decode {path} as UTF-8 or GB18030")


def row_to_order(row: dict[str, str], categories: dict, townships: dict) -> dict:
    row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
    order: dict = {field: row[col] for col, field in COLUMNS.items() if row.get(col)}
    if "category" in order:
        order["category"] = categories.get(order["category"], order["category"])
    if "township" in order:
        order["township"] = townships.get(order["township"], order["township"])
    if "title" not in order and order.get("facts"):
        order["title"] = order["facts"][:30]
    if "other_proceeding" in order:
        order["other_proceeding"] = PROCEEDINGS.get(
            order["other_proceeding"], order["other_proceeding"]
        )
    parties = []
    if row.get("来电人") or row.get("来电号码"):
        parties.append(
            {
                "role": "applicant",
                "name": row.get("来电人", ""),
                "phone": row.get("来电号码", ""),
                "id_number": row.get("证件号码", ""),
            }
        )
    if row.get("被反映对象"):
        kind = "org" if row.get("被反映对象类型") in ("单位", "企业", "组织") else "person"
        parties.append({"role": "respondent", "kind": kind, "name": row["被反映对象"]})
    order["parties"] = parties
    return order


class Command(BaseCommand):
    help = "Import a 12345 hotline CSV export as channel orders (idempotent on 工单编号)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--channel",
            default=Channel.HOTLINE_12345,
            choices=[c for c in Channel.values if c != Channel.WALK_IN],
        )

    def handle(self, *args, path: Path, channel: str, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        # Category and township by Chinese name or by code.
        categories = {c.name: c.code for c in Category.objects.all()}
        townships = {t.name: t.code for t in Township.objects.all()}
        results = [
            process_one(i, row_to_order(row, categories, townships), channel=channel, source="csv")
            for i, row in enumerate(_read(path), start=2)  # line 1 is the header
        ]
        summary = summarise(results)
        for r in results:
            if r["status"] == "invalid":
                fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in r["error"]["fields"].items())
                self.stderr.write(
                    f"line {r['index']} {r['external_id']}: {fields or r['error']['message']}"
                )
        self.stdout.write(
            f"created {summary['created']}, existing {summary['existing']}, "
            f"invalid {summary['invalid']}"
        )
