"""CSV / Excel downloads: exactly the rows given, dangerous cells neutralised (pure functions)."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from present.spreadsheet import PREFIX, neutralise, neutralise_value, to_csv, to_excel


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "编号": ["C1", "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "正常文本", None],
        "天数": [1, -5, 3, 4, 5, 6, 7, 8],
        "比率": [1.5, -0.5, None, 2.0, 3.0, 4.0, 5.0, 6.0],
        "日期": [date(2024, 1, d) for d in range(1, 9)],
        "超期": [True, False, True, False, True, False, True, None],
    })


@pytest.mark.parametrize("v,want", [
    ("=1+1", "'=1+1"), ("+86 139", "'+86 139"), ("-x", "'-x"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), ("a=b", "a=b"), ("", ""), ("停车管理", "停车管理"), (-3, -3), (2.5, 2.5), (None, None),
])
def test_neutralise_value(v, want):
    assert neutralise_value(v) == want


def test_neutralise_only_touches_text_and_keeps_rows():
    df = _frame()
    out = neutralise(df)
    assert len(out) == len(df) and list(out.columns) == list(df.columns)
    assert list(out["编号"][:6]) == ["C1", "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd"]
    assert out["编号"].isna().iloc[-1]
    assert list(out["天数"]) == list(df["天数"])  # a negative number is a number, not a formula
    assert df["编号"].iloc[1].startswith("=")  # the input is not modified
    assert list(neutralise(pd.DataFrame({"=bad": [1]})).columns) == ["'=bad"]


def test_csv_has_exactly_the_rows_and_a_bom():
    df = _frame()
    raw = to_csv(df)
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)
    assert len(back) == len(df) and list(back.columns) == list(df.columns)
    assert back["编号"].tolist()[:6] == ["C1", "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd"]
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back["编号"])
    assert back["天数"].tolist() == df["天数"].tolist()


def test_excel_has_exactly_the_rows_and_no_formulas():
    from openpyxl import load_workbook

    df = _frame()
    wb = load_workbook(io.BytesIO(to_excel(df, sheet="超期积案")))
    ws = wb["超期积案"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(df.columns)
    assert len(rows) - 1 == len(df)
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not any(c.data_type == "f" for c in cells)  # nothing a spreadsheet would run
    assert [r[0] for r in rows[1:7]] == ["C1", "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd"]
    assert [r[1] for r in rows[1:]] == df["天数"].tolist()
    assert rows[1][3].date() == date(2024, 1, 1) and rows[-1][0] is None


def test_empty_frame_and_odd_sheet_names():
    df = pd.DataFrame({"a": pd.Series(dtype="str")})
    assert pd.read_csv(io.BytesIO(to_csv(df)), encoding="utf-8-sig").empty
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(to_excel(df, sheet="a/b:c*d?e[f]" * 5)))
    assert len(wb.sheetnames[0]) <= 31 and not set("/:*?[]") & set(wb.sheetnames[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=0, max_size=20))
def test_no_cell_ever_starts_a_formula(texts):
    df = pd.DataFrame({"x": texts, "n": range(len(texts))})
    back = pd.read_csv(io.BytesIO(to_csv(df)), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert len(back) == len(df)
    for v in neutralise(df)["x"]:
        assert not str(v).startswith(("=", "+", "-", "@", "\t", "\r")) or str(v).startswith(PREFIX)
