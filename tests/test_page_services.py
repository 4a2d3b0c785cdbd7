"""便民服务 under AppTest: default / narrowed / empty scopes, a type click, the pillar rule, downloads."""

from __future__ import annotations

from dataclasses import replace

import pytest

import kpi
from kpi import services
from tests.conftest import TARGETS
from tests.domain_page_helpers import (
    EMPTY_QUERY,
    NANWAN,
    Q3_2026,
    assert_cards,
    assert_empty_scope,
    chip_buttons,
    drill_state,
    open_page,
    row_count,
    same_rows,
)
from tests.ui_helpers import all_text, app_env, header_scope  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")
IDS = [k.id for k in kpi.kpis_for("services")]




def test_default_scope(con, downloads):
    at = open_page("services")
    assert_cards(at, con, Q3_2026, IDS)
    lst = services.service_list(con, Q3_2026)
    assert row_count(at) == len(lst)
    same_rows(downloads["svc_list_dl"], lst, "活动编号", "activity_id")
    table = at.dataframe[0].value  # by service type
    conv = table[table["kind"] == "便民服务"]
    assert conv["services"].sum() == kpi.value(con, Q3_2026, "convenience_services", targets=TARGETS)
    assert table[table["kind"] == "上门维修"]["activities"].sum() == kpi.value(con, Q3_2026, "home_repairs", targets=TARGETS)


def test_narrowed(con, downloads):
    f = replace(Q3_2026, communities=(NANWAN,))
    at = open_page("services", query={"community": NANWAN})
    assert header_scope(at).startswith("沌阳街道 · 南湾社区")
    assert_cards(at, con, f, IDS)
    lst = services.service_list(con, f)
    assert row_count(at) == len(lst) and set(lst["community"]) == {NANWAN}
    same_rows(downloads["svc_list_dl"], lst, "活动编号", "activity_id")


def test_empty_scope():
    assert_empty_scope(open_page("services", query=EMPTY_QUERY))


def test_a_type_click_narrows_the_list(con):
    summary = services.service_summary(con, Q3_2026).set_index("activity_type")
    at = open_page("services", state=drill_state("services", Q3_2026, {"activity_type": "水电燃气维修"}))
    assert row_count(at) == summary.loc["水电燃气维修", "activities"]
    assert [c.label for c in chip_buttons(at)] == ["服务类型：水电燃气维修"]


def test_without_the_volunteer_pillar_only_repairs_remain(con):
    f = replace(Q3_2026, pillars=("联动联建",))
    at = open_page("services", query={"pillar": "联动联建"})
    assert "便民服务人次不计算" in all_text(at)
    lst = services.service_list(con, f)
    assert set(lst["kind"]) == {"repair"} and row_count(at) == len(lst) == kpi.value(con, f, "home_repairs", targets=TARGETS)
