"""The 长图: the briefing as one portrait image for a phone (1080 px wide, as tall as its content).

Leaders read the briefing in the work-chat group (企业微信 / 钉钉), where an image is shown at the phone's
width (~390 css px): a 1080-px-wide image is drawn at about a third of its size there, so every text in it
is at least `MIN_TEXT` (28 px) and reads without zooming. Top to bottom: the title band (title, scope,
quarter, period, 演示数据), the 8 headline KPIs two to a row with 环比 / 同比, the warnings, the four charts
stacked (the canvas's chart builders, `briefing.figures.CHARTS`, at phone-size fonts), the narrative, and
the data freshness at the bottom.

Like the 16:9 canvas it is ONE plotly figure rendered by kaleido (`briefing.render`: the system Chromium,
the CJK fonts fontconfig gives it, so the text is the browser's crisp text), laid out in pixels through
`briefing.figures.Frame`. The height is worked out first by the same layout code run without drawing
(`_layout(draw=False)`), so a briefing with more warnings or a longer narrative is a taller image.
Every number and text comes from the `Briefing` and `present` (labels, formats, `present.escape.chart`
through `figures.esc`): no arithmetic on KPIs here.
"""

from __future__ import annotations

import io

import plotly.graph_objects as go

from kpi.catalogue import CATALOGUE
from present import charts as C
from present.format import fmt_kpi, fmt_quarter, fmt_timestamp
from present.labels import kpi_name, kpi_unit, pillar_name, t

from . import figures as F
from .model import Briefing

W = 1080  # px: the image's width
PAD = 36  # page margin
GAP = 24  # between blocks
MIN_TEXT = 28  # px: no text in the image is smaller
BODY = 30  # body text
SMALL = 28  # secondary text (KPI names, 环比 / 同比, axis ticks, footer)
HEAD = 36  # section titles
TITLE = 44  # the title
VALUE = 56  # a KPI tile's value
CHART_FONT = 30  # `figures.Cell.font` for the charts: ticks and legends at font - 1, bar labels at font - 2
LINE = 1.3  # plotly's line spacing of multi-line text
MAX_BYTES = 2 * 1024 * 1024  # work-chat robots refuse larger images (企业微信: 2 MB before base64)
MAX_BARS = 30  # the scope chart (communities or compounds) shows at most the highest and lowest 15


def _lines(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` wrapped to `width` px at `size` (bold glyphs are wider: a narrower measure)."""
    return F.wrap(text, width * F.WRAP_SAFETY * (0.94 if bold else 1.0), size) or [""]


def _block_h(n_lines: int, size: float) -> float:
    return n_lines * size * LINE


class _Layout:
    """Draws onto a `figures.Frame` (or only measures when `draw` is False) from the top down."""

    def __init__(self, fig: go.Figure, fr: F.Frame, b: Briefing, lang: str, draw: bool) -> None:
        self.fig, self.fr, self.b, self.lang, self.draw = fig, fr, b, lang, draw

    def text(self, x: float, y: float, s: str, width: float, size: float, color: str = F.INK,
             bold: bool = False) -> float:
        """A wrapped block of plain text (escaped here); returns its height."""
        lines = _lines(s, width, size, bold)
        if self.draw:
            self.fr.text(x, y, "<br>".join(F.esc(ln) for ln in lines), size=size, color=color, bold=bold)
        return _block_h(len(lines), size)

    def rect(self, *args, **kwargs) -> None:
        if self.draw:
            self.fr.rect(*args, **kwargs)

    # ------------------------------------------------------------ blocks

    def header(self, y: float) -> float:
        m, lang = self.b.meta, self.lang
        inner = W - 2 * PAD
        top = y
        y += 32
        h_title = self.text(PAD, y, m.title(lang), inner, TITLE, F.BAND_INK, bold=True)
        y += h_title + 14
        sep = "：" if lang == "zh" else ": "
        rows = [
            f"{t('briefing.scope', lang)}{sep}{m.scope.label(lang)}",
            f"{t('briefing.quarter', lang)}{sep}{fmt_quarter(m.quarter, lang)}（{m.quarter.code}）" if lang == "zh"
            else f"{t('briefing.quarter', lang)}{sep}{fmt_quarter(m.quarter, lang)} ({m.quarter.code})",
            m.period_text(lang),
        ]
        if m.incomplete and m.data_max is not None:
            rows.append(f"{t('briefing.incomplete', lang)} {m.data_max:%Y-%m-%d}")
        for r in rows:
            y += self.text(PAD, y, r, inner, SMALL, "#FDE9E7") + 6
        if m.demo:
            label = t("briefing.demo", lang)
            note = t("briefing.demo_note", lang)
            bw = F.text_width(label, BODY) * 1.1 + 40
            bh = BODY * LINE + 16
            y += 8
            self.rect(PAD, y, PAD + bw, y + bh, fill=F.DEMO_BG, line=F.DEMO_BG, layer="above")
            if self.draw:
                self.fr.text(PAD + bw / 2, y + bh / 2, f"<b>{F.esc(label)}</b>", size=BODY, color=F.DEMO_INK,
                             xanchor="center", yanchor="middle")
            y += bh + 10
            y += self.text(PAD, y, note, inner, SMALL, "#FFE08A") + 6
        y += 26
        if self.draw:  # the band behind the header (shapes are drawn below annotations)
            self.fr.shapes.insert(0, dict(type="rect", xref="paper", yref="paper", x0=0, x1=1,
                                          y0=self.fr.py(y), y1=self.fr.py(top), fillcolor=F.BAND, layer="below",
                                          line=dict(width=0)))
        return y

    def section_title(self, y: float, title: str) -> float:
        return self.text(PAD, y, title, W - 2 * PAD, HEAD, F.INK, bold=True) + 14

    def tiles(self, y: float) -> float:
        b, lang = self.b, self.lang
        y += self.section_title(y, t("briefing.sec_tiles", lang))
        gap = 20
        tw = (W - 2 * PAD - gap) / 2
        inner = tw - 44
        for r in range(0, len(b.headline), 2):
            row = b.headline[r:r + 2]
            names = {kid: _lines(kpi_name(kid, lang), inner, SMALL) for kid in row}
            n_name = max(len(v) for v in names.values())
            changes = {kid: [F._change_line(b, kid, base, lang) for base in ("previous", "year_ago")] for kid in row}
            n_change = max(sum(len(_lines(s, inner, SMALL)) for s, _ in changes[kid]) for kid in row)
            th = 22 + _block_h(n_name, SMALL) + 10 + VALUE * 1.15 + 12 + _block_h(n_change, SMALL) + 12 + 22
            for c, kid in enumerate(row):
                x = PAD + c * (tw + gap)
                pillar = CATALOGUE[kid].pillar
                self.rect(x, y, x + tw, y + th, fill=F.CARD, line=F.CARD_LINE)
                self.rect(x, y, x + 8, y + th, fill=C.color_for(pillar) if pillar else F.BAND)
                yy = y + 22
                yy += self.text(x + 28, yy, kpi_name(kid, lang), inner, SMALL, F.MUTED)
                yy = y + 22 + _block_h(n_name, SMALL) + 10
                shown = fmt_kpi(kid, b.value(kid), lang)
                unit = "" if CATALOGUE[kid].is_percent else kpi_unit(kid, lang)
                if F.text_width(shown, VALUE) * 1.08 + F.text_width(unit, SMALL) + 10 > inner:
                    unit = ""  # no room (long English units): the unit is in the KPI definitions
                if self.draw:
                    self.fr.text(x + 28, yy, f"<b>{F.esc(shown)}</b>"
                                 f"<span style='font-size:{SMALL}px;color:{F.MUTED}'> {F.esc(unit)}</span>",
                                 size=VALUE)
                yy += VALUE * 1.15 + 12
                for s, color in changes[kid]:
                    yy += self.text(x + 28, yy, s, inner, SMALL, color)
            y += th + gap
        return y - gap

    def warnings(self, y: float) -> float:
        b, lang = self.b, self.lang
        title = t("briefing.sec_warnings", lang)
        n_red, n_yel = b.warning_counts()
        if not b.warnings.empty:
            title += f"（{t('briefing.red', lang)} {n_red} · {t('briefing.yellow', lang)} {n_yel}）" if lang == "zh" \
                else f" ({n_red} red · {n_yel} yellow)"
        top = y
        inner = W - 2 * PAD - 56
        h = 24 + _block_h(len(_lines(title, inner, HEAD, True)), HEAD) + 14
        lines = F._warning_lines(b, lang)
        for s, _ in lines:
            h += _block_h(len(_lines(s, inner, BODY)), BODY) + 14
        h += 10
        self.rect(PAD, top, W - PAD, top + h, fill=F.CARD, line=F.CARD_LINE)
        if not b.warnings.empty:
            self.rect(PAD, top, PAD + 8, top + h, fill=F.LEVEL_COLORS["red" if n_red else "yellow"])
        yy = top + 24
        yy += self.text(PAD + 28, yy, title, inner, HEAD, F.INK, bold=True) + 14
        for s, color in lines:
            yy += self.text(PAD + 28, yy, s, inner, BODY, color) + 14
        return top + h

    def chart(self, y: float, key: str, n: int) -> float:
        b, lang = self.b, self.lang
        f = CHART_FONT
        title = _chart_title(b, key, lang)
        if key == "scope":
            b, shown_of = _top_and_bottom(b)
            if shown_of:
                title += t("briefing.long_top_bottom", lang, n=MAX_BARS // 2, total=shown_of)
        legend_rows = _legend_rows(b, key, lang, W - 2 * PAD - 48, f - 1)
        title_h = _block_h(len(_lines(title, W - 2 * PAD - 48, HEAD, True)), HEAD)
        legend_y = y + 24 + title_h + 14
        plot_top = legend_y + legend_rows * (f - 1) * 1.75 + (f if legend_rows else 0)
        if key == "scope":
            names = b.compounds["compound"] if b.meta.scope.community else b.scorecard["community"]
            bars = max(len(names), 1)
            plot_h = max(360.0, bars * 74.0)
            left = min(max([F.text_width(F.name_label(s), f - 1) for s in names] + [80]) + 40, 360)
            right = 40
        else:
            plot_h = 430.0
            left, right = 130, (120 if key in ("issues", "volunteers") else 40)
        bottom_ticks = (f - 1) * LINE * 2 + 16  # month ticks carry the year on a second line
        x_title = (f - 1) * LINE + 10 if key == "scope" else 0
        card_bottom = plot_top + plot_h + bottom_ticks + x_title + 22
        self.rect(PAD, y, W - PAD, card_bottom, fill=F.CARD, line=F.CARD_LINE)
        if self.draw:
            box = (PAD + left, plot_top, W - PAD - right, plot_top + plot_h)
            cell = F.Cell(n, self.fr, box, (PAD + 24, legend_y), f)
            F.CHARTS[key](self.fig, b, lang, cell)
            self.fr.text(PAD + 24, y + 24, F.esc(title), size=HEAD, bold=True)
        return card_bottom

    def narrative(self, y: float) -> float:
        b, lang = self.b, self.lang
        top = y
        inner = W - 2 * PAD - 56
        paras = [s.text for s in b.narrative(lang) if s.section != "warning"]
        title = t("briefing.sec_narrative", lang)
        h = 24 + _block_h(len(_lines(title, inner, HEAD, True)), HEAD) + 14
        for p in paras:
            h += _block_h(len(_lines(p, inner, BODY)), BODY) + 16
        h += 8
        self.rect(PAD, top, W - PAD, top + h, fill=F.CARD, line=F.CARD_LINE)
        yy = top + 24
        yy += self.text(PAD + 28, yy, title, inner, HEAD, F.INK, bold=True) + 14
        for p in paras:
            yy += self.text(PAD + 28, yy, p, inner, BODY, F.INK) + 16
        return top + h

    def footer(self, y: float) -> float:
        m, lang = self.b.meta, self.lang
        if self.draw:
            self.fr.line(PAD, y, W - PAD, y, color=F.RULE, width=2)
        y += 18
        sep = "：" if lang == "zh" else ": "
        rows = [m.freshness_text(lang),
                f"{t('briefing.data_version', lang)}{sep}{m.data_version or '—'}",
                f"{t('briefing.generated', lang)} {fmt_timestamp(m.generated_at, lang)}{t('briefing.beijing', lang)}"]
        if m.demo:
            rows.append(t("briefing.demo", lang))
        for r in rows:
            y += self.text(PAD, y, r, W - 2 * PAD, SMALL, F.MUTED) + 4
        return y + 28

    def run(self) -> float:
        y = self.header(0)
        y = self.tiles(y + GAP) + GAP
        y = self.warnings(y) + GAP
        for n, key in enumerate(("trend", "issues", "volunteers", "scope"), start=1):
            y = self.chart(y, key, n) + GAP
        y = self.narrative(y) + GAP
        return self.footer(y)


def _chart_title(b: Briefing, key: str, lang: str) -> str:
    if key == "scope":
        return t("briefing.sec_compounds" if b.meta.scope.community else "briefing.sec_scorecard", lang)
    return t(f"briefing.sec_{key}", lang)


def _top_and_bottom(b: Briefing) -> tuple[Briefing, int | None]:
    """The briefing with at most `MAX_BARS` rows in the scope chart's frame (the highest and the lowest half by
    the value the chart shows), and the number of rows it had when it was cut (None when it was not)."""
    from dataclasses import replace

    community = b.meta.scope.community
    frame = b.compounds if community else b.scorecard
    if len(frame) <= MAX_BARS:
        return b, None
    by = "participants_per_100_households" if community else "score"
    ranked = frame.sort_values(by, ascending=False, na_position="last")
    keep = ranked.iloc[list(range(MAX_BARS // 2)) + list(range(len(ranked) - MAX_BARS // 2, len(ranked)))]
    return (replace(b, compounds=keep) if community else replace(b, scorecard=keep)), len(frame)


def _legend_rows(b: Briefing, key: str, lang: str, width: float, size: float) -> int:
    """Rows the chart's horizontal legend needs (plotly wraps its items at the plot's width)."""
    if key == "trend":
        names = [pillar_name(p, lang) for p in dict.fromkeys(b.trend["pillar"])]
    elif key == "issues":
        names = [t(f"briefing.{k}", lang) for k in ("cases_opened", "cases_closed", "closure_rate")]
    elif key == "volunteers":
        names = [t(f"briefing.{k}", lang) for k in ("points_awarded", "points_redeemed", "active_volunteers")]
    else:
        return 0
    rows, used = 1, 0.0
    for name in names:
        w = F.text_width(name, size) * 1.08 + size * 2 + 20  # symbol and spacing
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def height(b: Briefing, lang: str = "zh") -> int:
    """The image's height in px for this briefing (the layout measured without drawing)."""
    fig = go.Figure()
    return int(round(_Layout(fig, F.Frame(fig, W, 1), b, lang, draw=False).run()))


def figure(b: Briefing, lang: str = "zh") -> go.Figure:
    """The 长图 as one plotly figure, `W` wide and `height(b, lang)` tall."""
    h = height(b, lang)
    fig = F._figure(W, h, bg=F.BG)
    fig.update_layout(font=dict(size=BODY))  # nothing falls back to the template's 13 px
    fr = F.Frame(fig, W, h)
    _Layout(fig, fr, b, lang, draw=True).run()
    for trace in fig.data:  # text outside / inside bars keeps its size (plotly would shrink it to the bar)
        if trace.type == "bar":
            trace.constraintext = "none"
    return fr.flush()


def job(b: Briefing, lang: str = "zh") -> tuple[go.Figure, dict]:
    """The kaleido job (figure, options) of the 长图."""
    fig = figure(b, lang)
    return fig, {"format": "png", "width": W, "height": int(fig.layout.height), "scale": 1}


def optimise(raw: bytes, info=None, limit: int = MAX_BYTES) -> bytes:
    """The rendered PNG re-encoded (zlib at its best); when still over `limit`, quantised to a 256-colour
    palette (flat colours and anti-aliased text survive it; the file shrinks about threefold)."""
    from PIL import Image

    im = Image.open(io.BytesIO(raw)).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info, optimize=True)
    if buf.tell() <= limit:
        return buf.getvalue()
    buf = io.BytesIO()
    im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buf, "PNG", pnginfo=info, optimize=True)
    return buf.getvalue()
