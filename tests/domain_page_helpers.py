"""Shared checks for the five domain pages' AppTest tests (tests/test_page_*.py)."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

import kpi
from present.format import fmt_kpi
from tests.conftest import TARGETS
from tests.raw_figures import raw_figures
from tests.ui_helpers import all_text, assert_clean, run_app
from ui import drilldown as dd

Q3_2026 = kpi.Filters(date(2026, 7, 1), date(2026, 9, 30))
NANWAN = "南湾社区"
EMPTY_QUERY = {"period": "2021Q1"}  # before the demo data begins (2021-07-01)
EMPTY_TEXT = "该范围内暂无数据"
Q1_2024 = (date(2024, 1, 1), date(2024, 3, 31))
NANWAN_Q1_2024 = {"community": NANWAN, "period": "2024Q1"}
ROWS = re.compile(r"第 (\d+)–(\d+) 条，共 (\d+) 条（(\d+) 页）")


def record_downloads(monkeypatch) -> dict[str, pd.DataFrame]:
    """For a `downloads` fixture: every frame handed to the download buttons (key → frame) is recorded
    instead of drawing the buttons."""
    seen: dict[str, pd.DataFrame] = {}
    import ui.downloads

    def record(df, file_stem, key, **kw):  # noqa: ARG001 - same signature as the real one
        seen[key] = (df() if callable(df) else df).copy()  # a long list's rows are fetched on the click

    monkeypatch.setattr(ui.downloads, "download_buttons", record)
    return seen


def open_page(page: str, query: dict | None = None, state: dict | None = None, role: str = "leader"):
    """The page in a fresh AppTest session (signed in with `role`), optionally with URL parameters and session
    values set before a second run (e.g. a drill-down as a click would store it)."""
    at = run_app(query=query, page=f"pages/{page}.py", role=role)
    if state:
        for k, v in state.items():
            at.session_state[k] = v
        at.run()
    assert_clean(at)
    return at


def cards(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def assert_cards(at, con, filters: kpi.Filters, ids: list[str]) -> None:
    """Every KPI card shows the kpi layer's value for the same filters, formatted by present.format."""
    shown = cards(at)
    vals = kpi.values(con, filters, ids, targets=TARGETS).set_index("kpi_id")["value"]
    for kid in ids:
        assert shown[kpi.CATALOGUE[kid].name_zh] == fmt_kpi(kid, vals[kid]), kid


def assert_cards_show(at, con, want: dict[str, str]) -> None:
    """The cards read exactly `want` (label → text, worked out by hand for 南湾社区 in 2024Q1), and each
    equals the figure recomputed with plain SQL from the raw tables (tests/raw_figures.py), as ui.format
    writes it."""
    shown = cards(at)
    assert {label: shown.get(label) for label in want} == want
    raw = raw_figures(con, *Q1_2024, NANWAN, kpi.load_targets())
    by_label = {k.name_zh: k.id for k in kpi.CATALOGUE.values()}
    for label, text in want.items():
        assert fmt_kpi(by_label[label], raw[by_label[label]]) == text, label


def row_count(at) -> int | None:
    """The detail table's 'of N rows' number (None when the table shows its empty state)."""
    for c in at.caption:
        m = ROWS.search(str(c.value))
        if m:
            return int(m.group(3))
    return None


def drill_state(page: str, filters: kpi.Filters, values: dict) -> dict:
    """The session value a click on a chart stores for `page` (see ui.drilldown.apply_pick)."""
    return {dd._DRILL.format(page=page): {"filters": filters, "values": values}}


def chip_buttons(at) -> list:
    return [b for b in at.button if str(b.key or "").startswith("dd_chip_")]


def assert_empty_scope(at) -> None:
    assert EMPTY_TEXT in all_text(at)
    assert row_count(at) is None


def same_rows(frame: pd.DataFrame, want: pd.DataFrame, key_label: str, key: str) -> None:
    """The downloaded frame (display headers) has exactly the rows of `want` (by key)."""
    assert len(frame) == len(want)
    assert sorted(frame[key_label].astype(str)) == sorted(want[key].astype(str))
