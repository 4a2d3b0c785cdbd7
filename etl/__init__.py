"""ETL: community ledgers (台账) in, a DuckDB warehouse out.

`etl.contract` defines what a ledger looks like, `etl.loader` is its single
implementation, and `etl.warehouse` owns the DuckDB file (the one writer). The
demo data lives outside, in the `demo` package, and reaches the warehouse
through the same loader.
"""

# The largest ledger file the intake (upload, preview) accepts; the UI says so before the upload.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
