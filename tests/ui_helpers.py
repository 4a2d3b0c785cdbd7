"""Helpers for the UI tests: AppTest runs of app.py, text extraction, a live Streamlit server."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TODAY = "2026-11-28"  # demo data ends 2026-09-30 → default period (last complete quarter) = 2026Q3
TIMEOUT = 30  # the first run builds caches
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


@pytest.fixture()
def app_env(gov_db_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GOV_DB = the demo warehouse, GOV_TODAY pinned; returns the warehouse path."""
    monkeypatch.setenv("GOV_TODAY", TODAY)
    return gov_db_env


# ---------------------------------------------------------------------- accounts (see conftest.accounts)

TEST_PASSWORD = "测试用密码-仅限测试-2024"
ACCOUNTS = {  # role → (account name, community)
    "admin": ("admin", None),
    "leader": ("leader", None),
    "community": ("nanwan", "南湾社区"),
    "clerk": ("nanwan-clerk", "南湾社区"),
}
_TOKENS: dict[tuple[str, str], str] = {}


def create_test_accounts(path: Path) -> None:
    """One account per role in the store at `path`, all with TEST_PASSWORD."""
    from auth import AccountStore

    store = AccountStore(path)
    for role, (name, community) in ACCOUNTS.items():
        store.add_account(name, role, TEST_PASSWORD, community=community, display=f"测试{name}")


def token_for(role: str = "leader", fresh: bool = False) -> str:
    """A session token of the test account with `role` in $GOV_ACCOUNTS (signed in once per test session,
    unless `fresh`: a test that signs out needs its own)."""
    from auth import AccountStore

    path = os.environ["GOV_ACCOUNTS"]
    key = (path, role)
    if fresh or key not in _TOKENS:
        _, token = AccountStore(path).sign_in(ACCOUNTS[role][0], TEST_PASSWORD)
        if fresh:
            return token
        _TOKENS[key] = token
    return _TOKENS[key]


def signed_in_context(browser, url: str, role: str = "leader", **kwargs):
    """A browser context holding the session cookie of the test account with `role`."""
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 720}, "locale": "zh-CN", **kwargs})
    ctx.add_cookies([{"name": "gov_session", "value": token_for(role), "url": url}])
    return ctx


def run_app(query: dict | None = None, page: str | None = None, role: str | None = "leader"):
    """A fresh session of app.py (AppTest), signed in as the test account with `role` (None: signed out),
    optionally opened with URL parameters and switched to a page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["_auth_token"] = token_for(role)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "warning", "info", "error", "success")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """Markdown source as the reader sees its characters: backslash escapes (`present.escape.markdown`) removed."""
    return _ESCAPED.sub(r"\1", markdown)


def markdown_sources(at) -> list[str]:
    """The markdown source of every element that reads markdown (escapes kept: what Streamlit parses)."""
    return [str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind)]


def texts(at) -> list[str]:
    """Every text element's value in the app (main area and sidebar), as shown (escapes removed)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "warning", "info", "error", "success"):
        out += [str(e.value) if kind == "text" else shown(str(e.value)) for e in getattr(at, kind)]
    return out


def all_text(at) -> str:
    return "\n".join(texts(at))


def header_scope(at) -> str:
    """The header's scope line (沌阳街道 · 南湾社区 · 2024年第一季度)."""
    lines = [m.value for m in at.markdown if str(m.value).startswith("#### ")]
    assert lines, "no header scope line"
    return shown(lines[0][5:])


def assert_clean(at) -> None:
    """No exception element anywhere, no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------------- live server (browser tests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db: Path, today: str = TODAY, timeout: float = 60, log_path: Path | None = None,
                     env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port with GOV_DB=db; yields the base URL; stops the server after.
    `log_path`: keep the server's output there (to read after, e.g. to count tracebacks)."""
    port = free_port()
    env = {**os.environ, "GOV_DB": str(db), "GOV_TODAY": today, **(env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    opened = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115 - closed by the with below
    with opened as log:  # not a pipe: a full pipe would block the server
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proc, log, f"http://127.0.0.1:{port}", timeout)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen, log, url: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited early ({proc.returncode}):\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError("streamlit did not become healthy in time")
        time.sleep(0.3)
