"""The KPI layer on three engines: the warehouse (duckdb), the Parquet lake in DuckDB (duckdb-lake) and the same lake
in Spark (spark) give equal results for every catalogue KPI and every page series (tests/engine_parity.py)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

import engines
from engines.translate import TranslationError, to_spark
from tests import engine_parity as P


@pytest.fixture(scope="module")
def reference(demo_db):
    """Every parity call on the warehouse itself (the duckdb engine): the results the others must equal."""
    con = engines.connect("duckdb", db=demo_db)
    try:
        yield P.run_all(con)
    finally:
        con.close()


# ---------------------------------------------------------------------- the one translation (no Spark needed)

def test_parameters_become_literals_escaped_by_sqlglot():
    sql = to_spark("SELECT * FROM t WHERE name = $n AND d BETWEEN $s AND $e AND list_contains($xs::VARCHAR[], c)",
                   {"n": "O'Brien\\'); DROP TABLE t; --", "s": dt.date(2024, 1, 1), "e": dt.date(2024, 3, 31),
                    "xs": ["a", "b"]})
    assert sql == ("SELECT * FROM t WHERE name = 'O\\'Brien\\\\\\'); DROP TABLE t; --' AND d BETWEEN "
                   "CAST('2024-01-01' AS DATE) AND CAST('2024-03-31' AS DATE) AND "
                   "ARRAY_CONTAINS(CAST(ARRAY('a', 'b') AS ARRAY<STRING>), c)")
    assert to_spark("SELECT a FROM t WHERE a = ? AND b = ?", ["x", 3]) == "SELECT a FROM t WHERE a = 'x' AND b = 3"
    with pytest.raises(TranslationError):
        to_spark("SELECT a FROM t WHERE a = $missing", {})
    with pytest.raises(TranslationError):
        to_spark("SELECT a FROM t WHERE a = ?", ["x", "y"])


def test_duckdb_constructs_sqlglot_does_not_carry_are_fixed_in_the_translation():
    zipped = to_spark("SELECT unnest($a::INTEGER[]) AS i, unnest($b::DATE[]) AS d",
                      {"a": [0, 1], "b": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]})
    assert zipped.startswith("SELECT INLINE(ARRAYS_ZIP(CAST(ARRAY(0, 1) AS ARRAY<INT>), ") and zipped.endswith(
        "AS (i, d)")
    union = to_spark("SELECT a, 1 AS b FROM t UNION ALL BY NAME SELECT c FROM u", {})
    assert union == "SELECT a, 1 AS b, NULL AS c FROM t UNION ALL SELECT NULL AS a, NULL AS b, c FROM u"
    starred = to_spark("WITH a AS (SELECT 1 AS x, 2 AS y), b AS (SELECT 3 AS y UNION ALL BY NAME SELECT 4 AS z) "
                       "SELECT 5 AS x UNION ALL BY NAME SELECT * FROM a UNION ALL BY NAME SELECT * FROM b", {})
    assert starred == ("WITH a AS (SELECT 1 AS x, 2 AS y), b AS (SELECT 3 AS y, NULL AS z UNION ALL "
                       "SELECT NULL AS y, 4 AS z) SELECT 5 AS x, NULL AS y, NULL AS z UNION ALL "
                       "SELECT x, y, NULL AS z FROM a UNION ALL SELECT NULL AS x, y, z FROM b")
    assert to_spark("SELECT sum(x) FILTER (WHERE y) AS s FROM t", {}) == \
        "SELECT CAST(SUM(x) FILTER(WHERE y) AS DOUBLE) AS s FROM t"
    assert to_spark("SELECT quantile_cont(date_diff('day', a, b), 0.9) AS q FROM t", {}) == \
        "SELECT PERCENTILE(CAST(DATEDIFF(b, a) AS BIGINT), 0.9) AS q FROM t"
    assert to_spark("SELECT list_has_any(x, y) AS o FROM t", {}) == "SELECT ARRAYS_OVERLAP(x, y) AS o FROM t"


# ---------------------------------------------------------------------- choosing an engine

def test_engine_choice_and_bad_choices(monkeypatch, tmp_path):
    monkeypatch.delenv("GOV_ENGINE", raising=False)
    monkeypatch.delenv("GOV_LAKE", raising=False)
    assert engines.engine_name() == "duckdb"
    monkeypatch.setenv("GOV_ENGINE", "DuckDB-Lake")
    assert engines.engine_name() == "duckdb-lake"
    with pytest.raises(engines.EngineError) as e:
        engines.engine_name("oracle")
    assert "未知的查询引擎" in e.value.zh and "unknown engine" in e.value.en
    with pytest.raises(engines.EngineError) as e:
        engines.connect("duckdb-lake")
    assert "GOV_LAKE" in e.value.zh
    with pytest.raises(engines.EngineError) as e:
        engines.connect("spark", lake=tmp_path)
    assert "_manifest.json" in e.value.en


# ---------------------------------------------------------------------- duckdb-lake

def test_lake_views_have_the_warehouse_columns_types_and_rows(demo_db, demo_lake):
    wh = duckdb.connect(str(demo_db), read_only=True)
    lake = engines.connect("duckdb-lake", lake=demo_lake)
    manifest = json.loads((demo_lake / "_manifest.json").read_text(encoding="utf-8"))
    try:
        for table in manifest["tables"]:
            q = f"SELECT * FROM {table}"
            want = [(d[0], str(d[1])) for d in wh.execute(q).description]
            got = [(d[0], str(d[1])) for d in lake.execute(q).description]
            assert got == want, table  # no `year` leaking from the Hive folders
            assert lake.execute(f"SELECT count(*) FROM {table}").fetchone() == \
                wh.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert dict(lake.execute("SELECT key, value FROM meta").fetchall()) == \
            dict(wh.execute("SELECT key, value FROM meta").fetchall())
    finally:
        wh.close()
        lake.close()


def test_duckdb_lake_parity(reference, demo_lake):
    con = engines.connect("duckdb-lake", lake=demo_lake)
    try:
        got = P.run_all(con)
    finally:
        con.close()
    assert len(got) == len(reference) > 150
    assert not [k for k, v in reference.items() if isinstance(v, Exception)]
    assert P.compare_results(reference, got, "duckdb-lake") == []


def test_page_series_are_read_from_the_pages():
    found = P.page_series()
    # a few the pages are known to call (the list itself is generic)
    for name in ("kpi:compare", "kpi.series:monthly", "kpi.scorecard:evaluate", "kpi.services:services_monthly",
                 "kpi.issues:case_list", "kpi:scope_options"):
        assert name in found
    assert len(found) >= 30


# ---------------------------------------------------------------------- spark

SPARK_SERIES_SCOPES = {"compound+pillar"}  # every series on one scope: Spark costs ~0.2–1 s a statement


@pytest.mark.spark
def test_spark_parity(reference, spark_con):
    """Every catalogue KPI for every scope, every page series for one scope (compounds + pillars), on Spark
    (local[2]) = duckdb; the cluster test and the briefing batch run more of them."""
    got = P.run_all(spark_con, threads=4, series_scopes=SPARK_SERIES_SCOPES)
    assert len(got) > 50
    assert P.compare_results(reference, got, "spark") == []


@pytest.mark.spark
def test_spark_values_with_quotes_reach_the_query_as_data(spark_con, demo_db):
    import kpi
    from kpi.filters import Filters
    from tests.conftest import TARGETS

    f = P.SCOPES[0][1]
    hostile = f.restricted_to(("南湾社区", "x'); SELECT 1; --", "a\\'b"))
    want = kpi.compare(engines.connect("duckdb", db=demo_db), hostile, targets=TARGETS)
    got = kpi.compare(spark_con, hostile, targets=TARGETS)
    assert P.differences(want, got) == []
    assert isinstance(hostile, Filters) and got["current"].notna().any()
