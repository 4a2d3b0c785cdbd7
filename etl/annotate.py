"""The highlighted copy: the clerk's own workbook with every rejected cell marked and a 问题说明 column.

`annotated_copy(path, rejects, name=None) -> bytes` returns an .xlsx:
- an .xlsx/.xlsm is loaded with openpyxl and keeps its formatting, formulas and other sheets;
- a .csv or .xls becomes an .xlsx holding the same rows at the same row numbers (CSV cells stay text).
Each reject is placed by its Excel row number (`Reject.row_number`) and, within the sheet's header row
(found as the loader finds it), the column whose header is written as `Reject.column_name`. That cell gets
a fill and a comment with the reason(s); a reject whose column is not in the file (a rule on the whole
row, or on a field the file lacks) marks no cell. Every row with a problem gets, in a 问题说明 column
appended after the sheet's last column, all its reasons, one per line: `列名：原因 / reason`. Rows without
problems are left as they were. Annotating a copy that was annotated before replaces the old notes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from etl import loader, readers
from etl.loader import Reject

NOTE_HEADER = "问题说明"
FILL = "FFC7CE"  # Excel's light red
COMMENT_AUTHOR = "台账校验"


def _note(r: Reject) -> str:
    return f"{r.column_name}：{r.reason}" if r.column_name else r.reason


def _csv_rows(path: Path, content: bytes) -> list[list[str]]:
    encoding = readers._preview_encoding(content[: 256 * 1024])
    try:
        text = readers._to_utf8(content, encoding).decode("utf-8")
    except UnicodeDecodeError:
        text = readers._to_utf8(content, "gb18030").decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def _xls_sheets(path: Path, content: bytes) -> list[tuple[str, list[list[object]]]]:
    book = readers._open_xls(path, content)
    try:
        out = []
        for name in book.sheet_names():
            ws = book.sheet_by_name(name)
            out.append((name, [[readers._xls_cell(c, book.datemode) for c in ws.row(i)] for i in range(ws.nrows)]))
        return out
    finally:
        book.release_resources()


def _workbook(path: Path, stem: str):
    """The workbook to annotate and the sheet a CSV's rejects (sheet None) refer to."""
    from openpyxl import Workbook, load_workbook

    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return load_workbook(path), None
    content = path.read_bytes()
    wb = Workbook()
    wb.remove(wb.active)
    if suffix == ".csv":
        ws = wb.create_sheet((stem or "Sheet1")[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼")))
        for i, rec in enumerate(_csv_rows(path, content), start=1):
            for j, value in enumerate(rec, start=1):
                if value != "":
                    cell = ws.cell(row=i, column=j, value=value)
                    cell.data_type = "s"  # the clerk's text, never a formula
        return wb, ws.title
    if suffix == ".xls":
        for name, rows in _xls_sheets(path, content):
            ws = wb.create_sheet(name)
            for i, rec in enumerate(rows, start=1):
                for j, value in enumerate(rec, start=1):
                    if value is None or value == "":
                        continue
                    cell = ws.cell(row=i, column=j, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"
                    elif hasattr(value, "year"):
                        cell.number_format = "yyyy-mm-dd"
        return wb, None
    raise readers.UnreadableFile(f"不支持的文件类型 {path.suffix} / unsupported file type")


def _header(ws) -> tuple[int, list[str]]:
    """(1-based header row, header cells as written) as the loader recognises them; (1, first row) otherwise."""
    preview = [[readers.cell_text(v).strip() for v in row]
               for row in ws.iter_rows(max_row=readers.PREVIEW_ROWS, values_only=True)]
    rec = loader.recognise(preview)
    if rec is None:
        return 1, preview[0] if preview else []
    return rec.header_index + 1, rec.headers


def annotated_copy(path: Path | str, rejects: Iterable[Reject], name: str | None = None) -> bytes:
    """The clerk's workbook (`path`; `name`: its file name as the clerk knows it) with the rejects marked; .xlsx bytes."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    path = Path(path)
    wb, csv_sheet = _workbook(path, Path(name or path.name).stem)
    by_sheet: dict[str | None, list[Reject]] = {}
    for r in rejects:
        if name is not None and r.file_name != name:
            continue  # another file's reject (rejects of a whole preview may be passed)
        by_sheet.setdefault(r.sheet if csv_sheet is None else csv_sheet, []).append(r)
    fill = PatternFill("solid", fgColor=FILL)
    for sheet_name, sheet_rejects in by_sheet.items():
        if sheet_name not in wb.sheetnames:
            continue
        ws = wb[sheet_name]
        header_row, headers = _header(ws)
        _clear_old_notes(ws, header_row)
        column_of: dict[str, int] = {}
        for j, h in enumerate(headers, start=1):
            if h and h not in column_of:
                column_of[h] = j
        note_col = column_of.get(NOTE_HEADER) or max(ws.max_column, len(headers)) + 1
        ws.cell(row=header_row, column=note_col, value=NOTE_HEADER).font = Font(bold=True)
        notes: dict[int, list[str]] = {}
        cell_notes: dict[tuple[int, int], list[str]] = {}
        for r in sheet_rejects:
            if r.row_number is None:
                continue
            notes.setdefault(r.row_number, []).append(_note(r))
            j = column_of.get(r.column_name or "")
            if j is not None:
                cell_notes.setdefault((r.row_number, j), []).append(r.reason)
        for (row, j), reasons in cell_notes.items():
            cell = ws.cell(row=row, column=j)
            cell.fill = fill
            cell.comment = Comment("\n".join(reasons), COMMENT_AUTHOR)
        for row, texts in notes.items():
            cell = ws.cell(row=row, column=note_col, value="\n".join(dict.fromkeys(texts)))
            cell.data_type = "s"
            cell.fill = fill
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _clear_old_notes(ws, header_row: int) -> None:
    """Remove what an earlier annotation left: its comments and fills, and its 问题说明 texts."""
    note_col = None
    for cell in ws[header_row]:
        if readers.cell_text(cell.value).strip() == NOTE_HEADER:
            note_col = cell.column
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb in (FILL, "00" + FILL):
                    cell.fill = _no_fill()
            if note_col is not None and cell.column == note_col:
                cell.value = None
                cell.fill = _no_fill()


def _no_fill():
    from openpyxl.styles import PatternFill

    return PatternFill(fill_type=None)
