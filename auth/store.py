"""The account store: accounts, server-side sessions, sign-in failures and lockouts, the append-only audit
trail and the demo credentials, in one SQLite file (standard library, WAL).

The file is separate from the warehouse, so it survives every load (a load replaces the warehouse file).
Default `data/accounts.sqlite` under the project root; `$GOV_ACCOUNTS` or an explicit path moves it.

Every call opens its own connection (WAL, busy_timeout), and every write runs in `BEGIN IMMEDIATE`, so
threads and processes can share one file without "database is locked" errors. Times are stored as naive
UTC ISO text ("YYYY-MM-DD HH:MM:SS.ffffff", which sorts as it reads), like the warehouse's `loaded_at`;
every public function that takes `now=` accepts an aware datetime (converted to UTC) or a naive one (taken
as UTC), so tests inject a clock.

One home for sign-in: `AccountStore.sign_in`, `viewer_for`, `sign_out` (see docs/security.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from auth.passwords import check_password, default_hasher, hash_password, verify_password
from auth.roles import ROLES, SCOPED_ROLES, RoleError, Viewer, check_role
from etl.warehouse import project_path

SCHEMA_VERSION = 2
BEIJING = timezone(timedelta(hours=8))
BUSY_TIMEOUT_MS = 30_000

LOCK_AFTER = 5  # failures for one account name …
LOCK_WINDOW = timedelta(minutes=15)  # … within this window …
LOCK_FOR = timedelta(minutes=15)  # … lock it for this long
DEFAULT_IDLE = timedelta(hours=8)
TOUCH_EVERY = timedelta(seconds=60)
KEEP_SESSIONS = timedelta(days=30)  # last_seen_at is written at most this often per session
MAX_NAME = 64
DEMO_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
DEMO_PASSWORD_LENGTH = 14

# Audit actions (the UI adds its own through `record`, e.g. download/export/load). zh labels for the page.
ACTIONS: dict[str, str] = {
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "lockout": "账号锁定",
    "sign_out": "退出登录",
    "session_expired": "会话超时",
    "account_add": "新建账号",
    "account_disable": "停用账号",
    "account_enable": "启用账号",
    "password_reset": "重置密码",
    "sessions_ended": "结束会话",
    "demo_accounts": "创建演示账号",
    "demo_credentials_forgotten": "删除演示密码",
    "load": "导入台账",
    "withdraw": "撤回导入",
    "mapping_saved": "保存映射方案",
    "download": "下载",
    "export": "导出",
    "send": "发送简报",
}
# Keys a `record` detail may never carry (checked recursively, case-insensitively): containing one of these …
FORBIDDEN_DETAIL_KEYS = ("password", "passwd", "token", "secret")
# … or having one of these as a word ("password_hash", "pwd"; "rehashed" is fine).
FORBIDDEN_DETAIL_WORDS = frozenset({"hash", "pwd", "pw", "cookie"})

GENERIC_FAILURE = "账号或密码错误 / wrong account name or password"


class AuthError(Exception):
    """Base of this package's errors; str() is a bilingual message (Chinese / English) fit to show."""


class SignInFailed(AuthError):
    """Wrong name, wrong password or disabled account: one generic message, whichever it was."""

    def __init__(self, message: str = GENERIC_FAILURE) -> None:
        super().__init__(message)


class AccountLocked(SignInFailed):
    """Too many failures for this account name: no sign-in until `until` (aware UTC datetime)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        local = until.astimezone(BEIJING)
        super().__init__(f"登录失败次数过多，账号已锁定至 {local:%H:%M}（北京时间）/ "
                         f"too many failed sign-ins; locked until {local:%H:%M} Beijing time (UTC+8)")


class AccountError(AuthError, ValueError):
    """A bad account change: duplicate or unknown name, bad role/community, weak password."""


class StoreError(AuthError):
    """The file cannot be used (e.g. written by a newer version of this program)."""


@dataclass(frozen=True)
class DemoCredential:
    name: str
    role: str
    community: str | None
    display: str
    password: str


# --- paths, clock, text -------------------------------------------------------------------------------


def default_accounts_path() -> Path:
    """`$GOV_ACCOUNTS` (as given), else data/accounts.sqlite in the project."""
    return Path(os.environ.get("GOV_ACCOUNTS") or project_path("data", "accounts.sqlite"))


def session_idle() -> timedelta:
    """The idle limit of a session: `$GOV_SESSION_IDLE_HOURS` (hours, may be fractional), else 8 hours."""
    raw = os.environ.get("GOV_SESSION_IDLE_HOURS", "").strip()
    if not raw:
        return DEFAULT_IDLE
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not hours > 0 or hours > 24 * 366:
        raise ValueError(f"GOV_SESSION_IDLE_HOURS 应为正数（小时）/ must be a positive number of hours: {raw!r}")
    return timedelta(hours=hours)


def _utc(now: datetime | None) -> datetime:
    """`now` as a naive UTC datetime (the stored form); default: the current time."""
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _iso(t: datetime) -> str:
    return t.isoformat(sep=" ", timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None else None


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256 (hex). The token itself exists only in the browser."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_name(name: str | None) -> str:
    """An account name as typed, NFKC-normalised and stripped (full-width letters become ASCII)."""
    return unicodedata.normalize("NFKC", name or "").strip()


def _failure_key(name: str) -> str:
    return normalize_name(name).casefold()[:MAX_NAME * 2]


def check_name(name: str) -> str:
    """The normalised account name, or AccountError: 1–64 characters, no spaces, no control or zero-width."""
    n = normalize_name(name)
    if not n:
        raise AccountError("账号名不能为空 / the account name must not be empty")
    if len(n) > MAX_NAME:
        raise AccountError(f"账号名最多 {MAX_NAME} 个字符 / the account name may have at most {MAX_NAME} characters")
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in n):
        raise AccountError("账号名不能含空格、控制字符或零宽字符 / the account name must not contain spaces, "
                           "control or zero-width characters")
    return n


def _clean_text(text: str | None, limit: int = 200) -> str | None:
    """A display name or community without control/zero-width characters, stripped."""
    if text is None:
        return None
    t = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) not in ("Cc", "Cf"))
    t = t.strip()
    return t[:limit] or None


def _check_detail(detail: Any, path: str = "detail") -> None:
    if isinstance(detail, dict):
        for k, v in detail.items():
            key = str(k).casefold()
            if any(bad in key for bad in FORBIDDEN_DETAIL_KEYS) or \
                    FORBIDDEN_DETAIL_WORDS & set(re.split(r"[^a-z0-9]+", key)):
                raise ValueError(f"审计详情不得含 {k!r} / an audit detail must not carry {path}.{k}")
            _check_detail(v, f"{path}.{k}")
    elif isinstance(detail, list | tuple):
        for i, v in enumerate(detail):
            _check_detail(v, f"{path}[{i}]")


def demo_password() -> str:
    return "".join(secrets.choice(DEMO_ALPHABET) for _ in range(DEMO_PASSWORD_LENGTH))


# --- schema ---------------------------------------------------------------------------------------------

# MIGRATIONS[i] takes the file from user_version i to i + 1. Later issues append (saved explorer questions…);
# never edit a step that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'community', 'clerk')),
        community TEXT,
        display TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((role IN ('community', 'clerk')) = (community IS NOT NULL))
    );
    CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE REFERENCES accounts(name),
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        ended_at TEXT,
        end_reason TEXT
    );
    CREATE INDEX sessions_by_name ON sessions(name, ended_at);
    CREATE TABLE sign_in_failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name_key TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX sign_in_failures_by_name ON sign_in_failures(name_key, at);
    CREATE TABLE lockouts (
        name_key TEXT PRIMARY KEY,
        locked_at TEXT NOT NULL,
        until TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        ok INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX audit_by_at ON audit(at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    CREATE TABLE demo_credentials (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        role TEXT NOT NULL,
        community TEXT,
        display TEXT NOT NULL,
        password TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 2: the explorer's saved questions (issue 12): a question is its URL query, validated again when opened
    """
    CREATE TABLE saved_questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL COLLATE NOCASE REFERENCES accounts(name),
        name TEXT NOT NULL,
        query TEXT NOT NULL,
        shared INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (owner, name)
    );
    CREATE INDEX saved_questions_shared ON saved_questions(shared);
    """,
)
assert len(MIGRATIONS) == SCHEMA_VERSION
MAX_QUESTION_NAME = 60
MAX_QUESTION_QUERY = 4000


class AccountStore:
    """One account file. Cheap to create (the schema is checked once per instance); safe to share
    between threads (no connection is kept) and between processes."""

    def __init__(self, path: Path | str | None = None, *, hasher: PasswordHasher | None = None) -> None:
        self.path = Path(path) if path is not None else default_accounts_path()
        self.hasher = hasher or default_hasher()
        self._dummy_hash: str | None = None
        self._create()

    # connections and transactions

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                              check_same_thread=False)
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA secure_delete = ON")  # deleted rows (demo passwords, failures) are zeroed on disk
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (BEGIN IMMEDIATE: waits for the writer lock instead of failing
        on a read→write upgrade)."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # the file holds hashes: owner-only from the start
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        con = self._connect()
        try:
            con.execute("PRAGMA journal_mode = WAL")
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            con.execute("BEGIN IMMEDIATE")
            try:
                version = con.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
                if version > SCHEMA_VERSION:
                    raise StoreError(f"账号库版本 {version} 比本程序新（{SCHEMA_VERSION}）/ the account store "
                                     f"{self.path} has schema {version}, newer than this program's {SCHEMA_VERSION}")
                for step in range(version, SCHEMA_VERSION):
                    for statement in _statements(MIGRATIONS[step]):
                        con.execute(statement)
                    con.execute(f"PRAGMA user_version = {step + 1}")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def schema_version(self) -> int:
        with self._read() as con:
            return con.execute("PRAGMA user_version").fetchone()[0]

    # audit

    def _audit(self, con: sqlite3.Connection, now: datetime, actor: str | None, action: str,
               target: str | None = None, detail: dict | None = None, ok: bool = True) -> None:
        if detail is not None:
            _check_detail(detail)
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None
        con.execute("INSERT INTO audit (at, actor, action, target, detail, ok) VALUES (?, ?, ?, ?, ?, ?)",
                    (_iso(now), actor, action, target, text, 1 if ok else 0))

    def record(self, actor: str | None, action: str, target: str | None = None, detail: dict | None = None,
               *, ok: bool = True, now: datetime | None = None) -> None:
        """Append one audit row (downloads, exports, loads … from the UI). `detail` is stored as JSON; a key
        naming a password, token, secret or hash is refused (ValueError). Never pass a personal value."""
        if not action or not isinstance(action, str):
            raise ValueError("审计操作不能为空 / an audit action is required")
        with self._write() as con:
            self._audit(con, _utc(now), actor, action, target, detail, ok)

    def audit_rows(self, since: date | datetime | None = None, user: str | None = None,
                   limit: int | None = None, *, until: date | datetime | None = None,
                   action: str | None = None) -> list[dict]:
        """Audit rows, oldest first: dicts with id, at (aware UTC datetime), actor, action, target, detail
        (dict or None), ok (bool). `since`/`until`: a datetime (naive = UTC) or a date (its midnight in
        Beijing time; `until` exclusive); `user` matches actor or target (case-insensitive); `limit` keeps
        the newest `limit` rows."""
        where, params = [], []
        if since is not None:
            where.append("at >= ?")
            params.append(_iso(_bound(since)))
        if until is not None:
            where.append("at < ?")
            params.append(_iso(_bound(until)))
        if user:
            where.append("(actor = ? COLLATE NOCASE OR target = ? COLLATE NOCASE)")
            params += [user, user]
        if action:
            where.append("action = ?")
            params.append(action)
        sql = "SELECT id, at, actor, action, target, detail, ok FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._read() as con:
            rows = con.execute(sql, params).fetchall()
        return [{
            "id": r["id"], "at": _aware(_parse(r["at"])), "actor": r["actor"], "action": r["action"],
            "target": r["target"], "detail": json.loads(r["detail"]) if r["detail"] else None, "ok": bool(r["ok"]),
        } for r in reversed(rows)]

    # accounts

    def has_accounts(self) -> bool:
        with self._read() as con:
            return con.execute("SELECT EXISTS (SELECT 1 FROM accounts)").fetchone()[0] == 1

    def list_accounts(self) -> list[dict]:
        """Every account (no hashes): name, role, community, display, disabled, created_at, updated_at."""
        with self._read() as con:
            rows = con.execute("SELECT name, role, community, display, disabled, created_at, updated_at "
                               "FROM accounts ORDER BY role = 'admin' DESC, role = 'leader' DESC, community, name")
            return [{**dict(r), "disabled": bool(r["disabled"]), "created_at": _aware(_parse(r["created_at"])),
                     "updated_at": _aware(_parse(r["updated_at"]))} for r in rows.fetchall()]

    def get_account(self, name: str) -> dict | None:
        n = normalize_name(name)
        return next((a for a in self.list_accounts() if a["name"].casefold() == n.casefold()), None)

    def viewer(self, name: str) -> Viewer | None:
        """The Viewer of an enabled account (None when unknown or disabled)."""
        with self._read() as con:
            row = con.execute("SELECT * FROM accounts WHERE name = ? AND disabled = 0",
                              (normalize_name(name),)).fetchone()
        return _viewer(row) if row else None

    def add_account(self, name: str, role: str, password: str, *, community: str | None = None,
                    display: str | None = None, actor: str | None = None,
                    known_communities: Iterable[str] | None = None, now: datetime | None = None) -> Viewer:
        """Create an account. AccountError (bilingual) on a bad name, role/community, weak password, a
        community not in `known_communities` (when given), or a duplicate name."""
        name = check_name(name)
        community = _clean_text(community)
        display = _clean_text(display, 64)
        try:
            check_role(role, community)
        except RoleError as exc:
            raise AccountError(str(exc)) from None
        if community is not None and known_communities is not None:
            known = set(known_communities)
            if community not in known:
                raise AccountError(f"未知社区“{community}”，仓库中的社区：{'、'.join(sorted(known)) or '（无）'} / "
                                   f"unknown community {community!r}: not in the warehouse")
        try:
            check_password(password, name)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        hashed = hash_password(self.hasher, password)
        t = _utc(now)
        with self._write() as con:
            if con.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"账号“{name}”已存在 / account {name!r} already exists")
            con.execute("INSERT INTO accounts (name, role, community, display, password_hash, disabled, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                        (name, role, community, display, hashed, _iso(t), _iso(t)))
            self._audit(con, t, actor, "account_add", name,
                        {"role": role, "community": community, "display": display})
        return Viewer(name, role, community, display)

    def _existing(self, con: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = con.execute("SELECT * FROM accounts WHERE name = ?", (normalize_name(name),)).fetchone()
        if row is None:
            raise AccountError(f"没有账号“{normalize_name(name)}” / no account {normalize_name(name)!r}")
        return row

    def _end_sessions(self, con: sqlite3.Connection, name: str, t: datetime, reason: str) -> int:
        return con.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE name = ? AND ended_at IS NULL",
                           (_iso(t), reason, name)).rowcount

    def disable(self, name: str, *, actor: str | None = None, now: datetime | None = None) -> None:
        """Disable an account and end its sessions (AccountError when unknown)."""
        t = _utc(now)
        with self._write() as con:
            row = self._existing(con, name)
            con.execute("UPDATE accounts SET disabled = 1, updated_at = ? WHERE name = ?", (_iso(t), row["name"]))
            ended = self._end_sessions(con, row["name"], t, "disabled")
            con.execute("DELETE FROM demo_credentials WHERE name = ?", (row["name"],))
            self._audit(con, t, actor, "account_disable", row["name"], {"sessions_ended": ended})

    def enable(self, name: str, *, actor: str | None = None, now: datetime | None = None) -> None:
        t = _utc(now)
        with self._write() as con:
            row = self._existing(con, name)
            con.execute("UPDATE accounts SET disabled = 0, updated_at = ? WHERE name = ?", (_iso(t), row["name"]))
            self._audit(con, t, actor, "account_enable", row["name"])

    def reset_password(self, name: str, password: str, *, actor: str | None = None,
                       now: datetime | None = None) -> None:
        """Set a new password (policy checked), end the account's sessions, clear its lockout."""
        t = _utc(now)
        with self._read() as con:
            row = self._existing(con, name)
        try:
            check_password(password, row["name"])
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        hashed = hash_password(self.hasher, password)
        with self._write() as con:
            row = self._existing(con, name)
            con.execute("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE name = ?",
                        (hashed, _iso(t), row["name"]))
            ended = self._end_sessions(con, row["name"], t, "password_reset")
            key = _failure_key(row["name"])
            con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", (key,))
            con.execute("DELETE FROM lockouts WHERE name_key = ?", (key,))
            con.execute("DELETE FROM demo_credentials WHERE name = ?", (row["name"],))
            self._audit(con, t, actor, "password_reset", row["name"], {"sessions_ended": ended})

    def end_sessions(self, name: str, *, actor: str | None = None, now: datetime | None = None) -> int:
        """End every open session of an account (sign it out everywhere); returns how many were open."""
        t = _utc(now)
        with self._write() as con:
            row = self._existing(con, name)
            ended = self._end_sessions(con, row["name"], t, "ended_by_admin")
            self._audit(con, t, actor, "sessions_ended", row["name"], {"sessions_ended": ended})
        return ended

    # the explorer's saved questions

    def save_question(self, owner: str, name: str, query: str, *, shared: bool = False,
                      now: datetime | None = None) -> int:
        """Keep a question (its URL query string) under `name` for `owner` (an existing, enabled account); a
        second save under the same name replaces it. `shared` (everyone sees it in 常用查询) is for
        administrators only (AccountError otherwise). Returns its id. Audited as question_save / question_share."""
        t = _utc(now)
        label = _clean_text(name, MAX_QUESTION_NAME)
        if not label:
            raise AccountError("查询名称不能为空 / a question needs a name")
        if not isinstance(query, str) or len(query) > MAX_QUESTION_QUERY or any(
                unicodedata.category(c) in ("Cc", "Cf") for c in query):
            raise AccountError("查询无效 / not a valid question")
        with self._write() as con:
            row = self._existing(con, owner)
            if row["disabled"]:
                raise AccountError("账号已停用 / the account is disabled")
            if shared and row["role"] != "admin":
                raise AccountError("只有管理员可以共享查询 / only administrators share questions")
            con.execute(
                "INSERT INTO saved_questions (owner, name, query, shared, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner, name) DO UPDATE SET query = excluded.query, "
                "shared = excluded.shared, updated_at = excluded.updated_at",
                (row["name"], label, query, 1 if shared else 0, _iso(t), _iso(t)))
            qid = con.execute("SELECT id FROM saved_questions WHERE owner = ? AND name = ?",
                              (row["name"], label)).fetchone()["id"]
            self._audit(con, t, row["name"], "question_share" if shared else "question_save", label,
                        {"id": qid, "query": query})
        return qid

    def questions(self, viewer: str) -> list[dict]:
        """The questions `viewer` may open: its own and every shared one (id, owner, name, query, shared,
        created_at, updated_at; shared first, then by name)."""
        with self._read() as con:
            rows = con.execute("SELECT * FROM saved_questions WHERE owner = ? OR shared = 1 "
                               "ORDER BY shared DESC, name, id", (normalize_name(viewer),)).fetchall()
        return [dict(r) | {"shared": bool(r["shared"])} for r in rows]

    def delete_question(self, qid: int, *, actor: str, now: datetime | None = None) -> None:
        """Delete a saved question: its owner may, and an administrator may delete a shared one (AccountError
        otherwise, or when it does not exist). Audited as question_delete."""
        t = _utc(now)
        with self._write() as con:
            who = self._existing(con, actor)
            row = con.execute("SELECT * FROM saved_questions WHERE id = ?", (int(qid),)).fetchone()
            if row is None:
                raise AccountError("查询不存在 / no such question")
            mine = normalize_name(row["owner"]) == normalize_name(who["name"])
            if not (mine or row["shared"] and who["role"] == "admin"):
                raise AccountError("不能删除他人的查询 / not your question")
            con.execute("DELETE FROM saved_questions WHERE id = ?", (row["id"],))
            self._audit(con, t, who["name"], "question_delete", row["name"], {"id": row["id"], "owner": row["owner"]})

    # sign-in and sessions

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = hash_password(self.hasher, secrets.token_urlsafe(16))
        return self._dummy_hash

    def locked_until(self, name: str, *, now: datetime | None = None) -> datetime | None:
        """When the lock on this account name ends (aware UTC), or None when it is not locked."""
        t = _utc(now)
        with self._read() as con:
            row = con.execute("SELECT until FROM lockouts WHERE name_key = ? AND until > ?",
                              (_failure_key(name), _iso(t))).fetchone()
        return _aware(_parse(row["until"])) if row else None

    def sign_in(self, name: str, password: str, *, now: datetime | None = None,
                ip: str | None = None) -> tuple[Viewer, str]:
        """Check name and password; on success open a server-side session and return (viewer, token).

        The token (`secrets.token_urlsafe(32)`) is returned once; the store keeps only its SHA-256. Raises
        SignInFailed (one generic message for a wrong name, a wrong password or a disabled account) or
        AccountLocked (a SignInFailed with `.until`) after LOCK_AFTER failures within LOCK_WINDOW. Failures
        count per name tried, whether or not the account exists, so a lock reveals nothing either."""
        t = _utc(now)
        tried = normalize_name(name)[:MAX_NAME * 2]
        key = _failure_key(tried)
        where = {"ip": ip} if ip else None
        if not tried:
            raise SignInFailed()
        until = self.locked_until(tried, now=t)
        if until is not None:
            with self._write() as con:
                self._audit(con, t, tried, "sign_in_failed", tried, {**(where or {}), "reason": "locked"}, ok=False)
            raise AccountLocked(until)
        with self._read() as con:
            row = con.execute("SELECT * FROM accounts WHERE name = ?", (tried,)).fetchone()
        # verify even for an unknown name, so the time taken does not tell whether the account exists
        good = verify_password(self.hasher, row["password_hash"] if row else self._dummy(), password or "")
        if row is not None and good and not row["disabled"]:
            rehash = self.hasher.check_needs_rehash(row["password_hash"])
            new_hash = hash_password(self.hasher, password) if rehash else None
            token = secrets.token_urlsafe(32)
            with self._write() as con:
                con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", (key,))
                con.execute("DELETE FROM lockouts WHERE name_key = ?", (key,))
                if new_hash:
                    con.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", (new_hash, row["name"]))
                # forget sessions ended (or abandoned) more than KEEP_SESSIONS ago: the audit keeps the history
                con.execute("DELETE FROM sessions WHERE coalesce(ended_at, last_seen_at) < ?",
                            (_iso(t - KEEP_SESSIONS),))
                con.execute("INSERT INTO sessions (token_sha256, name, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                            (token_hash(token), row["name"], _iso(t), _iso(t)))
                detail = {**(where or {}), **({"rehashed": True} if new_hash else {})}
                self._audit(con, t, row["name"], "sign_in", row["name"], detail or None)
            return _viewer(row), token
        reason = "unknown_account" if row is None else ("disabled" if row["disabled"] else "wrong_password")
        with self._write() as con:
            con.execute("DELETE FROM sign_in_failures WHERE at <= ?", (_iso(t - LOCK_WINDOW),))  # keep it small
            con.execute("INSERT INTO sign_in_failures (name_key, at) VALUES (?, ?)", (key, _iso(t)))
            count = con.execute("SELECT count(*) FROM sign_in_failures WHERE name_key = ? AND at > ?",
                                (key, _iso(t - LOCK_WINDOW))).fetchone()[0]
            self._audit(con, t, tried, "sign_in_failed", tried, {**(where or {}), "reason": reason,
                                                                  "failures": count}, ok=False)
            if count >= LOCK_AFTER:
                until_t = t + LOCK_FOR
                con.execute("INSERT OR REPLACE INTO lockouts (name_key, locked_at, until) VALUES (?, ?, ?)",
                            (key, _iso(t), _iso(until_t)))
                con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", (key,))
                self._audit(con, t, tried, "lockout", tried,
                            {**(where or {}), "failures": count, "until": _iso(until_t) + "Z"}, ok=False)
        if count >= LOCK_AFTER:
            raise AccountLocked(_aware(until_t))
        raise SignInFailed()

    def trusted_sign_in(self, name: str, *, via: str, now: datetime | None = None,
                        ip: str | None = None) -> tuple[Viewer, str]:
        """A session for an account a trusted reverse proxy has already authenticated (single sign-on):
        no password, but the account must exist here and not be disabled (its role and community come from
        this store, never from the proxy). Raises SignInFailed otherwise. Recorded as a sign-in `via` it."""
        t = _utc(now)
        tried = normalize_name(name)[:MAX_NAME * 2]
        with self._read() as con:
            row = con.execute("SELECT * FROM accounts WHERE name = ?", (tried,)).fetchone() if tried else None
        if row is None or row["disabled"]:
            with self._write() as con:
                self._audit(con, t, tried or None, "sign_in_failed", tried or None,
                            {"via": via, **({"ip": ip} if ip else {}),
                             "reason": "unknown_account" if row is None else "disabled"}, ok=False)
            raise SignInFailed()
        token = secrets.token_urlsafe(32)
        with self._write() as con:
            con.execute("INSERT INTO sessions (token_sha256, name, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                        (token_hash(token), row["name"], _iso(t), _iso(t)))
            self._audit(con, t, row["name"], "sign_in", row["name"], {"via": via, **({"ip": ip} if ip else {})})
        return _viewer(row), token

    def viewer_for(self, token: str | None, *, idle: timedelta | None = None,
                   now: datetime | None = None) -> Viewer | None:
        """The viewer of an open session, or None (unknown, ended, idle longer than `idle`, account disabled).

        `idle` defaults to `session_idle()` ($GOV_SESSION_IDLE_HOURS, else 8 h). An idle session is ended
        (recorded as session_expired). last_seen_at is updated at most every TOUCH_EVERY."""
        if not token or len(token) > 512:
            return None
        t = _utc(now)
        limit = idle if idle is not None else session_idle()
        h = token_hash(token)
        with self._read() as con:
            row = con.execute("SELECT s.last_seen_at, s.ended_at, a.* FROM sessions s JOIN accounts a "
                              "ON a.name = s.name WHERE s.token_sha256 = ?", (h,)).fetchone()
        if row is None or row["ended_at"] is not None:
            return None
        seen = _parse(row["last_seen_at"])
        if row["disabled"]:
            return None
        if t - seen > limit:
            with self._write() as con:
                n = con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'idle' "
                                "WHERE token_sha256 = ? AND ended_at IS NULL", (_iso(t), h)).rowcount
                if n:
                    self._audit(con, t, row["name"], "session_expired", row["name"],
                                {"idle_hours": round(limit.total_seconds() / 3600, 2)})
            return None
        if t - seen >= TOUCH_EVERY:
            with self._write() as con:
                con.execute("UPDATE sessions SET last_seen_at = ? WHERE token_sha256 = ? AND ended_at IS NULL "
                            "AND last_seen_at < ?", (_iso(t), h, _iso(t)))
        return _viewer(row)

    def sign_out(self, token: str | None, *, now: datetime | None = None) -> bool:
        """End the session server-side (every tab holding this token is signed out); False if it was not open."""
        if not token:
            return False
        t = _utc(now)
        h = token_hash(token)
        with self._write() as con:
            row = con.execute("SELECT name FROM sessions WHERE token_sha256 = ? AND ended_at IS NULL", (h,)).fetchone()
            if row is None:
                return False
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'sign_out' WHERE token_sha256 = ?",
                        (_iso(t), h))
            self._audit(con, t, row["name"], "sign_out", row["name"])
        return True

    def open_sessions(self, name: str | None = None, *, idle: timedelta | None = None,
                      now: datetime | None = None) -> list[dict]:
        """Open, not yet idle sessions (no token, no hash): name, created_at, last_seen_at — for an admin view."""
        limit = idle if idle is not None else session_idle()
        sql = "SELECT name, created_at, last_seen_at FROM sessions WHERE ended_at IS NULL AND last_seen_at >= ?"
        params: list[str] = [_iso(_utc(now) - limit)]
        if name:
            sql += " AND name = ?"
            params.append(normalize_name(name))
        with self._read() as con:
            return [{"name": r["name"], "created_at": _aware(_parse(r["created_at"])),
                     "last_seen_at": _aware(_parse(r["last_seen_at"]))}
                    for r in con.execute(sql + " ORDER BY created_at", params).fetchall()]

    # demo accounts

    def create_demo_accounts(self, community: str = "南湾社区", *, prefix: str = "nanwan",
                             actor: str | None = "demo", now: datetime | None = None) -> list[DemoCredential]:
        """One account per role for the demo warehouse, with random passwords kept in `demo_credentials`
        (for the sign-in screen, while the warehouse is the demo). Does nothing (returns []) when any account
        exists. The caller checks that the warehouse is the demo and that `community` is in it."""
        specs = [("admin", "admin", None, "演示管理员"), ("leader", "leader", None, "演示街道领导"),
                 (prefix, "community", community, f"{community}（演示）"),
                 (f"{prefix}-clerk", "clerk", community, f"{community}数据员（演示）")]
        creds = [DemoCredential(n, r, c, d, demo_password()) for n, r, c, d in specs]
        hashes = [hash_password(self.hasher, c.password) for c in creds]
        t = _utc(now)
        with self._write() as con:
            if con.execute("SELECT EXISTS (SELECT 1 FROM accounts)").fetchone()[0]:
                return []
            for c, h in zip(creds, hashes, strict=True):
                Viewer(c.name, c.role, c.community, c.display)  # validates role/community
                con.execute("INSERT INTO accounts (name, role, community, display, password_hash, disabled, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                            (c.name, c.role, c.community, c.display, h, _iso(t), _iso(t)))
                con.execute("INSERT INTO demo_credentials (name, role, community, display, password, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", (c.name, c.role, c.community, c.display, c.password, _iso(t)))
            self._audit(con, t, actor, "demo_accounts", None,
                        {"accounts": [c.name for c in creds], "community": community})
        return creds

    def demo_credentials(self, warehouse: Path | str | None = None) -> list[DemoCredential]:
        """The demo accounts' passwords for the sign-in screen. With `warehouse`, only while its meta table
        says dataset = 'demo': otherwise (real or mixed data, or no warehouse) they are forgotten and [] is
        returned."""
        if warehouse is not None and not is_demo_warehouse(warehouse):
            self.forget_demo_credentials(actor="system")
            return []
        with self._read() as con:
            rows = con.execute("SELECT d.name, d.role, d.community, d.display, d.password FROM demo_credentials d "
                               "JOIN accounts a ON a.name = d.name AND a.disabled = 0 "
                               "ORDER BY CASE d.role WHEN 'admin' THEN 0 WHEN 'leader' THEN 1 "
                               "WHEN 'community' THEN 2 ELSE 3 END").fetchall()
        return [DemoCredential(r["name"], r["role"], r["community"], r["display"], r["password"]) for r in rows]

    def forget_demo_credentials(self, *, actor: str | None = None, now: datetime | None = None) -> int:
        """Delete the stored demo passwords (zeroed on disk, WAL checkpointed); the accounts stay."""
        t = _utc(now)
        with self._write() as con:
            n = con.execute("DELETE FROM demo_credentials").rowcount
            if n:
                self._audit(con, t, actor, "demo_credentials_forgotten", None, {"count": n})
        if n:
            with self._read() as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return n


def _viewer(row: sqlite3.Row) -> Viewer:
    return Viewer(row["name"], row["role"], row["community"], row["display"])


def _bound(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime(value.year, value.month, value.day, tzinfo=BEIJING))


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their BEGIN … END; bodies)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def is_demo_warehouse(path: Path | str) -> bool:
    """True when the warehouse exists and its meta table says dataset = 'demo'."""
    from etl.warehouse import open_read_only

    try:
        con = open_read_only(path)
    except FileNotFoundError:
        return False
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()
    except Exception:  # noqa: BLE001 — not a warehouse of ours: certainly not the demo
        return False
    finally:
        con.close()
    return bool(row) and row[0] == "demo"


def warehouse_communities(path: Path | str) -> list[str] | None:
    """Community names in the warehouse, or None when the file does not exist."""
    from etl.warehouse import open_read_only

    try:
        con = open_read_only(path)
    except FileNotFoundError:
        return None
    try:
        return [r[0] for r in con.execute("SELECT name FROM communities ORDER BY name").fetchall()]
    finally:
        con.close()


__all__ = [
    "ACTIONS", "AccountError", "AccountLocked", "AccountStore", "AuthError", "DemoCredential", "ROLES",
    "SCOPED_ROLES", "SignInFailed", "StoreError", "default_accounts_path", "is_demo_warehouse",
    "session_idle", "token_hash", "warehouse_communities",
]
