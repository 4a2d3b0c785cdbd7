"""Disputes (矛盾纠纷): identification, mediation outcomes, referrals, days to resolve."""

from __future__ import annotations

import pandas as pd

from etl.contract import OUTCOMES
from kpi._sql import Sql, case_window, empty_frame, fact_scope, group_cols, periods_cte, pillar_excluded, ratio
from kpi.catalogue import PILLAR_OF_CASE_KIND
from kpi.engine import Request, computes
from kpi.filters import Filters

KIND = "矛盾纠纷"
SUCCESS = "调解成功"
REFERRED_OUTCOME = "转交"
TRANSFERRED = "已转办"
DISPUTE_PILLAR = PILLAR_OF_CASE_KIND[KIND]


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
              AND {case_window(q, req.periods, "c")}
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


# ---------------------------------------------------------------------- series and detail for the 矛盾纠纷与平安 page
# Same rules as the KPIs above. Every function returns an empty frame when the
# pillar filter leaves 社会治理 out.





def _cte(q: Sql, filters: Filters) -> str:
    """`c`: disputes in scope registered by the period's end, with days, referred, opened_in, closed_in."""
    return f"""
        c AS (
            SELECT c.*, date_diff('day', c.opened_on, c.closed_on) AS days,
                   coalesce(c.outcome = {q.p("referred", REFERRED_OUTCOME)}, FALSE)
                       OR c.status = {q.p("transferred", TRANSFERRED)} AS referred,
                   c.opened_on >= {q.p("start", filters.start)} AS opened_in,
                   coalesce(c.closed_on BETWEEN $start AND {q.p("end", filters.end)}, FALSE) AS closed_in
            FROM cases c
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, filters, "c")} AND c.opened_on <= $end
        )"""


def breakdown(con, filters: Filters) -> pd.DataFrame:
    """Disputes per category: columns category, disputes_handled (registered in the period), closed (closed in
    the period), with_outcome, succeeded, mediation_success_rate, dispute_days_median; each as its KPI,
    restricted to the category. Sorted by disputes_handled (descending)."""
    cols = {"category": "str", "disputes_handled": "int64", "closed": "int64", "with_outcome": "int64",
            "succeeded": "int64", "mediation_success_rate": "float64", "dispute_days_median": "float64"}
    if pillar_excluded(filters, DISPUTE_PILLAR):
        return empty_frame(cols)
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT category, count(*) FILTER (WHERE opened_in) AS disputes_handled,
               count(*) FILTER (WHERE closed_in) AS closed,
               count(*) FILTER (WHERE closed_in AND outcome IS NOT NULL) AS with_outcome,
               count(*) FILTER (WHERE closed_in AND outcome = {q.p("success", SUCCESS)}) AS succeeded,
               quantile_cont(days, 0.5) FILTER (WHERE closed_in AND NOT referred) AS dispute_days_median
        FROM c WHERE opened_in OR closed_in
        GROUP BY ALL ORDER BY disputes_handled DESC, closed DESC, category"""
    df = q.run_on(con, sql)
    df["mediation_success_rate"] = ratio(df["succeeded"], df["with_outcome"])
    df["dispute_days_median"] = df["dispute_days_median"].astype("float64")
    return df[list(cols)]


def outcomes(con, filters: Filters) -> pd.DataFrame:
    """Mediation outcomes of the disputes closed in the period (the denominator of 调解成功率): columns
    outcome, cases — 调解成功, 调解不成功, 转交 always present (in that order), then any other outcome."""
    if pillar_excluded(filters, DISPUTE_PILLAR):
        return empty_frame({"outcome": "str", "cases": "int64"})
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT outcome, count(*) AS cases FROM c WHERE closed_in AND outcome IS NOT NULL GROUP BY ALL"""
    got = q.run_on(con, sql)
    order = [o for o in OUTCOMES if o not in set(got["outcome"])]
    df = pd.concat([got, pd.DataFrame({"outcome": order, "cases": 0})], ignore_index=True)
    rank = {o: n for n, o in enumerate(OUTCOMES)}
    df["_o"] = [rank.get(o, len(rank)) for o in df["outcome"]]
    df = df.sort_values(["_o", "outcome"]).drop(columns="_o").reset_index(drop=True)
    df["cases"] = df["cases"].astype("int64")
    return df


def days_histogram(con, filters: Filters) -> pd.DataFrame:
    """Days to resolve (化解天数): columns days, cases, over the disputes closed in the period and not referred
    (the rows of 化解天数中位数), one row per day count present, ascending."""
    if pillar_excluded(filters, DISPUTE_PILLAR):
        return empty_frame({"days": "int64", "cases": "int64"})
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT days, count(*) AS cases FROM c WHERE closed_in AND NOT referred GROUP BY ALL ORDER BY days"""
    return q.run_on(con, sql)


def case_list(con, filters: Filters) -> pd.DataFrame:
    """Disputes registered or closed in the period, newest first: case_id, category, source, community,
    compound, opened_on, closed_on, status, outcome, days, summary (masked as stored).

    As at the period's end: `closed_on`, `outcome` and `days` (to close) are
    None for a dispute closed after the period — so the rows with an outcome
    are exactly those counted by `outcomes` / 调解成功率. `status` is as stored.
    """
    cols = ["case_id", "category", "source", "community", "compound", "opened_on", "closed_on", "status",
            "outcome", "days", "summary"]
    if pillar_excluded(filters, DISPUTE_PILLAR):
        return empty_frame({c: "object" for c in cols})
    q = Sql()
    sql = f"""
        WITH {_cte(q, filters)}
        SELECT case_id, category, nullif(trim(source), '') AS source, community, compound, opened_on,
               CASE WHEN closed_on <= $end THEN closed_on END AS closed_on, status,
               CASE WHEN closed_on <= $end THEN outcome END AS outcome,
               CASE WHEN closed_on <= $end THEN days END AS days, summary
        FROM c WHERE opened_in OR closed_in ORDER BY opened_on DESC, case_id"""
    df = q.rows_on(con, sql)
    for col in ("opened_on", "closed_on"):
        df[col] = pd.to_datetime(df[col]).dt.date.astype(object)  # object even when every value is missing
    return df[cols]
