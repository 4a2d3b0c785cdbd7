"""Time the 总览 page: each query it makes, and a whole rerun of the page.

    python bench/overview_bench.py [WAREHOUSE] [--repeat N]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb; when it does not
exist, the demo warehouse is built into a temporary folder first
(`demo.build_demo`). The filters are the app's defaults (the last complete
quarter before $GOV_TODAY or today, all communities).

Printed per line: median time in ms and its ratio to a reference measured in
the same run (`SELECT count(*) FROM activities` on a fresh cursor), since the
machine is noisy. Targets: each query < 300 ms, a whole overview rerun < 1 s.

- "query" lines call the kpi functions directly (no cache): what a rerun costs
  when the data version changed or the filters are new.
- "rerun" lines run app.py with AppTest on the overview page after one warm-up
  run: "cached" is a rerun with the same filters (what a click elsewhere
  costs), "cold" clears st.cache_data first (new filters / new load).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import median_seconds, quiet_streamlit  # noqa: E402
from bench.common import warehouse as _warehouse  # noqa: E402

QUERY_TARGET_MS = 300.0
RERUN_TARGET_MS = 1000.0


def _time(fn, repeat: int) -> float:
    return median_seconds(fn, repeat) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", nargs="?")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    db = _warehouse(args.warehouse)
    os.environ["GOV_DB"] = str(db)

    import kpi
    from etl.warehouse import open_read_only
    from kpi import calendar, scorecard, series
    from kpi.targets import load_targets

    quiet_streamlit()
    from ui.state import ViewState

    targets = load_targets()
    con = open_read_only(db)
    filters = ViewState.default(calendar.today()).filters

    def reference():
        cur = con.cursor()
        try:
            cur.execute("SELECT count(*) FROM activities").fetchone()
        finally:
            cur.close()

    ref = _time(reference, max(args.repeat, 15))
    print(f"warehouse {db}")
    print(f"filters   {filters.start} … {filters.end}, all communities")
    print(f"reference SELECT count(*) FROM activities: {ref:.2f} ms (= 1.0)\n")
    print(f"{'':8}{'what':44}{'ms':>9}{'× ref':>9}  target")

    def line(kind: str, name: str, ms: float, target: float) -> None:
        ok = "ok" if ms < target else "OVER"
        print(f"{kind:8}{name:44}{ms:9.1f}{ms / ref:9.0f}  < {target:.0f} ms {ok}")

    queries = [
        ("kpi.scope_options", lambda: kpi.scope_options(con)),
        ("kpi.compare (headline KPIs, 3 periods)", lambda: kpi.compare(con, filters, ids=kpi.headline_ids(),
                                                                         targets=targets)),
        ("series.monthly_by_pillar", lambda: series.monthly_by_pillar(con, filters)),
        ("scorecard.evaluate (scorecard + warnings)", lambda: scorecard.evaluate(con, filters, targets)),
    ]
    total = 0.0
    for name, fn in queries:
        fn()  # warm the DuckDB buffers
        ms = _time(fn, args.repeat)
        total += ms
        line("query", name, ms, QUERY_TARGET_MS)
    line("sum", "all overview queries, uncached", total, RERUN_TARGET_MS)
    con.close()

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def cold():
        st.cache_data.clear()
        at.run()

    if True:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()  # warm-up: imports, caches
        quiet_streamlit()  # the first run made more loggers
        if at.exception:
            sys.exit(f"app raised: {[e.value for e in at.exception]}")
        cached_ms = _time(at.run, args.repeat)
        cold_ms = _time(cold, args.repeat)
        failed = [e.value for e in at.exception]
    if failed:
        sys.exit(f"app raised: {failed}")
    line("rerun", "overview, cached (same filters)", cached_ms, RERUN_TARGET_MS)
    line("rerun", "overview, cold (cache_data cleared)", cold_ms, RERUN_TARGET_MS)


if __name__ == "__main__":
    main()
