"""A department's plan as a workbook laid out like the plan document's tables (中程施政計畫工作簿).

- `layout`: the file's contract — sheet names, column headers and the words written for
  choices, all the plan document's own zh-Hant words, never translated — and the cell
  errors, which name the sheet, the row and the column.
- `export`: a department plan (or nothing: the empty template) as those sheets.
- `reader`: a file read, checked whole and turned into plain rows, or every error found.
- `preview`: the rows compared with the department plan as stored — what would be created,
  changed or left unchanged — which `kpi.services.plan_workbook_apply` then writes, all or nothing.
"""
