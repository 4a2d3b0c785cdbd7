"""python -m etl lake: the warehouse as a Parquet lake, published atomically and partially."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl import warehouse
from etl.lake import LAKE_TABLES, MANIFEST, lake_files, publish_lake, read_lake_manifest
from etl.loader import load_paths
from tests.ledgers import write_csv

ROOT = Path(__file__).resolve().parent.parent
SUMS = {  # a few exact sums per table, compared between the warehouse and the lake
    "activities": "sum(participants), sum(coalesce(services, 0)), count(DISTINCT activity_id), min(date), max(date)",
    "cases": "sum(coalesce(satisfaction, 0)), count(DISTINCT case_id), count(closed_on), min(opened_on)",
    "volunteers": "count(DISTINCT volunteer_id), count(joined_on), count(*) FILTER (WHERE party_member)",
    "volunteer_hours": "sum(hours), sum(coalesce(points, 0)), count(DISTINCT row_key)",
    "redemptions": "sum(points), count(DISTINCT row_key)",
    "communities": "sum(households), count(DISTINCT name)",
    "compounds": "sum(households), count(DISTINCT name)",
    "load_batches": "sum(rows_loaded), count(DISTINCT batch_id), count(data_version)",
    "summary_volunteer_month": "round(sum(hours), 6), count(DISTINCT volunteer_id), count(*) FILTER (WHERE active), "
                               "sum(records)",
    "summary_volunteer_first": "count(DISTINCT volunteer_id), min(first_month), max(first_month)",
    "summary_community_month": "round(sum(hours), 6), round(sum(redeemed), 6), count(DISTINCT community)",
    "summary_community_active": "sum(active), sum(retained), count(DISTINCT grain), min(start), max(start)",
    "summary_team_span": "sum(records), sum(volunteers), sum(party_active), round(sum(hours), 6), count(service)",
    "summary_hours_link": "sum(records), count(DISTINCT activity_id), min(month), max(month)",
}


@pytest.fixture()
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo warehouse (tests here load into it)."""
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, copy)
    return copy


def _lake_con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})


def _source(files: list[Path] | str) -> str:
    if isinstance(files, str):
        return f"read_parquet('{files}', hive_partitioning = true)"
    listed = ", ".join(f"'{f}'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true)"


def _assert_lake_equals_warehouse(db: Path, lake: Path, manifest: dict | None = None, glob: bool = False) -> None:
    wh = warehouse.open_read_only(db)
    lk = _lake_con()
    try:
        for table in LAKE_TABLES:
            expected = wh.execute(f"SELECT count(*), {SUMS[table]} FROM {table}").fetchone()
            files = lake_files(lake, table, manifest)
            assert files, table
            src = _source(f"{lake}/{table}/**/*.parquet" if glob else files)
            got = lk.execute(f"SELECT count(*), {SUMS[table]} FROM {src}").fetchone()
            assert got == expected, table
            date_col = LAKE_TABLES[table]
            if date_col:  # the year folder is the year of the row's date
                assert lk.execute(f"SELECT count(*) FROM {src} WHERE year != year({date_col})").fetchone() == (0,)
                by_year = dict(wh.execute(f"SELECT year({date_col}), count(*) FROM {table} GROUP BY 1").fetchall())
                assert dict(lk.execute(f"SELECT year, count(*) FROM {src} GROUP BY 1").fetchall()) == by_year
    finally:
        wh.close()
        lk.close()


def _assert_manifest_lists_existing_files(lake: Path) -> dict:
    manifest = read_lake_manifest(lake)
    for table in LAKE_TABLES:
        for f in lake_files(lake, table, manifest):
            assert f.is_file(), f
    assert not (lake / (MANIFEST + ".tmp")).exists()
    return manifest


def test_publish_layout_manifest_and_contents(db: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    report = publish_lake(db, lake)
    manifest = _assert_manifest_lists_existing_files(lake)
    wh = warehouse.open_read_only(db)
    version = wh.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]
    wh.close()
    assert report.data_version == version and manifest["data_version"] == version
    assert manifest["written_at"].endswith("Z") and manifest["written_at"][:2] == "20"
    assert set(manifest["tables"]) == set(LAKE_TABLES)
    assert not any(t.endswith("_history") or t in ("meta", "rejects") for t in manifest["tables"])
    n_parts = sum(len(t["partitions"]) for t in manifest["tables"].values())
    assert report.written == n_parts and report.reused == 0 and report.removed == 0

    # the layout, literally
    acts = manifest["tables"]["activities"]["partitions"]
    assert any(p["path"].startswith("activities/year=2024/part-") and p["path"].endswith(".parquet") for p in acts)
    assert all(p["path"] == f"activities/year={p['year']}/" + Path(p["path"]).name for p in acts)
    for table in ("cases", "volunteer_hours", "redemptions"):
        assert all(p["path"].startswith(f"{table}/year={p['year']}/part-")
                   for p in manifest["tables"][table]["partitions"])
    for table in ("communities", "compounds", "volunteers", "load_batches"):
        (only,) = manifest["tables"][table]["partitions"]
        assert only["path"].startswith(f"{table}/part-") and "/" not in only["path"][len(table) + 1:]
    for t in manifest["tables"].values():
        assert t["rows"] == sum(p["rows"] for p in t["partitions"])
        assert all(len(p["hash"]) == 64 for p in t["partitions"])

    # any engine reads it: a Hive glob over the table folders (no earlier generation here) and the manifest's list
    _assert_lake_equals_warehouse(db, lake, glob=True)
    _assert_lake_equals_warehouse(db, lake, manifest)

    # and another engine: pyarrow's dataset over the manifest's files, year from the Hive folders
    import pyarrow.dataset as ds

    acts_ds = ds.dataset([str(f) for f in lake_files(lake, "activities", manifest)], format="parquet",
                         partitioning="hive", partition_base_dir=str(lake / "activities"))
    assert acts_ds.count_rows() == manifest["tables"]["activities"]["rows"] and "year" in acts_ds.schema.names


def test_republish_writes_only_what_changed(db: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = publish_lake(db, lake)
    old = read_lake_manifest(lake)

    again = publish_lake(db, lake)
    assert (again.written, again.removed) == (0, 0) and again.reused == first.written
    assert read_lake_manifest(lake)["tables"] == old["tables"]

    csv = write_csv(tmp_path / "new.csv", [["日期", "社区", "板块", "活动类型", "参与人数"],
                                           ["2024-05-01", "南湾社区", "志愿服务", "理发", "7"]])
    assert load_paths([csv], db).exit_code == 0
    third = publish_lake(db, lake)
    new = _assert_manifest_lists_existing_files(lake)
    assert new["data_version"] != old["data_version"]
    changed = sorted(p.split("/part-")[0] for p in third.written_paths)
    assert changed == ["activities/year=2024", "load_batches"]  # load_batches: the load added a batch
    assert third.written == 2 and third.reused == first.written - 2
    assert new["tables"]["activities"]["rows"] == old["tables"]["activities"]["rows"] + 1
    for table, entry in new["tables"].items():
        for p in entry["partitions"]:
            if not any(p["path"].startswith(c + "/") for c in changed):
                assert p in old["tables"][table]["partitions"]  # reused as it was
    _assert_lake_equals_warehouse(db, lake, new)

    # a reader that read the old manifest just before the republish still reads all of its files
    _assert_manifest_lists_existing_files(lake)
    for table in LAKE_TABLES:
        for f in lake_files(lake, table, old):
            assert f.is_file(), f
    lk = _lake_con()
    assert lk.execute(f"SELECT count(*) FROM {_source(lake_files(lake, 'activities', old))}").fetchone() == (
        old["tables"]["activities"]["rows"],)
    lk.close()

    # the grace period ends with the next publish: the replaced generation's files go, the current ones stay
    fourth = publish_lake(db, lake)
    assert (fourth.written, fourth.removed) == (0, 2)
    gone = [lake / p for t in old["tables"] for p in
            (x["path"] for x in old["tables"][t]["partitions"]) if p not in json.dumps(new)]
    assert len(gone) == 2 and not any(f.exists() for f in gone)
    _assert_manifest_lists_existing_files(lake)


def test_a_crashed_publish_leaves_the_lake_readable_and_is_cleaned(db: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    publish_lake(db, lake)
    manifest = read_lake_manifest(lake)
    # what a publish that died before its swap leaves: a written file nobody lists, a half-written manifest
    orphan = lake / "activities" / "year=2024" / "part-0123456789ab-deadbeef.parquet"
    orphan.write_bytes(b"half")
    (lake / (MANIFEST + ".tmp")).write_text("{", encoding="utf-8")
    assert read_lake_manifest(lake) == manifest
    _assert_lake_equals_warehouse(db, lake, manifest)
    report = publish_lake(db, lake)
    assert report.written == 0 and report.removed == 1 and not orphan.exists()
    _assert_manifest_lists_existing_files(lake)


def test_cli_lake(db: Path, tmp_path: Path) -> None:
    def etl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)

    out = etl("--db", str(db), "lake", "--out", str(tmp_path / "lake"))
    assert out.returncode == 0, out.stderr
    assert "Parquet lake published" in out.stdout and "0 个 reused" in out.stdout
    assert read_lake_manifest(tmp_path / "lake")["tables"]["activities"]["partitions"]
    missing = etl("lake", "--out", str(tmp_path / "lake2"), "--db", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 2 and "warehouse not found" in missing.stderr
    assert not (tmp_path / "lake2").exists()
    help_text = etl("lake", "--help").stdout
    assert "--out" in help_text and "--db" in help_text and "数据湖" in help_text
