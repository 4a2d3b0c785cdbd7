"""The longer trends' price: the monthly series a domain page draws over the 13-month trend window
(`kpi.calendar.trend_window`) against the same series over the selected quarter alone, in the same run.

    .venv/bin/python bench/trend_bench.py [--db PATH]    # default: the district scale warehouse
"""

from __future__ import annotations

import argparse
from datetime import date

from bench.common import median_seconds

DISTRICT = "/work/scale/perf2/district.duckdb"
IDS = ["cases_opened", "cases_closed", "open_backlog", "closure_rate", "on_time_rate", "satisfaction_rate",
       "registered_volunteers", "active_volunteers", "service_hours"]


def main() -> None:
    from etl.warehouse import open_read_only
    from kpi import Filters, series
    from kpi.targets import load_targets

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=DISTRICT)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    con = open_read_only(args.db)
    targets = load_targets()
    quarter = Filters(date(2024, 1, 1), date(2024, 3, 31))

    def run(f):
        return lambda: (series.monthly(con, f, IDS, targets=targets), series.monthly_by_pillar(con, f))

    q = median_seconds(run(quarter), args.repeat, warmup=True)
    trend = median_seconds(run(quarter.trend()), args.repeat, warmup=True)
    print(f"{args.db}: quarter {q:.3f} s, 13-month trend {trend:.3f} s, ratio {trend / q:.2f} (medians of {args.repeat})")


if __name__ == "__main__":
    main()
