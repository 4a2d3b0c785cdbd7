"""Loads while people read: `etl load` publishes in a loop while browser sessions render every page and the
briefing; the server log must show no error at all and no page an exception (ui.data.on_current_version)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import pytest

from tests.ledgers import write_csv
from tests.ui_helpers import ROOT, signed_in_context, streamlit_server

pytestmark = pytest.mark.browser

PATHS = ["/", "/engagement", "/issues", "/disputes_safety", "/services", "/volunteers",
         "/briefing?period=2026Q3", "/briefing?period=2024Q1&community=%E5%8D%97%E6%B9%BE%E7%A4%BE%E5%8C%BA",
         "/kpi_catalogue"]
SESSIONS = 3
LOADS = 10
HEADER = ["日期", "社区", "板块", "活动类型", "参与人数", "活动编号", "活动名称"]


def _ledger(folder, n: int):
    """A one-row activities ledger whose row changes with n, so every load publishes a new version."""
    return write_csv(folder / f"加载测试_{n}.csv", [HEADER, ["2026-09-15", "南湾社区", "联动联建", "共建活动",
                                                       str(10 + n), "LOADTEST-1", f"循环导入第{n}次"]])


def test_pages_and_briefing_render_while_loads_publish(browser, demo_db, tmp_path):
    db = tmp_path / "governance.duckdb"
    shutil.copyfile(demo_db, db)
    log = tmp_path / "server.log"
    stop = threading.Event()
    loads: list[int] = []

    def load_loop():
        for n in range(LOADS):
            if stop.is_set():
                break
            path = _ledger(tmp_path, n)
            rc = subprocess.run([sys.executable, "-m", "etl", "load", str(path), "--db", str(db)], cwd=ROOT,
                                capture_output=True).returncode
            loads.append(rc)
            time.sleep(0.5)

    problems: list[str] = []
    with streamlit_server(db, log_path=log) as url:
        contexts = [signed_in_context(browser, url) for _ in range(SESSIONS)]
        pages = [c.new_page() for c in contexts]
        loader = threading.Thread(target=load_loop, daemon=True)
        loader.start()
        deadline = time.time() + 240
        i = 0
        while (loader.is_alive() or i < len(PATHS)) and time.time() < deadline:
            page = pages[i % SESSIONS]
            path = PATHS[i % len(PATHS)]
            page.goto(url + path, wait_until="commit")
            page.wait_for_function("() => document.querySelector('h2') && "
                                   "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
            if page.locator('[data-testid="stException"]').count():
                problems.append(f"{path}: {page.locator('[data-testid=stException]').first.inner_text()[:200]}")
            i += 1
        stop.set()
        loader.join(timeout=120)
        for c in contexts:
            c.close()
        text = log.read_text(encoding="utf-8", errors="replace")  # while serving (not the shutdown's noise)
    assert loads and all(rc == 0 for rc in loads), loads
    assert len(loads) >= 5, f"only {len(loads)} loads ran while pages rendered"
    assert i >= len(PATHS)
    for marker in ("Traceback", "Exception", "Error"):
        assert marker not in text, text[-3000:]
    assert not problems, problems
