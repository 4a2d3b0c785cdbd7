"""A load costs what it loads (issue 11 part 2): a one-row and a 100,000-row redemptions load into the street
warehouse and into a copy of the district warehouse.

    .venv/bin/python bench/load_bench.py [--district /work/scale/district.duckdb] [--work DIR] [--repeat 3]

Each load is timed twice, median of `--repeat` runs, each run a new file (new rows): "published" is
`etl.loader.load_paths` until it returns — what the uploader waits for: the load applied to the standby slot,
checkpointed and published; the replay on the other slot then runs in the background (`GOV_REPLAY`, default
"background", etl/warehouse.py) holding the write lock — and "whole" adds `warehouse.settle`, the wait for that
replay: the whole write, both slots, which the next write would otherwise wait for. With `GOV_REPLAY=sync` the
two are the same. The reference, measured in the same run, is the same load into the street warehouse: the
district/street ratio is the result (target: the one-row load within 10%, i.e. it no longer grows with the
warehouse). The loads alternate street, district, street, district…; the ratio printed is the median of each
round's district/street ratio (a paired comparison: a slow moment of a shared machine slows both loads of its
round, and cancels), beside the medians in seconds. A fixed DuckDB insert (100,000 rows into a fresh in-memory table) is printed too, so that a slow
machine shows as such.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import duckdb  # noqa: E402

from etl import warehouse  # noqa: E402
from etl.loader import load_paths  # noqa: E402


def volunteer_ids(db: Path, n: int) -> list[str]:
    con = warehouse.open_read_only(db)
    try:
        return [r[0] for r in con.execute("SELECT volunteer_id FROM volunteers ORDER BY volunteer_id LIMIT ?",
                                          [n]).fetchall()]
    finally:
        con.close()


class Files:
    """A new redemptions file per call (distinct rows, so that every load writes)."""

    def __init__(self, folder: Path, ids: list[str]) -> None:
        self.folder, self.ids, self.n = folder, ids, 0
        self.salt = uuid.uuid4().hex[:8]  # new rows on every run of the bench too

    def __call__(self, rows: int) -> Path:
        self.n += 1
        path = self.folder / f"redemptions-{rows}-{self.n}.csv"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("志愿者编号,日期,兑换积分,兑换物品\n")
            for i in range(rows):
                day = 1 + i % 28
                fh.write(f"{self.ids[i % len(self.ids)]},2024-{1 + (i // 28) % 12:02d}-{day:02d},"
                         f"{(self.n * 1000 + i) % 97 / 10 + 0.1:.1f},兑换{self.salt}-{self.n}-{i}\n")
        return path


def timed_loads(dbs: dict[str, Path], files: dict[str, Files], rows: int,
                repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Seconds (published, whole) of each run per warehouse, in rounds; the warehouses' runs interleaved, so that a
    busy machine slows both alike."""
    def once(name: str) -> tuple[float, float]:
        path = files[name](rows)
        t = time.perf_counter()
        report = load_paths([path], dbs[name])
        published = time.perf_counter() - t
        warehouse.settle(dbs[name])
        whole = time.perf_counter() - t
        if report.exit_code != 0 or report.files[0].rows_loaded == 0:
            raise SystemExit(f"load failed: {report.files[0].status} {report.files[0].messages}")
        if warehouse._read_state(dbs[name])["a"] != warehouse._read_state(dbs[name])["b"]:
            raise SystemExit("the replay on the other slot did not finish: the next load would copy it")
        return published, whole

    for name in dbs:
        once(name)  # warm-up (and, for a plain file, the move into its slots)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in dbs}
    for _ in range(repeat):
        for name in dbs:
            runs[name].append(once(name))
    return runs


def fixed_insert() -> float:
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT range AS i, 'x' || range AS s FROM range(100000)")
    took = time.perf_counter() - t
    con.close()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--district", default="/work/scale/district.duckdb", help="copied, never written")
    ap.add_argument("--work", default=None, help="where the copies go (default: a temp folder)")
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="load-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for p in [*work.glob("*.duckdb*"), *work.glob(".*.duckdb.slots/*")]:  # every run from the same start
        if p.is_file() or p.is_symlink():
            p.unlink()
    from demo import build_demo

    street = work / "street.duckdb"
    build_demo(street, out_dir=work / "street-ledgers")
    district = work / "district.duckdb"
    shutil.copyfile(args.district, district)
    sizes = {}
    for name, db in (("street", street), ("district", district)):
        sizes[name] = Path(db).resolve().stat().st_size
    print(f"street warehouse {sizes['street'] / 1e6:.0f} MB, district copy {sizes['district'] / 1e6:.0f} MB; "
          f"median of {args.repeat} loads each (after one warm-up load, which also moves a plain file into its "
          "slots)", flush=True)
    results = {}
    dbs = {"street": street, "district": district}
    files = {name: Files(work, volunteer_ids(db, 500)) for name, db in dbs.items()}
    print(f"replay on the other slot: {warehouse.REPLAY} (GOV_REPLAY)", flush=True)
    for rows in (1, 100_000):
        runs = timed_loads(dbs, files, rows, args.repeat)
        for i, what in enumerate(("published", "whole")):
            street, district = ([r[i] for r in runs[name]] for name in ("street", "district"))
            results[what, rows] = statistics.median(district)
            paired = statistics.median(d / s for s, d in zip(street, district, strict=True))
            print(f"{rows:>7,}-row redemptions load, {what:>9}: street {statistics.median(street):.3f} s, district "
                  f"{statistics.median(district):.3f} s (medians) — district/street {paired:.2f} (median of the "
                  f"{len(street)} rounds' ratios)", flush=True)
    ref = min(fixed_insert() for _ in range(3))
    print(f"reference: DuckDB 100,000-row insert {ref * 1000:.0f} ms; one-row load into the district "
          f"(published) = {results['published', 1] / ref:.0f}× that")


if __name__ == "__main__":
    main()
