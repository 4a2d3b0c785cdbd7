"""The dashboard on the lake engines (GOV_ENGINE=duckdb-lake / spark, GOV_LAKE): the overview shows the same
headline cards as on the warehouse."""

from __future__ import annotations

import pytest

import kpi
from tests.test_app_overview import Q3_2026, assert_cards_match
from tests.ui_helpers import all_text, app_env, assert_clean, header_scope, run_app  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")


def _overview_on(engine: str, demo_lake, monkeypatch, con) -> None:
    from ui import data

    monkeypatch.setenv("GOV_ENGINE", engine)
    monkeypatch.setenv("GOV_LAKE", str(demo_lake))
    assert data.on_lake() and data.source() == str(demo_lake)
    assert data.version().startswith(con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
    at = run_app()
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert_cards_match(at, con, kpi.Filters(*Q3_2026))  # `con` is the warehouse: the reference figures


def test_overview_on_duckdb_lake(demo_lake, monkeypatch, con):
    _overview_on("duckdb-lake", demo_lake, monkeypatch, con)


@pytest.mark.spark
def test_overview_on_spark(demo_lake, monkeypatch, con, spark_con):  # noqa: ARG001 - spark_con: java or skip
    monkeypatch.setenv("GOV_SPARK_MASTER", "local[2]")
    _overview_on("spark", demo_lake, monkeypatch, con)
