"""The engine the KPI layer reads through: one connection interface, three engines.

`kpi/` takes a cursor-like connection (`con.cursor()`; `cur.execute(sql, params)` with DuckDB's `$name` / `?`
parameters; then `.df()`, `.fetchall()`, `.fetchone()`; `cur.close()`). Every engine here gives exactly that,
so `kpi/` never knows which one runs its SQL (and does not import this package):

- `duckdb` (default): the warehouse file, read-only (`etl.warehouse.open_read_only`);
- `duckdb-lake`: an in-memory DuckDB with one view per table of a Parquet lake's manifest (`engines.lake`);
- `spark`: PySpark's SQL over the same lake (`engines.spark`), each statement translated once from DuckDB's
  dialect by `engines.translate` (sqlglot).

`connect(engine=None, *, db=None, lake=None, master=None)` reads GOV_ENGINE, GOV_DB, GOV_LAKE and
GOV_SPARK_MASTER (default `local[2]`) for what is not given.
"""

from __future__ import annotations

import os
from pathlib import Path

ENGINES = ("duckdb", "duckdb-lake", "spark")
DEFAULT_MASTER = "local[2]"


class EngineError(ValueError):
    """A bad engine choice (unknown name, missing lake); `zh` and `en` say what to do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def engine_name(engine: str | None = None) -> str:
    name = (engine or os.environ.get("GOV_ENGINE") or "duckdb").strip().lower()
    if name not in ENGINES:
        raise EngineError(f"未知的查询引擎 {name!r}（可选 {', '.join(ENGINES)}）",
                          f"unknown engine {name!r} (one of {', '.join(ENGINES)})")
    return name


def lake_dir(lake: Path | str | None = None) -> Path:
    """The lake to read (`lake` or $GOV_LAKE); EngineError when unset or without a manifest."""
    from etl.lake import MANIFEST

    value = lake or os.environ.get("GOV_LAKE")
    if not value:
        raise EngineError("该引擎读取 Parquet 数据湖：请用 GOV_LAKE 或 --lake 指定目录（python -m etl lake --out DIR 生成）",
                          "this engine reads a Parquet lake: set GOV_LAKE or --lake (made by python -m etl lake --out DIR)")
    path = Path(value)
    if not (path / MANIFEST).is_file():
        raise EngineError(f"数据湖目录中没有 {MANIFEST}：{path}", f"no {MANIFEST} in the lake directory: {path}")
    return path


def spark_master(master: str | None = None) -> str:
    return master or os.environ.get("GOV_SPARK_MASTER") or DEFAULT_MASTER


def connect(engine: str | None = None, *, db: Path | str | None = None, lake: Path | str | None = None,
            master: str | None = None):
    """A connection for `kpi` on the chosen engine (see the module docstring). The caller closes it; closing a
    Spark connection leaves the process's SparkSession running for the next one (`engines.spark.stop()` ends it)."""
    name = engine_name(engine)
    if name == "duckdb":
        from etl.warehouse import default_db_path, open_read_only

        return open_read_only(Path(db) if db else default_db_path())
    if name == "duckdb-lake":
        from engines.lake import connect_lake

        return connect_lake(lake_dir(lake))
    from engines.spark import connect_spark

    return connect_spark(lake_dir(lake), spark_master(master))


def lake_version(lake: Path | str) -> str:
    """A token that changes whenever the lake's manifest was replaced (the UI's cache key for the lake engines)."""
    from etl.lake import read_lake_manifest

    m = read_lake_manifest(lake)
    if m is None:
        return "missing"
    return f"{m.get('data_version')}@{m.get('written_at')}"
