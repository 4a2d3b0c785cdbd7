"""The dashboard on the lake engines (GOV_ENGINE=duckdb-lake / spark, GOV_LAKE): the overview shows the same
headline cards as on the warehouse."""

from __future__ import annotations

import pytest

import kpi
from tests.test_app_overview import Q3_2026, assert_cards_match
from tests.ui_helpers import all_text, app_env, assert_clean, header_scope, run_app  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")


def _overview_on(engine: str, demo_lake, monkeypatch, con, timeout: float | None = None) -> None:
    from ui import data

    monkeypatch.setenv("GOV_ENGINE", engine)
    monkeypatch.setenv("GOV_LAKE", str(demo_lake))
    assert data.on_lake() and data.source() == str(demo_lake)
    assert data.version().startswith(con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
    if timeout is None:
        at = run_app()
    else:  # Spark plans every statement as a job: the overview's first run takes a while on two cores
        from streamlit.testing.v1 import AppTest

        from tests.ui_helpers import APP, token_for

        at = AppTest.from_file(str(APP), default_timeout=timeout)
        at.session_state["_auth_token"] = token_for("leader")
        at.run()
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert_cards_match(at, con, kpi.Filters(*Q3_2026))  # `con` is the warehouse: the reference figures


def test_overview_on_duckdb_lake(demo_lake, monkeypatch, con):
    _overview_on("duckdb-lake", demo_lake, monkeypatch, con)


@pytest.mark.spark
def test_overview_on_spark(demo_lake, monkeypatch, con, spark_con):  # noqa: ARG001 - spark_con: java or skip
    monkeypatch.setenv("GOV_SPARK_MASTER", "local[2]")
    _overview_on("spark", demo_lake, monkeypatch, con, timeout=300)
