"""Hostile spreadsheets against the import reader: time and peak memory.

    .venv/bin/python bench/import_limits.py                 # 2,000,000 blank rows per format
    .venv/bin/python bench/import_limits.py --rows 200000   # smaller, quicker

Builds, in memory, an xlsx, an ods and a csv that each hold only a header and
`--rows` blank rows (the xlsx as in issue #14: a few hundred KB zipped, about 98 MB
unpacked, under `MAX_UNPACKED_BYTES`), then reads each through
`common.spreadsheets.reading.read_sheet` in a child process of its own, so that each
gets a fresh peak RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes
the interpreter and Django, about 60–80 MB). A child still reading after `--timeout`
seconds is killed and reported as such. Prints a Markdown table: format, file size,
unpacked size, seconds, peak RSS and how the read ended (the reader's message, cut).

Standard library and the project's reader only; touches no database.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = ["指標代碼", "期別", "累計實績"]


def xlsx_bytes(rows: int, *, dimension: bool = True) -> bytes:
    """A minimal workbook whose one sheet holds `rows` blank rows after a header, and says so in
    its dimension element unless `dimension` is false (then only counting the rows read can stop it)."""
    declared = f'<dimension ref="A1:C{rows + 1}"/>' if dimension else ""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    f'spreadsheetml/2006/main">{declared}<sheetData><row r="1">'
                    + "".join(
                        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
                        for col, name in zip("ABC", HEADER, strict=True)
                    )
                    + "</row>"
                ).encode()
            )
            chunk = []
            for _ in range(rows):
                chunk.append('<row><c t="inlineStr"><is><t> </t></is></c></row>')
                if len(chunk) == 10000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return buf.getvalue()


def ods_bytes(rows: int) -> bytes:
    """An ods whose first table holds a header and `rows` blank rows, each its own element."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        with z.open("content.xml", "w") as content:
            content.write(
                (
                    '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:'
                    'tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
                    '<office:spreadsheet><table:table table:name="s"><table:table-row>'
                    + "".join(f"<table:table-cell><text:p>{name}</text:p></table:table-cell>" for name in HEADER)
                    + "</table:table-row>"
                ).encode()
            )
            row = b"<table:table-row/>"
            for _ in range(rows // 10000):
                content.write(row * 10000)
            content.write(row * (rows % 10000))
            content.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")
    return buf.getvalue()


def csv_bytes(rows: int) -> bytes:
    return (",".join(HEADER) + "\n" + ",,\n" * rows).encode()


BUILDERS = {
    "xlsx": xlsx_bytes,
    "xlsx-nodim": lambda rows: xlsx_bytes(rows, dimension=False),
    "ods": ods_bytes,
    "csv": csv_bytes,
}


def read_one(fmt: str, rows: int) -> None:
    """In the child: build the file, read it, print one JSON line."""
    import resource

    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    from django.utils import translation

    from common.spreadsheets.reading import FileError, read_sheet

    translation.activate("en")
    data = BUILDERS[fmt](rows)
    with zipfile.ZipFile(io.BytesIO(data)) if fmt != "csv" else _nothing() as archive:  # noqa: SIM117
        unpacked = sum(i.file_size for i in archive.infolist()) if archive else len(data)
    start = time.perf_counter()
    try:
        sheet = read_sheet(data, f"hostile.{fmt.split('-')[0]}")
        outcome = f"read: {len(sheet.rows)} rows"
    except FileError as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"size": len(data), "unpacked": unpacked, "seconds": seconds, "peak": peak, "outcome": outcome}))


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--formats", default="xlsx,xlsx-nodim,ods,csv")
    parser.add_argument("--timeout", type=int, default=180, help="kill a read still going after this many seconds")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        read_one(args.one, args.rows)
        return
    print(f"{args.rows:,} blank rows after a header\n")
    print("| format | file | unpacked | time (s) | peak RSS (MB) | outcome |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for fmt in args.formats.split(","):
        cmd = [sys.executable, __file__, "--one", fmt, "--rows", str(args.rows)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT, check=False)
        except subprocess.TimeoutExpired:
            print(f"| {fmt} | | | > {args.timeout} | | killed after {args.timeout} s |")
            continue
        if done.returncode != 0:
            print(f"| {fmt} | | | | | crashed: {done.stderr.strip().splitlines()[-1][:80]} |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {fmt} | {r['size'] / 1024:,.0f} KB | {r['unpacked'] / 1048576:,.1f} MB | {r['seconds']:.2f} "
            f"| {r['peak']:.0f} | {r['outcome'][:90]} |"
        )


if __name__ == "__main__":
    main()
