"""The work ledger (工作台账): the dashboard's figures as an Excel workbook (one sheet per area,
Chinese or English headers in the reader's language, frozen header rows, print titles, landscape
A4) and as a PDF. The same suppressed figures as the page: a hidden figure is "—" in both."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from programme.selectors.dashboard import Dashboard

HIDDEN = "—"
#: A cell a spreadsheet would run as a formula (CSV/formula injection) gets a leading "'".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _title(board: Dashboard) -> str:
    scope = board.unit.name if board.unit else _("All units")
    return _("Work ledger %(year)s: %(scope)s") % {"year": board.period.year, "scope": scope}


def _note(board: Dashboard) -> str:
    return (
        _("Figures under %(k)s people, and figures from which one could be worked out, are shown as “—”.")
        % {"k": board.k}
        + " "
        + _("Generated %(when)s.") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    )


def workbook(board: Dashboard) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE3EA")
    if board.plan is not None and board.plan.plan_id is not None:
        ws = wb.create_sheet(title=_sheet_name(_("Plan progress"), wb.sheetnames))
        ws.append([_title(board)])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([_("Plan progress")])
        ws.append([""])
        ws.append([_("Item"), _("Number")])
        for cell in ws[4]:
            cell.font = bold
            cell.fill = fill
        for label, value in board.plan.rows():
            ws.append([label, value])
        ws.freeze_panes = "A5"
        ws.print_title_rows = "1:4"
        ws.column_dimensions["A"].width = 34
    for table in board.tables:
        ws = wb.create_sheet(title=_sheet_name(table.title, wb.sheetnames))
        ws.append([_title(board)])
        ws.append([f"{table.title}: {table.dimension.explanation}"])
        ws.append([_note(board)])
        header = [_("Unit")] + [c.label for c in table.columns]
        ws.append(header)
        for cell in ws[4]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws["A1"].font = Font(bold=True, size=14)
        if not table.available:
            ws.append([_("This area describes the present: it is shown for the current year only.")])
        for row in table.rows:
            ws.append(
                [_text(("  " * row.depth) + row.label)]
                + [HIDDEN if row.values[c.key] is None else row.values[c.key] for c in table.columns]
            )
        ws.freeze_panes = "B5"
        ws.print_title_rows = "1:4"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.column_dimensions["A"].width = 34
        for index in range(2, len(header) + 1):
            ws.column_dimensions[get_column_letter(index)].width = 14
        ws.row_dimensions[4].height = 42
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(title: str, taken: list[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name[:25]} {n}", n + 1
    return candidate


FONT = "STSong-Light"


def pdf(board: Dashboard) -> bytes:
    """A4 landscape, one table per area; Chinese through the standard CID font every PDF reader has
    (nothing embedded, nothing downloaded)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=15, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=11.5, leading=15, spaceAfter=3)
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=28, rightMargin=28, topMargin=28, bottomMargin=28, title=_title(board)
    )
    story: list = [Paragraph(_title(board), title), Paragraph(_note(board), body), Spacer(1, 8)]
    if board.plan is not None and board.plan.plan_id is not None:
        story.append(Paragraph(_("Plan progress"), heading))
        progress = Table(
            [[Paragraph(label, cell), str(value)] for label, value in board.plan.rows()], colWidths=[200, 60]
        )
        progress.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#adb5bd")),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ]
            )
        )
        story += [progress, PageBreak()]
    for index, table in enumerate(board.tables):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(table.title, heading))
        story.append(Paragraph(str(table.dimension.explanation), body))
        story.append(Spacer(1, 4))
        if not table.available:
            story.append(Paragraph(_("This area describes the present: it is shown for the current year only."), body))
            continue
        data = [[Paragraph(_("Unit"), cell)] + [Paragraph(c.label, cell) for c in table.columns]]
        for row in table.rows:
            data.append(
                [Paragraph(("\u3000" * row.depth) + row.label, cell)]
                + [HIDDEN if row.values[c.key] is None else str(row.values[c.key]) for c in table.columns]
            )
        width = doc.width
        first = min(170, width * 0.28)
        other = (width - first) / max(1, len(table.columns))
        t = Table(data, colWidths=[first] + [other] * len(table.columns), repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde3ea")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#adb5bd")),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(t)
    doc.build(story)
    return out.getvalue()
