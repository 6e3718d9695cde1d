"""The meeting pack as an editable ODF text document (.odt), written with odfdo.

The same content as the PDF (reports.pack.content): a cover, a table of contents (an index the
word processor updates with page numbers), the summary with its charts (the same SVG pictures),
and one section per department: the KPI table, the explanations and the sign-off table. Headings
are real headings (Heading 1–3), tables are real tables whose header row repeats on every page,
and the footer carries the page number and count as fields, so an officer can edit the text
before the meeting and the numbering follows. zh-Hant text is set in Noto Sans CJK TC.
"""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from odfdo import (
    Cell,
    Column,
    Document,
    Element,
    Frame,
    Header,
    Paragraph,
    Row,
    Span,
    Style,
    Table,
    VarPageCount,
    VarPageNumber,
)
from odfdo.header_rows import HeaderRows
from odfdo.toc import TOC

from reports.pack import charts
from reports.pack.content import KpiLine, MeetingPack

FONT = "Noto Sans CJK TC"
TEXT_WIDTH_CM = 17.0  # A4 portrait with 2 cm margins (odfdo's text template)
LIGHT_COLOURS = {"green": "#1e7b34", "yellow": "#8a6100", "red": "#b42318", "white": "#616e7c"}
KPI_COLUMNS = (1.5, 6.3, 2.1, 2.3, 1.9, 2.9)  # cm: 編號, 指標, 目標值, 實績, 達成度, 燈號
_PLACEHOLDER_PAGE, _PLACEHOLDER_PAGES = "\x00page\x00", "\x00pages\x00"


def _style(xml: str, *, automatic: bool, document: Document) -> None:
    document.insert_style(Element.from_tag(xml), automatic=automatic)


def _text_props(size: str, *, bold: bool = False, colour: str | None = None) -> str:
    weight = ' fo:font-weight="bold" style:font-weight-asian="bold"' if bold else ""
    color = f' fo:color="{colour}"' if colour else ""
    return (
        f'<style:text-properties style:font-name="{FONT}" style:font-name-asian="{FONT}" '
        f'fo:font-size="{size}" style:font-size-asian="{size}" fo:language="zh" fo:country="TW" '
        f'style:language-asian="zh" style:country-asian="TW"{weight}{color}/>'
    )


def _add_styles(document: Document) -> None:
    document.insert_style(
        Style("font-face", name=FONT, font_name=FONT, font_family=FONT, font_family_generic="swiss"),
    )
    common = {
        "PackBody": ("Standard", "", _text_props("10pt")),
        "PackSmall": ("Standard", "", _text_props("8.5pt", colour="#52606d")),
        "PackCell": ("Standard", "", _text_props("9pt")),
        "PackCellHead": (
            "Standard",
            '<style:paragraph-properties fo:text-align="center"/>',
            _text_props("9pt", bold=True),
        ),
        "PackCellNum": ("Standard", '<style:paragraph-properties fo:text-align="end"/>', _text_props("9pt")),
        "PackLabel": (
            "Standard",
            '<style:paragraph-properties fo:margin-top="0.15cm"/>',
            _text_props("9pt", bold=True),
        ),
        "PackCoverPlan": (
            "Standard",
            '<style:paragraph-properties fo:text-align="center" fo:margin-top="3cm"/>',
            _text_props("12pt"),
        ),
        "PackCoverTitle": (
            "Standard",
            '<style:paragraph-properties fo:text-align="center" fo:margin-top="1.2cm" fo:margin-bottom="0.8cm"/>',
            _text_props("28pt", bold=True),
        ),
        "PackCoverLine": ("Standard", '<style:paragraph-properties fo:text-align="center"/>', _text_props("16pt")),
        "PackCoverScope": (
            "Standard",
            '<style:paragraph-properties fo:text-align="center" fo:margin-top="0.6cm" fo:margin-bottom="1.5cm"/>',
            _text_props("20pt", bold=True),
        ),
        "PackFooter": ("Standard", '<style:paragraph-properties fo:text-align="center"/>', _text_props("9pt")),
    }
    for name, (parent, paragraph, text) in common.items():
        _style(
            f'<style:style style:name="{name}" style:family="paragraph" style:parent-style-name="{parent}">'
            f"{paragraph}{text}</style:style>",
            automatic=False,
            document=document,
        )
    for level, size in ((1, "15pt"), (2, "12pt"), (3, "10.5pt")):
        heading = document.get_style("paragraph", f"Heading_20_{level}")
        if heading is not None:
            heading.set_properties(
                area="text",
                properties={
                    "style:font-name": FONT,
                    "style:font-name-asian": FONT,
                    "fo:font-size": size,
                    "style:font-size-asian": size,
                },
            )
    contents_heading = document.get_style("paragraph", "Contents_20_Heading")
    if contents_heading is not None:  # the contents start on the page after the cover
        contents_heading.set_properties(area="paragraph", properties={"fo:break-before": "page"})
    _style(
        '<style:style style:name="PackPageBreak" style:family="paragraph" style:parent-style-name="Heading_20_1">'
        '<style:paragraph-properties fo:break-before="page"/></style:style>',
        automatic=True,
        document=document,
    )
    for light, colour in LIGHT_COLOURS.items():
        _style(
            f'<style:style style:name="PackLight_{light}" style:family="text">'
            f'<style:text-properties fo:color="{colour}" fo:font-weight="bold" style:font-weight-asian="bold"/>'
            "</style:style>",
            automatic=True,
            document=document,
        )
    _style(
        f'<style:style style:name="PackTable" style:family="table"><style:table-properties '
        f'style:width="{TEXT_WIDTH_CM}cm" table:align="margins" fo:margin-bottom="0.3cm"/></style:style>',
        automatic=True,
        document=document,
    )
    border = "0.5pt solid #7b8794"
    _style(
        f'<style:style style:name="PackTd" style:family="table-cell"><style:table-cell-properties '
        f'fo:border="{border}" fo:padding="0.08cm"/></style:style>',
        automatic=True,
        document=document,
    )
    _style(
        f'<style:style style:name="PackTh" style:family="table-cell"><style:table-cell-properties '
        f'fo:border="{border}" fo:padding="0.08cm" fo:background-color="#e4e7eb"/></style:style>',
        automatic=True,
        document=document,
    )
    _style(
        '<style:style style:name="PackSignRow" style:family="table-row"><style:table-row-properties '
        'style:min-row-height="2.2cm"/></style:style>',
        automatic=True,
        document=document,
    )
    _style(
        '<style:style style:name="PackRow" style:family="table-row"><style:table-row-properties '
        'fo:keep-together="always"/></style:style>',
        automatic=True,
        document=document,
    )


def _column_style(document: Document, name: str, width_cm: float) -> str:
    _style(
        f'<style:style style:name="{name}" style:family="table-column">'
        f'<style:table-column-properties style:column-width="{width_cm:.2f}cm"/></style:style>',
        automatic=True,
        document=document,
    )
    return name


def _cell(*paragraphs: Paragraph, head: bool = False) -> Cell:
    cell = Cell(style="PackTh" if head else "PackTd")
    for paragraph in paragraphs:
        cell.append(paragraph)
    return cell


def _table(
    document: Document,
    name: str,
    widths: list[float],
    header: list[str] | None,
    rows: list[list[Cell]],
    *,
    row_style: str = "PackRow",
) -> Table:
    """A table whose header row (if any) repeats on every page it runs over."""
    table = Table(name, style="PackTable")
    for i, width in enumerate(widths):
        table.append(Column(style=_column_style(document, f"{name}.C{i}", width)))
    if header:
        head = HeaderRows()
        head_row = Row()
        for text in header:
            head_row.append(_cell(Paragraph(text, style="PackCellHead"), head=True))
        head.append(head_row)
        table.append(head)
    for cells in rows:
        row = Row(style=row_style)
        for cell in cells:
            row.append(cell)
        table.append(row)
    return table


def _light(line: KpiLine) -> Paragraph:
    paragraph = Paragraph("", style="PackCell")
    paragraph.append(Span(f"{line.light_symbol} {line.light_label}", style=f"PackLight_{line.light}"))
    return paragraph


def _kpi_table(document: Document, name: str, pack: MeetingPack, lines: list[KpiLine]) -> Table:
    h = pack.headers
    rows = []
    for line in lines:

        def sub(text: str) -> list[Paragraph]:
            return [Paragraph(text, style="PackSmall")] if text else []

        rows.append(
            [
                _cell(Paragraph(line.code, style="PackCell")),
                _cell(Paragraph(line.name, style="PackCell")),
                _cell(Paragraph(line.target, style="PackCellNum"), *sub(line.original_target), *sub(line.planned)),
                _cell(Paragraph(line.actual, style="PackCellNum"), *sub(line.actual_period)),
                _cell(Paragraph(line.attainment, style="PackCellNum"), *sub(line.scored)),
                _cell(_light(line), *sub(line.basis), *sub(line.year_ratio), *sub(line.white_reason)),
            ]
        )
    header = [h["code"], h["indicator"], h["target"], h["actual"], h["attainment"], h["light"]]
    return _table(document, name, list(KPI_COLUMNS), header, rows)


def _picture(document: Document, svg: str, name: str) -> Paragraph:
    """An SVG chart as a picture in its own paragraph, at the text width."""
    uri = f"Pictures/{name}.svg"
    document.container.set_part(uri, svg.encode("utf-8"))
    document.manifest.add_full_path(uri, "image/svg+xml")
    width_px, height_px = charts.WIDTH, _svg_height(svg)
    height_cm = TEXT_WIDTH_CM * height_px / width_px
    frame = Frame.image_frame(uri, name=name, size=(f"{TEXT_WIDTH_CM}cm", f"{height_cm:.2f}cm"), anchor_type="as-char")
    paragraph = Paragraph("", style="PackBody")
    paragraph.append(frame)
    return paragraph


def _svg_height(svg: str) -> int:
    start = svg.index('height="') + len('height="')
    return int(svg[start : svg.index('"', start)])


def _footer(document: Document) -> None:
    """「第 N 頁，共 M 頁」 with the page number and count as fields."""
    sentence = _("Page %(page)s of %(pages)s") % {"page": _PLACEHOLDER_PAGE, "pages": _PLACEHOLDER_PAGES}
    paragraph = Paragraph("", style="PackFooter")
    for token in _tokens(sentence):
        if token == _PLACEHOLDER_PAGE:
            paragraph.append(VarPageNumber(select_page="current"))
        elif token == _PLACEHOLDER_PAGES:
            paragraph.append(VarPageCount())
        else:
            paragraph.append(token)
    master = document.get_style("master-page", "Standard")
    master.set_page_footer(paragraph)


def _tokens(sentence: str) -> list[str]:
    tokens, rest = [], sentence
    while rest:
        positions = [(rest.find(p), p) for p in (_PLACEHOLDER_PAGE, _PLACEHOLDER_PAGES) if p in rest]
        if not positions:
            tokens.append(rest)
            break
        at, placeholder = min(positions)
        if at:
            tokens.append(rest[:at])
        tokens.append(placeholder)
        rest = rest[at + len(placeholder) :]
    return tokens


def render(pack: MeetingPack) -> bytes:
    document = Document("text")
    document.body.clear()
    # odfdo's template carries a thumbnail of an empty page: the word processor writes the real one.
    document.container.del_part("Thumbnails/thumbnail.png")
    document.manifest.del_full_path("Thumbnails/thumbnail.png")
    _add_styles(document)
    _footer(document)
    body = document.body
    h = pack.headers
    document.set_language("zh-TW")
    document.meta.set_title(f"{pack.title}：{pack.scope} {pack.when}")

    # The cover.
    body.append(Paragraph(pack.plan_line, style="PackCoverPlan"))
    body.append(Paragraph(pack.title, style="PackCoverTitle"))
    body.append(Paragraph(pack.when, style="PackCoverLine"))
    body.append(Paragraph(pack.when_detail, style="PackCoverLine"))
    body.append(Paragraph(pack.scope, style="PackCoverScope"))
    cover = [
        (h["plan"], pack.plan_line),
        (h["period"], f"{pack.when}{pack.when_detail}"),
        (h["scope"], pack.scope),
        (h["date"], pack.date_text),
        (h["lights"], pack.thresholds_text),
    ]
    body.append(
        _table(
            document,
            "Cover",
            [4.0, TEXT_WIDTH_CM - 4.0],
            None,
            [
                [_cell(Paragraph(k, style="PackCellHead"), head=True), _cell(Paragraph(v, style="PackCell"))]
                for k, v in cover
            ],
        )
    )
    body.append(Paragraph(pack.basis_note, style="PackSmall"))

    # The contents: an index the word processor fills in with page numbers (Tools › Update).
    toc = TOC(h["contents"], outline_level=1)
    body.append(toc)

    # The summary and its charts.
    body.append(Header(1, pack.summary_title, style="PackPageBreak"))
    body.append(Paragraph(f"{pack.scope}　{pack.when}{pack.when_detail}", style="PackSmall"))
    if pack.summary_rows:
        headers = pack.summary_headers
        first = 5.0
        rest = (TEXT_WIDTH_CM - first) / (len(headers) - 1)
        rows = [
            [_cell(Paragraph(row[0], style="PackCell"))]
            + [_cell(Paragraph(cell, style="PackCellNum")) for cell in row[1:]]
            for row in pack.summary_rows
        ]
        body.append(_table(document, "Summary", [first] + [rest] * (len(headers) - 1), headers, rows))
    bars = pack.bars
    if bars:
        body.append(Paragraph(pack.chart_title, style="PackLabel"))
        body.append(
            _picture(document, charts.score_chart(bars, pack.report.thresholds, pack.chart_title), "ScoreChart")
        )
        body.append(Paragraph(pack.counts_title, style="PackLabel"))
        body.append(_picture(document, charts.lights_chart(bars, pack.counts_title), "LightsChart"))
    if pack.departments_without_indicators:
        body.append(
            Paragraph(h["without_indicators"] + "、".join(pack.departments_without_indicators), style="PackSmall")
        )
    if not pack.sections:
        body.append(Paragraph(h["no_indicators"], style="PackBody"))

    # One section per department.
    for section in pack.sections:
        body.append(Header(1, section.title, style="PackPageBreak"))
        for title, rollup, lines, name in (
            (h["kpis"], section.rollup_text, section.kpis, f"KPI{section.number}"),
            (h["commons"], section.common_rollup_text, section.commons, f"Common{section.number}"),
        ):
            if not lines:
                continue
            body.append(Header(2, title, style="Heading_20_2"))
            if rollup:
                body.append(Paragraph(rollup, style="PackSmall"))
            body.append(_kpi_table(document, name, pack, lines))
        body.append(Header(2, h["explanations"], style="Heading_20_2"))
        for line in section.lines:
            body.append(
                Header(3, f"{line.code} {line.name}（{line.light_symbol} {line.light_label}）", style="Heading_20_3")
            )
            fields = [(h["narrative"], line.narrative or h["not_given"])]
            if line.needs_explanation:
                fields.append((h["shortfall"], line.shortfall_reason or h["not_given"]))
                fields.append((h["improvement"], line.improvement_plan or h["not_given"]))
            if line.working:
                fields.append((h["working"], line.working))
            for label, text in fields:
                body.append(Paragraph(label, style="PackLabel"))
                body.append(Paragraph(text, style="PackBody"))
            body.append(Paragraph(h["evidence"], style="PackLabel"))
            for name in line.evidence or [h["none"]]:
                body.append(Paragraph(f"・{name}" if line.evidence else name, style="PackBody"))
        roles = pack.sign_off_roles
        sign = _table(
            document,
            f"SignOff{section.number}",
            [TEXT_WIDTH_CM / len(roles)] * len(roles),
            roles,
            [[_cell(Paragraph(h["signature"], style="PackSmall")) for _role in roles]],
            row_style="PackSignRow",  # room to sign under each role
        )
        body.append(Paragraph("", style="PackBody"))
        body.append(sign)

    toc.fill(document)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
