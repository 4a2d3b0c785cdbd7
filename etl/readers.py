"""Read ledger files (.csv in UTF-8/UTF-8-BOM/GBK/GB18030, .xlsx) into string tables.

Every reader returns `Sheet`s: the first rows as plain lists (to find the
header row), and on demand the data below the header as a pyarrow Table of
strings with `_row`, the row number as Excel shows it. No value is parsed
here; typing and validation happen in SQL in `etl.loader`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

PREVIEW_ROWS = 10
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm")


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, corrupt, unsupported)."""


@dataclass
class Sheet:
    name: str | None  # None for CSV
    preview: list[list[str]]  # first PREVIEW_ROWS rows, cells as text ('' for empty)
    _load: Callable[[int, list[str]], tuple[pa.Table, list[int]]] = field(repr=False)

    def data(self, header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
        """Rows below the header as strings, plus `_row`; also Excel row numbers of malformed rows."""
        return self._load(header_index, column_names)


# Ideographic spaces and tabs become plain spaces on read, so
# that SQL's plain trim() (three times faster than trim with a character list)
# cleans every cell. Done on the raw bytes this costs a few milliseconds.
_WHITESPACE_BYTES = ((b"\t", b" "), (b"\xe3\x80\x80", b" "))


def normalise_whitespace_bytes(data: bytes) -> bytes:
    for old, new in _WHITESPACE_BYTES:
        if old in data:
            data = data.replace(old, new)
    return data


def normalise_whitespace(text: str) -> str:
    return text.replace("\u3000", " ").replace("\t", " ")


def cell_text(value: object) -> str:
    """The text of a cell as a clerk would read it (dates ISO, 45.0 → 45)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalise_whitespace(str(value))


def read_ledger(path: Path, content: bytes | None = None) -> tuple[str, list[Sheet]]:
    """Return (encoding or 'xlsx', sheets). `content`: the file's bytes, if already read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, content)
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx", _read_xlsx(path)
    raise UnreadableFile(f"不支持的文件类型 / unsupported file type: {path.suffix or '(none)'}（只接受 .xlsx 和 .csv）")


# --- CSV -----------------------------------------------------------------

def _to_utf8(raw: bytes, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        data = raw[3:]
    elif encoding == "gb18030":
        try:
            data = raw.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"无法识别文件编码（既不是 UTF-8 也不是 GBK） / unknown text encoding: byte {exc.start}"
            ) from exc
    else:
        data = raw
    return normalise_whitespace_bytes(data)


def _line_count(data: bytes) -> int:
    """Lines up to the last one that holds anything (trailing blank lines don't count)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    tail = data[-65536:]
    trailing = tail[len(tail.rstrip(b" \t\r\n")):].count(b"\n")
    return lines - max(0, trailing - (1 if data.endswith(b"\n") else 0))


def _arrow_parse(data: bytes, header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
    malformed: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.text.strip(" ,\t\r\n"):
            malformed.append(row.number if row.number is not None else -1)
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(skip_rows=header_index + 1, column_names=column_names, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=b'"' in data, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in column_names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, malformed


def _preview_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is not evidence
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
        return "gb18030"


def _read_csv(path: Path, content: bytes | None = None) -> tuple[str, list[Sheet]]:
    if content is not None:
        head = content[: 256 * 1024]
    else:
        with open(path, "rb") as fh:
            head = fh.read(256 * 1024)
    encoding = _preview_encoding(head)
    text = head.decode(encoding, errors="ignore")
    preview: list[list[str]] = []
    for rec in csv.reader(io.StringIO(text)):
        preview.append([c.strip() for c in rec])
        if len(preview) >= PREVIEW_ROWS:
            break

    def load(header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
        # The whole file is read only now, when it is loaded.
        raw = content if content is not None else path.read_bytes()
        data = _to_utf8(raw, encoding)
        try:
            table, malformed = _arrow_parse(data, header_index, column_names)
        except pa.ArrowInvalid as exc:
            if encoding != "utf-8" or "UTF8" not in str(exc).upper().replace("-", ""):
                raise
            # the sample was UTF-8 but the rest is not: GBK after all
            data = _to_utf8(raw, "gb18030")
            table, malformed = _arrow_parse(data, header_index, column_names)
        # Row numbers are those Excel shows: record k below the header is row
        # header_index + 2 + k, provided every line is one record. pyarrow drops
        # blank lines, and quoted cells may span lines; when the line count
        # says either happened (or rows were malformed, or blank lines precede
        # the header), a slower pass numbers every record exactly.
        before_header_blank = any(not any(cell for cell in row) for row in preview[:header_index])
        if malformed or before_header_blank or _line_count(data) != header_index + 1 + table.num_rows:
            return _csv_rows_slow(data, header_index, column_names)
        first = header_index + 2
        rows = pa.array(range(first, first + table.num_rows), pa.int64())
        return table.append_column("_row", rows), []

    return encoding, [Sheet(None, preview, load)]


def _csv_rows_slow(body: bytes, header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
    n = len(column_names)
    cols: list[list[str]] = [[] for _ in range(n)]
    rows: list[int] = []
    malformed: list[int] = []
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    for i, rec in enumerate(reader):
        if i <= header_index:
            continue
        excel_row = i + 1
        if len(rec) > n and any(c.strip() for c in rec[n:]):
            malformed.append(excel_row)
            continue
        rec = (rec + [""] * n)[:n]
        for j in range(n):
            cols[j].append(rec[j])
        rows.append(excel_row)
    arrays = [pa.array(c, pa.string()) for c in cols] + [pa.array(rows, pa.int64())]
    return pa.table(arrays, names=[*column_names, "_row"]), malformed


# --- Excel ---------------------------------------------------------------

def _open_workbook(path: Path):
    import zipfile

    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"无法打开 Excel 文件 / cannot open workbook: {exc}") from exc


def _row_texts(rows) -> list[list[str]]:
    return [[cell_text(v).strip() for v in r] for r in rows]


def _read_xlsx(path: Path) -> list[Sheet]:
    """Sheets with their first rows; the rest of a sheet is read only when it is loaded."""
    wb = _open_workbook(path)
    try:
        sheets = [
            Sheet(ws.title, _row_texts(ws.iter_rows(max_row=PREVIEW_ROWS, values_only=True)),
                  _xlsx_loader(path, ws.title))
            for ws in wb.worksheets
        ]
    finally:
        wb.close()
    return sheets


def _xlsx_loader(path: Path, sheet_name: str) -> Callable[[int, list[str]], tuple[pa.Table, list[int]]]:
    def load(header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
        wb = _open_workbook(path)
        try:
            # read_only mode yields every row from the first, empty ones as (),
            # so a row's position is the row number Excel shows.
            body = _row_texts(wb[sheet_name].iter_rows(min_row=header_index + 2, values_only=True))
        finally:
            wb.close()
        n = len(column_names)
        cols = [[(r[j] if j < len(r) else "") for r in body] for j in range(n)]
        first = header_index + 2
        rows = pa.array(range(first, first + len(body)), pa.int64())
        table = pa.table([pa.array(c, pa.string()) for c in cols] + [rows], names=[*column_names, "_row"])
        return table, []

    return load
