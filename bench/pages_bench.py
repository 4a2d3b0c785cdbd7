"""Time the five domain pages: each page's queries, and a whole page rerun.

    python bench/pages_bench.py [WAREHOUSE] [--repeat N] [--pages engagement,issues,…]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb; when that file does
not exist, the demo warehouse is built into a temporary folder first
(`python -m etl demo`). The period is the last whole quarter of the data (what
the pages show by default on the demo data).

Printed for every page, in ms and as a ratio to a reference measured in the
same run (`SELECT count(*) FROM activities` on a fresh cursor — the machine is
noisy, ratios travel better than milliseconds):

- every kpi call the page makes (the same calls, uncached), median of N runs;
  target < 300 ms each;
- the page's queries together;
- a whole page run under Streamlit's AppTest (app.py → sidebar → header →
  the page: every query, every chart, the tables), first with empty caches
  (what a leader waits for after changing a filter) and then warm (a rerun
  that re-uses `ui.query`'s cache, e.g. after a click on a chip); target < 1 s
  for the cold one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import duckdb  # noqa: E402

import kpi  # noqa: E402
from bench.common import median_seconds, quiet_streamlit  # noqa: E402
from bench.common import warehouse as _warehouse  # noqa: E402
from kpi import disputes, engagement, issues, safety, series, services, volunteers  # noqa: E402
from kpi.calendar import quarter_of  # noqa: E402
from kpi.targets import load_targets  # noqa: E402

PAGES = ("engagement", "issues", "disputes_safety", "services", "volunteers")


def page_queries(con, f, targets) -> dict[str, dict[str, callable]]:
    """The kpi calls each page makes for filters `f` (the page's default view), in page order."""
    ids = {d: [k.id for k in kpi.kpis_for(d)] for d in kpi.DOMAINS}
    return {
        "engagement": {
            "compare (cards)": lambda: kpi.compare(con, f, ids["engagement"], targets=targets),
            "monthly_by_pillar": lambda: series.monthly_by_pillar(con, f),
            "by_type": lambda: engagement.by_type(con, f),
            "partners": lambda: engagement.partners(con, f),
            "compound_month (heat map)": lambda: engagement.compound_month(con, f),
            "activity_list (a page of 50 + count)": lambda: (engagement.activity_list(con, f, limit=50),
                                                             engagement.activity_count(con, f)),
        },
        "issues": {
            "compare (cards)": lambda: kpi.compare(con, f, ids["issues"], targets=targets),
            "monthly (flow + rates)": lambda: series.monthly(con, f, ["cases_opened", "cases_closed", "open_backlog",
                                                                     "closure_rate", "on_time_rate",
                                                                     "satisfaction_rate"], targets=targets),
            "days_to_close": lambda: issues.days_to_close(con, f),
            "backlog_aging": lambda: issues.backlog_aging(con, f, targets=targets),
            "breakdown by category": lambda: issues.breakdown(con, f, by="category", targets=targets),
            "breakdown by source": lambda: issues.breakdown(con, f, by="source", targets=targets),
            "case_list (overdue)": lambda: issues.case_list(con, f, which="overdue", targets=targets),
        },
        "disputes_safety": {
            "compare (cards)": lambda: kpi.compare(con, f, ids["disputes"] + ids["safety"], targets=targets),
            "monthly": lambda: series.monthly(con, f, ["disputes_handled", "mediation_success_rate",
                                                      "visit_coverage"], targets=targets),
            "outcomes": lambda: disputes.outcomes(con, f),
            "dispute breakdown": lambda: disputes.breakdown(con, f),
            "days_histogram": lambda: disputes.days_histogram(con, f),
            "hazard_flow": lambda: safety.hazard_flow(con, f),
            "hazard breakdown": lambda: safety.breakdown(con, f),
            "fix_days_histogram": lambda: safety.fix_days_histogram(con, f),
            "visit_coverage_by_quarter": lambda: safety.visit_coverage_by_quarter(con, f),
            "dispute case_list": lambda: disputes.case_list(con, f),
        },
        "services": {
            "compare (cards)": lambda: kpi.compare(con, f, ids["services"], targets=targets),
            "services_monthly (convenience)": lambda: services.services_monthly(con, f, kind="convenience"),
            "services_monthly (repair)": lambda: services.services_monthly(con, f, kind="repair"),
            "service_summary": lambda: services.service_summary(con, f),
            "providers": lambda: services.providers(con, f),
            "teams": lambda: services.teams(con, f),
            "service_list (a page of 50 + count)": lambda: (services.service_list(con, f, limit=50),
                                                            services.service_count(con, f)),
        },
        "volunteers": {
            "compare (cards)": lambda: kpi.compare(con, f, ids["volunteers"], targets=targets),
            "monthly (7 KPIs)": lambda: series.monthly(con, f, ["registered_volunteers", "active_volunteers",
                                                               "active_rate", "service_hours", "points_awarded",
                                                               "points_redeemed", "points_balance"],
                                                      targets=targets),
            "redemption_items": lambda: volunteers.redemption_items(con, f),
            "teams": lambda: volunteers.teams(con, f),
            "retention_cohorts": lambda: volunteers.retention_cohorts(con, f),
            "service_summary": lambda: volunteers.service_summary(con, f),
        },
    }





def _apptest_runs(db: Path, today: str, page: str, repeat: int) -> tuple[float, float]:
    """(cold, warm) seconds for a whole run of app.py showing `page` (median of `repeat`)."""
    quiet_streamlit()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["GOV_DB"], os.environ["GOV_TODAY"] = str(db), today
    cold, warm = [], []
    for _ in range(repeat):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()  # the overview (default page) — not timed
        quiet_streamlit()  # the first run made more loggers
        st.cache_data.clear()
        t = time.perf_counter()
        at.switch_page(f"pages/{page}.py").run()
        cold.append(time.perf_counter() - t)
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    return statistics.median(cold), statistics.median(warm)


def _time(fn, repeat: int) -> float:
    return median_seconds(fn, repeat)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", nargs="?", help="warehouse file (default $GOV_DB or data/governance.duckdb)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    ap.add_argument("--no-apptest", action="store_true", help="time the queries only")
    args = ap.parse_args(argv)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    db = _warehouse(args.warehouse)

    from etl.warehouse import open_read_only

    con = open_read_only(db)
    opts = kpi.scope_options(con)
    qs, qe = quarter_of(opts.max_date).start, quarter_of(opts.max_date).end
    if qe > opts.max_date:
        prev = quarter_of(qs - timedelta(days=1))
        qs, qe = prev.start, prev.end
    f = kpi.Filters(qs, qe)
    today = (qe + timedelta(days=20)).isoformat()  # → the pages' default period is that quarter
    targets = load_targets()
    counts = con.execute("SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM cases), "
                         "(SELECT count(*) FROM volunteer_hours)").fetchone()

    def ref():
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM activities").fetchall()
        cur.close()

    queries = page_queries(con, f, targets)
    for p in pages:
        for fn in queries[p].values():  # warm-up (DuckDB's first-touch costs)
            fn()
    ref()
    t_ref = _time(ref, args.repeat * 5)
    print(f"warehouse: {db}")
    print(f"rows: {counts[0]} activities, {counts[1]} cases, {counts[2]} hour rows")
    print(f"period: {f.start} – {f.end}; duckdb {duckdb.__version__}; median of {args.repeat} runs")
    print(f"{'':2s}{'query':40s} {'ms':>9s} {'× ref':>8s}")
    print(f"{'':2s}{'reference: count(*) activities':40s} {t_ref * 1e3:9.2f} {1.0:8.1f}")
    ok = True
    summary = []
    for p in pages:
        print(f"\n{p}")
        worst, total = 0.0, 0.0
        for name, fn in queries[p].items():
            t = _time(fn, args.repeat)
            worst, total = max(worst, t), total + t
            flag = "" if t < 0.3 else "  over 300 ms"
            print(f"  {name:40s} {t * 1e3:9.2f} {t / t_ref:8.1f}{flag}")
        print(f"  {'all queries of the page':40s} {total * 1e3:9.2f} {total / t_ref:8.1f}")
        cold = warm = float("nan")
        if not args.no_apptest:
            cold, warm = _apptest_runs(db, today, p, max(1, args.repeat // 2))
            flag = "" if cold < 1.0 else "  over 1 s"
            print(f"  {'whole page run, empty caches (AppTest)':40s} {cold * 1e3:9.2f} {cold / t_ref:8.1f}{flag}")
            print(f"  {'whole page rerun, warm caches (AppTest)':40s} {warm * 1e3:9.2f} {warm / t_ref:8.1f}")
        ok &= worst < 0.3 and (args.no_apptest or cold < 1.0)
        summary.append((p, worst, total, cold, warm))

    print(f"\n{'page':18s} {'slowest query':>14s} {'queries':>10s} {'page run':>10s} {'rerun':>10s}   (ms)")
    for p, worst, total, cold, warm in summary:
        print(f"{p:18s} {worst * 1e3:14.1f} {total * 1e3:10.1f} {cold * 1e3:10.1f} {warm * 1e3:10.1f}")
    print("OK: within targets (each query < 300 ms, each page run < 1 s)" if ok else "NOT within targets")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
