"""The warehouse published as a Parquet lake that any engine reads (`python -m etl lake --out DIR`).

Layout (relative to DIR):

    _manifest.json                                  what the lake holds: the only file a reader trusts
    activities/year=2024/part-<hash>-<uid>.parquet  fact tables, Hive-partitioned by the year of their date
    communities/part-<hash>-<uid>.parquet           everything else published, one file per table

What is published (`LAKE_TABLES`):
- Partitioned by year: activities (`date`), cases (`opened_on`), volunteer_hours (`date`), redemptions (`date`).
  A partition file holds the table's own columns; `year` comes from the folder name (Hive partitioning).
- Whole: communities, compounds, volunteers (a roster: `joined_on` is optional and says nothing about
  when the roster row applies, so it is not a partition key), load_batches (the lineage a reader needs to
  tell which files and batches the figures came from).
- The summary tables (etl/summaries.py): summary_volunteer_month (`month`), summary_team_span (`start`) and
  summary_hours_link (`month`; millions of rows at city scale) partitioned by year, the other summaries (summary_volunteer_first,
  summary_community_month, summary_community_active) whole.
- Not published: rejects (cell values of refused rows, for the clerk, not for analysis), the `*_history`
  tables (withdrawal bookkeeping) and `meta` (its key/values are in the manifest: `data_version`, `meta`).

A fact table without rows has no partition and no file; a whole table always has one file (possibly with
no rows), so that its columns are readable.

Readers never see a half-written lake. Every file is written under a new, unique name (its content hash plus
a random suffix) and never overwritten; the new `_manifest.json` is written to `_manifest.json.tmp`,
fsynced and renamed over the old one (`os.replace`), then the folder is fsynced. A reader reads the manifest
once and then only the files it lists (`lake_files`); a glob over DIR is right only while no previous
generation is kept. Grace period: files listed by the manifest that was just replaced are kept until the
*next* publish, so a reader that read the old manifest can still read its files; a publish deletes, after
the new manifest is in place, the `part-*.parquet` files that neither the new nor the previous manifest
lists (earlier generations, and files a crashed publish left). Publishes into one DIR are serialised by an
advisory lock on `DIR/.lake.lock`.

A later publish writes only the partitions whose content changed: each partition's content hash is the md5
over the md5 of every row's JSON (`to_json`), sorted, together with the table's column names and types; a
partition whose hash equals the one in the current manifest (and whose file is still there) keeps its
manifest entry and file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from etl import warehouse
from etl.schema import DATE_COLUMNS, KEYS

MANIFEST = "_manifest.json"
LOCK = ".lake.lock"
FORMAT = 1

# table → its main date column (partitioned by that column's year), or None (published whole)
LAKE_TABLES: dict[str, str | None] = {
    "communities": None,
    "compounds": None,
    "volunteers": None,
    **DATE_COLUMNS,
    "load_batches": None,
    # the summaries (etl/summaries.py), so that the lake engines can read the same exact aggregates
    "summary_volunteer_month": "month",
    "summary_volunteer_first": None,
    "summary_community_month": None,
    "summary_community_active": None,
    "summary_team_span": "start",
    "summary_hours_link": "month",
}
ORDER: dict[str, tuple[str, ...]] = {**KEYS, "load_batches": ("batch_id",),
                                     "summary_volunteer_month": ("month", "community", "volunteer_id"),
                                     "summary_volunteer_first": ("volunteer_id",),
                                     "summary_community_month": ("month", "community"),
                                     "summary_community_active": ("grain", "start", "community"),
                                     "summary_team_span": ("grain", "start", "community", "all_services", "team",
                                                           "service"),
                                     "summary_hours_link": ("month", "activity_id")}
_PART = re.compile(r"^part-[0-9a-f]{12}-[0-9a-f]{8}\.parquet$")


class NoWarehouse(FileNotFoundError):
    """There is no warehouse file to publish."""


@dataclass(frozen=True)
class LakeReport:
    written: int  # partitions written (new files)
    reused: int  # partitions whose file the new manifest keeps from the previous one
    removed: int  # files deleted after the swap (older than the previous generation, or orphans)
    data_version: str | None  # meta data_version of the warehouse that was published
    out_dir: Path | None = None
    written_paths: tuple[str, ...] = ()  # relative paths of the files written


def read_lake_manifest(out_dir: Path | str) -> dict | None:
    """The lake's current manifest (None when DIR holds no lake)."""
    try:
        return json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def lake_files(out_dir: Path | str, table: str, manifest: dict | None = None) -> list[Path]:
    """Absolute paths of the files `manifest` (default: the current one) lists for `table`."""
    manifest = manifest if manifest is not None else read_lake_manifest(out_dir)
    if manifest is None or table not in manifest["tables"]:
        return []
    return [Path(out_dir) / p["path"] for p in manifest["tables"][table]["partitions"]]


def _manifest_paths(manifest: dict | None) -> set[str]:
    if not manifest:
        return set()
    return {p["path"] for t in manifest["tables"].values() for p in t["partitions"]}


@contextlib.contextmanager
def _locked(out_dir: Path):
    with open(out_dir / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _partitions(con, table: str, date_col: str | None, columns: list[tuple[str, str]]) -> list[dict]:
    """[{year|None, rows, hash}] for the table's partitions (content hash includes the column list)."""
    signature = json.dumps(columns, ensure_ascii=False)
    if date_col is None:
        rows, digest = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
            f"FROM (SELECT md5(to_json(t)) AS h FROM {_quoted(table)} t)").fetchone()
        groups = [(None, rows, digest)]
    else:
        groups = con.execute(
            f"SELECT y, count(*), md5(string_agg(h, '' ORDER BY h)) FROM "
            f"(SELECT year(t.{_quoted(date_col)}) AS y, md5(to_json(t)) AS h FROM {_quoted(table)} t) "
            f"GROUP BY y ORDER BY y").fetchall()
    out = []
    for year, rows, digest in groups:
        h = hashlib.sha256(f"{FORMAT}|{signature}|{digest}".encode()).hexdigest()
        out.append({"year": year, "rows": int(rows), "hash": h})
    return out


def _rel_path(table: str, year: int | None, content_hash: str) -> str:
    folder = table if year is None else f"{table}/year={year}"
    return f"{folder}/part-{content_hash[:12]}-{uuid.uuid4().hex[:8]}.parquet"


def _write(con, table: str, date_col: str | None, year: int | None, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    order = ", ".join(_quoted(c) for c in ORDER.get(table, ()))
    order_by = f" ORDER BY {order}" if order else ""
    tmp = target.with_name(target.name + ".tmp")  # unique too: nothing lists it, so no reader opens it
    if date_col is None:
        con.execute(f"COPY (SELECT * FROM {_quoted(table)}{order_by}) TO $path (FORMAT PARQUET)",
                    {"path": str(tmp)})
    else:
        con.execute(f"COPY (SELECT * FROM {_quoted(table)} WHERE year({_quoted(date_col)}) = $year{order_by}) "
                    f"TO $path (FORMAT PARQUET)", {"year": year, "path": str(tmp)})
    warehouse.fsync_path(tmp)
    os.replace(tmp, target)


def publish_lake(db_path: Path | str, out_dir: Path | str) -> LakeReport:
    """Publish the warehouse at `db_path` as a Parquet lake in `out_dir` (see the module docstring)."""
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.exists():
        raise NoWarehouse(f"仓库文件不存在 / warehouse not found: {db_path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    con = warehouse.open_read_only(db_path)  # one connection: one consistent version of the warehouse
    try:
        with _locked(out_dir):
            old = read_lake_manifest(out_dir)
            old_by_key: dict[tuple[str, int | None], dict] = {}
            for table, entry in (old or {}).get("tables", {}).items():
                for p in entry["partitions"]:
                    old_by_key[(table, p.get("year"))] = p
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            version = meta.get("data_version")
            tables: dict[str, dict] = {}
            written: list[str] = []
            reused = 0
            for table, date_col in LAKE_TABLES.items():
                columns = [(c, str(t)) for c, t in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
                parts = []
                for part in _partitions(con, table, date_col, columns):
                    prev = old_by_key.get((table, part["year"]))
                    if prev and prev["hash"] == part["hash"] and (out_dir / prev["path"]).is_file():
                        parts.append(prev)
                        reused += 1
                        continue
                    rel = _rel_path(table, part["year"], part["hash"])
                    _write(con, table, date_col, part["year"], out_dir / rel)
                    entry = {"path": rel, "rows": part["rows"], "hash": part["hash"]}
                    if date_col is not None:
                        entry = {"year": part["year"], **entry}
                    parts.append(entry)
                    written.append(rel)
                tables[table] = {
                    "partitioned_by": None if date_col is None else {"column": "year", "source": f"year({date_col})"},
                    "columns": [{"name": c, "type": t} for c, t in columns],
                    "rows": sum(p["rows"] for p in parts),
                    "partitions": parts,
                }
            for d in {(out_dir / rel).parent for rel in written}:
                warehouse.fsync_path(d)
            manifest = {
                "format": FORMAT,
                "data_version": version,
                "meta": meta,  # every meta key (data_version, dataset, last_load_at): lake readers expose it as `meta`
                "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "tables": tables,
            }
            tmp = out_dir / (MANIFEST + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(manifest, f, ensure_ascii=False, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out_dir / MANIFEST)
            warehouse.fsync_path(out_dir)
            # grace period: the previous generation's files stay until the next publish
            keep = _manifest_paths(manifest) | _manifest_paths(old)
            removed = 0
            for table in LAKE_TABLES:
                folder = out_dir / table
                if not folder.is_dir():
                    continue
                for f in folder.rglob("part-*"):
                    rel = f.relative_to(out_dir).as_posix()
                    if f.is_file() and rel not in keep and (_PART.match(f.name) or f.name.endswith(".parquet.tmp")):
                        with contextlib.suppress(FileNotFoundError):
                            f.unlink()
                            removed += 1
                for d in sorted((p for p in folder.iterdir() if p.is_dir()), reverse=True):
                    with contextlib.suppress(OSError):
                        d.rmdir()  # an emptied year folder (only when empty)
    finally:
        con.close()
    return LakeReport(written=len(written), reused=reused, removed=removed, data_version=version,
                      out_dir=out_dir, written_paths=tuple(written))
