"""The briefing's four charts as native PowerPoint charts (python-pptx), so a clerk can restyle them.

Built from the same `Briefing` frames as the plotly figures (`briefing.figures`):

- trend: activities per month by pillar, stacked columns in the pillar colours;
- issues: requests opened / closed per quarter (clustered columns) and, below
  it, the closure rate per quarter as a separate line chart (python-pptx has no
  combo charts, and a hand-grafted second plot would not match the chart's
  embedded workbook when the clerk edits the data);
- volunteers: points awarded / redeemed per month (clustered columns) and
  active volunteers per month (line chart below);
- scope: the whole street's governance score by community (×100), or, for one
  community, participations per 100 households by compound (horizontal bars).

No browser is needed. Chart text is set in an East Asian typeface too, so
Chinese labels do not fall back to a Latin font.
"""

from __future__ import annotations

import pandas as pd

from present import charts as C
from present.format import fmt_month, fmt_quarter, missing
from present.labels import kpi_unit, pillar_name, t

from . import figures as F
from .model import Briefing

FONT = "Microsoft YaHei"
ISSUE_COLORS = {"cases_opened": "#7A4FA0", "cases_closed": "#B39DDB"}
VOLUNTEER_COLORS = {"points_awarded": C.PILLAR_COLORS.get("志愿服务", "#1F8A70"), "points_redeemed": "#E3A21A"}
LINE_COLOR = "#2F5D9E"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = '0.0"%"'
SCORE_FORMAT = "0.0"


def _month_label(m, first: bool, lang: str) -> str:
    d = pd.Timestamp(m).date()
    return fmt_month(d, lang, year=first or d.month == 1)


def _quarter_label(code: str, lang: str) -> str:
    return fmt_quarter(code, lang, short=True)


def _num(v) -> float | None:
    return None if missing(v) else float(v)


# ---------------------------------------------------------------- styling

def _ea(rpr) -> None:
    """The Latin, East Asian and complex-script typeface of a run-properties element."""
    from pptx.oxml.ns import qn

    for tag in ("a:latin", "a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", FONT)


def _style(chart, title: str | None, size: float = 11, legend: bool = True) -> None:
    """Fonts (with the East Asian typeface), the title (None: none, the slide's title says it) and the legend."""
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_LEGEND_POSITION
    from pptx.util import Pt

    chart.font.size = Pt(size)
    chart.font.color.rgb = RGBColor.from_string(F.INK.lstrip("#"))
    _ea(chart.font._rPr)
    chart.has_title = title is not None
    if title is not None:
        tf = chart.chart_title.text_frame
        tf.text = title
        for p in tf.paragraphs:
            for r in p.runs:
                r.font.size = Pt(size + 2)
                r.font.bold = True
                _ea(r._r.get_or_add_rPr())
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(size - 1)
        _ea(chart.legend.font._rPr)


def _color(series, hex_color: str, line: bool = False) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    rgb = RGBColor.from_string(hex_color.lstrip("#"))
    if line:
        series.format.line.color.rgb = rgb
        series.format.line.width = Pt(2.25)
        series.smooth = False
        from pptx.enum.chart import XL_MARKER_STYLE

        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.size = 6
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = rgb
        series.marker.format.line.color.rgb = rgb
    else:
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb


def _axes(chart, number_format: str, gridlines: bool = True, axis_title: str | None = None,
          from_zero: bool = True) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    va = chart.value_axis
    if from_zero:  # bars start at 0 (PowerPoint / LibreOffice may otherwise start the axis near the data)
        va.minimum_scale = 0
    va.has_major_gridlines = gridlines
    if gridlines:
        va.major_gridlines.format.line.color.rgb = RGBColor.from_string(C.GRID_COLOR.lstrip("#"))
    va.tick_labels.number_format = number_format
    va.tick_labels.number_format_is_linked = False
    va.format.line.fill.background()
    if axis_title:
        va.has_title = True
        va.axis_title.text_frame.text = axis_title
        for p in va.axis_title.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(10)
                r.font.bold = False
                _ea(r._r.get_or_add_rPr())
    chart.category_axis.format.line.color.rgb = RGBColor.from_string("BDBDBD")
    chart.category_axis.has_major_gridlines = False


def _labels(plot, number_format: str, size: float = 9, position=None) -> None:
    from pptx.util import Pt

    plot.has_data_labels = True
    dl = plot.data_labels
    dl.number_format = number_format
    dl.number_format_is_linked = False
    dl.font.size = Pt(size)
    _ea(dl.font._rPr)
    if position is not None:
        dl.position = position


def _add(slide, chart_type, data, x, y, w, h):
    from pptx.util import Inches

    return slide.shapes.add_chart(chart_type, Inches(x), Inches(y), Inches(w), Inches(h), data).chart


# ---------------------------------------------------------------- the four charts

def trend(slide, b: Briefing, lang: str, x: float, y: float, w: float, h: float) -> list:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    df = b.trend
    months = sorted(df["month"].unique())
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = [_month_label(m, i == 0, lang) for i, m in enumerate(months)]
    pillars = list(dict.fromkeys(df["pillar"]))
    for p in pillars:
        part = df[df["pillar"] == p].set_index("month").reindex(months)["activities"].fillna(0)
        data.add_series(pillar_name(p, lang), [float(v) for v in part])
    chart = _add(slide, XL_CHART_TYPE.COLUMN_STACKED, data, x, y, w, h)
    _style(chart, None)
    _axes(chart, COUNT_FORMAT, axis_title=t("briefing.activities", lang))
    chart.plots[0].gap_width = 60
    chart.plots[0].overlap = 100
    for p, s in zip(pillars, chart.plots[0].series, strict=True):
        _color(s, C.color_for(p))
    return [chart]


def issues(slide, b: Briefing, lang: str, x: float, y: float, w: float, h: float) -> list:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION

    df = b.issues
    quarters = list(dict.fromkeys(df["quarter"]))
    piv = df.pivot(index="quarter", columns="kpi_id", values="value").reindex(quarters)
    cats = [_quarter_label(q, lang) for q in quarters]
    h_bars = h * 0.62
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = cats
    for kid in ("cases_opened", "cases_closed"):
        data.add_series(t(f"briefing.{kid}", lang), [float(v) for v in piv[kid].fillna(0)])
    bars = _add(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, data, x, y, w, h_bars)
    _style(bars, None)
    _axes(bars, COUNT_FORMAT, axis_title=kpi_unit("cases_opened", lang))
    _labels(bars.plots[0], COUNT_FORMAT, position=XL_LABEL_POSITION.OUTSIDE_END)
    for kid, s in zip(("cases_opened", "cases_closed"), bars.plots[0].series, strict=True):
        _color(s, ISSUE_COLORS[kid])

    data = CategoryChartData(number_format=PERCENT_FORMAT)
    data.categories = cats
    data.add_series(t("briefing.closure_rate", lang), [_num(v) for v in piv["closure_rate"]])
    line = _add(slide, XL_CHART_TYPE.LINE_MARKERS, data, x, y + h_bars, w, h - h_bars)
    _style(line, t("briefing.closure_rate", lang), size=10, legend=False)
    _axes(line, '0"%"', from_zero=False)
    _labels(line.plots[0], PERCENT_FORMAT, position=XL_LABEL_POSITION.ABOVE)
    _color(line.plots[0].series[0], C.GOOD_COLOR, line=True)
    return [bars, line]


def volunteers(slide, b: Briefing, lang: str, x: float, y: float, w: float, h: float) -> list:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    df = b.volunteers
    months = sorted(df["month"].unique())
    piv = df.pivot(index="month", columns="kpi_id", values="value").reindex(months)
    cats = [_month_label(m, i == 0, lang) for i, m in enumerate(months)]
    h_bars = h * 0.62
    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = cats
    for kid in ("points_awarded", "points_redeemed"):
        data.add_series(t(f"briefing.{kid}", lang), [float(v) for v in piv[kid].fillna(0)])
    bars = _add(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, data, x, y, w, h_bars)
    _style(bars, None)
    _axes(bars, COUNT_FORMAT, axis_title=kpi_unit("points_awarded", lang))
    for kid, s in zip(("points_awarded", "points_redeemed"), bars.plots[0].series, strict=True):
        _color(s, VOLUNTEER_COLORS[kid])

    data = CategoryChartData(number_format=COUNT_FORMAT)
    data.categories = cats
    data.add_series(t("briefing.active_volunteers", lang), [_num(v) for v in piv["active_volunteers"]])
    line = _add(slide, XL_CHART_TYPE.LINE_MARKERS, data, x, y + h_bars, w, h - h_bars)
    _style(line, t("briefing.active_volunteers", lang), size=10, legend=False)
    _axes(line, COUNT_FORMAT, from_zero=False)
    _color(line.plots[0].series[0], LINE_COLOR, line=True)
    return [bars, line]


def scope(slide, b: Briefing, lang: str, x: float, y: float, w: float, h: float) -> list:
    """Horizontal bars, the largest on top (PowerPoint draws the first category at the bottom)."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION

    data = CategoryChartData()
    if b.meta.scope.community:
        d = b.compounds.sort_values("participants_per_100_households", ascending=True, na_position="first")
        data.categories = [str(c) for c in d["compound"]]
        axis = t("briefing.per_hundred", lang)
        data.add_series(axis, [float(v) for v in d["participants_per_100_households"].fillna(0)], number_format="0.0")
        fmt, color = "0.0", C.PILLAR_COLORS.get("社会治理", "#2F5D9E")
        colors = None
    else:
        d = b.scorecard.sort_values("score", ascending=True, na_position="first")
        data.categories = [str(c) for c in d["community"]]
        axis = t("briefing.score", lang) + ("（×100）" if lang == "zh" else " (×100)")
        data.add_series(axis, [0.0 if missing(s) else float(s) * 100 for s in d["score"]], number_format=SCORE_FORMAT)
        fmt, color = SCORE_FORMAT, C.PILLAR_COLORS.get("社会治理", "#2F5D9E")
        colors = [C.BAD_COLOR if r > 0 else ("#E3A21A" if wn > 0 else color)
                  for r, wn in zip(d["red_warnings"], d["warnings"], strict=True)]
    chart = _add(slide, XL_CHART_TYPE.BAR_CLUSTERED, data, x, y, w, h)
    _style(chart, None, legend=False)
    _axes(chart, "0", axis_title=axis)
    _labels(chart.plots[0], fmt, position=XL_LABEL_POSITION.OUTSIDE_END)
    chart.plots[0].gap_width = 50
    series = chart.plots[0].series[0]
    _color(series, color)
    if colors:
        from pptx.dml.color import RGBColor

        for i, c in enumerate(colors):
            pt = series.points[i]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = RGBColor.from_string(c.lstrip("#"))
    return [chart]


CHARTS = {"trend": trend, "issues": issues, "volunteers": volunteers, "scope": scope}


def add_chart(slide, b: Briefing, key: str, lang: str, x: float, y: float, w: float, h: float) -> list:
    """The native chart(s) of `key` in the box (inches); returns the python-pptx chart objects."""
    return CHARTS[key](slide, b, lang, x, y, w, h)
