"""Safety (平安建设): hazards found and fixed (cases of kind 安全隐患), door-to-door visits."""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, fact_scope, group_cols, periods_cte, ratio
from kpi.engine import Request, computes

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
        WHERE list_contains({q.p("visit_types", list(VISIT_TYPES))}::VARCHAR[], a.activity_type)
          AND {fact_scope(q, req.filters, "a", pillar=True)}
        GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ["visited"])
    df["visit_coverage"] = ratio(df["visited"], df["households"])
    return df
