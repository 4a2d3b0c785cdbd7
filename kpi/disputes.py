"""Disputes (矛盾纠纷): identification, mediation outcomes, referrals, days to resolve."""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, fact_scope, group_cols, periods_cte, ratio
from kpi.engine import Request, computes

KIND = "矛盾纠纷"
SUCCESS = "调解成功"
REFERRED_OUTCOME = "转交"
TRANSFERRED = "已转办"


@computes("disputes_handled", "mediation_success_rate", "disputes_referred", "dispute_days_median")
def _disputes(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "community")
    sql = f"""
        WITH {periods_cte(q, req.periods)},
        c AS (
            SELECT c.*, date_diff('day', c.opened_on, c.closed_on) AS days,
                   coalesce(c.outcome = {q.p("referred", REFERRED_OUTCOME)}, FALSE)
                       OR c.status = {q.p("transferred", TRANSFERRED)} AS referred
            FROM cases c
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, req.filters, "c")}
        ),
        x AS (
            SELECT p.*, c.*,
                   c.opened_on >= p.p_start AS opened_in,
                   coalesce(c.closed_on BETWEEN p.p_start AND p.p_end, FALSE) AS closed_in
            FROM periods p JOIN c ON c.opened_on <= p.p_end
             AND (c.opened_on >= p.p_start OR c.closed_on IS NULL OR c.closed_on >= p.p_start)
        )
        SELECT period{g},
               count(*) FILTER (WHERE opened_in) AS disputes_handled,
               count(*) FILTER (WHERE closed_in AND outcome IS NOT NULL) AS with_outcome,
               count(*) FILTER (WHERE closed_in AND outcome = {q.p("success", SUCCESS)}) AS succeeded,
               count(*) FILTER (WHERE referred AND coalesce(closed_on, opened_on) BETWEEN p_start AND p_end)
                   AS disputes_referred,
               quantile_cont(days, 0.5) FILTER (WHERE closed_in AND NOT referred) AS dispute_days_median
        FROM x GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ["disputes_handled", "with_outcome", "succeeded", "disputes_referred"])
    df["mediation_success_rate"] = ratio(df["succeeded"], df["with_outcome"])
    return df
