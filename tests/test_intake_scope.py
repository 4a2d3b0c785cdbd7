"""A clerk's upload writes only rows of the communities they may load for (`load_paths(allowed=...)`), and the
数据上报 / 报送情况 pages are there for the roles that use them (AppTest)."""

from __future__ import annotations

import duckdb
import pytest

from etl.loader import load_paths, preview_paths
from tests.ledgers import write_csv, write_rosters
from tests.ui_helpers import app_env, assert_clean, run_app  # noqa: F401

ACTIVITIES = [
    ["日期", "社区", "板块", "活动类型", "参与人数", "活动编号"],
    ["2024-03-01", "南湾社区", "联动联建", "共建活动", "30", "A-1"],
    ["2024-03-02", "凤亭社区", "联动联建", "共建活动", "20", "A-2"],  # not the clerk's community
    ["2024-03-03", "南湾社区", "居民自治", "议事协商会", "12", "A-3"],
]
HOURS = [
    ["志愿者编号", "日期", "时长", "积分"],
    ["V001", "2024-03-01", "2", "20"],
    ["V003", "2024-03-01", "3", "30"],  # V003 is 凤亭社区's volunteer
]


@pytest.fixture()
def db(tmp_path):
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), db).exit_code == 0
    return db


def test_a_clerks_load_rejects_rows_of_other_communities(db, tmp_path):
    acts = write_csv(tmp_path / "活动.csv", ACTIVITIES)
    hours = write_csv(tmp_path / "时长.csv", HOURS)
    report = load_paths([acts, hours], db, allowed=("南湾社区",))
    assert report.exit_code == 1
    by_file = {f.file_name: f for f in report.files}
    assert (by_file["活动.csv"].rows_loaded, by_file["活动.csv"].rows_rejected) == (2, 1)
    assert (by_file["时长.csv"].rows_loaded, by_file["时长.csv"].rows_rejected) == (1, 1)
    rejects = {(r.file_name, r.row_number, r.value): r.reason for r in report.rejects}
    assert rejects[("活动.csv", 3, "凤亭社区")] == "不是您可上报的社区 / not a community you may load ledgers for"
    assert rejects[("时长.csv", 3, "V003")].startswith("志愿者不属于您可上报的社区")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT activity_id FROM activities ORDER BY 1").fetchall() == [("A-1",), ("A-3",)]
    finally:
        con.close()


def test_an_administrator_or_the_command_line_loads_any_community(db, tmp_path):
    report = load_paths([write_csv(tmp_path / "活动.csv", ACTIVITIES)], db)
    assert report.exit_code == 0 and report.files[0].rows_loaded == 3


def test_the_preview_says_the_same_and_writes_nothing(db, tmp_path):
    before = db.read_bytes()
    preview = preview_paths([write_csv(tmp_path / "x.csv", ACTIVITIES)], db, names=["三月活动.csv"],
                            allowed=("南湾社区",))
    (sheet,) = preview.sheets
    assert (sheet.file_name, sheet.rows_loaded, sheet.rows_rejected) == ("三月活动.csv", 2, 1)
    assert [r.row_number for r in preview.rejects] == [3]
    assert db.read_bytes() == before


@pytest.mark.usefixtures("app_env")
def test_the_intake_page_is_for_clerks_and_administrators():
    for role in ("clerk", "admin"):
        at = run_app(role=role, page="pages/intake.py")
        assert_clean(at)
        assert [h.value for h in at.header] == ["数据上报"], role
        assert any("尚未选择文件" in i.value for i in at.info)
    for role in ("leader", "community"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            run_app(role=role, page="pages/intake.py")


@pytest.mark.usefixtures("app_env")
def test_the_submissions_page_names_the_late_communities_in_scope():
    at = run_app(role="leader", page="pages/submissions.py")
    assert_clean(at)
    # GOV_TODAY 2026-11-28, deadline the 5th: October is due; the demo ends 2026-09-30, so all six are late
    warning = at.warning[-1].value
    assert "6 个社区逾期未报送" in warning and "南湾社区" in warning
    at = run_app(role="community", page="pages/submissions.py")
    assert_clean(at)
    assert "1 个社区逾期未报送：南湾社区" in at.warning[-1].value
    table = at.dataframe[0].value
    assert set(table["community"]) == {"南湾社区"}
