"""python -m auth: every command, every exit code, bilingual messages, passwords never echoed."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from auth import AccountStore
from auth.__main__ import main
from tests.auth_helpers import tiny_warehouse
from tests.conftest import ROOT

PW = "a long enough password"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch):
    """In-process runs hash with cheap parameters (the subprocess test below uses the real ones)."""
    monkeypatch.setattr("auth.store.default_hasher", lambda: FAST)


@pytest.fixture()
def env(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    accounts = tmp_path / "accounts.sqlite"
    db = tiny_warehouse(tmp_path / "wh")
    monkeypatch.setenv("GOV_ACCOUNTS", str(tmp_path / "default-accounts.sqlite"))
    monkeypatch.setenv("GOV_DB", str(db))
    return {"accounts": accounts, "db": db, "tmp": tmp_path}


def run(args: list[str], capsys, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def bilingual(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text) and any("a" <= c.lower() <= "z" for c in text)


def add(env, capsys, monkeypatch, name, role, *extra, password=PW):
    return run(["--accounts", str(env["accounts"]), "add-user", name, "--role", role, *extra, "--password-stdin"],
               capsys, password + "\n", monkeypatch)


def test_add_user_each_role(env, capsys, monkeypatch):
    assert add(env, capsys, monkeypatch, "admin", "admin")[0] == 0
    assert add(env, capsys, monkeypatch, "leader", "leader", "--display", "王主任")[0] == 0
    code, out, err = add(env, capsys, monkeypatch, "nanwan", "community", "--community", "南湾社区")
    assert code == 0 and "南湾社区" in out and PW not in out + err
    assert add(env, capsys, monkeypatch, "fengting-clerk", "clerk", "--community", "凤亭社区")[0] == 0
    store = AccountStore(env["accounts"], hasher=FAST)
    assert [(a["name"], a["role"], a["community"]) for a in store.list_accounts()] == [
        ("admin", "admin", None), ("leader", "leader", None), ("fengting-clerk", "clerk", "凤亭社区"),
        ("nanwan", "community", "南湾社区")]
    assert store.sign_in("nanwan", PW)[0].communities == ("南湾社区",)
    actors = {r["actor"] for r in store.audit_rows(action="account_add")}
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_accounts_option_before_or_after_the_command_and_the_env_default(env, capsys, monkeypatch):
    a, b = env["tmp"] / "a.sqlite", env["tmp"] / "b.sqlite"
    assert run(["--accounts", str(a), "add-user", "x1", "--role", "leader", "--password-stdin"], capsys,
               PW, monkeypatch)[0] == 0
    assert run(["add-user", "x2", "--role", "leader", "--password-stdin", "--accounts", str(b)], capsys,
               PW, monkeypatch)[0] == 0
    assert run(["add-user", "x3", "--role", "leader", "--password-stdin"], capsys, PW, monkeypatch)[0] == 0
    assert [x["name"] for x in AccountStore(a, hasher=FAST).list_accounts()] == ["x1"]
    assert [x["name"] for x in AccountStore(b, hasher=FAST).list_accounts()] == ["x2"]
    assert [x["name"] for x in AccountStore(env["tmp"] / "default-accounts.sqlite", hasher=FAST).list_accounts()] \
        == ["x3"]


@pytest.mark.parametrize("command", ["add-user", "list", "disable", "enable", "reset-password", "audit",
                                     "demo-accounts"])
def test_every_command_help_shows_accounts(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--accounts" in out and "GOV_ACCOUNTS" in out


@pytest.mark.parametrize("args, stdin, needle", [
    (["add-user", "x", "--role", "boss", "--password-stdin"], PW, "unknown role"),
    (["add-user", "x", "--role", "community", "--password-stdin"], PW, "needs --community"),
    (["add-user", "x", "--role", "clerk", "--password-stdin"], PW, "needs --community"),
    (["add-user", "x", "--role", "admin", "--community", "南湾社区", "--password-stdin"], PW, "do not give"),
    (["add-user", "x", "--role", "leader", "--community", "南湾社区", "--password-stdin"], PW, "do not give"),
    (["add-user", "x", "--role", "community", "--community", "月亮社区", "--password-stdin"], PW,
     "unknown community"),
    (["add-user", "x", "--role", "leader", "--password-stdin"], "", "empty"),
    (["add-user", "x", "--role", "leader", "--password-stdin"], "           \n", "empty"),
    (["add-user", "x", "--role", "leader", "--password-stdin"], "short1234\n", "at least 10"),
    (["add-user", "longername", "--role", "leader", "--password-stdin"], "longername\n", "account name"),
    (["add-user", "x", "--role", "leader"], PW, "--password-stdin"),
    (["add-user", "x y", "--role", "leader", "--password-stdin"], PW, "spaces"),
    (["add-user", "x"], PW, "--role"),
    (["add-user", "--role", "leader", "--password-stdin"], PW, "bad arguments"),
    (["disable", "nobody"], None, "no account"),
    (["enable", "nobody"], None, "no account"),
    (["reset-password", "nobody", "--password-stdin"], PW, "no account"),
    (["reset-password", "taken", "--password-stdin"], "tooshort\n", "at least 10"),
    (["reset-password", "taken"], PW, "--password-stdin"),
    (["audit", "--since", "2026-02-30"], None, "YYYY-MM-DD"),
    (["audit", "--limit", "many"], None, "bad arguments"),
    (["frobnicate"], None, "bad arguments"),
    ([], None, "bad arguments"),
])
def test_bad_arguments_exit_2_with_a_bilingual_message(env, capsys, monkeypatch, args, stdin, needle):
    assert add(env, capsys, monkeypatch, "taken", "leader")[0] == 0
    before = (env["accounts"].read_bytes(), AccountStore(env["accounts"], hasher=FAST).list_accounts())
    code, out, err = run(["--accounts", str(env["accounts"]), *args], capsys, stdin, monkeypatch)
    assert code == 2, (out, err)
    assert needle in err and bilingual(err), err
    if stdin and stdin.strip():
        assert stdin.strip() not in out + err
    assert AccountStore(env["accounts"], hasher=FAST).list_accounts() == before[1]


def test_duplicate_name_exits_2(env, capsys, monkeypatch):
    assert add(env, capsys, monkeypatch, "leader", "leader")[0] == 0
    code, _, err = add(env, capsys, monkeypatch, "Leader", "admin")
    assert code == 2 and "already exists" in err and "已存在" in err


def test_community_roles_are_refused_without_a_warehouse(env, capsys, monkeypatch):
    missing = env["tmp"] / "nowhere.duckdb"
    code, _, err = add(env, capsys, monkeypatch, "nanwan", "community", "--community", "南湾社区", "--db", str(missing))
    assert code == 2 and "warehouse not found" in err and "仓库不存在" in err
    # admin and leader need no warehouse
    assert add(env, capsys, monkeypatch, "boss", "admin", "--db", str(missing))[0] == 0


def test_disable_enable_and_reset_password(env, capsys, monkeypatch):
    assert add(env, capsys, monkeypatch, "leader", "leader")[0] == 0
    store = AccountStore(env["accounts"], hasher=FAST)
    _, token = store.sign_in("leader", PW)
    acc = ["--accounts", str(env["accounts"])]
    assert run([*acc, "disable", "leader"], capsys)[0] == 0
    assert store.viewer_for(token) is None
    assert run([*acc, "enable", "leader"], capsys)[0] == 0
    code, out, err = run([*acc, "reset-password", "leader", "--password-stdin"], capsys, "the new password\n",
                         monkeypatch)
    assert code == 0 and "the new password" not in out + err
    assert store.sign_in("leader", "the new password")[0].name == "leader"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_list_is_aligned_by_display_width_and_shows_no_hash(env, capsys, monkeypatch):
    assert add(env, capsys, monkeypatch, "admin", "admin")[0] == 0
    assert add(env, capsys, monkeypatch, "王主任", "leader", "--display", "王 主任")[0] == 0
    assert add(env, capsys, monkeypatch, "nanwan", "community", "--community", "南湾社区")[0] == 0
    code, out, _ = run(["list", "--accounts", str(env["accounts"])], capsys)
    assert code == 0
    assert "argon2" not in out and PW not in out
    lines = out.splitlines()
    assert len(lines) == 4
    # the status column starts at the same display column on every line
    starts = []
    for line in lines:
        for word in ("状态", "启用"):
            if word in line:
                starts.append(_width(line[:line.index(word)]))
    assert len(starts) == 4 and len(set(starts)) == 1, out


def test_list_without_accounts_says_how_to_create_the_first_admin(env, capsys):
    code, out, _ = run(["--accounts", str(env["accounts"]), "list"], capsys)
    assert code == 0 and "add-user" in out and "--role admin" in out


def test_audit_in_beijing_time_filtered_by_user_and_date(env, capsys, monkeypatch):
    from datetime import UTC, datetime

    store = AccountStore(env["accounts"], hasher=FAST)
    store.record("leader", "download", "cases", {"format": "csv"}, now=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    store.record("nanwan", "export", "briefing", {"format": "pdf"}, now=datetime(2026, 2, 1, 1, 0, tzinfo=UTC))
    store.record("clerk", "load", "\x1b[2J\x1b[31mevil.csv", now=datetime(2026, 3, 3, tzinfo=UTC))
    acc = ["--accounts", str(env["accounts"])]
    code, out, _ = run([*acc, "audit"], capsys)
    assert code == 0
    assert "2026-03-02 00:30:00" in out  # 16:30 UTC on 1 March is 00:30 on 2 March in Beijing
    assert "下载 download" in out and "\x1b" not in out and "\\x1b[2J" in out
    code, out, _ = run([*acc, "audit", "--since", "2026-03-02", "--user", "leader"], capsys)
    assert code == 0 and "cases" in out and "briefing" not in out and "evil" not in out
    code, out, _ = run([*acc, "audit", "--since", "2026-03-03"], capsys)
    assert code == 0 and "cases" not in out and "evil" in out
    code, out, _ = run([*acc, "audit", "--user", "nobody"], capsys)
    assert code == 0 and "no audit rows" in out


def test_demo_accounts_only_for_the_demo_warehouse(env, capsys):
    acc = ["--accounts", str(env["accounts"])]
    code, _, err = run([*acc, "demo-accounts", "--db", str(env["db"])], capsys)  # real (non-demo) warehouse
    assert code == 2 and "not the demo" in err and bilingual(err)
    code, _, err = run([*acc, "demo-accounts", "--db", str(env["tmp"] / "none.duckdb")], capsys)
    assert code == 2 and "warehouse not found" in err
    assert not AccountStore(env["accounts"], hasher=FAST).has_accounts()

    demo = tiny_warehouse(env["tmp"] / "demo", dataset="demo")
    code, out, _ = run([*acc, "demo-accounts", "--db", str(demo)], capsys)
    assert code == 0
    store = AccountStore(env["accounts"], hasher=FAST)
    creds = store.demo_credentials(demo)
    assert [c.name for c in creds] == ["admin", "leader", "nanwan", "nanwan-clerk"]
    assert all(c.password in out for c in creds)  # printed once …
    code, out2, _ = run([*acc, "demo-accounts", "--db", str(demo)], capsys)
    assert code == 0 and "already exist" in out2 and not any(c.password in out2 for c in creds)  # … only once
    code, out3, _ = run([*acc, "list"], capsys)
    assert not any(c.password in out3 for c in creds)


def test_real_cli_end_to_end_never_shows_the_password(tmp_path: Path):
    """`python -m auth` in a subprocess with the real Argon2 parameters: the password appears nowhere."""
    db = tiny_warehouse(tmp_path / "wh")
    accounts = tmp_path / "acc" / "accounts.sqlite"
    env = {**os.environ, "GOV_ACCOUNTS": str(accounts), "GOV_DB": str(db), "PYTHONPATH": str(ROOT)}
    secret = "Zq7-very-private-pass"
    outputs = []
    for args, stdin in [(["add-user", "nanwan", "--role", "clerk", "--community", "南湾社区", "--password-stdin"],
                         secret + "\n"),
                        (["reset-password", "nanwan", "--password-stdin"], secret + "!\n"),
                        (["list"], None), (["audit"], None)]:
        p = subprocess.run([sys.executable, "-m", "auth", *args], input=stdin, capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=120)
        assert p.returncode == 0, p.stderr
        outputs.append(p.stdout + p.stderr)
    text = "\n".join(outputs)
    assert secret not in text and "nanwan" in text
    data = b"".join(p.read_bytes() for p in accounts.parent.iterdir())
    assert secret.encode() not in data
    con = sqlite3.connect(accounts)
    (h,) = con.execute("SELECT password_hash FROM accounts").fetchone()
    con.close()
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    p = subprocess.run([sys.executable, "-m", "auth", "add-user", "x", "--role", "boss", "--password-stdin"],
                       input=secret, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert p.returncode == 2 and "unknown role" in p.stderr and secret not in p.stdout + p.stderr


def test_demo_accounts_if_demo_is_quiet_on_a_real_warehouse(env, capsys):
    acc = ["--accounts", str(env["accounts"])]
    code, out, err = run([*acc, "demo-accounts", "--db", str(env["db"]), "--if-demo"], capsys)
    assert (code, out, err) == (0, "", "")
    assert not AccountStore(env["accounts"], hasher=FAST).has_accounts()
    demo = tiny_warehouse(env["tmp"] / "demo", dataset="demo")
    code, out, _ = run([*acc, "demo-accounts", "--db", str(demo), "--if-demo"], capsys)
    assert code == 0 and "nanwan-clerk" in out
