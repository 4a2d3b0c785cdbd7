"""报送情况 (submission tracking) and the load history, read-only, within the viewer's scope.

`submissions(con, filters_or_allowed, today, deadline_day=5)`: one row per community in scope × ledger kind
(`LEDGER_KINDS`, the five kinds with a date) —

- `latest_month`: the first day of the month of the kind's latest date for the community (activities: date,
  cases: opened_on, volunteers: joined_on, hours and redemptions: date, by the volunteer's community); NaT when
  the community has none.
- `last_loaded_at` (naive UTC, as stored), `loaded_by`, `file_name`, `sheet`, `batch_id`, `rows_loaded`,
  `rows_rejected`: the latest batch of that kind in effect (status loaded / loaded_with_rejects; withdrawn
  batches and withdrawals are not uploads) whose rows touched the community (`load_batches.communities`).
  Rows and rejects are the whole batch's: a street-wide file counts for every community it touched.
- `due_month`: the month that must be covered by now: last month once `today` is past the deadline day of this
  month (on the deadline day itself last month is still on time), else the month before last.
- `covered`: latest_month >= due_month.
- `late` (the same on every row of a community): its activities or its cases ledger does not cover due_month
  (`DUE_KINDS`).

Example: with today 2026-11-28 and deadline day 5, due_month is 2026-10-01; a community whose cases end in
September 2026 is late. With today 2026-11-05 due_month is 2026-09-01.

`load_history(con, allowed=None, limit=None)`: the batches, newest first (ties by batch id). A viewer with
`allowed` sees only batches whose rows touched an allowed community, and `communities` lists only the allowed
ones; the file name, counts and message are the batch's own.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from kpi._sql import Sql, allowed_any, community_scope
from kpi.calendar import add_months
from kpi.filters import Filters
from kpi.targets import DEFAULT_DEADLINE_DAY

LEDGER_KINDS = ("activities", "cases", "volunteers", "volunteer_hours", "redemptions")
DUE_KINDS = ("activities", "cases")
IN_EFFECT = ("loaded", "loaded_with_rejects")
COLUMNS = ["community", "kind", "latest_month", "due_month", "covered", "last_loaded_at", "loaded_by", "file_name",
           "sheet", "batch_id", "rows_loaded", "rows_rejected", "late"]
HISTORY_COLUMNS = ["batch_id", "loaded_at", "file_name", "sheet", "kind", "withdraws", "rows_read", "rows_loaded",
                   "rows_updated", "rows_removed", "rows_rejected", "loaded_by", "profile", "data_version", "status",
                   "message", "communities"]


def due_month(today: date, deadline_day: int = DEFAULT_DEADLINE_DAY) -> date:
    """The month (its first day) whose ledgers must be in by `today`."""
    this_month = today.replace(day=1)
    return add_months(this_month, -1 if today.day > deadline_day else -2)


def _filters(filters_or_allowed) -> Filters:
    if isinstance(filters_or_allowed, Filters):
        return filters_or_allowed
    return Filters(date.min, date.min, allowed=filters_or_allowed)


def submissions(con, filters_or_allowed: Filters | tuple[str, ...] | None, today: date,
                deadline_day: int = DEFAULT_DEADLINE_DAY) -> pd.DataFrame:
    """报送情况: see the module docstring. `filters_or_allowed`: a `Filters` (its communities, compounds and
    `allowed` choose the communities; its period is not used) or the viewer's `allowed` alone."""
    f = _filters(filters_or_allowed)
    q = Sql()
    scope = community_scope(q, f, "name")
    by_volunteer = "FROM {t} x JOIN volunteers v ON v.volunteer_id = x.volunteer_id GROUP BY v.community"
    sql = f"""
        WITH comm AS (SELECT name AS community FROM communities WHERE {scope}),
        kinds AS (SELECT kind, ord FROM (SELECT unnest({q.p('kinds', list(LEDGER_KINDS))}::VARCHAR[]) AS kind,
                                                unnest(range(5)) AS ord)),
        data AS (
            SELECT 'activities' AS kind, community, max(date) AS last_date FROM activities GROUP BY community
            UNION ALL SELECT 'cases', community, max(opened_on) FROM cases GROUP BY community
            UNION ALL SELECT 'volunteers', community, max(joined_on) FROM volunteers GROUP BY community
            UNION ALL SELECT 'volunteer_hours', v.community, max(x.date) {by_volunteer.format(t='volunteer_hours')}
            UNION ALL SELECT 'redemptions', v.community, max(x.date) {by_volunteer.format(t='redemptions')}),
        uploads AS (
            SELECT c.community, b.kind, b.loaded_at, b.loaded_by, b.file_name, b.sheet, b.batch_id, b.rows_loaded,
                   b.rows_rejected,
                   row_number() OVER (PARTITION BY c.community, b.kind ORDER BY b.loaded_at DESC, b.batch_id DESC) AS n
            FROM load_batches b JOIN comm c ON list_contains(b.communities, c.community)
            WHERE list_contains({q.p('in_effect', list(IN_EFFECT))}::VARCHAR[], b.status))
        SELECT c.community, k.kind, CAST(date_trunc('month', d.last_date) AS DATE) AS latest_month,
               u.loaded_at AS last_loaded_at, u.loaded_by, u.file_name, u.sheet, u.batch_id, u.rows_loaded,
               u.rows_rejected
        FROM comm c CROSS JOIN kinds k
        LEFT JOIN data d ON d.community = c.community AND d.kind = k.kind
        LEFT JOIN uploads u ON u.community = c.community AND u.kind = k.kind AND u.n = 1
        ORDER BY c.community, k.ord"""
    df = q.run_on(con, sql)
    due = due_month(today, deadline_day)
    df["due_month"] = pd.Timestamp(due)
    df["latest_month"] = pd.to_datetime(df["latest_month"])
    df["covered"] = (df["latest_month"] >= df["due_month"]).fillna(False).astype(bool)
    missing = df[df["kind"].isin(DUE_KINDS) & ~df["covered"]]["community"]
    df["late"] = df["community"].isin(set(missing))
    return df[COLUMNS].reset_index(drop=True)


def load_history(con, allowed: tuple[str, ...] | None = None, limit: int | None = None) -> pd.DataFrame:
    """The load history, newest first: see the module docstring. `loaded_at` is naive UTC, as stored."""
    f = _filters(allowed)
    q = Sql()
    cols = [c for c in HISTORY_COLUMNS if c != "communities"]
    communities = "communities" if f.allowed is None else \
        f"list_intersect(communities, {q.p('allowed', list(f.allowed))}::VARCHAR[])"
    sql = (f"SELECT {', '.join(cols)}, {communities} AS communities FROM load_batches "
           f"WHERE {allowed_any(q, f, 'communities')} ORDER BY loaded_at DESC, batch_id DESC")
    if limit is not None:
        sql += f" LIMIT {q.p('limit', int(limit))}"
    return q.run_on(con, sql)
