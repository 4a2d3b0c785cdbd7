"""Demo data: realistic, deterministic ledgers written to files and loaded through `etl.loader`.

The demo sits outside the loader: it writes ordinary ledger files (reference
data in `demo/data/*.toml`, generation in `demo.generate`) and loads them with
`etl.loader.load_paths`, as a clerk's files would be. The entry point is
`python -m etl demo` (or `python -m demo`, the same command).
"""

from demo.generate import (
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    DEMO_MARK,
    NotADemoWarehouse,
    build_demo,
    demo_period,
    ledger_dir,
    write_demo_ledgers,
)

__all__ = [
    "DEFAULT_END", "DEFAULT_SEED", "DEFAULT_YEARS", "DEMO_MARK", "NotADemoWarehouse", "build_demo", "demo_period",
    "ledger_dir", "write_demo_ledgers",
]
