"""Templates (etl/template.py): generated from the contract, loaded unchanged and filled in with zero rejects."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from etl.loader import load_paths
from etl.template import rosters_from_warehouse, template_bytes
from tests.conftest import ROOT

TODAY = dt.date(2026, 11, 28)

# Rows a clerk adds below the example row, per kind, in load order (rosters before the facts that cite them).
FILLED: dict[str, list[list[object]]] = {
    "communities": [["沌阳街道", "南湾社区", 5017, 2021], ["沌阳街道", "凤亭社区", "3000户", None]],
    "compounds": [["南湾社区", "东风凤凰城", 2000], ["凤亭社区", "凤亭一区", 3000]],
    "volunteers": [["V001", "南湾社区", dt.date(2022, 1, 5), "是", "便民服务队"], ["V002", "凤亭社区", None, "否", None]],
    "activities": [
        [dt.date(2024, 2, 1), "南湾社区", "联动联建", "烹饪教学", 30, "A1", "东风凤凰城", "厨艺", None, 30, 5, 0, None],
        ["2024-02-03", "凤亭社区", "志愿服务", "理发", "12人", None, None, None, None, None, None, None, None],
    ],
    "cases": [
        ["C1", "矛盾纠纷", "邻里纠纷", "南湾社区", dt.date(2024, 3, 1), None, "网格员上报", dt.date(2024, 3, 2), "已办结",
         "调解成功", 5, "电话13912345678"],
        ["C2", "居民诉求", "物业管理", "凤亭社区", dt.date(2024, 3, 5), "凤亭一区", None, None, "办理中", None, None, None],
    ],
    "volunteer_hours": [["V001", dt.date(2024, 2, 1), 2.5, 25, "A1", "协助"], ["V002", "2024-02-03", 1, None, None, None]],
    "redemptions": [["V001", dt.date(2024, 6, 1), 20, "洗衣液"]],
}
LOADED = {  # table → rows after every filled template loaded
    "communities": 2, "compounds": 2, "volunteers": 2, "activities": 2, "cases": 2, "volunteer_hours": 2,
    "redemptions": 1,
}


def _sheet(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return wb, wb.worksheets[0]


def test_every_template_loads_unchanged_with_zero_rejects(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for kind in FILLED:
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(template_bytes(kind, rosters_from_warehouse(db)))
        report = load_paths([path], db, today=TODAY)
        [f] = report.files
        assert (f.kind, f.status, f.rows_read, f.rows_loaded, f.rows_rejected) == (kind, "loaded", 0, 0, 0), f.messages
        assert f.rows_example == 1 and report.exit_code == 0
        assert "已跳过示例行 1 行 / 1 example row(s) skipped" in "；".join(f.messages)


def test_every_template_filled_in_loads_with_zero_rejects(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for kind, rows in FILLED.items():
        wb, ws = _sheet(template_bytes(kind, rosters_from_warehouse(db)))
        for r in rows:
            ws.append(r)
        path = tmp_path / f"{kind}-filled.xlsx"
        wb.save(path)
        report = load_paths([path], db, today=TODAY)
        [f] = report.files
        assert (f.status, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_example) == (
            "loaded", len(rows), len(rows), 0, 1), (kind, report.rejects, f.messages)
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LOADED}
        assert counts == LOADED
        assert con.execute("SELECT households FROM communities WHERE name = '凤亭社区'").fetchone() == (3000,)
        assert con.execute("SELECT summary FROM cases WHERE case_id = 'C1'").fetchone() == ("电话139****5678",)
        assert con.execute("SELECT count(*) FROM activities WHERE activity_type LIKE '%示例%'").fetchone() == (0,)
    finally:
        con.close()


def test_template_layout_for_activities() -> None:
    rosters = {"communities": ["南湾社区", "凤亭社区"],
               "compounds": [("南湾社区", "东风凤凰城"), ("南湾社区", "南湾一区"), ("凤亭社区", "凤亭一区")]}
    wb, ws = _sheet(template_bytes("活动台账", rosters))
    assert wb.sheetnames == ["活动台账", "填表说明", "下拉选项"]
    assert wb["下拉选项"].sheet_state == "hidden"
    assert [c.value for c in ws[1]] == ["日期", "社区", "板块", "活动类型", "参与人数", "活动编号", "小区", "活动名称",
                                        "共建单位", "服务人次", "志愿者人数", "入户户数", "备注"]
    assert [c.font.b for c in ws[1]][:6] == [True, True, True, True, True, False]
    assert ws["A1"].comment.text == "必填：活动举办的日期"
    # the example row: the mark in the first free-text column, the community from the roster
    assert [c.value for c in ws[2]][:7] == [dt.datetime(2024, 5, 10), "南湾社区", "联动联建", "【示例】烹饪教学", 30,
                                            "HD-2024-001", "东风凤凰城"]
    assert ws["A2"].number_format == ws["A301"].number_format == "yyyy-mm-dd"
    assert ws["A302"].number_format == "General"
    assert ws["F5"].number_format == "@"
    lists = wb["下拉选项"]
    assert [c.value for c in lists["A"]] == ["板块（下拉选项）", "联动联建", "居民自治", "志愿服务", "社会治理"]
    assert [c.value for c in lists["B"] if c.value] == ["社区（下拉选项）", "南湾社区", "凤亭社区"]
    assert [c.value for c in lists["C"] if c.value] == ["小区（下拉选项）", "东风凤凰城", "南湾一区", "凤亭一区"]
    validations = {str(dv.sqref): (dv.formula1, dv.errorStyle) for dv in ws.data_validations.dataValidation}
    assert validations == {
        "C2:C301": ("'下拉选项'!$A$2:$A$5", "stop"),
        "B2:B301": ("'下拉选项'!$B$2:$B$3", "warning"),
        "G2:G301": ("'下拉选项'!$C$2:$C$4", "warning"),
    }
    guide = {row[0]: row for row in wb["填表说明"].iter_rows(values_only=True) if row[0]}
    assert guide["板块（pillar）"] == (
        "板块（pillar）", "必填", "活动所属的党建引领板块",
        "从下拉列表选择：联动联建、居民自治、志愿服务、社会治理（也接受“党建+”前缀，如 党建+联动联建）",
        "必填项为空；板块不在取值范围内（可填：联动联建、居民自治、志愿服务、社会治理）",
    )
    assert guide["参与人数（participants）"][3:] == (
        "整数，如 30（可带单位，如 30人）", "必填项为空；不是有效数字；数量为负；应为整数；数值过大（超过 2147483647）")
    assert guide["活动编号（activity_id）"][4] == "编号或名称在本文件中重复，保留首次出现的行"


def test_party_member_and_vocabularies_of_cases_and_volunteers() -> None:
    wb, ws = _sheet(template_bytes("volunteers"))  # no rosters: 社区 is free text
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["D2:D301"]
    assert [c.value for c in wb["下拉选项"]["A"]] == ["是否党员（下拉选项）", "是", "否"]
    wb, ws = _sheet(template_bytes("cases"))
    assert sorted(str(dv.sqref) for dv in ws.data_validations.dataValidation) == ["B2:B301", "I2:I301", "J2:J301"]
    wb, ws = _sheet(template_bytes("redemptions"))
    assert wb.sheetnames == ["积分兑换", "填表说明"]  # nothing to choose from: no list sheet


def test_template_command_writes_every_kind_with_the_warehouse_rosters(tmp_path: Path) -> None:
    from tests.ledgers import write_rosters

    db = tmp_path / "w.duckdb"
    load_paths(write_rosters(tmp_path / "r"), db, today=TODAY)
    out = subprocess.run([sys.executable, "-m", "etl", "template", "all", "--out", str(tmp_path / "t"), "--db", str(db)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted([
        "社区名册_模板_communities.xlsx", "小区名册_模板_compounds.xlsx", "活动台账_模板_activities.xlsx",
        "诉求与纠纷台账_模板_cases.xlsx", "志愿者名册_模板_volunteers.xlsx", "志愿服务记录_模板_volunteer_hours.xlsx",
        "积分兑换_模板_redemptions.xlsx"])
    wb = load_workbook(tmp_path / "t" / "活动台账_模板_activities.xlsx")
    assert [c.value for c in wb["下拉选项"]["B"] if c.value] == ["社区（下拉选项）", "凤亭社区", "南湾社区"]
    one = subprocess.run([sys.executable, "-m", "etl", "template", "诉求与纠纷台账", "--out", str(tmp_path / "one")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert one.returncode == 0 and [p.name for p in (tmp_path / "one").iterdir()] == ["诉求与纠纷台账_模板_cases.xlsx"]
    bad = subprocess.run([sys.executable, "-m", "etl", "template", "nonsense", "--out", str(tmp_path / "x")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown ledger kind" in bad.stderr


def test_example_rows_are_skipped_in_any_file_only_when_a_cell_starts_with_the_mark(tmp_path: Path) -> None:
    from tests.ledgers import write_csv, write_rosters

    db = tmp_path / "w.duckdb"
    load_paths(write_rosters(tmp_path / "r"), db, today=TODAY)
    f = write_csv(tmp_path / "a.csv", [
        ["日期", "社区", "板块", "活动类型", "参与人数", "备注"],
        ["2024-02-01", "南湾社区", "联动联建", " 【示例】烹饪教学", "30", ""],
        ["", "", "", "", "", "【示例】"],
        ["2024-02-02", "南湾社区", "联动联建", "理发", "5", "不是【示例】"],
    ])
    [r] = load_paths([f], db, today=TODAY).files
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_rejected, r.examples) == ("loaded", 1, 1, 0, {None: 2})
    assert "已跳过示例行 2 行 / 2 example row(s) skipped" in r.messages
