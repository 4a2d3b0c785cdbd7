"""矛盾纠纷与平安 under AppTest: default / narrowed / empty scopes, outcome and category clicks, both lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

import kpi
from kpi import disputes, safety
from tests.conftest import TARGETS
from tests.domain_page_helpers import (
    EMPTY_QUERY,
    NANWAN,
    NANWAN_Q1_2024,
    Q3_2026,
    assert_cards,
    assert_cards_show,
    assert_empty_scope,
    chip_buttons,
    drill_state,
    open_page,
    row_count,
    same_rows,
)
from tests.ui_helpers import all_text, app_env, header_scope  # noqa: F401
from ui import drilldown as dd
from ui.state import ViewState

pytestmark = pytest.mark.usefixtures("app_env")
IDS = [k.id for k in kpi.kpis_for("disputes")] + [k.id for k in kpi.kpis_for("safety")]




def test_cards_show_the_figures_of_the_raw_rows(con):
    at = open_page("disputes_safety", query=NANWAN_Q1_2024)
    # 18 of the 22 disputes closed with an outcome were mediated; 11 of 12 hazards fixed; 3,627 visits / 5,017
    assert_cards_show(at, con, {"调解成功率": "81.8%", "隐患整改率": "91.7%", "入户走访覆盖率": "72.3%"})


def test_default_scope(con, downloads):
    at = open_page("disputes_safety")
    assert_cards(at, con, Q3_2026, IDS)
    lst = disputes.case_list(con, Q3_2026)
    assert row_count(at) == len(lst)
    same_rows(downloads["dis_disputes_dl"], lst, "编号", "case_id")
    assert len(at.get("plotly_chart")) == 9


def test_narrowed_hazard_list(con, downloads):
    f = replace(Q3_2026, communities=(NANWAN,))
    at = open_page("disputes_safety", query={"community": NANWAN}, state={"dis_list": "hazards"})
    assert header_scope(at).startswith("沌阳街道 · 南湾社区")
    assert_cards(at, con, f, IDS)
    lst = safety.hazard_list(con, f)
    assert row_count(at) == len(lst)
    found = kpi.value(con, f, "hazards_found", targets=TARGETS)
    assert (lst["opened_on"] >= f.start).sum() == found
    same_rows(downloads["dis_hazards_dl"], lst, "编号", "case_id")


def test_empty_scope():
    assert_empty_scope(open_page("disputes_safety", query=EMPTY_QUERY))


def test_pillar_without_social_governance():
    at = open_page("disputes_safety", query={"pillar": "居民自治"})
    assert "所选板块不含“社会治理”" in all_text(at)


def test_an_outcome_bar_narrows_to_exactly_its_cases(con, downloads):
    out = disputes.outcomes(con, Q3_2026).set_index("outcome")
    at = open_page("disputes_safety", state=drill_state("disputes", Q3_2026, {"outcome": "调解成功"}))
    assert row_count(at) == out.loc["调解成功", "cases"]
    # the bar's share of all outcomes is the success-rate card
    rate = 100 * out.loc["调解成功", "cases"] / out["cases"].sum()
    assert abs(rate - kpi.value(con, Q3_2026, "mediation_success_rate", targets=TARGETS)) < 1e-9
    assert set(downloads["dis_disputes_dl"]["调解结果"]) == {"调解成功"}


def test_a_hazard_category_click_switches_to_the_hazard_list(con):
    cats = safety.breakdown(con, Q3_2026)
    cat = cats.iloc[0]["category"]
    state: dict = {}
    dd.apply_pick("hazards", {"category": cat}, ViewState(Q3_2026.start, Q3_2026.end, "last_quarter"),
                  state=state, also={"dis_list": "hazards"})
    at = open_page("disputes_safety", state=state)
    lst = safety.hazard_list(con, Q3_2026)
    assert row_count(at) == (lst["category"] == cat).sum()
    assert [c.label for c in chip_buttons(at)] == [f"分类：{cat}"]


def test_a_community_click_on_the_coverage_map_narrows_the_page(con):
    state: dict = {}
    dd.apply_pick("hazards", {"community": NANWAN}, ViewState(Q3_2026.start, Q3_2026.end, "last_quarter"),
                  state=state)
    at = open_page("disputes_safety", state=state)
    assert header_scope(at).startswith("沌阳街道 · 南湾社区")
    assert at.query_params["community"] == NANWAN
    assert_cards(at, con, replace(Q3_2026, communities=(NANWAN,)), ["visit_coverage", "hazards_found"])
