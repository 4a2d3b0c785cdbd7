"""Engagement (居民参与): activities, participations, partners, volunteers at activities."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from kpi._sql import (
    Sql,
    allowed_scope,
    date_window,
    fact_scope,
    group_cols,
    narrowed,
    page_sql,
    periods_cte,
    ratio,
)
from kpi.engine import Request, computes
from kpi.filters import Filters

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
        WHERE {date_window(q, req.periods, "a.date")} AND {fact_scope(q, req.filters, "a", pillar=True)}
        GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), ENGAGEMENT_COUNTS)
    df["participants_per_100_households"] = ratio(df["participants"], df["households"])
    return df


# ---------------------------------------------------------------------- series and detail for the 活动参与 page
# Same rows as the KPIs above: activities in the period, scope and pillar filter.



def _in_period(q: Sql, filters: Filters, alias: str = "a") -> str:
    return (f"{alias}.date BETWEEN {q.p('start', filters.start)} AND {q.p('end', filters.end)} "
            f"AND {fact_scope(q, filters, alias, pillar=True)}")


def by_type(con, filters: Filters) -> pd.DataFrame:
    """Activities and participations per activity type: columns activity_type, pillar, activities, participants.

    `pillar` is the type's most frequent pillar (ties: first by name). Sorted by
    participations, then activities (descending). Sums equal the `activities`
    and `participants` KPIs.
    """
    q = Sql()
    sql = f"""
        WITH t AS (
            SELECT a.activity_type, a.pillar, count(*) AS n, sum(a.participants) AS p
            FROM activities a WHERE {_in_period(q, filters)} GROUP BY ALL
        )
        SELECT activity_type, arg_max(pillar, n * 1e6 - rank) AS pillar,
               sum(n)::BIGINT AS activities, sum(p)::BIGINT AS participants
        FROM (SELECT *, row_number() OVER (PARTITION BY activity_type ORDER BY pillar) AS rank FROM t)
        GROUP BY activity_type ORDER BY participants DESC, activities DESC, activity_type"""
    return q.run_on(con, sql)


def partners(con, filters: Filters) -> pd.DataFrame:
    """Co-building partners (共建单位): columns partner, activities, participants, communities, last_date.

    Partners with an activity in scope in the period or in the 365 days before
    it (so a partner that went quiet still shows, with 0 activities).
    `activities` / `participants` count the period only (their sums over
    partners equal the `partner_activities` KPI and its participations);
    `communities` is the number of communities they worked with in the period;
    `last_date` is their latest activity up to the period's end. Partner names
    are trimmed; blank names are not partners.
    """
    q = Sql()
    sql = f"""
        WITH a AS (
            SELECT trim(a.partner) AS partner, a.date, a.participants, a.community,
                   a.date >= {q.p("start", filters.start)} AS in_period
            FROM activities a
            WHERE a.date BETWEEN {q.p("since", filters.start - timedelta(days=365))} AND {q.p("end", filters.end)}
              AND nullif(trim(a.partner), '') IS NOT NULL AND {fact_scope(q, filters, "a", pillar=True)}
        )
        SELECT partner, count(*) FILTER (WHERE in_period) AS activities,
               coalesce(sum(participants) FILTER (WHERE in_period), 0)::BIGINT AS participants,
               count(DISTINCT community) FILTER (WHERE in_period) AS communities,
               max(date) AS last_date
        FROM a GROUP BY partner ORDER BY activities DESC, participants DESC, last_date DESC, partner"""
    return q.run_on(con, sql)


# The heat map's rows at most: a city has thousands of compounds, and a chart of thousands of rows is neither
# readable nor cheap to draw (the page says how many there are and how to see the others).
HEAT_COMPOUNDS = 40


def compound_month(con, filters: Filters, top: int | None = None) -> pd.DataFrame:
    """每百户参与人次 per compound and month (for the compound × month heat map).

    Columns: community, compound, month (first day, a date), activities,
    participants, households, participants_per_100_households, compounds (how
    many compounds the scope holds, whether shown or not). Every register
    compound in scope (the selected compounds, else every compound of the
    communities in scope) × every month of the period (clipped, as
    `kpi.series.month_periods`); activities without a compound are not counted.
    The ratio is NaN where the compound has no households.

    `top`: only the `top` compounds with the most participations per 100 households over the whole period
    (compounds without households last; ties: more participations, then community and compound name), in the
    same row order.
    """
    from kpi.series import month_periods

    q = Sql()
    months = [s.replace(day=1) for s, _ in month_periods(filters)]
    where = [allowed_scope(q, filters, "x.community")]
    if filters.communities:
        where.append(f"list_contains({q.p('communities', list(filters.communities))}::VARCHAR[], x.community)")
    if filters.compounds:
        where.append(f"list_contains({q.p('compounds', list(filters.compounds))}::VARCHAR[], x.name)")
    keep = "" if top is None else f"WHERE r.rank <= {q.p('top', int(top))}"
    sql = f"""
        WITH m AS (SELECT unnest({q.p("months", months)}::DATE[]) AS month),
        x AS (SELECT x.community, x.name AS compound, x.households FROM compounds x
              WHERE {" AND ".join(where)}),
        a AS (
            SELECT a.community, a.compound, date_trunc('month', a.date)::DATE AS month,
                   count(*) AS activities, sum(a.participants) AS participants
            FROM activities a WHERE {_in_period(q, filters)} AND a.compound IS NOT NULL GROUP BY ALL
        ),
        g AS (
            SELECT x.community, x.compound, m.month, coalesce(a.activities, 0)::BIGINT AS activities,
                   coalesce(a.participants, 0)::BIGINT AS participants, x.households
            FROM x CROSS JOIN m
            LEFT JOIN a ON a.community = x.community AND a.compound = x.compound AND a.month = m.month
        ),
        t AS (SELECT community, compound, max(households) AS households, sum(participants) AS participants
              FROM g GROUP BY community, compound),
        r AS (
            SELECT community, compound, count(*) OVER () AS compounds,
                   row_number() OVER (ORDER BY CASE WHEN households > 0 THEN participants / households END
                                      DESC NULLS LAST, participants DESC, community, compound) AS rank
            FROM t
        )
        SELECT g.community, g.compound, g.month, g.activities, g.participants, g.households, r.compounds
        FROM g JOIN r ON r.community = g.community AND r.compound = g.compound
        {keep}
        ORDER BY g.community, g.compound, g.month"""
    df = q.run_on(con, sql)
    df["month"] = pd.to_datetime(df["month"]).dt.date
    df["participants_per_100_households"] = ratio(df["participants"], df["households"])
    return df[["community", "compound", "month", "activities", "participants", "households",
               "participants_per_100_households", "compounds"]]


# The activity list's columns (a drill-down field among them narrows it; the sort control picks one).
LIST_COLUMNS = ("activity_id", "date", "community", "compound", "pillar", "activity_type", "title", "partner",
                "participants", "volunteers")
LIST_ORDER = "date DESC, activity_id"  # newest first; activity_id is the ledger's key: a total order


def _activity_rows(q: Sql, filters: Filters, drill) -> str:
    base = f"""
        SELECT a.activity_id, a.date, a.community, a.compound, a.pillar, a.activity_type, a.title,
               nullif(trim(a.partner), '') AS partner, a.participants, a.volunteers
        FROM activities a WHERE {_in_period(q, filters)}"""
    return narrowed(q, base, LIST_COLUMNS, drill, month_col="date")


def activity_list(con, filters: Filters, drill=(), *, sort: str | None = None, descending: bool = False,
                  limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """The activities in scope, newest first: activity_id, date, community, compound, pillar, activity_type,
    title, partner, participants, volunteers (the ledger's own values; free text masked as stored).

    `drill` (field → value pairs of a chart click, `ui.drilldown.narrow`'s rules: `month` by date, the others
    as text) narrows them; `sort` (one of the columns; missing values last, ties in the list's order) and
    `descending` order them; `limit` / `offset` give one page (the detail table shows 50 of 300 k at city
    scale; `activity_count` is the total)."""
    q = Sql()
    sql = page_sql(q, _activity_rows(q, filters, drill), LIST_COLUMNS, LIST_ORDER, sort, descending, limit, offset)
    df = q.rows_on(con, sql)
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


def activity_count(con, filters: Filters, drill=()) -> int:
    """How many rows `activity_list(con, filters, drill)` holds."""
    q = Sql()
    return q.count_on(con, _activity_rows(q, filters, drill))
