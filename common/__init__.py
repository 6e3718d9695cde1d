"""Shared pieces that every app uses and that import none of the apps.

Years (ROC ↔ Gregorian), "today", text cleaning, formatting of figures and dates,
spreadsheet reading and writing, and the API's base classes. The layers contract in
pyproject.toml (import-linter, run by `make test`) keeps this package below `plans`,
`kpi` and `reports`.
"""
