"""Read ledger files (.csv in UTF-8/UTF-8-BOM/GBK/GB18030, .xlsx/.xlsm, .xls) into string tables.

Every reader returns `Sheet`s: the first rows as plain lists (to find the
header row), and on demand the data below the header as a pyarrow Table of
strings with `_row`, the row number as Excel shows it. No value is parsed
here; typing and validation happen in SQL in `etl.loader`.

Whatever is wrong with a file itself (not a table, an encoding we cannot read,
a corrupt workbook) raises `UnreadableFile` with a bilingual message, at
preview time or when the rows are read; anything else raised here is a bug.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

PREVIEW_ROWS = 10
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
SAVE_AS = "请用 Excel 或 WPS 另存为 .xlsx 后再导入 / save it as .xlsx (Excel or WPS: 另存为 .xlsx) and load that"


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

# Invisible characters are removed on read, so that 南\u200b湾社区 is 南湾社区 (one community, one filter
# value, one URL) and no control character reaches a screen, a terminal or a workbook (openpyxl and
# python-pptx refuse them): zero-width characters (U+200B–U+200D, U+2060, U+FEFF inside text), the
# left-to-right / right-to-left marks and bidirectional embeddings, overrides and isolates (U+200E,
# U+200F, U+202A–U+202E, U+2066–U+2069), C0 controls but tab (a space, above), line feed and carriage
# return (cells may hold line breaks), DEL, and C1 controls (U+0080–U+009F).
INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    + "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
    + "".join(chr(c) for c in range(0x7F, 0xA0))
)
_TEXT_TABLE = {**dict.fromkeys(map(ord, INVISIBLE)), ord("\t"): " ", 0x3000: " "}
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + b"\x7f"
# In UTF-8 every other invisible character is a 2- or 3-byte sequence; one pattern per lead sequence keeps
# each search a fast scan for a literal prefix (about 3 ms per MB in all, on text that holds none).
_INVISIBLE_UTF8 = tuple(re.compile(p) for p in (
    rb"\xe2\x80[\x8b-\x8f\xaa-\xae]",  # U+200B–U+200F, U+202A–U+202E
    rb"\xe2\x81[\xa0\xa6-\xa9]",  # U+2060, U+2066–U+2069
    rb"\xef\xbb\xbf",  # U+FEFF
    rb"\xc2[\x80-\x9f]",  # C1 controls
))


def normalise_whitespace_bytes(data: bytes) -> bytes:
    """UTF-8 text with tabs and ideographic spaces as spaces and the invisible characters (`INVISIBLE`) removed."""
    for old, new in _WHITESPACE_BYTES:
        if old in data:
            data = data.replace(old, new)
    data = data.translate(None, _CONTROL_BYTES)
    for pattern in _INVISIBLE_UTF8:
        if pattern.search(data):
            data = pattern.sub(b"", data)
    return data


def normalise_whitespace(text: str) -> str:
    """`normalise_whitespace_bytes` for a str (a cell of a workbook, the CSV preview)."""
    if text.isprintable():  # the common case, checked in C: nothing to replace or remove
        return text
    return text.translate(_TEXT_TABLE)


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
    if suffix == ".xls":
        return "xls", _read_xls(path, content)
    raise UnreadableFile(
        f"不支持的文件类型 {path.suffix or '（无扩展名）'}，只接受 .xlsx、.xls 和 .csv；{SAVE_AS} / "
        f"unsupported file type {path.suffix or '(none)'}: only .xlsx, .xls and .csv are read"
    )


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


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: commas, digits and line ends leave zero bytes on one side only."""
    sample = head[:4096]
    if len(sample) < 4:
        return False
    odd, even = sample[1::2], sample[0::2]
    return (odd.count(0) > 0.15 * len(odd) and even.count(0) == 0) or (
        even.count(0) > 0.15 * len(even) and odd.count(0) == 0)


def _preview_encoding(head: bytes) -> str:
    """The encoding of a CSV file from its first bytes; UnreadableFile when it is not a text table we read."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise UnreadableFile(
            "文件是 UTF-16 编码的文本，无法读取；请另存为“CSV UTF-8（逗号分隔）”或 .xlsx / "
            "the file is UTF-16 text: save it as CSV UTF-8 (comma delimited) or .xlsx"
        )
    if b"\x00" in head:
        raise UnreadableFile(
            "不是 CSV 文本文件（含二进制内容，可能是图片或其他格式的文件改了扩展名）；" + SAVE_AS.split(" / ")[0]
            + " / not a CSV text file (binary content: perhaps another kind of file renamed to .csv)"
        )
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is not evidence
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        head.decode("gb18030")
    except UnicodeDecodeError as exc:
        if not (exc.start >= len(head) - 4 and exc.reason in ("incomplete multibyte sequence", "illegal multibyte sequence")
                and len(head) >= 256 * 1024):
            raise UnreadableFile(
                f"无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030，第 {exc.start} 字节）；请另存为“CSV UTF-8”或 .xlsx / "
                f"unknown text encoding (neither UTF-8 nor GBK/GB18030, at byte {exc.start}): "
                "save it as CSV UTF-8 or .xlsx"
            ) from exc
    return "gb18030"


def _read_csv(path: Path, content: bytes | None = None) -> tuple[str, list[Sheet]]:
    if content is not None:
        head = content[: 256 * 1024]
    else:
        with open(path, "rb") as fh:
            head = fh.read(256 * 1024)
    encoding = _preview_encoding(head)
    text = normalise_whitespace(head.decode(encoding, errors="ignore"))
    preview: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text)):
            preview.append([c.strip() for c in rec])
            if len(preview) >= PREVIEW_ROWS:
                break
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 格式错误，无法读取 / malformed CSV: {exc}") from exc

    def load(header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
        # The whole file is read only now, when it is loaded.
        raw = content if content is not None else path.read_bytes()
        data = _to_utf8(raw, encoding)
        try:
            try:
                table, malformed = _arrow_parse(data, header_index, column_names)
            except pa.ArrowInvalid as exc:
                if encoding != "utf-8" or "UTF8" not in str(exc).upper().replace("-", ""):
                    raise
                # the sample was UTF-8 but the rest is not: GBK after all
                data = _to_utf8(raw, "gb18030")
                table, malformed = _arrow_parse(data, header_index, column_names)
        except pa.ArrowInvalid as exc:  # the file's own bytes: quoting, binary content further down
            raise UnreadableFile(f"CSV 格式错误，无法读取 / malformed CSV: {exc}") from exc
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
    try:
        return _csv_rows_slow_checked(body, header_index, column_names)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"CSV 格式错误，无法读取 / malformed CSV: {exc}") from exc


def _csv_rows_slow_checked(body: bytes, header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
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
        except (zipfile.BadZipFile, ValueError, TypeError, SyntaxError) as exc:  # openpyxl on a damaged sheet
            raise UnreadableFile(f"工作表「{sheet_name}」已损坏，无法读取 / sheet {sheet_name!r} is damaged: {exc}") from exc
        finally:
            wb.close()
        return _string_table(body, header_index, column_names)

    return load


def _string_table(body: list[list[str]], header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
    """The rows below the header (body[0] is Excel row header_index + 2) as a table of strings plus `_row`."""
    n = len(column_names)
    cols = [[(r[j] if j < len(r) else "") for r in body] for j in range(n)]
    first = header_index + 2
    rows = pa.array(range(first, first + len(body)), pa.int64())
    table = pa.table([pa.array(c, pa.string()) for c in cols] + [rows], names=[*column_names, "_row"])
    return table, []


# --- Excel 97-2003 (.xls) ----------------------------------------------------

def _open_xls(path: Path, content: bytes | None):
    import xlrd

    try:
        if content is None:
            content = path.read_bytes()
        if content.startswith(b"PK"):
            raise UnreadableFile("文件实为 .xlsx 却以 .xls 命名；请把扩展名改为 .xlsx / the file is an .xlsx named .xls: "
                                 "rename it to .xlsx")
        return xlrd.open_workbook(file_contents=content, on_demand=True)
    except xlrd.XLRDError as exc:
        raise UnreadableFile(f"无法打开 .xls 文件（{exc}）；{SAVE_AS}") from exc
    except (ValueError, IndexError, KeyError, AssertionError, EOFError) as exc:  # xlrd on a damaged file
        raise UnreadableFile(f"无法打开 .xls 文件，文件已损坏；{SAVE_AS} / damaged .xls file: {exc!r}") from exc


def _xls_cell(cell, datemode: int) -> object:
    """An xlrd cell as the Python value openpyxl would give (date cells are floats in .xls)."""
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value  # an impossible date: its number, which the date rule rejects
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    return cell.value


def _xls_rows(book, sheet_name: str, first: int, last: int | None = None) -> list[list[str]]:
    ws = book.sheet_by_name(sheet_name)
    stop = ws.nrows if last is None else min(ws.nrows, last)
    return [[cell_text(_xls_cell(c, book.datemode)).strip() for c in ws.row(i)] for i in range(first, stop)]


def _read_xls(path: Path, content: bytes | None) -> list[Sheet]:
    book = _open_xls(path, content)
    try:
        names = book.sheet_names()
        sheets = [Sheet(name, _xls_rows(book, name, 0, PREVIEW_ROWS), _xls_loader(path, content, name)) for name in names]
    finally:
        book.release_resources()
    return sheets


def _xls_loader(path: Path, content: bytes | None, sheet_name: str) -> Callable[[int, list[str]], tuple[pa.Table, list[int]]]:
    def load(header_index: int, column_names: list[str]) -> tuple[pa.Table, list[int]]:
        book = _open_xls(path, content)
        try:
            body = _xls_rows(book, sheet_name, header_index + 1)
        finally:
            book.release_resources()
        return _string_table(body, header_index, column_names)

    return load
