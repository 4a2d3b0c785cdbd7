"""Uploads: the size limit, the clerk's file names, and the preview (a dry run of the load).

The preview runs `etl.loader.load_paths` itself — the same recognition, validation and upserts — on
the warehouse's standby slot inside one transaction `etl.warehouse.write(dry_run=True)` rolls back, and
reads what happened there before the rollback (`load_paths(dry_run=...)`: nothing is published, no batch
row reaches the warehouse, no refusal is logged, nothing is copied). A separate validator against a read-only connection would be a second implementation of the
contract that could drift from the loader; this way the preview cannot say anything the load would
not do. The price: a preview holds the write lock like a load, so it waits for a publishing load
and a load waits for it.

Uploads arrive as temp files whose names differ from the clerk's; `named_copies` links them under
the clerk's names (each in its own folder), so that messages, rejects and `load_batches.file_name`
name the clerk's file — use `load_uploads` for the real load (确认入库) for the same reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import MAX_UPLOAD_BYTES, loader, schema
from etl.loader import STATUS_REFUSED, FileResult, LoadReport, Progress, Reject


def size_refusal(size: int) -> str | None:
    """The bilingual refusal of a file of `size` bytes, or None when it is within MAX_UPLOAD_BYTES."""
    if size <= MAX_UPLOAD_BYTES:
        return None
    mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    return (f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {mb} MB；请按年份或月份拆分后再上传 / "
            f"file too large ({size / 1024 / 1024:.1f} MB): at most {mb} MB per file; split it (by year or month)")


@contextlib.contextmanager
def named_copies(paths: Iterable[Path | str], names: list[str] | None = None) -> Iterator[list[Path]]:
    """The files under the clerk's names (`names[i]` for `paths[i]`), each in its own temp folder; removed after.

    Without names the paths are yielded as they are. Copies are hard links where possible (no bytes copied).
    """
    paths = [Path(p) for p in paths]
    if names is None:
        yield paths
        return
    if len(names) != len(paths):
        raise ValueError("names must name every path")
    with tempfile.TemporaryDirectory(prefix="gov-upload-") as tmp:
        out = []
        for i, (src, name) in enumerate(zip(paths, names, strict=True)):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            dst = folder / Path(name).name  # a name, never a path the clerk chose
            if src.exists():
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
            out.append(dst)
        yield out


def _split_by_size(paths: list[Path]) -> tuple[list[Path], list[FileResult]]:
    ok, refused = [], []
    for p in paths:
        message = size_refusal(p.stat().st_size) if p.is_file() else None
        if message:
            refused.append(FileResult(p, messages=[message]))
        else:
            ok.append(p)
    return ok, refused


def load_uploads(
    paths: Iterable[Path | str], db_path: Path | str, *, names: list[str] | None = None, **options,
) -> LoadReport:
    """`load_paths` for uploads (确认入库): the size limit, and batches, rejects and messages under the clerk's names."""
    with named_copies(paths, names) as named:
        ok, too_large = _split_by_size(named)
        report = loader.load_paths(ok, db_path, **options) if ok else LoadReport()
        report.files.extend(too_large)
    _rename(report, names is not None)
    return report


def _rename(report: LoadReport, named: bool) -> None:
    """After a named-copy run: a file result's path is the clerk's file name (the copy is gone)."""
    if named:
        for f in report.files:
            f.path = Path(f.path.name)


# --- the preview -------------------------------------------------------------

@dataclass
class SheetPreview:
    """What loading one sheet of one file (a CSV: the file) would do."""

    file_name: str  # the clerk's file name
    sheet: str | None  # None for a CSV (and for a refused file)
    kind: str | None  # the kind recognised (None: refused)
    status: str  # loader status: loaded / loaded_with_rejects / already_loaded / refused ("would be")
    rows_read: int = 0  # data rows (not the example row)
    rows_loaded: int = 0  # rows that would load (inserted or updating)
    rows_rejected: int = 0
    rows_updated: int = 0  # of rows_loaded: rows whose key is already in the warehouse (they replace it)
    rows_example: int = 0  # template example rows, skipped
    ignored: list[str] = field(default_factory=list)  # unknown headers, as written
    dropped: list[str] = field(default_factory=list)  # personal-data headers, as written
    messages: list[str] = field(default_factory=list)  # the file's messages (refusal, already loaded, notes)
    rejects: list[Reject] = field(default_factory=list)  # every reject, in row order

    @property
    def rows_new(self) -> int:
        return self.rows_loaded - self.rows_updated


@dataclass
class PreviewReport(LoadReport):
    sheets: list[SheetPreview] = field(default_factory=list)

    @property
    def rejects(self) -> list[Reject]:  # type: ignore[override]
        """Every reject of every sheet (a load's report keeps the first 200 per file)."""
        return [r for s in self.sheets for r in s.rejects]


class _Inspector:
    """`load_paths(dry_run=...)`: remembers what was in the warehouse, then reads what the load did."""

    def __init__(self) -> None:
        self.before_batches: set[str] = set()
        self.batches: list[tuple] = []
        self.updated: dict[str, int] = {}
        self.rejects: dict[str, list[Reject]] = {}

    def before(self, con: duckdb.DuckDBPyConnection, units: list[loader.Unit]) -> None:
        self.before_batches = {r[0] for r in con.execute("SELECT batch_id FROM load_batches").fetchall()}
        for table in sorted({u.kind.table for u in units}):
            keys = ", ".join(schema.KEYS[table])
            con.execute(f"CREATE OR REPLACE TEMP TABLE _before_{table} AS SELECT DISTINCT {keys} FROM {table}")

    def after(self, con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
        rows = con.execute(
            "SELECT batch_id, file_name, sha256, kind, sheet, rows_read, rows_loaded, rows_rejected, status "
            "FROM load_batches ORDER BY batch_id"
        ).fetchall()
        self.batches = [r for r in rows if r[0] not in self.before_batches]
        tables = {k.name: k.table for k in loader.KINDS}
        for batch_id, *_, kind, _sheet, _read, _loaded, _rejected, _status in self.batches:
            table = tables[kind]
            on = " AND ".join(f"b.{k} IS NOT DISTINCT FROM t.{k}" for k in schema.KEYS[table])
            self.updated[batch_id] = con.execute(
                f"SELECT count(*) FROM {table} t WHERE t.batch_id = ? AND EXISTS (SELECT 1 FROM _before_{table} b WHERE {on})",
                [batch_id],
            ).fetchone()[0]
            self.rejects[batch_id] = [
                Reject(r[0], r[1], r[2], r[3], r[4], r[5]) for r in con.execute(
                    "SELECT file_name, sheet, row_number, column_name, value, reason FROM rejects WHERE batch_id = ? "
                    "ORDER BY row_number, rowid", [batch_id]).fetchall()
            ]


def _file_sha(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def preview_paths(
    paths: Iterable[Path | str], db_path: Path | str, *, today: dt.date | None = None,
    names: list[str] | None = None, progress: Progress | None = None, mapping=None,
    allowed: Iterable[str] | None = None,
) -> PreviewReport:
    """What loading these files would do, per file and sheet, without publishing anything (see the module doc)."""
    inspector = _Inspector()
    report = PreviewReport()
    with named_copies(paths, names) as named:
        ok, too_large = _split_by_size(named)
        if ok:
            loaded = loader.load_paths(ok, db_path, progress=progress, today=today, dry_run=inspector,
                                       mapping=mapping, allowed=allowed)
            report.files.extend(loaded.files)
        report.files.extend(too_large)
        recognised = {}
        sha = {}
        for f in report.files:
            if f.status != STATUS_REFUSED and f.path not in recognised:
                found, _ = loader._recognise_file(f.path)
                recognised[f.path] = {sheet.name: rec for sheet, rec in found}
                sha[f.path] = _file_sha(f.path)
        for f in report.files:
            report.sheets.extend(_sheets_of(f, inspector, recognised.get(f.path, {}), sha.get(f.path)))
    _rename(report, names is not None)
    return report


def _sheets_of(f: FileResult, inspector: _Inspector, recs: dict, sha: str | None) -> list[SheetPreview]:
    if f.status == STATUS_REFUSED:
        return [SheetPreview(f.file_name, None, None, f.status, messages=list(f.messages))]
    batches = {b[4]: b for b in inspector.batches if b[2] == sha and b[3] == f.kind}
    malformed = [r for r in f.rejects if r.column_name is None]  # kept in the result only, not in the rejects table
    out = []
    for sheet in f.sheets:
        rec = recs.get(sheet)
        s = SheetPreview(
            f.file_name, sheet, f.kind, f.status, rows_example=f.examples.get(sheet, 0), messages=list(f.messages),
            ignored=list(rec.ignored) if rec else [], dropped=list(rec.dropped_personal) if rec else [],
        )
        b = batches.get(sheet)
        if b is not None:
            batch_id = b[0]
            s.rows_read, s.rows_loaded, s.rows_rejected, s.status = b[5], b[6], b[7], b[8]
            s.rows_updated = inspector.updated.get(batch_id, 0)
            rejects = inspector.rejects.get(batch_id, []) + [r for r in malformed if r.sheet == sheet]
            s.rejects = sorted(rejects, key=lambda r: (r.row_number or 0))
        out.append(s)
    return out
