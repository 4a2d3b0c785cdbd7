"""Volunteers (志愿服务): register, activity, hours, points, retention.

Volunteers have no compound: with a compound filter, volunteer KPIs cover the
communities that contain a selected compound. Hour and redemption rows count
through their volunteer's community (rows of an unknown volunteer_id are left
out). Active = at least one hours row with hours > 0 in the period.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from kpi._sql import Sql, community_scope, empty_frame, periods_cte, pillar_excluded, ratio
from kpi.calendar import add_months, month_end, whole_months
from kpi.catalogue import CATALOGUE
from kpi.engine import Request, computes
from kpi.filters import Filters

_COUNTS = [
    "registered_volunteers", "active_volunteers", "service_hours", "points_awarded", "points_redeemed",
    "points_balance", "active_registered", "active_party", "previous_active", "retained",
]


def _by_month(periods) -> bool:
    """Whether every period is whole calendar months (then the monthly summaries answer exactly)."""
    return all(whole_months(s, e) for s, e in periods)


# Per (period[, community]) from `vp` (period, volunteer, cur = active in the period, prv = in the previous one).
_VP_COUNTS = """
        counts AS (
            SELECT {cols}, count(*) FILTER (WHERE cur = 1) AS active_volunteers,
                   count(*) FILTER (WHERE cur = 1 AND (joined_on IS NULL OR joined_on <= p_end)) AS active_registered,
                   count(*) FILTER (WHERE cur = 1 AND party) AS active_party,
                   count(*) FILTER (WHERE prv = 1) AS previous_active,
                   count(*) FILTER (WHERE prv = 1 AND cur = 1) AS retained
            FROM vp GROUP BY ALL
        ),"""


def _fact_parts(q: Sql, scope: str, cols: str, lo, hi) -> str:
    """Active / previous-active volunteers, hours, points and running totals from the fact tables (any period)."""
    return f"""
        h AS (SELECT h.date, h.hours, h.points, v.* FROM volunteer_hours h JOIN v USING (volunteer_id)),
        -- daily sums per community, for the running totals up to each period's end
        hd AS (SELECT date, community, sum(points) AS points FROM h GROUP BY ALL),
        rd AS (SELECT r.date, v.community, sum(r.points) AS points
               FROM redemptions r JOIN v USING (volunteer_id) GROUP BY ALL),
        -- per period and volunteer: active in the period (cur) and in the previous period (prv)
        vp AS (
            SELECT p.period, p.p_end, h.volunteer_id, h.community, h.joined_on, h.party,
                   max(CASE WHEN h.date BETWEEN p.p_start AND p.p_end THEN 1 ELSE 0 END) AS cur,
                   max(CASE WHEN h.date BETWEEN p.p_prev_start AND p.p_prev_end THEN 1 ELSE 0 END) AS prv
            FROM periods p JOIN h ON h.date BETWEEN p.p_start AND p.p_end
                                  OR h.date BETWEEN p.p_prev_start AND p.p_prev_end
            WHERE h.hours > 0 AND h.date BETWEEN {q.p("lo", lo)} AND {q.p("hi", hi)}
            GROUP BY p.period, p.p_end, h.volunteer_id, h.community, h.joined_on, h.party
        ),
{_VP_COUNTS.format(cols=cols)}
        sums AS (
            SELECT {cols}, sum(h.hours) AS service_hours, coalesce(sum(h.points), 0) AS points_awarded
            FROM periods p JOIN h ON h.date BETWEEN p.p_start AND p.p_end GROUP BY ALL
        ),
        earned AS (
            SELECT {cols}, coalesce(sum(hd.points), 0) AS earned_to_date
            FROM periods p JOIN hd ON hd.date <= p.p_end GROUP BY ALL
        ),
        redeemed AS (
            SELECT {cols}, sum(rd.points) FILTER (WHERE rd.date >= p.p_start) AS points_redeemed,
                   sum(rd.points) AS redeemed_to_date
            FROM periods p JOIN rd ON rd.date <= p.p_end GROUP BY ALL
        )"""


def _span_grain(periods, previous) -> str | None:
    """'month' or 'quarter' when every period is one calendar month (quarter) and its previous period the one
    before it: then the per-community distinct counts of summary_community_active answer exactly."""
    for grain, n in _GRAINS.items():
        if all(_grain_of(s, e) == grain and prev == (add_months(s, -n), s - timedelta(days=1))
               for (s, e), prev in zip(periods, previous, strict=True)):
            return grain
    return None


_GRAINS = {"month": 1, "quarter": 3}


def _grain_of(start, end) -> str | None:
    """'month' or 'quarter' when start…end is exactly one calendar month (quarter), else None."""
    for grain, n in _GRAINS.items():
        if start.day == 1 and (start.month - 1) % n == 0 and end == month_end(add_months(start, n - 1)):
            return grain
    return None


def _summary_parts(q: Sql, scope: str, cols: str, lo, hi, grain: str | None = None) -> str:
    """The same parts from the monthly summaries (etl/summaries.py): exact for whole-month periods.

    `lo`…`hi` spans every period and previous period: the bound lets DuckDB skip the other months' row groups.
    With a `grain` (every period one month or one quarter, see _span_grain) the active, previous-active and
    retained counts are sums of the per-community counts (a volunteer belongs to one community)."""
    if grain is None:
        counts = f"""
        vm AS (SELECT volunteer_id, community, month, joined_on, party FROM summary_volunteer_month
               WHERE active AND month BETWEEN {q.p("lo", lo)} AND {q.p("hi", hi)} AND {scope}),
        vp AS (
            SELECT p.period, p.p_end, vm.volunteer_id, vm.community, vm.joined_on, vm.party,
                   max(CASE WHEN vm.month BETWEEN p.p_start AND p.p_end THEN 1 ELSE 0 END) AS cur,
                   max(CASE WHEN vm.month BETWEEN p.p_prev_start AND p.p_prev_end THEN 1 ELSE 0 END) AS prv
            FROM periods p JOIN vm ON vm.month BETWEEN p.p_start AND p.p_end
                                   OR vm.month BETWEEN p.p_prev_start AND p.p_prev_end
            GROUP BY p.period, p.p_end, vm.volunteer_id, vm.community, vm.joined_on, vm.party
        ),
{_VP_COUNTS.format(cols=cols)}"""
    else:
        counts = f"""
        ca AS (SELECT community, start, active, active_registered, active_party, retained
               FROM summary_community_active WHERE grain = {q.p("grain", grain)} AND {scope}),
        counts AS (
            SELECT {cols}, sum(ca.active)::BIGINT AS active_volunteers,
                   sum(ca.active_registered)::BIGINT AS active_registered,
                   sum(ca.active_party)::BIGINT AS active_party, sum(ca.retained)::BIGINT AS retained
            FROM periods p JOIN ca ON ca.start = p.p_start GROUP BY ALL
            UNION ALL BY NAME
            SELECT {cols}, sum(ca.active)::BIGINT AS previous_active
            FROM periods p JOIN ca ON ca.start = p.p_prev_start GROUP BY ALL
        ),"""
    return counts + f"""
        cm AS (SELECT community, month, hours, points, redeemed FROM summary_community_month WHERE {scope}),
        sums AS (
            SELECT {cols}, sum(cm.hours) AS service_hours, coalesce(sum(cm.points), 0) AS points_awarded
            FROM periods p JOIN cm ON cm.month BETWEEN p.p_start AND p.p_end WHERE cm.hours IS NOT NULL
            GROUP BY ALL
        ),
        earned AS (
            SELECT {cols}, coalesce(sum(cm.points), 0) AS earned_to_date
            FROM periods p JOIN cm ON cm.month <= p.p_end WHERE cm.hours IS NOT NULL GROUP BY ALL
        ),
        redeemed AS (
            SELECT {cols}, sum(cm.redeemed) FILTER (WHERE cm.month >= p.p_start) AS points_redeemed,
                   sum(cm.redeemed) AS redeemed_to_date
            FROM periods p JOIN cm ON cm.month <= p.p_end WHERE cm.redeemed IS NOT NULL GROUP BY ALL
        )"""


@computes(
    "registered_volunteers", "active_volunteers", "active_rate", "service_hours", "points_awarded",
    "points_redeemed", "points_balance", "retention_rate", "party_share",
)
def _volunteers(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    cols = "period" + (", community" if req.by else "")
    previous = req.previous_periods()
    pcte = periods_cte(q, req.periods, previous)
    scope = community_scope(q, req.filters, "community")
    spans = [*req.periods, *previous]
    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    if _by_month(spans):
        ctes = _summary_parts(q, scope, cols, lo, hi, _span_grain(req.periods, previous))
    else:
        ctes = _fact_parts(q, scope, cols, lo, hi)
    sql = f"""
        WITH {pcte},
        v AS (
            SELECT volunteer_id, community, joined_on, coalesce(party_member, FALSE) AS party
            FROM volunteers WHERE {scope}
        ),
        {ctes}
        SELECT {cols}, count(*) AS registered_volunteers
            FROM periods p JOIN v ON v.joined_on IS NULL OR v.joined_on <= p.p_end GROUP BY ALL
        UNION ALL BY NAME SELECT * FROM counts
        UNION ALL BY NAME SELECT * FROM sums
        UNION ALL BY NAME SELECT * FROM earned
        UNION ALL BY NAME SELECT * FROM redeemed"""
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


# ---------------------------------------------------------------------- series and detail for the 志愿积分 page
# No volunteer appears individually: every function returns counts and sums by
# team, item or quarter, never a volunteer_id. Volunteers are those of the
# communities in scope (community_scope, as the KPIs). Every function returns
# an empty frame when the pillar filter leaves 志愿服务 out.

VOLUNTEER_PILLAR = CATALOGUE["active_volunteers"].pillar
# "毛巾×3" → item 毛巾, quantity 3 (×, x, X, * and full-width forms).
_QTY_RE = r"\s*[×xX*＊]\s*([0-9]+)\s*$"





def _v(q: Sql, filters: Filters) -> str:
    return f"""v AS (SELECT volunteer_id, community, joined_on, coalesce(party_member, FALSE) AS party,
                            nullif(trim(team), '') AS team
                     FROM volunteers WHERE {community_scope(q, filters, "community")})"""


def redemption_items(con, filters: Filters) -> pd.DataFrame:
    """爱心货柜 items redeemed in the period: columns item (the name without a "×n" quantity), redemptions
    (ledger rows), quantity (items handed out: n from "×n", else 1), points. Sums of points equal
    积分兑换. Sorted by quantity (descending)."""
    cols = {"item": "str", "redemptions": "int64", "quantity": "int64", "points": "float64"}
    if pillar_excluded(filters, VOLUNTEER_PILLAR):
        return empty_frame(cols)
    q = Sql()
    sql = f"""
        WITH {_v(q, filters)},
        r AS (
            SELECT coalesce(nullif(trim(regexp_replace(r.item, {q.p("qty_re", _QTY_RE)}, '')), ''),
                            {q.p("no_item", "")}) AS item,
                   coalesce(try_cast(regexp_extract(r.item, $qty_re, 1) AS INTEGER), 1) AS n, r.points
            FROM redemptions r JOIN v USING (volunteer_id)
            WHERE r.date BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}
        )
        SELECT nullif(item, '') AS item, count(*) AS redemptions, sum(n)::BIGINT AS quantity,
               sum(points)::DOUBLE AS points
        FROM r GROUP BY ALL ORDER BY quantity DESC, points DESC, item NULLS LAST"""
    return q.run_on(con, sql)


def teams(con, filters: Filters) -> pd.DataFrame:
    """Volunteer teams (服务队), ranked by hours: columns team (None = no team), registered (joined by the
    period's end), active (a record of > 0 hours in the period), party_active, party_share (% of active),
    hours, points (in the period). Sums over teams equal the registered / active volunteers, service hours
    and points awarded KPIs."""
    cols = {"team": "str", "registered": "int64", "active": "int64", "party_active": "int64",
            "party_share": "float64", "hours": "float64", "points": "float64"}
    if pillar_excluded(filters, VOLUNTEER_PILLAR):
        return empty_frame(cols)
    q = Sql()
    grain = _grain_of(filters.start, filters.end)
    if grain is not None:  # one month or quarter: the per-community team counts (etl/summaries.py) add up exactly
        act = f"""act AS (SELECT team, sum(active)::BIGINT AS active, sum(party_active)::BIGINT AS party_active, sum(hours) AS hours,
                       coalesce(sum(points), 0) AS points
                FROM summary_team_span
                WHERE grain = {q.p("grain", grain)} AND start = {q.p("start", filters.start)} AND all_services
                      AND {community_scope(q, filters, "community")}
                GROUP BY ALL)"""
    else:
        act = f"""h AS (SELECT v.team, v.volunteer_id, v.party, h.hours, h.points
              FROM volunteer_hours h JOIN v USING (volunteer_id)
              WHERE h.date BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}),
        act AS (SELECT team, count(DISTINCT volunteer_id) FILTER (WHERE hours > 0) AS active,
                       count(DISTINCT volunteer_id) FILTER (WHERE hours > 0 AND party) AS party_active,
                       sum(hours) AS hours, coalesce(sum(points), 0) AS points
                FROM h GROUP BY ALL)"""
    sql = f"""
        WITH {_v(q, filters)},
        {act},
        reg AS (SELECT team, count(*) AS registered FROM v WHERE joined_on IS NULL OR joined_on <= {q.p("end", filters.end)}
                GROUP BY ALL)
        SELECT coalesce(reg.team, act.team) AS team, coalesce(reg.registered, 0) AS registered, coalesce(act.active, 0) AS active,
               coalesce(act.party_active, 0) AS party_active, coalesce(act.hours, 0)::DOUBLE AS hours,
               coalesce(act.points, 0)::DOUBLE AS points
        FROM reg FULL JOIN act ON reg.team IS NOT DISTINCT FROM act.team
        ORDER BY hours DESC, active DESC, team NULLS LAST"""
    df = q.run_on(con, sql)
    df["party_share"] = ratio(df["party_active"], df["active"])
    return df[list(cols)]


def retention_cohorts(con, filters: Filters, min_quarters: int = 4, max_quarters: int = 8) -> pd.DataFrame:
    """Quarterly retention as a cohort table: columns cohort (first day of the quarter of a volunteer's first
    active record, ever), size (volunteers in the cohort), offset (quarters after the cohort quarter, 0…),
    quarter (first day), active (cohort members active in that quarter), retention (% of size).

    Quarters: the whole quarters from the period's first to its last (at
    least `min_quarters`, earlier ones added; at most the last `max_quarters`);
    cohorts are those quarters, offsets run up to the last quarter.
    """
    from kpi.safety import coverage_quarters

    cols = {"cohort": "object", "size": "int64", "offset": "int64", "quarter": "object", "active": "int64",
            "retention": "float64"}
    if pillar_excluded(filters, VOLUNTEER_PILLAR):
        return empty_frame(cols)
    quarters = coverage_quarters(filters, min_quarters)[-max_quarters:]
    q = Sql()
    sql = f"""
        WITH {_v(q, filters)},
        -- from the summaries (etl/summaries.py; quarters are whole months, so this is exact): a volunteer's
        -- cohort is the quarter of their first active month, ever
        first AS (SELECT f.volunteer_id, date_trunc('quarter', f.first_month)::DATE AS cohort
                  FROM summary_volunteer_first f JOIN v USING (volunteer_id)
                  WHERE f.first_month BETWEEN {q.p("first_q", quarters[0][0])} AND {q.p("last_end", quarters[-1][1])}),
        act AS (SELECT DISTINCT s.volunteer_id, date_trunc('quarter', s.month)::DATE AS quarter
                FROM summary_volunteer_month s JOIN first USING (volunteer_id)
                WHERE s.active AND s.month BETWEEN $first_q AND $last_end)
        SELECT f.cohort, a.quarter, count(*) AS active
        FROM first f JOIN act a USING (volunteer_id)
        GROUP BY ALL"""
    got = q.run_on(con, sql)
    starts = [s for s, _ in quarters]
    got["cohort"] = pd.to_datetime(got["cohort"]).dt.date
    got["quarter"] = pd.to_datetime(got["quarter"]).dt.date
    grid = pd.DataFrame([(c, x) for i, c in enumerate(starts) for x in starts[i:]], columns=["cohort", "quarter"])
    df = grid.merge(got, on=["cohort", "quarter"], how="left")
    df["active"] = df["active"].fillna(0).astype("int64")
    size = df[df["cohort"] == df["quarter"]].set_index("cohort")["active"]
    df["size"] = df["cohort"].map(size).astype("int64")
    pos = {s: n for n, s in enumerate(starts)}
    df["offset"] = [pos[x] - pos[c] for c, x in zip(df["cohort"], df["quarter"], strict=True)]
    df["retention"] = ratio(df["active"], df["size"])
    return df[list(cols)]


def service_summary(con, filters: Filters) -> pd.DataFrame:
    """Service records in the period by team and service content (服务内容): columns team (None = no team),
    service, records, volunteers (distinct people, a count only), hours, points. Sorted by hours."""
    cols = {"team": "str", "service": "str", "records": "int64", "volunteers": "int64", "hours": "float64",
            "points": "float64"}
    if pillar_excluded(filters, VOLUNTEER_PILLAR):
        return empty_frame(cols)
    q = Sql()
    grain = _grain_of(filters.start, filters.end)
    if grain is not None:  # one month or quarter: the per-community counts (etl/summaries.py) add up exactly
        sql = f"""
        SELECT team, service, sum(records)::BIGINT AS records, sum(volunteers)::BIGINT AS volunteers,
               sum(hours)::DOUBLE AS hours, coalesce(sum(points), 0)::DOUBLE AS points
        FROM summary_team_span
        WHERE grain = {q.p("grain", grain)} AND start = {q.p("start", filters.start)} AND NOT all_services
              AND {community_scope(q, filters, "community")}
        GROUP BY ALL ORDER BY hours DESC, team NULLS LAST, service NULLS LAST"""
        return q.run_on(con, sql)
    sql = f"""
        WITH {_v(q, filters)}
        SELECT v.team, nullif(trim(h.service), '') AS service, count(*) AS records,
               count(DISTINCT h.volunteer_id) AS volunteers, sum(h.hours)::DOUBLE AS hours,
               coalesce(sum(h.points), 0)::DOUBLE AS points
        FROM volunteer_hours h JOIN v USING (volunteer_id)
        WHERE h.date BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}
        GROUP BY ALL ORDER BY hours DESC, team NULLS LAST, service NULLS LAST"""
    return q.run_on(con, sql)
