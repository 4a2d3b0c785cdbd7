"""The two-slot write path (etl/warehouse.py): a load costs what it loads, and every guarantee holds.

Kill -9 at named and at random moments of a load leaves exactly the previous warehouse or (only once it was
published) exactly the new one, readable, and the next load leaves both slots holding the same content; a
reader in another process is never blocked and never sees half a load; a preview leaves no trace and copies
nothing; a one-row load writes far less than the warehouse.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from etl import warehouse
from etl.history import WithdrawRefused, withdraw
from etl.intake import preview_paths
from etl.loader import load_paths
from tests.ledgers import write_csv, write_rosters

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["活动编号", "日期", "社区", "板块", "活动类型", "参与人数"]


def activities(path: Path, rows: int, prefix: str = "B", people: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(rows):
            fh.write(f"{prefix}{i},2024-0{1 + i % 9}-1{i % 9},南湾社区,志愿服务,理发,{(i + people) % 50}\n")
    return path


def snapshot(file: Path) -> dict[str, list]:
    """Every table of a warehouse file, rows sorted (an independent read: DuckDB directly, not our helpers)."""
    con = duckdb.connect(str(file), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def state(db: Path) -> dict:
    return json.loads((warehouse.slots_dir(db) / "state.json").read_text())


def assert_slots_identical(db: Path) -> None:
    """Both slots recorded clean at the same generation, and holding the same rows in every table (once the
    background replay of the last write, if any, has finished)."""
    warehouse.settle(db)
    st = state(db)
    assert st["a"] is not None and st["a"] == st["b"], st
    a, b = snapshot(warehouse.slot_path(db, "a")), snapshot(warehouse.slot_path(db, "b"))
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], table


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path).exit_code == 0
    assert load_paths([activities(tmp_path / "first.csv", 2000, "F")], path).exit_code == 0
    warehouse.settle(path)  # the tests read the slot files themselves
    return path


def run_load(db: Path, file: Path, crash_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GOV_CRASH_AT", None)
    if crash_at:
        env["GOV_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "etl", "--db", str(db), "load", str(file)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def assert_new_state(db: Path, before: dict, added: int) -> None:
    now = snapshot(db)
    assert len(now["activities"]) == len(before["activities"]) + added
    assert len(now["load_batches"]) == len(before["load_batches"]) + 1
    for table in ("communities", "compounds", "volunteers"):
        assert now[table] == before[table]


@pytest.mark.parametrize("moment, published", [
    ("standby", False),    # the load applied to the standby, not yet checkpointed
    ("state", False),      # the standby recorded clean, the link not yet swapped
    ("published", True),   # the link just swapped, the old slot not yet synced
    ("sync", True),        # the load replayed on the old slot, not yet checkpointed
])
def test_a_load_killed_at_each_moment_leaves_a_whole_warehouse(db: Path, tmp_path: Path, moment, published):
    before = snapshot(db)
    proc = run_load(db, activities(tmp_path / "more.csv", 3000, "M"), crash_at=moment)
    assert proc.wait(120) == -signal.SIGKILL
    if published:
        assert_new_state(db, before, 3000)
    else:
        assert snapshot(db) == before  # exactly the previous warehouse
    after = snapshot(db)
    # the next load works, and leaves both slots holding the same content
    assert load_paths([activities(tmp_path / "next.csv", 10, "N")], db).exit_code == 0
    assert len(snapshot(db)["activities"]) == len(after["activities"]) + 10
    assert_slots_identical(db)
    assert warehouse.leftovers(db) == []


def test_a_load_killed_during_the_catch_up_copy(db: Path, tmp_path: Path) -> None:
    """A killed sync leaves the old slot dirty; the next load first copies it back — killed there too."""
    proc = run_load(db, activities(tmp_path / "one.csv", 500, "O"), crash_at="sync")
    assert proc.wait(120) == -signal.SIGKILL
    live = warehouse.live_slot(db)
    other = "a" if live == "b" else "b"
    assert state(db)[other] is None  # dirty: the next write must copy
    before = snapshot(db)
    proc = run_load(db, activities(tmp_path / "two.csv", 500, "T"), crash_at="copy")
    assert proc.wait(120) == -signal.SIGKILL
    assert warehouse.leftovers(db)  # the half-done copy, written aside
    assert snapshot(db) == before and warehouse.live_slot(db) == live
    assert load_paths([activities(tmp_path / "two.csv", 500, "T")], db).exit_code == 0
    assert len(snapshot(db)["activities"]) == len(before["activities"]) + 500
    assert_slots_identical(db)
    assert warehouse.leftovers(db) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_load_killed_at_a_random_moment(db: Path, tmp_path: Path, seed: int) -> None:
    big = activities(tmp_path / "big.csv", 60_000, "R")
    before = snapshot(db)
    started = time.monotonic()
    proc = run_load(db, big)
    proc.wait(120)
    whole = time.monotonic() - started  # how long this load takes here, to kill it somewhere inside the next
    assert load_paths([activities(tmp_path / "undo.csv", 1, "U")], db).exit_code == 0
    assert withdraw(db, snapshot_batches(db)[-1]).action == "withdrawn"  # a withdrawal in the history too
    before = snapshot(db)
    again = activities(tmp_path / "again.csv", 60_000, "S")
    proc = run_load(db, again)
    time.sleep(random.Random(seed).uniform(0.2, max(0.3, whole)))
    proc.send_signal(signal.SIGKILL)
    proc.wait(60)
    try:
        assert snapshot(db) == before
    except AssertionError:
        assert_new_state(db, before, 60_000)
    assert load_paths([activities(tmp_path / "next.csv", 10, "N")], db).exit_code == 0
    assert_slots_identical(db)
    assert warehouse.leftovers(db) == []


def snapshot_batches(db: Path) -> list[str]:
    con = warehouse.open_read_only(db)
    try:
        return [r[0] for r in con.execute("SELECT batch_id FROM load_batches WHERE file_name != '' "
                                          "AND kind = 'activities' ORDER BY loaded_at, batch_id").fetchall()]
    finally:
        con.close()


def test_the_slots_hold_the_same_content_after_loads_updates_and_withdrawals(db: Path, tmp_path: Path) -> None:
    assert_slots_identical(db)
    load_paths([activities(tmp_path / "x.csv", 300, "X")], db)
    assert_slots_identical(db)
    load_paths([activities(tmp_path / "x2.csv", 300, "X", people=7)], db)  # the same keys, new values: updates
    assert_slots_identical(db)
    batches = snapshot_batches(db)
    report = withdraw(db, batches[-1])  # the update taken back: the older rows restored
    assert report.action == "withdrawn" and report.rows_restored == 300
    assert_slots_identical(db)
    again = withdraw(db, report.batch_id)  # and reapplied
    assert again.action == "reapplied"
    assert_slots_identical(db)
    with pytest.raises(WithdrawRefused, match="已被撤回"):
        withdraw(db, report.batch_id)  # the first withdrawal, undone by the reapplication
    assert_slots_identical(db)  # a refused withdrawal changed nothing and left the standby clean
    load_paths([write_csv(tmp_path / "bad.csv", [HEADER, ["Z1", "2024-13-40", "无此社区", "志愿服务", "理发", "x"]])], db)
    assert_slots_identical(db)  # rejects and their history too


def test_a_preview_leaves_no_trace_and_copies_nothing(db: Path, tmp_path: Path, monkeypatch) -> None:
    copies: list = []
    real_copy = warehouse._copy_slot
    monkeypatch.setattr(warehouse, "_copy_slot", lambda *a: (copies.append(a), real_copy(*a)))
    live = warehouse.slot_path(db, warehouse.live_slot(db))
    before_live, before_state, before = live.read_bytes(), state(db), snapshot(db)
    standby = warehouse.slot_path(db, "a" if live.stem == "b" else "b")
    before_standby = snapshot(standby)
    preview = preview_paths([activities(tmp_path / "p.csv", 400, "P")], db)
    assert [s.rows_loaded for s in preview.sheets] == [400]
    assert copies == []
    assert live.read_bytes() == before_live and state(db) == before_state and snapshot(db) == before
    assert snapshot(standby) == before_standby
    assert warehouse.leftovers(db) == []
    assert load_paths([activities(tmp_path / "q.csv", 5, "Q")], db).exit_code == 0
    assert copies == []  # the standby stayed clean: the load after the preview copies nothing either


def test_a_dry_run_starts_over_when_a_file_rolls_back(db: Path, tmp_path: Path) -> None:
    """DuckDB has no savepoints: a file that fails half-way inside a preview's one transaction rolls the whole
    preview back; it starts over with that file refused, so the files before and after it keep their figures."""
    good = activities(tmp_path / "a_good.csv", 50, "G")
    lines = [",".join(HEADER)] + [f"X{i},2024-02-01,南湾社区,联动联建,烹饪教学,{i % 9}" for i in range(9000)]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    assert len(body) > 256 * 1024  # the encoding is judged from the first 256 KiB: found bad only while loading
    bad = tmp_path / "b_broken.csv"
    bad.write_bytes(body + b"X9999,2024-02-01,\xff\xfe\xff,,,1\n")
    later = activities(tmp_path / "c_later.csv", 7, "L")
    before = snapshot(db)
    preview = preview_paths([good, bad, later], db)
    got = {s.file_name: (s.status, s.rows_loaded) for s in preview.sheets}
    assert got == {"a_good.csv": ("loaded", 50), "b_broken.csv": ("refused", 0), "c_later.csv": ("loaded", 7)}
    assert snapshot(db) == before
    assert_slots_identical(db)


def test_a_one_row_load_writes_far_less_than_the_warehouse(db: Path, tmp_path: Path, monkeypatch) -> None:
    """Bytes written by the process (/proc/self/io) during a one-row load, against the warehouse's size: a
    load that copied the warehouse (as the write path before the slots did) writes at least all of it."""
    copies: list = []
    real_copy = warehouse._copy_slot
    monkeypatch.setattr(warehouse, "_copy_slot", lambda *a: (copies.append(a), real_copy(*a)))
    assert load_paths([activities(tmp_path / "bulk.csv", 300_000, "K")], db).exit_code == 0
    size = warehouse.slot_path(db, warehouse.live_slot(db)).stat().st_size
    assert size > 4_000_000  # DuckDB compresses the 300,000 rows to 7–9 MB: a copy of it would show

    def written() -> int:
        io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return int(io["wchar"])

    warehouse.settle(db)
    start = written()
    assert load_paths([activities(tmp_path / "one.csv", 1, "W")], db).exit_code == 0
    warehouse.settle(db)  # the replay on the other slot counts too
    cost = written() - start
    # both slots written, each with the table's last row group and the metadata: not a copy
    assert cost < size / 2, (cost, size)
    assert copies == []
    assert_slots_identical(db)


def test_an_older_warehouse_file_becomes_the_first_slot(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    plain = tmp_path / "plain.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), plain).exit_code == 0
    os.replace(warehouse.slot_path(plain, warehouse.live_slot(plain)), db)  # a regular file, as before
    assert not db.is_symlink()
    before = snapshot(db)
    assert load_paths([activities(tmp_path / "x.csv", 5, "X")], db).exit_code == 0
    assert db.is_symlink() and len(snapshot(db)["activities"]) == len(before["activities"]) + 5
    assert_slots_identical(db)


READER = textwrap.dedent(
    """
    import sys, time, pathlib
    from etl import warehouse
    db, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    seen, slowest = set(), 0.0
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline:
        t = time.monotonic()
        con = warehouse.open_read_only(db)  # a new connection each time: it must follow every publish
        n = con.execute("SELECT count(*) FROM activities").fetchone()[0]
        b = con.execute("SELECT count(*) FROM load_batches WHERE kind = 'activities'").fetchone()[0]
        con.close()
        slowest = max(slowest, time.monotonic() - t)
        seen.add((n, b))
    print(sorted(seen), flush=True)
    print(slowest, flush=True)
    """
)


def test_a_reader_in_another_process_is_never_blocked_and_never_sees_half_a_load(db: Path, tmp_path: Path):
    flag = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(flag)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    for i in range(4):
        assert load_paths([activities(tmp_path / f"r{i}.csv", 5000, f"R{i}-")], db).exit_code == 0
    flag.touch()
    out, _ = reader.communicate(timeout=120)
    seen, slowest = eval(out.splitlines()[0]), float(out.splitlines()[1])  # noqa: S307 - our own child's print
    assert set(seen) <= {(2000 + 5000 * i, 1 + i) for i in range(5)}  # whole versions only
    assert len(seen) >= 2  # it did read across publishes
    assert slowest < 2.0


def test_a_file_changed_before_the_replay_leaves_the_old_slot_to_be_copied(db: Path, tmp_path: Path, monkeypatch):
    """A replay that reads the file again (only its hash kept: files beyond KEEP_BYTES, or a "sync" replay):
    changed meanwhile, the old slot is not trusted."""
    monkeypatch.setattr(warehouse, "KEEP_BYTES", 0)
    f = activities(tmp_path / "f.csv", 20, "C")
    real_publish = warehouse._publish

    def publish_then_edit(path, slot):
        real_publish(path, slot)
        activities(f, 20, "D")  # the clerk saves over it while the load finishes

    monkeypatch.setattr(warehouse, "_publish", publish_then_edit)
    assert load_paths([f], db).exit_code == 0
    warehouse.settle(db)
    live = warehouse.live_slot(db)
    assert state(db)["a" if live == "b" else "b"] is None  # dirty: not brought up by a diverging replay
    assert [r for r in snapshot(db)["activities"] if "'C1'" in r] and not [r for r in snapshot(db)["activities"]
                                                                         if "'D1'" in r]
    monkeypatch.setattr(warehouse, "_publish", real_publish)
    assert load_paths([activities(tmp_path / "g.csv", 3, "G")], db).exit_code == 0
    assert_slots_identical(db)


def test_the_load_returns_once_published_and_the_replay_needs_no_file(db: Path, tmp_path: Path, monkeypatch):
    """Background replay (the default): `load_paths` returns after the publish while the other slot is brought
    up to date on a thread that holds the write lock; it replays the file's bytes kept in memory, so an upload's
    temporary copy deleted as soon as the load returns does not leave the other slot to be copied."""
    monkeypatch.setattr(warehouse, "REPLAY", "background")
    copies: list = []
    real_copy = warehouse._copy_slot
    monkeypatch.setattr(warehouse, "_copy_slot", lambda *a: (copies.append(a), real_copy(*a)))
    real_open = warehouse._open_rw
    opened: list = []

    def slow_open(p, wait):  # the replay waits until the load has returned, and the file is gone
        opened.append(p)
        time.sleep(0.5)
        return real_open(p, wait)

    monkeypatch.setattr(warehouse, "_open_rw", slow_open)
    before = len(snapshot(db)["activities"])
    f = activities(tmp_path / "upload.csv", 30, "U")
    assert load_paths([f], db).exit_code == 0
    f.unlink()
    assert len(snapshot(db)["activities"]) == before + 30  # published: readers see it at once
    live = warehouse.live_slot(db)
    assert state(db)["a" if live == "b" else "b"] is None  # the other slot: dirty until its replay ends
    # another write waits for the replay (the lock), then finds both slots current: no copy
    assert load_paths([activities(tmp_path / "next.csv", 4, "N")], db).exit_code == 0
    assert_slots_identical(db)
    assert copies == []
