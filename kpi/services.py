"""Services (便民服务): convenience services of the 志愿服务 pillar and home repair visits."""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, fact_scope, group_cols, periods_cte
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
        WHERE {fact_scope(q, req.filters, "a", pillar=True)}
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
