"""Excel export of the evaluation (考评): one sheet per table, Chinese headers."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .selectors import EVAL_COLUMNS, EvalRow, Period

RATE_COLUMNS = {"on_time_rate", "routing_accuracy", "success_rate", "satisfaction_rate"}


def evaluation_workbook(*, period: Period, tables: list[tuple[str, list[EvalRow]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in tables:
        ws = wb.create_sheet(title=title[:31])
        ws.append([f"{title}({period.label})"])
        ws["A1"].font = Font(bold=True)
        ws.append([str(label) for _attr, label in EVAL_COLUMNS])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([getattr(row, attr) for attr, _label in EVAL_COLUMNS])
            for col, (attr, _label) in enumerate(EVAL_COLUMNS, start=1):
                if attr in RATE_COLUMNS:
                    ws.cell(row=ws.max_row, column=col).number_format = "0.00%"
        ws.freeze_panes = "C3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
