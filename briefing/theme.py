"""The dashboard's plotly look, without Streamlit: the values of `ui.charts` (fonts, fixed pillar
colours, template), mirrored because the `ui` package imports Streamlit on import and the briefing
also runs from cron. A test checks that they equal `ui.charts`'.
"""

from __future__ import annotations

import plotly.graph_objects as go

FONT_FAMILY = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif'
TEXT_COLOR = "#262730"
GRID_COLOR = "#E6E6E6"

PILLAR_COLORS: dict[str, str] = {
    "联动联建": "#C23B3B",  # 党建 red
    "居民自治": "#E3A21A",  # amber
    "志愿服务": "#1F8A70",  # teal green
    "社会治理": "#2F5D9E",  # blue
}
CASE_KIND_COLORS: dict[str, str] = {
    "居民诉求": "#7A4FA0",  # violet
    "矛盾纠纷": "#E0702B",  # orange
    "安全隐患": "#6B7A2E",  # olive
}
OTHER_COLOR = "#8C8C8C"
SEQUENCE = ["#2F5D9E", "#E0702B", "#1F8A70", "#C23B3B", "#7A4FA0", "#E3A21A", "#6B7A2E", "#4BA3C3", "#8C8C8C"]
GOOD_COLOR = "#1E8E3E"
BAD_COLOR = "#D93025"
NEUTRAL_COLOR = "#80868B"


def color_for(name: str) -> str:
    """The fixed colour of a pillar or case kind; grey for anything else."""
    return PILLAR_COLORS.get(name) or CASE_KIND_COLORS.get(name) or OTHER_COLOR


def template() -> go.layout.Template:
    return go.layout.Template(
        layout=go.Layout(
            font=dict(family=FONT_FAMILY, size=13, color=TEXT_COLOR),
            title=dict(font=dict(size=15), x=0, xanchor="left"),
            colorway=SEQUENCE,
            paper_bgcolor="white",
            plot_bgcolor="white",
            hoverlabel=dict(font=dict(family=FONT_FAMILY, size=13)),
            xaxis=dict(showgrid=False, linecolor="#BDBDBD", ticks="outside"),
            yaxis=dict(gridcolor=GRID_COLOR, zerolinecolor="#BDBDBD", rangemode="tozero", separatethousands=True),
            bargap=0.25,
        )
    )


TEMPLATE = template()
