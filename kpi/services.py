"""Services (便民服务): convenience services of the 志愿服务 pillar and home repair visits."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from kpi import calendar
from kpi._sql import Sql, allowed_scope, date_window, fact_scope, group_cols, narrowed, page_sql, periods_cte
from kpi.engine import Request, computes
from kpi.filters import Filters

SERVICE_PILLAR = "志愿服务"
# Home repair visits for elderly people living alone / empty-nest households.
REPAIR_TYPES = ("水电燃气维修", "安装晾衣架")


@computes("convenience_services", "home_repairs")
def _services(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "a.community")
    sql = f"""
        WITH {periods_cte(q, req.periods)}
        SELECT p.period{g},
               coalesce(sum(a.services) FILTER (WHERE a.pillar = {q.p("service_pillar", SERVICE_PILLAR)}), 0)
                   AS convenience_services,
               count(*) FILTER (WHERE list_contains({q.p("repair_types", list(REPAIR_TYPES))}::VARCHAR[],
                                                    a.activity_type)) AS home_repairs
        FROM periods p JOIN activities a ON a.date BETWEEN p.p_start AND p.p_end
        WHERE {date_window(q, req.periods, "a.date")} AND {fact_scope(q, req.filters, "a", pillar=True)}
        GROUP BY ALL"""
    return req.complete(q.run(cur, sql), ["convenience_services", "home_repairs"])


def services_by_type(con, filters: Filters) -> pd.DataFrame:
    """便民服务人次 by activity type: columns activity_type, activities, services (descending services).

    Same rows as `convenience_services` (志愿服务 pillar activities in scope); empty
    when the pillar filter leaves 志愿服务 out.
    """
    if filters.pillars and SERVICE_PILLAR not in filters.pillars:
        return pd.DataFrame({"activity_type": pd.Series(dtype="str"), "activities": pd.Series(dtype="int64"),
                             "services": pd.Series(dtype="float64")})
    q = Sql()
    sql = f"""
        SELECT a.activity_type, count(*) AS activities, coalesce(sum(a.services), 0)::DOUBLE AS services
        FROM activities a
        WHERE a.date BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}
          AND a.pillar = {q.p("service_pillar", SERVICE_PILLAR)} AND {fact_scope(q, filters, "a", pillar=True)}
        GROUP BY ALL ORDER BY services DESC, activity_type"""
    cur = con.cursor()
    try:
        return q.run(cur, sql)
    finally:
        cur.close()


# ---------------------------------------------------------------------- series and detail for the 便民服务 page
# Two kinds of service rows, both activities in scope (period, communities,
# compounds, pillar filter):
#   'convenience' — 志愿服务 pillar activities with a services count recorded
#                   (their services sum to 便民服务人次; empty when the pillar
#                   filter leaves 志愿服务 out, as the KPI);
#   'repair'      — home repair visits (REPAIR_TYPES; their rows count to 上门维修次数).
SERVICE_KINDS = ("convenience", "repair")



def _service_parts(q: Sql, filters: Filters) -> tuple[str, str | None, str]:
    """The service rows' conditions on `a`: (scope, convenience — None when the pillar filter leaves 志愿服务
    out —, repair)."""
    scope = (f"a.date BETWEEN {q.p('start', filters.start)} AND {q.p('end', filters.end)} "
             f"AND {fact_scope(q, filters, 'a', pillar=True)}")
    repair = f"list_contains({q.p('repair_types', list(REPAIR_TYPES))}::VARCHAR[], a.activity_type)"
    if filters.pillars and SERVICE_PILLAR not in filters.pillars:
        return scope, None, repair
    return scope, f"a.pillar = {q.p('service_pillar', SERVICE_PILLAR)} AND a.services IS NOT NULL", repair


def _service_rows(q: Sql, filters: Filters) -> str:
    """`s`: the service activities in scope with their `kind`.

    An activity that is both (a repair type recorded under the 志愿服务 pillar)
    appears once per kind, so each kind's sums equal its KPI.
    """
    scope, convenience, repair = _service_parts(q, filters)
    repairs = f"SELECT a.*, 'repair' AS kind FROM activities a WHERE {scope} AND {repair}"
    if convenience is None:
        return f"s AS ({repairs})"
    return f"""s AS (
        SELECT a.*, 'convenience' AS kind FROM activities a WHERE {scope} AND {convenience}
        UNION ALL {repairs})"""


def service_summary(con, filters: Filters) -> pd.DataFrame:
    """Per service type: columns kind ('convenience' | 'repair'), activity_type, activities, services
    (人次 for convenience services, households served for repairs; blank counts 0), partners (distinct
    co-building partners), last_date. Convenience first, then by services (descending)."""
    q = Sql()
    sql = f"""
        WITH {_service_rows(q, filters)}
        SELECT kind, activity_type, count(*) AS activities, coalesce(sum(services), 0)::DOUBLE AS services,
               count(DISTINCT nullif(trim(partner), '')) AS partners, max(date) AS last_date
        FROM s GROUP BY ALL ORDER BY kind, services DESC, activities DESC, activity_type"""
    df = q.run_on(con, sql)
    df["last_date"] = pd.to_datetime(df["last_date"]).dt.date
    return df


def services_monthly(con, filters: Filters, kind: str | None = None) -> pd.DataFrame:
    """Per month and service type: columns month (first day), kind, activity_type, activities, services;
    one `kind` only when given. Only months with rows (`kpi.series.month_periods` gives every month)."""
    if kind is not None and kind not in SERVICE_KINDS:
        raise ValueError(f"kind must be one of {SERVICE_KINDS}, got {kind!r}")
    q = Sql()
    only = f"WHERE kind = {q.p('kind', kind)}" if kind else ""
    sql = f"""
        WITH {_service_rows(q, filters)}
        SELECT date_trunc('month', date)::DATE AS month, kind, activity_type, count(*) AS activities,
               coalesce(sum(services), 0)::DOUBLE AS services
        FROM s {only} GROUP BY ALL ORDER BY month, kind, activity_type"""
    df = q.run_on(con, sql)
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def providers(con, filters: Filters) -> pd.DataFrame:
    """Who delivers the services — partners: columns partner (None = no partner recorded, i.e. the community's
    own volunteers), kind, activity_type, activities, services. Sorted by activities (descending)."""
    q = Sql()
    sql = f"""
        WITH {_service_rows(q, filters)}
        SELECT nullif(trim(partner), '') AS partner, kind, activity_type, count(*) AS activities,
               coalesce(sum(services), 0)::DOUBLE AS services
        FROM s GROUP BY ALL ORDER BY activities DESC, partner NULLS LAST, activity_type"""
    return q.run_on(con, sql)


def teams(con, filters: Filters) -> pd.DataFrame:
    """Who delivers the services — volunteer teams (服务队): columns team (None = no team), kind, activity_type,
    volunteers (distinct people, a count only), records, hours. From the volunteer service records linked
    (by activity id) to the service activities in scope. Sorted by hours (descending).

    With a viewer's scope (`Filters.allowed`), only records of volunteers registered in an allowed community
    count: a visiting volunteer's team and hours are their own community's data.

    A service record need not be dated on its activity's day, so the months its records lie in are looked up
    first (etl/summaries.py summary_hours_link) and only those months of volunteer_hours are read: at city scale
    a quarter's service activities link to 300 k of 27 M hours rows."""
    q = Sql()
    rows = _service_rows(q, filters)
    cur = con.cursor()
    try:
        first, last = cur.execute(f"""
            WITH {rows}
            SELECT min(l.month), max(l.month) FROM summary_hours_link l
            WHERE l.activity_id IN (SELECT activity_id FROM s)""", q.params).fetchone()
        if first is None:  # no service record names these activities: an empty window (the same empty frame)
            first = last = filters.start
        lo, hi = calendar.month_start(first), calendar.month_end(last) + timedelta(days=1)
        where = [f"h.date >= {q.p('hours_from', lo)}", f"h.date < {q.p('hours_to', hi)}"]
        if filters.allowed is not None:
            where.append(allowed_scope(q, filters, "v.community"))
        sql = f"""
            WITH {rows}
            SELECT nullif(trim(v.team), '') AS team, s.kind, s.activity_type,
                   count(DISTINCT h.volunteer_id) AS volunteers, count(*) AS records, sum(h.hours) AS hours
            FROM s JOIN volunteer_hours h ON h.activity_id = s.activity_id
            LEFT JOIN volunteers v ON v.volunteer_id = h.volunteer_id
            WHERE {" AND ".join(where)}
            GROUP BY ALL ORDER BY hours DESC, team NULLS LAST, activity_type"""
        return q.run(cur, sql)
    finally:
        cur.close()


# The service list's columns (a drill-down field among them narrows it; the sort control picks one).
LIST_COLUMNS = ("activity_id", "date", "community", "compound", "kind", "activity_type", "title", "partner",
                "services", "volunteers")
LIST_ORDER = "date DESC, activity_id"  # newest first; activity_id is the ledger's key: a total order


def _list_rows(q: Sql, filters: Filters, drill) -> str:
    # each activity once, in one scan (the ledger's activity_id is unique): 'repair' when it is one
    scope, convenience, repair = _service_parts(q, filters)
    base = f"""
        SELECT a.activity_id, a.date, a.community, a.compound,
               CASE WHEN {repair} THEN 'repair' ELSE 'convenience' END AS kind, a.activity_type, a.title,
               nullif(trim(a.partner), '') AS partner, a.services, a.volunteers
        FROM activities a WHERE {scope} AND ({repair}{"" if convenience is None else f" OR ({convenience})"})"""
    return narrowed(q, base, LIST_COLUMNS, drill)


def service_list(con, filters: Filters, drill=(), *, sort: str | None = None, descending: bool = False,
                 limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """The service activities (each once; kind 'repair' for a row that is both), newest first: activity_id,
    date, community, compound, kind, activity_type, title, partner, services, volunteers.

    `drill`, `sort`, `descending`, `limit`, `offset`: as `kpi.engagement.activity_list` (a drill's `month` is
    not a column here: the services page's month clicks change the period); `service_count` is the total."""
    q = Sql()
    sql = page_sql(q, _list_rows(q, filters, drill), LIST_COLUMNS, LIST_ORDER, sort, descending, limit, offset)
    df = q.rows_on(con, sql)
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


def service_count(con, filters: Filters, drill=()) -> int:
    """How many rows `service_list(con, filters, drill)` holds."""
    q = Sql()
    return q.count_on(con, _list_rows(q, filters, drill))
