"""Command line: python -m etl load [--mapping PROFILE] PATH... | demo | status | history | withdraw BATCH_ID | template KIND|all --out DIR
| lake --out DIR (every command takes --db).

Exit codes: 0 everything loaded; 1 loaded, but some rows were rejected;
2 a file was refused, or a usage error; 3 an internal error (a bug: traceback
on stderr, nothing published).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import time
import traceback
from pathlib import Path

from etl import warehouse
from etl.console import aligned, terminal_text
from etl.contract import KIND_BY_NAME
from etl.loader import LoadReport, load_paths

SHOW_REJECTS = 20
EXIT_BUG = 3

def _print(*parts: object, file=None, flush: bool = False) -> None:
    """`print` for everything this command line writes (through `etl.console.terminal_text`)."""
    print(terminal_text(" ".join(str(p) for p in parts)), file=file if file is not None else sys.stdout, flush=flush)


def _print_report(report: LoadReport, out=sys.stdout) -> None:
    for f in report.files:
        for msg in f.messages:
            _print(f"  {f.file_name}: {msg}", file=out)
    rejects = report.rejects
    total = sum(f.rows_rejected for f in report.files)
    if total:
        _print(f"\n拒收 {total} 行 / {total} row(s) rejected (前 {SHOW_REJECTS} 条 / first {SHOW_REJECTS}; "
              "全部见仓库 rejects 表 / all in the rejects table):", file=out)
        for r in rejects[:SHOW_REJECTS]:
            where = f"{r.file_name}" + (f"［{r.sheet}］" if r.sheet else "")
            _print(f"  {where} 第{r.row_number}行 row {r.row_number} · {r.column_name} = {r.value!r}: {r.reason}", file=out)
    refused = [f for f in report.files if f.status == "refused"]
    if refused:
        _print(f"\n整份拒收 {len(refused)} 个文件 / {len(refused)} file(s) refused, nothing of them was loaded:", file=out)
        for f in refused:
            _print(f"  {f.path}: {'；'.join(f.messages)}", file=out)


def _progress(msg: str) -> None:
    _print(msg, file=sys.stderr, flush=True)


def cli_user() -> str:
    """Who runs the command line, as recorded in load_batches.loaded_by: 'cli:<os user>'."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment
        return "cli:?"


def cmd_load(args: argparse.Namespace) -> int:
    from etl.mapping import ProfileError, resolve

    started = time.perf_counter()
    profile = None
    if args.mapping:
        try:
            profile = resolve(args.mapping)
        except ProfileError as exc:
            _print(f"映射方案无法使用 / mapping profile not usable: {exc}", file=sys.stderr)
            return 2
    report = load_paths([Path(p) for p in args.paths], args.db, progress=_progress, mapping=profile, loaded_by=cli_user())
    if not report.files:
        _print("没有找到可导入的文件 (.xlsx/.csv) / no ledger files found", file=sys.stderr)
        return 2
    _print_report(report)
    loaded = sum(f.rows_loaded for f in report.files)
    skipped = sum(f.rows_skipped for f in report.files)
    skipped_text = f", 按映射方案跳过 {skipped} 行 / {skipped} skipped" if skipped else ""
    _print(f"\n完成 / done: {len(report.files)} 个文件, 入库 {loaded} 行{skipped_text}, "
          f"{time.perf_counter() - started:.1f}s → {args.db}")
    return report.exit_code


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import NotADemoWarehouse, build_demo

    started = time.perf_counter()
    kwargs = {"communities": args.communities, "seed": args.seed}
    if args.years is not None:
        kwargs["years"] = args.years
    try:
        out = Path(args.out) if args.out else None  # default: beside the warehouse (demo.ledger_dir)
        report = build_demo(Path(args.db), out_dir=out, progress=_progress, **kwargs)
    except NotADemoWarehouse as exc:
        _print(f"{exc}\n该仓库含真实数据，演示数据不会覆盖它；请用 --db 指定另一个文件 / "
              "this warehouse holds real data; pass --db to build the demo elsewhere", file=sys.stderr)
        return 2
    _print_report(report)
    loaded = sum(f.rows_loaded for f in report.files)
    _print(f"\n演示数据已生成 / demo warehouse built: 入库 {loaded} 行, "
          f"{time.perf_counter() - started:.1f}s → {args.db}")
    return report.exit_code


BEIJING = dt.timezone(dt.timedelta(hours=8))
DATASET_TEXT = {
    "demo": "演示数据 demo",
    "mixed": "演示数据与真实台账混合 mixed (demo plus real ledgers)",
}


def _beijing(utc_naive: dt.datetime | str | None) -> str:
    """A naive-UTC time (as stored) in Beijing time, to the minute."""
    if utc_naive is None or utc_naive == "":
        return "-"
    if isinstance(utc_naive, str):
        utc_naive = dt.datetime.fromisoformat(utc_naive)
    return f"{utc_naive.replace(tzinfo=dt.UTC).astimezone(BEIJING):%Y-%m-%d %H:%M}"


def _kind_text(kind: str | None) -> str:
    return f"{KIND_BY_NAME[kind].zh} {kind}" if kind in KIND_BY_NAME else (kind or "-")


def _refusals(db: Path, con) -> list[dict]:
    """Refused files from the log beside the warehouse, unless the same file name loaded since."""
    log = warehouse.refusal_log_path(db)
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    last_loaded = dict(con.execute("SELECT file_name, max(loaded_at) FROM load_batches GROUP BY 1").fetchall())
    out = []
    for e in entries:
        at = dt.datetime.fromisoformat(e["at"])
        if e["file_name"] in last_loaded and last_loaded[e["file_name"]] >= at:
            continue
        out.append(e)
    return out


def cmd_status(args: argparse.Namespace) -> int:
    from etl.loader import STATUS_TEXT
    from etl.schema import TABLES

    db = Path(args.db)
    if not db.exists():
        _print(f"仓库不存在 / warehouse not found: {db}", file=sys.stderr)
        return 2
    con = warehouse.open_read_only(db)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        _print(f"仓库 / warehouse: {db}")
        _print(f"数据集 / dataset: {DATASET_TEXT.get(meta.get('dataset') or '', '真实台账 real ledgers')}")
        _print(f"最近导入 / last load (北京时间 Beijing time, UTC+8): {_beijing(meta.get('last_load_at'))}")
        _print("\n表 / table")
        counts = []
        for table in TABLES:
            n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            counts.append([table, f"{n:,}"])
        for line in aligned([["表 table", "行数 rows"], *counts], right={1}):
            _print(line)
        _print("\n批次 / batches (北京时间 Beijing time, UTC+8):")
        batches = con.execute(
            "SELECT loaded_at, file_name, sheet, kind, rows_read, rows_loaded, rows_rejected, status "
            "FROM load_batches ORDER BY loaded_at, file_name, sheet"
        ).fetchall()
        if batches:
            rows = [["导入时间 loaded at", "文件 file", "工作表 sheet", "台账 kind", "读取 read", "入库 loaded",
                     "拒收 rejected", "状态 status"]]
            for r in batches:
                rows.append([_beijing(r[0]), r[1], r[2] or "-", _kind_text(r[3]), f"{r[4]:,}", f"{r[5]:,}",
                             f"{r[6]:,}", STATUS_TEXT.get(r[7], r[7])])
            for line in aligned(rows, right={4, 5, 6}):
                _print(line)
        else:
            _print("  （无 / none）")
        refused = _refusals(db, con)
        if refused:
            _print(f"\n整份拒收的文件 / refused files ({len(refused)}; 未写入仓库 / nothing of them is in the warehouse; "
                  "北京时间 Beijing time):")
            rows = [["时间 at", "文件 file", "原因 reason"]]
            rows += [[_beijing(e["at"]), e["file_name"], e["message"]] for e in refused]
            for line in aligned(rows):
                _print(line)
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        _print(f"\n拒收记录 / rejects: {rejects}（每个台账最新版本的 / of the latest version of each ledger）")
    finally:
        con.close()
    return 0


HISTORY_STATUS = {
    "loaded": "已入库 loaded",
    "loaded_with_rejects": "部分拒收 with rejects",
    "withdrawn": "已撤回 withdrawn",
    "applied": "已生效 applied",
}


def cmd_history(args: argparse.Namespace) -> int:
    db = Path(args.db)
    if not db.exists():
        _print(f"仓库不存在 / warehouse not found: {db}", file=sys.stderr)
        return 2
    con = warehouse.open_read_only(db)
    try:
        sql = ("SELECT batch_id, loaded_at, file_name, sheet, kind, withdraws, rows_loaded, rows_updated, "
               "rows_removed, rows_rejected, loaded_by, profile, status FROM load_batches "
               "ORDER BY loaded_at DESC, batch_id DESC")
        batches = con.execute(sql + (" LIMIT ?" if args.limit else ""), [args.limit] if args.limit else []).fetchall()
    finally:
        con.close()
    _print(f"导入记录 / load history: {db}（北京时间 Beijing time, UTC+8；最新在前 / newest first）")
    if not batches:
        _print("  （无 / none）")
        return 0
    rows = [["批次 batch", "时间 time", "文件 file", "工作表 sheet", "台账 kind", "入库 rows", "更新 updated",
             "拒收 rejects", "操作人 by", "映射 profile", "状态 status"]]
    for (bid, at, file_name, sheet, kind, withdraws, loaded, updated, removed, rejected, by, profile,
         status) in batches:
        if kind == "withdrawal":
            kind_text = f"撤回 withdrawal → {withdraws}"
            loaded_text = f"+{loaded or 0:,} −{removed or 0:,}"
        else:
            kind_text = _kind_text(kind)
            loaded_text = f"{loaded:,}"
        rows.append([bid, _beijing(at), file_name, sheet or "-", kind_text, loaded_text,
                     "-" if updated is None else f"{updated:,}", f"{rejected:,}", by or "-", profile or "-",
                     HISTORY_STATUS.get(status, status)])
    for line in aligned(rows, right={5, 6, 7}):
        _print(line)
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    from etl.loader import WithdrawRefused, withdraw

    try:
        report = withdraw(Path(args.db), args.batch_id, by=cli_user())
    except WithdrawRefused as exc:
        _print(str(exc), file=sys.stderr)
        return 2
    _print(report.message)
    _print(f"撤回记录 / withdrawal batch: {report.batch_id}（再撤回它即可恢复 / withdraw it to undo this）→ {args.db}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from etl.template import kind_by_key, write_templates

    if args.kind != "all":
        try:
            kind_by_key(args.kind)
        except KeyError as exc:
            _print(exc.args[0], file=sys.stderr)
            return 2
    for path in write_templates(args.kind, args.out, args.db):
        _print(path)
    return 0


def cmd_lake(args: argparse.Namespace) -> int:
    from etl.lake import NoWarehouse, publish_lake

    started = time.perf_counter()
    try:
        report = publish_lake(Path(args.db), Path(args.out))
    except NoWarehouse as exc:
        _print(str(exc), file=sys.stderr)
        return 2
    _print(f"Parquet 数据湖已发布 / Parquet lake published: 写入 {report.written} 个分区 written, "
           f"沿用 {report.reused} 个 reused, 删除 {report.removed} 个旧文件 removed; "
           f"数据版本 / data version {report.data_version or '-'}, "
           f"{time.perf_counter() - started:.1f}s → {args.out}")
    return 0


DB_HELP = "仓库文件 / warehouse file (默认 default: $GOV_DB, else data/governance.duckdb in the project)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="台账导入 / ledger loader")
    parser.add_argument("--db", default=None, help=DB_HELP)
    # --db is accepted before or after the command, and each command's --help shows it; SUPPRESS keeps
    # a --db given before the command when none is given after it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", parents=[common], help="导入台账文件或文件夹 / load ledger files or folders",
                       description="导入台账文件或文件夹（.xlsx/.xls/.csv）/ load ledger files or folders")
    p.add_argument("paths", nargs="+", help="台账文件或文件夹 / ledger files or folders")
    p.add_argument("--mapping", default=None, metavar="PROFILE",
                   help="映射方案：.toml 文件或已保存方案的名称（data/mappings/，$GOV_MAPPINGS）/ mapping profile for a "
                        "foreign export: a .toml file or the name of a saved profile (data/mappings/, $GOV_MAPPINGS)")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("demo", parents=[common], help="生成并导入演示数据 / build the demo warehouse",
                       description="生成演示台账并导入一个新的演示仓库 / write demo ledgers and load them "
                                   "into a fresh demo warehouse")
    p.add_argument("--communities", type=int, default=6,
                   help="社区个数（第一个总是南湾社区）/ number of communities (the first is always 南湾社区); default 6")
    p.add_argument("--years", type=float, default=None,
                   help="年数，截至 2026-09-30 / years of data up to 2026-09-30; default 5.25 (from 2021-07)")
    p.add_argument("--seed", type=int, default=20240223,
                   help="随机种子，同一种子生成同样的数据 / random seed: the same seed gives the same data")
    p.add_argument("--out", default=None,
                   help="演示台账目录（默认在仓库文件旁：<db名>-ledgers）/ where the demo ledgers are written "
                        "(default: beside the warehouse, <db stem>-ledgers)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", parents=[common], help="批次、行数、拒收数 / batches, row counts, rejects",
                       description="批次、行数、拒收与整份拒收的文件 / batches, row counts, rejects and refused files")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("history", parents=[common], help="导入记录 / load history (batches, newest first)",
                       description="导入记录：批次、时间（北京时间）、文件、台账、行数、拒收、操作人、映射、状态 / "
                                   "load history: batches with time (Beijing), file, kind, rows, rejects, by, "
                                   "profile and status, newest first")
    p.add_argument("--limit", type=int, default=None, help="最多显示几条 / show at most N batches")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("withdraw", parents=[common], help="撤回一个批次 / withdraw one batch",
                       description="撤回一个批次：它新增的行删除，它更新的行恢复原值；撤回本身也是一个批次，"
                                   "再撤回它即重新应用 / withdraw a batch: rows it inserted disappear, rows it "
                                   "updated return to their previous values; the withdrawal is itself a batch, "
                                   "withdraw it to reapply")
    p.add_argument("batch_id", help="批次编号（见 history）/ batch id (see history)")
    p.set_defaults(func=cmd_withdraw)

    p = sub.add_parser("template", parents=[common], help="生成台账模板 (.xlsx) / write ledger templates",
                       description="按数据约定生成台账模板：填表说明、表头、下拉列表（社区/小区取自仓库名册）、示例行 / "
                                   "write .xlsx ledger templates generated from the contract (rosters from the warehouse)")
    p.add_argument("kind", help="台账种类（英文或中文名）或 all / ledger kind (English key or Chinese name) or all")
    p.add_argument("--out", required=True, help="输出目录 / output folder")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("lake", parents=[common], help="发布为 Parquet 数据湖 / publish the warehouse as a Parquet lake",
                       description="把仓库发布为 Parquet 数据湖：每表一个文件夹，事实表按年分区（year=2024/），"
                                   "_manifest.json 记录数据版本与文件；再次发布只写有变化的分区 / publish the "
                                   "warehouse as a Parquet lake: one folder per table, fact tables partitioned by "
                                   "year (year=2024/), a _manifest.json with the data version and files; a later "
                                   "publish writes only the partitions that changed")
    p.add_argument("--out", required=True, help="数据湖目录 / lake folder")
    p.set_defaults(func=cmd_lake)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    args.db = Path(args.db) if args.db else warehouse.default_db_path()
    try:
        return args.func(args)
    except Exception:
        # A bug in our code, not a problem with the ledgers: the warehouse was not replaced.
        _print(traceback.format_exc().rstrip("\n"), file=sys.stderr)
        _print("\n程序内部错误（不是台账文件的问题），仓库未作任何改变；请把以上信息报告给维护者 / "
              "internal error (a bug, not a problem with the ledgers); the warehouse was not changed. "
              "Please report the traceback above.", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
