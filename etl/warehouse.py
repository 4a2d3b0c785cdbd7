"""Where the warehouse lives and how it is written and read.

One writer, many read-only readers, and a write that costs what it writes. The warehouse is kept in two
physical copies ("slots") beside it, `<dir>/.<name>.slots/a.duckdb` and `b.duckdb`; the warehouse path itself
is a symbolic link to the live slot. A write, under the one write lock `<warehouse>.lock`:

1. makes sure the standby slot holds the live version (the state file `.slots/state.json` records, per slot,
   the generation it holds cleanly, or null); only if it does not — after a crash, a kill, a reader that kept
   the old slot busy, or a write that cannot be replayed — is it brought there by a full file copy (written
   aside and renamed into place, so a reader still holding the old file keeps it);
2. marks the standby dirty and applies the operation to it (the loader's own per-file transactions),
   checkpoints and closes it;
3. records the standby clean at the new generation and the old slot dirty, and swaps the link (`_publish`: a
   new link written aside, then `os.replace` over the warehouse path — the one publish). Readers now open the
   new version;
4. brings the old live slot up to date by applying the same operation again, deterministically: every clock
   reading, random id and file read of the first application is recorded (`recorded`) and played back. It
   waits (a bounded time, `SYNC_WAIT`) for readers still on the old slot to close it; the result is checked
   (meta, load_batches and every table's row count equal the new live slot's) before the slot is recorded
   clean. If this step cannot finish it stays dirty and the next write pays step 1's copy: correctness never
   depends on it. By default (`GOV_REPLAY=background`) this step runs on a thread of its own that is handed
   the write lock: the write returns once published — an upload waits for one application, not two — and
   the next write (in any process) waits for the lock, so it always finds the old slot either current or
   dirty, never half-replayed and marked clean. The thread is not a daemon: a process that ends (the CLI)
   finishes it first; killed, the slot stays dirty. `settle(path)` waits for it (tests, benches);
   `GOV_REPLAY=sync` runs it before the write returns, as before.

Why not something simpler: writing the live file in place is impossible while other processes read it (DuckDB
lets one process write a file only when no other process has it open), and copying it whole before every write
— the path this replaced — made a one-row upload cost the whole warehouse. Shipping the changed rows from one
slot to the other would need a second implementation of what every operation changes; replaying the
operation itself reuses the one implementation (and whatever it maintains, summaries included).

So a load reads and writes what it loads, twice (once before it returns), never the whole warehouse (see docs/architecture.md for
the disk cost: two copies at rest). A crash or a kill at any moment leaves the link pointing at a complete,
checkpointed slot (the previous version, or the new one once it was published); a reader opens the slot the
link names (`connect` resolves it) and never sees a slot being written, because a write only ever opens the
slot the link does not name, and DuckDB refuses a read-write open of a file another process reads (and, in
this process, of a path opened read-only), which the writer takes as "busy, wait". A dry run (the intake
preview) runs on the standby inside one outer transaction that is rolled back: no copy, no trace.

`writing()` is the context-manager form for operations that are not replayable (tests, `upgrade_schema`): the
old slot is left dirty, so the next write pays one copy. `write(path, apply)` is the replayable form the
loader and `etl.history.withdraw` use.

A warehouse written by an older version (a regular file) is moved into slot a on its first write.

Default paths are anchored at the project root (`PROJECT_ROOT`), never at the working directory; `$GOV_DB`
overrides the warehouse's.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import json
import os
import shutil
import signal
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from etl import schema, summaries

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = PROJECT_ROOT / "data" / "governance.duckdb"
TMP_MARK = ".loading-"
LINK_MARK = ".link-"  # a new link written beside the warehouse before it replaces it
# Leftovers an interrupted write can leave beside the warehouse, removed by the next write: a new link not yet
# swapped in, and what older versions left (the private copy of a load and its .wal; what `etl demo` built
# beside the warehouse before it went through `writing()` as well).
LEFTOVER_MARKS = (TMP_MARK, ".demo-build", LINK_MARK)
SLOTS = ("a", "b")
SYNC_WAIT = float(os.environ.get("GOV_SYNC_WAIT", "5"))  # seconds step 4 waits for readers of the old slot
# Step 4 (the replay on the old slot) runs on a thread of its own that keeps the write lock ("background": the
# write returns once published) or before the write returns ("sync"). See `settle`.
REPLAY = os.environ.get("GOV_REPLAY", "background")
KEEP_BYTES = 256 * 2**20  # a background replay keeps up to this many bytes of the files read (`recorded_bytes`)
BUSY_WAIT = float(os.environ.get("GOV_BUSY_WAIT", "30"))  # seconds a write waits for its standby slot

_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def project_path(*parts: str) -> Path:
    """A path inside the project, independent of the working directory."""
    return PROJECT_ROOT.joinpath(*parts)


def default_db_path() -> Path:
    """`$GOV_DB` (as given), else data/governance.duckdb in the project."""
    return Path(os.environ.get("GOV_DB") or DEFAULT_DB)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open DuckDB with extension auto-install/auto-load off (no internet here).

    The path is resolved first: the warehouse path is a link to its live slot, and DuckDB keys its in-process
    instances by the path given, so every connection to a slot must name the slot itself.
    """
    real = os.path.realpath(path) if str(path) != ":memory:" else str(path)
    con = duckdb.connect(real, read_only=read_only, config=dict(_CONFIG))
    con.execute("SET enable_progress_bar = false")
    if not read_only:  # lets inserts run on every core; row order carries no meaning here
        con.execute("SET preserve_insertion_order = false")
    return con


def _busy(exc: BaseException) -> bool:
    """DuckDB's refusal to open a file another process holds, or a path this process opened otherwise."""
    text = str(exc)
    return "lock" in text.lower() or "different configuration" in text


def open_read_only(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse's live slot (retried if a publish moved the link meanwhile)."""
    path = Path(path) if path else default_db_path()
    for _ in range(100):
        if not path.exists():
            raise FileNotFoundError(f"仓库文件不存在 / warehouse not found: {path}")
        try:
            return connect(path.resolve(), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # the link named this slot when we resolved it; a publish moved it and the old slot is being
            # brought up to date: the link names the new live slot now
            if not _busy(exc):
                raise
            time.sleep(0.01)
    return connect(path.resolve(), read_only=True)


def data_version(path: Path | str | None = None) -> str:
    """A token that changes whenever a write has published a new version (the live slot's file identity)."""
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


def slots_dir(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.slots")


def slot_path(path: Path | str, slot: str) -> Path:
    return slots_dir(path) / f"{slot}.duckdb"


def _state_path(path: Path) -> Path:
    return slots_dir(path) / "state.json"


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Hold the warehouse's write lock (blocking until no other writer holds it).

    The lock file itself is never removed: removing it while another process
    waits on it would let a third one take a second, separate lock.
    """
    lock = _lock(Path(path))
    try:
        yield
    finally:
        _unlock(lock)


def _lock(path: Path):
    """The write lock, held until `_unlock` (by whichever thread: a background replay is handed it). A flock
    belongs to its open file, so another write in this process, through its own open, waits for it too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(lock_path(path), "a")  # noqa: SIM115 - closed by _unlock
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
    except BaseException:
        lock.close()
        raise
    return lock


def _unlock(lock) -> None:
    try:
        fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        lock.close()


_PENDING: dict[str, threading.Thread] = {}  # warehouse → the background replay that holds its write lock
_PENDING_LOCK = threading.Lock()


def settle(path: Path | str | None = None) -> None:
    """Wait until the background replays this process started (for `path`, or all) have finished: both slots
    then hold the published version, unless a replay could not finish (its slot stays dirty). Another write
    need not call it: it waits for the write lock, which a background replay holds until it is done."""
    key = str(Path(path).absolute()) if path is not None else None
    with _PENDING_LOCK:
        threads = [t for k, t in _PENDING.items() if key is None or k == key]
    for t in threads:
        t.join()


def leftovers(path: Path | str) -> list[Path]:
    """Files an interrupted write left beside the warehouse (never the warehouse, its slots or its lock)."""
    path = Path(path)
    found = []
    for mark in LEFTOVER_MARKS:
        for p in path.parent.glob(f"{path.name}{mark}*"):
            if p.is_file() or p.is_symlink():
                found.append(p)
    found.extend(p for p in slots_dir(path).glob(f"*{TMP_MARK}*") if p.is_file())
    return sorted(found)


def _clean_leftovers(path: Path) -> None:
    """Remove what interrupted writes left, and the hard links older versions' readers kept in `.readers/`
    (a reader holding one keeps its file open after the unlink); the caller holds the lock."""
    for p in [*leftovers(path), *(path.parent / ".readers").glob(f"{path.stem}.*")]:
        with contextlib.suppress(OSError):
            p.unlink()


# --- the two slots -----------------------------------------------------------------------------------------

def _read_state(path: Path) -> dict[str, int | None]:
    try:
        state = json.loads(_state_path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {s: state.get(s) for s in SLOTS}


def _write_state(path: Path, state: dict[str, int | None]) -> None:
    """Atomically (a file written aside, fsynced, renamed over the old one)."""
    target = _state_path(path)
    tmp = target.with_name(f"state{TMP_MARK}{uuid.uuid4().hex[:8]}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({s: state.get(s) for s in SLOTS}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync_path(target.parent)


def live_slot(path: Path | str) -> str | None:
    """The slot the warehouse link names (None: no warehouse, or an older version's regular file)."""
    path = Path(path)
    if not path.is_symlink():
        return None
    name = Path(os.readlink(path)).stem
    return name if name in SLOTS and path.exists() else None


def _migrate(path: Path) -> None:
    """An older version's warehouse (a regular file) becomes slot a, the link naming it (caller holds the lock).

    A hard link first, so the warehouse path never stops existing; a reader holding the old file keeps it.
    """
    folder = slots_dir(path)
    folder.mkdir(exist_ok=True)
    a = slot_path(path, "a")
    _remove_with_wal(a)
    os.link(path, a)
    _write_state(path, {"a": 1, "b": None})
    _publish(path, "a")
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()


def _publish(path: Path, slot: str) -> None:
    """Make `slot` (complete and checkpointed) the warehouse: the link swapped atomically.

    The only replacement of the warehouse path; callers hold `locked(path)`.
    """
    tmp = path.with_name(f"{path.name}{LINK_MARK}{uuid.uuid4().hex[:8]}")
    os.symlink(Path(slots_dir(path).name) / f"{slot}.duckdb", tmp)
    os.replace(tmp, path)
    fsync_path(path.parent)


def _copy_slot(path: Path, src: str, dst: str) -> None:
    """The full copy (the rare, old cost): `src` written aside and renamed over `dst`, so that a reader still
    holding the old `dst` keeps its file; callers hold the lock and record `dst` clean afterwards."""
    target = slot_path(path, dst)
    tmp = target.with_name(f"{dst}{TMP_MARK}{uuid.uuid4().hex[:8]}")
    shutil.copyfile(slot_path(path, src), tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    _crash_point("copy")
    _remove_with_wal(target.with_name(target.name))  # a stale .wal belonged to the old file
    os.replace(tmp, target)
    fsync_path(target.parent)


_POOLS: weakref.WeakSet = weakref.WeakSet()  # this process's Readers, asked to let go of an old slot


def _open_rw(p: Path, wait: float) -> duckdb.DuckDBPyConnection | None:
    """A read-write connection to a slot, waiting up to `wait` s for its readers to close it; None if they don't."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return connect(p)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _busy(exc):
                raise
        for pool in list(_POOLS):
            pool.close_stale()
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """What step 4 checks after a replay: meta, load_batches whole, and every table's row count (all cheap)."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                        "'main' AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
    counts = tuple((t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables)
    meta = tuple(con.execute("SELECT * FROM meta ORDER BY ALL").fetchall()) if "meta" in tables else ()
    batches = (tuple(con.execute("SELECT * FROM load_batches ORDER BY batch_id").fetchall())
               if "load_batches" in tables else ())
    return counts, meta, batches


# --- replay: the same operation, twice, the same way ----------------------------------------------------------

class _Recording:
    def __init__(self, dry_run: bool = False) -> None:
        self.values: list[tuple[bool, object]] = []
        self.playing = False
        self.at = 0
        self.dry_run = dry_run
        self.kept = 0  # bytes of files kept for the replay (`recorded_bytes`)


_RECORDING: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar("warehouse_recording", default=None)


class ReplayMismatch(RuntimeError):
    """The replay asked for more recorded values than the first application made."""


def recorded(fn: Callable[[], object]):
    """`fn()` — the clock, a random id, a file's bytes — recorded during a write's first application and
    played back when the write applies the operation again to the other slot (outside a write: just `fn()`)."""
    rec = _RECORDING.get()
    if rec is None:
        return fn()
    if rec.playing:
        if rec.at >= len(rec.values):
            raise ReplayMismatch("replay diverged from the first application")
        ok, value = rec.values[rec.at]
        rec.at += 1
        if ok:
            return value
        raise value  # type: ignore[misc]
    try:
        value = fn()
    except Exception as exc:
        rec.values.append((False, exc))
        raise
    rec.values.append((True, value))
    return value


def recorded_bytes(path: Path) -> bytes:
    """A file's bytes, for an operation a write replays. A background replay (`REPLAY`) gets the same bytes
    back, kept in memory up to `KEEP_BYTES` per write; beyond that, and for a "sync" replay, only the hash is
    kept (a load of many large files does not hold them all) and the file is read again, which fails — leaving
    the old slot to be copied — if it changed in between. A read error is recorded and raised again on the
    replay."""
    import hashlib

    rec = _RECORDING.get()
    if rec is None:
        return path.read_bytes()
    if not rec.playing:
        content = recorded(path.read_bytes)  # a read error is recorded (and raised) here
        if REPLAY == "background" and rec.kept + len(content) <= KEEP_BYTES:
            rec.kept += len(content)  # kept: the replay runs after the write returned, when an upload's
            return content            # temporary copy may be gone
        rec.values[-1] = (True, hashlib.sha256(content).hexdigest())  # keep the hash, not the bytes
        return content
    digest = recorded(lambda: None)  # the recorded hash or bytes (or the recorded read error, raised)
    if isinstance(digest, bytes):
        return digest
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != digest:
        raise ReplayMismatch(f"the file changed while it was loaded: {path}")
    return content


def is_replay() -> bool:
    """True while a write applies its operation the second time (to the old slot): say nothing, log nothing."""
    rec = _RECORDING.get()
    return rec is not None and rec.playing


def in_dry_run() -> bool:
    """True while a dry run applies its operation inside the one outer transaction `write` rolls back: the
    operation must not begin or commit transactions of its own."""
    rec = _RECORDING.get()
    return rec is not None and rec.dry_run


class WriteSession:
    """A read-write connection to the standby slot; set `publish = False` to discard what was written."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.con = con
        self.path = path  # the warehouse (the link) this session will publish
        self.publish = True


Apply = Callable[[duckdb.DuckDBPyConnection], bool]


def write(path: Path | str, apply: Apply, *, fresh: bool = False, dry_run: bool = False) -> None:
    """Apply `apply(con) -> publish?` to the warehouse at `path`: to the standby slot, published by swapping the
    link, then again (replayed) to the old slot (see the module docstring).

    `apply` must be deterministic given the warehouse and the values it takes through `recorded`; it runs its
    own transactions. `fresh`: start from an empty warehouse (the demo build), published whole; the old slot
    then gets a copy of it. `dry_run`: `apply` runs inside one transaction that is rolled back; nothing is
    published or kept.
    """
    _write(Path(path), apply, fresh=fresh, dry_run=dry_run, replayable=True)


@contextlib.contextmanager
def writing(path: Path | str, fresh: bool = False) -> Iterator[WriteSession]:
    """Yield a read-write connection to the standby slot; publish it atomically on success.

    Not replayable: the old slot is left dirty and the next write copies it (use `write` for loads).
    """
    path = Path(path)
    with locked(path):
        session = _begin(path, fresh)
        try:
            yield session
        except BaseException:
            _abandon(session)
            raise
        _finish(session, None)


class _Session(WriteSession):
    def __init__(self, con, path, live, standby, state, fresh):
        super().__init__(con, path)
        self.live, self.standby, self.state, self.fresh = live, standby, state, fresh


def _begin(path: Path, fresh: bool) -> _Session:
    """Under the lock: clean up, migrate, bring the standby to the live version, mark it dirty, open it."""
    _clean_leftovers(path)
    if path.exists() and not path.is_symlink():
        _migrate(path)
    slots_dir(path).mkdir(exist_ok=True)
    live = live_slot(path)
    state = _read_state(path)
    standby = "b" if live == "a" else "a"
    target = slot_path(path, standby)
    if live is None or fresh:
        state = {s: (state.get(s) if s == live else None) for s in SLOTS}
        _write_state(path, state)
        with contextlib.suppress(FileNotFoundError):
            if target.exists():
                # a fresh build starts from nothing; a new inode, so a reader of the old file keeps it
                tmp = target.with_name(f"{standby}{TMP_MARK}{uuid.uuid4().hex[:8]}")
                os.replace(target, tmp)
                _remove_with_wal(tmp)
        _remove_with_wal(target)
    elif state.get(standby) is None or state.get(standby) != state.get(live) or not target.exists():
        _copy_slot(path, live, standby)
        state[standby] = state.get(live)
        _write_state(path, state)
    dirty = dict(state)
    dirty[standby] = None
    _write_state(path, dirty)
    con = _open_rw(target, BUSY_WAIT / 10)
    if con is None and live is not None and not fresh:
        # a reader still holds the standby (it resolved the link before the last publish): a fresh copy
        # under the same name, which that reader does not hold
        _copy_slot(path, live, standby)
        con = _open_rw(target, BUSY_WAIT)
    if con is None:
        raise RuntimeError(f"仓库正被读取，暂时无法写入，请稍后再试 / the warehouse's standby copy is busy: {target}")
    try:
        before = _columns(con)
        schema.create_all(con)
        changed = _columns(con) != before
    except BaseException:
        con.close()
        raise
    session = _Session(con, path, live, standby, state, fresh)
    session.schema_changed = changed
    return session


def _abandon(session: _Session) -> None:
    """The write failed or was discarded: the standby stays dirty; the live slot was never touched."""
    with contextlib.suppress(Exception):
        session.con.close()


def _finish(session: _Session, replay: Callable[[duckdb.DuckDBPyConnection], None] | None,
            lock=None) -> bool:
    """Checkpoint and publish the standby; then bring the old slot up to date (`replay`) or leave it dirty.

    With `lock` (the write lock, held by the caller) and `REPLAY == "background"`, the replay runs on a thread
    that is handed the lock and releases it when done; returns True then (the caller must not release it)."""
    path, live, standby, state = session.path, session.live, session.standby, dict(session.state)
    con = session.con
    if not session.publish:
        con.close()
        return False  # stays dirty: the next write copies it (callers that know it unchanged mark it clean)
    _crash_point("standby")
    con.execute("CHECKPOINT")
    want = _fingerprint(con) if replay is not None else None
    con.close()
    generation = max((g for g in state.values() if g is not None), default=0) + 1
    old = live or ("b" if standby == "a" else "a")
    old_path = slot_path(path, old)
    # one state write for both: the standby clean at the new generation, the old slot dirty (about to be
    # synced). Killed before the swap, the live slot reads dirty and the next write copies it: the rare cost.
    state[standby], state[old] = generation, None
    _write_state(path, state)
    _crash_point("state")
    _publish(path, standby)
    _crash_point("published")
    # step 4: the old slot
    if session.fresh:
        with contextlib.suppress(OSError):
            _copy_slot(path, standby, old)
            state[old] = generation
            _write_state(path, state)
        return False
    if replay is None:
        return False  # not replayable: dirty, the next write copies it

    def sync() -> None:
        if live is None:
            _remove_with_wal(old_path)  # a new warehouse: the other slot is built from nothing the same way
        con = _open_rw(old_path, SYNC_WAIT)
        if con is None:
            return  # readers kept it: dirty, the next write copies it
        try:
            schema.create_all(con)
            replay(con)
            _crash_point("sync")
            con.execute("CHECKPOINT")
            same = _fingerprint(con) == want
        except Exception:
            return
        finally:
            with contextlib.suppress(Exception):
                con.close()
        if same:
            state[old] = generation
            _write_state(path, state)

    if lock is None or REPLAY != "background":
        sync()
        return False
    key = str(path.absolute())
    context = contextvars.copy_context()  # the operation's own context (e.g. the loader's allowed communities)

    def run() -> None:
        try:
            context.run(sync)
        except BaseException:  # noqa: S110 - whatever stopped it, the slot stays dirty: the next write copies it
            pass
        finally:
            with _PENDING_LOCK:
                if _PENDING.get(key) is threading.current_thread():
                    del _PENDING[key]
            _unlock(lock)

    # not a daemon: a process that ends (the CLI) finishes the replay first; killed, the slot stays dirty
    thread = threading.Thread(target=run, name=f"warehouse-replay:{path.name}", daemon=False)
    with _PENDING_LOCK:
        _PENDING[key] = thread
    thread.start()
    return True


def _write(path: Path, apply: Apply, *, fresh: bool, dry_run: bool, replayable: bool) -> None:
    lock = _lock(path)
    handed = False  # the lock handed to a background replay, which releases it
    try:
        handed = _write_locked(path, apply, fresh=fresh, dry_run=dry_run, replayable=replayable, lock=lock)
    finally:
        if not handed:
            _unlock(lock)


def _write_locked(path: Path, apply: Apply, *, fresh: bool, dry_run: bool, replayable: bool, lock) -> bool:
    """`_write` under the write lock; True if the lock was handed to a background replay."""
    session = _begin(path, fresh and not dry_run)
    rec = _Recording(dry_run)
    token = _RECORDING.set(rec)
    try:
        if dry_run:
            session.con.execute("BEGIN TRANSACTION")
            try:
                apply(session.con)
            finally:
                with contextlib.suppress(duckdb.Error):
                    session.con.execute("ROLLBACK")
            session.publish = False
        else:
            session.publish = bool(apply(session.con))
    except BaseException:
        _abandon(session)
        raise
    finally:
        _RECORDING.reset(token)
    if not session.publish:
        session.con.close()
        if session.live is not None and not session.fresh and not session.schema_changed:
            # nothing committed (a dry run rolled back; a load that changed nothing committed nothing):
            # the standby still holds the live version
            _write_state(path, session.state)
        return False

    def replay(con: duckdb.DuckDBPyConnection) -> None:
        rec.playing, rec.at = True, 0
        token = _RECORDING.set(rec)
        try:
            apply(con)
        finally:
            _RECORDING.reset(token)
        if rec.at != len(rec.values):
            raise ReplayMismatch("replay diverged from the first application")

    return _finish(session, replay if replayable else None, lock)


def _crash_point(name: str) -> None:
    """The crash tests' seam: `GOV_CRASH_AT=<name>` kills this process (SIGKILL, like `kill -9`) at that moment
    of a write: copy (a catch-up copy written, not yet renamed), standby (the operation applied to the standby,
    not checkpointed), state (the standby recorded clean, the link not yet swapped), published (the link just
    swapped), sync (the operation replayed on the old slot, not checkpointed)."""
    if os.environ.get("GOV_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(p: Path) -> None:
    """Flush a file, or a folder's entries (after a rename in it), to disk."""
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- readers that survive a publish ------------------------------------------------------------------------

class Readers:
    """Shared read-only connections, one per warehouse version, that a publish never closes under a reader.

    Each version is opened through the slot it lives in (the link resolved once); a publish swaps the link to
    the other slot, so a read in progress keeps its connection and the next read opens the new version. A
    version's connection is closed when a newer version exists and no reader holds it any more: at the next
    read or release, when a write in this process asks for the old slot (`close_stale`), and by a light timer
    (every `STALE_CHECK` s), so that an idle app does not keep the old slot from being brought up to date.
    `reading(path)` is the one way the UI reads the warehouse.
    """

    STALE_CHECK = 0.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], list] = {}  # (path, version) → [connection, users, slot file]
        self._timer: threading.Thread | None = None
        _POOLS.add(self)

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
            for _ in range(100):
                version = data_version(path)
                if version == "missing":
                    raise FileNotFoundError(f"仓库文件不存在 / warehouse not found: {path}")
                key = (str(path), version)
                entry = self._open.get(key)
                if entry is None:
                    # older versions no reader holds are closed first: DuckDB keys its instances by path, and a
                    # file replaced under the same path (a slot, or a plain warehouse replaced by hand or by an
                    # older version's load) must not be read through the old file's instance
                    self._close_unused(str(path), version)
                    real = path.resolve()
                    try:
                        con = connect(real, read_only=True)
                    except (duckdb.IOException, duckdb.ConnectionException) as exc:
                        if not _busy(exc):
                            raise
                        time.sleep(0.01)  # published meanwhile, the old slot being synced: look again
                        continue
                    if data_version(real) != version:
                        con.close()  # opened a newer version than the one we read: look again
                        continue
                    entry = [con, 0, real]
                    self._open[key] = entry
                entry[1] += 1
                self._close_unused(str(path), version)
                self._start_timer()
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
            con = self._open.pop(key)[0]
            with contextlib.suppress(Exception):
                con.close()

    def close_stale(self) -> None:
        """Close every connection to a version no longer current that no reader holds."""
        with self._lock:
            for path in {k[0] for k in self._open}:
                self._close_unused(path, data_version(path))

    def _start_timer(self) -> None:
        if self._timer is not None and self._timer.is_alive():
            return
        ref = weakref.ref(self)

        def run() -> None:
            while True:
                time.sleep(Readers.STALE_CHECK)
                pool = ref()
                if pool is None:
                    return
                pool.close_stale()
                if not pool._open:
                    pool._timer = None
                    return
                del pool

        self._timer = threading.Thread(target=run, name="warehouse-readers", daemon=True)
        self._timer.start()

    def close_all(self) -> None:
        with self._lock:
            for con, _, _ in self._open.values():
                with contextlib.suppress(Exception):
                    con.close()
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
    same `schema.create_all` every write runs, and its summaries rebuilt), published like a load. True if it had to."""
    path = Path(path)
    if not path.exists() or schema_is_current(path):
        return False

    def upgrade(con: duckdb.DuckDBPyConnection) -> bool:  # `write` has run schema.create_all on the standby
        if not summaries.is_current(con):
            summaries.rebuild(con)
        return True

    write(path, upgrade)  # published, then replayed on the other slot
    return True
