"""`duckdb-lake`: an in-memory DuckDB whose tables are views over exactly the files a lake's manifest lists.

Each view selects the manifest's columns, cast to the manifest's (the warehouse's) types, from
`read_parquet([files], hive_partitioning = true)`; the partition column `year` is not one of a fact table's
columns, so it does not leak. A table without files (a fact table without rows) is an empty relation with the
same columns. `meta` is a view over the manifest's `meta` key/values. The connection reads the manifest it was
opened on: a later publish does not change it (the previous generation's files survive one more publish).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.lake import lake_files, read_lake_manifest


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def manifest_meta(manifest: dict) -> dict[str, str]:
    meta = dict(manifest.get("meta") or {})
    if manifest.get("data_version") is not None:
        meta.setdefault("data_version", manifest["data_version"])
    return {str(k): (None if v is None else str(v)) for k, v in meta.items()}


def table_sql(lake: Path, table: str, manifest: dict) -> str:
    """The SELECT behind one table's view."""
    columns = manifest["tables"][table]["columns"]
    files = lake_files(lake, table, manifest)
    if not files:
        cols = ", ".join(f"CAST(NULL AS {c['type']}) AS {_q(c['name'])}" for c in columns)
        return f"SELECT {cols} WHERE FALSE"
    cols = ", ".join(f"CAST({_q(c['name'])} AS {c['type']}) AS {_q(c['name'])}" for c in columns)
    paths = ", ".join(_s(str(f)) for f in files)
    return f"SELECT {cols} FROM read_parquet([{paths}], hive_partitioning = true)"


def connect_lake(lake: Path | str) -> duckdb.DuckDBPyConnection:
    """The lake as a DuckDB connection with one view per manifest table, plus `meta`."""
    lake = Path(lake)
    manifest = read_lake_manifest(lake)
    if manifest is None:
        raise FileNotFoundError(f"数据湖没有清单 / no lake manifest: {lake}")
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    for table in manifest["tables"]:
        con.execute(f"CREATE VIEW {_q(table)} AS {table_sql(lake, table, manifest)}")
    meta = manifest_meta(manifest)
    rows = ", ".join(f"({_s(k)}, {'NULL' if v is None else _s(v)})" for k, v in meta.items())
    body = (f"SELECT * FROM (VALUES {rows}) AS m(key, value)" if rows
            else "SELECT CAST(NULL AS VARCHAR) AS key, CAST(NULL AS VARCHAR) AS value WHERE FALSE")
    con.execute(f"CREATE VIEW meta AS {body}")
    return con
