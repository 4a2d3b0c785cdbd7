"""`spark`: PySpark's SQL over a Parquet lake, behind the connection interface `kpi/` uses.

One SparkSession per process (`session(master)`, created lazily, shared by every connection and thread; a
different master stops it and starts another). Each `SparkConnection` is a child session (`newSession()`: the same
SparkContext, its own temp views) with one temp view per manifest table over exactly the files the manifest lists,
each column cast to the manifest's type, plus `meta`. `cursor().execute(sql, params)` translates the DuckDB
statement with `engines.translate.to_spark` (parameters become literals there) and runs it; `df()`, `fetchall()`
and `fetchone()` convert the result through Arrow and DuckDB, so frames and rows have exactly the dtypes and Python
types DuckDB gives (dates, nullable integers, decimals).

Session settings: `spark.sql.ansi.enabled=false` (x / 0 is NULL, as in DuckDB), UTC session time zone, 4 shuffle
partitions (the KPI queries aggregate small results), Arrow for the transfer, no Spark UI.
"""

from __future__ import annotations

import atexit
import os
import threading
import warnings
from pathlib import Path

import duckdb

from engines.lake import manifest_meta
from engines.translate import to_spark
from etl.lake import lake_files, read_lake_manifest

APP_NAME = "governance-kpi"
_LOCK = threading.Lock()
_SESSION = None
_MASTER: str | None = None
_CONVERT = duckdb.connect(":memory:")
# PySpark 4.3 warns on import that pandas 3 is not yet fully supported; frames never go through its pandas code
# (Arrow → DuckDB here), so the warning says nothing about this use
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)  # the Arrow → pandas / Python conversion DuckDB itself uses


def session(master: str):
    """The process's SparkSession on `master` (created on first use)."""
    global _SESSION, _MASTER
    with _LOCK:
        if _SESSION is not None and master == _MASTER:
            return _SESSION
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None
        from pyspark.sql import SparkSession

        b = (SparkSession.builder.master(master).appName(APP_NAME)
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.default.parallelism", "4")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false"))
        local_ip = os.environ.get("SPARK_LOCAL_IP")
        if local_ip:
            b = b.config("spark.driver.host", local_ip).config("spark.driver.bindAddress", local_ip)
        _SESSION = b.getOrCreate()
        _SESSION.sparkContext.setLogLevel("ERROR")
        _MASTER = master
        return _SESSION


@atexit.register
def stop() -> None:
    """Stop the process's SparkSession (the next connection starts a new one)."""
    global _SESSION, _MASTER
    with _LOCK:
        if _SESSION is not None:
            _SESSION.stop()
        _SESSION, _MASTER = None, None


def spark_type(duckdb_type: str) -> str:
    """A manifest (DuckDB) column type as Spark DDL (DuckDB's TIMESTAMP has no time zone: TIMESTAMP_NTZ)."""
    from sqlglot import exp

    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def register_lake(spark, lake: Path, manifest: dict) -> None:
    """One temp view per manifest table (and `meta`) in the session `spark`."""
    from pyspark.sql import functions as F

    for table, entry in manifest["tables"].items():
        cols = [(c["name"], spark_type(c["type"])) for c in entry["columns"]]
        files = [str(f) for f in lake_files(lake, table, manifest)]
        if files:
            df = spark.read.parquet(*files).select(*[F.col(f"`{n}`").cast(t).alias(n) for n, t in cols])
        else:
            df = spark.createDataFrame([], ", ".join(f"`{n}` {t}" for n, t in cols))
        df.createOrReplaceTempView(table)
    meta = sorted(manifest_meta(manifest).items())
    spark.createDataFrame(meta, "key STRING, value STRING").createOrReplaceTempView("meta")


class SparkCursor:
    """`execute(sql, params)` then `df()` / `fetchall()` / `fetchone()`, as a DuckDB cursor."""

    def __init__(self, spark) -> None:
        self._spark = spark
        self._result = None

    def execute(self, sql: str, params=None) -> SparkCursor:
        self._result = self._spark.sql(to_spark(sql, params))
        return self

    def _relation(self):
        if self._result is None:
            raise RuntimeError("no statement executed")
        table = self._result.toArrow()
        cur = _CONVERT.cursor()
        return cur, cur.from_arrow(table)

    def df(self):
        cur, rel = self._relation()
        try:
            return rel.df()
        finally:
            cur.close()

    def fetchall(self) -> list[tuple]:
        cur, rel = self._relation()
        try:
            return rel.fetchall()
        finally:
            cur.close()

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def close(self) -> None:
        self._result = None


class SparkConnection:
    """A lake read through Spark with the connection interface `kpi/` uses (`cursor()`, `execute`, `close`)."""

    def __init__(self, lake: Path, master: str) -> None:
        manifest = read_lake_manifest(lake)
        if manifest is None:
            raise FileNotFoundError(f"数据湖没有清单 / no lake manifest: {lake}")
        self.lake, self.master, self.manifest = Path(lake), master, manifest
        self.spark = session(master).newSession()
        register_lake(self.spark, self.lake, manifest)

    def cursor(self) -> SparkCursor:
        return SparkCursor(self.spark)

    def execute(self, sql: str, params=None) -> SparkCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        pass  # the views go with the child session; the shared SparkSession stays for the next connection


def connect_spark(lake: Path | str, master: str) -> SparkConnection:
    return SparkConnection(Path(lake), master)
