"""Helpers for the auth tests: a tiny warehouse (two communities) built in code through the loader."""

from __future__ import annotations

from pathlib import Path

from tests.ledgers import COMMUNITIES, write_csv


def tiny_warehouse(folder: Path, dataset: str | None = None) -> Path:
    """A warehouse with 南湾社区 and 凤亭社区 (meta dataset = `dataset`, e.g. 'demo'); returns its path."""
    from etl.loader import load_paths

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "governance.duckdb"
    report = load_paths([write_csv(folder / "communities.csv", COMMUNITIES)], db, dataset=dataset, fresh=True)
    assert report.exit_code == 0, [(f.file_name, f.status, f.messages) for f in report.files]
    return db
