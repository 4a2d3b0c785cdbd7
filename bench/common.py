"""Pieces every benchmark shares: the warehouse to measure and a median timer."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def quiet_streamlit() -> None:
    """Streamlit outside a server (AppTest, cached loaders) logs "missing ScriptRunContext" and "No runtime
    found" warnings on every run: raise its log level before the app is imported, so reports stay readable."""
    import logging

    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"
    import streamlit.logger

    streamlit.logger.set_log_level("error")
    for name in list(logging.root.manager.loggerDict):  # loggers made before, with their own level
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def median_seconds(fn: Callable[[], object], repeat: int, warmup: bool = False) -> float:
    """Median wall time of `repeat` calls (after one untimed call when `warmup`)."""
    if warmup:
        fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def warehouse(arg: str | None, folder: str | None = None) -> Path:
    """The warehouse to measure: `arg`, else $GOV_DB, else data/governance.duckdb; else a demo built now."""
    path = Path(arg or os.environ.get("GOV_DB") or ROOT / "data" / "governance.duckdb")
    if path.exists():
        return path
    from demo import build_demo

    where = Path(folder or tempfile.mkdtemp(prefix="bench-"))
    db = where / "governance.duckdb"
    print(f"{path} not found: building the demo warehouse into {db} …", flush=True)
    report = build_demo(db, out_dir=where / "ledgers")
    if report.exit_code != 0:
        raise SystemExit(f"demo build failed (exit {report.exit_code})")
    return db
