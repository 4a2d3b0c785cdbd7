"""Drill-down logic without a browser: clicked point → filters (global and local), chips' state, table paging."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi import Filters
from ui import drilldown as dd
from ui.filters import K_COMMUNITY, K_COMPOUND, K_END, K_PERIOD, K_QUARTER, K_START
from ui.state import ViewState

Q3 = ViewState(date(2026, 7, 1), date(2026, 9, 30), "2026Q3")


def event(*points) -> dict:
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_picked_reads_customdata_by_field():
    ev = event({"curve_number": 0, "x": "2026年8月", "customdata": ["2026-08-01", "志愿服务"]})
    assert dd.picked(ev, ("month", "pillar")) == {"month": "2026-08-01", "pillar": "志愿服务"}
    assert dd.picked(ev["selection"], ("month", "pillar")) == {"month": "2026-08-01", "pillar": "志愿服务"}
    assert dd.picked(event({"customdata": "停车管理"}), ("category",)) == {"category": "停车管理"}
    # a None field skips that position; blanks are left out; the first usable point wins
    assert dd.picked(event({"customdata": ["2026-Q3", "南湾社区"]}), (None, "community")) == {"community": "南湾社区"}
    assert dd.picked(event({"customdata": ["", "理发"]}, {"customdata": ["x", "y"]}), ("partner", "type")) == \
        {"type": "理发"}
    assert dd.picked(event({"x": 1}), ("month",)) == {}
    assert dd.picked(event(), ("month",)) == {} and dd.picked(None, ("month",)) == {}


def test_split_and_global_view():
    g, loc = dd.split({"month": "2026-08-01", "pillar": "志愿服务"})
    assert g == {"month": "2026-08-01"} and loc == {"pillar": "志愿服务"}
    v = dd.global_view(Q3, g)
    assert (v.start, v.end, v.period) == (date(2026, 8, 1), date(2026, 8, 31), "custom")
    v = dd.global_view(ViewState(date(2026, 7, 15), date(2026, 9, 30), "custom"), {"month": "2026-07-01"})
    assert (v.start, v.end) == (date(2026, 7, 15), date(2026, 7, 31))  # clipped to the period
    assert dd.global_view(ViewState(date(2026, 8, 1), date(2026, 8, 31), "custom"), {"month": "2026-08-01"}) == \
        ViewState(date(2026, 8, 1), date(2026, 8, 31), "custom")  # already that month: unchanged
    # a month of the 13-month trend before the period: the period becomes that whole month
    v = dd.global_view(Q3, {"month": "2025-09-01"})
    assert (v.start, v.end, v.period) == (date(2025, 9, 1), date(2025, 9, 30), "custom")
    v = dd.global_view(ViewState(date(2026, 7, 15), date(2026, 9, 30), "custom"), {"month": "2026-06-01"})
    assert (v.start, v.end) == (date(2026, 6, 1), date(2026, 6, 30))  # just before a mid-month start: whole
    narrowed = ViewState(Q3.start, Q3.end, Q3.period, ("凤亭社区（演示）",), ("凤亭华庭",))
    v = dd.global_view(narrowed, {"community": "南湾社区"})
    assert v.communities == ("南湾社区",) and v.compounds == () and v.period == "2026Q3"
    assert dd.month_bounds("2024-02-01") == (date(2024, 2, 1), date(2024, 2, 29))
    assert dd.month_bounds(date(2024, 12, 9)) == (date(2024, 12, 1), date(2024, 12, 31))


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "category": ["停车管理", "晾晒", "停车管理", None],
        "date": [date(2026, 7, 3), date(2026, 8, 9), date(2026, 8, 30), date(2026, 9, 1)],
        "days": [3.0, 10.0, 3.0, None],
        "flag": [True, False, True, False],
    })


def test_narrow_matches_every_field():
    df = _rows()
    assert dd.narrow(df, {}).equals(df)
    assert list(dd.narrow(df, {"category": "停车管理"}).index) == [0, 2]
    assert list(dd.narrow(df, {"category": "停车管理", "month": "2026-08-01"}, month_col="date").index) == [2]
    assert list(dd.narrow(df, {"days": "3"}).index) == [0, 2]  # numbers match their text form
    assert list(dd.narrow(df, {"date": "2026-08-09"}).index) == [1]
    assert list(dd.narrow(df, {"nope": "x"}).index) == [0, 1, 2, 3]  # a field the rows lack is ignored
    assert dd.narrow(df, {"category": "不存在"}).empty


def test_local_drill_is_tied_to_its_filters():
    f = Filters(date(2026, 7, 1), date(2026, 9, 30))
    state: dict = {}
    dd.set_local("issues", {"category": "晾晒"}, f, state)
    assert dd.local("issues", f, state) == {"category": "晾晒"}
    assert dd.local("issues", f.with_period(date(2026, 8, 1), date(2026, 8, 31)), state) == {}  # filters changed
    assert dd.local("services", f, state) == {}  # per page
    dd.set_local("issues", {"category": "晾晒", "source": "12345热线"}, f, state)
    dd.clear_local("issues", "category", state)
    assert dd.local("issues", f, state) == {"source": "12345热线"}
    dd.clear_local("issues", state=state)
    assert dd.local("issues", f, state) == {}


def test_apply_pick_sets_global_filters_and_keeps_the_local_part():
    state: dict = {}
    after = dd.apply_pick("engagement", {"month": "2026-08-01", "pillar": "志愿服务"}, Q3, state=state)
    assert state[K_PERIOD] == "custom"
    assert (state[K_START], state[K_END]) == (date(2026, 8, 1), date(2026, 8, 31))
    assert state[K_COMMUNITY] == [] and state[K_COMPOUND] == []  # the community filter stays as it was (all)
    assert dd.local("engagement", after.filters, state) == {"pillar": "志愿服务"}  # valid under the new filters
    undo = state[dd._UNDO]
    assert undo.before == Q3 and undo.after == after
    assert dd.undo_label(undo, "zh") == "返回 2026年第三季度"

    dd.undo_scope(state)
    assert state[K_PERIOD] == "quarter" and state[K_QUARTER] == "2026Q3"
    assert (state[K_START], state[K_END]) == (Q3.start, Q3.end)
    assert dd._UNDO not in state


def test_apply_pick_on_a_month_before_the_period_and_back():
    state: dict = {}
    after = dd.apply_pick("issues", {"month": "2025-10-01"}, Q3, state=state)
    assert state[K_PERIOD] == "custom"
    assert (state[K_START], state[K_END]) == (date(2025, 10, 1), date(2025, 10, 31))
    assert (after.start, after.end) == (date(2025, 10, 1), date(2025, 10, 31))
    assert dd.undo_label(state[dd._UNDO], "zh") == "返回 2026年第三季度"
    dd.undo_scope(state)
    assert state[K_PERIOD] == "quarter" and state[K_QUARTER] == "2026Q3"


def test_apply_pick_community_and_extra_state():
    state: dict = {}
    after = dd.apply_pick("hazards", {"community": "南湾社区"}, Q3, state=state, also={"dis_list": "hazards"})
    assert state[K_COMMUNITY] == ["南湾社区"] and state[K_COMPOUND] == []
    assert after.communities == ("南湾社区",) and state["dis_list"] == "hazards"
    assert dd.undo_label(state[dd._UNDO], "en") == "Back to all communities"


def test_local_picks_accumulate_and_replace():
    state: dict = {}
    dd.apply_pick("engagement", {"activity_type": "理发"}, Q3, state=state)
    dd.apply_pick("engagement", {"compound": "东风凤凰城", "month": "2026-08-01"}, Q3, state=state,
                  global_fields=())
    assert dd.local("engagement", Q3.filters, state) == {
        "activity_type": "理发", "compound": "东风凤凰城", "month": "2026-08-01"}
    dd.apply_pick("engagement", {"activity_type": "缝纫修鞋"}, Q3, state=state)
    assert dd.local("engagement", Q3.filters, state)["activity_type"] == "缝纫修鞋"
    assert dd._UNDO not in state  # nothing global happened


def test_picked_row_from_a_table_selection():
    df = pd.DataFrame({"partner": ["物业服务中心", "薛锋综合", None]})
    assert dd.picked_row({"selection": {"rows": [1], "columns": []}}, df, "partner") == {"partner": "薛锋综合"}
    assert dd.picked_row({"selection": {"rows": [2]}}, df, "partner") == {}
    assert dd.picked_row({"selection": {"rows": []}}, df, "partner") == {}
    assert dd.picked_row({"selection": {"rows": [9]}}, df, "partner") == {}
    assert dd.picked_row(None, df, "partner") == {}


def test_chip_labels():
    assert dd.chip_label("category", "停车管理", "zh", {"category": "分类"}) == "分类：停车管理"
    assert dd.chip_label("month", "2026-08-01", "zh", {"month": "月份"}) == "月份：2026年8月"
    assert dd.chip_label("month", "2026-08-01", "en", {"month": "Month"}) == "Month: Aug 2026"
    assert dd.chip_label("pillar", "志愿服务", "en", {"pillar": "Pillar"},
                         {"pillar": lambda p: "Volunteer service"}) == "Pillar: Volunteer service"


def test_sorting_paging_and_display_frame():
    df = pd.DataFrame({"n": [3, 1, None, 2], "d": [date(2024, 1, i) for i in (4, 2, 3, 1)],
                       "ok": [True, False, None, True], "s": ["a", None, "c", "d"]})
    assert list(dd.sort_rows(df, "n", False)["n"].fillna(-1)) == [1, 2, 3, -1]  # missing last
    assert list(dd.sort_rows(df, "n", True)["n"].fillna(-1)) == [3, 2, 1, -1]
    assert dd.sort_rows(df, None, True).equals(df)
    big = pd.DataFrame({"i": range(120)})
    assert dd.pages_for(120) == 3 and dd.pages_for(0) == 1
    assert list(dd.page_of(big, 3)["i"]) == list(range(100, 120))
    assert list(dd.page_of(big, 99)["i"]) == list(range(100, 120))  # clamped
    assert len(dd.page_of(big, 0)) == 50
    cols = [dd.Col("s", "col.category"), dd.Col("d", "col.date", "date"), dd.Col("ok", "col.overdue", "bool"),
            dd.Col("n", "col.case_days", "int")]
    out = dd.display_frame(df, cols, "zh")
    assert list(out.columns) == ["分类", "日期", "超期", "办理天数"]
    assert list(out["超期"].fillna("")) == ["是", "否", "", "是"] and out["日期"].iloc[0] == "2024-01-04"
    assert list(dd.display_frame(df, cols, "en").columns) == ["Category", "Date", "Overdue", "Days"]


def test_widget_key_changes_with_its_parts():
    f = Filters(date(2026, 7, 1), date(2026, 9, 30))
    assert dd.widget_key("t", f, None) == dd.widget_key("t", f, None)
    assert dd.widget_key("t", f, "a") != dd.widget_key("t", f, None)


@pytest.mark.parametrize("fields", [("month",), ("month", "pillar"), ("category",)])
def test_pick_roundtrip_through_chart_customdata(fields):
    """The render functions put exactly the PICK fields into customdata, in order."""
    from present import charts

    if fields == ("month", "pillar"):
        df = pd.DataFrame({"month": [date(2026, 7, 1), date(2026, 8, 1)], "pillar": ["志愿服务", "社会治理"],
                           "activities": [3, 4]})
        fig = charts.render_stack_pick(df, "month", "pillar", "activities", lang="zh")
        cd = fig.data[0].customdata[0]
    elif fields == ("month",):
        df = pd.DataFrame({"month": [date(2026, 7, 1)], "a": [1.0]})
        fig = charts.render_bars_line(df, "month", [("a", "A")], lang="zh")
        cd = fig.data[0].customdata[0]
    else:
        df = pd.DataFrame({"category": ["晾晒", "停车管理"], "n": [1, 2]})
        fig = charts.render_rank_bar(df, "category", "n", lang="zh")
        cd = fig.data[0].customdata[0]
    pick = dd.picked(event({"customdata": list(cd)}), fields)
    assert set(pick) == set(fields)
    if "month" in pick:
        assert pick["month"] == "2026-07-01"


def test_display_frame_formats_dates_and_leaves_missing_ones_empty():
    s = pd.Series([date(2024, 1, 2), None, pd.NaT, float("nan"), date(2024, 1, 2), date(2023, 12, 31)], dtype=object)
    out = dd.display_frame(pd.DataFrame({"d": s}), [dd.Col("d", "col.date", "date")], "zh")
    assert out.iloc[:, 0].tolist() == ["2024-01-02", None, None, None, "2024-01-02", "2023-12-31"]
    assert out.iloc[:, 0].dtype == object
