"""python -m briefing --quarter 2024Q1|last [--community 南湾社区 | --all-communities] --out DIR
[--formats png,pdf,pptx,xlsx,longpng] [--db PATH] [--engine duckdb|duckdb-lake|spark] [--lake DIR] [--master URL]
[--lang zh|en] [--send CONFIG [--accounts PATH] [--timeout S]]

Writes the quarterly briefing's files without a browser session (for cron). `--all-communities` is the
quarter-end batch: the street-wide briefing and one per community of the warehouse, each file named after its
scope (`季度简报_南湾社区_2024Q1…`), all in DIR; a community without data that quarter is skipped with a note.
The engine (`engines.connect`): the warehouse file (default), or a Parquet lake read by DuckDB or by Spark
(`--master spark://host:7077` for a standalone cluster).
`--quarter last` is the last complete quarter before today (`kpi.calendar.last_complete_quarter`, $GOV_TODAY
honoured). `--send CONFIG` posts the 长图 and a short text summary to the work-chat group robots the TOML
config lists (`briefing.delivery`: the config names environment variables, never addresses or secrets); with
`--send`, `--out` is optional (when given, the `--formats` files are written there as well). Every robot's
delivery is one row of the audit trail (`auth`, `--accounts` or $GOV_ACCOUNTS; actor `cli:<os user>`).
Exit codes: 0 written (and sent); 2 unknown quarter / community, a quarter without data,
a bad argument, no warehouse, or a delivery config / environment variable that is wrong (nothing sent);
1 an export failed (no Chromium for PNG/PDF, or no TrueType CJK font for the PDF: the other formats are
still written), or a robot refused or did not answer (the report says which robot got what).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

USAGE_ERROR = 2
EXPORT_ERROR = 1
SEND_ERROR = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; say it in both languages
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数错误 / argument error: {message}\n")
        raise SystemExit(USAGE_ERROR)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m briefing", description="季度简报导出 / export the quarterly briefing")
    p.add_argument("--quarter", required=True,
                   help="季度，如 2024Q1；last 为最近一个完整季度 / quarter, e.g. 2024Q1; last = the last complete one")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--community", default=None, help="社区（不填为全街道） / community (default: whole street)")
    who.add_argument("--all-communities", action="store_true",
                     help="全街道及每个社区各一份（季末批量） / the street and every community, one briefing each")
    p.add_argument("--out", default=None, type=Path, help="输出目录（--send 时可省略） / output directory "
                                                         "(optional with --send)")
    p.add_argument("--formats", default="png,pdf,pptx,xlsx",
                   help="png,pdf,pptx,xlsx,longpng 中的若干项（longpng：手机长图） / some of these (longpng: the "
                        "1080-px-wide image for phones)")
    p.add_argument("--db", default=None, type=Path, help="仓库文件（默认 $GOV_DB 或 data/governance.duckdb）")
    p.add_argument("--engine", default=None, help="查询引擎 duckdb|duckdb-lake|spark（默认 $GOV_ENGINE 或 duckdb）"
                                                  " / engine (default $GOV_ENGINE or duckdb)")
    p.add_argument("--lake", default=None, type=Path, help="Parquet 数据湖目录（默认 $GOV_LAKE） / lake directory")
    p.add_argument("--master", default=None,
                   help="Spark master（默认 $GOV_SPARK_MASTER 或 local[2]），如 spark://host:7077")
    p.add_argument("--jobs", default=None, type=int,
                   help="同时计算的简报数（默认 spark 为 4，其余为 1） / briefings computed at once (spark: 4, else 1)")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="语言 / language")
    p.add_argument("--quiet", action="store_true", help="只输出错误 / errors only")
    p.add_argument("--send", default=None, type=Path, metavar="CONFIG",
                   help="把长图和文字摘要发送到配置文件所列的群机器人 / post the long image and a summary to the "
                        "group robots of this TOML config")
    p.add_argument("--accounts", default=None, type=Path,
                   help="审计日志所在的账号库（默认 $GOV_ACCOUNTS 或 data/accounts.sqlite） / the audit trail's store")
    p.add_argument("--timeout", default=None, type=float, help="每次请求的超时秒数（默认 15） / seconds per request")
    return p


def _actor() -> str:
    """Who ran the command, for the audit: 'cli:<os user>' (as `python -m auth` records it)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli:?"


def _send(b, lang: str, targets, store, timeout: float | None, quiet: bool) -> int:
    """Render the 长图, check everything, post it robot by robot, print and audit what each robot got."""
    from briefing import delivery
    from briefing.render import RenderUnavailable
    from present.labels import t

    base = {"quarter": b.meta.quarter.code, "community": b.meta.scope.community, "lang": lang,
            "robots": [tg.robot.label("en") for tg in targets]}
    try:
        plan = delivery.plan_for(targets, b, lang)
    except (RenderUnavailable, delivery.DeliveryError) as e:
        zh, en = (e.zh, e.en) if isinstance(e, delivery.DeliveryError) else (str(e), "")
        print(f"错误 / error: {zh}" + (f"\n{en}" if en else ""), file=sys.stderr)
        print("未发送任何消息 / nothing was sent", file=sys.stderr)
        store.record(_actor(), "send", "briefing", {**base, "error": (en or zh)[:500], "sent": []}, ok=False)
        return SEND_ERROR
    report = delivery.deliver(plan, **({"timeout": timeout} if timeout else {}))
    failed = False
    for r in report.results:
        try:
            store.record(_actor(), "send", "briefing", {**delivery.audit_base(b, lang, report), **r.audit_detail()},
                         ok=r.ok)
        except Exception as e:  # noqa: BLE001 - the send happened: say that the audit row is missing
            print(f"错误：审计日志写入失败 / error: the audit row could not be written: {type(e).__name__}",
                  file=sys.stderr)
            failed = True
        if r.ok and not quiet:
            print(r.line(lang))
        elif not r.ok:  # a failure in Chinese with the English gloss, whatever the briefing's language
            print(f"{r.line('zh')}\n  {r.line('en')}", file=sys.stderr)
    if report.ok:
        if not quiet:
            print(t("delivery.all_ok", lang, n=len(report.results)))
    else:
        print(f"{t('delivery.some_failed', 'zh')} / {t('delivery.some_failed', 'en')}", file=sys.stderr)
    return SEND_ERROR if failed or not report.ok else 0


def _export(b, out: Path, formats: list[str], lang: str) -> tuple[int, dict]:
    """Write one briefing's files; (exit code, {format: path})."""
    from briefing import exports
    from briefing.pdf import FontUnavailable
    from briefing.render import RenderUnavailable

    rc = 0
    written = {}
    try:
        written.update(exports.export_all(b, out, formats, lang))
    except RenderUnavailable as e:
        # no Chromium: PNG, PDF and the 长图 are not written; no CJK font for the PDF: only the PDF is not
        failed = ["pdf"] if isinstance(e, FontUnavailable) else list(exports.NEEDS_BROWSER)
        failed = [f for f in formats if f in failed]
        rest = [f for f in formats if f not in failed]
        print(f"错误 / error: {e}", file=sys.stderr)
        print(f"未生成 / not written: {', '.join(failed)}", file=sys.stderr)
        rc = EXPORT_ERROR
        if rest:
            written.update(exports.export_all(b, out, rest, lang))
    return rc, written


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from briefing.exports import parse_formats

    try:
        formats = parse_formats(args.formats)
    except ValueError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR

    if args.quarter.strip().lower() == "last":  # the last complete quarter, by the one calendar
        from kpi.calendar import last_complete_quarter, today

        args.quarter = last_complete_quarter(today()).code
    if args.out is None and args.send is None:
        print("参数错误 / argument error: --out 是必需的（除非 --send） / --out is required (unless --send)",
              file=sys.stderr)
        return USAGE_ERROR
    if args.send is not None and args.all_communities:
        print("参数错误 / argument error: --send 每次发送一份简报，不能与 --all-communities 同用 / "
              "--send posts one briefing: not with --all-communities", file=sys.stderr)
        return USAGE_ERROR
    targets_, store = None, None
    if args.send is not None:  # everything about the robots is checked before any query or request
        from auth import AccountStore
        from briefing import delivery

        try:
            targets_ = delivery.resolve(delivery.load_config(args.send))
        except delivery.DeliveryError as e:
            print(f"错误：{e.zh}\nerror: {e.en}", file=sys.stderr)
            return USAGE_ERROR
        try:
            store = AccountStore(args.accounts)
        except Exception as e:  # noqa: BLE001 - no audit trail, no send
            print(f"错误：无法打开审计日志（账号库）/ error: cannot open the audit trail: {type(e).__name__}; "
                  "未发送任何消息 / nothing was sent", file=sys.stderr)
            return USAGE_ERROR

    import engines

    t0 = time.perf_counter()
    try:
        con = engines.connect(args.engine, db=args.db, lake=args.lake, master=args.master)
    except engines.EngineError as e:
        print(f"错误：{e.zh}\nerror: {e.en}", file=sys.stderr)
        return USAGE_ERROR
    except FileNotFoundError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as e:  # noqa: BLE001 - e.g. Spark cannot start: say so, no traceback
        print(f"错误：查询引擎无法启动 / error: the engine could not start: {type(e).__name__}: {e}"[:2000],
              file=sys.stderr)
        return EXPORT_ERROR

    from briefing.model import BriefingError, build
    from kpi.scope import scope_options
    from kpi.targets import TargetsError, load_targets

    rc = 0
    done = 0
    try:
        targets = load_targets()
        scopes: list[str | None] = [args.community]
        if args.all_communities:
            scopes = [None, *scope_options(con).communities["community"].tolist()]
        jobs = max(1, args.jobs or (4 if engines.engine_name(args.engine) == "spark" else 1))

        def make(community):  # the queries; on Spark several briefings' statements run at once
            try:
                return build(con, args.quarter, community, targets=targets), None
            except BriefingError as e:
                return None, e

        with ThreadPoolExecutor(jobs) as pool:
            for i, (community, (b, err)) in enumerate(zip(scopes, pool.map(make, scopes), strict=True), 1):
                name = community or "全街道 whole street"
                if err is not None:
                    if len(scopes) == 1 or err.code != "no_data" or community is None:
                        raise err
                    # one community without data that quarter does not stop the batch
                    print(f"[{i}/{len(scopes)}] {name}: 跳过 skipped — {err.zh} / {err.en}", file=sys.stderr)
                    continue
                one_rc, written = _export(b, args.out, formats, args.lang) if args.out is not None else (0, {})
                rc = max(rc, one_rc)
                done += 1
                if targets_ is not None:
                    rc = max(rc, _send(b, args.lang, targets_, store, args.timeout, args.quiet))
                if args.quiet:
                    continue
                if len(scopes) == 1:
                    print(b.meta.stamp(args.lang))
                    for fmt, p in written.items():
                        print(f"{fmt}\t{p}")
                else:
                    print(f"[{i}/{len(scopes)}] {name}: " + ", ".join(str(p.name) for p in written.values()),
                          flush=True)
    except TargetsError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except BriefingError as e:
        print(f"错误：{e.zh}\nerror: {e.en}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        con.close()
    if not args.quiet:
        if args.all_communities:
            print(f"共 {done} 份简报 / {done} briefings → {args.out}")
        print(f"用时 / took {time.perf_counter() - t0:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
