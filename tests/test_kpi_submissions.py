"""报送情况 (kpi.submissions): latest month per community and kind, the last upload, who is late; the load history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from etl import warehouse
from etl.loader import load_paths, withdraw
from kpi import submissions as sub
from kpi.filters import Filters
from kpi.targets import TargetsError, load_targets, parse_targets
from tests.ledgers import write_csv, write_rosters

TODAY = dt.date(2026, 11, 28)
ACT = ["日期", "社区", "板块", "活动类型", "参与人数", "活动编号"]
CASES = ["编号", "类别", "分类", "社区", "登记日期"]


@pytest.fixture()
def built(tmp_path: Path):
    """南湾: activities and cases of October 2026; 凤亭: activities end in September, cases in October."""
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "r"), db, today=TODAY, loaded_by="admin").exit_code == 0
    act = write_csv(tmp_path / "act.csv", [ACT, ["2026-10-03", "南湾社区", "志愿服务", "理发", "9", "A1"],
                                           ["2026-09-20", "凤亭社区", "志愿服务", "理发", "7", "A2"]])
    cases = write_csv(tmp_path / "cases.csv", [CASES, ["C1", "居民诉求", "噪音", "南湾社区", "2026-10-10"],
                                               ["C2", "居民诉求", "噪音", "凤亭社区", "2026-10-02"],
                                               ["C3", "其他", "噪音", "凤亭社区", "2026-10-02"]])
    nw = write_csv(tmp_path / "nw.csv", [ACT, ["2026-08-01", "南湾社区", "志愿服务", "理发", "3", "A3"]])
    assert load_paths([act], db, today=TODAY, loaded_by="clerk-a").exit_code == 0
    assert load_paths([cases], db, today=TODAY, loaded_by="clerk-c").exit_code == 1
    assert load_paths([nw], db, today=TODAY, loaded_by="nanwan").exit_code == 0
    return db


def frame(db: Path, *args, **kw) -> pd.DataFrame:
    con = warehouse.open_read_only(db)
    try:
        return sub.submissions(con, *args, **kw)
    finally:
        con.close()


def history(db: Path, *args, **kw) -> pd.DataFrame:
    con = warehouse.open_read_only(db)
    try:
        return sub.load_history(con, *args, **kw)
    finally:
        con.close()


def test_due_month() -> None:
    assert sub.due_month(dt.date(2026, 11, 28)) == dt.date(2026, 10, 1)
    assert sub.due_month(dt.date(2026, 11, 5)) == dt.date(2026, 9, 1)  # the 5th is still on time
    assert sub.due_month(dt.date(2026, 11, 6)) == dt.date(2026, 10, 1)
    assert sub.due_month(dt.date(2027, 1, 2), 1) == dt.date(2026, 12, 1)
    assert sub.due_month(dt.date(2027, 1, 1), 1) == dt.date(2026, 11, 1)
    # the demo's data ends 2026-09-30: on 2026-11-28 every demo community misses October, so all are late
    assert sub.due_month(dt.date(2026, 11, 28), 5) > dt.date(2026, 9, 30)


def test_submissions_by_community_and_kind(built: Path) -> None:
    df = frame(built, None, TODAY)
    assert list(df.columns) == sub.COLUMNS
    assert len(df) == 2 * 5
    assert list(df["kind"][:5]) == list(sub.LEDGER_KINDS)
    by = df.set_index(["community", "kind"])
    month = lambda s: pd.Timestamp(s)  # noqa: E731
    assert by.loc[("南湾社区", "activities"), "latest_month"] == month("2026-10-01")
    assert by.loc[("凤亭社区", "activities"), "latest_month"] == month("2026-09-01")
    assert by.loc[("凤亭社区", "cases"), "latest_month"] == month("2026-10-01")
    assert by.loc[("南湾社区", "volunteers"), "latest_month"] == month("2022-03-01")
    assert pd.isna(by.loc[("南湾社区", "volunteer_hours"), "latest_month"])
    # the last upload: 南湾's activities last came in nw.csv (1 row), 凤亭's in act.csv (2 rows)
    assert tuple(by.loc[("南湾社区", "activities"), ["file_name", "loaded_by", "rows_loaded", "rows_rejected"]]) == (
        "nw.csv", "nanwan", 1, 0)
    assert tuple(by.loc[("凤亭社区", "activities"), ["file_name", "loaded_by", "rows_loaded"]]) == ("act.csv", "clerk-a", 2)
    assert tuple(by.loc[("凤亭社区", "cases"), ["file_name", "rows_loaded", "rows_rejected"]]) == ("cases.csv", 2, 1)
    assert by.loc[("南湾社区", "volunteers"), "file_name"] == "c.csv"
    assert pd.isna(by.loc[("南湾社区", "redemptions"), "file_name"])
    # late: 凤亭's activities end in September, October was due by November 5
    assert set(df[df["late"]]["community"]) == {"凤亭社区"}
    assert df["due_month"].eq(month("2026-10-01")).all()
    assert not by.loc[("凤亭社区", "activities"), "covered"] and by.loc[("凤亭社区", "cases"), "covered"]
    # on November 5 only September was due: nobody is late; on December 6 November is due: both are
    assert not frame(built, None, dt.date(2026, 11, 5))["late"].any()
    assert frame(built, None, dt.date(2026, 11, 5), deadline_day=4)["late"].sum() == 5
    assert frame(built, None, dt.date(2026, 12, 6))["late"].all()


def test_a_clerk_sees_only_their_community(built: Path) -> None:
    mine = frame(built, ("凤亭社区",), TODAY)
    assert set(mine["community"]) == {"凤亭社区"} and len(mine) == 5 and mine["late"].all()
    same = frame(built, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31), allowed=("凤亭社区",)), TODAY)
    pd.testing.assert_frame_equal(mine, same)
    assert frame(built, (), TODAY).empty
    chosen = frame(built, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31), communities=("南湾社区",)), TODAY)
    assert set(chosen["community"]) == {"南湾社区"}


def test_withdrawing_the_cases_makes_nanwan_late(built: Path) -> None:
    (b,) = history(built).query("file_name == 'cases.csv'")["batch_id"]
    withdraw(built, b)
    df = frame(built, None, TODAY)
    assert set(df[df["late"]]["community"]) == {"南湾社区", "凤亭社区"}
    assert df.query("kind == 'cases'")["file_name"].isna().all()  # a withdrawn batch is no upload


def test_load_history(built: Path) -> None:
    h = history(built)
    assert list(h.columns) == sub.HISTORY_COLUMNS
    assert list(h["file_name"]) == ["nw.csv", "cases.csv", "act.csv", "c.csv", "b.csv", "a.csv"]
    assert list(h["loaded_by"][:3]) == ["nanwan", "clerk-c", "clerk-a"]
    assert list(h["communities"][0]) == ["南湾社区"] and sorted(h["communities"][1]) == ["凤亭社区", "南湾社区"]
    assert h["data_version"].notna().all() and h["data_version"].nunique() == 4  # one per run
    assert list(history(built, limit=2)["file_name"]) == ["nw.csv", "cases.csv"]
    fengting = history(built, ("凤亭社区",))
    assert "nw.csv" not in set(fengting["file_name"]) and len(fengting) == 5
    assert all(list(c) == ["凤亭社区"] for c in fengting["communities"])  # no other community's name
    assert history(built, ()).empty
    (b,) = h.query("file_name == 'nw.csv'")["batch_id"]
    w = withdraw(built, b, by="admin")
    h = history(built, ("南湾社区",))
    assert list(h[["batch_id", "kind", "withdraws", "status"]].iloc[0]) == [w.batch_id, "withdrawal", b, "applied"]
    assert h.query("batch_id == @b")["status"].item() == "withdrawn"


def test_deadline_day_in_the_targets_file(tmp_path: Path) -> None:
    assert load_targets().submission_deadline_day == 5  # data/targets.toml
    assert parse_targets({"version": "1"}).submission_deadline_day == 5
    assert parse_targets({"version": "1", "submissions": {"deadline_day": 10}}).submission_deadline_day == 10
    for bad in ({"deadline_day": 0}, {"deadline_day": 31}, {"deadline_day": "5"}, {"deadline": 5}):
        with pytest.raises(TargetsError, match="submissions"):
            parse_targets({"version": "1", "submissions": bad})
