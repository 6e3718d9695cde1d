"""ROC (民國) years: conversion, free of framework imports (written for people by `common.formatting.roc_year`).

The database, the API and the importers all speak ROC years. Anything from 1 to 300
is accepted as an ROC year (1912–2211); a four-digit number is almost certainly a
Gregorian year given by mistake, and is rejected rather than silently converted.
"""

from common.numbers import bounded_int

ROC_OFFSET = 1911
MIN_ROC_YEAR = 1
MAX_ROC_YEAR = 300


def to_gregorian(roc_year: int) -> int:
    return roc_year + ROC_OFFSET


def to_roc(gregorian_year: int) -> int:
    return gregorian_year - ROC_OFFSET


def is_roc_year(value: int) -> bool:
    return MIN_ROC_YEAR <= value <= MAX_ROC_YEAR


# The widest number read as a year: four digits, so that a Gregorian year typed by mistake
# (2023) is still seen and refused with a hint, and no longer text reaches int().
YEAR_LIMIT = 9999


def parse_year(raw: object) -> int:
    """A year as typed (an ROC year or, by mistake, a Gregorian one) from a request parameter.

    Raises `common.numbers.NotANumber` for text that is not a whole number and
    `common.numbers.OutOfRange` beyond four digits (both ValueError); whether it is an
    ROC year is `is_roc_year`'s question.
    """
    return bounded_int(raw, minimum=-YEAR_LIMIT, maximum=YEAR_LIMIT)
