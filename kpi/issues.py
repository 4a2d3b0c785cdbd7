"""Issue resolution (诉求办理): resident requests, cases of kind 居民诉求.

Transferred cases (status 已转办) count in 受理数 only. "Open at the period's
end" is judged by dates: opened_on ≤ end and (closed_on is null or > end).
Time limits (SLA days) per category come from data/targets.toml.
"""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, fact_scope, group_cols, periods_cte, ratio
from kpi.engine import Request, computes

KIND = "居民诉求"
TRANSFERRED = "已转办"
SATISFIED_MIN = 4  # ratings 4 and 5 count as satisfied

_COUNTS = ["cases_opened", "cases_closed", "open_backlog", "overdue_backlog"]


@computes(
    "cases_opened", "cases_closed", "closure_rate", "resolution_days_median", "resolution_days_p90",
    "open_backlog", "overdue_backlog", "on_time_rate", "satisfaction_rate",
)
def _issues(cur, req: Request) -> pd.DataFrame:
    t = req.targets
    cats = sorted(t.sla_days)
    q = Sql()
    g = group_cols(req.by, "community")
    sql = f"""
        WITH {periods_cte(q, req.periods)},
        sla AS (SELECT unnest({q.p("sla_cats", cats)}::VARCHAR[]) AS category,
                       unnest({q.p("sla_vals", [t.sla_days[c] for c in cats])}::INTEGER[]) AS sla_days),
        c AS (
            SELECT c.*, coalesce(s.sla_days, {q.p("sla_default", t.sla_default_days)}) AS sla_days,
                   date_diff('day', c.opened_on, c.closed_on) AS days,
                   c.status <> {q.p("transferred", TRANSFERRED)} AS counted
            FROM cases c LEFT JOIN sla s USING (category)
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, req.filters, "c")}
        ),
        x AS (
            SELECT p.*, c.*,
                   c.opened_on >= p.p_start AS opened_in,
                   coalesce(c.closed_on BETWEEN p.p_start AND p.p_end, FALSE) AND c.counted AS closed_in,
                   c.counted AND (c.closed_on IS NULL OR c.closed_on > p.p_end) AS open_at_end
            FROM periods p JOIN c ON c.opened_on <= p.p_end
             AND (c.opened_on >= p.p_start OR c.closed_on IS NULL OR c.closed_on >= p.p_start)
        )
        SELECT period{g},
               count(*) FILTER (WHERE opened_in) AS cases_opened,
               count(*) FILTER (WHERE closed_in) AS cases_closed,
               count(*) FILTER (WHERE opened_in AND counted) AS opened_counted,
               count(*) FILTER (WHERE opened_in AND counted AND closed_on <= p_end) AS opened_closed,
               quantile_cont(days, 0.5) FILTER (WHERE closed_in) AS resolution_days_median,
               quantile_cont(days, 0.9) FILTER (WHERE closed_in) AS resolution_days_p90,
               count(*) FILTER (WHERE open_at_end) AS open_backlog,
               count(*) FILTER (WHERE open_at_end AND date_diff('day', opened_on, p_end) > sla_days)
                   AS overdue_backlog,
               count(*) FILTER (WHERE closed_in AND days <= sla_days) AS on_time,
               count(*) FILTER (WHERE closed_in AND satisfaction IS NOT NULL) AS rated,
               count(*) FILTER (WHERE closed_in AND satisfaction >= {q.p("satisfied_min", SATISFIED_MIN)})
                   AS satisfied
        FROM x GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), _COUNTS + ["opened_counted", "opened_closed", "on_time", "rated", "satisfied"])
    df["closure_rate"] = ratio(df["opened_closed"], df["opened_counted"])
    df["on_time_rate"] = ratio(df["on_time"], df["cases_closed"])
    df["satisfaction_rate"] = ratio(df["satisfied"], df["rated"])
    return df
