"""The leading group's dashboard and its work ledger (issue 13, items 5 and 6): the same suppressed
figures (``programme.selectors.dashboard``) as a page with a chart beside each table, as an Excel
workbook and as a PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from programme import ledger
from programme.selectors.dashboard import Dashboard, chart_data, dashboard_for


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404 from None


def _dashboard(request) -> Dashboard:
    return dashboard_for(user=request.user, year=_int(request.GET.get("year")), unit_id=_int(request.GET.get("unit")))


@login_required
def dashboard(request):
    board = _dashboard(request)
    this_year = timezone.localdate().year
    return render(
        request,
        "programme/dashboard.html",
        {
            "board": board,
            "chart_data": chart_data(board),
            "years": list(range(this_year, this_year - 5, -1)),
            "query": request.GET.urlencode(),
        },
    )


def _attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def ledger_xlsx(request):
    board = _dashboard(request)
    return _attachment(
        ledger.workbook(board),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"work-ledger-{board.period.year}.xlsx",
    )


@login_required
def ledger_pdf(request):
    board = _dashboard(request)
    return _attachment(ledger.pdf(board), "application/pdf", f"work-ledger-{board.period.year}.pdf")
