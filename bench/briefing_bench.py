"""Time the quarterly briefing: model, and all four exports of one briefing.

    python bench/briefing_bench.py [--db WAREHOUSE] [--repeat N]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb; when it does not
exist the demo warehouse is built into a temporary folder first. Timings are
medians over N runs (after one warm-up), printed in seconds and as a ratio to a
reference measured in the same run — kaleido rendering one trivial figure on
the already-started browser — since the machine is noisy. Target: all four
exports (PNG, PDF, PPTX, XLSX) of one briefing in under 15 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
from bench.common import median_seconds  # noqa: E402
from bench.common import warehouse as _warehouse  # noqa: E402

TARGET_S = 15.0
CASES = (("2024Q1", "南湾社区"), ("2026Q3", None))





def _time(fn, repeat: int) -> float:
    return median_seconds(fn, repeat, warmup=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import plotly.graph_objects as go

    from briefing import build, exports, render
    from etl.warehouse import open_read_only
    from kpi.targets import load_targets

    targets = load_targets()

    if not render.available():
        print("Chromium not found: PNG/PDF cannot be rendered here (install Debian's chromium)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = _warehouse(args.db, tmp)
        con = open_read_only(db)
        t = time.perf_counter()
        render.renderer()
        start = time.perf_counter() - t
        trivial = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
        ref = _time(lambda: render.render(trivial, "png", 700, 500), args.repeat)
        print(f"warehouse: {db}")
        print(f"Chromium start (once per process): {start:.2f} s")
        print(f"reference, kaleido renders one trivial figure: {ref * 1000:.0f} ms")
        print(f"{'briefing':<22} {'step':<26} {'seconds':>8} {'× ref':>8}")
        worst = 0.0
        for quarter, community in CASES:
            name = f"{quarter} {community or '全街道'}"
            rows = [("model (kpi calls)", _time(lambda q=quarter, c=community: build(con, q, c, targets=targets), args.repeat))]
            b = build(con, quarter, community, targets=targets)
            for fmt in exports.FORMATS:
                rows.append((f"export {fmt}", _time(lambda f=fmt, b=b: exports.export_bytes(b, [f]), args.repeat)))
            out = Path(tmp) / "out"
            all4 = _time(lambda b=b, o=out: exports.export_all(b, o, exports.FORMATS), args.repeat)
            rows.append(("all four exports", all4))
            rows.append(("model + all four", rows[0][1] + all4))
            worst = max(worst, rows[0][1] + all4)
            for step, s in rows:
                print(f"{name:<22} {step:<26} {s:>8.2f} {s / ref:>8.1f}")
        con.close()
    verdict = "OK" if worst < TARGET_S else "TOO SLOW"
    print(f"slowest briefing, model + all four exports: {worst:.2f} s (target < {TARGET_S:.0f} s): {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
