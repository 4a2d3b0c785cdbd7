"""Time series for charts: activities by month and pillar, and any KPI by month."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from etl.contract import PILLARS
from kpi._sql import Sql, fact_scope
from kpi.calendar import Quarter, month_end, month_starts
from kpi.engine import compute
from kpi.filters import Filters


def month_periods(filters: Filters) -> list[tuple[date, date]]:
    """The calendar months overlapping the period, each clipped to [start, end]."""
    return [(max(m, filters.start), min(month_end(m), filters.end)) for m in month_starts(filters.start, filters.end)]


def monthly_by_pillar(con, filters: Filters) -> pd.DataFrame:
    """Activities and participations per month and pillar: columns month, pillar, activities, participants.

    `month` is the first day of the month (a date). Every month of the period ×
    every pillar (the selected ones, else all contract pillars plus any other
    pillar present in the data) has a row; months without activities read 0.
    """
    q = Sql()
    sql = f"""
        SELECT date_trunc('month', a.date)::DATE AS month, a.pillar, count(*) AS activities,
               sum(a.participants) AS participants
        FROM activities a
        WHERE a.date BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}
          AND {fact_scope(q, filters, "a", pillar=True)}
        GROUP BY ALL"""
    cur = con.cursor()
    try:
        df = q.run(cur, sql)
    finally:
        cur.close()
    if filters.pillars:
        pillars = list(filters.pillars)
    else:
        pillars = list(PILLARS) + sorted(set(df["pillar"]) - set(PILLARS))
    months = [s.replace(day=1) for s, _ in month_periods(filters)]
    full = pd.MultiIndex.from_product([months, pillars], names=["month", "pillar"])
    df["month"] = [d.date() if hasattr(d, "date") else d for d in df["month"]]
    out = df.set_index(["month", "pillar"]).reindex(full).reset_index()
    out["activities"] = out["activities"].fillna(0).astype("int64")
    out["participants"] = out["participants"].fillna(0).astype("int64")
    return out


def monthly(
    con, filters: Filters, ids: Iterable[str] | str, by: str | None = None, targets=None
) -> pd.DataFrame:
    """KPI values per calendar month of the period: columns month, [community,] kpi_id, value.

    Months are clipped to the period (a period starting mid-month gives a partial
    first month, still labelled with the month's first day). One grouped query
    per domain for all months.
    """
    periods = month_periods(filters)
    df = compute(con, filters, periods, ids, by, targets)
    months = [s.replace(day=1) for s, _ in periods]
    df.insert(0, "month", [months[i] for i in df["period"]])
    return df.drop(columns="period")


def quarter_periods(end: date, n: int) -> list[tuple[date, date]]:
    """The n calendar quarters ending with the quarter that contains `end` (oldest first)."""
    last = Quarter.of(end)
    return [(q.start, q.end) for q in (last.shift(-i) for i in range(n - 1, -1, -1))]
