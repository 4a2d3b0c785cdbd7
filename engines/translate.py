"""The one translation of the KPI layer's SQL (DuckDB's dialect: the definition) into Spark SQL.

`to_spark(sql, params)` parses the DuckDB statement once per SQL text (cached), applies the fixes below to the
tree, and then, per call, replaces every parameter (`$name` with a dict, `?` with a sequence) by a literal built by
sqlglot from the Python value (strings quoted and escaped by sqlglot's Spark generator, never formatted into the
text by hand). The fixes, each for a construct where sqlglot's Spark output differs from what DuckDB computes:

- several `unnest(list) AS x` in one SELECT (`kpi._sql.periods_cte`) zip their lists in DuckDB; Spark allows one
  generator per SELECT, so they become one `INLINE(ARRAYS_ZIP(...)) AS (x, y, ...)`;
- `UNION [ALL] BY NAME` (DuckDB only): each SELECT of the chain lists the union of the columns, in order of
  first appearance, with `NULL AS x` for a column it lacks (`SELECT * FROM <cte>` first takes the CTE's columns);
- `sum(...)` is HUGEINT for integers in DuckDB, which its pandas conversion gives as float64: Spark's BIGINT sum is
  cast to DOUBLE so frames keep DuckDB's dtypes (exact for any count below 2**53);
- `quantile_cont(x, q)` → `PERCENTILE(x, q)` (both exact, linear interpolation; Spark's `PERCENTILE_CONT` needs
  WITHIN GROUP);
- `list_has_any(a, b)` → `ARRAYS_OVERLAP(a, b)` (sqlglot writes DuckDB's `&&`);
- `list_intersect(a, b)` → `ARRAY_INTERSECT(a, b)`;
- `date_diff('day', a, b)` → `CAST(DATEDIFF(b, a) AS BIGINT)` (whole days between two dates, BIGINT as DuckDB's).

Spark runs with ANSI mode off (`engines.spark`), so a division by zero is NULL as in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlglot
from sqlglot import exp


class TranslationError(ValueError):
    """A statement or a parameter the Spark translation does not support."""


def _zip_unnests(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        gens = [(i, e) for i, e in enumerate(select.expressions)
                if isinstance(e, exp.Alias) and isinstance(e.this, (exp.Explode, exp.Unnest))]
        if len(gens) < 2:
            continue
        if len(gens) != len(select.expressions):
            raise TranslationError("unnest() mixed with other columns in one SELECT")
        arrays = [(g.this.this if isinstance(g.this, exp.Explode) else g.this.expressions[0]) for _, g in gens]
        zipped = exp.Anonymous(this="INLINE", expressions=[exp.Anonymous(this="ARRAYS_ZIP", expressions=arrays)])
        select.set("expressions", [exp.Aliases(this=zipped, expressions=[exp.to_identifier(g.alias) for _, g in gens])])
    return tree


def _names(node: exp.Expression, ctes: dict[str, exp.Expression]) -> list[str] | None:
    """The output column names of a SELECT or a union (by name: every leaf's, in order of first appearance), a
    `SELECT * FROM <cte>` resolved through the statement's own CTEs; None when they cannot be known."""
    if isinstance(node, exp.Union):
        parts = [_names(node.this, ctes), *([_names(node.expression, ctes)] if node.args.get("by_name") else [])]
        if any(p is None for p in parts):
            return None
        return list(dict.fromkeys(n for p in parts for n in p))
    if not isinstance(node, exp.Select):
        return None
    if any(isinstance(e, exp.Star) for e in node.expressions):
        source = node.args.get("from_") or node.args.get("from")
        table = source.this if source is not None else None
        if len(node.expressions) != 1 or node.args.get("joins") or not isinstance(table, exp.Table) \
                or table.name not in ctes:
            return None
        return _names(ctes[table.name], ctes)
    return [e.alias_or_name for e in node.expressions]


def _union_by_name(tree: exp.Expression) -> exp.Expression:
    ctes = {c.alias: c.this for c in tree.find_all(exp.CTE)}
    for top in list(tree.find_all(exp.Union)):
        if not top.args.get("by_name") or (isinstance(top.parent, exp.Union) and top.parent.args.get("by_name")):
            continue
        chain, leaves, todo = [top], [], [top.expression, top.this]
        while todo:  # left to right through the chain of by-name unions
            node = todo.pop()
            if isinstance(node, exp.Union) and node.args.get("by_name"):
                chain.append(node)
                todo += [node.expression, node.this]
            else:
                leaves.append(node)
        names: list[str] = []
        for leaf in leaves:
            if isinstance(leaf, exp.Select) and any(isinstance(e, exp.Star) for e in leaf.expressions):
                expanded = _names(leaf, ctes)  # `SELECT * FROM <cte>`: the CTE's columns, by name
                if expanded is not None:
                    leaf.set("expressions", [exp.column(n) for n in expanded])
            if not isinstance(leaf, exp.Select) or any(isinstance(e, exp.Star) for e in leaf.expressions):
                raise TranslationError("UNION BY NAME needs SELECTs with named columns")
            names += [e.alias_or_name for e in leaf.expressions if e.alias_or_name not in names]
        for leaf in leaves:
            have = {e.alias_or_name: e for e in leaf.expressions}
            leaf.set("expressions", [have.get(n) or exp.alias_(exp.Null(), n) for n in names])
        for u in chain:
            u.set("by_name", None)
    return tree


def _fix(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.PercentileCont):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this, node.expression])
    if isinstance(node, exp.ArrayIntersect) or (isinstance(node, exp.Anonymous)
                                                and node.name.lower() == "list_intersect"):
        return exp.Anonymous(this="ARRAY_INTERSECT", expressions=node.expressions)
    if isinstance(node, exp.DateDiff):
        unit = (node.text("unit") or "DAY").upper()
        if unit not in ("DAY", "DAYS"):
            raise TranslationError(f"date_diff unit {unit!r}")
        return exp.cast(exp.Anonymous(this="DATEDIFF", expressions=[node.this, node.expression]),
                        exp.DataType.build("BIGINT"))
    return node


def _sums_as_double(tree: exp.Expression) -> exp.Expression:
    for s in list(tree.find_all(exp.Sum)):
        target: exp.Expression = s
        while isinstance(target.parent, (exp.Filter, exp.Window)) and target.parent.this is target:
            target = target.parent
        target.replace(exp.cast(target.copy(), exp.DataType.build("DOUBLE")))
    return tree


@functools.lru_cache(maxsize=1024)
def _template(sql: str) -> exp.Expression:
    """The DuckDB statement as a Spark-ready tree with its parameters still as placeholders (cached by text)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise TranslationError(f"cannot parse: {e}") from e
    tree = _zip_unnests(tree)
    tree = _union_by_name(tree)
    tree = _sums_as_double(tree)
    for node in reversed(list(tree.find_all(exp.PercentileCont, exp.ArrayOverlaps, exp.ArrayIntersect, exp.Anonymous, exp.DateDiff))):
        node.replace(_fix(node))  # innermost first: a replaced node keeps its (already fixed) children
    return tree


def literal(value: Any) -> exp.Expression:
    """A Python value as a Spark SQL literal tree (lists become ARRAY(...))."""
    if value is None or isinstance(value, (bool, int, float, str, decimal.Decimal)):
        return exp.convert(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP_NTZ"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TranslationError(f"unsupported parameter type {type(value).__name__}")


def to_spark(sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> str:
    """The DuckDB statement `sql` with its parameters as Spark SQL text (see the module docstring)."""
    tree = _template(sql).copy()
    positional = list(params) if params is not None and not isinstance(params, Mapping) else None
    named = params if isinstance(params, Mapping) else {}
    seen = 0

    def bind(node: exp.Expression) -> exp.Expression:
        nonlocal seen
        if not isinstance(node, exp.Placeholder):
            return node
        name = node.name
        if name and name != "?":
            if name not in named:
                raise TranslationError(f"parameter ${name} not bound")
            return literal(named[name])
        if positional is None or seen >= len(positional):
            raise TranslationError("too few positional parameters")
        seen += 1
        return literal(positional[seen - 1])

    out = tree.transform(bind)
    if positional is not None and seen != len(positional):
        raise TranslationError(f"{len(positional)} parameters for {seen} markers")
    return out.sql(dialect="spark")
