"""Where the warehouse lives and how it is written and read.

One writer, many read-only readers. A load never writes the live file: it
copies the warehouse to a temporary file beside it, loads there, checkpoints,
and atomically renames the copy over the live file. A reader that holds the
old file open keeps reading the old, complete version; a load that crashes
leaves the live file untouched (the stale temporary file is removed by the
next load). Loads are serialised with an advisory lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from etl import schema

DEFAULT_DB = Path("data/governance.duckdb")
TMP_MARK = ".loading-"

_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def default_db_path() -> Path:
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


class WriteSession:
    """A read-write connection to the private copy; set `publish = False` to discard it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.publish = True


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[WriteSession]:
    """Yield a read-write connection to a private copy; publish it atomically on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in path.parent.glob(f"{path.name}{TMP_MARK}*"):
            _remove_with_wal(stale)
        tmp = path.with_name(f"{path.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")
        if path.exists():
            # The live file is only ever replaced whole and closed after a
            # checkpoint, so a byte copy of it is a complete warehouse.
            shutil.copyfile(path, tmp)
        con = connect(tmp)
        session = WriteSession(con)
        try:
            schema.create_all(con)
            yield session
            con.execute("CHECKPOINT")
            con.close()
            if session.publish:
                os.replace(tmp, path)
                _fsync_dir(path.parent)
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
