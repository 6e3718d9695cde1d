"""The path converters of every URL conf: ``<id:…>`` for ids, ``<roc_year:…>`` for ROC years,
``<token_key:…>`` for the first characters of an API token.

Registered once, when the app registry is ready (`common.apps.CommonConfig.ready`), before any
URL conf is read. A segment that is not such a number does not match the route: the pages
answer 404, the API its JSON 404 (its catch-all). A number beyond the databases' range never
reaches a query, where SQLite's driver would overflow; a 5,000-digit segment is refused by
the route's regex before ``int()`` sees it. The rule itself is `common.numbers.bounded_int`.
"""

from __future__ import annotations

from django.urls import register_converter
from knox.settings import CONSTANTS

from common.numbers import MAX_ID, bounded_int
from common.years import MAX_ROC_YEAR, MIN_ROC_YEAR


class IdConverter:
    """``<id:pk>``: a positive id in the databases' range (1 to 2**63 − 1), else no match."""

    regex = f"[0-9]{{1,{len(str(MAX_ID))}}}"

    def to_python(self, value: str) -> int:
        return bounded_int(value, minimum=1, maximum=MAX_ID)

    def to_url(self, value) -> str:
        return str(value)


class RocYearConverter:
    """``<roc_year:year>``: an ROC year (民國年, 1 to 300), else no match; 2023 is not one."""

    regex = f"[0-9]{{1,{len(str(MAX_ROC_YEAR))}}}"

    def to_python(self, value: str) -> int:
        return bounded_int(value, minimum=MIN_ROC_YEAR, maximum=MAX_ROC_YEAR)

    def to_url(self, value) -> str:
        return str(value)


class TokenKeyConverter:
    """``<token_key:token_key>``: a token's first characters as knox keeps them (lowercase hex,
    no TOKEN_PREFIX is set); anything else does not match (a 404, never a query)."""

    regex = f"[0-9a-f]{{{CONSTANTS.TOKEN_KEY_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(RocYearConverter, "roc_year")
    register_converter(TokenKeyConverter, "token_key")
