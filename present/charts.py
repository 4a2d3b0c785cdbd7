"""The one plotly look: template, fixed colours, and pure `render_*` functions (DataFrame in, Figure out).

No Streamlit here; show a figure with `st.plotly_chart(fig, theme=None, config=present.charts.CONFIG)`
(`theme=None` keeps this template instead of Streamlit's).

- Fonts: a CJK stack (Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif).
- Colours: one fixed colour per pillar (`PILLAR_COLORS`) and per case kind
  (`CASE_KIND_COLORS`), the same in every chart; `color_for(name)`.
- Sizes: readable in a 1280×720 screenshot (13 px text, 15 px titles).
- Every axis has a title with its unit; an empty frame gives `empty_figure()`
  ("该范围内暂无数据").
- Data is text, never markup: every name from the data (categories, legend
  names, hovers, heat-map rows, the scope subtitle) goes through
  `present.escape.chart` (HTML entities, no `%{…}` placeholders, long names cut
  with "…"); names that only differ after the cut get " (2)", " (3)" so no two
  bars merge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from present import escape
from present.format import fmt_month, fmt_quarter
from present.labels import case_kind_name, kpi_label, kpi_name, pillar_name, t

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

CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
HEIGHT = 360


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
            margin=dict(l=64, r=24, t=48, b=56),
            legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, font=dict(size=13),
                        traceorder="normal"),
            hoverlabel=dict(font=dict(family=FONT_FAMILY, size=13)),
            xaxis=dict(showgrid=False, linecolor="#BDBDBD", ticks="outside", title=dict(font=dict(size=13)),
                       automargin=True),
            yaxis=dict(gridcolor=GRID_COLOR, zerolinecolor="#BDBDBD", rangemode="tozero",
                       title=dict(font=dict(size=13)), automargin=True, separatethousands=True),
            bargap=0.25,
        )
    )


TEMPLATE = template()


def apply(fig: go.Figure, height: int = HEIGHT) -> go.Figure:
    """Give any figure the dashboard template and height."""
    fig.update_layout(template=TEMPLATE, height=height)
    return fig


def empty_figure(lang: str | None = None, message: str | None = None, height: int = HEIGHT) -> go.Figure:
    """A blank chart that says "该范围内暂无数据" (or `message`)."""
    fig = go.Figure()
    fig.add_annotation(text=message or t("empty.scope", lang), x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=16, color=NEUTRAL_COLOR))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply(fig, height)


def is_empty(df: pd.DataFrame | None, value_cols: Sequence[str] = ()) -> bool:
    """No rows, or every value column all zero / NaN."""
    if df is None or df.empty:
        return True
    cols = [c for c in value_cols if c in df.columns]
    if not cols:
        return False
    vals = df[cols].apply(pd.to_numeric, errors="coerce").fillna(0)
    return bool((vals == 0).all().all())


def _month_labels(months: pd.Series, lang: str | None) -> list[str]:
    return [fmt_month(pd.Timestamp(m).date(), lang) for m in months]


def render_monthly_by_pillar(df: pd.DataFrame, metric: str = "activities", lang: str | None = None,
                             height: int = HEIGHT) -> go.Figure:
    """Stacked monthly bars per pillar from `kpi.series.monthly_by_pillar` (month, pillar, activities, participants).

    `metric` is 'activities' or 'participants'.
    """
    if metric not in ("activities", "participants"):
        raise ValueError(f"metric must be 'activities' or 'participants', got {metric!r}")
    if is_empty(df, [metric]):
        return empty_figure(lang, height=height)
    months = sorted(df["month"].unique())
    labels = _month_labels(pd.Series(months), lang)
    fig = go.Figure()
    for pillar in dict.fromkeys(df["pillar"]):
        part = df[df["pillar"] == pillar].set_index("month").reindex(months)
        name = escape.chart(pillar_name(pillar, lang))
        fig.add_bar(x=labels, y=part[metric].fillna(0).tolist(), name=name, marker_color=color_for(pillar),
                    hovertemplate=f"{name}<br>%{{x}}: %{{y:,}}<extra></extra>")
    fig.update_layout(barmode="stack", legend_title_text=t("legend.pillar", lang), showlegend=True)
    fig.update_xaxes(title_text=t("axis.month", lang), type="category")
    fig.update_yaxes(title_text=t(f"axis.{metric}", lang))
    return apply(fig, height)


def render_monthly_kpi(df: pd.DataFrame, kpi_ids: Sequence[str] | None = None, lang: str | None = None,
                       height: int = HEIGHT) -> go.Figure:
    """Lines per KPI (or per community when the frame has `community`) from `kpi.series.monthly`.

    Input columns: month, [community,] kpi_id, value. With one KPI the y axis is
    titled with its name and unit; with several, KPIs should share a unit.
    """
    if df is None or df.empty or df["value"].isna().all():
        return empty_figure(lang, height=height)
    ids = list(kpi_ids) if kpi_ids else list(dict.fromkeys(df["kpi_id"]))
    df = df[df["kpi_id"].isin(ids)]
    months = sorted(df["month"].unique())
    labels = dict(zip(months, _month_labels(pd.Series(months), lang), strict=True))
    fig = go.Figure()
    series_key = "community" if "community" in df.columns else "kpi_id"
    for n, (key, part) in enumerate(df.groupby(series_key, sort=False)):
        part = part.sort_values("month")
        name = escape.chart(kpi_name(key, lang) if series_key == "kpi_id" else key)
        fig.add_scatter(x=[labels[m] for m in part["month"]], y=part["value"], name=name, mode="lines+markers",
                        line=dict(color=SEQUENCE[n % len(SEQUENCE)], width=2.5), connectgaps=False)
    fig.update_xaxes(title_text=t("axis.month", lang), type="category")
    fig.update_yaxes(title_text=kpi_label(ids[0], lang) if len(ids) == 1 else None)
    if len(ids) == 1 and series_key == "kpi_id":
        fig.update_layout(showlegend=False)
    return apply(fig, height)


# ---------------------------------------------------------------------- domain pages (clickable charts, heat maps)
# Clickable charts carry each point's raw values in `customdata` (a list, in
# the order of the function's `PICK` fields) so that `ui.drilldown` can turn a
# click into a filter; `selected` (field → value) highlights the picked bar.

OUTCOME_COLORS: dict[str, str] = {"调解成功": GOOD_COLOR, "调解不成功": BAD_COLOR, "转交": NEUTRAL_COLOR}
# The article's service types keep one colour on every chart (other names take the sequence in order).
SERVICE_TYPE_COLORS: dict[str, str] = {
    "理发": "#4BA3C3", "缝纫修鞋": "#E0702B", "铲刀磨剪": "#7A4FA0",  # convenience services
    "水电燃气维修": "#2F5D9E", "安装晾衣架": "#E3A21A",  # home repairs
}
LINE_COLOR = "#C23B3B"  # the one line drawn over bars (backlog, rates, balance)
MARKER_COLOR = "#7A4FA0"  # median / 90th percentile markers
WITHIN_LIMIT_COLOR = "#E3A21A"  # backlog still within its time limit (overdue: BAD_COLOR)
FADED_OPACITY = 0.35
SEQUENTIAL_SCALE = [[0.0, "#F4F7FB"], [0.5, "#8FA9CF"], [1.0, "#2F5D9E"]]
TITLE_MARGIN_TOP = 104  # room for a title, its subtitle (the scope) and a legend row


def _iso(v) -> str:
    """A month / date / category as the string a click hands back."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if hasattr(v, "isoformat"):
        return pd.Timestamp(v).date().isoformat()
    return str(v)


def _label(v, lang: str | None, month: bool = False, none_label: str | None = None) -> str:
    """A category / legend name as plotly text (escaped and cut: `present.escape.chart`)."""
    return escape.chart(_words(v, lang, month, none_label))


def _words(v, lang: str | None, month: bool = False, none_label: str | None = None) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return none_label if none_label is not None else t("value.none", lang)
    if month:
        return fmt_month(pd.Timestamp(v).date(), lang)
    if v in PILLAR_COLORS:
        return pillar_name(v, lang)
    if v in CASE_KIND_COLORS:
        return case_kind_name(v, lang)
    return str(v)


def distinct_labels(labels: Sequence[str]) -> list[str]:
    """Category labels made unique in order (" (2)", " (3)"): distinct names that read the same after the cut
    must stay distinct bars / rows."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        n = seen.get(label, 0) + 1
        seen[label] = n
        out.append(label if n == 1 else f"{label} ({n})")
    return out


def palette(names: Sequence) -> dict:
    """A colour per name: pillars, case kinds and mediation outcomes keep their fixed colours, any other
    name takes the next colour of the sequence (in the order given, so pass a stable order)."""
    out: dict = {}
    rest = []
    for name in dict.fromkeys(names):
        fixed = (PILLAR_COLORS.get(name) or CASE_KIND_COLORS.get(name) or OUTCOME_COLORS.get(name)
                 or SERVICE_TYPE_COLORS.get(name))
        if fixed:
            out[name] = fixed
        else:
            rest.append(name)
    free = [c for c in SEQUENCE if c not in set(out.values())] or SEQUENCE
    for n, name in enumerate(rest):
        out[name] = free[n % len(free)]
    return out


SUBTITLE_LIMIT = 160
SUBTITLE_LINE = 25  # width of a subtitle line in CJK characters (an ASCII one counts 0.55): what a 360 px phone shows
SUBTITLE_LINE_PX = 16
TITLE_LINE = 20  # the same for a title (15 px text)
TITLE_LINE_PX = 20
SEPARATOR = " · "  # between the parts of the scope in words (ui.components.scope_words)


def _width(text: str) -> float:
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _chunks(part: str, width: float) -> list[str]:
    """`part` in pieces of at most `width`, broken after a space or a comma when there is one in the piece."""
    out: list[str] = []
    while _width(part) > width:
        n = 1
        while _width(part[:n + 1]) <= width:
            n += 1
        soft = max(part.rfind(c, 0, n) for c in " ，,、")
        n = soft + 1 if soft > 0 else n
        out.append(part[:n].rstrip())
        part = part[n:].lstrip()
    return out + ([part] if part else [])


def subtitle_lines(text: str, width: float = SUBTITLE_LINE) -> list[str]:
    """A subtitle broken into lines of at most `width`, at its " · " separators where it can; plotly does not
    wrap text, so a long subtitle would be cut at a phone's edge."""
    lines: list[str] = []
    for part in text.split(SEPARATOR):
        if lines and _width(lines[-1] + SEPARATOR + part) <= width:
            lines[-1] += SEPARATOR + part
        else:
            lines += _chunks(part, width)
    return lines


def with_title(fig: go.Figure, title: str, subtitle: str | None = None) -> go.Figure:
    """Set a chart's title and (smaller, grey) subtitle — the scope and period in words (data: escaped, cut at
    `SUBTITLE_LIMIT` characters); both broken into lines that fit a phone, the top margin growing with them."""
    heading = subtitle_lines(title, TITLE_LINE)
    t_ = dict(text="<br>".join(escape.chart(line, limit=None) for line in heading), x=0, xanchor="left",
              xref="container", y=1, yanchor="top", yref="container",
              pad=dict(l=12, t=10 + 8 * (len(heading) - 1)))  # plotly places a wrapped title a little high
    top = TITLE_MARGIN_TOP + TITLE_LINE_PX * (len(heading) - 1)
    if subtitle:
        lines = subtitle_lines(escape.cut(subtitle, SUBTITLE_LIMIT))
        t_["subtitle"] = dict(text="<br>".join(escape.chart(line, limit=None) for line in lines),
                              font=dict(size=12, color=NEUTRAL_COLOR))
        top += SUBTITLE_LINE_PX * (len(lines) - 1)
    fig.update_layout(title=t_, margin=dict(t=top))
    return fig


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the x axis: the top of a chart holds its title and scope line."""
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", xref="container", y=0, yanchor="bottom",
                                  yref="container"), margin=dict(b=118))
    return fig


def _empty(lang, height, message=None) -> go.Figure:
    fig = empty_figure(lang, message=message, height=height)
    fig.update_layout(margin=dict(t=TITLE_MARGIN_TOP))
    return fig


def render_bars_line(df: pd.DataFrame, x: str, bars: Sequence[tuple[str, str]], line: tuple[str, str] | None = None,
                     *, lang: str | None = None, x_title: str = "", y_title: str = "", y2_title: str = "",
                     line_percent: bool = False, bar_colors: Sequence[str] | None = None,
                     height: int = HEIGHT) -> go.Figure:
    """Grouped bars (one per `(column, name)` of `bars`) with an optional line on a second y axis.

    `x == "month"` labels month starts as months (2024年3月). Clickable: each
    bar's and line point's customdata is `[x value]` (ISO date for months) — PICK ("month",).
    `line_percent` draws the line axis 0–100+ with a % suffix.
    """
    cols = [c for c, _ in bars] + ([line[0]] if line else [])
    if df is None or df.empty or is_empty(df, cols):
        return _empty(lang, height)
    d = df.sort_values(x)
    is_month = x == "month"
    xs = distinct_labels([_label(v, lang, month=is_month) for v in d[x]])
    raw = [[_iso(v)] for v in d[x]]
    colors = list(bar_colors) if bar_colors else SEQUENCE
    fig = go.Figure()
    for n, (col, name) in enumerate(bars):
        name = escape.chart(name)
        fig.add_bar(x=xs, y=d[col].astype("float64").tolist(), name=name, marker_color=colors[n % len(colors)],
                    customdata=raw, hovertemplate=f"{name}<br>%{{x}}: %{{y:,}}<extra></extra>")
    if line:
        col, name = line
        name = escape.chart(name)
        fmt = "%{y:.1f}%" if line_percent else "%{y:,}"
        own_axis = bool(y2_title) and y2_title != y_title  # same unit as the bars: share their axis
        fig.add_scatter(x=xs, y=d[col].astype("float64").tolist(), name=name, mode="lines+markers",
                        yaxis="y2" if own_axis else "y", line=dict(color=LINE_COLOR, width=2.5), marker=dict(size=7),
                        customdata=raw,  # a click on the line's point picks its month, like its bars
                        connectgaps=False, hovertemplate=f"{name}<br>%{{x}}: {fmt}<extra></extra>")
        if own_axis:
            y2 = dict(title=dict(text=y2_title, font=dict(size=13)), overlaying="y", side="right", showgrid=False,
                      rangemode="tozero", automargin=True, separatethousands=True, tickmode="auto",
                      exponentformat="none")
            if line_percent:
                y2.update(ticksuffix="%", range=[0, max(105.0, float(d[col].max(skipna=True) or 0) * 1.05)])
            fig.update_layout(yaxis2=y2)
    fig.update_layout(barmode="group", clickmode="event+select",
                      yaxis=dict(title=dict(text=y_title), exponentformat="none"))
    _legend_below(fig)
    fig.update_xaxes(title_text=x_title or (t("axis.month", lang) if is_month else ""), type="category")
    return apply(fig, height)


def render_kpi_combo(df: pd.DataFrame, bar_ids: Sequence[str], line_id: str | None = None, *,
                     lang: str | None = None, y_title: str = "", share_axis: bool = False,
                     height: int = HEIGHT) -> go.Figure:
    """`render_bars_line` from a long `kpi.series.monthly` frame (month, kpi_id, value): bars for `bar_ids`
    (sharing a unit; axis titled with the first KPI's unit unless `y_title`), a line for `line_id` — on a
    second axis, or on the bars' axis with `share_axis` (same unit and similar size, e.g. a backlog)."""
    from kpi.catalogue import CATALOGUE

    if df is None or df.empty:
        return _empty(lang, height)
    wide = df.pivot_table(index="month", columns="kpi_id", values="value", aggfunc="first", dropna=False)
    wide = wide.reset_index()
    ids = list(bar_ids) + ([line_id] if line_id else [])
    for i in ids:
        if i not in wide:
            wide[i] = float("nan")
    bars = [(i, kpi_name(i, lang)) for i in bar_ids]
    line = (line_id, kpi_name(line_id, lang)) if line_id else None
    first = CATALOGUE[bar_ids[0]]
    if not y_title:
        y_title = kpi_label(first, lang) if len(bar_ids) == 1 else _unit_title(first, lang)
    y2_title = ""
    if line_id:
        lk = CATALOGUE[line_id]
        y2_title = y_title if share_axis and lk.unit_zh == first.unit_zh else kpi_label(lk, lang)
    line_pct = bool(line_id) and CATALOGUE[line_id].is_percent
    return render_bars_line(wide, "month", bars, line, lang=lang, y_title=y_title, y2_title=y2_title,
                            line_percent=line_pct, height=height)


def _unit_title(k, lang) -> str:
    unit = k.unit_en if lang == "en" else k.unit_zh
    return t("axis.count_unit", lang, unit=unit)


def render_stack_pick(df: pd.DataFrame, x: str, color: str, value: str, *, lang: str | None = None,
                      x_title: str = "", value_title: str = "", order: Sequence | None = None,
                      selected: dict | None = None, horizontal: bool = False, none_label: str | None = None,
                      height: int = HEIGHT) -> go.Figure:
    """Stacked bars, one trace per value of `color` (fixed colours for pillars / case kinds), clickable.

    customdata per bar: `[x value, color value]` — PICK (x, color) with months
    as ISO dates. `horizontal` puts `x` on the y axis (largest total on top).
    `selected` {x or color column: value} fades the other bars.
    """
    if df is None or df.empty or is_empty(df, [value]):
        return _empty(lang, height)
    is_month = x == "month"
    totals = df.groupby(x, dropna=False)[value].sum()
    xs = list(totals.sort_values(ascending=True).index) if horizontal else sorted(totals.index, key=_sort_key)
    keys = list(order) if order else list(dict.fromkeys(df[color]))
    keys += [k for k in dict.fromkeys(df[color]) if k not in keys]
    colors = palette(keys)
    xlabels = distinct_labels([_label(v, lang, month=is_month, none_label=none_label) for v in xs])
    fig = go.Figure()
    sel = selected or {}
    for key in keys:
        part = df[_eq(df[color], key)].groupby(x, dropna=False)[value].sum().reindex(xs).fillna(0)
        if not part.any():
            continue
        name = _label(key, lang, none_label=none_label)
        fill = [_shade(colors[key], _opacity(sel, {x: xv, color: key})) for xv in xs]
        cd = [[_iso(xv), _iso(key)] for xv in xs]
        if horizontal:
            fig.add_bar(y=xlabels, x=part.tolist(), name=name, orientation="h", marker_color=fill, customdata=cd,
                        hovertemplate=f"{name}<br>%{{y}}: %{{x:,}}<extra></extra>")
        else:
            fig.add_bar(x=xlabels, y=part.tolist(), name=name, marker_color=fill, customdata=cd, hovertemplate=f"{name}<br>%{{x}}: %{{y:,}}<extra></extra>")
    fig.update_layout(barmode="stack", clickmode="event+select")
    if horizontal:  # legend on the right: the bars need the height
        fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                                      traceorder="normal"))
        fig.update_yaxes(type="category", showgrid=False)
        _category_header(fig, x_title)
        fig.update_xaxes(title_text=value_title, showgrid=True, gridcolor=GRID_COLOR, rangemode="tozero")
        height = max(height, 34 * len(xs) + 180, 22 * len(keys) + 200)
    else:
        _legend_below(fig)
        fig.update_xaxes(title_text=x_title or (t("axis.month", lang) if is_month else ""), type="category")
        fig.update_yaxes(title_text=value_title)
    return apply(fig, height)


def _sort_key(v):
    return (v is None or (isinstance(v, float) and pd.isna(v)), str(v) if not hasattr(v, "isoformat") else v.isoformat())


def _eq(s: pd.Series, v) -> pd.Series:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return s.isna()
    return s == v


def _shade(color: str, alpha: float) -> str:
    """A colour faded to `alpha` (as rgba): highlights are drawn with colours, not marker opacity arrays —
    plotly.js does not emit the click selection of bars that have both text and per-bar opacities."""
    if alpha >= 1.0 or not color.startswith("#") or len(color) != 7:
        return color
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _opacity(selected: dict, point: dict) -> float:
    """1 for a picked point (or when nothing is picked), faded otherwise."""
    relevant = {k: v for k, v in selected.items() if k in point}
    if not relevant:
        return 1.0
    return 1.0 if all(_iso(point[k]) == _iso(v) for k, v in relevant.items()) else FADED_OPACITY


def render_rank_bar(df: pd.DataFrame, category: str, value: str, *, lang: str | None = None,
                    category_title: str = "", value_title: str = "", color_by: str | None = None,
                    colors: dict | None = None, selected: dict | None = None, none_label: str | None = None,
                    text: bool = True, value_format: str = ",.0f", hover: Sequence[tuple[str, str, str]] = (),
                    height: int = HEIGHT) -> go.Figure:
    """Horizontal bars, largest on top, clickable: customdata `[category value]` — PICK (category,).

    `color_by` names a column of pillars / case kinds / outcomes (fixed
    colours), `colors` maps category values to colours, else one colour.
    `hover` adds (column, label, d3-format) lines to the tooltip. The chart
    grows with the number of bars.
    """
    if df is None or df.empty or is_empty(df, [value]):
        return _empty(lang, height)
    d = df.sort_values(value, ascending=True, kind="stable")
    names = distinct_labels([_label(v, lang, none_label=none_label) for v in d[category]])
    if color_by:
        pal = palette(list(dict.fromkeys(d[color_by])))
        marker = [pal[v] for v in d[color_by]]
    elif colors:
        marker = [colors.get(v, SEQUENCE[0]) for v in d[category]]
    else:
        marker = SEQUENCE[0]
    sel = selected or {}
    if isinstance(marker, str):
        marker = [marker] * len(d)
    marker = [_shade(c, _opacity(sel, {category: v})) for c, v in zip(marker, d[category], strict=True)]
    extra = [c for c, _, _ in hover]
    cd = [[_iso(v), *row] for v, row in zip(d[category], d[extra].itertuples(index=False, name=None), strict=True)]
    lines = "".join(f"<br>{lab}: %{{customdata[{n + 1}]:{fmt}}}" for n, (_, lab, fmt) in enumerate(hover))
    fig = go.Figure(go.Bar(
        y=names, x=d[value].astype("float64"), orientation="h", marker_color=marker,
        customdata=cd, text=d[value].astype("float64") if text else None, texttemplate=f"%{{x:{value_format}}}",
        textposition="outside", cliponaxis=False,
        hovertemplate=f"%{{y}}<br>{value_title}: %{{x:{value_format}}}{lines}<extra></extra>",
    ))
    fig.update_xaxes(title_text=value_title, showgrid=True, gridcolor=GRID_COLOR, rangemode="tozero")
    fig.update_yaxes(type="category", showgrid=False)
    _category_header(fig, category_title)
    # room on the right for the longest bar's value (outside the bar: a phone's plot is narrow, it was cut)
    fig.update_layout(showlegend=False, clickmode="event+select", margin=dict(r=56 if text else 24))
    return apply(fig, max(height, 30 * len(d) + 150))


def _category_header(fig: go.Figure, title: str) -> None:
    """The category axis of horizontal bars titled like a column header, above its labels (a rotated
    title would collide with long Chinese labels)."""
    if title:
        fig.add_annotation(text=f"<b>{title}</b>", x=0, xref="paper", xanchor="right", xshift=-6, y=1,
                           yref="paper", yanchor="bottom", yshift=4, showarrow=False, font=dict(size=13))


def render_histogram(df: pd.DataFrame, value: str = "days", count: str = "cases", *, median: float | None = None,
                     p90: float | None = None, lang: str | None = None, x_title: str = "", y_title: str = "",
                     color: str = SEQUENCE[0], height: int = HEIGHT) -> go.Figure:
    """A distribution from (value, count) rows — e.g. days to close — with the median and the 90th
    percentile marked as dashed vertical lines (labelled with their values)."""
    if df is None or df.empty or is_empty(df, [count]):
        return _empty(lang, height)
    fig = go.Figure(go.Bar(x=df[value], y=df[count], marker_color=color, marker_line_width=0,
                           hovertemplate=f"{x_title}: %{{x}}<br>{y_title}: %{{y:,}}<extra></extra>"))
    fig.update_layout(bargap=0.05, showlegend=False)
    # a long tail would squeeze the bulk into a few pixels: show up to 2.5 × P90 (at least 30) and say
    # how many lie beyond
    top = float(df[value].max())
    cap = float(max(30, math.ceil(2.5 * float(p90)))) if p90 is not None and not pd.isna(p90) else top
    if top > cap:
        beyond = int(df.loc[df[value] > cap, count].sum())
        fig.update_xaxes(range=[-0.5, cap + 0.5])
        fig.add_annotation(x=1, xref="paper", xanchor="right", y=0.45, yref="paper", showarrow=False,
                           text=t("chart.beyond", lang, days=_trim_number(cap), n=beyond),
                           font=dict(size=12, color=NEUTRAL_COLOR), align="right")
    marks = [(median, t("chart.median", lang)), (p90, t("chart.p90", lang))]
    for n, (v, label) in enumerate(marks):
        if v is None or pd.isna(v):
            continue
        fig.add_vline(x=float(v), line=dict(color=MARKER_COLOR if n == 0 else BAD_COLOR, width=2, dash="dash"))
        fig.add_annotation(x=float(v), y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                           text=t("chart.marker", lang, label=label, value=_trim_number(float(v))),
                           font=dict(size=12, color=MARKER_COLOR if n == 0 else BAD_COLOR),
                           xanchor="left", xshift=4, yshift=-18 * n)
    fig.update_xaxes(title_text=x_title, type="linear")
    fig.update_yaxes(title_text=y_title)
    return apply(fig, height)


def _trim_number(v: float) -> str:
    s = f"{v:,.1f}"
    return s[:-2] if s.endswith(".0") else s


def render_aging(df: pd.DataFrame, bucket: str = "bucket", cases: str = "cases", overdue: str = "overdue", *,
                 lang: str | None = None, x_title: str = "", y_title: str = "", selected: dict | None = None,
                 height: int = HEIGHT) -> go.Figure:
    """Backlog aging buckets (in the frame's order): within the time limit and overdue, stacked; clickable —
    customdata `[bucket]`, PICK (bucket,)."""
    if df is None or df.empty or is_empty(df, [cases]):
        return _empty(lang, height)
    labels = [t("chart.days_bucket", lang, bucket=b) for b in df[bucket]]
    within = (df[cases] - df[overdue]).astype("float64")
    sel = selected or {}
    opac = [_opacity(sel, {bucket: b}) for b in df[bucket]]
    amber, red = [_shade(WITHIN_LIMIT_COLOR, o) for o in opac], [_shade(BAD_COLOR, o) for o in opac]
    cd = [[str(b)] for b in df[bucket]]
    fig = go.Figure()
    fig.add_bar(x=labels, y=within, name=t("chart.within_limit", lang), marker_color=amber, customdata=cd,
                hovertemplate="%{x}: %{y:,}<extra></extra>")
    fig.add_bar(x=labels, y=df[overdue].astype("float64"), name=t("chart.overdue", lang), marker_color=red,
                customdata=cd, hovertemplate="%{x}: %{y:,}<extra></extra>")
    fig.update_layout(barmode="stack", clickmode="event+select")
    _legend_below(fig)
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(title_text=y_title)
    return apply(fig, height)


def render_heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, lang: str | None = None, x_title: str = "",
                   y_title: str = "", z_title: str = "", y_label: str | None = None, group: str | None = None,
                   percent: bool = False, target: float | None = None, selected: dict | None = None,
                   decimals: int = 1, height: int | None = None) -> go.Figure:
    """A heat map of `z` over `x` (months / quarters as dates, or any category) × `y`, values written in the
    cells, clickable: an invisible marker per cell carries customdata `[x value, y value(, group value)]` —
    PICK (x, y[, group]).

    `group` (e.g. community for compounds) is part of a row's identity: rows are
    (group, y) and a `y` name that repeats across groups is shown with its
    group. `y_label` names a column with the row text instead. `target` (e.g.
    100 for a coverage rate) switches to a two-sided scale: red below the
    target, green at or above it. Missing values stay blank.
    """
    if df is None or df.empty or df[z].isna().all():
        return _empty(lang, height or HEIGHT)
    d = df.copy()
    d["_row"] = list(zip(d[group] if group else [None] * len(d), d[y], strict=True))
    xs = sorted(d[x].dropna().unique(), key=_sort_key)
    rows = list(dict.fromkeys(d["_row"]))
    is_date = bool(xs) and hasattr(xs[0], "isoformat")
    words = {v: (fmt_month(pd.Timestamp(v).date(), lang) if x == "month" else _quarter_label(v, lang, short=True))
             if is_date else v for v in xs}
    xl = {v: _two_lines(w) if is_date else escape.chart(w) for v, w in words.items()}
    repeated = pd.Series([r[1] for r in rows]).duplicated(keep=False).tolist()
    if y_label:
        text_of = dict(zip(d["_row"], d[y_label].astype(str), strict=False))
        ylabels = [escape.chart(text_of[r]) for r in rows]
    else:
        ylabels = [f"{escape.chart(r[1])}（{escape.chart(r[0])}）" if rep and r[0] is not None else escape.chart(r[1])
                   for r, rep in zip(rows, repeated, strict=True)]
    ylabels = distinct_labels(ylabels)
    grid = d.pivot_table(index="_row", columns=x, values=z, aggfunc="first", dropna=False)
    zvals = grid.reindex(index=rows, columns=xs).to_numpy(dtype="float64")
    suffix = "%" if percent else ""
    text = [["" if pd.isna(v) else f"{v:,.{decimals}f}{suffix}" for v in row] for row in zvals]
    xlabels = distinct_labels([xl[v] for v in xs])
    xhover = distinct_labels([escape.chart(words[v]) for v in xs])
    zmax = float(pd.Series(zvals.ravel()).max(skipna=True) or 0)
    if target is not None:
        top = max(zmax, target * 1.2)
        cut = min(max(target / top, 0.01), 0.99)
        scale = [[0.0, BAD_COLOR], [cut * 0.999, "#FCE8E6"], [cut, "#E6F4EA"], [1.0, GOOD_COLOR]]
        zmin, ztop = 0.0, top
    else:
        scale, zmin, ztop = SEQUENTIAL_SCALE, 0.0, max(zmax, 1e-9)
    fig = go.Figure(go.Heatmap(
        z=zvals, x=xlabels, y=ylabels, text=text, texttemplate="%{text}", textfont=dict(size=12),
        colorscale=scale, zmin=zmin, zmax=ztop, xgap=2, ygap=2, hoverinfo="skip", showscale=False,
    ))  # no colour bar: every cell writes its value, and the bar took a third of a phone's width
    px, py, cd, hover = [], [], [], []
    for i, r in enumerate(rows):
        for j, xv in enumerate(xs):
            px.append(xlabels[j])
            py.append(ylabels[i])
            cd.append([_iso(xv), _iso(r[1])] + ([_iso(r[0])] if group else []))
            hover.append(f"{ylabels[i]} · {xhover[j]}<br>{z_title}: {text[i][j] or '—'}")
    # invisible markers: heat maps cannot be selected in plotly, markers can; with hoverdistance -1 the
    # nearest marker (= the cell under the pointer) takes the click
    fig.add_scatter(x=px, y=py, mode="markers", customdata=cd, hovertext=hover, hoverinfo="text",
                    marker=dict(size=20, symbol="square", color="rgba(0,0,0,0)", line=dict(width=0)),
                    selected=dict(marker=dict(opacity=0.0)), unselected=dict(marker=dict(opacity=0.0)),
                    showlegend=False)
    sel = selected or {}
    pick = [sel.get(x), sel.get(y)] + ([sel.get(group)] if group else [])
    if all(v is not None for v in pick):
        for i, r in enumerate(rows):
            for j, xv in enumerate(xs):
                if [_iso(xv), _iso(r[1])] + ([_iso(r[0])] if group else []) == [_iso(v) for v in pick]:
                    fig.add_shape(type="rect", xref="x", yref="y", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                                  line=dict(color=TEXT_COLOR, width=2.5))
    # fixed ranges: the invisible markers must not pad the axes
    fig.update_xaxes(title_text=x_title, type="category", showgrid=False, ticks="", showline=False,
                     range=[-0.5, len(xs) - 0.5], autorange=False)
    if is_date:  # two short lines fit a phone's columns upright (turned, they would read bottom line first)
        fig.update_xaxes(tickangle=0)
    fig.update_yaxes(title_text=y_title, type="category", showgrid=False, ticks="", showline=False,
                     range=[len(rows) - 0.5, -0.5], autorange=False)
    fig.update_layout(clickmode="event+select", hovermode="closest", hoverdistance=-1, showlegend=False)
    return apply(fig, height or max(HEIGHT, 30 * len(rows) + 170))


def _quarter_label(v, lang, short: bool = False) -> str:
    return fmt_quarter(pd.Timestamp(v).date(), lang, short=short)


def _two_lines(label: str) -> str:
    """A month or quarter tick as two lines of chart text (2026年<br>7月, Jul<br>2026): narrow columns (a phone)
    need neither slanted labels nor overlapping ones."""
    head, sep, tail = label.partition("年")
    if not (sep and tail):
        head, sep, tail = label.rpartition(" ")
        sep = ""
    if not (head and tail):
        return escape.chart(label)
    return f"{escape.chart(head + sep)}<br>{escape.chart(tail)}"


def render_cohort(df: pd.DataFrame, *, lang: str | None = None, height: int | None = None) -> go.Figure:
    """Quarterly retention cohorts (`kpi.volunteers.retention_cohorts`): cohort quarter (rows, with its size)
    × quarters since joining (columns), % of the cohort active, on the sequential scale."""
    if df is None or df.empty or df["size"].sum() == 0:
        return _empty(lang, height or HEIGHT)
    d = df.copy()
    d["offset_label"] = [t("chart.cohort_offset", lang, n=int(n)) for n in d["offset"]]
    d["cohort_label"] = [t("chart.cohort_row", lang, quarter=_quarter_label(c, lang, short=True), n=int(s))
                         for c, s in zip(d["cohort"], d["size"], strict=True)]
    fig = render_heatmap(d, "offset_label", "cohort", "retention", lang=lang, y_label="cohort_label",
                         x_title=t("axis.cohort_offset", lang), y_title=t("axis.cohort", lang),
                         z_title=t("axis.retention", lang), percent=True, decimals=0, height=height)
    # columns in offset order (the labels are text: keep numeric order)
    order = [escape.chart(t("chart.cohort_offset", lang, n=int(n))) for n in sorted(d["offset"].unique())]
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    fig.update_layout(clickmode="event")
    return fig


def render_kpi_lines(df: pd.DataFrame, kpi_ids: Sequence[str], *, lang: str | None = None, y_title: str = "",
                     height: int = HEIGHT) -> go.Figure:
    """`render_monthly_kpi` for some KPIs of a longer `kpi.series.monthly` frame, with a y axis title (e.g.
    "比率（%）" for several rates); the empty figure when none of them has a value."""
    ids = list(kpi_ids)
    part = df[df["kpi_id"].isin(ids)] if df is not None and not df.empty else df
    if part is None or part.empty or part["value"].isna().all():
        return _empty(lang, height)
    fig = render_monthly_kpi(part, ids, lang=lang, height=height)
    _legend_below(fig)
    if y_title:
        fig.update_layout(yaxis=dict(title=dict(text=y_title)))
    return fig


PERIOD_SHADE = _shade(SEQUENCE[0], 0.09)  # the selected period behind a longer monthly trend: the template's blue


def _categories(fig: go.Figure) -> list:
    """The x categories of a vertical chart in the order plotly draws them (first appearance over the traces)."""
    out: dict = {}
    for trace in fig.data:
        if getattr(trace, "orientation", None) == "h" or trace.x is None:
            continue
        out.update(dict.fromkeys(trace.x))
    return list(out)


def shade_period(fig: go.Figure, start, end, lang: str | None = None) -> go.Figure:
    """Shade the months of [start, end] on a monthly chart (x = month labels, as every `render_*` here draws
    them) and label the band "所选期间" — the selected period inside a longer trend (`kpi.calendar.trend_window`).

    Nothing is added when no month of the period is on the chart, or when every month is (a period as long as
    the trend: the band would only repeat the whole chart)."""
    from kpi.calendar import month_starts

    cats = _categories(fig)
    wanted = {_label(m, lang, month=True) for m in month_starts(start, end)}
    idx = [i for i, c in enumerate(cats) if c in wanted]
    if not idx or len(idx) == len(cats):
        return fig
    fig.add_vrect(x0=min(idx) - 0.5, x1=max(idx) + 0.5, fillcolor=PERIOD_SHADE, line_width=0, layer="below",
                  annotation=dict(text=escape.chart(t("chart.selected_period", lang)), showarrow=False,
                                  font=dict(size=12, color=SEQUENCE[0]), yanchor="bottom"),
                  annotation_position="top left")  # just above the plot area: never over a bar
    return fig


# ---------------------------------------------------------------------- the explorer's answer

TIME_DIMENSIONS = ("month", "quarter", "year")


def time_label(v, dim: str, lang: str | None) -> str:
    """A time dimension's value as shown: 2024-03, 2024年第1季度 / 2024 Q1, 2024."""
    if v is None:
        return ""
    return fmt_quarter(str(v), lang) if dim == "quarter" else str(v)


def answer_shape(group: Sequence[str]) -> str:
    """Which chart an explorer answer takes: 'number' (ungrouped), 'line' (over time), 'bars' (over a
    category) or 'heatmap' (two dimensions)."""
    if not group:
        return "number"
    if len(group) == 2:
        return "heatmap"
    return "line" if group[0] in TIME_DIMENSIONS else "bars"


def render_answer(df: pd.DataFrame, group: Sequence[str], value_title: str, *, lang: str | None = None,
                  dim_titles: dict | None = None, none_label: str | None = None, percent: bool = False,
                  decimals: int = 0, height: int = HEIGHT) -> go.Figure:
    """The explorer's answer (`kpi.explore.answer`: the `group` columns and `value`) as the chart its shape
    calls for (`answer_shape`): a single number, a line over time, horizontal bars over a category, a heat map
    over two dimensions (time, when grouped by it, across). Names from the data are escaped."""
    titles = dim_titles or {}
    shape = answer_shape(group)
    fmt = f",.{decimals}f"
    suffix = "%" if percent else ""
    if shape == "number":
        v = df["value"].iloc[0] if len(df) else float("nan")
        fig = go.Figure(go.Indicator(mode="number", value=None if pd.isna(v) else float(v),
                                     number=dict(valueformat=fmt, suffix=suffix, font=dict(size=56)),
                                     title=dict(text=escape.chart(value_title, limit=None))))
        if pd.isna(v):
            return _empty(lang, height)
        return apply(fig, 220)
    if df is None or df.empty or df["value"].isna().all():
        return _empty(lang, height)
    d = df.copy()
    relabel = {}  # time codes sort as time (2025Q1 < 2025Q2 < 2026Q1); their labels replace them once drawn
    for g in group:
        if g in TIME_DIMENSIONS:
            relabel.update({escape.chart(v): escape.chart(time_label(v, g, lang)) for v in d[g]})
            if shape == "line":
                d[g] = [time_label(v, g, lang) for v in d[g]]
        else:
            d[g] = [none_label if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in d[g]]
    if shape == "line":
        g = group[0]
        fig = go.Figure(go.Scatter(
            x=[escape.chart(v) for v in d[g]], y=d["value"].astype("float64"), mode="lines+markers",
            line=dict(color=SEQUENCE[0], width=2.5),
            hovertemplate=f"%{{x}}<br>{escape.chart(value_title, limit=None)}: %{{y:{fmt}}}{suffix}<extra></extra>"))
        fig.update_xaxes(title_text=titles.get(g, ""), type="category")
        fig.update_yaxes(title_text=value_title, ticksuffix=suffix)
        fig.update_layout(showlegend=False)
        return apply(fig, height)
    if shape == "bars":
        return render_rank_bar(d, group[0], "value", lang=lang, category_title=titles.get(group[0], ""),
                               value_title=value_title, value_format=fmt, height=height)
    x, y = (group[0], group[1]) if group[0] in TIME_DIMENSIONS or group[1] not in TIME_DIMENSIONS \
        else (group[1], group[0])
    fig = render_heatmap(d, x, y, "value", lang=lang, x_title=titles.get(x, ""), y_title=titles.get(y, ""),
                         z_title=value_title, percent=percent, decimals=decimals, height=height)
    if x in TIME_DIMENSIONS:
        for trace in fig.data:
            trace.x = [relabel.get(v, v) for v in trace.x]
    return fig
