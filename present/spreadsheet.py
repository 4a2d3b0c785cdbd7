"""Spreadsheet files the product writes (CSV and Excel), and the one neutralising function for their cells.

Spreadsheet safety: a text cell that begins with `=`, `+`, `-` or `@` (or a
tab / carriage return, which some spreadsheets strip before looking) would be
run as a formula when the file is opened ("CSV injection"). `neutralise`
prefixes such cells with an apostrophe, so they open as plain text. Numbers,
dates and booleans are left alone (a negative number is not a formula).

`to_csv` / `to_excel` are pure (DataFrame in, bytes out); `ui.downloads`
draws the download buttons with them. Every text cell of every workbook and
CSV the product writes goes through `neutralise_value`: frames through
`neutralise`, a workbook built cell by cell (the briefing's XLSX) through
`neutralise_workbook` just before it is saved.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise_value(v: object) -> object:
    """A text value that a spreadsheet would run as a formula, prefixed with an apostrophe; else unchanged."""
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return PREFIX + v
    return v


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every dangerous text cell (and column header) neutralised; other cells unchanged."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(neutralise_value, na_action="ignore")
    out.columns = [neutralise_value(c) if isinstance(c, str) else c for c in out.columns]
    return out


def neutralise_workbook(wb) -> None:
    """Every text cell of every sheet of an openpyxl workbook through `neutralise_value`, in place (a value
    that openpyxl would store as a formula becomes text)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str):
                    safe = neutralise_value(v)
                    if safe is not v:
                        cell.value = safe


def header_footer_text(s: str) -> str:
    """Text for an Excel page header / footer: `&` starts a code there (`&P` page number, `&B` bold), so a
    literal ampersand is written `&&`."""
    return s.replace("&", "&&")


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), CRLF rows (a field holding a line
    break is then quoted), no index, cells neutralised."""
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_excel(df: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """An .xlsx workbook with one sheet: header row + the rows, cells neutralised, widths fitted."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    safe = neutralise(df)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_name(sheet))
    widths = [display_width(c) for c in safe.columns]
    rows = []
    for rec in safe.itertuples(index=False, name=None):
        row = [_cell(v) for v in rec]
        rows.append(row)
        for i, v in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], min(display_width(v), 60))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w + 2
    ws.freeze_panes = "A2"
    ws.append([str(c) for c in safe.columns])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(name: str) -> str:
    bad = '[]:*?/\\'
    clean = "".join("_" if ch in bad else ch for ch in name).strip() or "Sheet1"
    return clean[:31]


def display_width(v: object) -> int:
    """Display width of a value in an Excel column (CJK characters count double)."""
    s = "" if v is None else str(v)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def _cell(v: object) -> object:
    """A value openpyxl can write: NA → empty, numpy scalars → Python, timestamps → datetime."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        return v.item()
    return v
