"""The briefing as a typeset PDF (A4 landscape, ReportLab): real text, vector charts, searchable.

Page 1: the title band (title, scope, quarter, period, freshness, generation
time, 演示数据 badge), the headline KPI tiles (value, 环比, 同比), the warnings
and the 本季度综述 narrative. Then the four charts (plotly figures from
`briefing.figures`, rendered to SVG by kaleido and drawn as vectors through
svglib), the table of all KPIs (current, previous, 环比, year ago, 同比), the
compounds (one community) and the scorecard, and the fired warnings. Every
page's footer carries `Meta.stamp` and "page n / N"; the file's metadata the
title, the stamp and the keywords.

Fonts: ReportLab embeds TrueType outlines only (the Noto CJK fonts are CFF:
"postscript outlines are not supported"), so the text is set in a TrueType CJK
font — Debian's fonts-wqy-microhei by default, `$GOV_PDF_FONT` to choose
another — embedded as a subset with extractable text. Without one,
`FontUnavailable` says so in both languages: never boxes instead of glyphs.

Ledger text (community / compound names) only reaches Paragraph markup through
`xml.sax.saxutils.escape`.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import threading
from xml.sax.saxutils import escape

from kpi.catalogue import CATALOGUE
from present import charts as C
from present.format import DASH, fmt_change, fmt_kpi, fmt_timestamp
from present.labels import kpi_name, kpi_unit, t

from . import figures as F
from .model import Briefing
from .render import RenderUnavailable

FONT_NAME = "BriefingCJK"
FONT_CANDIDATES = (  # TrueType outlines (glyf), which ReportLab can embed
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
# Characters the briefing's text needs from the font (checked, so a Latin-only font is never taken).
_PROBE = "党建社区治理季度简报演示数据环比同比▲▼"

PAGE_W, PAGE_H = 841.89, 595.28  # A4 landscape, pt
MARGIN = 28.0
BAND_FIRST, BAND_LATER = 74.0, 36.0
FOOTER_H = 22.0
CHART_KEYS = ("trend", "issues", "volunteers", "scope")
CHART_PX = (780, 470)  # css px of each chart; drawn at ~0.5 pt/px, so the charts' 18 px text is ~9 pt
CHART_GAP = 10.0


class FontUnavailable(RenderUnavailable):
    """No TrueType CJK font for the PDF (message in Chinese and English)."""


# ---------------------------------------------------------------- fonts

_font_lock = threading.Lock()
_font_path: tuple[str, int] | None = None


def _usable(path: str, index: int) -> bool:
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        face = TTFont("_probe", path, subfontIndex=index).face
    except (TTFError, OSError, ValueError):  # CFF outlines, unreadable, not a font
        return False
    return all(ord(ch) in face.charToGlyph for ch in _PROBE)


def _search() -> list[tuple[str, int]]:
    """Fallback: fontconfig's Chinese fonts, else every .ttf/.ttc under the usual folders."""
    found: list[str] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
            found += [ln.split(":")[0].strip() for ln in out.splitlines()]
        except (OSError, subprocess.SubprocessError):
            pass
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")):
        found += glob.glob(os.path.join(root, "**", "*.tt[fc]"), recursive=True)
    paths = [p for p in dict.fromkeys(found) if p.lower().endswith((".ttf", ".ttc"))]
    return [(p, 0) for p in paths]


def cjk_font() -> tuple[str, int]:
    """(path, subfont index) of a TrueType CJK font: $GOV_PDF_FONT, the known paths, then a search."""
    global _font_path
    with _font_lock:
        if _font_path is not None:
            return _font_path
        env = os.environ.get("GOV_PDF_FONT")
        candidates = [(env, 0)] if env else []
        candidates += [c for c in FONT_CANDIDATES if os.path.exists(c[0])]
        for path, index in candidates:
            if _usable(path, index):
                _font_path = (path, index)
                return _font_path
        if not env:
            for path, index in _search():
                if _usable(path, index):
                    _font_path = (path, index)
                    return _font_path
        where = f"GOV_PDF_FONT={env}" if env else FONT_CANDIDATES[0][0]
        raise FontUnavailable(
            f"未找到可嵌入 PDF 的 TrueType 中文字体（{where}），无法生成 PDF："
            "请安装 fonts-wqy-microhei（apt-get install -y fonts-wqy-microhei），或设置 GOV_PDF_FONT=字体文件路径 / "
            f"no TrueType CJK font to embed in the PDF ({where}): install fonts-wqy-microhei "
            "(apt-get install -y fonts-wqy-microhei) or set GOV_PDF_FONT=path/to/font.ttf"
        )


def register_font() -> str:
    """Register the CJK font with ReportLab once (normal = bold: the font has one weight); its name."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = cjk_font()
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT_NAME, bold, italic, FONT_NAME)
    return FONT_NAME


# ---------------------------------------------------------------- charts (SVG → vector drawings)

def chart_jobs(b: Briefing, lang: str) -> list[tuple[object, dict]]:
    """The kaleido jobs for the PDF's four charts (SVG)."""
    w, h = CHART_PX
    return [(F.chart_figure(b, k, lang, w, h), {"format": "svg", "width": w, "height": h, "scale": 1})
            for k in CHART_KEYS]


def _drawing(svg: bytes, width_pt: float):
    """An SVG (from kaleido) as a ReportLab Drawing `width_pt` wide, every text in the CJK font."""
    from svglib.fonts import FontMap
    from svglib.svglib import svg2rlg

    class _CJK(FontMap):
        def find_font(self, font_name, weight="normal", style="normal"):  # noqa: ARG002 - one font for all
            return FONT_NAME, True

    d = svg2rlg(io.BytesIO(svg), font_map=_CJK())
    if d is None:
        return None
    s = width_pt / d.width
    d.scale(s, s)
    d.width, d.height = d.width * s, d.height * s
    return d


# ---------------------------------------------------------------- styles

def _styles(lang: str) -> dict:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    wrap = "CJK" if lang == "zh" else None
    base = ParagraphStyle("base", fontName=FONT_NAME, fontSize=9, leading=13, textColor=HexColor(F.INK),
                          wordWrap=wrap)

    def s(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "body": base,
        "narr": s("narr", fontSize=9.5 if lang == "zh" else 9, leading=14.5, spaceAfter=3),
        "warn": s("warn", fontSize=9, leading=13, spaceAfter=2),
        "h": s("h", fontSize=12, leading=16, spaceBefore=6, spaceAfter=4, textColor=HexColor(F.BAND)),
        "tile_name": s("tile_name", fontSize=8.5, leading=11, textColor=HexColor(F.MUTED)),
        "tile_value": s("tile_value", fontSize=19, leading=23),
        "tile_change": s("tile_change", fontSize=7.5, leading=10),
        "cell": s("cell", fontSize=7.5, leading=9.5),
        "cell_r": s("cell_r", fontSize=7.5, leading=9.5, alignment=2),
        "head": s("head", fontSize=7.5, leading=9.5, textColor=HexColor(F.INK)),
        "head_r": s("head_r", fontSize=7.5, leading=9.5, alignment=2),
        "note": s("note", fontSize=7.5, leading=10, textColor=HexColor(F.MUTED), spaceBefore=4),
    }


def _p(text: object, style, color: str | None = None):
    """A Paragraph of plain text: escaped, so ledger text can never act as markup."""
    from reportlab.platypus import Paragraph

    s = escape(str(text))
    if color:
        s = f'<font color="{color}">{s}</font>'
    return Paragraph(s, style)


# ---------------------------------------------------------------- page furniture

def _fit(c, text: str, size: float, width: float, min_size: float = 5.0) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > min_size and stringWidth(text, FONT_NAME, size) > width:
        size -= 0.25
    return size


def _band(c, b: Briefing, lang: str, first: bool) -> None:
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase.pdfmetrics import stringWidth

    m = b.meta
    h = BAND_FIRST if first else BAND_LATER
    c.saveState()
    c.setFillColor(HexColor(F.BAND))
    c.rect(0, PAGE_H - h, PAGE_W, h, stroke=0, fill=1)
    right = PAGE_W - MARGIN
    if m.demo:
        label = t("briefing.demo", lang)
        size = 12 if first else 10
        bw, bh = stringWidth(label, FONT_NAME, size) + 20, size + 10
        by = PAGE_H - h / 2 - bh / 2
        c.setFillColor(HexColor(F.DEMO_BG))
        c.roundRect(right - bw, by, bw, bh, 3, stroke=0, fill=1)
        c.setFillColor(HexColor(F.DEMO_INK))
        c.setFont(FONT_NAME, size)
        c.drawCentredString(right - bw / 2, by + (bh - size) / 2 + size * 0.18, label)
        right -= bw + 12
    c.setFillColor(HexColor(F.BAND_INK))
    width = right - MARGIN
    title = m.title(lang)
    if first:
        size = _fit(c, title, 18, width, 10)
        c.setFont(FONT_NAME, size)
        c.drawString(MARGIN, PAGE_H - 30, title)
        sep = " ｜ " if lang == "zh" else " | "
        sub = [m.period_text(lang), m.freshness_text(lang)]
        if m.incomplete and m.data_max is not None:
            sub.append(f"{t('briefing.incomplete', lang)} {m.data_max:%Y-%m-%d}")
        sub.append(f"{t('briefing.generated', lang)} {fmt_timestamp(m.generated_at, lang)}"
                   f"{t('briefing.beijing', lang)}")
        line = sep.join(sub)
        c.setFillColor(HexColor("#FDE9E7"))
        c.setFont(FONT_NAME, _fit(c, line, 9, width))
        c.drawString(MARGIN, PAGE_H - h + 14, line)
    else:
        size = _fit(c, title, 12, width, 7)
        c.setFont(FONT_NAME, size)
        c.drawString(MARGIN, PAGE_H - h / 2 - size * 0.35, title)
    c.restoreState()


def _footer(c, b: Briefing, lang: str, n: int, total: int) -> None:
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c.saveState()
    c.setStrokeColor(HexColor(F.RULE))
    c.setLineWidth(0.6)
    y = FOOTER_H
    c.line(MARGIN, y, PAGE_W - MARGIN, y)
    c.setFillColor(HexColor(F.MUTED))
    page = t("briefing.page", lang, n=n, total=total)
    c.setFont(FONT_NAME, 7.5)
    c.drawRightString(PAGE_W - MARGIN, y - 11, page)
    stamp = b.meta.stamp(lang)
    width = PAGE_W - 2 * MARGIN - stringWidth(page, FONT_NAME, 7.5) - 16
    c.setFont(FONT_NAME, _fit(c, stamp, 7.5, width, 4.5))
    c.drawString(MARGIN, y - 11, stamp)
    c.restoreState()


def _canvas_class(b: Briefing, lang: str):
    """A canvas that holds the pages back until the end, so every footer can say "page n of N"."""
    from reportlab.pdfgen.canvas import Canvas

    class _Numbered(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for i, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _footer(self, b, lang, i, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return _Numbered


# ---------------------------------------------------------------- page 1

def _change_color(better) -> str:
    return C.GOOD_COLOR if better is True else (C.BAD_COLOR if better is False else C.NEUTRAL_COLOR)


def _tiles(b: Briefing, lang: str, st: dict, width: float):
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Paragraph, Table, TableStyle

    per_row = 4
    ids = list(b.headline)
    cells = []
    for kid in ids:
        k = CATALOGUE[kid]
        unit = "" if k.is_percent else kpi_unit(kid, lang)
        value = escape(fmt_kpi(kid, b.value(kid), lang))
        if unit:
            value += f'<font size="9" color="{F.MUTED}"> {escape(unit)}</font>'
        cell = [_p(kpi_name(kid, lang), st["tile_name"]), Paragraph(value, st["tile_value"])]
        for base in ("previous", "year_ago"):
            txt, color = F._change_line(b, kid, base, lang)
            cell.append(_p(txt, st["tile_change"], color))
        cells.append(cell)
    rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
    if rows and len(rows[-1]) < per_row:
        rows[-1] += [""] * (per_row - len(rows[-1]))
    gap = 8.0
    cw = (width - gap * (per_row - 1)) / per_row
    data, heights = [], []
    for i, r in enumerate(rows):  # spacer columns and rows between tiles
        if i:
            data.append([""] * (2 * per_row - 1))
            heights.append(gap)
        line = []
        for j, cell in enumerate(r):
            if j:
                line.append("")
            line.append(cell)
        data.append(line)
        heights.append(None)
    widths = [cw if j % 2 == 0 else gap for j in range(2 * per_row - 1)]
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 9),
             ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    for i, r in enumerate(rows):
        for j, kid_cell in enumerate(r):
            if kid_cell == "":
                continue
            kid = ids[i * per_row + j]
            col, row = 2 * j, 2 * i
            pillar = CATALOGUE[kid].pillar
            style += [("BOX", (col, row), (col, row), 0.6, HexColor(F.CARD_LINE)),
                      ("BACKGROUND", (col, row), (col, row), HexColor(F.CARD)),
                      ("LINEBEFORE", (col, row), (col, row), 3.5,
                       HexColor(C.color_for(pillar) if pillar else F.BAND))]
    tbl = Table(data, colWidths=widths, rowHeights=heights, hAlign="LEFT")
    tbl.setStyle(TableStyle(style))
    return tbl


def _warnings(b: Briefing, lang: str, st: dict) -> list:
    title = t("briefing.sec_warnings", lang)
    if not b.warnings.empty:
        n_red = int((b.warnings["level"] == "red").sum())
        n_yel = int((b.warnings["level"] == "yellow").sum())
        title += f"（{t('briefing.red', lang)} {n_red} · {t('briefing.yellow', lang)} {n_yel}）" if lang == "zh" else \
            f" ({n_red} red · {n_yel} yellow)"
    out = [_p(title, st["h"])]
    for txt, color in F._warning_lines(b, lang):
        out.append(_p(txt, st["warn"], color))
    return out


def _narrative(b: Briefing, lang: str, st: dict) -> list:
    """The narrative once: every sentence but the warnings' (those are in the warnings section)."""
    out = [_p(t("briefing.sec_narrative", lang), st["h"])]
    out += [_p(s.text, st["narr"]) for s in b.narrative(lang) if s.section != "warning"]
    return out


# ---------------------------------------------------------------- tables

def _grid(head: list[str], rows: list[list], widths: list[float], st: dict, left: int = 1,
          highlight: int | None = None, colors: dict[tuple[int, int], str] | None = None):
    """A table of escaped text: header row repeated on every page, first `left` columns left-aligned."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    colors = colors or {}
    data = [[_p(h, st["head"] if j < left else st["head_r"]) for j, h in enumerate(head)]]
    for i, r in enumerate(rows):
        data.append([_p(v, st["cell"] if j < left else st["cell_r"], colors.get((i, j))) for j, v in enumerate(r)])
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HexColor("#F1E4E2")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, HexColor(F.RULE)),
        ("BOX", (0, 0), (-1, -1), 0.5, HexColor(F.RULE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if highlight is not None:
        style.append(("BACKGROUND", (0, highlight + 1), (-1, highlight + 1), HexColor("#FFF4D6")))
    tbl = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    tbl.setStyle(TableStyle(style))
    return tbl


def _scaled(widths: list[float], total: float) -> list[float]:
    s = sum(widths)
    return [w * total / s for w in widths]


def _kpi_table(b: Briefing, lang: str, st: dict, width: float):
    head = [t(k, lang) for k in ("briefing.col_kpi", "briefing.col_unit", "briefing.col_value", "briefing.col_previous",
                                 "briefing.col_qoq", "briefing.col_year_ago", "briefing.col_yoy")]
    rows, colors = [], {}
    for i, r in enumerate(b.kpis.itertuples(index=False)):
        rows.append([
            kpi_name(r.kpi_id, lang), kpi_unit(r.kpi_id, lang), fmt_kpi(r.kpi_id, r.current, lang),
            fmt_kpi(r.kpi_id, r.previous, lang),
            fmt_change(r.kpi_id, r.delta_vs_previous, r.change_vs_previous, lang) or DASH,
            fmt_kpi(r.kpi_id, r.year_ago, lang),
            fmt_change(r.kpi_id, r.delta_vs_year_ago, r.change_vs_year_ago, lang) or DASH,
        ])
        colors[(i, 4)] = _change_color(r.better_vs_previous)
        colors[(i, 6)] = _change_color(r.better_vs_year_ago)
    return _grid(head, rows, _scaled([3.4, 1.5, 1.3, 1.3, 1.4, 1.3, 1.4], width), st, left=2, colors=colors)


# ---------------------------------------------------------------- the document

def pdf_bytes(b: Briefing, lang: str = "zh", charts: list[bytes] | None = None) -> bytes:
    """The typeset briefing. `charts`: the four chart SVGs (`chart_jobs`); rendered here when None."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    register_font()
    if charts is None:
        from . import render as R

        charts = R.render_jobs(chart_jobs(b, lang))
    m = b.meta
    st = _styles(lang)
    width = PAGE_W - 2 * MARGIN

    buf = io.BytesIO()
    dataset = t("briefing.demo", lang) if m.demo else (m.dataset or "")
    doc = BaseDocTemplate(
        buf, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=m.title(lang), subject=m.stamp(lang), author=m.scope.street,
        creator="briefing (党建+治理看板)",
        keywords=f"{m.scope.label(lang)}; {m.quarter.code}; {m.freshness_text(lang)}; {dataset}",
        lang="zh-CN" if lang == "zh" else "en",
    )
    bottom = FOOTER_H + 8
    first = Frame(MARGIN, bottom, width, PAGE_H - BAND_FIRST - 8 - bottom, id="first", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    later = Frame(MARGIN, bottom, width, PAGE_H - BAND_LATER - 10 - bottom, id="later", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([
        PageTemplate("first", [first], onPage=lambda c, d: _band(c, b, lang, True)),
        PageTemplate("later", [later], onPage=lambda c, d: _band(c, b, lang, False)),
    ])

    story: list = [NextPageTemplate("later")]
    # page 1: tiles, warnings, narrative
    story.append(_p(t("briefing.sec_tiles", lang), st["h"]))
    story.append(_tiles(b, lang, st, width))
    story += _warnings(b, lang, st)
    story += _narrative(b, lang, st)

    # the four charts, 2 × 2
    story.append(PageBreak())
    cw = (width - CHART_GAP) / 2
    drawings = [_drawing(svg, cw - 2) if svg else None for svg in charts]
    drawings = [d if d is not None else _p(t("briefing.no_chart", lang), st["note"]) for d in drawings]
    while len(drawings) < 4:
        drawings.append(_p(t("briefing.no_chart", lang), st["note"]))
    grid = Table([[drawings[0], "", drawings[1]], [Spacer(1, CHART_GAP), "", ""], [drawings[2], "", drawings[3]]],
                 colWidths=[cw, CHART_GAP, cw], hAlign="LEFT")
    box = HexColor(F.CARD_LINE)
    grid.setStyle(TableStyle([
        ("BOX", (0, 0), (0, 0), 0.6, box), ("BOX", (2, 0), (2, 0), 0.6, box),
        ("BOX", (0, 2), (0, 2), 0.6, box), ("BOX", (2, 2), (2, 2), 0.6, box),
        ("LEFTPADDING", (0, 0), (-1, -1), 1), ("RIGHTPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
    ]))
    story.append(grid)

    # all KPIs
    story.append(PageBreak())
    story.append(_p(t("briefing.sec_kpis", lang), st["h"]))
    story.append(_kpi_table(b, lang, st, width))

    # compounds (one community) and the scorecard
    story.append(PageBreak())
    if m.scope.community:
        story.append(_p(t("briefing.sec_compounds", lang), st["h"]))
        head, cols = F.compound_table_rows(b, lang)
        rows = [list(r) for r in zip(*cols, strict=True)] if cols and cols[0] else []
        story.append(_grid(head, rows, _scaled([1.8, 1] + [1.3] * (len(head) - 2), width), st))
        story.append(Spacer(1, 6))
    story.append(CondPageBreak(120))
    story.append(_p(t("briefing.sec_scorecard", lang), st["h"]))
    head, cols = F.scorecard_table_rows(b, lang)
    rows = [list(r) for r in zip(*cols, strict=True)] if cols and cols[0] else []
    mine = None
    if m.scope.community:
        names = [str(c) for c in b.scorecard["community"]]
        mine = names.index(m.scope.community) if m.scope.community in names else None
    story.append(_grid(head, rows, _scaled([0.6, 1.6, 0.9, 1.1] + [1.0] * (len(head) - 4), width), st, left=2,
                       highlight=mine))
    story.append(_p(t("briefing.score_note", lang), st["note"]))

    # the fired warnings in detail
    if not b.warnings.empty:
        story.append(CondPageBreak(90))
        story.append(_p(t("briefing.sec_warnings", lang), st["h"]))
        head, cols = F.warning_table_rows(b, lang)
        rows = [list(r) for r in zip(*cols, strict=True)]
        colors = {(i, 0): F.LEVEL_COLORS.get(lv, F.INK) for i, lv in enumerate(b.warnings["level"])}
        story.append(_grid(head, rows, _scaled([1, 1.6, 2, 1.3, 1.3, 1], width), st, left=3, colors=colors))

    doc.build(story, canvasmaker=_canvas_class(b, lang))
    return buf.getvalue()
