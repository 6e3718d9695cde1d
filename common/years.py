"""ROC (民國) years: conversion, free of framework imports (written for people by `common.formatting.roc_year`).

The database, the API and the importers all speak ROC years. Anything from 1 to 300
is accepted as an ROC year (1912–2211); a four-digit number is almost certainly a
Gregorian year given by mistake, and is rejected rather than silently converted.
"""

ROC_OFFSET = 1911
MIN_ROC_YEAR = 1
MAX_ROC_YEAR = 300


def to_gregorian(roc_year: int) -> int:
    return roc_year + ROC_OFFSET


def to_roc(gregorian_year: int) -> int:
    return gregorian_year - ROC_OFFSET


def is_roc_year(value: int) -> bool:
    return MIN_ROC_YEAR <= value <= MAX_ROC_YEAR
