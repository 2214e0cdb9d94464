"""Excel exports: the evaluation (考评, one sheet per table, the dispatch centre and the
method) and the list of cases behind one figure. Chinese headers; the same rows and
columns as the page and the API."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .evaluation import Evaluation
from .method import CENTRE_COLUMNS, DEPARTMENT_COLUMNS, RATE_COLUMNS, TOWNSHIP_COLUMNS
from .periods import Period


def _value(row, attr: str):
    value = getattr(row, attr)
    return str(value) if attr == "status_label" else value


def _sheet(wb, title: str, period: Period, columns, rows) -> None:
    ws = wb.create_sheet(title=title[:31])
    ws.append([f"{title}({period.label} {period.start}—{period.end})"])
    ws["A1"].font = Font(bold=True)
    ws.append([str(label) for _attr, label, _fig in columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_value(row, attr) for attr, _label, _fig in columns])
        for col, (attr, _label, _fig) in enumerate(columns, start=1):
            if attr in RATE_COLUMNS:
                ws.cell(row=ws.max_row, column=col).number_format = "0.00%"
    ws.freeze_panes = "C3"


def evaluation_workbook(*, result: Evaluation, county: bool) -> bytes:
    """Sheets: 部门考评, and for the county 乡镇考评 (with 万人成诉率) and 调度中心; then the
    method with the weights in force."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, _("部门考评"), result.period, DEPARTMENT_COLUMNS, result.departments)
    if county:
        _sheet(wb, _("乡镇考评"), result.period, TOWNSHIP_COLUMNS, result.townships)
        if result.centre is not None:
            ws = wb.create_sheet(title=_("调度中心"))
            ws.append([_("调度中心分流(%(p)s)") % {"p": result.period.label}])
            for attr, label in CENTRE_COLUMNS:
                ws.append([str(label), getattr(result.centre, attr)])
    ws = wb.create_sheet(title=_("考评办法"))
    ws.append([_("考评办法"), _("最低件数"), result.method["minimum_volume"]])
    ws.append([_("考评对象"), _("指标"), _("类型"), _("权重/扣分"), _("计算方法")])
    names = {"department": _("部门"), "township": _("乡镇街道")}
    kinds = {"rate": _("比率"), "deduction": _("扣分")}
    for table, indicators in result.method["tables"].items():
        for ind in indicators:
            ws.append(
                [names[table], ind["label"], kinds[ind["kind"]], ind["weight"], ind["formula"]]
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cases_workbook(*, title: str, headers: list[str], cases) -> bytes:
    """The cases behind a figure, as a supervisor exports them."""
    wb = Workbook()
    ws = wb.active
    ws.title = "cases"
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    ws.append(headers)
    for c in cases:
        ws.append(
            [
                c.number,
                c.title,
                c.department.name if c.department_id else "",
                c.township.name if c.township_id else "",
                str(c.get_state_display()),
                timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M") if c.due_at else "",
                timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M") if c.closed_at else "",
                str(c.get_outcome_display()) if c.outcome else "",
                c.reply_document,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
