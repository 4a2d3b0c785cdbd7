"""One record's whole story (kpi.stories): fields, days against the time limit, and what a second ledger version
changed and when — from two ledger versions built and loaded here, with the load clock pinned."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import etl.loader
from etl.loader import load_paths, withdraw
from etl.warehouse import open_read_only
from kpi import stories
from kpi.stories import Change
from kpi.targets import Targets
from tests.ledgers import write_csv, write_rosters

TODAY = dt.date(2024, 4, 30)
T = Targets(sla_default_days=30, sla_days={"停车管理": 15})
CASES = ["编号", "类别", "分类", "社区", "小区", "来源", "登记日期", "办结日期", "状态", "满意度", "诉求内容"]
ACTS = ["活动编号", "日期", "社区", "板块", "活动类型", "活动名称", "参与人数"]
FIRST = dt.datetime(2024, 3, 5, 1, 0, 0)  # naive UTC, as load_batches stores it
SECOND = dt.datetime(2024, 3, 25, 2, 30, 0)


def _load(db: Path, paths: list[Path], at: dt.datetime, monkeypatch) -> list[str]:
    monkeypatch.setattr(etl.loader, "_utc_now", lambda: at)
    report = load_paths(paths, db, today=TODAY)
    assert report.exit_code == 0, [(f.file_name, f.status, f.messages) for f in report.files]
    return [b for f in report.files for b in f.batch_ids]


@pytest.fixture()
def db(tmp_path: Path, monkeypatch) -> tuple[Path, list[str]]:
    """Rosters, then two versions of one cases ledger and one activities ledger (same file names): the second
    closes C1, leaves C2 as it was, and corrects A1's participants."""
    path = tmp_path / "w.duckdb"
    _load(path, write_rosters(tmp_path / "rosters"), dt.datetime(2024, 3, 1), monkeypatch)
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    first = _load(path, [
        write_csv(v1 / "诉求台账.csv", [CASES,
                  ["C1", "居民诉求", "停车管理", "南湾社区", "东风凤凰城", "12345热线", "2024-03-01", "", "办理中", "",
                   "小区门口车辆乱停"],
                  ["C2", "矛盾纠纷", "邻里纠纷", "凤亭社区", "", "", "2024-03-02", "", "办理中", "", "楼上漏水"]]),
        write_csv(v1 / "活动台账.csv", [ACTS, ["A1", "2024-03-03", "南湾社区", "志愿服务", "理发", "义剪", "12"]]),
    ], FIRST, monkeypatch)
    second = _load(path, [
        write_csv(v2 / "诉求台账.csv", [CASES,
                  ["C1", "居民诉求", "停车管理", "南湾社区", "东风凤凰城", "12345热线", "2024-03-01", "2024-03-20",
                   "已办结", "5", "小区门口车辆乱停"],
                  ["C2", "矛盾纠纷", "邻里纠纷", "凤亭社区", "", "", "2024-03-02", "", "办理中", "", "楼上漏水"]]),
        write_csv(v2 / "活动台账.csv", [ACTS, ["A1", "2024-03-03", "南湾社区", "志愿服务", "理发", "义剪", "15"]]),
    ], SECOND, monkeypatch)
    return path, first + second


def read(path: Path, fn):
    con = open_read_only(path)
    try:
        return fn(con)
    finally:
        con.close()


def test_a_case_closed_by_the_second_version(db):
    s = read(db[0], lambda con: stories.case_story(con, "C1", today=TODAY, targets=T))
    assert s.fields == {
        "case_id": "C1", "kind": "居民诉求", "category": "停车管理", "source": "12345热线", "community": "南湾社区",
        "compound": "东风凤凰城", "opened_on": dt.date(2024, 3, 1), "closed_on": dt.date(2024, 3, 20),
        "status": "已办结", "outcome": None, "satisfaction": 5, "summary": "小区门口车辆乱停"}
    # 19 days to close against 停车管理's 15-day limit: closed, not on time
    assert (s.days, s.closed, s.sla_days, s.on_time, s.overdue) == (19, True, 15, False, None)
    assert s.changed and len(s.versions) == 2
    first, second = s.versions
    assert (first.loaded_at, first.file_name, first.changes) == (FIRST, "诉求台账.csv", ())
    assert (second.loaded_at, second.file_name) == (SECOND, "诉求台账.csv")
    assert second.changes == (Change("closed_on", None, dt.date(2024, 3, 20)), Change("status", "办理中", "已办结"),
                              Change("satisfaction", None, 5))


def test_an_unchanged_case_has_one_version_and_no_time_limit(db):
    s = read(db[0], lambda con: stories.case_story(con, "C2", today=TODAY, targets=T))
    assert not s.changed and len(s.versions) == 1 and s.versions[0].loaded_at == FIRST
    # a dispute: open 59 days on 2024-04-30, no time limit (the catalogue's limits are for resident requests)
    assert (s.days, s.closed, s.sla_days, s.on_time, s.overdue) == (59, False, None, None, None)


def test_an_activity_corrected_by_the_second_version(db):
    s = read(db[0], lambda con: stories.activity_story(con, "A1"))
    assert (s.fields["participants"], s.fields["title"], s.fields["date"]) == (15, "义剪", dt.date(2024, 3, 3))
    assert [v.loaded_at for v in s.versions] == [FIRST, SECOND]
    assert s.versions[1].changes == (Change("participants", 12, 15),)


def test_scope_refusal_and_bad_ids(db):
    path, _ = db
    con = open_read_only(path)
    try:
        assert stories.case_story(con, "C1", allowed=("南湾社区",), today=TODAY, targets=T) is not None
        # another community's viewer cannot open it, even knowing its id: the same None as for no such case
        assert stories.case_story(con, "C1", allowed=("凤亭社区",), today=TODAY, targets=T) is None
        assert stories.case_story(con, "C1", allowed=(), today=TODAY, targets=T) is None
        assert stories.activity_story(con, "A1", allowed=("凤亭社区",)) is None
        assert stories.case_story(con, "C9", today=TODAY, targets=T) is None
        assert stories.case_story(con, "C1" * 40, today=TODAY, targets=T) is None
        assert stories.case_story(con, "C1\n", today=TODAY, targets=T) is None
        assert stories.case_story(con, "A1", today=TODAY, targets=T) is None  # an activity id is not a case
    finally:
        con.close()


def test_a_withdrawn_version_leaves_the_story(db):
    path, batches = db
    con = open_read_only(path)
    try:
        (second_cases,) = [b for (b,) in con.execute(
            "SELECT batch_id FROM load_batches WHERE kind = 'cases' AND loaded_at = ?", [SECOND]).fetchall()]
    finally:
        con.close()
    assert second_cases in batches
    withdraw(path, second_cases, by="admin")
    con = open_read_only(path)
    try:
        s = stories.case_story(con, "C1", today=TODAY, targets=T)
    finally:
        con.close()
    assert s.fields["status"] == "办理中" and s.fields["closed_on"] is None
    assert len(s.versions) == 1 and s.versions[0].loaded_at == FIRST
    # open 60 days on 2024-04-30 against a 15-day limit: overdue
    assert (s.days, s.closed, s.on_time, s.overdue) == (60, False, None, True)


def test_on_the_parquet_lake_the_fields_without_history(demo_db, demo_lake):
    """The lake does not publish the history tables: the same record, `versions` None (the dialog says so)."""
    import engines
    from tests.conftest import TARGETS

    today = dt.date(2026, 11, 28)
    want = read(demo_db, lambda con: (stories.case_story(con, "C2026-000299", today=today, targets=TARGETS),
                                      stories.activity_story(con, "NW-2026-0432")))
    lake = engines.connect("duckdb-lake", lake=demo_lake)
    try:
        got = (stories.case_story(lake, "C2026-000299", today=today, targets=TARGETS),
               stories.activity_story(lake, "NW-2026-0432"))
    finally:
        lake.close()
    for g, w in zip(got, want, strict=True):
        assert w is not None and len(w.versions) == 1
        assert g.fields == w.fields and (g.days, g.sla_days, g.on_time, g.overdue) == \
            (w.days, w.sla_days, w.on_time, w.overdue)
        assert g.versions is None
