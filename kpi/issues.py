"""Issue resolution (诉求办理): resident requests, cases of kind 居民诉求.

Transferred cases (status 已转办) count in 受理数 only. "Open at the period's
end" is judged by dates: opened_on ≤ end and (closed_on is null or > end).
Time limits (SLA days) per category come from the `targets` argument (data/targets.toml, loaded by the caller).
"""

from __future__ import annotations

import pandas as pd

from kpi._sql import Sql, case_window, fact_scope, group_cols, periods_cte, pillar_excluded, ratio
from kpi.catalogue import PILLAR_OF_CASE_KIND
from kpi.engine import Request, computes
from kpi.filters import Filters
from kpi.targets import Targets

KIND = "居民诉求"
TRANSFERRED = "已转办"
SATISFIED_MIN = 4  # ratings 4 and 5 count as satisfied
ISSUE_PILLAR = PILLAR_OF_CASE_KIND[KIND]

_COUNTS = ["cases_opened", "cases_closed", "open_backlog", "overdue_backlog"]


# The case measures, defined once: the aggregates over `x` (one row per period × case that can meet it, with the
# flags of `case_periods`), used by the KPIs below and by the explorer (kpi/explore.py) grouped by its dimensions.
RATIOS = {"closure_rate": ("opened_closed", "opened_counted"), "on_time_rate": ("on_time", "cases_closed"),
          "satisfaction_rate": ("satisfied", "rated")}
STATISTICS = ("resolution_days_median", "resolution_days_p90")


def case_aggregates(q: Sql, names=None) -> dict[str, str]:
    """name → aggregate SQL over `x` (`case_periods`): the counts, the parts of RATIOS and the STATISTICS (only
    `names`, when given: a parameter is bound only when its aggregate is used)."""
    aggs = {
        "cases_opened": "count(*) FILTER (WHERE opened_in)",
        "cases_closed": "count(*) FILTER (WHERE closed_in)",
        "opened_counted": "count(*) FILTER (WHERE opened_in AND counted)",
        "opened_closed": "count(*) FILTER (WHERE opened_in AND counted AND closed_on <= p_end)",
        "resolution_days_median": "quantile_cont(days, 0.5) FILTER (WHERE closed_in)",
        "resolution_days_p90": "quantile_cont(days, 0.9) FILTER (WHERE closed_in)",
        "open_backlog": "count(*) FILTER (WHERE open_at_end)",
        "overdue_backlog": "count(*) FILTER (WHERE open_at_end AND date_diff('day', opened_on, p_end) > sla_days)",
        "on_time": "count(*) FILTER (WHERE closed_in AND days <= sla_days)",
        "rated": "count(*) FILTER (WHERE closed_in AND satisfaction IS NOT NULL)",
        "satisfied": lambda: f"count(*) FILTER (WHERE closed_in AND satisfaction >= "
                             f"{q.p('satisfied_min', SATISFIED_MIN)})",
    }
    return {n: (a() if callable(a) else a) for n, a in aggs.items() if names is None or n in names}


def case_periods(q: Sql, periods, targets: Targets, where: str) -> str:
    """CTE bodies `sla, c, x`: the resident requests satisfying `where` (over alias `c`; scope included by the
    caller) joined to every period they can meet, with the flags opened_in, closed_in, open_at_end, counted,
    days (to close) and sla_days the aggregates of `case_aggregates` read."""
    cats = sorted(targets.sla_days)
    return f"""
        sla AS (SELECT unnest({q.p("sla_cats", cats)}::VARCHAR[]) AS category,
                       unnest({q.p("sla_vals", [targets.sla_days[c] for c in cats])}::INTEGER[]) AS sla_days),
        c AS (
            SELECT c.*, coalesce(s.sla_days, {q.p("sla_default", targets.sla_default_days)}) AS sla_days,
                   date_diff('day', c.opened_on, c.closed_on) AS days,
                   c.status <> {q.p("transferred", TRANSFERRED)} AS counted
            FROM cases c LEFT JOIN sla s USING (category)
            WHERE c.kind = {q.p("kind", KIND)} AND {where}
              AND {case_window(q, periods, "c")}
        ),
        x AS (
            SELECT p.*, c.*,
                   c.opened_on >= p.p_start AS opened_in,
                   coalesce(c.closed_on BETWEEN p.p_start AND p.p_end, FALSE) AND c.counted AS closed_in,
                   c.counted AND (c.closed_on IS NULL OR c.closed_on > p.p_end) AS open_at_end
            FROM periods p JOIN c ON c.opened_on <= p.p_end
             AND (c.opened_on >= p.p_start OR c.closed_on IS NULL OR c.closed_on >= p.p_start)
        )"""


def finish_ratios(df: pd.DataFrame) -> pd.DataFrame:
    """The RATIOS from their parts (NaN where the denominator is 0)."""
    for name, (num, den) in RATIOS.items():
        if num in df and den in df:
            df[name] = ratio(df[num], df[den])
    return df


@computes(
    "cases_opened", "cases_closed", "closure_rate", "resolution_days_median", "resolution_days_p90",
    "open_backlog", "overdue_backlog", "on_time_rate", "satisfaction_rate",
)
def _issues(cur, req: Request) -> pd.DataFrame:
    q = Sql()
    g = group_cols(req.by, "community")
    aggs = ",\n               ".join(f"{sql} AS {name}" for name, sql in case_aggregates(q).items())
    sql = f"""
        WITH {periods_cte(q, req.periods)},
        {case_periods(q, req.periods, req.targets, fact_scope(q, req.filters, "c"))}
        SELECT period{g},
               {aggs}
        FROM x GROUP BY ALL"""
    df = req.complete(q.run(cur, sql), _COUNTS + ["opened_counted", "opened_closed", "on_time", "rated", "satisfied"])
    return finish_ratios(df)


# ---------------------------------------------------------------------- series and detail for the 诉求办理 page
# Same rules as the KPIs above (transferred cases only in 受理数; open = by dates).
# Every function returns an empty frame when the pillar filter leaves 居民自治 out.

AGING_BUCKETS = (("0–7", 0, 7), ("8–30", 8, 30), ("31–90", 31, 90), (">90", 91, None))
BREAKDOWNS = ("category", "source")
CASE_LISTS = ("overdue", "open", "opened", "closed")




def _cases_cte(q: Sql, filters: Filters, targets: Targets) -> str:
    """`c`: this kind's cases in scope with sla_days, days (to close), counted (not transferred)."""
    cats = sorted(targets.sla_days)
    return f"""
        sla AS (SELECT unnest({q.p("sla_cats", cats)}::VARCHAR[]) AS category,
                       unnest({q.p("sla_vals", [targets.sla_days[c] for c in cats])}::INTEGER[]) AS sla_days),
        c AS (
            SELECT c.*, coalesce(s.sla_days, {q.p("sla_default", targets.sla_default_days)}) AS sla_days,
                   date_diff('day', c.opened_on, c.closed_on) AS days,
                   c.status <> {q.p("transferred", TRANSFERRED)} AS counted,
                   c.opened_on BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)} AS opened_in,
                   coalesce(c.closed_on BETWEEN $start AND $end, FALSE)
                       AND c.status <> $transferred AS closed_in,
                   c.status <> $transferred AND c.opened_on <= $end
                       AND (c.closed_on IS NULL OR c.closed_on > $end) AS open_at_end,
                   date_diff('day', c.opened_on, $end::DATE) AS age
            FROM cases c LEFT JOIN sla s USING (category)
            WHERE c.kind = {q.p("kind", KIND)} AND {fact_scope(q, filters, "c")}
              AND c.opened_on <= $end
        )"""


def _bucket(q: Sql) -> str:
    """The aging bucket of `age` (days since registration at the period's end)."""
    whens = " ".join(
        f"WHEN age <= {q.p(f'hi{n}', hi)} THEN {q.p(f'bucket{n}', name)}"
        for n, (name, _, hi) in enumerate(AGING_BUCKETS) if hi is not None
    )
    return f"CASE {whens} ELSE {q.p('bucket_last', AGING_BUCKETS[-1][0])} END"


def breakdown(con, filters: Filters, by: str = "category", *, targets: Targets) -> pd.DataFrame:
    """Requests per category or per source (来源): columns `<by>`, cases_opened, cases_closed, open_backlog,
    overdue_backlog, on_time_rate, satisfaction_rate, resolution_days_median.

    Each column follows its KPI's definition restricted to the group, so the
    counts sum to the KPIs. A blank source is None. Sorted by cases_opened
    (descending).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, got {by!r}")
    cols = [by, "cases_opened", "cases_closed", "open_backlog", "overdue_backlog", "on_time_rate",
            "satisfaction_rate", "resolution_days_median"]
    if pillar_excluded(filters, ISSUE_PILLAR):
        return pd.DataFrame({c: pd.Series(dtype="str" if c == by else "float64") for c in cols})
    q = Sql()
    key = "nullif(trim(source), '')" if by == "source" else "category"
    sql = f"""
        WITH {_cases_cte(q, filters, targets)}
        SELECT {key} AS {by},
               count(*) FILTER (WHERE opened_in) AS cases_opened,
               count(*) FILTER (WHERE closed_in) AS cases_closed,
               count(*) FILTER (WHERE open_at_end) AS open_backlog,
               count(*) FILTER (WHERE open_at_end AND age > sla_days) AS overdue_backlog,
               count(*) FILTER (WHERE closed_in AND days <= sla_days) AS on_time,
               count(*) FILTER (WHERE closed_in AND satisfaction IS NOT NULL) AS rated,
               count(*) FILTER (WHERE closed_in AND satisfaction >= {q.p("satisfied_min", SATISFIED_MIN)})
                   AS satisfied,
               quantile_cont(days, 0.5) FILTER (WHERE closed_in) AS resolution_days_median
        FROM c WHERE opened_in OR closed_in OR open_at_end
        GROUP BY ALL ORDER BY cases_opened DESC, cases_closed DESC, {by} NULLS LAST"""
    df = q.run_on(con, sql)
    df["on_time_rate"] = ratio(df["on_time"], df["cases_closed"])
    df["satisfaction_rate"] = ratio(df["satisfied"], df["rated"])
    df["resolution_days_median"] = df["resolution_days_median"].astype("float64")
    return df[cols]


def days_to_close(con, filters: Filters) -> pd.DataFrame:
    """Distribution of days to close: columns days, cases (requests closed in the period, transferred
    excluded — the rows of 办结天数中位数 / 90分位), one row per day count present, ascending."""
    if pillar_excluded(filters, ISSUE_PILLAR):
        return pd.DataFrame({"days": pd.Series(dtype="int64"), "cases": pd.Series(dtype="int64")})
    q = Sql()
    sql = f"""
        SELECT date_diff('day', c.opened_on, c.closed_on) AS days, count(*) AS cases
        FROM cases c
        WHERE c.kind = {q.p("kind", KIND)} AND c.status <> {q.p("transferred", TRANSFERRED)}
          AND c.closed_on BETWEEN {q.p("start", filters.start)} AND {q.p("end", filters.end)}
          AND {fact_scope(q, filters, "c")}
        GROUP BY ALL ORDER BY days"""
    return q.run_on(con, sql)


def backlog_aging(con, filters: Filters, *, targets: Targets) -> pd.DataFrame:
    """The open backlog at the period's end by age: columns bucket ('0–7', '8–30', '31–90', '>90' days since
    registration, in that order, all present), cases, overdue. Sums equal open_backlog / overdue_backlog."""
    buckets = pd.DataFrame({"bucket": [b for b, _, _ in AGING_BUCKETS]})
    if pillar_excluded(filters, ISSUE_PILLAR):
        return buckets.assign(cases=pd.Series(dtype="int64"), overdue=pd.Series(dtype="int64")).iloc[0:0]
    q = Sql()
    sql = f"""
        WITH {_cases_cte(q, filters, targets)}
        SELECT {_bucket(q)} AS bucket,
               count(*) AS cases, count(*) FILTER (WHERE age > sla_days) AS overdue
        FROM c WHERE open_at_end GROUP BY ALL"""
    df = buckets.merge(q.run_on(con, sql), on="bucket", how="left")
    for col in ("cases", "overdue"):
        df[col] = df[col].fillna(0).astype("int64")
    return df


def case_list(con, filters: Filters, which: str = "overdue", *, targets: Targets) -> pd.DataFrame:
    """Resident requests, one row per case: case_id, category, source, community, compound, opened_on,
    closed_on, status, days, sla_days, overdue, bucket, satisfaction, summary.

    `which`: 'overdue' (open at the period's end and older than their time
    limit = 超期积案), 'open' (在办积案), 'opened' (registered in the period,
    transferred included = 受理数), 'closed' (closed in the period = 办结数).
    `days`: days to close for a case closed by the period's end, else its age
    at the period's end. `bucket`: the aging bucket (`backlog_aging`) of a case
    open at the period's end, else None. `summary` is the ledger text, masked
    as stored.
    Oldest first for 'overdue' / 'open', newest first otherwise.
    """
    if which not in CASE_LISTS:
        raise ValueError(f"which must be one of {CASE_LISTS}, got {which!r}")
    cols = ["case_id", "category", "source", "community", "compound", "opened_on", "closed_on", "status", "days",
            "sla_days", "overdue", "bucket", "satisfaction", "summary"]
    if pillar_excluded(filters, ISSUE_PILLAR):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    q = Sql()
    where = {"overdue": "open_at_end AND age > sla_days", "open": "open_at_end", "opened": "opened_in",
             "closed": "closed_in"}[which]
    order = "opened_on, case_id" if which in ("overdue", "open") else "opened_on DESC, case_id"
    sql = f"""
        WITH {_cases_cte(q, filters, targets)}
        SELECT case_id, category, nullif(trim(source), '') AS source, community, compound, opened_on,
               closed_on, status,
               CASE WHEN closed_on <= $end THEN days ELSE age END AS days, sla_days,
               open_at_end AND age > sla_days AS overdue,
               CASE WHEN open_at_end THEN {_bucket(q)} END AS bucket, satisfaction, summary
        FROM c WHERE {where} ORDER BY {order}"""
    df = q.rows_on(con, sql)
    for col in ("opened_on", "closed_on"):
        df[col] = pd.to_datetime(df[col]).dt.date.astype(object)  # object even when every value is missing
    return df[cols]
