"""活动参与 under AppTest: default / narrowed / empty scopes, heat-map and partner clicks, downloads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

import kpi
from kpi import engagement, series
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
IDS = [k.id for k in kpi.kpis_for("engagement")]




def test_default_scope(con, downloads):
    at = open_page("engagement")
    assert_cards(at, con, Q3_2026, IDS)
    acts = engagement.activity_list(con, Q3_2026)
    assert row_count(at) == len(acts) == kpi.value(con, Q3_2026, "activities", targets=TARGETS)
    same_rows(downloads["eng_list_dl"], acts, "活动编号", "activity_id")
    partners = at.dataframe[0].value  # the partner table, as the kpi layer gives it
    want = engagement.partners(con, Q3_2026)
    assert list(partners["partner"]) == list(want["partner"])
    assert partners["activities"].sum() == kpi.value(con, Q3_2026, "partner_activities", targets=TARGETS)
    assert len(at.get("plotly_chart")) == 3


def test_cards_show_the_figures_of_the_raw_rows(con):
    at = open_page("engagement", query=NANWAN_Q1_2024)
    # 187 activities with 3,956 participants among 5,017 households; 55 with a partner, 5 distinct partners
    assert_cards_show(at, con, {"活动场次": "187", "参与人次": "3,956", "每百户参与人次": "78.9",
                                "共建活动场次": "55", "活跃共建单位数": "5", "志愿者参与人次": "1,545"})


def test_narrowed_to_a_compound(con, downloads):
    f = replace(Q3_2026, communities=(NANWAN,), compounds=("东风凤凰城",))
    at = open_page("engagement", query={"community": NANWAN, "compound": "东风凤凰城"})
    assert "东风凤凰城" in header_scope(at)
    assert_cards(at, con, f, IDS)
    acts = engagement.activity_list(con, f)
    assert row_count(at) == len(acts) and set(acts["compound"]) == {"东风凤凰城"}
    same_rows(downloads["eng_list_dl"], acts, "活动编号", "activity_id")


def test_empty_scope():
    assert_empty_scope(open_page("engagement", query=EMPTY_QUERY))


def test_a_heat_map_of_more_compounds_than_fit_shows_the_top_ones_and_says_so(con, monkeypatch):
    monkeypatch.setattr(engagement, "HEAT_COMPOUNDS", 3)  # the street's 27 compounds play a city's thousands
    at = open_page("engagement")
    top = engagement.compound_month(con, Q3_2026, top=3)
    total = len(engagement.compound_month(con, Q3_2026)) // 3  # three months of every compound
    assert top["compounds"].iloc[0] == total > 3
    assert f"仅显示每百户参与人次最高的 3 个小区（范围内共 {total} 个）" in all_text(at)
    heat = json.loads(at.get("plotly_chart")[2].proto.spec)["data"][0]
    assert heat["type"] == "heatmap" and len(heat["y"]) == 3
    assert {y.split("（")[0] for y in heat["y"]} == set(top["compound"])


def test_the_street_heat_map_shows_every_compound_without_the_note(con):
    at = open_page("engagement")
    heat = json.loads(at.get("plotly_chart")[2].proto.spec)["data"][0]
    assert len(heat["y"]) == len(engagement.compound_month(con, Q3_2026)) // 3 <= engagement.HEAT_COMPOUNDS
    assert "仅显示每百户参与人次最高的" not in all_text(at)


def test_a_heat_map_cell_narrows_the_list_to_that_compound_and_month(con, downloads):
    heat = engagement.compound_month(con, Q3_2026)
    cell = heat[heat["activities"] > 0].iloc[0]
    month = cell["month"].isoformat()
    at = open_page("engagement", state=drill_state("engagement", Q3_2026, {
        "month": month, "compound": cell["compound"], "community": cell["community"]}))
    assert row_count(at) == cell["activities"]  # the cell's activities are the rows
    rows = downloads["eng_list_dl"]
    assert set(rows["小区"]) == {cell["compound"]} and rows["参与人次"].sum() == cell["participants"]
    labels = [c.label for c in chip_buttons(at)]
    assert labels[:3] == [f"月份：{cell['month'].year}年{cell['month'].month}月", f"小区：{cell['compound']}",
                          f"社区：{cell['community']}"] and labels[3] == "全部清除"
    [c for c in chip_buttons(at) if c.label == "全部清除"][0].click().run()
    assert row_count(at) == kpi.value(con, Q3_2026, "activities", targets=TARGETS) and not chip_buttons(at)


def test_a_partner_row_narrows_the_list(con):
    partners = engagement.partners(con, Q3_2026)
    top = partners.iloc[0]
    at = open_page("engagement", state=drill_state("engagement", Q3_2026, {"partner": top["partner"]}))
    assert row_count(at) == top["activities"]
    assert [c.label for c in chip_buttons(at)] == [f"共建单位：{top['partner']}"]


def test_a_click_on_a_pillar_segment_of_a_month(con):
    """Month → the global period (URL), pillar → the list: the state ui.drilldown.apply_pick leaves."""
    state: dict = {}
    dd.apply_pick("engagement", {"month": "2026-08-01", "pillar": "志愿服务"},
                  ViewState(Q3_2026.start, Q3_2026.end, "last_quarter"), state=state)
    at = open_page("engagement", state=state)
    aug = kpi.Filters(date(2026, 8, 1), date(2026, 8, 31))
    assert header_scope(at).endswith("2026年8月")
    assert_cards(at, con, aug, IDS)
    bars = series.monthly_by_pillar(con, aug).set_index("pillar")
    assert row_count(at) == bars.loc["志愿服务", "activities"]
    assert [c.label for c in chip_buttons(at)] == ["板块：志愿服务"]
