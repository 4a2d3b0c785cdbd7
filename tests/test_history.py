"""Load history and withdrawal (etl.history): every batch can be taken back exactly, and put back again."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from etl import schema
from etl.loader import WithdrawRefused, load_paths, withdraw
from tests.ledgers import write_csv, write_rosters

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).resolve().parent.parent
ACT = ["日期", "社区", "板块", "活动类型", "参与人数", "活动编号"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path, today=TODAY).exit_code == 0
    return path


def act(path: Path, *rows: tuple) -> Path:
    return write_csv(path, [ACT, *[[str(c) for c in r] for r in rows]])


def load(db: Path, *paths: Path, **kw):
    return load_paths(list(paths), db, today=TODAY, **kw)


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def state(db: Path) -> dict[str, list[tuple]]:
    """Every data table and the rejects, row for row (all columns, batch_id included)."""
    return {t: sorted(q(db, f"SELECT * FROM {t}"), key=repr)
            for t in (*schema.REFERENCE_TABLES, *schema.FACT_TABLES, "rejects")}


def only_batch(report) -> str:
    (b,) = [b for f in report.files for b in f.batch_ids]
    return b


def test_the_batch_record(db: Path, tmp_path: Path) -> None:
    r = load(db, act(tmp_path / "a.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 12, "A1"),
                     ("2026-10-04", "凤亭社区", "志愿服务", "理发", 8, "A2")), loaded_by="clerk1", profile="p1")
    b = only_batch(r)
    (row,) = q(db, "SELECT loaded_by, profile, data_version, rows_updated, communities, status FROM load_batches "
                   "WHERE batch_id = ?", [b])
    version = q(db, "SELECT value FROM meta WHERE key = 'data_version'")[0][0]
    assert row == ("clerk1", "p1", version, 0, ["凤亭社区", "南湾社区"], "loaded")
    r2 = load(db, act(tmp_path / "a.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 13, "A1")))
    (row,) = q(db, "SELECT loaded_by, profile, rows_updated, communities FROM load_batches WHERE batch_id = ?",
               [only_batch(r2)])
    assert row == (None, None, 1, ["南湾社区"])


def test_withdraw_an_insert_only_batch(db: Path, tmp_path: Path) -> None:
    before = state(db)
    r = load(db, act(tmp_path / "a.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 12, "A1"),
                     ("2026-10-04", "南湾社区", "志愿服务", "理发", -1, "A2"),
                     ("2026-10-05", "凤亭社区", "联动联建", "清洁家园", 30, "A3")))
    assert r.exit_code == 1
    b = only_batch(r)
    assert q(db, "SELECT count(*) FROM activities") == [(2,)] and q(db, "SELECT count(*) FROM rejects") == [(1,)]
    w = withdraw(db, b, by="admin")
    assert (w.action, w.rows_removed, w.rows_restored, w.target, w.base) == ("withdrawn", 2, 0, b, b)
    assert state(db) == before  # row for row; the reject no longer counts
    assert q(db, "SELECT status FROM load_batches WHERE batch_id = ?", [b]) == [("withdrawn",)]
    assert q(db, "SELECT kind, status, withdraws, loaded_by, rows_removed, rows_loaded, communities, data_version "
                 "FROM load_batches WHERE batch_id = ?", [w.batch_id]) == [
        ("withdrawal", "applied", b, "admin", 2, 0, ["凤亭社区", "南湾社区"], w.data_version)]
    assert q(db, "SELECT value FROM meta WHERE key = 'data_version'") == [(w.data_version,)]
    # a withdrawn file is not "already loaded": loading it again loads it
    again = load(db, tmp_path / "a.csv")
    assert again.files[0].status == "loaded_with_rejects" and q(db, "SELECT count(*) FROM activities") == [(2,)]


def test_withdraw_an_update_batch_reapply_and_withdraw_again(db: Path, tmp_path: Path) -> None:
    # v1: A1 30, A2 20 and one reject; v2 of the same ledger: A1 35 (an update), A3 new, no reject
    v1 = load(db, act(tmp_path / "act.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 30, "A1"),
                      ("2026-10-04", "南湾社区", "志愿服务", "理发", 20, "A2"),
                      ("2026-10-05", "南湾社区", "志愿服务", "理发", "x", "A9")))
    s1 = state(db)
    v2 = load(db, act(tmp_path / "act.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 35, "A1"),
                      ("2026-10-06", "凤亭社区", "志愿服务", "理发", 5, "A3")))
    b1, b2 = only_batch(v1), only_batch(v2)
    s2 = state(db)
    assert q(db, "SELECT activity_id, participants, batch_id FROM activities ORDER BY 1") == [
        ("A1", 35, b2), ("A2", 20, b1), ("A3", 5, b2)]
    assert s2["rejects"] == []  # the ledger's latest version has none
    assert q(db, "SELECT rows_updated FROM load_batches WHERE batch_id = ?", [b2]) == [(1,)]

    w = withdraw(db, b2)
    assert (w.rows_removed, w.rows_restored) == (2, 1)
    assert state(db) == s1  # A1 back to 30 (batch b1), A3 gone, v1's reject back
    assert q(db, "SELECT count(*) FROM rejects") == [(1,)]

    x = withdraw(db, w.batch_id)  # withdrawing the withdrawal reapplies v2
    assert (x.action, x.base, x.rows_removed, x.rows_restored) == ("reapplied", b2, 1, 2)
    assert state(db) == s2
    assert q(db, "SELECT batch_id, status FROM load_batches WHERE batch_id IN (?, ?, ?) ORDER BY loaded_at",
             [b2, w.batch_id, x.batch_id]) == [(b2, "loaded"), (w.batch_id, "withdrawn"), (x.batch_id, "applied")]

    y = withdraw(db, x.batch_id)  # and withdrawing that takes v2 back again
    assert (y.action, y.rows_removed, y.rows_restored) == ("withdrawn", 2, 1)
    assert state(db) == s1
    z = withdraw(db, y.batch_id)
    assert z.action == "reapplied" and state(db) == s2
    withdraw(db, b2)  # a fresh withdrawal of the batch itself works as well
    assert state(db) == s1


def test_a_batch_updated_again_later_is_refused_until_the_later_one_is_withdrawn(db: Path, tmp_path: Path) -> None:
    before = state(db)
    b1 = only_batch(load(db, act(tmp_path / "act.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 30, "A1"),
                                 ("2026-10-04", "南湾社区", "志愿服务", "理发", 20, "A2"))))
    s1 = state(db)
    b2 = only_batch(load(db, act(tmp_path / "fix.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 40, "A1"))))
    s2 = state(db)
    with pytest.raises(WithdrawRefused) as refused:
        withdraw(db, b1)
    assert refused.value.code == "later" and refused.value.later == (b2,)
    assert b2 in str(refused.value) and "fix.csv" in str(refused.value)
    assert "请先撤回" in str(refused.value) and "withdraw those first" in str(refused.value)
    assert state(db) == s2  # nothing changed
    withdraw(db, b2)
    assert state(db) == s1
    withdraw(db, b1)
    assert state(db) == before


def test_reapply_is_refused_when_the_rows_changed_since(db: Path, tmp_path: Path) -> None:
    b1 = only_batch(load(db, act(tmp_path / "act.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 30, "A1"))))
    w = withdraw(db, b1)
    c = only_batch(load(db, act(tmp_path / "other.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 50, "A1"))))
    with pytest.raises(WithdrawRefused) as refused:
        withdraw(db, w.batch_id)
    assert refused.value.code == "later" and refused.value.later == (c,)
    assert q(db, "SELECT participants, batch_id FROM activities") == [(50, c)]


def test_unknown_and_already_withdrawn(db: Path, tmp_path: Path) -> None:
    with pytest.raises(WithdrawRefused) as e:
        withdraw(db, "nope")
    assert e.value.code == "unknown" and "没有这个批次" in str(e.value) and "no such batch" in str(e.value)
    b = only_batch(load(db, act(tmp_path / "a.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 30, "A1"))))
    w = withdraw(db, b)
    with pytest.raises(WithdrawRefused) as e:
        withdraw(db, b)
    assert e.value.code == "already" and w.batch_id in str(e.value)
    x = withdraw(db, w.batch_id)
    withdraw(db, b)  # b is in effect again: a new withdrawal
    with pytest.raises(WithdrawRefused) as e:
        withdraw(db, x.batch_id)  # not the latest of b's chain
    assert e.value.code == "chain"


def test_withdraw_a_roster_update(db: Path, tmp_path: Path) -> None:
    before = state(db)
    rows = [["街道", "社区", "户数", "成立年份"], ["沌阳街道", "南湾社区", "6000", "2021"]]
    b = only_batch(load(db, write_csv(tmp_path / "roster2.csv", rows)))
    assert q(db, "SELECT households FROM communities WHERE name = '南湾社区'") == [(6000,)]
    withdraw(db, b)
    assert state(db) == before


def test_older_warehouse_gains_the_history_columns_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE load_batches (batch_id VARCHAR PRIMARY KEY, file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, kind VARCHAR, loaded_at TIMESTAMP NOT NULL, rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL, rows_rejected BIGINT NOT NULL, status VARCHAR NOT NULL, message VARCHAR)""")
    con.execute("INSERT INTO load_batches VALUES ('b0', 'old.csv', 'x', 'activities', '2024-01-01', 1, 1, 0, 'loaded', NULL)")
    con.close()
    assert load_paths(write_rosters(tmp_path / "r"), path, today=TODAY, loaded_by="me").exit_code == 0
    assert q(path, "SELECT file_name, loaded_by FROM load_batches ORDER BY 1") == [
        ("a.csv", "me"), ("b.csv", "me"), ("c.csv", "me"), ("old.csv", None)]
    assert q(path, "SELECT count(*) FROM activities_history") == [(0,)]


# --- the command line ------------------------------------------------------------------------------------------

def etl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_history_and_withdraw_commands(db: Path, tmp_path: Path) -> None:
    f = act(tmp_path / "活动台账.csv", ("2026-10-03", "南湾社区", "志愿服务", "理发", 30, "A1"),
            ("2026-10-04", "南湾社区", "志愿服务", "理发", -3, "A2"))
    assert etl("--db", str(db), "load", str(f)).returncode == 1
    (b,) = q(db, "SELECT batch_id FROM load_batches WHERE file_name = '活动台账.csv'")[0]
    con = duckdb.connect(str(db))  # a known time: 2026-11-03 17:05 UTC is 2026-11-04 01:05 in Beijing
    con.execute("UPDATE load_batches SET loaded_at = TIMESTAMP '2026-11-03 17:05:00' WHERE batch_id = ?", [b])
    con.close()
    out = etl("history", "--db", str(db))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "北京时间" in lines[0]
    header = next(x for x in lines if "批次 batch" in x)
    mine = next(x for x in lines if "活动台账.csv" in x)
    assert "2026-11-04 01:05" in mine and "cli:" in mine and "活动 activities" not in mine
    assert "活动台账 activities" in mine and "部分拒收" in mine
    # aligned by display width: the file column starts at the same terminal column in the header and each row
    col = width(header[:header.index("文件 file")])
    for line in lines[lines.index(header) + 1:]:
        assert width(line[:re.search(r"\S+\.csv", line).start()]) == col, line
    assert len([x for x in lines if ".csv" in x]) == 4  # three rosters and the activities
    assert len([x for x in etl("history", "--db", str(db), "--limit", "2").stdout.splitlines() if ".csv" in x]) == 2

    done = etl("withdraw", b, "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "已撤回批次" in done.stdout and "withdrawn" in done.stdout
    assert q(db, "SELECT count(*) FROM activities") == [(0,)] and q(db, "SELECT count(*) FROM rejects") == [(0,)]
    (w, by) = q(db, "SELECT batch_id, loaded_by FROM load_batches WHERE kind = 'withdrawal'")[0]
    assert by.startswith("cli:")
    after = etl("--db", str(db), "history").stdout
    assert f"撤回 withdrawal → {b}" in after and "已撤回 withdrawn" in after and "已生效 applied" in after

    again = etl("withdraw", b, "--db", str(db))
    assert again.returncode == 2 and "已被撤回" in again.stderr and "withdrawn already" in again.stderr
    unknown = etl("--db", str(db), "withdraw", "nope")
    assert unknown.returncode == 2 and "没有这个批次" in unknown.stderr and "no such batch" in unknown.stderr
    assert etl("withdraw", w, "--db", str(db)).returncode == 0  # reapplied
    assert q(db, "SELECT count(*) FROM activities") == [(1,)]
    assert etl("history", "--db", str(tmp_path / "none.duckdb")).returncode == 2
    assert etl("withdraw", "x", "--db", str(tmp_path / "none.duckdb")).returncode == 2
