"""Safety (平安建设): hazards found and fixed (cases of kind 安全隐患), door-to-door visits."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kpi._sql import (
    Sql,
    case_window,
    date_window,
    empty_frame,
    fact_scope,
    group_cols,
    periods_cte,
    pillar_excluded,
    ratio,
)
from kpi.calendar import Quarter
from kpi.catalogue import CATALOGUE
from kpi.engine import Request, computes
from kpi.filters import Filters

KIND = "安全隐患"
TRANSFERRED = "已转办"
# Activity types whose households_visited count as door-to-door visits (敲门入户探访).
VISIT_TYPES = ("敲门入户",)


@computes("hazards_found", "hazard_fix_rate", "hazard_fix_days_median")
def _hazards(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "community")
    sql = f"""
        WITH {periods_cte(q, req.periods)},
        c AS (
            SELECT c.*, date_diff('day', c.opened_on, c.closed_on) AS days,
                   c.status <> {q.p("transferred", TRANSFERRED)} AS counted
            FROM cases c
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, req.filters, "c")}
              AND {case_window(q, req.periods, "c")}
        ),
        x AS (
            SELECT p.*, c.*,
                   c.opened_on >= p.p_start AS opened_in,
                   coalesce(c.closed_on BETWEEN p.p_start AND p.p_end, FALSE) AND c.counted AS closed_in
            FROM periods p JOIN c ON c.opened_on <= p.p_end
             AND (c.opened_on >= p.p_start OR c.closed_on IS NULL OR c.closed_on >= p.p_start)
        )
        SELECT period{g},
               count(*) FILTER (WHERE opened_in) AS hazards_found,
               count(*) FILTER (WHERE opened_in AND counted) AS found_counted,
               count(*) FILTER (WHERE opened_in AND counted AND closed_on <= p_end) AS found_fixed,
               quantile_cont(days, 0.5) FILTER (WHERE closed_in) AS hazard_fix_days_median
        FROM x GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ["hazards_found", "found_counted", "found_fixed"])
    df["hazard_fix_rate"] = ratio(df["found_fixed"], df["found_counted"])
    return df


@computes("visit_coverage")
def _visits(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "a.community")
    sql = f"""
        WITH {periods_cte(q, req.periods)}
        SELECT p.period{g}, coalesce(sum(a.households_visited), 0) AS visited
        FROM periods p JOIN activities a ON a.date BETWEEN p.p_start AND p.p_end
        WHERE {date_window(q, req.periods, "a.date")} AND list_contains({q.p("visit_types", list(VISIT_TYPES))}::VARCHAR[], a.activity_type)
          AND {fact_scope(q, req.filters, "a", pillar=True)}
        GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ["visited"])
    df["visit_coverage"] = ratio(df["visited"], df["households"])
    return df


# ---------------------------------------------------------------------- series and detail for the 矛盾纠纷与平安 page
# Same rules as the KPIs above. Every function returns an empty frame when the
# pillar filter leaves 社会治理 out.

HAZARD_PILLAR = CATALOGUE["hazards_found"].pillar





def _cte(q: Sql, filters: Filters) -> str:
    """`c`: hazards in scope registered by the period's end, with days, counted, found_in, fixed_in."""
    return f"""
        c AS (
            SELECT c.*, date_diff('day', c.opened_on, c.closed_on) AS days,
                   c.status <> {q.p("transferred", TRANSFERRED)} AS counted,
                   c.opened_on >= {q.p("start", filters.start)} AS found_in,
                   coalesce(c.closed_on BETWEEN $start AND {q.p("end", filters.end)}, FALSE)
                       AND c.status <> $transferred AS fixed_in
            FROM cases c
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, filters, "c")} AND c.opened_on <= $end
        )"""


def hazard_flow(con, filters: Filters) -> pd.DataFrame:
    """Hazards found vs fixed per month: columns month (first day; every month of the period), hazards_found
    (registered in the month, transferred included, as the KPI), hazards_fixed (closed in the month,
    transferred excluded — the rows of 整改天数中位数), hazard_fix_rate (the KPI for the month, as
    `kpi.series.monthly`)."""
    from kpi.series import month_periods, monthly

    months = [s.replace(day=1) for s, _ in month_periods(filters)]
    base = pd.DataFrame({"month": months})
    if pillar_excluded(filters, HAZARD_PILLAR):
        return base.assign(hazards_found=0, hazards_fixed=0, hazard_fix_rate=0.0).iloc[0:0]
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT date_trunc('month', opened_on)::DATE AS month, count(*) AS hazards_found, 0 AS hazards_fixed
            FROM c WHERE found_in GROUP BY ALL
        UNION ALL
        SELECT date_trunc('month', closed_on)::DATE, 0, count(*) FROM c WHERE fixed_in GROUP BY ALL"""
    got = q.run_on(con, sql)
    got["month"] = pd.to_datetime(got["month"]).dt.date
    got = got.groupby("month", as_index=False)[["hazards_found", "hazards_fixed"]].sum()
    df = base.merge(got, on="month", how="left")
    for col in ("hazards_found", "hazards_fixed"):
        df[col] = df[col].fillna(0).astype("int64")
    rate = monthly(con, filters, ["hazard_fix_rate"])
    df["hazard_fix_rate"] = df["month"].map(dict(zip(rate["month"], rate["value"], strict=True))).astype("float64")
    return df


def breakdown(con, filters: Filters) -> pd.DataFrame:
    """Hazards per category: columns category, hazards_found, found_counted, found_fixed, hazard_fix_rate,
    hazards_fixed (closed in the period), hazard_fix_days_median; each as its KPI restricted to the
    category. Sorted by hazards_found (descending)."""
    cols = {"category": "str", "hazards_found": "int64", "found_counted": "int64", "found_fixed": "int64",
            "hazard_fix_rate": "float64", "hazards_fixed": "int64", "hazard_fix_days_median": "float64"}
    if pillar_excluded(filters, HAZARD_PILLAR):
        return empty_frame(cols)
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT category, count(*) FILTER (WHERE found_in) AS hazards_found,
               count(*) FILTER (WHERE found_in AND counted) AS found_counted,
               count(*) FILTER (WHERE found_in AND counted AND closed_on <= $end) AS found_fixed,
               count(*) FILTER (WHERE fixed_in) AS hazards_fixed,
               quantile_cont(days, 0.5) FILTER (WHERE fixed_in) AS hazard_fix_days_median
        FROM c WHERE found_in OR fixed_in
        GROUP BY ALL ORDER BY hazards_found DESC, hazards_fixed DESC, category"""
    df = q.run_on(con, sql)
    df["hazard_fix_rate"] = ratio(df["found_fixed"], df["found_counted"])
    df["hazard_fix_days_median"] = df["hazard_fix_days_median"].astype("float64")
    return df[list(cols)]


def fix_days_histogram(con, filters: Filters) -> pd.DataFrame:
    """Days to fix (整改天数): columns days, cases, over the hazards fixed in the period (transferred
    excluded; the rows of 整改天数中位数), one row per day count present, ascending."""
    if pillar_excluded(filters, HAZARD_PILLAR):
        return empty_frame({"days": "int64", "cases": "int64"})
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT days, count(*) AS cases FROM c WHERE fixed_in GROUP BY ALL ORDER BY days"""
    return q.run_on(con, sql)


def hazard_list(con, filters: Filters) -> pd.DataFrame:
    """Hazards registered or fixed in the period, newest first: case_id, category, source, community, compound,
    opened_on, closed_on, status, days (to fix), summary (masked as stored). As at the period's end:
    `closed_on` and `days` are None for a hazard fixed after the period; `status` is as stored."""
    cols = ["case_id", "category", "source", "community", "compound", "opened_on", "closed_on", "status",
            "days", "summary"]
    if pillar_excluded(filters, HAZARD_PILLAR):
        return empty_frame({c: "object" for c in cols})
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT case_id, category, nullif(trim(source), '') AS source, community, compound, opened_on,
               CASE WHEN closed_on <= $end THEN closed_on END AS closed_on, status,
               CASE WHEN closed_on <= $end THEN days END AS days, summary
        FROM c WHERE found_in OR fixed_in ORDER BY opened_on DESC, case_id"""
    df = q.run_on(con, sql)
    for col in ("opened_on", "closed_on"):
        df[col] = pd.to_datetime(df[col]).dt.date.astype(object)  # object even when every value is missing
    return df[cols]


def coverage_quarters(filters: Filters, min_quarters: int = 4) -> list[tuple[date, date]]:
    """Whole calendar quarters from the period's first to its last quarter, at least `min_quarters` (earlier
    quarters are added before the period when it is shorter), oldest first."""
    from kpi.series import quarter_periods

    first, last = Quarter.of(filters.start), Quarter.of(filters.end)
    n = (last.year - first.year) * 4 + last.q - first.q + 1
    return quarter_periods(filters.end, max(n, min_quarters))


def visit_coverage_by_quarter(con, filters: Filters, min_quarters: int = 4) -> pd.DataFrame:
    """入户走访覆盖率 per community and whole quarter (`coverage_quarters`): columns quarter (first day),
    quarter_end, community, visit_coverage (%, as the KPI for that community and quarter), missed (True when
    below 100% = the quarterly round did not reach every household; None when there are no households).

    Every community in scope × every quarter. Empty when the pillar filter
    leaves 社会治理 out.
    """
    from kpi.engine import compute

    quarters = coverage_quarters(filters, min_quarters)
    cols = {"quarter": "object", "quarter_end": "object", "community": "str", "visit_coverage": "float64",
            "missed": "object"}
    if pillar_excluded(filters, HAZARD_PILLAR):
        return empty_frame(cols)
    df = compute(con, filters, quarters, ["visit_coverage"], by="community")
    df = df.rename(columns={"value": "visit_coverage"}).drop(columns="kpi_id")
    df.insert(0, "quarter", [quarters[i][0] for i in df["period"]])
    df.insert(1, "quarter_end", [quarters[i][1] for i in df["period"]])
    df["missed"] = [None if pd.isna(v) else bool(v < 100.0) for v in df["visit_coverage"]]
    return df.drop(columns="period")[list(cols)].reset_index(drop=True)
