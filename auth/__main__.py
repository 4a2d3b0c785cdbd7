"""Command line for the administrator: python -m auth add-user|list|disable|enable|reset-password|audit|demo-accounts.

Every command takes --accounts (the account store; default $GOV_ACCOUNTS or data/accounts.sqlite) before or
after the command; add-user and demo-accounts take --db (the warehouse, to check community names).
Passwords are read from standard input (first line; `--password-stdin`), never from the command line, and
never printed — except the demo accounts' random passwords, printed once by `demo-accounts`.

Exit codes: 0 done; 2 bad arguments (bilingual message on stderr); 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import traceback
from datetime import date, datetime
from pathlib import Path

from auth.passwords import MIN_LENGTH
from auth.roles import ROLE_ZH, ROLES, SCOPED_ROLES, role_text
from auth.store import (
    ACTIONS,
    BEIJING,
    AccountError,
    AccountStore,
    AuthError,
    default_accounts_path,
    is_demo_warehouse,
    warehouse_communities,
)
from etl import warehouse
from etl.console import aligned, terminal_text

EXIT_USAGE = 2
EXIT_BUG = 3
DEMO_COMMUNITY = "南湾社区"
ACCOUNTS_HELP = "账号库文件 / account store (默认 default: $GOV_ACCOUNTS, else data/accounts.sqlite in the project)"
DB_HELP = "仓库文件，用于核对社区名 / warehouse, to check community names (默认 default: $GOV_DB, else " \
          "data/governance.duckdb in the project)"


class UsageError(Exception):
    """Bad arguments: printed (bilingual) to stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own messages are English: say it in Chinese too
        self.print_usage(sys.stderr)
        print(f"参数错误 / bad arguments: {message}（详见 --help / see --help）", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


# --- output helpers ----------------------------------------------------------------------------------


def _beijing(t: datetime | None) -> str:
    return f"{t.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}" if t else "-"


def _read_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise UsageError("请用 --password-stdin 从标准输入提供密码（第一行）/ give the password on standard input "
                         "(first line) with --password-stdin")
    if sys.stdin is None:
        raise UsageError("没有标准输入 / no standard input")
    if sys.stdin.isatty():
        first = getpass.getpass("密码 / password: ")
        if getpass.getpass("再输入一次 / again: ") != first:
            raise UsageError("两次输入的密码不一致 / the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _store(args: argparse.Namespace) -> AccountStore:
    return AccountStore(args.accounts)


# --- commands ----------------------------------------------------------------------------------------


def cmd_add_user(args: argparse.Namespace) -> int:
    role = (args.role or "").strip()
    if role not in ROLES:
        raise UsageError(f"未知角色 {args.role!r}，可选：{'、'.join(role_text(r) for r in ROLES)} / "
                         f"unknown role {args.role!r}; choose one of {', '.join(ROLES)}")
    community = (args.community or "").strip() or None
    if role in SCOPED_ROLES and not community:
        raise UsageError(f"角色“{ROLE_ZH[role]}”必须用 --community 指定所属社区 / role {role!r} needs --community")
    if role not in SCOPED_ROLES and community:
        raise UsageError(f"角色“{ROLE_ZH[role]}”查看全部社区，不能指定 --community / role {role!r} sees every "
                         "community: do not give --community")
    known = None
    if community is not None:
        known = warehouse_communities(args.db)
        if known is None:
            raise UsageError(f"仓库不存在，无法核对社区“{community}”；请先导入台账或用 --db 指定仓库 / warehouse "
                             f"not found ({args.db}): cannot check community {community!r}; load the ledgers "
                             "first or pass --db")
    password = _read_password(args)
    viewer = _store(args).add_account(args.name, role, password, community=community, display=args.display,
                                      actor=_actor(), known_communities=known)
    where = f"，社区 {viewer.community}" if viewer.community else ""
    print(f"已创建账号 / account created: {terminal_text(viewer.name)}（{role_text(viewer.role)}{terminal_text(where)}）")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    accounts = _store(args).list_accounts()
    if not accounts:
        print("还没有账号；用 add-user 创建第一个管理员 / no accounts yet; create the first administrator with:\n"
              "  python -m auth add-user NAME --role admin --password-stdin")
        return 0
    rows = [["账号 name", "角色 role", "社区 community", "显示名 display", "状态 status", "更新 updated (北京时间)"]]
    for a in accounts:
        rows.append([terminal_text(a["name"]), role_text(a["role"]), terminal_text(a["community"] or "-"), terminal_text(a["display"] or "-"),
                     "停用 disabled" if a["disabled"] else "启用 active", _beijing(a["updated_at"])])
    for line in aligned(rows):
        print(line)
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    _store(args).disable(args.name, actor=_actor())
    print(f"已停用账号并结束其会话 / account disabled, its sessions ended: {terminal_text(args.name)}")
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    _store(args).enable(args.name, actor=_actor())
    print(f"已启用账号 / account enabled: {terminal_text(args.name)}")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.get_account(args.name) is None:  # before reading stdin: say the real problem first
        raise AccountError(f"没有账号“{args.name}” / no account {args.name!r}")
    password = _read_password(args)
    store.reset_password(args.name, password, actor=_actor())
    print(f"已重置密码并结束该账号的会话 / password reset, the account's sessions ended: {terminal_text(args.name)}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since 应为 YYYY-MM-DD / --since must be YYYY-MM-DD: {args.since!r}") from None
    rows = _store(args).audit_rows(since=since, user=args.user, limit=args.limit)
    if not rows:
        print("（无审计记录 / no audit rows）")
        return 0
    out = [["时间 at (北京时间)", "操作者 actor", "操作 action", "对象 target", "结果 ok", "详情 detail"]]
    for r in rows:
        detail = json.dumps(r["detail"], ensure_ascii=False, sort_keys=True) if r["detail"] else ""
        action = f"{ACTIONS[r['action']]} {r['action']}" if r["action"] in ACTIONS else r["action"]
        out.append([_beijing(r["at"]), terminal_text(r["actor"] or "-"), terminal_text(action), terminal_text(r["target"] or "-"),
                    "成功 ok" if r["ok"] else "失败 failed", terminal_text(detail)])
    for line in aligned(out):
        print(line)
    return 0


def cmd_demo_accounts(args: argparse.Namespace) -> int:
    db = Path(args.db)
    communities = warehouse_communities(db)
    if communities is None:
        raise UsageError(f"仓库不存在 / warehouse not found: {db}（先运行 python -m etl demo / run python -m etl demo "
                         "first）")
    if not is_demo_warehouse(db):
        if args.if_demo:
            return 0
        raise UsageError("这不是演示仓库（meta 表 dataset 不是 demo），不创建演示账号；请用 add-user 创建管理员 / "
                         "not the demo warehouse (meta dataset is not 'demo'): no demo accounts; create an "
                         "administrator with add-user")
    if not communities:
        raise UsageError("演示仓库里没有社区 / the demo warehouse has no communities")
    store = _store(args)
    if store.has_accounts():
        print("已有账号，未创建演示账号 / accounts already exist: no demo accounts created")
        return 0
    community = DEMO_COMMUNITY if DEMO_COMMUNITY in communities else communities[0]
    prefix = "nanwan" if community == DEMO_COMMUNITY else "community"
    creds = store.create_demo_accounts(community, prefix=prefix, actor=_actor())
    if not creds:
        print("已有账号，未创建演示账号 / accounts already exist: no demo accounts created")
        return 0
    print("演示账号（密码只显示这一次；演示期间登录页也会显示）/ demo accounts (passwords shown once here; the "
          "sign-in screen shows them while the warehouse is the demo):")
    rows = [["账号 name", "角色 role", "社区 community", "密码 password"]]
    rows += [[c.name, role_text(c.role), c.community or "-", c.password] for c in creds]
    for line in aligned(rows):
        print(line)
    return 0


def _actor() -> str:
    """Who ran the command, for the audit: 'cli:<os user>'."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 — no user name in this environment
        user = "?"
    return f"cli:{user}"


# --- parser --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m auth", description="账号、角色与审计日志 / accounts, roles and the audit log",
                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", default=None, help=ACCOUNTS_HELP)
    # --accounts before or after the command, shown in each command's --help; SUPPRESS keeps a value given
    # before the command when none is given after it
    common = _Parser(add_help=False)
    common.add_argument("--accounts", default=argparse.SUPPRESS, help=ACCOUNTS_HELP)
    with_db = _Parser(add_help=False)
    with_db.add_argument("--db", default=None, help=DB_HELP)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    pw_help = (f"从标准输入读取密码（第一行；至少 {MIN_LENGTH} 个字符，不能与账号名相同）/ read the password from "
               f"standard input (first line; at least {MIN_LENGTH} characters, not the account name)")
    p = sub.add_parser("add-user", parents=[common, with_db], help="新建账号 / create an account",
                       description="新建账号 / create an account. 管理员和街道领导看全部社区，不能指定 --community；"
                                   "社区和数据员必须指定 / admin and leader see every community and take no "
                                   "--community; community and clerk need one (checked against the warehouse)")
    p.add_argument("name", help="账号名 / account name")
    p.add_argument("--role", required=True,
                   help="角色 / role: " + ", ".join(f"{r} {ROLE_ZH[r]}" for r in ROLES))
    p.add_argument("--community", default=None, help="所属社区（社区、数据员必填）/ the community (community and clerk)")
    p.add_argument("--display", default=None, help="显示名 / display name")
    p.add_argument("--password-stdin", action="store_true", help=pw_help)
    p.set_defaults(func=cmd_add_user)

    p = sub.add_parser("list", parents=[common], help="列出账号 / list accounts",
                       description="列出账号（不显示密码或哈希）/ list accounts (no passwords, no hashes)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("disable", parents=[common], help="停用账号 / disable an account",
                       description="停用账号并结束其全部会话 / disable an account and end all its sessions")
    p.add_argument("name", help="账号名 / account name")
    p.set_defaults(func=cmd_disable)

    p = sub.add_parser("enable", parents=[common], help="重新启用账号 / enable an account again",
                       description="重新启用已停用的账号 / enable a disabled account again")
    p.add_argument("name", help="账号名 / account name")
    p.set_defaults(func=cmd_enable)

    p = sub.add_parser("reset-password", parents=[common], help="重置密码 / reset a password",
                       description="重置密码并结束该账号的全部会话 / set a new password and end all the account's "
                                   "sessions")
    p.add_argument("name", help="账号名 / account name")
    p.add_argument("--password-stdin", action="store_true", help=pw_help)
    p.set_defaults(func=cmd_reset_password)

    p = sub.add_parser("audit", parents=[common], help="查看审计日志 / show the audit log",
                       description="审计日志，时间为北京时间（UTC+8）/ the audit log, times in Beijing time (UTC+8)")
    p.add_argument("--since", default=None, help="起始日期（北京时间）/ from this date on (Beijing), YYYY-MM-DD")
    p.add_argument("--user", default=None, help="只看此账号（操作者或对象）/ only this account (actor or target)")
    p.add_argument("--limit", type=int, default=None, help="只显示最近 N 条 / only the latest N rows")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("demo-accounts", parents=[common, with_db], help="为演示仓库创建演示账号 / demo accounts",
                       description="仅当仓库为演示数据且还没有任何账号时，为每个角色创建一个演示账号（随机密码，只打印"
                                   "一次）/ only for the demo warehouse and only when no account exists: one account "
                                   "per role, random passwords printed once")
    p.add_argument("--if-demo", action="store_true",
                   help="不是演示仓库时静默退出（退出码 0；make run 用）/ exit 0 quietly when the warehouse is not "
                        "the demo (what make run uses)")
    p.set_defaults(func=cmd_demo_accounts)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else 0
    args.accounts = Path(args.accounts) if args.accounts else default_accounts_path()
    if hasattr(args, "db"):
        args.db = Path(args.db) if args.db else warehouse.default_db_path()
    try:
        return args.func(args)
    except (UsageError, AuthError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        print("\n程序内部错误，请把以上信息报告给维护者 / internal error (a bug); please report the traceback above.",
              file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
