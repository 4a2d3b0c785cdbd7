"""诉求办理 under AppTest: default / narrowed / empty scopes, a simulated click, downloads = the shown rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

import kpi
from kpi import issues
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
IDS = [k.id for k in kpi.kpis_for("issues")]




def test_default_scope_shows_the_kpi_values_and_the_overdue_list(con, downloads):
    at = open_page("issues")
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert_cards(at, con, Q3_2026, IDS)
    overdue = issues.case_list(con, Q3_2026, which="overdue", targets=TARGETS)
    assert row_count(at) == len(overdue) == kpi.value(con, Q3_2026, "overdue_backlog", targets=TARGETS)
    shown = at.dataframe[-1].value
    assert list(shown["case_id"]) == list(overdue["case_id"][:50])
    same_rows(downloads["iss_overdue_dl"], overdue, "编号", "case_id")
    assert len(at.get("plotly_chart")) == 6


def test_cards_show_the_figures_of_the_raw_rows(con):
    at = open_page("issues", query=NANWAN_Q1_2024)
    # 61 requests registered, 39 of them closed by 03-31 (63.9 %); 52 closed in the quarter, 23 open at its end
    assert_cards_show(at, con, {"受理数": "61", "办结数": "52", "办结率": "63.9%", "办结天数中位数": "10.0",
                                "办结天数90分位": "31.0", "在办积案": "23", "超期积案": "1", "按时办结率": "88.5%",
                                "满意率": "94.9%"})


def test_narrowed_to_one_community_and_another_list(con, downloads):
    f = replace(Q3_2026, communities=(NANWAN,))
    at = open_page("issues", query={"community": NANWAN}, state={"iss_list": "opened"})
    assert header_scope(at).startswith("沌阳街道 · 南湾社区")
    assert_cards(at, con, f, IDS)
    opened = issues.case_list(con, f, which="opened", targets=TARGETS)
    assert row_count(at) == len(opened) == kpi.value(con, f, "cases_opened", targets=TARGETS)
    assert set(opened["community"]) == {NANWAN}
    same_rows(downloads["iss_opened_dl"], opened, "编号", "case_id")


def test_empty_scope():
    at = open_page("issues", query=EMPTY_QUERY)
    assert_empty_scope(at)


def test_pillar_without_resident_requests_explains_itself():
    at = open_page("issues", query={"pillar": "志愿服务"})
    assert "所选板块不含“居民自治”" in all_text(at)


def test_a_click_on_a_category_narrows_the_list_and_the_chip_clears_it(con, downloads):
    opened = issues.case_list(con, Q3_2026, which="opened", targets=TARGETS)
    category = opened["category"].value_counts().index[0]
    at = open_page("issues", state={"iss_list": "opened", **drill_state("issues", Q3_2026, {"category": category})})
    want = opened[opened["category"] == category]
    assert row_count(at) == len(want)
    same_rows(downloads["iss_opened_dl"], want, "编号", "case_id")
    # the category chart's bar for it equals the list (both are 受理数 of the category)
    by_cat = issues.breakdown(con, Q3_2026, by="category", targets=TARGETS).set_index("category")
    assert by_cat.loc[category, "cases_opened"] == len(want)
    chips = chip_buttons(at)
    assert [c.label for c in chips] == [f"分类：{category}"]
    chips[0].click().run()
    assert row_count(at) == len(opened) and not chip_buttons(at)


def test_a_click_on_an_aging_bucket(con):
    open_cases = issues.case_list(con, Q3_2026, which="open", targets=TARGETS)
    aging = issues.backlog_aging(con, Q3_2026, targets=TARGETS).set_index("bucket")
    at = open_page("issues", state={"iss_list": "open", **drill_state("issues", Q3_2026, {"bucket": "31–90"})})
    assert row_count(at) == aging.loc["31–90", "cases"] == (open_cases["bucket"] == "31–90").sum()
    assert [c.label for c in chip_buttons(at)] == ["账龄：31–90天"]


def test_a_click_on_a_month_narrows_the_global_period_and_back(con):
    """The state a click on the August bar leaves (ui.drilldown.apply_pick), then the 'back' chip."""
    view = ViewState(Q3_2026.start, Q3_2026.end, "last_quarter")
    state: dict = {}
    after = dd.apply_pick("issues", {"month": "2026-08-01"}, view, state=state)
    at = open_page("issues", state=state)
    assert header_scope(at).endswith("2026年8月")
    aug = kpi.Filters(date(2026, 8, 1), date(2026, 8, 31))
    assert after.filters == aug
    assert_cards(at, con, aug, IDS)
    assert at.query_params["period"] == "custom" and at.query_params["start"] == "2026-08-01"  # the URL
    back = [b for b in at.button if str(b.key or "").startswith("dd_undo_")]
    assert back and back[0].label == "返回 2026年第三季度"
    back[0].click().run()
    assert header_scope(at).endswith("2026年第三季度")
