"""Time the briefing's four exports (PNG, PDF, PPTX, XLSX), as a ratio to a reference measured in the same run.

    python bench/briefing_exports_bench.py [--db WAREHOUSE] [--repeat N]

This replaces the wall-clock assertion the export tests used to make: machines
are noisy, a bare time is not a result. WAREHOUSE defaults to $GOV_DB or
data/governance.duckdb (else the demo warehouse is built into a temporary
folder). Timings are medians over N runs after one warm-up. The references,
measured in the same run on the already-started browser:

- `ref_render`: kaleido renders one trivial figure to PNG (what PNG / PDF pay
  per chart);
- `ref_xlsx`: the XLSX export, which renders nothing (pure Python on the same
  numbers).

Each export is printed in seconds and as × each reference. Exits 1 when all
four exports of one briefing take longer than the target (15 s) — a generous
bound kept for cron; the ratios are what to compare across commits.
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
        ref_render = median_seconds(lambda: render.render(trivial, "png", 700, 500), args.repeat, warmup=True)
        print(f"warehouse: {db}")
        print(f"Chromium start (once per process, not in the timings): {start:.2f} s")
        print(f"ref_render, kaleido renders one trivial figure: {ref_render * 1000:.0f} ms")
        worst = 0.0
        header = f"{'briefing':<18} {'export':<10} {'seconds':>8} {'× ref_render':>13} {'× ref_xlsx':>11}"
        for quarter, community in CASES:
            b = build(con, quarter, community, targets=targets)
            ref_xlsx = median_seconds(lambda b=b: exports.xlsx_bytes(b, "zh"), args.repeat, warmup=True)
            name = f"{quarter} {community or '全街道'}"
            print(f"\n{name}: ref_xlsx {ref_xlsx * 1000:.0f} ms")
            print(header)
            for fmt in exports.FORMATS:
                s = median_seconds(lambda f=fmt, b=b: exports.export_bytes(b, [f], "zh"), args.repeat, warmup=True)
                print(f"{name:<18} {fmt:<10} {s:>8.2f} {s / ref_render:>13.1f} {s / ref_xlsx:>11.1f}")
            out = Path(tmp) / "out"
            all4 = median_seconds(lambda b=b, o=out: exports.export_all(b, o, exports.FORMATS, "zh"), args.repeat,
                                  warmup=True)
            print(f"{name:<18} {'all four':<10} {all4:>8.2f} {all4 / ref_render:>13.1f} {all4 / ref_xlsx:>11.1f}")
            worst = max(worst, all4)
        con.close()
    verdict = "OK" if worst < TARGET_S else "TOO SLOW"
    print(f"\nslowest briefing, all four exports: {worst:.2f} s (target < {TARGET_S:.0f} s): {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
