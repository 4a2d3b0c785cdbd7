"""Time the overview's KPI queries.

    python bench/kpi_bench.py [WAREHOUSE] [--repeat N] [--factory SCALE]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb (build it with
`python -m etl demo`). With --factory, or when the file does not exist, a
generated warehouse of demo size (tests/factories.big_frames, scale 1 ≈ 25k
activities, 15k cases, 100k hour rows) is built in memory instead.

Timings are medians over N runs, printed in ms and as a ratio to a reference
measured in the same run (`SELECT count(*) FROM activities` on a fresh
cursor), since the machine is noisy. Targets: each overview query < 300 ms,
the whole overview (headline KPIs + comparisons + monthly trend + scorecard +
warnings) < 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import duckdb  # noqa: E402

import kpi  # noqa: E402
from bench.common import median_seconds  # noqa: E402
from kpi import scorecard, series  # noqa: E402
from kpi.calendar import add_months, quarter_of  # noqa: E402
from kpi.filters import Filters  # noqa: E402
from kpi.targets import load_targets  # noqa: E402


def _open(args) -> tuple[duckdb.DuckDBPyConnection, str]:
    path = Path(args.warehouse or os.environ.get("GOV_DB") or ROOT / "data" / "governance.duckdb")
    if args.factory is None and path.exists():
        from etl.warehouse import open_read_only

        return open_read_only(path), str(path)
    from tests import factories

    scale = args.factory or 1.0
    why = "" if args.factory else f" ({path} not found)"
    con = factories.build(factories.big_frames(scale=scale))
    return con, f"generated factory warehouse, scale {scale}{why}"



def _time(fn, repeat: int) -> float:
    return median_seconds(fn, repeat)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", nargs="?", help="warehouse file (default $GOV_DB or data/governance.duckdb)")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--factory", type=float, nargs="?", const=1.0, default=None,
                    help="use a generated warehouse of this scale instead of a file")
    args = ap.parse_args(argv)
    con, label = _open(args)
    counts = con.execute(
        "SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM cases), "
        "(SELECT count(*) FROM volunteer_hours), (SELECT count(*) FROM communities)"
    ).fetchone()
    opts = kpi.scope_options(con)
    # the latest whole quarter in the data (or the quarter of the last date)
    qs, qe = quarter_of(opts.max_date).start, quarter_of(opts.max_date).end
    if qe > opts.max_date:
        prev = quarter_of(qs - timedelta(days=1))
        qs, qe = prev.start, prev.end
    f = Filters(qs, qe)
    trend = Filters(add_months(qe.replace(day=1), -11), qe)
    targets = load_targets()
    heads = kpi.headline_ids()

    def ref():
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM activities").fetchall()
        cur.close()

    queries = {
        "scope_options (filters, header)": lambda: kpi.scope_options(con),
        "headline values": lambda: kpi.values(con, f, heads, targets=targets),
        "headline compare (cur/prev/yoy)": lambda: kpi.compare(con, f, heads, targets=targets),
        "monthly_by_pillar (12 months)": lambda: series.monthly_by_pillar(con, trend),
        "monthly headline trend (12 mo)": lambda: series.monthly(con, trend, heads, targets=targets),
        "all KPIs by community": lambda: kpi.values(con, f, by="community", targets=targets),
        "scorecard + warnings (evaluate)": lambda: scorecard.evaluate(con, f, targets),
    }

    def overview():
        kpi.scope_options(con)
        kpi.compare(con, f, heads, targets=targets)
        series.monthly_by_pillar(con, trend)
        scorecard.evaluate(con, f, targets)

    for fn in (ref, *queries.values(), overview):  # warm-up
        fn()
    t_ref = _time(ref, args.repeat * 3)
    print(f"warehouse: {label}")
    print(f"rows: {counts[0]} activities, {counts[1]} cases, {counts[2]} hour rows, {counts[3]} communities")
    print(f"period: {f.start} – {f.end}; duckdb {duckdb.__version__}; median of {args.repeat} runs")
    print(f"{'query':36s} {'ms':>8s} {'× ref':>8s}")
    print(f"{'reference: count(*) activities':36s} {t_ref * 1e3:8.2f} {1.0:8.1f}")
    worst = 0.0
    for name, fn in queries.items():
        t = _time(fn, args.repeat)
        worst = max(worst, t)
        flag = "" if t < 0.3 else "  over 300 ms"
        print(f"{name:36s} {t * 1e3:8.2f} {t / t_ref:8.1f}{flag}")
    t_all = _time(overview, args.repeat)
    print(f"{'whole overview':36s} {t_all * 1e3:8.2f} {t_all / t_ref:8.1f}{'' if t_all < 1 else '  over 1 s'}")
    ok = worst < 0.3 and t_all < 1.0
    print("OK: within targets" if ok else "NOT within targets")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
