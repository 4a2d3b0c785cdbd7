"""The account store: passwords, roles, sign-in, lockout, sessions, the append-only audit, demo credentials."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from auth import (
    AccountError,
    AccountLocked,
    AccountStore,
    SignInFailed,
    Viewer,
    default_accounts_path,
    session_idle,
    token_hash,
)
from auth.store import GENERIC_FAILURE, SCHEMA_VERSION

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing
PW = "correct horse battery"
FAST = dict(time_cost=1, memory_cost=1024, parallelism=1)  # cheap Argon2id: these tests hash a lot


def fast_hasher() -> PasswordHasher:
    return PasswordHasher(**FAST)


@pytest.fixture()
def store(tmp_path: Path) -> AccountStore:
    s = AccountStore(tmp_path / "accounts.sqlite", hasher=fast_hasher())
    s.add_account("admin", "admin", "admin password 1", actor="test")
    s.add_account("leader", "leader", PW, display="王主任", actor="test")
    s.add_account("nanwan", "community", "nanwan password", community="南湾社区", actor="test")
    s.add_account("nanwan-clerk", "clerk", "clerk password", community="南湾社区", actor="test")
    return s


def file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


# --- roles -----------------------------------------------------------------------------------------------


def test_viewer_scope_per_role():
    assert Viewer("a", "admin").communities is None
    assert Viewer("l", "leader").communities is None
    assert Viewer("c", "community", "南湾社区").communities == ("南湾社区",)
    assert Viewer("k", "clerk", "南湾社区").communities == ("南湾社区",)
    assert Viewer("a", "admin").is_admin and not Viewer("l", "leader").is_admin
    assert Viewer("a", "admin").can_load("凤亭社区")
    assert Viewer("k", "clerk", "南湾社区").can_load("南湾社区")
    assert not Viewer("k", "clerk", "南湾社区").can_load("凤亭社区")
    assert not Viewer("c", "community", "南湾社区").can_load("南湾社区")
    assert not Viewer("l", "leader").can_load("南湾社区")
    assert Viewer("l", "leader").role_zh == "街道领导" and Viewer("k", "clerk", "x").role_zh == "数据员"
    assert Viewer("a", "admin").role_en == "administrator"
    assert Viewer("l", "leader", display="王主任").label == "王主任"
    assert Viewer("c", "community", "南湾社区").sees("南湾社区") and not Viewer("c", "community", "南湾社区").sees("凤亭社区")


@pytest.mark.parametrize("role, community", [("boss", None), ("community", None), ("clerk", ""),
                                             ("admin", "南湾社区"), ("leader", "南湾社区")])
def test_viewer_refuses_impossible_role_and_community(role, community):
    with pytest.raises(ValueError):
        Viewer("x", role, community)


def test_viewer_is_frozen():
    v = Viewer("c", "community", "南湾社区")
    with pytest.raises(AttributeError):
        v.community = "凤亭社区"  # type: ignore[misc]


# --- the file --------------------------------------------------------------------------------------------


def test_schema_version_wal_and_owner_only_file(store: AccountStore):
    assert store.schema_version() == SCHEMA_VERSION
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    con.close()
    assert {"accounts", "sessions", "sign_in_failures", "lockouts", "audit", "demo_credentials"} <= tables
    assert store.path.stat().st_mode & 0o077 == 0
    # a second store on the same file does not migrate again and sees the same accounts
    assert len(AccountStore(store.path, hasher=fast_hasher()).list_accounts()) == 4


def test_a_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(Exception, match="newer"):
        AccountStore(path, hasher=fast_hasher())


def test_default_path_is_in_the_project_or_gov_accounts(monkeypatch, tmp_path: Path):
    from etl.warehouse import PROJECT_ROOT

    monkeypatch.delenv("GOV_ACCOUNTS", raising=False)
    assert default_accounts_path() == PROJECT_ROOT / "data" / "accounts.sqlite"
    monkeypatch.setenv("GOV_ACCOUNTS", str(tmp_path / "x.sqlite"))
    assert default_accounts_path() == tmp_path / "x.sqlite"
    assert AccountStore(hasher=fast_hasher()).path == tmp_path / "x.sqlite"


# --- passwords and accounts ------------------------------------------------------------------------------


def test_hashes_are_argon2id_and_no_password_is_in_the_file(store: AccountStore):
    store.sign_in("leader", PW, now=T0)
    with pytest.raises(SignInFailed):
        store.sign_in("leader", "a wrong password typed", now=T0)
    store.reset_password("nanwan", "a brand new secret", now=T0)
    con = sqlite3.connect(store.path)
    hashes = [r[0] for r in con.execute("SELECT password_hash FROM accounts")]
    con.close()
    assert len(hashes) == 4 and all(h.startswith("$argon2id$") for h in hashes)
    data = file_bytes(store.path)
    for pw in (PW, "admin password 1", "nanwan password", "clerk password", "a brand new secret",
               "a wrong password typed"):
        assert pw.encode() not in data, pw


@pytest.mark.parametrize("password, why", [("", "empty"), ("          ", "empty"), ("short", "10"),
                                           ("123456789", "10"), ("newaccount", "name"), ("NewAccount", "name")])
def test_weak_passwords_are_refused(store: AccountStore, password: str, why: str):
    with pytest.raises(AccountError) as exc:
        store.add_account("newaccount", "leader", password)
    assert password.strip() == "" or password not in str(exc.value)  # the message never repeats it
    assert store.get_account("newaccount") is None


@pytest.mark.parametrize("kwargs", [dict(role="boss"), dict(role="community"), dict(role="clerk"),
                                    dict(role="leader", community="南湾社区"),
                                    dict(role="community", community="月亮社区", known_communities=["南湾社区"])])
def test_bad_roles_and_communities_are_refused(store: AccountStore, kwargs):
    with pytest.raises(AccountError):
        store.add_account("someone", password="long enough password", **kwargs)


@pytest.mark.parametrize("name", ["", "   ", "a b", "nan\u200bwan", "x\x1b[31m", "x" * 65])
def test_bad_names_are_refused(store: AccountStore, name: str):
    with pytest.raises(AccountError):
        store.add_account(name, "leader", "long enough password")


def test_duplicate_names_are_refused_case_insensitively(store: AccountStore):
    for name in ("leader", "LEADER", " leader "):
        with pytest.raises(AccountError, match="already exists"):
            store.add_account(name, "leader", "long enough password")


def test_list_accounts_has_no_hashes(store: AccountStore):
    rows = store.list_accounts()
    assert [r["name"] for r in rows][:2] == ["admin", "leader"]
    assert all("password_hash" not in r for r in rows)
    assert next(r for r in rows if r["name"] == "nanwan")["community"] == "南湾社区"


def test_unknown_accounts_cannot_be_changed(store: AccountStore):
    with pytest.raises(AccountError):
        store.disable("nobody")
    with pytest.raises(AccountError):
        store.reset_password("nobody", "long enough password")


# --- sign-in -----------------------------------------------------------------------------------------------


def test_sign_in_returns_the_viewer_and_a_token_stored_only_as_its_hash(store: AccountStore):
    viewer, token = store.sign_in("nanwan", "nanwan password", now=T0, ip="10.0.0.7")
    assert viewer == Viewer("nanwan", "community", "南湾社区", None)
    assert len(token) >= 40
    con = sqlite3.connect(store.path)
    stored = [r[0] for r in con.execute("SELECT token_sha256 FROM sessions")]
    con.close()
    assert stored == [token_hash(token)]
    assert token.encode() not in file_bytes(store.path)
    assert store.viewer_for(token, now=T0 + timedelta(minutes=5)) == viewer
    row = store.audit_rows(user="nanwan")[-1]
    assert (row["action"], row["ok"], row["detail"]) == ("sign_in", True, {"ip": "10.0.0.7"})


def test_failures_have_one_generic_message(store: AccountStore):
    store.disable("nanwan-clerk")
    messages = set()
    for name, pw in [("leader", "wrong password!"), ("nobody", "whatever password"),
                     ("nanwan-clerk", "clerk password"), ("", PW), ("leader", "")]:
        with pytest.raises(SignInFailed) as exc:
            store.sign_in(name, pw, now=T0)
        assert type(exc.value) is SignInFailed
        messages.add(str(exc.value))
    assert messages == {GENERIC_FAILURE}


def test_failure_is_audited_with_the_name_tried_never_the_password(store: AccountStore):
    with pytest.raises(SignInFailed):
        store.sign_in("nobody", "the password tried", now=T0)
    row = store.audit_rows(user="nobody")[-1]
    assert (row["actor"], row["action"], row["ok"]) == ("nobody", "sign_in_failed", False)
    assert row["detail"]["reason"] == "unknown_account"
    assert b"the password tried" not in file_bytes(store.path)


def test_four_failures_then_the_right_password_still_works(store: AccountStore):
    for i in range(4):
        with pytest.raises(SignInFailed) as exc:
            store.sign_in("leader", "wrong password!", now=T0 + timedelta(minutes=i))
        assert not isinstance(exc.value, AccountLocked)
    viewer, _ = store.sign_in("leader", PW, now=T0 + timedelta(minutes=4))
    assert viewer.name == "leader"
    # success cleared the failures: four more are still not a lockout
    for i in range(4):
        with pytest.raises(SignInFailed) as exc:
            store.sign_in("leader", "wrong password!", now=T0 + timedelta(minutes=5 + i))
        assert not isinstance(exc.value, AccountLocked)


def test_the_fifth_failure_locks_for_fifteen_minutes(store: AccountStore):
    for i in range(4):
        with pytest.raises(SignInFailed):
            store.sign_in("leader", "wrong password!", now=T0 + timedelta(minutes=i))
    fifth = T0 + timedelta(minutes=4)
    with pytest.raises(AccountLocked) as exc:
        store.sign_in("leader", "wrong password!", now=fifth)
    assert exc.value.until == fifth + timedelta(minutes=15)
    assert "09:19" in str(exc.value)  # 01:19 UTC in Beijing time
    # locked: even the right password fails, and says so
    with pytest.raises(AccountLocked):
        store.sign_in("leader", PW, now=fifth + timedelta(minutes=14, seconds=59))
    assert store.locked_until("leader", now=fifth + timedelta(minutes=1)) == fifth + timedelta(minutes=15)
    viewer, _ = store.sign_in("leader", PW, now=fifth + timedelta(minutes=15))
    assert viewer.name == "leader"
    actions = [r["action"] for r in store.audit_rows(user="leader")]
    assert actions.count("lockout") == 1
    lock = next(r for r in store.audit_rows(user="leader") if r["action"] == "lockout")
    assert lock["ok"] is False and lock["detail"]["failures"] == 5


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(store: AccountStore):
    for i in range(8):
        with pytest.raises(SignInFailed) as exc:
            store.sign_in("leader", "wrong password!", now=T0 + timedelta(minutes=4 * i))
        assert not isinstance(exc.value, AccountLocked)


def test_unknown_names_lock_too_so_a_lock_reveals_nothing(store: AccountStore):
    for i in range(4):
        with pytest.raises(SignInFailed):
            store.sign_in("ghost", "wrong password!", now=T0 + timedelta(seconds=i))
    with pytest.raises(AccountLocked):
        store.sign_in("ghost", "wrong password!", now=T0 + timedelta(seconds=5))
    # another account is not affected
    assert store.sign_in("leader", PW, now=T0 + timedelta(seconds=6))[0].name == "leader"


def test_password_reset_lifts_a_lock(store: AccountStore):
    for i in range(5):
        with pytest.raises(SignInFailed):
            store.sign_in("leader", "wrong password!", now=T0 + timedelta(seconds=i))
    store.reset_password("leader", "a fresh password", now=T0 + timedelta(minutes=1))
    assert store.sign_in("leader", "a fresh password", now=T0 + timedelta(minutes=2))[0].name == "leader"


def test_sign_in_is_case_insensitive_on_the_name(store: AccountStore):
    assert store.sign_in(" Leader ", PW, now=T0)[0].name == "leader"


def test_rehash_on_sign_in_when_parameters_changed(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    AccountStore(path, hasher=fast_hasher()).add_account("leader", "leader", PW)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    store = AccountStore(path, hasher=stronger)
    store.sign_in("leader", PW, now=T0)
    con = sqlite3.connect(path)
    new = con.execute("SELECT password_hash FROM accounts").fetchone()[0]
    con.close()
    assert new.startswith("$argon2id$") and "m=2048,t=2,p=1" in new
    assert store.audit_rows(action="sign_in")[-1]["detail"] == {"rehashed": True}
    assert store.sign_in("leader", PW, now=T0)[0].name == "leader"


# --- sessions ----------------------------------------------------------------------------------------------


def test_idle_expiry_at_eight_hours(store: AccountStore, monkeypatch):
    monkeypatch.delenv("GOV_SESSION_IDLE_HOURS", raising=False)
    _, token = store.sign_in("leader", PW, now=T0)
    assert store.viewer_for(token, now=T0 + timedelta(hours=7, minutes=59)) is not None
    # that use counts: eight hours idle are measured from the last use
    assert store.viewer_for(token, now=T0 + timedelta(hours=15, minutes=58)) is not None
    assert store.viewer_for(token, now=T0 + timedelta(hours=24)) is None
    assert store.viewer_for(token, now=T0 + timedelta(hours=24, seconds=1)) is None  # ended for good
    assert store.audit_rows(action="session_expired")[-1]["target"] == "leader"


def test_idle_expiry_unused(store: AccountStore):
    _, token = store.sign_in("leader", PW, now=T0)
    assert store.viewer_for(token, now=T0 + timedelta(hours=8, seconds=1)) is None


def test_idle_limit_is_configurable(store: AccountStore, monkeypatch):
    _, token = store.sign_in("leader", PW, now=T0)
    assert store.viewer_for(token, idle=timedelta(minutes=30), now=T0 + timedelta(minutes=31)) is None
    monkeypatch.setenv("GOV_SESSION_IDLE_HOURS", "0.5")
    assert session_idle() == timedelta(minutes=30)
    _, token = store.sign_in("leader", PW, now=T0)
    assert store.viewer_for(token, now=T0 + timedelta(minutes=29)) is not None
    assert store.viewer_for(token, now=T0 + timedelta(minutes=60)) is None
    monkeypatch.setenv("GOV_SESSION_IDLE_HOURS", "soon")
    with pytest.raises(ValueError, match="GOV_SESSION_IDLE_HOURS"):
        session_idle()


def test_sign_out_ends_the_session_server_side(store: AccountStore):
    _, token = store.sign_in("leader", PW, now=T0)
    _, other = store.sign_in("leader", PW, now=T0)
    assert store.sign_out(token, now=T0 + timedelta(minutes=1)) is True
    assert store.viewer_for(token, now=T0 + timedelta(minutes=2)) is None
    assert store.sign_out(token) is False
    assert store.viewer_for(other, now=T0 + timedelta(minutes=2)) is not None  # another browser stays
    assert store.audit_rows(action="sign_out")[-1]["actor"] == "leader"


def test_unknown_or_empty_tokens_give_no_viewer(store: AccountStore):
    assert store.viewer_for(None) is None
    assert store.viewer_for("") is None
    assert store.viewer_for("not-a-token") is None
    assert store.viewer_for("x" * 10_000) is None


def test_disable_and_reset_end_sessions(store: AccountStore):
    _, t1 = store.sign_in("nanwan", "nanwan password", now=T0)
    _, t2 = store.sign_in("leader", PW, now=T0)
    store.disable("nanwan", actor="admin", now=T0)
    store.reset_password("leader", "another long password", actor="admin", now=T0)
    later = T0 + timedelta(minutes=1)
    assert store.viewer_for(t1, now=later) is None
    assert store.viewer_for(t2, now=later) is None
    with pytest.raises(SignInFailed):
        store.sign_in("nanwan", "nanwan password", now=later)
    with pytest.raises(SignInFailed):
        store.sign_in("leader", PW, now=later)
    assert store.sign_in("leader", "another long password", now=later)[0].name == "leader"
    store.enable("nanwan", actor="admin", now=later)
    assert store.sign_in("nanwan", "nanwan password", now=later)[0].community == "南湾社区"
    acts = [(r["actor"], r["action"], r["target"]) for r in store.audit_rows(since=T0 - timedelta(seconds=1))
            if r["action"] in ("account_disable", "password_reset", "account_enable")]
    assert acts == [("admin", "account_disable", "nanwan"), ("admin", "password_reset", "leader"),
                    ("admin", "account_enable", "nanwan")]


# --- audit -------------------------------------------------------------------------------------------------


def test_audit_rows_cannot_be_updated_or_deleted(store: AccountStore):
    store.record("leader", "download", "cases", {"format": "csv", "filters": {"communities": ["南湾社区"]}})
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit WHERE action = 'download'")
    con.close()
    row = store.audit_rows(action="download")[-1]
    assert (row["actor"], row["target"], row["detail"]) == ("leader", "cases",
                                                            {"format": "csv", "filters": {"communities": ["南湾社区"]}})


@pytest.mark.parametrize("detail", [{"password": "x"}, {"new_password": "x"}, {"Token": "x"},
                                    {"filters": {"secret": 1}}, {"rows": [{"password_hash": "x"}]}, {"hash": "x"},
                                    {"session-cookie": "x"}])
def test_record_refuses_secrets_in_the_detail(store: AccountStore, detail):
    with pytest.raises(ValueError):
        store.record("leader", "export", "x", detail)


def test_audit_filters_and_limit(store: AccountStore):
    store.record("leader", "download", "a", now=datetime(2026, 3, 1, 15, 59, tzinfo=UTC))  # 23:59 Beijing, 1 March
    store.record("nanwan", "download", "b", now=datetime(2026, 3, 1, 16, 0, tzinfo=UTC))  # 00:00 Beijing, 2 March
    store.record("leader", "export", "c", now=datetime(2026, 3, 1, 16, 1, tzinfo=UTC))
    march2 = store.audit_rows(since=date(2026, 3, 2))
    assert [r["target"] for r in march2 if r["action"] in ("download", "export")] == ["b", "c"]
    assert [r["target"] for r in store.audit_rows(since=date(2026, 3, 1), user="LEADER")
            if r["action"] in ("download", "export")] == ["a", "c"]
    assert [r["target"] for r in store.audit_rows(limit=2)] == ["b", "c"]
    assert [r["target"] for r in store.audit_rows(until=date(2026, 3, 2), action="download")] == ["a"]
    assert all(r["at"].tzinfo is not None for r in march2)


def test_account_changes_are_audited_without_passwords(store: AccountStore):
    rows = store.audit_rows(action="account_add")
    assert [r["target"] for r in rows] == ["admin", "leader", "nanwan", "nanwan-clerk"]
    assert rows[1]["detail"] == {"role": "leader", "community": None, "display": "王主任"}
    assert all(r["actor"] == "test" for r in rows)


# --- demo credentials --------------------------------------------------------------------------------------


def test_demo_accounts_one_per_role_then_nothing(tmp_path: Path):
    store = AccountStore(tmp_path / "a.sqlite", hasher=fast_hasher())
    creds = store.create_demo_accounts("南湾社区")
    assert [(c.name, c.role, c.community) for c in creds] == [
        ("admin", "admin", None), ("leader", "leader", None), ("nanwan", "community", "南湾社区"),
        ("nanwan-clerk", "clerk", "南湾社区")]
    assert len({c.password for c in creds}) == 4 and all(len(c.password) >= 10 for c in creds)
    for c in creds:
        viewer, _ = store.sign_in(c.name, c.password, now=T0)
        assert viewer.role == c.role
    assert store.demo_credentials() == creds
    assert store.create_demo_accounts("南湾社区") == []  # accounts exist: nothing
    # a reset password is no longer a demo password to show
    store.reset_password("leader", "a real password now")
    assert [c.name for c in store.demo_credentials()] == ["admin", "nanwan", "nanwan-clerk"]
    assert store.forget_demo_credentials() == 3
    assert store.demo_credentials() == []
    data = file_bytes(store.path)
    assert all(c.password.encode() not in data for c in creds)
    assert store.sign_in("admin", creds[0].password, now=T0)[0].is_admin  # the accounts stay


def test_no_demo_accounts_when_an_account_exists(store: AccountStore):
    assert store.create_demo_accounts() == []
    assert store.demo_credentials() == []


def test_demo_credentials_only_while_the_warehouse_is_the_demo(tmp_path: Path):
    from tests.auth_helpers import tiny_warehouse

    store = AccountStore(tmp_path / "a.sqlite", hasher=fast_hasher())
    creds = store.create_demo_accounts()
    demo = tiny_warehouse(tmp_path / "demo", dataset="demo")
    real = tiny_warehouse(tmp_path / "real")
    assert store.demo_credentials(demo) == creds
    assert store.demo_credentials(tmp_path / "missing.duckdb") == []  # no warehouse: forgotten
    assert store.demo_credentials(demo) == []
    store2 = AccountStore(tmp_path / "b.sqlite", hasher=fast_hasher())
    store2.create_demo_accounts()
    assert store2.demo_credentials(real) == []
    assert store2.demo_credentials() == []


# --- concurrency -------------------------------------------------------------------------------------------


def test_threads_sign_in_and_record_at_once_without_lock_errors(store: AccountStore):
    errors: list[BaseException] = []
    tokens: list[str] = []
    start = threading.Barrier(4)

    def sign_in_loop(name: str, pw: str) -> None:
        try:
            start.wait()
            for _ in range(15):
                _, token = store.sign_in(name, pw)
                tokens.append(token)
                assert store.viewer_for(token) is not None
                store.record(name, "download", "cases", {"format": "xlsx"})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def record_loop(name: str) -> None:
        try:
            start.wait()
            for i in range(40):
                store.record(name, "export", "briefing", {"format": "pdf", "i": i})
                with pytest.raises(SignInFailed):
                    store.sign_in(f"ghost{i}", "wrong password!")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sign_in_loop, args=("leader", PW)),
               threading.Thread(target=sign_in_loop, args=("nanwan", "nanwan password")),
               threading.Thread(target=record_loop, args=("admin",)),
               threading.Thread(target=record_loop, args=("nanwan-clerk",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(tokens)) == 30
    assert len(store.audit_rows(action="export")) == 80
    assert len(store.audit_rows(action="download")) == 30
    assert len(store.audit_rows(action="sign_in")) == 30


def test_auth_imports_neither_streamlit_nor_kpi(tmp_path: Path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "streamlit.py").write_text("raise ImportError('no streamlit here')\n", encoding="utf-8")
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
            "import auth, auth.__main__, auth.store, auth.roles, auth.passwords\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'kpi', 'ui', 'present', "
            "'briefing', 'pages'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_open_sessions_and_old_sessions_are_forgotten(store: AccountStore):
    _, t1 = store.sign_in("leader", PW, now=T0)
    store.sign_in("nanwan", "nanwan password", now=T0)
    assert [s["name"] for s in store.open_sessions(now=T0)] == ["leader", "nanwan"]
    assert [s["name"] for s in store.open_sessions("leader", now=T0)] == ["leader"]
    assert store.open_sessions(now=T0 + timedelta(hours=9)) == []  # idle ones are not open any more
    store.sign_out(t1, now=T0)
    store.sign_in("admin", "admin password 1", now=T0 + timedelta(days=31))
    con = sqlite3.connect(store.path)
    names = [r[0] for r in con.execute("SELECT name FROM sessions")]
    con.close()
    assert names == ["admin"]


def test_two_processes_write_at_once(store: AccountStore):
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import sys\n"
            "from auth import AccountStore\n"
            f"s = AccountStore({str(store.path)!r})\n"
            "for i in range(60):\n"
            "    s.record('proc', 'export', 'x', {'i': i})\n")
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for i in range(60):
        store.record("main", "export", "y", {"i": i})
        store.viewer_for("nothing")
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    rows = store.audit_rows(action="export")
    assert sum(r["actor"] == "proc" for r in rows) == 60 and sum(r["actor"] == "main" for r in rows) == 60


# --- the explorer's saved questions (issue 12) ----------------------------------------------------------------

def test_saved_questions_own_shared_and_audited(store: AccountStore):
    q1 = "table=cases&group=month&f.category=停车管理"
    mine = store.save_question("leader", "  停车 诉求\u200b ", q1)
    assert [(r["name"], r["query"], r["shared"]) for r in store.questions("leader")] == [("停车 诉求", q1, False)]
    assert store.questions("nanwan") == []  # another account does not see it
    with pytest.raises(AccountError):  # only administrators share
        store.save_question("leader", "x", q1, shared=True)
    shared = store.save_question("admin", "全街道志愿时长", "table=volunteer_hours&measure=sum:hours", shared=True)
    assert [r["name"] for r in store.questions("nanwan")] == ["全街道志愿时长"]
    assert [r["name"] for r in store.questions("LEADER")] == ["全街道志愿时长", "停车 诉求"]  # shared first
    assert store.save_question("leader", "停车 诉求", "table=cases") == mine  # same name: replaced
    assert [r["query"] for r in store.questions("leader") if not r["shared"]] == ["table=cases"]
    with pytest.raises(AccountError):  # not the owner, not an administrator
        store.delete_question(shared, actor="leader")
    with pytest.raises(AccountError):
        store.delete_question(mine, actor="nanwan")
    store.delete_question(mine, actor="leader")
    store.delete_question(shared, actor="admin")
    assert store.questions("leader") == []
    with pytest.raises(AccountError):
        store.delete_question(shared, actor="admin")
    actions = [(r["action"], r["actor"], r["target"]) for r in store.audit_rows()
               if r["action"].startswith("question_")]
    assert sorted(actions) == sorted([("question_save", "leader", "停车 诉求"), ("question_share", "admin", "全街道志愿时长"),
                                      ("question_save", "leader", "停车 诉求"), ("question_delete", "leader", "停车 诉求"),
                                      ("question_delete", "admin", "全街道志愿时长")])


@pytest.mark.parametrize("name, query", [("", "table=cases"), ("   ", "table=cases"), ("x", "a\x00b"),
                                         ("x", "q" * 5000)])
def test_saved_question_refuses_empty_names_and_bad_queries(store: AccountStore, name, query):
    with pytest.raises(AccountError):
        store.save_question("leader", name, query)
    assert store.questions("leader") == []


def test_a_version_1_file_is_migrated_and_keeps_its_accounts(tmp_path: Path):
    from auth.store import MIGRATIONS, _statements

    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        con.execute(statement)
    con.execute("INSERT INTO accounts VALUES ('wang', 'leader', NULL, '王', 'x', 0, '2026-01-01', '2026-01-01')")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    s = AccountStore(path, hasher=fast_hasher())
    assert s.schema_version() == SCHEMA_VERSION == 2
    assert [a["name"] for a in s.list_accounts()] == ["wang"]
    assert s.questions("wang") == []
    s.save_question("wang", "mine", "table=activities")
    assert [r["name"] for r in s.questions("wang")] == ["mine"]
