"""python -m briefing --quarter 2024Q1 [--community 南湾社区] --out DIR [--formats png,pdf,pptx,xlsx]
[--db PATH] [--lang zh|en]

Writes the quarterly briefing's files without a browser session (for cron).
Exit codes: 0 written; 2 unknown quarter / community, a quarter without data,
a bad argument or no warehouse; 1 an export failed (no Chromium for PNG/PDF,
or no TrueType CJK font for the PDF: the other formats are still written).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

USAGE_ERROR = 2
EXPORT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; say it in both languages
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数错误 / argument error: {message}\n")
        raise SystemExit(USAGE_ERROR)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m briefing", description="季度简报导出 / export the quarterly briefing")
    p.add_argument("--quarter", required=True, help="季度，如 2024Q1 / quarter, e.g. 2024Q1")
    p.add_argument("--community", default=None, help="社区（不填为全街道） / community (default: whole street)")
    p.add_argument("--out", required=True, type=Path, help="输出目录 / output directory")
    p.add_argument("--formats", default="png,pdf,pptx,xlsx", help="png,pdf,pptx,xlsx 中的若干项 / some of these")
    p.add_argument("--db", default=None, type=Path, help="仓库文件（默认 $GOV_DB 或 data/governance.duckdb）")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="语言 / language")
    p.add_argument("--quiet", action="store_true", help="只输出错误 / errors only")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from briefing.exports import parse_formats

    try:
        formats = parse_formats(args.formats)
    except ValueError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR

    from etl.warehouse import default_db_path, open_read_only

    db = args.db or default_db_path()
    try:
        con = open_read_only(db)
    except FileNotFoundError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR

    from briefing.model import BriefingError, build
    from kpi.targets import TargetsError, load_targets

    t0 = time.perf_counter()
    try:
        b = build(con, args.quarter, args.community, targets=load_targets())
    except TargetsError as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except BriefingError as e:
        print(f"错误：{e.zh}\nerror: {e.en}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        con.close()

    from briefing import exports
    from briefing.pdf import FontUnavailable
    from briefing.render import RenderUnavailable

    rc = 0
    written = {}
    try:
        written.update(exports.export_all(b, args.out, formats, args.lang))
    except RenderUnavailable as e:
        # no Chromium: PNG and PDF are not written; no CJK font for the PDF: only the PDF is not
        failed = ["pdf"] if isinstance(e, FontUnavailable) else ["png", "pdf"]
        failed = [f for f in formats if f in failed]
        rest = [f for f in formats if f not in failed]
        print(f"错误 / error: {e}", file=sys.stderr)
        print(f"未生成 / not written: {', '.join(failed)}", file=sys.stderr)
        rc = EXPORT_ERROR
        if rest:
            written.update(exports.export_all(b, args.out, rest, args.lang))
    if not args.quiet:
        print(b.meta.stamp(args.lang))
        for fmt, p in written.items():
            print(f"{fmt}\t{p}")
        print(f"用时 / took {time.perf_counter() - t0:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
