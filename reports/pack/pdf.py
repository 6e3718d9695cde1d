"""The meeting pack as PDF, laid out by WeasyPrint from reports/templates/reports/pack/.

- Fonts: the zh-Hant text is set in Noto Sans CJK TC (Debian's fonts-noto-cjk, found through
  fontconfig; scripts/system-deps.sh checks it is there). WeasyPrint embeds the glyphs it uses
  (a subset), so the file reads the same on a machine without the font.
- Nothing is fetched: the style is inline, the charts are inline SVG (reports.pack.charts), and
  `LocalOnlyFetcher` refuses every URL but a file under the font directories, so text typed by
  people (a narrative holding a URL, say) can never make the server fetch anything.
- The footer says 「第 N 頁，共 M 頁」 (`page_footer`), the header the plan and the department
  whose pages they are.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reports.pack import charts
from reports.pack.content import MeetingPack

# WeasyPrint reports each page it lays out at INFO: a hundred lines per city pack in the logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


class RefusedURL(ValueError):
    """The pack asked for something outside the machine's font directories."""


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, limited to files under the font directories (no network, no other file)."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=["file"], allow_redirects=False, **kwargs)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"the meeting pack fetches nothing: {url[:100]}")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in FONT_DIRS):
            raise RefusedURL(f"the meeting pack reads only font files: {url[:100]}")
        return super().fetch(url, headers)


def css_string(text: str) -> str:
    """`text` as a CSS string literal, safe inside a <style> element (no "<", so no "</style>")."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return f'"{escaped}"'


def page_footer() -> str:
    """「第 N 頁，共 M 頁」 as a CSS `content` value: the translated sentence around the counters."""
    sentence = _("Page %(page)s of %(pages)s")
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(sentence):
        if match.start() > position:
            parts.append(css_string(sentence[position : match.start()]))
        parts.append(f"counter({match.group(1)})")
        position = match.end()
    if position < len(sentence):
        parts.append(css_string(sentence[position:]))
    return " ".join(parts)


def html(pack: MeetingPack) -> str:
    header = f"{pack.title}｜{pack.scope}｜{pack.when}"
    css = render_to_string("reports/pack/pack.css", {"footer": page_footer(), "header": css_string(header)})
    bars = pack.bars
    return render_to_string(
        "reports/pack/pack.html",
        {
            "pack": pack,
            "css": css,
            "score_chart": charts.score_chart(bars, pack.report.thresholds, pack.chart_title) if bars else "",
            "lights_chart": charts.lights_chart(bars, pack.counts_title) if bars else "",
        },
    )


def render(pack: MeetingPack) -> bytes:
    document = HTML(string=html(pack), base_url=FONT_DIRS[0].as_uri() + "/", url_fetcher=LocalOnlyFetcher())
    return document.write_pdf()
