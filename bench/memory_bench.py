"""The app's memory with N sessions open: RSS of a Streamlit server on a (district-scale) warehouse.

    python bench/memory_bench.py --db PATH [--sessions 8] [--page pages/volunteers.py]

Starts `streamlit run app.py` on the warehouse (tests/ui_helpers.streamlit_server), opens N headless Chromium
pages signed in as a leader (a throw-away account store), each on the overview and then on every domain page
(so every page's queries ran and are cached), and prints the server's resident memory (VmRSS of the server
process, from /proc) after the start, after the first session and with all N open, as a ratio to the
server's RSS right after start (the reference measured in the same run). Target (issue 11): under 1 GB at
district scale with 8 sessions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MB = 1024.0
PAGES = ("", "engagement", "issues", "disputes_safety", "services", "volunteers")


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (MB), from /proc."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def server_pid(port: int) -> int:
    """The pid of the streamlit server listening on `port` (the one we started: its command line names the port)."""
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(cmd) and str(port).encode() in cmd:
                return int(d.name)
    raise RuntimeError(f"no streamlit server on port {port}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--today", default=None, help="GOV_TODAY for the server (default: 20 days after the data ends)")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from auth import AccountStore
    from etl.warehouse import open_read_only
    from tests.ui_helpers import CHROMIUM_ARGS, streamlit_server

    con = open_read_only(args.db)
    (hi,) = con.execute("SELECT max(date) FROM volunteer_hours").fetchone()
    con.close()
    import datetime as dt

    today = args.today or (hi + dt.timedelta(days=20)).isoformat()
    folder = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    accounts = folder / "accounts.sqlite"
    store = AccountStore(accounts)
    password = "bench-仅供基准测试-2024"
    store.add_account("bench-leader", "leader", password, display="基准测试")
    tokens = [store.sign_in("bench-leader", password)[1] for _ in range(args.sessions)]

    with streamlit_server(Path(args.db), today=today, timeout=120, env={"GOV_ACCOUNTS": str(accounts)}) as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        time.sleep(1)
        start = rss_mb(pid)
        print(f"warehouse: {args.db} ({Path(args.db).stat().st_size / 1e9:.2f} GB), server pid {pid}")
        print(f"reference, server RSS after start: {start:.0f} MB (= 1.0)")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            pages = []
            for n, token in enumerate(tokens, 1):
                ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
                ctx.add_cookies([{"name": "gov_session", "value": token, "url": url}])
                page = ctx.new_page()
                for name in PAGES:
                    page.goto(f"{url}/{name}", timeout=180_000)
                    page.wait_for_selector("[data-testid='stMetric'], [data-testid='stDataFrame']", timeout=180_000)
                    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                           timeout=180_000)
                pages.append(page)
                mb = rss_mb(pid)
                print(f"sessions open: {n}: server RSS {mb:.0f} MB ({mb / start:.2f} × start)")
            peak = rss_mb(pid)
            browser.close()
    verdict = "ok" if peak < TARGET_MB else "OVER"
    print(f"with {args.sessions} sessions: {peak:.0f} MB (target < {TARGET_MB:.0f} MB) {verdict}")
    return 0 if peak < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
