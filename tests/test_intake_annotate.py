"""The highlighted copy (etl/annotate.py): rejected cells filled and commented, a 问题说明 column, the rest unchanged."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font

from etl.annotate import annotated_copy
from etl.loader import load_paths, preview_paths
from tests.ledgers import write_csv, write_rosters, write_xlsx

TODAY = dt.date(2026, 11, 28)
HEAD = ["日期", "社区", "小区", "板块", "活动类型", "参与人数", "活动编号"]
VOCAB = ("板块“文化活动”不在取值范围内，应为：联动联建、居民自治、志愿服务、社会治理 / "
         "value outside vocabulary; allowed: 联动联建, 居民自治, 志愿服务, 社会治理")
ROWS = [
    HEAD,
    ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", 30, "A1"],
    ["2024-02-02", "南湾社区", "", "文化活动", "合唱", -3, "A2"],
    ["2024-02-03", "南湾社区", "", "居民自治", "议事会", 8, "A3"],
    ["2099-01-01", "南湾社区", "不存在小区", "联动联建", "理发", 5, "A4"],
]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path, today=TODAY).exit_code == 0
    return path


def _filled(cell) -> bool:
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith("FFC7CE")


def test_xlsx_copy_keeps_the_workbook_and_marks_each_reject(db: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "upload.xlsx", {"二月": ROWS}, title="南湾社区活动台账")
    wb = load_workbook(path)
    wb["二月"]["E4"].font = Font(bold=True, color="FF0000")  # the clerk's own formatting
    wb.save(path)
    report = preview_paths([path], db, today=TODAY, names=["南湾活动.xlsx"])
    assert [(r.row_number, r.column_name) for r in report.rejects] == [(5, "参与人数"), (5, "板块"), (7, "日期"), (7, "小区")]
    out = load_workbook(io.BytesIO(annotated_copy(path, report.rejects, name="南湾活动.xlsx")))
    ws = out["二月"]
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges} and ws["A1"].value == "南湾社区活动台账"
    assert ws["E4"].font.b and ws["E4"].font.color.rgb == "00FF0000"
    assert ws["H3"].value == "问题说明"
    assert ws["H5"].value == f"参与人数：数量为负 / negative count\n板块：{VOCAB}"
    assert ws["H7"].value == ("日期：日期晚于今天 / date in the future\n"
                              "小区：小区不属于该社区 / unknown compound for this community")
    assert [c for c in ("A5", "B5", "C5", "D5", "E5", "F5", "G5") if _filled(ws[c])] == ["D5", "F5"]
    assert [c for c in ("A7", "B7", "C7", "D7", "E7", "F7", "G7") if _filled(ws[c])] == ["A7", "C7"]
    assert ws["F5"].comment.text == "数量为负 / negative count" and ws["D5"].comment.text == VOCAB
    # untouched rows unchanged
    for row in (4, 6):
        assert ws.cell(row=row, column=8).value is None
        assert [c.value for c in ws[row]][:7] == [None if v == "" else v for v in ROWS[row - 3]]
        assert not any(_filled(c) for c in ws[row]) and all(c.comment is None for c in ws[row])


def test_the_corrected_copy_annotated_again_replaces_the_old_notes(db: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", {"二月": ROWS})
    report = preview_paths([path], db, today=TODAY)
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(annotated_copy(path, report.rejects))
    wb = load_workbook(fixed)
    ws = wb["二月"]
    ws["D3"], ws["F3"] = "居民自治", 3  # the clerk fixes row 3; row 5 stays wrong
    wb.save(fixed)
    again = preview_paths([fixed], db, today=TODAY)
    assert [(r.row_number, r.column_name) for r in again.rejects] == [(5, "日期"), (5, "小区")]
    ws = load_workbook(io.BytesIO(annotated_copy(fixed, again.rejects)))["二月"]
    assert (ws["H1"].value, ws["H3"].value, ws["I1"].value) == ("问题说明", None, None)
    assert not _filled(ws["D3"]) and ws["D3"].comment is None and ws["D3"].value == "居民自治"
    assert ws["H5"].value.startswith("日期：日期晚于今天") and _filled(ws["A5"])


def test_csv_becomes_an_xlsx_with_the_same_rows(db: Path, tmp_path: Path) -> None:
    rows = [["南湾社区活动台账"], [], [str(c) for c in HEAD],
            ["2024-02-01", "南湾社区", "", "联动联建", "=1+1", "四十", "B1"],
            ["2024-02-02", "南湾社区", "", "联动联建", "义诊", "12", "B2"]]
    path = write_csv(tmp_path / "tmpx.csv", rows, encoding="gb18030")
    report = preview_paths([path], db, today=TODAY, names=["南湾.csv"])
    assert [(r.row_number, r.column_name, r.value) for r in report.rejects] == [(4, "参与人数", "四十")]
    wb = load_workbook(io.BytesIO(annotated_copy(path, report.rejects, name="南湾.csv")))
    assert wb.sheetnames == ["南湾"]
    ws = wb["南湾"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=1, max_row=5, max_col=8)] == [
        ["南湾社区活动台账", None, None, None, None, None, None, None],
        [None] * 8,
        [*HEAD, "问题说明"],
        ["2024-02-01", "南湾社区", None, "联动联建", "=1+1", "四十", "B1", "参与人数：不是有效数字 / not a number"],
        ["2024-02-02", "南湾社区", None, "联动联建", "义诊", "12", "B2", None],
    ]
    assert ws["E4"].data_type == "s"  # the clerk's text, not a formula
    assert _filled(ws["F4"]) and not _filled(ws["F5"])


def test_xls_becomes_an_xlsx_with_the_same_sheets_and_rows(db: Path, tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("三月")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for j, h in enumerate(HEAD):
        ws.write(0, j, h)
    ws.write(1, 0, dt.datetime(2024, 3, 1), date_style)
    for j, v in enumerate(["南湾社区", "", "联动联建", "义诊", 7, "X1"], start=1):
        ws.write(1, j, v)
    ws.write(2, 0, dt.datetime(2024, 3, 2), date_style)
    for j, v in enumerate(["南湾社区", "", "联动联建", "义诊", 2.5, "X2"], start=1):
        ws.write(2, j, v)
    path = tmp_path / "tmp1.xls"
    book.save(str(path))
    report = preview_paths([path], db, today=TODAY, names=["三月.xls"])
    assert [(r.sheet, r.row_number, r.column_name, r.value) for r in report.rejects] == [("三月", 3, "参与人数", "2.5")]
    out = load_workbook(io.BytesIO(annotated_copy(path, report.rejects, name="三月.xls")))
    ws = out["三月"]
    assert [c.value for c in ws[2]] == [dt.datetime(2024, 3, 1), "南湾社区", None, "联动联建", "义诊", 7, "X1", None]
    assert ws["H1"].value == "问题说明" and ws["H3"].value == "参与人数：应为整数 / must be a whole number"
    assert _filled(ws["F3"]) and ws["A2"].number_format == "yyyy-mm-dd"
