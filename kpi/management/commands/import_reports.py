"""Import a spreadsheet of progress reports as a given user, as the upload page does.

    manage.py import_reports 114Q1.xlsx --user staff             # save as drafts
    manage.py import_reports 114Q1.xlsx --user staff --submit    # submit for review
    manage.py import_reports 114Q1.csv --user staff --dry-run    # check only, write nothing

The file, the checks and the rules are `kpi.importers`' (the page's): the user must be
able to report on every row's department, and the file is imported whole or not at
all. Every error is printed with its row number; the command then exits with an error.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kpi import importers


class Command(BaseCommand):
    help = "Import year-to-date progress reports from an xlsx, ods or csv file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The xlsx, ods or csv file (columns as in the template).")
        parser.add_argument("--user", required=True, help="Username of the person the reports are filed as.")
        parser.add_argument("--submit", action="store_true", help="Submit the reports for review (default: drafts).")
        parser.add_argument("--dry-run", action="store_true", help="Check the whole file; write nothing.")

    def handle(self, *args, file, user, submit=False, dry_run=False, **options):
        try:
            person = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"找不到使用者「{user}」。") from None
        if not person.is_active:
            raise CommandError(f"使用者「{user}」已停用。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到檔案「{file}」。")
        if path.stat().st_size > importers.MAX_FILE_BYTES:
            raise CommandError(
                f"檔案大小 {path.stat().st_size / 1048576:.1f} MB 超過上限 {importers.MAX_FILE_BYTES // 1048576} MB；"
                "請分批匯入。"
            )

        result = importers.import_reports(path.read_bytes(), path.name, user=person, submit=submit, dry_run=dry_run)

        for message in result.file_errors:
            self.stderr.write(message)
        for row in result.error_rows:
            for error in row.errors:
                self.stderr.write(f"第 {row.number} 列：{error}")
        if not result.ok:
            raise CommandError(f"{path.name} 有 {result.error_count} 個錯誤，未匯入任何資料。")

        counts = (
            f"新增 {result.created} 筆、更新 {result.updated} 筆、未變更 {result.unchanged} 筆、"
            f"送出審核 {result.submitted} 筆、略過 {result.skipped} 列（未填資料）"
        )
        if dry_run:
            self.stdout.write(f"{path.name} 檢查無誤（僅檢查，未寫入任何資料）：將{counts}。")
        else:
            self.stdout.write(self.style.SUCCESS(f"已匯入 {path.name}：{counts}。"))
