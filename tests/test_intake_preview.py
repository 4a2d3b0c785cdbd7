"""The preview (etl.loader.preview_paths): a dry run of the load that reports everything and publishes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from etl import MAX_UPLOAD_BYTES, warehouse
from etl.intake import load_uploads, size_refusal
from etl.loader import load_paths, preview_paths
from tests.ledgers import write_csv, write_rosters, write_xlsx

TODAY = dt.date(2026, 11, 28)
ACT_HEAD = ["日期", "社区", "小区", "板块", "活动类型", "参与人数", "活动编号", "联系电话", "负责人备注"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path, today=TODAY).exit_code == 0
    first = write_csv(tmp_path / "first.csv", [ACT_HEAD[:7], ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    assert load_paths([first], path, today=TODAY).exit_code == 0
    return path


def _state(db: Path) -> tuple[bytes, int, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        batches = con.execute("SELECT count(*) FROM load_batches").fetchone()[0]
    finally:
        con.close()
    return db.read_bytes(), batches, warehouse.data_version(db)


def test_preview_reports_per_sheet_and_publishes_nothing(db: Path, tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "tmp9f3a.xlsx", {
        "二月": [ACT_HEAD,
                 ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", 45, "A1", "13912345678", "x"],  # updates A1
                 ["2024-02-02", "南湾社区", "", "文化活动", "合唱", -3, "A2", "", ""],  # two rejects
                 ["2024-02-03", "凤亭社区", "", "居民自治", "议事会", 8, "A3", "", ""]],
        "名册": [["志愿者编号", "社区", "是否党员"], ["V009", "南湾社区", "也许"], ["V010", "南湾社区", "否"]],
        "说明": [["本表由南湾社区填写"]],
    })
    before = _state(db)
    report = preview_paths([workbook], db, today=TODAY, names=["南湾社区2月台账.xlsx"])
    assert _state(db) == before  # the warehouse file unchanged byte for byte, no batch, same data version
    assert not warehouse.refusal_log_path(db).exists()
    got = [(s.file_name, s.sheet, s.kind, s.status, s.rows_read, s.rows_loaded, s.rows_rejected, s.rows_updated,
            s.rows_new, s.ignored, s.dropped) for s in report.sheets]
    assert got == [
        ("南湾社区2月台账.xlsx", "名册", "volunteers", "loaded_with_rejects", 2, 1, 1, 0, 1, [], []),
        ("南湾社区2月台账.xlsx", "二月", "activities", "loaded_with_rejects", 3, 2, 1, 1, 1, ["负责人备注"], ["联系电话"]),
    ]
    assert [(r.file_name, r.sheet, r.row_number, r.column_name, r.value, r.reason) for r in report.rejects] == [
        ("南湾社区2月台账.xlsx", "名册", 2, "是否党员", "也许", "应填 是/否 / must be yes or no (是/否)"),
        ("南湾社区2月台账.xlsx", "二月", 3, "参与人数", "-3", "数量为负 / negative count"),
        ("南湾社区2月台账.xlsx", "二月", 3, "板块", "文化活动",
         "板块“文化活动”不在取值范围内，应为：联动联建、居民自治、志愿服务、社会治理 / "
         "value outside vocabulary; allowed: 联动联建, 居民自治, 志愿服务, 社会治理"),
    ]
    assert [f.file_name for f in report.files] == ["南湾社区2月台账.xlsx", "南湾社区2月台账.xlsx"]
    assert "工作表「说明」不是台账，已跳过 / sheet is not a ledger, skipped" in report.sheets[0].messages
    assert report.exit_code == 1


def test_preview_lists_every_reject_not_only_the_first_200(db: Path, tmp_path: Path) -> None:
    rows = [["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "-1", f"B{i}"] for i in range(250)]
    f = write_csv(tmp_path / "upload.csv", [ACT_HEAD[:7], *rows])
    report = preview_paths([f], db, today=TODAY)
    [s] = report.sheets
    assert (s.sheet, s.rows_read, s.rows_rejected, len(s.rejects)) == (None, 250, 250, 250)
    assert (s.rejects[-1].row_number, s.rejects[-1].value) == (251, "-1")


def test_preview_of_rosters_and_facts_together_sees_the_new_roster(db: Path, tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "c.csv", [["街道", "社区", "户数"], ["沌阳街道", "新村社区", "100"]])
    acts = write_csv(tmp_path / "a.csv", [ACT_HEAD[:7], ["2024-02-01", "新村社区", "", "联动联建", "烹饪教学", "3", "N1"]])
    report = preview_paths([acts, roster], db, today=TODAY)
    assert [(s.kind, s.rows_loaded, s.rows_rejected) for s in report.sheets] == [("communities", 1, 0), ("activities", 1, 0)]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM communities WHERE name = '新村社区'").fetchone() == (0,)
    con.close()


def test_preview_of_a_file_already_loaded_and_of_a_refused_one(db: Path, tmp_path: Path) -> None:
    again = tmp_path / "upload-1.csv"
    again.write_bytes((db.parent / "first.csv").read_bytes())
    bad = write_csv(tmp_path / "upload-2.csv", [["日期", "社区", "板块"], ["2024-02-01", "南湾社区", "联动联建"]])
    report = preview_paths([again, bad], db, today=TODAY, names=["first-copy.csv", "坏表.csv"])
    assert [(s.file_name, s.status, s.kind) for s in report.sheets] == [
        ("first-copy.csv", "already_loaded", "activities"), ("坏表.csv", "refused", None)]
    assert report.sheets[0].messages == ["同一文件已导入过，未作任何改变 / byte-identical file already loaded; nothing changed"]
    assert report.sheets[1].messages == [
        "无法识别表头：最接近「活动台账」，缺少必填列 活动类型 activity_type、参与人数 participants / header row not "
        "recognised: closest kind is activities, missing required column(s) activity_type, participants"]
    assert report.exit_code == 2


def test_files_over_the_limit_are_refused_before_reading(db: Path, tmp_path: Path, monkeypatch) -> None:
    assert MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    assert size_refusal(MAX_UPLOAD_BYTES) is None
    assert size_refusal(MAX_UPLOAD_BYTES + 1) == (
        "文件过大（50.0 MB），单个文件不能超过 50 MB；请按年份或月份拆分后再上传 / "
        "file too large (50.0 MB): at most 50 MB per file; split it (by year or month)")
    monkeypatch.setattr("etl.intake.MAX_UPLOAD_BYTES", 100)
    big = write_csv(tmp_path / "big.csv", [ACT_HEAD[:7]] + [["2024-02-01", "南湾社区", "", "联动联建", "x", "3", f"Z{i}"]
                                                           for i in range(10)])
    report = preview_paths([big], db, today=TODAY, names=["全年.csv"])
    [s] = report.sheets
    assert (s.file_name, s.status) == ("全年.csv", "refused")
    assert s.messages[0].startswith("文件过大（0.0 MB），单个文件不能超过 0 MB")


def test_load_uploads_records_the_clerks_file_name(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "tmpabc.csv", [ACT_HEAD[:7], ["2024-02-05", "南湾社区", "", "联动联建", "x", "3", "A9"]])
    report = load_uploads([f], db, names=["南湾社区活动.csv"], today=TODAY)
    assert [(x.file_name, x.status) for x in report.files] == [("南湾社区活动.csv", "loaded")]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT file_name FROM load_batches ORDER BY loaded_at DESC LIMIT 1").fetchone() == ("南湾社区活动.csv",)
    con.close()
