"""Time the quarterly briefing: model, all four exports of one briefing, and the 长图.

    python bench/briefing_bench.py [--db WAREHOUSE] [--repeat N]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb; when it does not
exist the demo warehouse is built into a temporary folder first. Timings are
medians over N runs (after one warm-up), printed in seconds and as a ratio to a
reference measured in the same run — kaleido rendering one trivial figure on
the already-started browser — since the machine is noisy. Targets: all four
exports (PNG, PDF, PPTX, XLSX) of one briefing in under 15 s; the 长图 (longpng,
1080 px wide for phones) in under 5 s and under 2 MB, also printed as a ratio
to the 16:9 PNG of the same briefing measured in the same run.
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
LONG_TARGET_S = 5.0
LONG_MAX_BYTES = 2 * 1024 * 1024
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
        worst = long_worst = 0.0
        long_size = 0
        for quarter, community in CASES:
            name = f"{quarter} {community or '全街道'}"
            rows = [("model (kpi calls)", _time(lambda q=quarter, c=community: build(con, q, c, targets=targets), args.repeat))]
            b = build(con, quarter, community, targets=targets)
            for fmt in exports.DEFAULT_FORMATS:
                rows.append((f"export {fmt}", _time(lambda f=fmt, b=b: exports.export_bytes(b, [f]), args.repeat)))
            out = Path(tmp) / "out"
            all4 = _time(lambda b=b, o=out: exports.export_all(b, o, exports.DEFAULT_FORMATS), args.repeat)
            rows.append(("all four exports", all4))
            rows.append(("model + all four", rows[0][1] + all4))
            worst = max(worst, rows[0][1] + all4)
            for step, s in rows:
                print(f"{name:<22} {step:<26} {s:>8.2f} {s / ref:>8.1f}")
            png = rows[1][1]
            for lang in ("zh", "en"):
                long_s = _time(lambda b=b, lg=lang: exports.export_bytes(b, ["longpng"], lg), args.repeat)
                size = len(exports.export_bytes(b, ["longpng"], lang)["longpng"])
                long_worst, long_size = max(long_worst, long_s), max(long_size, size)
                print(f"{name:<22} {'export longpng ' + lang:<26} {long_s:>8.2f} {long_s / ref:>8.1f}"
                      f"   {long_s / png:.2f}× the 16:9 PNG, {size / 1024:.0f} KiB")
        con.close()
    verdict = "OK" if worst < TARGET_S else "TOO SLOW"
    print(f"slowest briefing, model + all four exports: {worst:.2f} s (target < {TARGET_S:.0f} s): {verdict}")
    long_ok = long_worst < LONG_TARGET_S and long_size < LONG_MAX_BYTES
    print(f"slowest 长图: {long_worst:.2f} s (target < {LONG_TARGET_S:.0f} s), largest {long_size / 1024:.0f} KiB "
          f"(limit {LONG_MAX_BYTES // 1024} KiB): {'OK' if long_ok else 'TOO SLOW OR TOO LARGE'}")
    return 0 if worst < TARGET_S and long_ok else 1


if __name__ == "__main__":
    sys.exit(main())
