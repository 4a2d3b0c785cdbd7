"""The briefing as plotly figures (no Streamlit): the 16:9 canvas, stand-alone charts, PDF pages.

The whole briefing is ONE figure: the title band, the KPI tiles (shapes and
annotations), four charts (axes placed by domain), the warnings and the
narrative (annotations, wrapped here) and a footer that states scope, quarter,
data freshness and 演示数据. Layout is in pixels of a fixed canvas (1920×1080)
through `Frame`, so the figure looks the same wherever it is rendered; kaleido
renders it to PNG, and the same builders give the PDF pages (A4 landscape) and
the PPTX chart images. Fonts, pillar colours and the template are the
dashboard's (`present.charts`); every text comes from `present.labels` (keys `briefing.*`)
and every number is formatted by `present.format`, as on the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from kpi.catalogue import CATALOGUE, scorecard_ids
from present import charts as C
from present import escape
from present.format import (
    DASH,
    fmt_change,
    fmt_kpi,
    fmt_month,
    fmt_number,
    fmt_quarter,
    fmt_relative,
    fmt_score,
    fmt_timestamp,
    fmt_year,
    missing,
)
from present.labels import kpi_name, kpi_unit, pillar_name, t

from .model import Briefing

W, H = 1920, 1080  # the canvas (PNG export, page view)
PAGE_W, PAGE_H = 1920, 1358  # A4 landscape (297 × 210 mm) at the canvas width
FONT = C.FONT_FAMILY
INK = C.TEXT_COLOR
MUTED = "#5F6368"
RULE = "#DADCE0"
BAND = "#B3261E"  # title band: 党建 red
BAND_INK = "#FFFFFF"
CARD = "#FFFFFF"
CARD_LINE = "#E0E0E0"
BG = "#F6F4F1"
DEMO_BG = "#FFE08A"
DEMO_INK = "#8A1C12"
LEVEL_COLORS = {"red": "#C5221F", "yellow": "#A66300"}  # text on white: darker than the chart colours


def esc(s: object) -> str:
    """Text inside plotly annotations, tables and labels (which read a little HTML): `present.escape.chart`,
    whole (wrapped elsewhere)."""
    return escape.chart(s, limit=None)


def name_label(s: object) -> str:
    """A name from the data as a chart category: escaped and cut with "…" (`present.escape.chart`)."""
    return escape.chart(s)


# ---------------------------------------------------------------- text layout

def char_width(ch: str) -> float:
    """Approximate advance of one character in em (Noto Sans CJK)."""
    o = ord(ch)
    if o >= 0x2E80 or 0xFF00 <= o <= 0xFFEF or ch in "“”‘’—…":
        return 1.0
    if ch == " ":
        return 0.28
    if ch.isdigit():
        return 0.56
    if ch in "il.,:;'|!":
        return 0.28
    if ch in "mwMW%":
        return 0.85
    if ch.isupper():
        return 0.66
    return 0.53


def text_width(s: str, size: float) -> float:
    return sum(char_width(c) for c in s) * size


WRAP_SAFETY = 0.93  # the width estimate is approximate: leave room
_NO_LINE_START = set("，。；：、）》」』”’！？,.;:)%")


def wrap(s: str, width_px: float, size: float) -> list[str]:
    """Greedy line breaking by measured width: CJK anywhere, Latin at spaces; no line starts with 。，；"""
    lines: list[str] = []
    line, w = "", 0.0
    tokens: list[str] = []
    word = ""
    for ch in s:  # Latin words stay whole, every CJK character is a token
        if ord(ch) < 0x2E80 and ch not in "“”‘’—…" and ch != " ":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    for tok in tokens:
        tw = text_width(tok, size)
        if w + tw > width_px and line.strip() and tok[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, w = ("" if tok == " " else tok), (0.0 if tok == " " else tw)
        else:
            line += tok
            w += tw
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit_paragraphs(paragraphs: list[str], width_px: float, height_px: float, size: float, min_size: float = 11,
                   line_height: float = 1.45, gap: float = 0.5) -> tuple[str, float, bool]:
    """Wrap paragraphs into `<br>`-joined text at the largest size ≤ `size` that fits the box.

    Returns (text, size, complete); when even `min_size` does not fit, the text
    is cut after the last whole line that fits and ends with "…".
    """
    s = size
    while True:
        out: list[str] = []
        for n, p in enumerate(paragraphs):
            if n:
                out.append("")  # paragraph gap (half a line is not possible in plotly: a short blank line)
            out.extend(esc(x) for x in wrap(p, width_px, s))
        n_blank = sum(1 for x in out if not x)
        needed = ((len(out) - n_blank) + n_blank * gap) * s * line_height
        if needed <= height_px or s <= min_size:
            break
        s -= 0.5
    complete = needed <= height_px
    if not complete:
        max_lines = int(height_px / (s * line_height))
        out = out[: max(max_lines - 1, 1)] + ["…"]
    text = "<br>".join(x if x else "<span style='font-size:4px'> </span>" for x in out)
    return text, s, complete


# ---------------------------------------------------------------- pixel frame

@dataclass
class Frame:
    """Pixel coordinates (origin top-left) on a figure of `w`×`h` px; `oy` shifts everything down.

    Shapes and annotations are collected and added in one go by `flush()`
    (plotly re-validates the whole list on every `add_annotation`).
    """

    fig: go.Figure
    w: int = W
    h: int = H
    oy: int = 0
    shapes: list = field(default_factory=list)
    annotations: list = field(default_factory=list)

    def flush(self) -> go.Figure:
        if self.shapes or self.annotations:
            self.fig.update_layout(shapes=[*self.fig.layout.shapes, *self.shapes],
                                   annotations=[*self.fig.layout.annotations, *self.annotations])
            self.shapes, self.annotations = [], []
        return self.fig

    def px(self, x: float) -> float:
        return x / self.w

    def py(self, y: float) -> float:
        return 1 - (y + self.oy) / self.h

    def rect(self, x0, y0, x1, y1, fill=CARD, line=None, width=1.0, layer="below") -> None:
        self.shapes.append(dict(type="rect", xref="paper", yref="paper", x0=self.px(x0), x1=self.px(x1),
                           y0=self.py(y1), y1=self.py(y0), fillcolor=fill, layer=layer,
                           line=dict(color=line or fill, width=width if line else 0)))

    def line(self, x0, y0, x1, y1, color=RULE, width=1.0, dash=None) -> None:
        self.shapes.append(dict(type="line", xref="paper", yref="paper", x0=self.px(x0), x1=self.px(x1),
                                y0=self.py(y0), y1=self.py(y1), line=dict(color=color, width=width, dash=dash)))

    def text(self, x, y, s, size=14, color=INK, xanchor="left", yanchor="top", align="left", bold=False) -> None:
        self.annotations.append(dict(
            x=self.px(x), y=self.py(y), xref="paper", yref="paper", text=f"<b>{s}</b>" if bold else s,
            showarrow=False, xanchor=xanchor, yanchor=yanchor, align=align,
            font=dict(size=size, color=color, family=FONT), borderpad=0,
        ))

    def domain(self, x0, y0, x1, y1) -> tuple[list[float], list[float]]:
        return [self.px(x0), self.px(x1)], [self.py(y1), self.py(y0)]


def _figure(w: int, h: int, bg: str = "white") -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template=C.TEMPLATE, width=w, height=h, margin=dict(l=0, r=0, t=0, b=0),
                      paper_bgcolor=bg, plot_bgcolor="white", showlegend=True, barmode="group",
                      font=dict(family=FONT, color=INK, size=13))
    # the template's axes would otherwise show up as an empty plot
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig


# ---------------------------------------------------------------- charts in a box

@dataclass
class Cell:
    """Where one chart goes: axes number n (x{n}/y{n}, secondary y{n+10}), legend id, pixel box."""

    n: int
    frame: Frame
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the plot area (px)
    legend_xy: tuple[float, float]  # px of the legend's top-left
    font: float = 13

    @property
    def x(self) -> str:
        return "x" if self.n == 1 else f"x{self.n}"

    @property
    def y(self) -> str:
        return "y" if self.n == 1 else f"y{self.n}"

    @property
    def y2(self) -> str:
        return f"y{self.n + 10}"

    @property
    def legend(self) -> str:
        return "legend" if self.n == 1 else f"legend{self.n}"

    def setup(self, fig: go.Figure, secondary: bool = False, x_title: str = "", y_title: str = "",
              y2_title: str = "", y2_range: list[float] | None = None, horizontal: bool = False) -> None:
        xd, yd = self.frame.domain(*self.box)
        f = self.font
        xname = "xaxis" if self.n == 1 else f"xaxis{self.n}"
        yname = "yaxis" if self.n == 1 else f"yaxis{self.n}"
        fig.layout[xname] = dict(
            domain=xd, anchor=self.y, type="linear" if horizontal else "category", visible=True, tickangle=0,
            showgrid=horizontal, gridcolor=C.GRID_COLOR, linecolor="#BDBDBD", ticks="outside",
            tickfont=dict(size=f - 1), title=dict(text=x_title, font=dict(size=f - 1), standoff=4),
            rangemode="tozero" if horizontal else None, automargin=False, fixedrange=True,
        )
        fig.layout[yname] = dict(
            domain=yd, anchor=self.x, visible=True, type="category" if horizontal else "linear",
            showgrid=not horizontal, gridcolor=C.GRID_COLOR, zerolinecolor="#BDBDBD",
            tickfont=dict(size=f - 1), title=dict(text=y_title, font=dict(size=f - 1), standoff=6),
            rangemode=None if horizontal else "tozero", automargin=False, separatethousands=True,
            fixedrange=True, tickformat=None if horizontal else ",~f",
        )
        if secondary:
            fig.layout[f"yaxis{self.n + 10}"] = dict(
                overlaying=self.y, side="right", anchor=self.x, visible=True, showgrid=False,
                range=y2_range, tickfont=dict(size=f - 1), title=dict(text=y2_title, font=dict(size=f - 1)),
                automargin=False, fixedrange=True, zeroline=False, tickmode="auto", nticks=6,
                rangemode="tozero" if not y2_range else None, separatethousands=True,
            )
            if y2_range and y2_range[0] < 0:  # a percentage line kept in the upper half of the plot
                fig.layout[f"yaxis{self.n + 10}"].update(tickmode="array", tickvals=[0, 50, 100],
                                                         ticktext=["0%", "50%", "100%"])
        lx, ly = self.legend_xy
        fig.layout[self.legend] = dict(
            x=self.frame.px(lx), y=self.frame.py(ly), xanchor="left", yanchor="top", orientation="h",
            font=dict(size=f - 1), bgcolor="rgba(0,0,0,0)", title=dict(text=""), traceorder="normal",
        )


def _month_tick(m, first: bool, lang: str) -> str:
    """"3月" with the year under the first month and January: "1月<br>2024年"."""
    d = pd.Timestamp(m).date()
    name = fmt_month(d, lang, year=False)
    if first or d.month == 1:
        return f"{name}<br>{fmt_year(d.year, lang)}"
    return name


def _yaxis(fig: go.Figure, cell: Cell):
    return fig.layout["yaxis" if cell.n == 1 else f"yaxis{cell.n}"]


def _nice_ticks(top: float) -> list[float]:
    """About four round ticks from 0 to `top`."""
    import math

    if top <= 0:
        return [0]
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    return [i * step for i in range(int(top // step) + 2)]


def _in_quarter(months, b: Briefing) -> list[bool]:
    return [b.meta.start <= pd.Timestamp(m).date() <= b.meta.end for m in months]


def chart_trend(fig: go.Figure, b: Briefing, lang: str, cell: Cell) -> str:
    """Monthly activities by pillar (stacked), the briefing's quarter in full colour."""
    cell.setup(fig, y_title=t("briefing.activities", lang))
    df = b.trend
    months = sorted(df["month"].unique())
    ticks = [_month_tick(m, i == 0, lang) for i, m in enumerate(months)]
    current = _in_quarter(months, b)
    base = [0.0] * len(months)
    for pillar in dict.fromkeys(df["pillar"]):  # stacked by hand: the figure's barmode is "group"
        part = df[df["pillar"] == pillar].set_index("month").reindex(months)["activities"].fillna(0).tolist()
        fig.add_bar(
            x=ticks, y=part, base=list(base), name=esc(pillar_name(pillar, lang)), offsetgroup=f"trend{cell.n}",
            marker=dict(color=C.color_for(pillar), opacity=[1.0 if c else 0.45 for c in current]),
            xaxis=cell.x, yaxis=cell.y, legend=cell.legend,
        )
        base = [a + v for a, v in zip(base, part, strict=True)]
    totals = df.groupby("month")["activities"].sum().reindex(months).fillna(0)
    fig.add_scatter(
        x=ticks, y=totals.tolist(), mode="text", text=[fmt_number(v, 0, lang) if c else "" for v, c in
                                                        zip(totals, current, strict=True)],
        textposition="top center", textfont=dict(size=cell.font - 1, color=INK), showlegend=False,
        xaxis=cell.x, yaxis=cell.y, hoverinfo="skip", cliponaxis=False,
    )
    _yaxis(fig, cell).range = [0, max(float(totals.max()), 1.0) * 1.15]
    return t("briefing.sec_trend", lang)


def _quarter_tick(code: str, lang: str) -> str:
    return fmt_quarter(code, lang, short=True)


def chart_issues(fig: go.Figure, b: Briefing, lang: str, cell: Cell) -> str:
    """Resident requests opened / closed per quarter (bars) and the closure rate (line, right axis)."""
    cell.setup(fig, secondary=True, y_title=kpi_unit("cases_opened", lang), y2_title="",
               y2_range=[-125, 108])
    df = b.issues
    quarters = list(dict.fromkeys(df["quarter"]))
    ticks = [_quarter_tick(q, lang) for q in quarters]
    piv = df.pivot(index="quarter", columns="kpi_id", values="value").reindex(quarters)
    cur = [q == b.meta.quarter.code for q in quarters]
    for kid, color in (("cases_opened", "#7A4FA0"), ("cases_closed", "#B39DDB")):
        fig.add_bar(x=ticks, y=piv[kid].fillna(0).tolist(), name=t(f"briefing.{kid}", lang), offsetgroup=kid,
                    marker=dict(color=color, opacity=[1.0 if c else 0.55 for c in cur]),
                    text=[fmt_number(v, 0, lang) for v in piv[kid].fillna(0)], textposition="outside",
                    textfont=dict(size=cell.font - 2), cliponaxis=False,
                    xaxis=cell.x, yaxis=cell.y, legend=cell.legend)
    top = float(piv[["cases_opened", "cases_closed"]].fillna(0).to_numpy().max() or 1.0)
    _yaxis(fig, cell).range = [0, top * 2.0]  # bars in the lower half, the rate line in the upper half
    _yaxis(fig, cell).tickvals = _nice_ticks(top)
    rate = piv["closure_rate"]
    fig.add_scatter(x=ticks, y=rate.tolist(), name=t("briefing.closure_rate", lang), mode="lines+markers+text",
                    line=dict(color=C.GOOD_COLOR, width=2.5), marker=dict(size=7),
                    text=[fmt_kpi("closure_rate", v, lang, unit=True) for v in rate], textposition="top center",
                    textfont=dict(size=cell.font - 2, color=C.GOOD_COLOR), cliponaxis=False,
                    xaxis=cell.x, yaxis=cell.y2, legend=cell.legend)
    return t("briefing.sec_issues", lang)


def chart_volunteers(fig: go.Figure, b: Briefing, lang: str, cell: Cell) -> str:
    """Volunteer points awarded / redeemed per month (bars) and active volunteers (line, right axis)."""
    cell.setup(fig, secondary=True, y_title=kpi_unit("points_awarded", lang),
               y2_title=kpi_unit("active_volunteers", lang))
    df = b.volunteers
    months = sorted(df["month"].unique())
    ticks = [_month_tick(m, i == 0, lang) for i, m in enumerate(months)]
    current = _in_quarter(months, b)
    piv = df.pivot(index="month", columns="kpi_id", values="value").reindex(months)
    if not (piv.fillna(0) != 0).any().any():
        x0, y0, x1, y1 = cell.box
        cell.frame.text((x0 + x1) / 2, (y0 + y1) / 2, esc(t("briefing.no_volunteer_data", lang)), size=cell.font + 1,
                        color=MUTED, xanchor="center", yanchor="middle")
    for kid, color in (("points_awarded", C.PILLAR_COLORS.get("志愿服务", "#1F8A70")), ("points_redeemed", "#E3A21A")):
        fig.add_bar(x=ticks, y=piv[kid].fillna(0).tolist(), name=t(f"briefing.{kid}", lang), offsetgroup=kid,
                    marker=dict(color=color, opacity=[1.0 if c else 0.5 for c in current]),
                    xaxis=cell.x, yaxis=cell.y, legend=cell.legend)
    fig.add_scatter(x=ticks, y=piv["active_volunteers"].tolist(), name=t("briefing.active_volunteers", lang),
                    mode="lines+markers", line=dict(color="#2F5D9E", width=2.5), marker=dict(size=6),
                    xaxis=cell.x, yaxis=cell.y2, legend=cell.legend)
    return t("briefing.sec_volunteers", lang)


def chart_scope(fig: go.Figure, b: Briefing, lang: str, cell: Cell) -> str:
    """Whole street: governance score by community (×100, 100 = on target). One community: its compounds."""
    if b.meta.scope.community:
        cell.setup(fig, horizontal=True, x_title=t("briefing.per_hundred", lang))
        d = b.compounds.sort_values("participants_per_100_households", ascending=True, na_position="first")
        labels = [
            f"{fmt_kpi('participants_per_100_households', v, lang)}  "
            f"({fmt_number(a, 0, lang)}{kpi_unit('activities', lang) if lang == 'zh' else ' act.'})"
            for v, a in zip(d["participants_per_100_households"], d["activities"], strict=True)
        ]
        fig.add_bar(y=C.distinct_labels([name_label(c) for c in d["compound"]]), x=d["participants_per_100_households"].fillna(0).tolist(),
                    orientation="h", marker=dict(color=C.PILLAR_COLORS.get("社会治理", "#2F5D9E")), text=labels,
                    textposition="outside", cliponaxis=False, textfont=dict(size=cell.font - 1),
                    showlegend=False, xaxis=cell.x, yaxis=cell.y)
        xmax = float(d["participants_per_100_households"].fillna(0).max() or 1)
        fig.layout["xaxis" if cell.n == 1 else f"xaxis{cell.n}"].range = [0, xmax * 1.35]
        return t("briefing.sec_compounds", lang)
    cell.setup(fig, horizontal=True, x_title=t("briefing.score", lang) + "（×100）" if lang == "zh" else
               t("briefing.score", lang) + " (×100)")
    d = b.scorecard.sort_values("score", ascending=True, na_position="first")
    scores = (d["score"] * 100).tolist()
    colors = [C.BAD_COLOR if r > 0 else ("#E3A21A" if w > 0 else C.PILLAR_COLORS.get("社会治理", "#2F5D9E"))
              for r, w in zip(d["red_warnings"], d["warnings"], strict=True)]
    fig.add_bar(y=C.distinct_labels([name_label(c) for c in d["community"]]), x=[0 if missing(s) else s for s in scores], orientation="h",
                marker=dict(color=colors), text=[fmt_score(s) for s in d["score"]], textposition="inside",
                insidetextanchor="end", cliponaxis=False, textfont=dict(size=cell.font, color="white"),
                showlegend=False, xaxis=cell.x, yaxis=cell.y)
    xmax = max([s for s in scores if not missing(s)] + [100.0])
    fig.layout["xaxis" if cell.n == 1 else f"xaxis{cell.n}"].range = [0, xmax * 1.18]
    cell.frame.shapes.append(dict(type="line", xref=cell.x, yref="paper", x0=100, x1=100,
                                  y0=cell.frame.py(cell.box[3]), y1=cell.frame.py(cell.box[1]),
                                  line=dict(color=MUTED, width=1.5, dash="dash")))
    return t("briefing.sec_scorecard", lang)


CHARTS: dict[str, Callable[[go.Figure, Briefing, str, Cell], str]] = {
    "trend": chart_trend, "issues": chart_issues, "volunteers": chart_volunteers, "scope": chart_scope,
}


def _chart_in_box(fig: go.Figure, fr: Frame, b: Briefing, lang: str, key: str, n: int,
                  x0: float, y0: float, x1: float, y1: float, font: float = 13, card: bool = True) -> None:
    """A titled card with one chart in it."""
    if card:
        fr.rect(x0, y0, x1, y1, fill=CARD, line=CARD_LINE)
    legend_y = y0 + 14 + font * 1.7
    right = 56 if key in ("issues", "volunteers") else 20
    left = 150 if key == "scope" else 62
    box = (x0 + left, legend_y + font * 2.2, x1 - right, y1 - font * 3.2)
    cell = Cell(n, fr, box, (x0 + 16, legend_y), font)
    title = CHARTS[key](fig, b, lang, cell)
    fr.text(x0 + 16, y0 + 12, esc(title), size=font + 4, bold=True)


# ---------------------------------------------------------------- tiles, header, footer

def _arrow(better) -> tuple[str, str]:
    if better is True:
        return "▲", C.GOOD_COLOR
    if better is False:
        return "▼", C.BAD_COLOR
    return "", C.NEUTRAL_COLOR


def _change_line(b: Briefing, kid: str, base: str, lang: str) -> tuple[str, str]:
    r = b.row(kid)
    ch, de, bt = r[f"change_vs_{base}"], r[f"delta_vs_{base}"], r[f"better_vs_{base}"]
    s = fmt_change(kid, de, ch, lang) or DASH
    label = t("briefing.qoq" if base == "previous" else "briefing.yoy", lang)
    if s == DASH:
        return f"{label} {t('briefing.no_data', lang)}", C.NEUTRAL_COLOR
    arrow, color = _arrow(bt if bt is not None else None)
    return f"{label} {arrow}{s}", color


def tiles(fr: Frame, b: Briefing, lang: str, x0: float, y0: float, x1: float, y1: float, gap: float = 16) -> None:
    ids = b.headline
    n = len(ids)
    tw = (x1 - x0 - gap * (n - 1)) / n
    for i, kid in enumerate(ids):
        tx = x0 + i * (tw + gap)
        fr.rect(tx, y0, tx + tw, y1, fill=CARD, line=CARD_LINE)
        fr.rect(tx, y0, tx + 5, y1, fill=C.color_for(CATALOGUE[kid].pillar or "") if CATALOGUE[kid].pillar
                else BAND)
        fr.text(tx + 18, y0 + 14, esc(kpi_name(kid, lang)), size=17 if lang == "zh" else 15, color=MUTED)
        v = b.value(kid)
        shown = fmt_kpi(kid, v, lang)
        unit = "" if CATALOGUE[kid].is_percent else kpi_unit(kid, lang)
        if text_width(shown, 36) * 1.05 + text_width(unit, 15) + 40 > tw:
            unit = ""  # no room (long English units): the unit is in the KPI definitions
        fr.text(tx + 18, y0 + 44, f"<b>{esc(shown)}</b>"
                f"<span style='font-size:15px;color:{MUTED}'> {esc(unit)}</span>", size=36)
        for j, base in enumerate(("previous", "year_ago")):
            s, color = _change_line(b, kid, base, lang)
            fr.text(tx + 18, y1 - 50 + j * 24, esc(s), size=15, color=color)


def header(fr: Frame, b: Briefing, lang: str, height: float = 100, compact: bool = False) -> None:
    m = b.meta
    fr.rect(0, 0, fr.w, height, fill=BAND)
    title = m.title(lang)
    fr.text(40, 18, esc(title), size=30 if not compact else 26, color=BAND_INK, bold=True)
    sub = f"{m.period_text(lang)} ｜ {m.freshness_text(lang)}" if lang == "zh" else \
        f"{m.period_text(lang)} | {m.freshness_text(lang)}"
    if m.incomplete and m.data_max is not None:
        sub += f" ｜ {t('briefing.incomplete', lang)} {m.data_max:%Y-%m-%d}"
    fr.text(40, height - 34, esc(sub), size=16, color="#FDE9E7")
    if m.demo:
        label = t("briefing.demo", lang)
        bw = text_width(label, 22) + 36
        fr.rect(fr.w - 40 - bw, 24, fr.w - 40, height - 24, fill=DEMO_BG, line=DEMO_BG, layer="above")
        fr.text(fr.w - 40 - bw / 2, height / 2, f"<b>{esc(label)}</b>", size=22, color=DEMO_INK,
                xanchor="center", yanchor="middle")


def footer(fr: Frame, b: Briefing, lang: str, y: float, page: tuple[int, int] | None = None) -> None:
    m = b.meta
    fr.line(40, y, fr.w - 40, y, color=RULE)
    left = m.stamp(lang)
    fr.text(40, y + 10, esc(left), size=13, color=MUTED)
    right = f"{t('briefing.generated', lang)} {fmt_timestamp(m.generated_at, lang)}{t('briefing.beijing', lang)}"
    if page:
        right += ("  ｜  " if lang == "zh" else "  |  ") + t("briefing.page", lang, n=page[0], total=page[1])
    fr.text(fr.w - 40, y + 10, esc(right), size=13, color=MUTED, xanchor="right")


def _warning_lines(b: Briefing, lang: str) -> list[tuple[str, str]]:
    """(text, colour) per warning, from the narrative's warning sentences (same numbers)."""
    out = []
    sentences = [s for s in b.narrative(lang) if s.section == "warning"]
    if b.warnings.empty:
        return [(sentences[0].text if sentences else t("briefing.no_warnings", lang), C.GOOD_COLOR)]
    for s, level in zip(sentences, b.warnings["level"], strict=False):
        out.append((s.text, LEVEL_COLORS.get(level, INK)))
    return out


def warnings_box(fr: Frame, b: Briefing, lang: str, x0, y0, x1, y1, size: float = 15) -> None:
    fr.rect(x0, y0, x1, y1, fill=CARD, line=CARD_LINE)
    n_red, n_yel = b.warning_counts()
    title = t("briefing.sec_warnings", lang)
    if not b.warnings.empty:
        title += f"（{t('briefing.red', lang)} {n_red} · {t('briefing.yellow', lang)} {n_yel}）" if lang == "zh" else \
            f" ({n_red} red · {n_yel} yellow)"
    fr.text(x0 + 16, y0 + 12, esc(title), size=19, bold=True)
    y = y0 + 50
    lh = size * 1.4
    lines = _warning_lines(b, lang)
    for i, (s, color) in enumerate(lines):
        wrapped = wrap(s, (x1 - x0 - 32) * WRAP_SAFETY, size)
        if y + lh * len(wrapped) > y1 - 10 - (lh if i < len(lines) - 1 else 0):
            fr.text(x0 + 16, y, esc(t("briefing.more_warnings", lang, n=len(lines) - i)), size=size, color=MUTED)
            break
        fr.text(x0 + 16, y, "<br>".join(esc(w) for w in wrapped), size=size, color=color)
        y += lh * len(wrapped) + 6


def narrative_box(fr: Frame, b: Briefing, lang: str, x0, y0, x1, y1, size: float = 16,
                  sections: tuple[str, ...] = ("overview", "pillar", "scorecard")) -> bool:
    fr.rect(x0, y0, x1, y1, fill=CARD, line=CARD_LINE)
    fr.text(x0 + 16, y0 + 12, esc(t("briefing.sec_narrative", lang)), size=19, bold=True)
    paras = [s.text for s in b.narrative(lang) if s.section.split(":")[0] in sections]
    text, fs, complete = fit_paragraphs(paras, (x1 - x0 - 32) * WRAP_SAFETY, y1 - y0 - 60, size)
    fr.text(x0 + 16, y0 + 50, text, size=fs, color=INK)
    return complete


# ---------------------------------------------------------------- the canvas

def canvas(b: Briefing, lang: str = "zh", page: tuple[int, int] | None = None) -> go.Figure:
    """The 16:9 briefing (1920×1080); with `page`, the same layout stretched to an A4-landscape page
    (1920×1358: taller charts and narrative) with the page number in the footer."""
    h = PAGE_H if page else H
    fig = _figure(W, h, bg=BG)
    fr = Frame(fig, W, h)
    header(fr, b, lang)
    tiles(fr, b, lang, 40, 118, W - 40, 282)
    bottom = h - (70 if page else 44)
    gx0, gy0, gx1, gy1 = 40, 300, 1250, bottom
    cw, ch = (gx1 - gx0 - 16) / 2, (gy1 - gy0 - 16) / 2
    for n, key in enumerate(("trend", "issues", "volunteers", "scope"), start=1):
        r, c = divmod(n - 1, 2)
        x0, y0 = gx0 + c * (cw + 16), gy0 + r * (ch + 16)
        _chart_in_box(fig, fr, b, lang, key, n, x0, y0, x0 + cw, y0 + ch)
    warn_h = 220 + (h - H) // 3
    warnings_box(fr, b, lang, 1266, 300, W - 40, 300 + warn_h)
    narrative_box(fr, b, lang, 1266, 316 + warn_h, W - 40, bottom, size=16 if not page else 18)
    footer(fr, b, lang, bottom + 8 if not page else h - 60, page)
    return fr.flush()


def chart_figure(b: Briefing, key: str, lang: str = "zh", width: int = 1280, height: int = 720) -> go.Figure:
    """One chart on its own (for PPTX slides), same builder as on the canvas."""
    fig = _figure(width, height)
    fr = Frame(fig, width, height)
    _chart_in_box(fig, fr, b, lang, key, 1, 0, 0, width, height, font=18, card=False)
    return fr.flush()


# ---------------------------------------------------------------- PDF pages

def _table(fig: go.Figure, fr: Frame, x0, y0, x1, y1, header_row: list[str], columns: list[list[str]],
           widths: list[float], aligns: list[str] | None = None, max_size: float = 20,
           highlight: int | None = None) -> float:
    """A table filling [y0, y1] at the largest font ≤ max_size that fits; returns its bottom (px)."""
    rows = len(columns[0]) if columns else 0
    row_h = min(max_size * 1.9, (y1 - y0) / (rows + 1.6))
    size = max(min(max_size, row_h / 1.9), 10)
    aligns = aligns or ["left"] + ["right"] * (len(header_row) - 1)
    fills = None
    if highlight is not None:
        fills = [["#FFF4D6" if i == highlight else "white" for i in range(rows)]] * len(header_row)
    # header labels wrap within their column (plotly wraps at spaces only, CJK has none)
    heads, lines = [], 1
    for h, w in zip(header_row, widths, strict=True):
        col_px = (x1 - x0) * w / sum(widths) - 16
        parts = wrap(h, col_px * WRAP_SAFETY, size * 1.05) or [h]
        lines = max(lines, len(parts))
        heads.append("<br>".join(f"<b>{esc(x)}</b>" for x in parts))
    head_h = row_h * 0.9 + size * 1.3 * lines
    bottom = y0 + row_h * rows + head_h + 4
    xd, yd = fr.domain(x0, y0, x1, max(bottom, y0 + 1))
    fig.add_trace(go.Table(
        domain=dict(x=xd, y=yd), columnwidth=widths,
        header=dict(values=heads, fill_color="#F1E4E2", line_color=RULE,
                    align=aligns, font=dict(size=size, color=INK, family=FONT), height=head_h),
        cells=dict(values=[[esc(v) for v in col] for col in columns], line_color=RULE,
                   fill_color=fills or "white", align=aligns,
                   font=dict(size=size, color=INK, family=FONT), height=row_h),
    ))
    return bottom


def _page(b: Briefing, lang: str, title: str, page: tuple[int, int]) -> tuple[go.Figure, Frame]:
    fig = _figure(PAGE_W, PAGE_H)
    fr = Frame(fig, PAGE_W, PAGE_H)
    header(fr, b, lang, height=100, compact=True)
    fr.text(40, 124, esc(title), size=24, bold=True)
    footer(fr, b, lang, PAGE_H - 60, page)
    return fig, fr


def kpi_table_rows(b: Briefing, lang: str) -> tuple[list[str], list[list[str]]]:
    cols: list[list[str]] = [[], [], [], [], [], [], []]
    for r in b.kpis.itertuples(index=False):
        k = CATALOGUE[r.kpi_id]
        cols[0].append(kpi_name(k, lang))
        cols[1].append(kpi_unit(r.kpi_id, lang))
        cols[2].append(fmt_kpi(r.kpi_id, r.current, lang))
        cols[3].append(fmt_kpi(r.kpi_id, r.previous, lang))
        cols[4].append(fmt_change(r.kpi_id, r.delta_vs_previous, r.change_vs_previous, lang) or DASH)
        cols[5].append(fmt_kpi(r.kpi_id, r.year_ago, lang))
        cols[6].append(fmt_change(r.kpi_id, r.delta_vs_year_ago, r.change_vs_year_ago, lang) or DASH)
    head = [t(k, lang) for k in ("briefing.col_kpi", "briefing.col_unit", "briefing.col_value", "briefing.col_previous",
                                 "briefing.col_qoq", "briefing.col_year_ago", "briefing.col_yoy")]
    return head, cols


def scorecard_table_rows(b: Briefing, lang: str) -> tuple[list[str], list[list[str]]]:
    ids = scorecard_ids()
    head = [t(k, lang) for k in ("briefing.col_rank", "briefing.col_community", "briefing.col_score",
                                 "briefing.col_warnings")]
    head += [kpi_name(k, lang) for k in ids]
    sc = b.scorecard
    cols = [
        [DASH if missing(v) else str(int(v)) for v in sc["rank"]],
        [escape.cut(c) for c in sc["community"]],
        [fmt_score(v) for v in sc["score"]],
        [f"{int(w)}" + (f"（{t('briefing.red', lang)}{int(r)}）" if lang == "zh" and r else
                        (f" ({int(r)} red)" if r else ""))
         for w, r in zip(sc["warnings"], sc["red_warnings"], strict=True)],
    ]
    for k in ids:
        cols.append([fmt_kpi(k, v, lang) for v in sc[k]])
    return head, cols


def compound_table_rows(b: Briefing, lang: str) -> tuple[list[str], list[list[str]]]:
    from .model import COMPOUND_IDS

    head = [t("briefing.col_compound", lang), t("briefing.col_households", lang)]
    head += [kpi_name(k, lang) for k in COMPOUND_IDS]
    d = b.compounds
    cols = [[escape.cut(c) for c in d["compound"]], [fmt_number(v, 0, lang) for v in d["households"]]]
    for k in COMPOUND_IDS:
        cols.append([fmt_kpi(k, v, lang) for v in d[k]])
    return head, cols


def warning_table_rows(b: Briefing, lang: str) -> tuple[list[str], list[list[str]]]:
    head = [t(k, lang) for k in ("briefing.col_level", "briefing.col_community", "briefing.col_kpi", "briefing.col_value",
                                 "briefing.col_baseline", "briefing.col_change")]
    w = b.warnings
    cols = [
        [t(f"briefing.{lv}", lang) for lv in w["level"]], [escape.cut(c) for c in w["community"]],
        [kpi_name(k, lang) for k in w["kpi_id"]],
        [fmt_kpi(k, v, lang, unit=True) for k, v in zip(w["kpi_id"], w["value"], strict=True)],
        [fmt_kpi(k, v, lang, unit=True) for k, v in zip(w["kpi_id"], w["baseline"], strict=True)],
        [fmt_relative(c) for c in w["change"]],
    ]
    return head, cols


def pdf_pages(b: Briefing, lang: str = "zh") -> list[go.Figure]:
    """The PDF: the canvas on page 1, then one page per section that does not fit on it."""
    total = 4
    pages = [canvas(b, lang, page=(1, total))]

    fig, fr = _page(b, lang, t("briefing.sec_narrative", lang) + " · " + t("briefing.sec_warnings", lang), (2, total))
    paras = [s.text for s in b.narrative(lang)]
    text, fs, _ = fit_paragraphs(paras, (PAGE_W - 80) * WRAP_SAFETY, 760, 21, min_size=13)
    fr.text(40, 172, text, size=fs)
    fr.flush()
    if not b.warnings.empty:
        head, cols = warning_table_rows(b, lang)
        _table(fig, fr, 40, 950, PAGE_W - 40, PAGE_H - 80, head, cols, [1, 2, 2, 1.3, 1.3, 1],
               aligns=["left", "left", "left", "right", "right", "right"])
    pages.append(fr.flush())

    fig, fr = _page(b, lang, t("briefing.sec_kpis", lang), (3, total))
    head, cols = kpi_table_rows(b, lang)
    _table(fig, fr, 40, 166, PAGE_W - 40, PAGE_H - 72, head, cols, [3, 1.4, 1.3, 1.3, 1.4, 1.3, 1.4],
           aligns=["left", "left", "right", "right", "right", "right", "right"])
    pages.append(fr.flush())

    if b.meta.scope.community:
        title = t("briefing.sec_compounds", lang) + " · " + t("briefing.sec_scorecard", lang)
        fig, fr = _page(b, lang, title, (4, total))
        head, cols = compound_table_rows(b, lang)
        bottom = _table(fig, fr, 40, 166, PAGE_W - 40, 166 + 38 * (len(cols[0]) + 1.6), head, cols,
                        [1.6, 1] + [1.2] * (len(head) - 2))
        top = bottom + 40
    else:
        fig, fr = _page(b, lang, t("briefing.sec_scorecard", lang), (4, total))
        top = 166
    head, cols = scorecard_table_rows(b, lang)
    mine = None
    if b.meta.scope.community:
        names = list(b.scorecard["community"])
        mine = names.index(b.meta.scope.community) if b.meta.scope.community in names else None
    bottom = _table(fig, fr, 40, top, PAGE_W - 40, min(PAGE_H - 72, top + 38 * (len(cols[0]) + 1.6)), head, cols,
                    [0.6, 1.8, 0.9, 1.1] + [1.1] * (len(head) - 4),
                    aligns=["left", "left"] + ["right"] * (len(head) - 2), highlight=mine)
    fr.text(40, bottom + 16, esc(t("briefing.score_note", lang)), size=15, color=MUTED)
    pages.append(fr.flush())
    return pages
