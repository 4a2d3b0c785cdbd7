"""The same KPI work on each engine, as a ratio to the warehouse engine (duckdb) measured in the same run.

    python bench/engines_bench.py [WAREHOUSE] [--lake DIR] [--master URL] [--engines duckdb-lake,spark]
                                  [--workload parity|calls] [--repeat N]

WAREHOUSE defaults to $GOV_DB or data/governance.duckdb (the demo is built when missing); the lake is published
from it into DIR (default: a temp dir) unless DIR already holds a lake. Workloads:

- parity: tests/engine_parity.py's calls for the first scope (a street quarter): every catalogue KPI through
  compare (whole street and by community) and value, and every series the pages call — what the parity test
  runs per scope (4 threads, as concurrent dashboard sessions);
- calls: two KPI calls a district page makes — the headline compare of the street for the latest whole quarter,
  and the monthly series of every KPI over that quarter.

Each engine's connection is opened (and, for Spark, warmed by one untimed run) before timing; the time to open it
(Spark: starting the SparkSession) is printed separately. Medians over N runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import median_seconds, warehouse  # noqa: E402


def workload(name: str, con):
    import kpi
    from kpi import series
    from kpi.calendar import Quarter
    from kpi.catalogue import CATALOGUE
    from kpi.filters import Filters
    from kpi.scope import scope_options
    from tests import engine_parity as P
    from tests.conftest import TARGETS

    if name == "parity":
        return lambda: P.run_all(con, P.SCOPES[:1], threads=4)
    opts = scope_options(con)
    q = Quarter.of(opts.max_date).shift(-1)
    f = Filters(q.start, q.end)
    ids = list(CATALOGUE)

    def calls():
        kpi.compare(con, f, ids=ids, targets=TARGETS)
        series.monthly(con, f, ids, targets=TARGETS)

    return calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", nargs="?")
    ap.add_argument("--lake", type=Path)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--engines", default="duckdb-lake,spark")
    ap.add_argument("--workload", default="parity", choices=("parity", "calls"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import engines
    from etl.lake import publish_lake, read_lake_manifest

    db = warehouse(args.db)
    lake = args.lake or Path(tempfile.mkdtemp(prefix="bench-lake-")) / "lake"
    if read_lake_manifest(lake) is None:
        t = time.perf_counter()
        publish_lake(db, lake)
        print(f"published {db} → {lake} in {time.perf_counter() - t:.1f} s")
    print(f"warehouse {db}, lake {lake}, workload {args.workload}, median of {args.repeat}")
    ref = None
    for engine in ["duckdb", *[e for e in args.engines.split(",") if e and e != "duckdb"]]:
        t = time.perf_counter()
        con = engines.connect(engine, db=db, lake=lake, master=args.master)
        opened = time.perf_counter() - t
        run = workload(args.workload, con)
        s = median_seconds(run, args.repeat, warmup=True)
        ref = ref or s
        label = engine + (f" ({args.master})" if engine == "spark" else "")
        print(f"{label:28s} {s * 1000:9.0f} ms  ×{s / ref:6.1f} duckdb   (connect {opened:.1f} s)", flush=True)
        con.close()


if __name__ == "__main__":
    main()
