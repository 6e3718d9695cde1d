"""common.spreadsheets.reading: any app's spreadsheet upload read into a header and numbered rows.

The report importer's own rules are tested in test_report_import.py; here, what the reader
does for any importer, and that its messages follow the language.
"""

import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook

from common.spreadsheets import reading


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8-sig")


def test_the_header_is_the_first_non_blank_row_and_rows_keep_their_numbers():
    sheet = reading.read_sheet(
        csv_bytes("\n,\n名稱（說明）,* 數量 \n甲,1\n\n乙,2\n"), "x.csv", required=["名稱", "數量"]
    )
    assert sheet.headers == ["名稱", "數量"]
    assert sheet.rows == [(4, ["甲", "1"]), (6, ["乙", "2"])]


def test_an_xlsx_percentage_reads_as_people_see_it():
    book = Workbook()
    book.active.append(["名稱", "比率"])
    book.active.append(["甲", 0.855])
    book.active["B2"].number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    sheet = reading.read_sheet(out.getvalue(), "x.xlsx")
    assert sheet.rows == [(2, ["甲", "85.5%"])]


def test_big5_csv_is_read():
    sheet = reading.read_sheet("名稱\n甲\n".encode("cp950"), "x.csv")
    assert sheet.rows == [(2, ["甲"])]


@pytest.mark.parametrize(
    ("data", "name", "zh_hant", "english"),
    [
        (b"a", "x.xls", "不接受「.xls」檔案", "“.xls” files are not accepted"),
        (b"a", "x", "不接受「.（無副檔名）」檔案", "Files without an extension are not accepted"),
        (b"", "x.csv", "檔案是空的。", "The file is empty."),
        (b"not a zip", "x.xlsx", "無法讀取 xlsx 檔", "Cannot read the xlsx file"),
        (csv_bytes("名稱,數量,單位\n"), "x.csv", "檔案中只有欄位名稱", "The file has only the column names"),
        (csv_bytes("名稱,名稱\n甲,乙\n"), "x.csv", "欄位「名稱」出現兩次", "The column “名稱” appears twice"),
        (
            csv_bytes("名稱\n甲\n"),
            "x.csv",
            "檔案缺少必要欄位：數量、單位。",
            "The file lacks required columns: 數量, 單位.",
        ),
    ],
)
def test_a_file_that_cannot_be_used_says_why_in_the_language_of_the_page(data, name, zh_hant, english):
    for language, expected in (("zh-hant", zh_hant), ("en", english)):
        with translation.override(language), pytest.raises(reading.FileError) as error:
            reading.read_sheet(data, name, required=["名稱", "數量", "單位"])
        assert expected in str(error.value), language


def test_limits_are_checked_before_reading(monkeypatch):
    with pytest.raises(reading.FileError, match="超過上限 10 MB"):
        reading.check_size(reading.MAX_FILE_BYTES + 1)
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    with pytest.raises(reading.FileError, match="檔案超過 2 列資料的上限"):
        reading.read_sheet(csv_bytes("名稱\n甲\n乙\n丙\n"), "x.csv")
    monkeypatch.setattr(reading, "MAX_UNPACKED_BYTES", 10)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", "x" * 100)
    with pytest.raises(reading.FileError, match="檔案內容過大"):
        reading.read_sheet(out.getvalue(), "x.ods")


def test_cell_text_reads_numbers_as_people_write_them():
    assert [reading.cell_text(v) for v in (1.0, 0.1, None, True, " 甲 ")] == ["1", "0.1", "", "TRUE", "甲"]
