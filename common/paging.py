"""Pages of a long list on an HTML page (第 2 頁，共 5 頁): ``?page=`` read one way, the
links that keep the page's other parameters, and the slice to ask the database for.

The page counts its rows in SQL and fetches one page with LIMIT/OFFSET (`offset`,
`per_page`); nothing here touches the rows. A page number that is not a whole number
from 1 is left out as any bad filter is (`common.params.query_int`: page 1, and a message
says so); one past the last page shows the last page, and a message says so too (after
the last rows of a page were approved, the queue comes back to a page that is gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.utils.translation import gettext as _

from common.numbers import MAX_ID
from common.params import query_int

# Page numbers shown around the current one, and at each end, before a gap (…).
AROUND, ENDS = 2, 1


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap (…)
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class Page:
    """Page `number` (from 1) of `count` rows, `per_page` a page; `query` is the page's
    other parameters, urlencoded, which every link keeps."""

    number: int
    count: int
    per_page: int
    query: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first row (0 when there are none)."""
        return self.offset + 1 if self.count else 0

    @property
    def last_index(self) -> int:
        return min(self.offset + self.per_page, self.count)

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def href(self, number: int) -> str:
        parts = [self.query] if self.query else []
        if number > 1:
            parts.append(urlencode({"page": number}))
        return "?" + "&".join(parts)

    @property
    def previous_href(self) -> str:
        return self.href(self.number - 1) if self.number > 1 else ""

    @property
    def next_href(self) -> str:
        return self.href(self.number + 1) if self.number < self.num_pages else ""

    @property
    def links(self) -> list[PageLink]:
        """Every page number near the current one and at both ends, with gaps between."""
        last = self.num_pages
        shown = sorted(
            {n for n in range(1, ENDS + 1)}
            | {n for n in range(self.number - AROUND, self.number + AROUND + 1)}
            | {n for n in range(last - ENDS + 1, last + 1)}
        )
        links: list[PageLink] = []
        previous = 0
        for n in shown:
            if not 1 <= n <= last:
                continue
            if n > previous + 1:
                links.append(PageLink(None))
            links.append(PageLink(n, self.href(n), n == self.number))
            previous = n
        return links


def page_from(request, *, count: int, per_page: int, query: dict | None = None) -> Page:
    """The page ``?page=`` asks for, of `count` rows; past the last page, the last page."""
    asked = query_int(request, "page", minimum=1, maximum=MAX_ID, label=_("Page number")) or 1
    page = Page(1, count, per_page, urlencode({k: v for k, v in (query or {}).items() if v is not None}))
    if asked > page.num_pages:
        messages.info(
            request,
            _("Page %(asked)s is past the last page: page %(page)s is shown.")
            % {"asked": asked, "page": page.num_pages},
        )
        asked = page.num_pages
    return Page(asked, count, per_page, page.query)
