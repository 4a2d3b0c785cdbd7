"""`Sql.rows_on` (the detail lists' Arrow fetch) gives the frame DuckDB's `.df()` gives: same values, same dtypes."""

from __future__ import annotations

import duckdb
import pandas as pd

from kpi._sql import Sql

ROWS = """SELECT * FROM (VALUES
    ('a', DATE '2024-01-02', 1, NULL::INTEGER, 2.5::DECIMAL(10, 2), TRUE, NULL::VARCHAR, 3::BIGINT, FALSE,
     TIMESTAMP '2024-01-02 03:04:05', NULL::VARCHAR),
    (NULL, NULL, 2, 5, NULL, NULL, '社区', 4, TRUE, NULL, NULL),
    ('c', DATE '2024-03-04', 3, 6, 1.0, FALSE, '', 5, FALSE, TIMESTAMP '2025-12-31 23:59:59', NULL))
    v(s, d, i, ni, dec, nb, ns, bi, b, ts, none)"""


def test_rows_on_matches_df_for_every_column_kind():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS {ROWS}")
    for where in ("i >= $x", "i > $x + 10"):  # some rows, and none
        q = Sql()
        q.p("x", 1)
        sql = f"SELECT * FROM t WHERE {where} ORDER BY i"
        got, want = q.rows_on(con, sql), q.run_on(con, sql)
        pd.testing.assert_frame_equal(got, want)
    assert len(Sql().rows_on(con, "SELECT * FROM t")) == 3


def test_rows_on_leaves_another_engines_cursor_to_its_own_df():
    class Cursor:  # the shape of engines/spark.py's cursor: execute(sql, params).df(), close()
        def execute(self, sql, params):
            self.got = (sql, params)
            return self

        def df(self):
            return pd.DataFrame({"n": [1]})

        def close(self):
            pass

    class Con:
        def cursor(self):
            return Cursor()

    q = Sql()
    q.p("x", 2)
    assert q.rows_on(Con(), "SELECT $x AS n")["n"].tolist() == [1]
