"""Time the per-query cost of the viewer's scope (`Filters.allowed`).

    python bench/scope_bench.py [WAREHOUSE] [--repeat N] [--community NAME]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb; when it does not
exist the demo warehouse is built (bench/common.warehouse). For the overview's
KPI queries (headline compare, scorecard + warnings) and `scope_options`, it
times, on the latest whole quarter:

- street: the leader's call (allowed=None, no community chosen);
- viewer: a community viewer's call (allowed=(C,), nothing chosen) — what a
  community account's page costs;
- chosen: the leader choosing C (communities=(C,), allowed=None);
- chosen+allowed: the same with allowed=(C,) — against "chosen" this is the
  pure cost of the extra predicate (same rows).

Plus `scorecard.standing` (the rank and street average a viewer's overview adds).
Medians over N runs, in ms and as a ratio to a reference measured in the same
run (`SELECT count(*) FROM activities` on a fresh cursor). Target: every query
under 300 ms (the overview's per-query target).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import duckdb  # noqa: E402

import kpi  # noqa: E402
from bench.common import median_seconds, warehouse  # noqa: E402
from etl.warehouse import open_read_only  # noqa: E402
from kpi import scorecard  # noqa: E402
from kpi.calendar import quarter_of  # noqa: E402
from kpi.filters import Filters  # noqa: E402
from kpi.targets import load_targets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", nargs="?", help="warehouse file (default $GOV_DB or data/governance.duckdb)")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--community", help="the viewer's community (default: the first in the register)")
    args = ap.parse_args(argv)
    path = warehouse(args.warehouse)
    con = open_read_only(path)
    opts = kpi.scope_options(con)
    c = args.community or str(opts.communities["community"].iloc[0])
    qs, qe = quarter_of(opts.max_date).start, quarter_of(opts.max_date).end
    if qe > opts.max_date:
        prev = quarter_of(qs - timedelta(days=1))
        qs, qe = prev.start, prev.end
    targets = load_targets()
    heads = kpi.headline_ids()
    street = Filters(qs, qe)
    variants = {
        "street": street,
        "viewer": street.restricted_to((c,)),
        "chosen": replace(street, communities=(c,)),
        "chosen+allowed": replace(street, communities=(c,)).restricted_to((c,)),
    }
    queries = {
        "headline compare": lambda f: kpi.compare(con, f, heads, targets=targets),
        "scorecard + warnings (evaluate)": lambda f: scorecard.evaluate(con, f, targets),
        "scope_options": lambda f: kpi.scope_options(con, f.allowed),
    }

    def ref():
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM activities").fetchall()
        cur.close()

    def standing():
        scorecard.standing(con, variants["viewer"], targets, c)

    for fn in queries.values():  # warm-up
        for f in variants.values():
            fn(f)
    standing()
    t_ref = median_seconds(ref, args.repeat * 3, warmup=True)
    print(f"warehouse: {path}; duckdb {duckdb.__version__}; median of {args.repeat} runs")
    print(f"period: {qs} – {qe}; viewer's community: {c} (of {len(opts.communities)})")
    print(f"reference count(*) activities: {t_ref * 1e3:.2f} ms")
    head = "".join(f"{v:>16s}" for v in variants)
    print(f"{'query (ms, × ref)':34s}{head}{'predicate cost':>16s}")
    worst = 0.0
    for name, fn in queries.items():
        times = {k: median_seconds(lambda f=f, fn=fn: fn(f), args.repeat) for k, f in variants.items()}
        worst = max(worst, *times.values())
        cells = "".join(f"{t * 1e3:8.1f} {t / t_ref:6.1f}×" for t in times.values())
        extra = times["chosen+allowed"] / times["chosen"] - 1
        print(f"{name:34s}{cells}{extra:+15.1%}")
    t_st = median_seconds(standing, args.repeat)
    worst = max(worst, t_st)
    print(f"{'scorecard.standing (viewer)':34s}{t_st * 1e3:8.1f} {t_st / t_ref:6.1f}×")
    ok = worst < 0.3
    print("OK: every query under 300 ms" if ok else "NOT within the 300 ms per-query target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
