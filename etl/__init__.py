"""ETL: community ledgers (台账) in, a DuckDB warehouse out.

`etl.contract` defines what a ledger looks like, `etl.loader` is its single
implementation, `etl.warehouse` owns the DuckDB file (the one writer), and
`etl.demo` writes demo ledgers and loads them through the same loader.
"""
