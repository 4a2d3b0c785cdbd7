"""Volunteers (志愿服务): register, activity, hours, points, retention.

Volunteers have no compound: with a compound filter, volunteer KPIs cover the
communities that contain a selected compound. Hour and redemption rows count
through their volunteer's community (rows of an unknown volunteer_id are left
out). Active = at least one hours row with hours > 0 in the period.
"""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, community_scope, periods_cte, ratio
from kpi.engine import Request, computes

_COUNTS = [
    "registered_volunteers", "active_volunteers", "service_hours", "points_awarded", "points_redeemed",
    "points_balance", "active_registered", "active_party", "previous_active", "retained",
]


@computes(
    "registered_volunteers", "active_volunteers", "active_rate", "service_hours", "points_awarded",
    "points_redeemed", "points_balance", "retention_rate", "party_share",
)
def _volunteers(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    cols = "period" + (", community" if req.by else "")
    prev_cols = "period" + (", prev.community AS community" if req.by else "")
    sql = f"""
        WITH {periods_cte(q, req.periods, req.previous_periods())},
        v AS (
            SELECT volunteer_id, community, joined_on, coalesce(party_member, FALSE) AS party
            FROM volunteers WHERE {community_scope(q, req.filters, "community")}
        ),
        h AS (SELECT h.date, h.hours, h.points, v.* FROM volunteer_hours h JOIN v USING (volunteer_id)),
        -- daily sums per community, for the running totals up to each period's end
        hd AS (SELECT date, community, sum(points) AS points FROM h GROUP BY ALL),
        rd AS (SELECT r.date, v.community, sum(r.points) AS points
               FROM redemptions r JOIN v USING (volunteer_id) GROUP BY ALL),
        active AS (
            SELECT DISTINCT p.period, p.p_end, h.volunteer_id, h.community, h.joined_on, h.party
            FROM periods p JOIN h ON h.date BETWEEN p.p_start AND p.p_end WHERE h.hours > 0
        ),
        prev AS (
            SELECT DISTINCT p.period, h.volunteer_id, h.community
            FROM periods p JOIN h ON h.date BETWEEN p.p_prev_start AND p.p_prev_end WHERE h.hours > 0
        )
        SELECT {cols}, count(*) AS registered_volunteers
            FROM periods p JOIN v ON v.joined_on IS NULL OR v.joined_on <= p.p_end GROUP BY ALL
        UNION ALL BY NAME
        SELECT {cols}, count(*) AS active_volunteers,
               count(*) FILTER (WHERE joined_on IS NULL OR joined_on <= p_end) AS active_registered,
               count(*) FILTER (WHERE party) AS active_party
            FROM active GROUP BY ALL
        UNION ALL BY NAME
        SELECT {prev_cols}, count(*) AS previous_active, count(a.volunteer_id) AS retained
            FROM prev LEFT JOIN active a USING (period, volunteer_id) GROUP BY ALL
        UNION ALL BY NAME
        SELECT {cols}, sum(h.hours) AS service_hours, coalesce(sum(h.points), 0) AS points_awarded
            FROM periods p JOIN h ON h.date BETWEEN p.p_start AND p.p_end GROUP BY ALL
        UNION ALL BY NAME
        SELECT {cols}, coalesce(sum(hd.points), 0) AS earned_to_date
            FROM periods p JOIN hd ON hd.date <= p.p_end GROUP BY ALL
        UNION ALL BY NAME
        SELECT {cols}, sum(rd.points) FILTER (WHERE rd.date >= p.p_start) AS points_redeemed,
               sum(rd.points) AS redeemed_to_date
            FROM periods p JOIN rd ON rd.date <= p.p_end GROUP BY ALL"""
    raw = q.run(cur, sql)
    parts = raw.groupby(req.keys, dropna=False).sum(min_count=1).reset_index()
    for c in ("earned_to_date", "redeemed_to_date"):
        parts[c] = parts[c].astype("float64").fillna(0.0) if c in parts else 0.0
    parts["points_balance"] = parts["earned_to_date"] - parts["redeemed_to_date"]
    df = req.complete(parts, _COUNTS)
    df["active_rate"] = ratio(df["active_registered"], df["registered_volunteers"])
    df["retention_rate"] = ratio(df["retained"], df["previous_active"])
    df["party_share"] = ratio(df["active_party"], df["active_volunteers"])
    return df
