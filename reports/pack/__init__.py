"""The meeting pack (施政績效報告): the yearly report laid out for a review meeting, as PDF or ODT.

    build_pack(report)        a `reports.yearly.YearlyReport` (of a year, or of a year as of
                              a period) as a `MeetingPack` (reports.pack.content)
    render(fmt, pack)         the file's bytes: "pdf" (WeasyPrint, reports.pack.pdf) or "odt"
                              (odfdo, reports.pack.odt)
    FORMATS                   format → content type

The pack is built from the yearly report's own rows (`build_yearly_report`, the same call
the page and the spreadsheets make), so a figure never reads one way in the meeting and
another on the page. One department's pack is written in the request
(reports.views.pack); the whole city's is a background job like the city's spreadsheets
(reports.exports, reports.models.YearlyExport).
"""

from __future__ import annotations

from reports.pack.content import MeetingPack
from reports.yearly import YearlyReport

FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
}


def build_pack(report: YearlyReport) -> MeetingPack:
    return MeetingPack(report)


def render(fmt: str, pack: MeetingPack) -> bytes:
    if fmt == "pdf":
        from reports.pack import pdf  # WeasyPrint loads pango when imported: only when asked

        return pdf.render(pack)
    if fmt == "odt":
        from reports.pack import odt

        return odt.render(pack)
    raise ValueError(f"unknown format {fmt!r}")
