"""Command line: python -m etl load PATH... | demo | status   (every command takes --db).

Exit codes: 0 everything loaded; 1 loaded, but some rows were rejected;
2 a file was refused, or a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl import warehouse
from etl.loader import LoadReport, load_paths

SHOW_REJECTS = 20


def _print_report(report: LoadReport, out=sys.stdout) -> None:
    for f in report.files:
        for msg in f.messages:
            print(f"  {f.file_name}: {msg}", file=out)
    rejects = report.rejects
    total = sum(f.rows_rejected for f in report.files)
    if total:
        print(f"\n拒收 {total} 行 / {total} row(s) rejected (前 {SHOW_REJECTS} 条 / first {SHOW_REJECTS}; "
              "全部见仓库 rejects 表 / all in the rejects table):", file=out)
        for r in rejects[:SHOW_REJECTS]:
            where = f"{r.file_name}" + (f"［{r.sheet}］" if r.sheet else "")
            print(f"  {where} 第{r.row_number}行 row {r.row_number} · {r.column_name} = {r.value!r}: {r.reason}", file=out)
    refused = [f for f in report.files if f.status == "refused"]
    if refused:
        print(f"\n整份拒收 {len(refused)} 个文件 / {len(refused)} file(s) refused, nothing of them was loaded:", file=out)
        for f in refused:
            print(f"  {f.path}: {'；'.join(f.messages)}", file=out)


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_load(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    report = load_paths([Path(p) for p in args.paths], args.db, progress=_progress)
    if not report.files:
        print("没有找到可导入的文件 (.xlsx/.csv) / no ledger files found", file=sys.stderr)
        return 2
    _print_report(report)
    loaded = sum(f.rows_loaded for f in report.files)
    print(f"\n完成 / done: {len(report.files)} 个文件, 入库 {loaded} 行, "
          f"{time.perf_counter() - started:.1f}s → {args.db}")
    return report.exit_code


def cmd_demo(args: argparse.Namespace) -> int:
    from etl.demo import NotADemoWarehouse, build_demo

    started = time.perf_counter()
    kwargs = {"communities": args.communities, "seed": args.seed}
    if args.years is not None:
        kwargs["years"] = args.years
    try:
        report = build_demo(Path(args.db), out_dir=Path(args.out), progress=_progress, **kwargs)
    except NotADemoWarehouse as exc:
        print(f"{exc}\n该仓库含真实数据，演示数据不会覆盖它；请用 --db 指定另一个文件 / "
              "this warehouse holds real data; pass --db to build the demo elsewhere", file=sys.stderr)
        return 2
    _print_report(report)
    loaded = sum(f.rows_loaded for f in report.files)
    print(f"\n演示数据已生成 / demo warehouse built: 入库 {loaded} 行, "
          f"{time.perf_counter() - started:.1f}s → {args.db}")
    return report.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    db = Path(args.db)
    if not db.exists():
        print(f"仓库不存在 / warehouse not found: {db}", file=sys.stderr)
        return 2
    con = warehouse.open_read_only(db)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        print(f"仓库 / warehouse: {db}")
        if meta.get("dataset") == "demo":
            print("数据集 / dataset: 演示数据 demo")
        print(f"最近导入 / last load (UTC): {meta.get('last_load_at', '-')}")
        print("\n表 / table            行数 rows")
        from etl.schema import TABLES

        for table in TABLES:
            n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            print(f"  {table:<20} {n:>10}")
        print("\n批次 / batches (UTC):")
        rows = con.execute(
            "SELECT loaded_at, file_name, kind, rows_read, rows_loaded, rows_rejected, status "
            "FROM load_batches ORDER BY loaded_at, file_name"
        ).fetchall()
        for r in rows:
            print(f"  {r[0]:%Y-%m-%d %H:%M}  {r[1]:<40} {r[2]:<16} 读 {r[3]:>8} 入 {r[4]:>8} 拒 {r[5]:>6}  {r[6]}")
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        print(f"\n拒收记录 / rejects: {rejects}")
    finally:
        con.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="台账导入 / ledger loader")
    parser.add_argument("--db", default=None, help="仓库文件 / warehouse file (default $GOV_DB or data/governance.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="导入台账文件或文件夹 / load ledger files or folders")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("demo", help="生成并导入演示数据 / build the demo warehouse")
    p.add_argument("--communities", type=int, default=6)
    p.add_argument("--years", type=float, default=None)
    p.add_argument("--seed", type=int, default=20240223)
    p.add_argument("--out", default="data/demo", help="演示台账目录 / where demo ledgers are written")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", help="批次、行数、拒收数 / batches, row counts, rejects")
    p.set_defaults(func=cmd_status)

    # --db is accepted before or after the command
    for sp in sub.choices.values():
        sp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    args.db = Path(args.db) if args.db else warehouse.default_db_path()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
