"""Where the warehouse lives and how it is written and read.

One writer, many read-only readers. A load never writes the live file: it
copies the warehouse to a temporary file beside it (or starts an empty one,
for a build that replaces the warehouse whole, like the demo), loads there,
checkpoints, and atomically renames the copy over the live file. A reader that
holds the old file open keeps reading the old, complete version; a load that
crashes leaves the live file untouched (its leftovers are removed by the next
write). Every write is serialised with one advisory lock file,
`<warehouse>.lock`, and `_publish` — called only under that lock — is the one
place that replaces the warehouse file.

Default paths are anchored at the project root (`PROJECT_ROOT`), never at the
working directory; `$GOV_DB` overrides the warehouse's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from etl import schema, summaries

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = PROJECT_ROOT / "data" / "governance.duckdb"
TMP_MARK = ".loading-"
# Leftovers an interrupted build can leave beside the warehouse, removed by the
# next write: the private copy of a load (and its .wal), and what `etl demo`
# built beside the warehouse before it went through `writing()` as well.
LEFTOVER_MARKS = (TMP_MARK, ".demo-build")

_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def project_path(*parts: str) -> Path:
    """A path inside the project, independent of the working directory."""
    return PROJECT_ROOT.joinpath(*parts)


def default_db_path() -> Path:
    """`$GOV_DB` (as given), else data/governance.duckdb in the project."""
    return Path(os.environ.get("GOV_DB") or DEFAULT_DB)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with extension auto-install/auto-load off (no internet here)."""
    con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
    con.execute("SET enable_progress_bar = false")
    if not read_only:  # lets inserts run on every core; row order carries no meaning here
        con.execute("SET preserve_insertion_order = false")
    return con


def open_read_only(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    path = Path(path) if path else default_db_path()
    if not path.exists():
        raise FileNotFoundError(f"仓库文件不存在 / warehouse not found: {path}")
    return connect(path, read_only=True)


def data_version(path: Path | str | None = None) -> str:
    """A token that changes whenever a load has replaced the warehouse file."""
    path = Path(path) if path else default_db_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


def _remove_with_wal(p: Path) -> None:
    for q in (p, p.with_name(p.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            q.unlink()


def refusal_log_path(path: Path | str) -> Path:
    """Refused files are logged beside the warehouse (JSON lines), which they leave unchanged."""
    path = Path(path)
    return path.with_name(path.name + ".refused.jsonl")


def lock_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Hold the warehouse's write lock (blocking until no other writer holds it).

    The lock file itself is never removed: removing it while another process
    waits on it would let a third one take a second, separate lock.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(path), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def leftovers(path: Path | str) -> list[Path]:
    """Files an interrupted write left beside the warehouse (never the warehouse or its lock)."""
    path = Path(path)
    found = []
    for mark in LEFTOVER_MARKS:
        for p in path.parent.glob(f"{path.name}{mark}*"):
            if p.is_file():
                found.append(p)
    return sorted(found)


def _clean_leftovers(path: Path) -> None:
    """Remove what interrupted writes left; the caller holds the lock."""
    for p in leftovers(path):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _publish(built: Path, path: Path) -> None:
    """Replace the warehouse at `path` with the complete, checkpointed file `built`.

    The only `os.replace` onto a warehouse; callers hold `locked(path)`. A
    `.wal` beside the old live file belonged to that file, not to this one.
    """
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()
    os.replace(built, path)
    _fsync_dir(path.parent)


class WriteSession:
    """A read-write connection to the private copy; set `publish = False` to discard it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path  # the live warehouse this session will replace
        self.publish = True


@contextlib.contextmanager
def writing(path: Path | str, fresh: bool = False) -> Iterator[WriteSession]:
    """Yield a read-write connection to a private copy; publish it atomically on success.

    `fresh`: start from an empty warehouse instead of a copy of the live one,
    so that what is published replaces the warehouse whole.
    """
    path = Path(path)
    with locked(path):
        _clean_leftovers(path)
        tmp = path.with_name(f"{path.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")
        if path.exists() and not fresh:
            # The live file is only ever replaced whole and closed after a
            # checkpoint, so a byte copy of it is a complete warehouse.
            shutil.copyfile(path, tmp)
        con = connect(tmp)
        session = WriteSession(con, path)
        try:
            schema.create_all(con)
            yield session
            con.execute("CHECKPOINT")
            con.close()
            if session.publish:
                _publish(tmp, path)
            else:
                _remove_with_wal(tmp)
        except BaseException:
            with contextlib.suppress(Exception):
                con.close()
            _remove_with_wal(tmp)
            raise


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- readers that survive a publish ------------------------------------------------------------------------

READERS_DIR = ".readers"  # beside the warehouse: one hard link per warehouse version a reader holds open


class Readers:
    """Shared read-only connections, one per warehouse version, that a publish never closes under a reader.

    A load replaces the warehouse file whole (`writing`). DuckDB shares one database instance per path in a
    process, so "opening" the path again while the old instance is open would read the old file; closing it
    would break every query still running on it. Instead each version is opened through its own hard link
    (`<dir>/.readers/<name>.<inode>-….duckdb`: the same file, a different path, so a separate instance), and a
    version's connection is closed — and its link removed — only when a newer version exists and no reader
    holds the old one any more. `reading(path)` is the one way the UI reads the warehouse.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], list] = {}  # (path, version) → [connection, users, link]
        self._swept: set[str] = set()

    def _sweep(self, path: Path) -> None:
        """Once per warehouse and process: remove links an earlier process left (an open connection keeps its
        file readable after its link is removed, so this never breaks another reader)."""
        if str(path) in self._swept:
            return
        self._swept.add(str(path))
        for old in (path.parent / READERS_DIR).glob(f"{path.stem}.*"):
            with contextlib.suppress(OSError):
                old.unlink()

    def _link(self, path: Path, version: str) -> Path:
        folder = path.parent / READERS_DIR
        folder.mkdir(exist_ok=True)
        link = folder / f"{path.stem}.{version}.{uuid.uuid4().hex[:8]}{path.suffix}"
        os.link(path, link)
        return link

    @contextlib.contextmanager
    def reading(self, path: Path | str) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        """(connection, version) of the warehouse's current version, held until the block ends."""
        path = Path(path)
        key = self._acquire(path)
        try:
            yield self._open[key][0], key[1]
        finally:
            self._release(key)

    def _acquire(self, path: Path) -> tuple[str, str]:
        with self._lock:
            self._sweep(path)
            for _ in range(5):
                version = data_version(path)
                key = (str(path), version)
                entry = self._open.get(key)
                if entry is None:
                    try:
                        link = self._link(path, version)
                    except FileNotFoundError:
                        if not path.exists():
                            raise
                        continue  # replaced between stat and link: look again
                    if data_version(link) != version:
                        _remove_with_wal(link)  # linked a newer file than the version we read: look again
                        continue
                    entry = [connect(link, read_only=True), 0, link]
                    self._open[key] = entry
                entry[1] += 1
                self._close_unused(str(path), version)
                return key
            raise RuntimeError(f"仓库文件在不停替换，无法打开 / the warehouse keeps being replaced: {path}")

    def _release(self, key: tuple[str, str]) -> None:
        with self._lock:
            entry = self._open.get(key)
            if entry is not None:
                entry[1] -= 1
            self._close_unused(key[0], data_version(key[0]))

    def _close_unused(self, path: str, current: str) -> None:
        """Close every older version of `path` that no reader holds (caller holds the lock)."""
        for key in [k for k, e in self._open.items() if k[0] == path and k[1] != current and e[1] <= 0]:
            con, _, link = self._open.pop(key)
            with contextlib.suppress(Exception):
                con.close()
            _remove_with_wal(link)

    def close_all(self) -> None:
        with self._lock:
            for con, _, link in self._open.values():
                with contextlib.suppress(Exception):
                    con.close()
                _remove_with_wal(link)
            self._open.clear()


# --- schema upgrades ---------------------------------------------------------------------------------------

def _columns(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return set(con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'main'").fetchall())


def schema_is_current(path: Path | str) -> bool:
    """Whether the warehouse holds every table and column this version of the code expects, and summaries
    maintained by this version (etl/summaries.py)."""
    mem = duckdb.connect(":memory:", config=dict(_CONFIG))
    try:
        schema.create_all(mem)
        expected = _columns(mem)
    finally:
        mem.close()
    con = open_read_only(path)
    try:
        return expected <= _columns(con) and summaries.is_current(con)
    finally:
        con.close()


def upgrade_schema(path: Path | str) -> bool:
    """Bring a warehouse written by an older version up to the current schema (new tables and columns, by the
    same `schema.create_all` every load runs, and its summaries rebuilt), published like a load. True if it had to."""
    path = Path(path)
    if not path.exists() or schema_is_current(path):
        return False
    with writing(path) as session:  # writing() runs schema.create_all on the private copy and publishes it
        if not summaries.is_current(session.con):
            summaries.rebuild(session.con)
    return True
