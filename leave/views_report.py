"""The HR officer's leave report (issue 11, items 7 and 8): untaken annual leave and work on rest days
by unit, with a chart and the same figures as a table, one unit's people, and the CSV / Excel export
of the rows shown.

HR officers only (rule ``leave.report``: 403 for anyone else, administrators included), for their
units (``leave.selectors_report``). A bad year or unit is a form error with status 400; an unknown
export format is a 404. Nothing clinical, and nothing about care leave, is on the page or in a file.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from leave import selectors_report
from leave.calendar import check_year
from wellbeing import policy

#: Export formats (the URL's ``fmt``).
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A text cell a spreadsheet would run as a formula (CSV injection): such cells get a leading "'".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ReportForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False)
    unit = forms.IntegerField(label=gettext_lazy("Unit"), required=False, min_value=1, max_value=2**31 - 1)

    def clean_year(self) -> int:
        year = self.cleaned_data.get("year")
        if year is None:
            return timezone.localdate().year
        try:
            check_year(year)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["year"]) from None
        return year


def _require(request, rule: str) -> None:
    if not policy.can(request.user, rule):
        raise PermissionDenied


def _read(request):
    """The form, the report for its year (None when the year is bad), the chosen unit's row and its
    people; the form carries any error."""
    form = ReportForm(request.GET)
    if not form.is_valid() and "year" in form.errors:
        return form, None, None, []
    year = form.cleaned_data["year"]
    report = selectors_report.untaken_by_unit(request.user, year)
    unit_id = form.cleaned_data.get("unit") if "unit" not in form.errors else None
    chosen, people = None, []
    if unit_id is not None:
        chosen = report.unit(unit_id)
        if chosen is None:
            form.add_error("unit", _("Choose one of the units in the report."))
        else:
            people = selectors_report.people_in_unit(request.user, year, unit_id)
    return form, report, chosen, people


def _days(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _chart_data(report) -> dict:
    """What static/js/leave_report.js draws: per unit, days taken and untaken (stacked to the
    entitlement) and the hours worked on rest days."""
    return {
        "locale": "EN" if (get_language() or "").startswith("en") else "ZH",
        "labels": {
            "taken": _("Taken"),
            "untaken": _("Untaken"),
            "days": _("Days"),
            "hours": _("Hours worked on rest days and nights"),
            "people": _("People"),
        },
        "units": [
            {
                "name": r.name,
                "label": r.label,
                "taken": float(r.taken),
                "untaken": float(max(r.untaken, Decimal(0))),
                "hours": float(r.rest_day_hours),
                "people": r.people,
            }
            for r in report.units
        ],
    }


def _page(request, form, report, chosen, people):
    status = 400 if form.errors else 200
    query = {"year": report.year} if report is not None else {}
    if chosen is not None:
        query["unit"] = chosen.unit_id
    this_year = timezone.localdate().year
    context = {
        "form": form,
        "report": report,
        "total": report.total if report is not None else None,
        "chosen": chosen,
        "people": people,
        "years": list(range(this_year + 1, this_year - 5, -1)),
        "min_share": int(selectors_report.min_share() * 100),
        "chart_data": _chart_data(report) if report is not None and report.units else None,
        "unit_query": urlencode({"year": report.year}) if report is not None else "",
        "exports": [(fmt, reverse("leave:report-export", args=[fmt]) + "?" + urlencode(query)) for fmt in FORMATS],
    }
    return render(request, "leave/report.html", context, status=status)


@login_required
@require_GET
def report(request):
    """Untaken annual leave and work on rest days by unit for a year; a unit's people on demand."""
    _require(request, "leave.report")
    return _page(request, *_read(request))


# --- Export -----------------------------------------------------------------------------------------


def _unit_table(report) -> tuple[list[str], list[list]]:
    header = [
        _("Unit"),
        _("People"),
        _("Entitled (days)"),
        _("Taken (days)"),
        _("Untaken (days)"),
        _("Still to take (days)"),
        _("Per cent taken"),
        _("People below %(share)s%%") % {"share": int(report.min_share * 100)},
        _("Weekend work (hours)"),
        _("Public holiday work (hours)"),
        _("Night work (hours)"),
        _("Time off in lieu earned (days)"),
        _("Unused time off in lieu (days)"),
    ]
    rows = [
        [
            r.label,
            r.people,
            r.entitled,
            r.taken,
            r.untaken,
            r.balance,
            r.share,
            r.below_share,
            r.weekend_hours,
            r.holiday_hours,
            r.night_hours,
            r.toil_accrued,
            r.toil_unused,
        ]
        for r in report.units
    ]
    return header, rows


def _people_table(people) -> tuple[list[str], list[list]]:
    header = [
        _("Name"),
        _("Staff ID"),
        _("Entitled (days)"),
        _("Taken (days)"),
        _("Untaken (days)"),
        _("Still to take (days)"),
        _("Per cent taken"),
        _("Weekend work (hours)"),
        _("Public holiday work (hours)"),
        _("Night work (hours)"),
        _("Time off in lieu earned (days)"),
        _("Unused time off in lieu (days)"),
    ]
    rows = [
        [
            p.name,
            p.external_id,
            p.entitled,
            p.taken,
            p.untaken,
            p.balance,
            p.share,
            p.weekend_hours,
            p.holiday_hours,
            p.night_hours,
            p.toil_accrued,
            p.toil_unused,
        ]
        for p in people
    ]
    return header, rows


def _safe_text(value):
    """Text as text: a name starting with "=" is not run as a formula by the spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _days(v) if isinstance(v, Decimal) else _safe_text(v) for v in row])
    # UTF-8 with a byte-order mark, so that Excel opens the Chinese names as Chinese.
    return out.getvalue().encode("utf-8-sig")


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _xlsx(title: str, header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Leave"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_number(v) if not isinstance(v, str) else _safe_text(v) for v in row])
    for i, text in enumerate(header, start=1):
        widest = max([len(str(text))] + [len(str(r[i - 1])) for r in rows])
        first = i <= 2
        sheet.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 10 if not first else 16), 40)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _filename(year: int, chosen, fmt: str) -> str:
    name = f"leave-report-{year}"
    if chosen is not None:
        name += f"-unit-{chosen.unit_id}"
    return re.sub(r"[^A-Za-z0-9_.-]", "", f"{name}.{fmt}")


@login_required
@require_GET
def report_export(request, fmt: str):
    """The rows of the report page as a spreadsheet: the units, or the chosen unit's people."""
    if fmt not in FORMATS:
        raise Http404
    _require(request, "leave.report")
    form, report, chosen, people = _read(request)
    if form.errors:
        return _page(request, form, report, chosen, people)
    if chosen is not None:
        header, rows = _people_table(people)
        title = chosen.name
    else:
        header, rows = _unit_table(report)
        title = _("Leave %(year)s") % {"year": report.year}
    if fmt == "csv":
        response = HttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(_xlsx(title, header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report.year, chosen, fmt)}"'
    response["Cache-Control"] = "private, no-store"
    return response
