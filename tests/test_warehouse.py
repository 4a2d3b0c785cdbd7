"""Crash safety and concurrent readers: the published warehouse is always whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from etl import warehouse
from etl.loader import load_paths
from tests.ledgers import write_csv, write_rosters

ROOT = Path(__file__).resolve().parent.parent


def big_activities(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("活动编号,日期,社区,板块,活动类型,参与人数\n")
        for i in range(rows):
            fh.write(f"B{i},2024-0{1 + i % 9}-1{i % 9},南湾社区,志愿服务,理发,{i % 50}\n")
    return path


def count(db: Path, table: str) -> int:
    con = warehouse.open_read_only(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path).exit_code == 0
    small = write_csv(tmp_path / "small.csv", [["活动编号", "日期", "社区", "板块", "活动类型", "参与人数"],
                                               ["S1", "2024-01-01", "南湾社区", "志愿服务", "理发", "3"]])
    assert load_paths([small], path).exit_code == 0
    return path


READER = textwrap.dedent(
    """
    import sys, time, pathlib
    from etl import warehouse
    db, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    con = warehouse.open_read_only(db)
    seen = set()
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        seen.add(con.execute("SELECT count(*) FROM activities").fetchone()[0])
        time.sleep(0.01)
    seen.add(con.execute("SELECT count(*) FROM activities").fetchone()[0])
    print(sorted(seen), flush=True)
    """
)


def test_load_succeeds_while_another_process_reads(db: Path, tmp_path: Path) -> None:
    flag = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(flag)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "ready"
    version = warehouse.data_version(db)
    report = load_paths([big_activities(tmp_path / "more.csv", 20_000)], db)
    flag.touch()
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert report.exit_code == 0
    assert out.strip() == "[1]"  # the open reader kept its consistent, old snapshot
    assert warehouse.data_version(db) != version  # and can tell that it should reopen
    assert count(db, "activities") == 20_001


def test_data_version_and_meta(db: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    con.close()
    assert len(meta["data_version"]) == 32 and meta["last_load_at"].startswith("20")
    assert warehouse.data_version(tmp_path / "nope.duckdb") == "missing"


def test_open_read_only_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="warehouse not found"):
        warehouse.open_read_only(tmp_path / "nope.duckdb")


def test_default_db_path_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOV_DB", "/x/y.duckdb")
    assert warehouse.default_db_path() == Path("/x/y.duckdb")
    monkeypatch.delenv("GOV_DB")
    assert warehouse.default_db_path() == ROOT / "data" / "governance.duckdb"


def test_default_paths_do_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    script = "from etl import warehouse; print(warehouse.default_db_path()); print(warehouse.project_path('data'))"
    env = {k: v for k, v in os.environ.items() if k != "GOV_DB"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(ROOT / "data" / "governance.duckdb"), str(ROOT / "data")]


# --- one way to replace the warehouse ------------------------------------------------------

def test_only_the_warehouse_module_replaces_files() -> None:
    """One way to publish the warehouse: `etl.warehouse._publish`. The Parquet lake (`etl/lake.py`) is a separate
    artifact that swaps its own manifest; nothing else renames files into place."""
    users = sorted(
        str(p.relative_to(ROOT)) for folder in ("etl", "demo", "kpi", "ui", "pages", "briefing", "bench")
        for p in (ROOT / folder).rglob("*.py") if "os.replace" in p.read_text(encoding="utf-8")
    )
    assert users == ["etl/lake.py", "etl/warehouse.py"]


def test_demo_build_waits_for_the_write_lock(tmp_path: Path) -> None:
    import threading

    from demo import build_demo

    db, ledgers = tmp_path / "demo.duckdb", tmp_path / "ledgers"
    done: list[int] = []
    with warehouse.locked(db):  # another writer holds the lock
        worker = threading.Thread(
            target=lambda: done.append(build_demo(db, out_dir=ledgers, communities=1, years=1).exit_code))
        worker.start()
        deadline = time.monotonic() + 60
        while not list(ledgers.glob("*.csv")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # ledgers written long ago; a build that ignored the lock would be done by now
        assert worker.is_alive() and not db.exists() and not warehouse.leftovers(db)
    worker.join(60)
    assert done == [0] and count(db, "communities") == 1


def test_leftovers_of_every_kind_are_removed_by_the_next_write(db: Path, tmp_path: Path) -> None:
    names = ["w.duckdb.loading-1a2b3c4d", "w.duckdb.loading-1a2b3c4d.wal", "w.duckdb.loading-9f9f9f9f.wal",
             "w.duckdb.demo-build", "w.duckdb.demo-build.wal", "w.duckdb.demo-build.loading-5e6f7a8b",
             "w.duckdb.demo-build.loading-5e6f7a8b.wal", "w.duckdb.demo-build.lock"]
    for name in names:
        (tmp_path / name).write_bytes(b"left by a killed process")
    (tmp_path / "other.duckdb.loading-1a2b3c4d").write_bytes(b"another warehouse's, not ours")
    assert [p.name for p in warehouse.leftovers(db)] == sorted(names)
    more = write_csv(tmp_path / "more.csv", [["活动编号", "日期", "社区", "板块", "活动类型", "参与人数"],
                                             ["S2", "2024-01-02", "南湾社区", "志愿服务", "理发", "4"]])
    assert load_paths([more], db).exit_code == 0
    assert warehouse.leftovers(db) == []
    assert (tmp_path / "other.duckdb.loading-1a2b3c4d").exists()
    assert count(db, "activities") == 2


def test_killed_demo_leaves_nothing_the_next_load_keeps(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl", "--db", str(db), "demo"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not warehouse.slot_path(db, "a").exists():  # the build has begun in the first slot
        assert proc.poll() is None, "the demo finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)  # inside the load
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not db.exists()
    assert load_paths(write_rosters(tmp_path / "rosters"), db).exit_code == 0
    assert warehouse.leftovers(db) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["demo.duckdb", "demo.duckdb.lock"]
    assert count(db, "communities") == 2 and count(db, "activities") == 0  # nothing of the killed demo


def test_readers_keep_an_old_version_open_until_its_read_ends(tmp_path):
    """A publish never closes a connection under a reader; the next read opens the new version; the old
    version's link goes when its last reader is done."""
    from etl.warehouse import Readers, writing

    db = tmp_path / "w.duckdb"
    with writing(db) as s:
        s.con.execute("CREATE TABLE t AS SELECT 1 AS v")
    readers = Readers()
    with readers.reading(db) as (old, v1):
        with writing(db) as s:  # a load publishes while the read is open
            s.con.execute("UPDATE t SET v = 2")
        assert old.execute("SELECT v FROM t").fetchone() == (1,)  # the read in progress still works
        with readers.reading(db) as (new, v2):
            assert v2 != v1 and new.execute("SELECT v FROM t").fetchone() == (2,)
        assert len(readers._open) == 2
    with readers.reading(db) as (con, v3):
        assert v3 == v2 and con.execute("SELECT v FROM t").fetchone() == (2,)
    assert len(readers._open) == 1  # the old version's connection is closed
    with _duckdb_closed(old):
        pass
    with readers.reading(db) as (con, _):  # an idle pool lets go of an old version by itself (its timer)
        pass
    with writing(db) as s:
        s.con.execute("UPDATE t SET v = 3")
    deadline = time.monotonic() + 5
    while readers._open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not readers._open
    readers.close_all()


class _duckdb_closed:
    """Asserts the connection was closed (a query raises ConnectionException)."""

    def __init__(self, con):
        self.con = con

    def __enter__(self):
        import duckdb as _duckdb
        import pytest as _pytest

        with _pytest.raises(_duckdb.ConnectionException):
            self.con.execute("SELECT 1")

    def __exit__(self, *exc):
        return False


def test_an_older_warehouse_is_upgraded_to_the_current_schema(tmp_path):
    """A warehouse written before a new column existed gets it (the UI calls this before reading)."""
    import duckdb

    from etl.warehouse import schema_is_current, upgrade_schema, writing

    db = tmp_path / "old.duckdb"
    with writing(db) as s:
        s.con.execute("ALTER TABLE load_batches DROP COLUMN loaded_by")  # as an older version wrote it
    assert not schema_is_current(db)
    assert upgrade_schema(db) is True
    assert schema_is_current(db) and upgrade_schema(db) is False
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'load_batches'").fetchall()]
    finally:
        con.close()
    assert "loaded_by" in cols
