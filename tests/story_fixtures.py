"""A demo warehouse in which a second version of the cases ledger changed one case (for the case-story tests):
the first resident request of 南湾社区 still open and overdue at the end of 2026Q3 is closed on 2026-10-20 with
satisfaction 4 by a later version of 诉求与纠纷台账（演示）.csv (same file name, every other row as it was)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

CASES_LEDGER = "诉求与纠纷台账（演示）.csv"
NANWAN = "南湾社区"
Q3_2026 = (date(2026, 7, 1), date(2026, 9, 30))


@dataclass(frozen=True)
class Changed:
    db: Path
    case_id: str  # the case the second version closed
    other_case_id: str  # a case of another community (for scope refusals)
    activity_id: str  # an activity of 南湾社区 in 2026Q3


def build_changed(folder: Path) -> Changed:
    from demo import build_demo
    from etl.loader import load_paths
    from etl.warehouse import open_read_only
    from kpi import Filters, issues
    from tests.conftest import TARGETS
    from tests.ledgers import second_version

    db = folder / "governance.duckdb"
    report = build_demo(db, out_dir=folder / "ledgers")
    assert report.exit_code == 0
    con = open_read_only(db)
    try:
        overdue = issues.case_list(con, Filters(*Q3_2026, communities=(NANWAN,)), "overdue", targets=TARGETS)
        case_id = str(overdue["case_id"].iloc[0])
        (other,) = con.execute("SELECT min(case_id) FROM cases WHERE community <> ? AND opened_on >= ?",
                               [NANWAN, Q3_2026[0]]).fetchone()
        (activity,) = con.execute("SELECT min(activity_id) FROM activities WHERE community = ? AND date BETWEEN ? "
                                  "AND ?", [NANWAN, *Q3_2026]).fetchone()
    finally:
        con.close()
    v2 = second_version(folder / "ledgers" / CASES_LEDGER, folder / "v2", case_id,
                        {"办结日期": "2026-10-20", "状态": "已办结", "满意度": "4"})
    assert load_paths([v2], db).exit_code == 0
    return Changed(db, case_id, str(other), str(activity))
