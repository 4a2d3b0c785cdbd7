"""Engagement (居民参与): activities, participations, partners, volunteers at activities."""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, fact_scope, group_cols, periods_cte, ratio
from kpi.engine import Request, computes

ENGAGEMENT_COUNTS = ["activities", "participants", "partner_activities", "active_partners", "volunteer_participations"]


@computes(*ENGAGEMENT_COUNTS, "participants_per_100_households")
def _engagement(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "a.community")
    sql = f"""
        WITH {periods_cte(q, req.periods)}
        SELECT p.period{g},
               count(*) AS activities,
               sum(a.participants) AS participants,
               count(*) FILTER (WHERE nullif(trim(a.partner), '') IS NOT NULL) AS partner_activities,
               count(DISTINCT nullif(trim(a.partner), '')) AS active_partners,
               coalesce(sum(a.volunteers), 0) AS volunteer_participations
        FROM periods p JOIN activities a ON a.date BETWEEN p.p_start AND p.p_end
        WHERE {fact_scope(q, req.filters, "a", pillar=True)}
        GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ENGAGEMENT_COUNTS)
    df["participants_per_100_households"] = ratio(df["participants"], df["households"])
    return df
