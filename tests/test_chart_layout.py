"""Chart layout that must read on a phone as well as on a desktop (issue 13): subtitles in lines a 360 px
screen shows, month and quarter ticks of heat maps in two lines, no colour bar taking a third of the width."""

from __future__ import annotations

import pandas as pd

from present import charts


def test_subtitle_lines_break_at_the_separators_and_fit_a_phone():
    assert charts.subtitle_lines("沌阳街道 · 全部社区（6个） · 2026年第三季度") == [
        "沌阳街道 · 全部社区（6个） · 2026年第三季度"]  # one line: 16 CJK + 11 ASCII characters
    assert charts.subtitle_lines("沌阳街道 · 全部社区（6个） · 2026年第三季度 · 按整季度，至期末") == [
        "沌阳街道 · 全部社区（6个） · 2026年第三季度", "按整季度，至期末"]
    assert charts.subtitle_lines("Dunyang Street · All communities (6) · 2026 Q3") == [
        "Dunyang Street · All communities (6)", "2026 Q3"]
    # a part longer than a line is cut into lines (after a comma when it has one)
    assert charts.subtitle_lines("很长的名字" * 8) == ["很长的名字" * 5, "很长的名字" * 3]
    assert charts.subtitle_lines("第一部分第一部分第一部分第一部分，第二部分第二部分第二部分") == [
        "第一部分第一部分第一部分第一部分，", "第二部分第二部分第二部分"]


def test_a_longer_subtitle_makes_room_above_the_plot():
    one = charts.with_title(charts.empty_figure("zh"), "标题", "沌阳街道 · 2026年第三季度")
    two = charts.with_title(charts.empty_figure("zh"), "标题", "沌阳街道 · 全部社区（6个） · 2026年第三季度 · 按整季度")
    assert one.layout.margin.t == 104 and one.layout.title.subtitle.text == "沌阳街道 · 2026年第三季度"
    assert two.layout.margin.t == 120
    assert two.layout.title.subtitle.text == "沌阳街道 · 全部社区（6个） · 2026年第三季度<br>按整季度"


def test_heat_map_ticks_in_two_lines_values_in_cells_and_no_colour_bar():
    df = pd.DataFrame({"quarter": pd.to_datetime(["2025-10-01", "2026-01-01", "2025-10-01", "2026-01-01"]),
                       "community": ["甲社区", "甲社区", "乙社区", "乙社区"], "v": [81.0, 92.5, 100.0, 64.25]})
    fig = charts.render_heatmap(df, "quarter", "community", "v", percent=True, target=100.0, z_title="覆盖率")
    heat, cells = fig.data[0], fig.data[1]
    assert list(heat.x) == ["2025年<br>Q4", "2026年<br>Q1"] and fig.layout.xaxis.tickangle == 0
    assert heat.showscale is False
    assert [list(r) for r in heat.text] == [["81.0%", "92.5%"], ["100.0%", "64.2%"]]
    assert cells.hovertext[0] == "甲社区 · 2025年Q4<br>覆盖率: 81.0%"  # one line per fact in the hover
    months = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-08-01"]), "c": ["A", "A"], "v": [1.0, 2.0]})
    assert list(charts.render_heatmap(months, "month", "c", "v", lang="en").data[0].x) == ["Jul<br>2026", "Aug<br>2026"]


def test_a_long_title_wraps_at_a_space_and_pushes_the_plot_down():
    fig = charts.with_title(charts.empty_figure("en"), "Closure, on-time and satisfaction rates by month",
                            "Dunyang Street · Q3 2026")
    assert fig.layout.title.text == "Closure, on-time and satisfaction<br>rates by month"
    assert fig.layout.margin.t == 124  # 104 + one more title line
    short = charts.with_title(charts.empty_figure("zh"), "入户走访覆盖率（社区×季度，目标100%）")
    assert "<br>" not in short.layout.title.text and short.layout.margin.t == 104
