"""Small SQL composition helpers shared by the KPI modules.

Every value reaches DuckDB as a named bound parameter (``$name``); the SQL text
only varies by *which* predicates are present (e.g. no community predicate
when no community is selected), never by the values themselves.

The viewer's scope (`Filters.allowed`) is one more predicate, `allowed_scope`,
added by `fact_scope` and `community_scope` (and used directly wherever a query
reads the community or compound register or volunteers): with `allowed` set,
no row of another community can reach a result, whatever the chosen filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.filters import Filters

Period = tuple[date, date]


class Sql:
    """Collects the named parameters a statement uses while it is composed."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def p(self, name: str, value: Any) -> str:
        """Bind `value` as `$name` and return the placeholder."""
        if name in self.params and self.params[name] != value:
            raise ValueError(f"parameter {name!r} bound twice with different values")
        self.params[name] = value
        return f"${name}"

    def run(self, cur, sql: str) -> pd.DataFrame:
        return cur.execute(sql, self.params).df()

    def run_on(self, con, sql: str) -> pd.DataFrame:
        """Run on a cursor of its own (a DuckDB connection is not thread-safe; cursors are)."""
        cur = con.cursor()
        try:
            return self.run(cur, sql)
        finally:
            cur.close()

    def count_on(self, con, rows: str) -> int:
        """How many rows the SELECT `rows` gives (on a cursor of its own)."""
        cur = con.cursor()
        try:
            return int(cur.execute(count_sql(rows), self.params).fetchone()[0])
        finally:
            cur.close()

    def rows_on(self, con, sql: str) -> pd.DataFrame:
        """`run_on` for long row lists (the pages' detail tables, 300 k rows at city scale): fetched as Arrow and
        converted in one step, about three times faster than DuckDB's `.df()` for text columns, and the same
        frame (pandas' string dtype for text, nullable integers where a column has NULLs, datetime64 dates)."""
        cur = con.cursor()
        try:
            if not isinstance(cur, duckdb.DuckDBPyConnection):  # another engine's cursor: its own .df()
                return self.run(cur, sql)
            table = cur.sql(sql, params=self.params).to_arrow_table()
            # no rows: cheap to fetch again, and `.df()` types an empty text column differently
            return arrow_frame(table) if table.num_rows else self.run(cur, sql)
        finally:
            cur.close()


_NULLABLE_INT = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                 pa.int64(): pd.Int64Dtype()}


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as the frame DuckDB's `.df()` gives for the same result."""
    df = table.to_pandas(date_as_object=False)
    for field, col in zip(table.schema, table.columns, strict=True):
        if field.type in _NULLABLE_INT and col.null_count:
            df[field.name] = col.to_pandas(types_mapper=_NULLABLE_INT.get)
        elif pa.types.is_string(field.type) and col.null_count == len(col):  # all NULL: .df() gives None objects
            df[field.name] = pd.Series([None] * len(col), dtype=object, index=df.index)
        elif pa.types.is_boolean(field.type) and col.null_count:
            df[field.name] = col.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        elif pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            df[field.name] = df[field.name].astype("datetime64[us]")
        elif pa.types.is_decimal(field.type):
            df[field.name] = df[field.name].astype("float64")
    return df


def empty_frame(cols: dict[str, str]) -> pd.DataFrame:
    """A frame with these columns and dtypes and no rows (what a series returns out of scope)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})


def pillar_excluded(filters: Filters, pillar: str) -> bool:
    """True when pillars are chosen and `pillar` is not among them (the KPI's domain is out of scope)."""
    return bool(filters.pillars) and pillar not in filters.pillars


def periods_cte(q: Sql, periods: Sequence[Period], previous: Sequence[Period] | None = None) -> str:
    """`periods(period, p_start, p_end[, p_prev_start, p_prev_end])` as a CTE body."""
    cols = [
        f"unnest({q.p('period_ids', list(range(len(periods))))}::INTEGER[]) AS period",
        f"unnest({q.p('period_starts', [s for s, _ in periods])}::DATE[]) AS p_start",
        f"unnest({q.p('period_ends', [e for _, e in periods])}::DATE[]) AS p_end",
    ]
    if previous is not None:
        cols += [
            f"unnest({q.p('prev_starts', [s for s, _ in previous])}::DATE[]) AS p_prev_start",
            f"unnest({q.p('prev_ends', [e for _, e in previous])}::DATE[]) AS p_prev_end",
        ]
    return "periods AS (SELECT " + ", ".join(cols) + ")"


def date_window(q: Sql, periods: Sequence[Period], column: str) -> str:
    """`column` within the span of all `periods` (implied by any per-period date join; a constant bound lets
    DuckDB skip row groups of other years instead of joining every row to every period)."""
    lo = q.p("span_lo", min(s for s, _ in periods))
    hi = q.p("span_hi", max(e for _, e in periods))
    return f"{column} BETWEEN {lo} AND {hi}"


def case_window(q: Sql, periods: Sequence[Period], alias: str) -> str:
    """Cases that can meet some period: opened by the last end and not closed before the first start (the
    disjunction of the per-period case joins, so it never drops a row they keep)."""
    lo = q.p("span_lo", min(s for s, _ in periods))
    hi = q.p("span_hi", max(e for _, e in periods))
    return (f"{alias}.opened_on <= {hi} AND ({alias}.opened_on >= {lo} OR {alias}.closed_on IS NULL "
            f"OR {alias}.closed_on >= {lo})")


def allowed_scope(q: Sql, f: Filters, column: str) -> str:
    """Predicate restricting a community column to the viewer's scope (`Filters.allowed`); TRUE when unset.

    An empty `allowed` gives a predicate no row satisfies (never "all").
    """
    if f.allowed is None:
        return "TRUE"
    return f"list_contains({q.p('allowed', list(f.allowed))}::VARCHAR[], {column})"


def allowed_any(q: Sql, f: Filters, column: str) -> str:
    """Predicate for a list-of-communities column (`load_batches.communities`): it names an allowed community.

    TRUE when `allowed` is unset; an empty `allowed` (or a NULL list) gives a predicate no row satisfies.
    """
    if f.allowed is None:
        return "TRUE"
    return f"coalesce(list_has_any({q.p('allowed', list(f.allowed))}::VARCHAR[], {column}), FALSE)"


def fact_scope(q: Sql, f: Filters, alias: str, *, pillar: bool = False) -> str:
    """Predicate restricting a fact table (activities, cases) to the scope (and the viewer's `allowed`)."""
    parts = []
    if f.allowed is not None:
        parts.append(allowed_scope(q, f, f"{alias}.community"))
    if f.communities:
        parts.append(f"list_contains({q.p('communities', list(f.communities))}::VARCHAR[], {alias}.community)")
    if f.compounds:
        parts.append(f"list_contains({q.p('compounds', list(f.compounds))}::VARCHAR[], {alias}.compound)")
    if pillar and f.pillars:
        parts.append(f"list_contains({q.p('pillars', list(f.pillars))}::VARCHAR[], {alias}.pillar)")
    return " AND ".join(parts) or "TRUE"


def community_scope(q: Sql, f: Filters, column: str) -> str:
    """Predicate restricting a community column to the scope's communities.

    With a compound filter these are the (selected) communities that contain at
    least one selected compound according to the compound register. Always
    within the viewer's `allowed` communities.
    """
    parts = []
    if f.allowed is not None:
        parts.append(allowed_scope(q, f, column))
    if f.communities:
        parts.append(f"list_contains({q.p('communities', list(f.communities))}::VARCHAR[], {column})")
    if f.compounds:
        parts.append(
            f"{column} IN (SELECT community FROM compounds "
            f"WHERE list_contains({q.p('compounds', list(f.compounds))}::VARCHAR[], name))"
        )
    return " AND ".join(parts) or "TRUE"


def group_cols(by: str | None, column: str) -> str:
    """Extra SELECT / GROUP BY column for the grouping (or nothing for the scalar)."""
    return f", {column} AS community" if by else ""


def ratio(num: pd.Series, den: pd.Series, scale: float = 100.0) -> pd.Series:
    """scale × num ÷ den, NaN where the denominator is 0 or missing."""
    n = num.to_numpy(dtype="float64", na_value=np.nan)
    d = den.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, scale * n / d, np.nan)
    return pd.Series(out, index=num.index, dtype="float64")


# ---------------------------------------------------------------------- long row lists, a page at a time
# The pages' detail lists hold 300 k rows at city scale: the page shows 50 of them. The drill-down narrowing
# (`ui.drilldown.narrow`), the sort control and the page are applied in SQL, so only the shown page (and the
# count) leaves DuckDB; a download asks for every narrowed row (no limit).
MONTH = "month"


def drill_pairs(drill) -> tuple[tuple[str, str], ...]:
    """A drill (a mapping or pairs of field → value) as sorted (field, text) pairs: hashable, for the cache."""
    items = drill.items() if hasattr(drill, "items") else (drill or ())
    return tuple(sorted((str(k), str(v)) for k, v in items))


def narrowed(q: Sql, base: str, columns: Sequence[str], drill, month_col: str | None = None) -> str:
    """The rows of the SELECT `base` (as `x`) matching every drill value, as `ui.drilldown.narrow` does: a field
    among `columns` compares as text (bound), `month` keeps rows whose `month_col` date lies in that month, any
    other field is ignored (field names never reach the SQL text unless they are one of `columns`)."""
    from kpi.calendar import parse_month

    where = []
    for n, (field, value) in enumerate(drill_pairs(drill)):
        if field == MONTH and month_col:
            m = parse_month(value)
            where.append(f"x.{month_col} BETWEEN {q.p(f'dd_{n}_start', m.start)} AND {q.p(f'dd_{n}_end', m.end)}")
        elif field in columns:
            where.append(f"CAST(x.{field} AS VARCHAR) = {q.p(f'dd_{n}', value)}")
    return f"SELECT x.* FROM ({base}) x" + (f" WHERE {' AND '.join(where)}" if where else "")


def page_sql(q: Sql, rows: str, columns: Sequence[str], order: str, sort: str | None = None,
             descending: bool = False, limit: int | None = None, offset: int = 0) -> str:
    """`rows` (a SELECT, e.g. `narrowed`) in the list's own `order` — or by the column `sort` first (missing
    values last, then the list's order: the detail table's stable sort) — and, with `limit`, one page of it."""
    if sort in columns:
        order = f"{sort} {'DESC' if descending else 'ASC'} NULLS LAST, {order}"
    sql = f"SELECT * FROM ({rows}) y ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {q.p('limit', int(limit))} OFFSET {q.p('offset', max(0, int(offset)))}"
    return sql


def count_sql(rows: str) -> str:
    return f"SELECT count(*) AS n FROM ({rows}) y"
