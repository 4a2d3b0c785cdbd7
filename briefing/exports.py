"""The briefing files: PNG (1920×1080), PDF (A4 landscape), PPTX, XLSX and the 长图 (`longpng`: one portrait
image 1080 px wide for a phone, `briefing.longimage`).

Every file carries the scope, the quarter, the data freshness and 演示数据
(for demo data) in its content: the PNG and PDF in the title band and footer
of every page (plus the file's metadata), the PPTX on the title slide and in
every slide's footer, the workbook on its first sheet and in the first rows
of every sheet. The PDF is typeset with ReportLab (`briefing.pdf`: real,
searchable text; the charts as vectors) and the PPTX's charts are native
PowerPoint charts (`briefing.pptx_charts`). Only the PNG canvas and the PDF's
charts are rendered, server-side by kaleido through the system Chromium
(`briefing.render`), all in one batch; PPTX and XLSX need no browser.
Texts come from `present.labels` (keys `briefing.*`), numbers and Excel number
formats from `present.format`, as on the dashboard.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

from kpi.catalogue import CATALOGUE
from present.charts import color_for
from present.format import (
    DASH,
    XLSX_COUNT,
    XLSX_RELATIVE,
    XLSX_SCORE,
    fmt_change,
    fmt_date,
    fmt_kpi,
    fmt_quarter,
    fmt_score,
    fmt_timestamp,
    missing,
    xlsx_change_format,
    xlsx_format,
)
from present.labels import kpi_definition, kpi_name, kpi_unit, pillar_name, t
from present.spreadsheet import header_footer_text, neutralise_workbook

from . import figures as F
from . import longimage as L
from . import pdf as PDF
from . import pptx_charts as PC
from . import render as R
from .model import COMPOUND_IDS, ISSUE_IDS, VOLUNTEER_IDS, Briefing

FORMATS = ("png", "pdf", "pptx", "xlsx", "longpng")
DEFAULT_FORMATS = ("png", "pdf", "pptx", "xlsx")  # the CLI's default: the 长图 is asked for by name
NEEDS_BROWSER = ("png", "pdf", "longpng")  # rendered through Chromium (kaleido)
EXTENSION = {"longpng": "png"}  # a format's file extension when it is not the format's name
MIME = {
    "png": "image/png",
    "longpng": "image/png",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHART_BOTTOM = 6.95  # inches: where a slide's chart ends (the footer stamp is below)


FILE_STEM_LIMIT = 80  # characters: 80 CJK characters are 240 bytes, under the usual 255-byte limit


def file_name(b: Briefing, fmt: str, lang: str = "zh") -> str:
    stem = b.meta.file_stem(lang)
    # names are data: no path separators or shell-special characters, and a length a file system accepts
    suffix = f"_{t('briefing.file_long', lang)}" if fmt == "longpng" else ""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", stem)[:FILE_STEM_LIMIT - len(suffix)] + suffix
    return f"{stem}.{EXTENSION.get(fmt, fmt)}"


def parse_formats(s: str | Iterable[str] | None) -> list[str]:
    """'png,pdf' → ['png', 'pdf']; ValueError on an unknown format."""
    if s is None:
        return list(FORMATS)
    items = [x.strip().lower() for x in (s.split(",") if isinstance(s, str) else s) if x.strip()]
    bad = [x for x in items if x not in FORMATS]
    if bad or not items:
        raise ValueError(f"未知的格式 / unknown format(s): {bad or s!r}; 可选 / one of: {','.join(FORMATS)}")
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- rendering jobs

def _jobs(b: Briefing, formats: Iterable[str], lang: str) -> dict[str, list]:
    """The figures each format needs, with kaleido options."""
    jobs: dict[str, list] = {}
    formats = set(formats)
    if "png" in formats:
        jobs["png"] = [(F.canvas(b, lang), {"format": "png", "width": F.W, "height": F.H, "scale": 1})]
    if "pdf" in formats:
        jobs["pdf"] = PDF.chart_jobs(b, lang)  # SVG, drawn as vectors
    if "longpng" in formats:
        jobs["longpng"] = [L.job(b, lang)]
    return jobs


def render_images(b: Briefing, formats: Iterable[str], lang: str = "zh") -> dict[str, list[bytes]]:
    """All images the formats need, rendered in one batch: {'png': [canvas], 'pdf': chart SVGs} (PPTX: none)."""
    jobs = _jobs(b, formats, lang)
    flat = [j for k in jobs for j in jobs[k]]
    out = R.render_jobs(flat)
    res, i = {}, 0
    for k in jobs:
        res[k] = out[i:i + len(jobs[k])]
        i += len(jobs[k])
    return res


# ---------------------------------------------------------------- PNG

def _metadata(b: Briefing, lang: str) -> dict[str, str]:
    m = b.meta
    return {
        "Title": m.title(lang),
        "Subject": m.stamp(lang),
        "Scope": m.scope.label(lang),
        "Quarter": m.quarter.code,
        "Freshness": m.freshness_text(lang),
        "Dataset": t("briefing.demo", lang) if m.demo else (m.dataset or ""),
        "Generated": fmt_timestamp(m.generated_at, lang),
    }


def png_bytes(b: Briefing, lang: str = "zh", image: bytes | None = None) -> bytes:
    """The canvas as a 1920×1080 PNG, with the scope / quarter / freshness also as PNG text chunks."""
    from PIL import Image, PngImagePlugin

    raw = image if image is not None else render_images(b, ["png"], lang)["png"][0]
    im = Image.open(io.BytesIO(raw))
    info = PngImagePlugin.PngInfo()
    for k, v in _metadata(b, lang).items():
        info.add_itxt(k, v)
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info, optimize=False)
    return buf.getvalue()


def longpng_bytes(b: Briefing, lang: str = "zh", image: bytes | None = None) -> bytes:
    """The 长图 (`briefing.longimage`): 1080 px wide, re-encoded to stay under 2 MB, with the PNG's text chunks."""
    from PIL import PngImagePlugin

    raw = image if image is not None else render_images(b, ["longpng"], lang)["longpng"][0]
    info = PngImagePlugin.PngInfo()
    for k, v in _metadata(b, lang).items():
        info.add_itxt(k, v)
    return L.optimise(raw, info)


# ---------------------------------------------------------------- PDF

def pdf_bytes(b: Briefing, lang: str = "zh", images: list[bytes] | None = None) -> bytes:
    """The typeset A4-landscape PDF (`briefing.pdf`); `images`: its four chart SVGs (rendered when None)."""
    return PDF.pdf_bytes(b, lang, images)


# ---------------------------------------------------------------- PPTX

def _font(run, size: float | None = None, bold: bool | None = None, color: str | None = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    f = run.font
    f.name = "Microsoft YaHei"
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):  # Chinese text needs the East Asian typeface too
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", "Microsoft YaHei")
    if size:
        f.size = Pt(size)
    if bold is not None:
        f.bold = bold
    if color:
        f.color.rgb = RGBColor.from_string(color.lstrip("#"))


def _text_box(slide, x, y, w, h, paragraphs, size=14, color=F.INK, bold=False, wrap=True, align=None):
    """A text box; `paragraphs` is a list of str or of lists of (text, {size, bold, color}) runs."""
    from pptx.util import Inches

    tb = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = tb.text_frame
    tf.word_wrap = wrap
    for i, para in enumerate(paragraphs):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        if align is not None:
            p.alignment = align
        runs = [(para, {})] if isinstance(para, str) else para
        for txt, style in runs:
            r = p.add_run()
            r.text = txt
            _font(r, style.get("size", size), style.get("bold", bold), style.get("color", color))
    return tb


def _rect(slide, x, y, w, h, fill, line=None):
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    s = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
    s.fill.solid()
    s.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#"))
    if line:
        s.line.color.rgb = RGBColor.from_string(line.lstrip("#"))
    else:
        s.line.fill.background()
    s.shadow.inherit = False
    return s


SLIDE_W, SLIDE_H = 13.333, 7.5


def _to_back(slide, shape) -> None:
    """Behind the slide's placeholders (title): first in the shape tree after its two property nodes."""
    tree = slide.shapes._spTree
    tree.remove(shape._element)
    tree.insert(2, shape._element)


def _slide(prs, b: Briefing, lang: str, title: str, notes: list[str]):
    """A 'Title Only' slide with the title band, the demo badge and the footer stamp."""
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    _to_back(slide, _rect(slide, 0, 0, SLIDE_W, 0.95, F.BAND))
    head = slide.shapes.title
    head.left, head.top, head.width, head.height = Inches(0.4), Inches(0.12), Inches(SLIDE_W - 2.6), Inches(0.72)
    head.text_frame.text = title
    for p in head.text_frame.paragraphs:
        p.alignment = 1  # left
        for r in p.runs:
            _font(r, 26, True, "#FFFFFF")
    if b.meta.demo:
        badge = _rect(slide, SLIDE_W - 1.95, 0.22, 1.6, 0.5, F.DEMO_BG)
        badge.text_frame.text = t("briefing.demo", lang)
        for p in badge.text_frame.paragraphs:
            p.alignment = 2  # center
            for r in p.runs:
                _font(r, 14, True, F.DEMO_INK)
    _text_box(slide, 0.4, SLIDE_H - 0.45, SLIDE_W - 0.8, 0.4, [b.meta.stamp(lang)], size=8, color=F.MUTED)
    slide.notes_slide.notes_text_frame.text = "\n\n".join(notes + [t("briefing.notes_numbers", lang)])
    return slide


def _chart(slide, b: Briefing, key: str, x, y, w, lang):
    """The section's native chart(s) (`briefing.pptx_charts`) from the top of the content area down."""
    PC.add_chart(slide, b, key, lang, x, y, w, CHART_BOTTOM - y)


def _numbers(slide, x, y, w, h, rows: list[tuple[str, str]], size=15):
    """A column of label : value lines (editable text)."""
    paras = []
    for label, value in rows:
        paras.append([(f"{label}  ", {"color": F.MUTED, "size": size}), (value, {"bold": True, "size": size + 2})])
    tb = _text_box(slide, x, y, w, h, paras, size=size)
    for p in tb.text_frame.paragraphs:
        p.space_after = 6
    return tb


def _table(slide, x, y, w, head: list[str], cols: list[list[str]], size=11, highlight: int | None = None):
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    rows = len(cols[0]) + 1
    shape = slide.shapes.add_table(rows, len(head), Inches(x), Inches(y), Inches(w), Inches(0.34 * rows))
    table = shape.table
    for j, h in enumerate(head):
        cell = table.cell(0, j)
        cell.text = h
        for r in cell.text_frame.paragraphs[0].runs:
            _font(r, size, True, "#FFFFFF")
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(F.BAND.lstrip("#"))
    for i in range(rows - 1):
        for j in range(len(head)):
            cell = table.cell(i + 1, j)
            cell.text = cols[j][i]
            cell.margin_top = cell.margin_bottom = Pt(2)
            for r in cell.text_frame.paragraphs[0].runs:
                _font(r, size, i == highlight, F.INK)
            if j > 0:
                cell.text_frame.paragraphs[0].alignment = 3  # right
            if i == highlight:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor.from_string("FFF4D6")
    return table


def _sentences(b: Briefing, lang: str, *sections: str) -> list[str]:
    return [s.text for s in b.narrative(lang) if s.section in sections or s.section.split(":")[0] in sections]


def pptx_bytes(b: Briefing, lang: str = "zh") -> bytes:
    """Title slide, then one slide per section: native chart + the numbers as editable text; narrative in notes.

    No browser needed: the charts are PowerPoint charts built from the briefing's numbers."""
    from pptx import Presentation
    from pptx.util import Inches

    m = b.meta
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = m.title(lang)
    prs.core_properties.subject = m.stamp(lang)
    prs.core_properties.keywords = f"{m.scope.label(lang)}; {m.quarter.code}; {t('briefing.demo', lang) if m.demo else ''}"
    prs.core_properties.author = m.scope.street

    # 1 title slide
    s = prs.slides.add_slide(prs.slide_layouts[0])
    _to_back(s, _rect(s, 0, 0, SLIDE_W, SLIDE_H, F.BAND))
    title, sub = s.shapes.title, s.placeholders[1]
    title.left, title.top, title.width, title.height = Inches(0.8), Inches(1.7), Inches(SLIDE_W - 1.6), Inches(1.9)
    title.text_frame.text = m.title(lang)
    for r in title.text_frame.paragraphs[0].runs:
        _font(r, 36, True, "#FFFFFF")
    sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.8), Inches(SLIDE_W - 1.6), Inches(2.6)
    lines = [m.scope.label(lang) + "  ·  " + fmt_quarter(m.quarter, lang), m.period_text(lang), m.freshness_text(lang),
             f"{t('briefing.generated', lang)} {fmt_timestamp(m.generated_at, lang)}{t('briefing.beijing', lang)}"]
    if m.incomplete and m.data_max is not None:
        lines.append(f"{t('briefing.incomplete', lang)} {m.data_max:%Y-%m-%d}")
    if m.demo:
        lines.append(f"{t('briefing.demo', lang)}：{t('briefing.demo_note', lang)}" if lang == "zh" else
                     f"{t('briefing.demo', lang)}: {t('briefing.demo_note', lang)}")
    sub.text_frame.text = lines[0]
    for ln in lines[1:]:
        sub.text_frame.add_paragraph().text = ln
    for i, p in enumerate(sub.text_frame.paragraphs):
        for r in p.runs:
            is_demo = m.demo and i == len(lines) - 1
            _font(r, 20 if i == 0 else 15, i == 0 or is_demo, "#FFE08A" if is_demo else "#FDE9E7")
    s.notes_slide.notes_text_frame.text = b.narrative_text(lang)

    # 2 headline KPIs: tiles as editable text
    s = _slide(prs, b, lang, t("briefing.sec_tiles", lang), _sentences(b, lang, "overview"))
    per_row, gap, th = 4, 0.25, 2.55
    tw = (SLIDE_W - 0.8 - gap * (per_row - 1)) / per_row
    for i, kid in enumerate(b.headline):
        r, c = divmod(i, per_row)
        x, y = 0.4 + c * (tw + gap), 1.3 + r * (th + gap)
        _rect(s, x, y, tw, th, "#FFFFFF", F.CARD_LINE)
        pillar = CATALOGUE[kid].pillar
        _rect(s, x, y, 0.08, th, color_for(pillar) if pillar else F.BAND)
        unit = "" if CATALOGUE[kid].is_percent else kpi_unit(kid, lang)
        paras = [
            [(kpi_name(kid, lang), {"size": 15, "color": F.MUTED})],
            [(fmt_kpi(kid, b.value(kid), lang), {"size": 34, "bold": True}),
             (f" {unit}" if unit else "", {"size": 14, "color": F.MUTED})],
        ]
        for base in ("previous", "year_ago"):
            txt, color = F._change_line(b, kid, base, lang)
            paras.append([(txt, {"size": 13, "color": color})])
        _text_box(s, x + 0.2, y + 0.15, tw - 0.3, th - 0.3, paras)

    # 3 activities by pillar
    s = _slide(prs, b, lang, t("briefing.sec_trend", lang), _sentences(b, lang, "overview", "pillar"))
    _chart(s, b, "trend", 0.4, 1.2, 8.2, lang)
    rows = []
    for p in b.pillar_names:
        a, pp = b.pillar_row(p, "activities"), b.pillar_row(p, "participants")
        numbers = f"{fmt_kpi('activities', a['current'], lang, unit=True)} · " \
            f"{fmt_kpi('participants', pp['current'], lang, unit=True)}"
        yoy = f"{t('briefing.yoy', lang)} " \
            f"{fmt_change('participants', pp['delta_vs_year_ago'], pp['change_vs_year_ago'], lang) or DASH}"
        rows.append((t("briefing.pillar", lang, pillar=pillar_name(p, lang)),
                     f"{numbers}（{yoy}）" if lang == "zh" else f"{numbers} ({yoy})"))
    rows += [(kpi_name(k, lang), fmt_kpi(k, b.value(k), lang, unit=True)) for k in
             ("activities", "participants", "partner_activities", "active_partners", "home_repairs")]
    _numbers(s, 8.8, 1.3, 4.2, 5.5, rows, size=12)

    # 4 issues
    s = _slide(prs, b, lang, t("briefing.sec_issues", lang), _sentences(b, lang, "pillar:居民自治"))
    _chart(s, b, "issues", 0.4, 1.2, 8.2, lang)
    ids = ("cases_opened", "cases_closed", "closure_rate", "on_time_rate", "satisfaction_rate",
           "resolution_days_median", "open_backlog", "overdue_backlog")
    _numbers(s, 8.8, 1.3, 4.2, 5.5, [(kpi_name(k, lang), _with_change(b, k, lang)) for k in ids], size=13)

    # 5 volunteers
    s = _slide(prs, b, lang, t("briefing.sec_volunteers", lang), _sentences(b, lang, "pillar:志愿服务"))
    _chart(s, b, "volunteers", 0.4, 1.2, 8.2, lang)
    ids = ("active_volunteers", "active_rate", "registered_volunteers", "service_hours", "points_awarded",
           "points_redeemed", "points_balance", "convenience_services")
    _numbers(s, 8.8, 1.3, 4.2, 5.5, [(kpi_name(k, lang), _with_change(b, k, lang)) for k in ids], size=13)

    # 6 scorecard / compounds
    if m.scope.community:
        s = _slide(prs, b, lang, t("briefing.sec_compounds", lang), _sentences(b, lang, "scorecard", "pillar:社会治理"))
        _chart(s, b, "scope", 0.4, 1.2, 7.2, lang)
        head, cols = F.compound_table_rows(b, lang)
        keep = [0, 1, 2, 4, 5, 6]
        _table(s, 7.8, 1.3, 5.1, [head[i] for i in keep], [cols[i] for i in keep], size=10)
        r = b.scorecard_row(m.scope.community)
        if r is not None:
            _numbers(s, 7.8, 4.6, 5.1, 1.8, [
                (t("briefing.col_score", lang), fmt_score(r["score"])),
                (t("briefing.col_rank", lang), f"{DASH if missing(r['rank']) else int(r['rank'])} / {b.communities_ranked}"),
                (t("briefing.col_warnings", lang), str(int(r["warnings"]))),
            ], size=13)
    else:
        s = _slide(prs, b, lang, t("briefing.sec_scorecard", lang), _sentences(b, lang, "scorecard", "pillar:社会治理"))
        _chart(s, b, "scope", 0.4, 1.2, 7.2, lang)
        head, cols = F.scorecard_table_rows(b, lang)
        _table(s, 7.8, 1.3, 5.1, head[:4], cols[:4], size=11)

    # 7 warnings
    s = _slide(prs, b, lang, t("briefing.sec_warnings", lang), _sentences(b, lang, "warning"))
    paras = []
    for txt, color in F._warning_lines(b, lang):
        paras.append([(txt, {"color": color, "size": 16})])
    tb = _text_box(s, 0.6, 1.3, SLIDE_W - 1.2, 5.4, paras)
    for p in tb.text_frame.paragraphs:
        p.space_after = 10

    # 8 narrative
    s = _slide(prs, b, lang, t("briefing.sec_narrative", lang), [b.narrative_text(lang)])
    paras = [[(x.text, {"size": 14 if lang == "zh" else 12})] for x in b.narrative(lang)]
    tb = _text_box(s, 0.6, 1.2, SLIDE_W - 1.2, 5.7, paras)
    for p in tb.text_frame.paragraphs:
        p.space_after = 8

    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _with_change(b: Briefing, kid: str, lang: str) -> str:
    r = b.row(kid)
    v = fmt_kpi(kid, r["current"], lang, unit=True)
    ch = fmt_change(kid, r["delta_vs_previous"], r["change_vs_previous"], lang) or DASH
    if ch == DASH:
        return v
    return f"{v}（{t('briefing.qoq', lang)} {ch}）" if lang == "zh" else f"{v} ({t('briefing.qoq', lang)} {ch})"


# ---------------------------------------------------------------- XLSX

def xlsx_bytes(b: Briefing, lang: str = "zh") -> bytes:
    """One sheet per section, raw values (not rounded) with display formats; scope and definitions first."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    m = b.meta
    wb = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="F1E4E2")
    demo_font = Font(bold=True, color="8A1C12")
    title_font = Font(bold=True, size=14)

    def sheet(name: str, first: bool = False):
        ws = wb.active if first else wb.create_sheet()
        ws.title = name[:31]
        ws["A1"] = m.title(lang)
        ws["A1"].font = title_font
        ws["A2"] = m.stamp(lang)
        if m.demo:
            ws["A2"].font = demo_font
        ws.oddHeader.center.text = header_footer_text(m.title(lang))[:250]
        ws.oddFooter.left.text = header_footer_text(m.stamp(lang))[:250]
        ws.oddFooter.right.text = "&P / &N"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return ws

    def table(ws, row: int, header: list[str], rows: list[list], formats: list[str | None] | None = None,
              widths: list[float] | None = None) -> int:
        for j, h in enumerate(header, start=1):
            c = ws.cell(row=row, column=j, value=h)
            c.font, c.fill = bold, head_fill
            c.alignment = Alignment(wrap_text=True, vertical="center")
        for i, values in enumerate(rows, start=row + 1):
            for j, v in enumerate(values, start=1):
                if isinstance(v, float) and missing(v):
                    v = None
                c = ws.cell(row=i, column=j, value=v)
                fmt = formats[j - 1] if formats else None
                if isinstance(fmt, list):
                    fmt = fmt[i - row - 1]
                if fmt and v is not None:
                    c.number_format = fmt
        if widths:
            for j, w in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(j)].width = w
        return row + len(rows) + 1

    # 说明: scope, freshness, definitions
    ws = sheet(t("briefing.sec_about", lang), first=True)
    info = [
        (t("briefing.scope", lang), m.scope.label(lang)),
        (t("briefing.quarter", lang), f"{fmt_quarter(m.quarter, lang)}（{m.quarter.code}）" if lang == "zh" else
         f"{fmt_quarter(m.quarter, lang)} ({m.quarter.code})"),
        (t("briefing.period", lang), f"{m.start:%Y-%m-%d} {t('briefing.to', lang)} {m.end:%Y-%m-%d}"),
        (t("briefing.freshness", lang), fmt_date(m.data_max)),
        (t("briefing.loaded_at", lang), fmt_timestamp(m.last_load_at, lang) + t("briefing.beijing", lang)),
        (t("briefing.data_version", lang), m.data_version or DASH),
        (t("briefing.targets_version", lang), m.targets_version or DASH),
        (t("briefing.generated", lang), fmt_timestamp(m.generated_at, lang) + t("briefing.beijing", lang)),
    ]
    if m.incomplete and m.data_max is not None:
        info.append((t("briefing.incomplete", lang), fmt_date(m.data_max)))
    if m.demo:
        info.append((t("briefing.demo", lang), t("briefing.demo_note", lang)))
    r = 4
    for k, v in info:
        ws.cell(row=r, column=1, value=k).font = bold
        c = ws.cell(row=r, column=2, value=v)
        if k == t("briefing.demo", lang):
            c.font = demo_font
        r += 1
    r += 1
    ws.cell(row=r, column=1, value=t("briefing.sec_about", lang)).font = title_font
    rows = [[k.id, kpi_name(k, lang), kpi_unit(k, lang), t(f"briefing.{k.direction}", lang), kpi_definition(k, lang),
             k.formula] for k in CATALOGUE.values()]
    head = [t(x, lang) for x in ("briefing.col_id", "briefing.col_kpi", "briefing.col_unit", "briefing.col_direction",
                                 "briefing.col_definition", "briefing.col_formula")]
    table(ws, r + 1, head, rows, widths=[26, 22, 12, 12, 80, 60])
    for row in ws.iter_rows(min_row=r + 2, min_col=5, max_col=6):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")

    cmp_head = [t(x, lang) for x in ("briefing.col_id", "briefing.col_kpi", "briefing.col_unit", "briefing.col_value",
                                     "briefing.col_previous", "briefing.col_qoq_delta", "briefing.col_qoq",
                                     "briefing.col_year_ago", "briefing.col_yoy_delta", "briefing.col_yoy")]

    def cmp_rows(ids: list[str]):
        rows, fmts = [], [[] for _ in range(10)]
        d = b.kpis.set_index("kpi_id")
        for kid in ids:
            x = d.loc[kid]
            rows.append([kid, kpi_name(kid, lang), kpi_unit(kid, lang), x["current"], x["previous"],
                         x["delta_vs_previous"], x["change_vs_previous"], x["year_ago"], x["delta_vs_year_ago"],
                         x["change_vs_year_ago"]])
            value, delta = xlsx_format(kid), xlsx_change_format(kid, lang)
            for j, f in enumerate([None, None, None, value, value, delta, XLSX_RELATIVE, value, delta, XLSX_RELATIVE]):
                fmts[j].append(f)
        return rows, fmts

    widths = [26, 22, 10, 13, 13, 16, 12, 13, 16, 12]
    ws = sheet(t("briefing.sec_tiles", lang))
    rows, fmts = cmp_rows(b.headline)
    table(ws, 4, cmp_head, rows, fmts, widths)
    ws.freeze_panes = "C5"

    ws = sheet(t("briefing.sec_kpis", lang))
    rows, fmts = cmp_rows(list(b.kpis["kpi_id"]))
    table(ws, 4, cmp_head, rows, fmts, widths)
    ws.freeze_panes = "C5"

    # activities by pillar
    ws = sheet(t("briefing.sec_trend", lang))
    rows, fm = [], []
    for p in b.pillar_names:
        for kid in ("activities", "participants"):
            x = b.pillar_row(p, kid)
            rows.append([p, pillar_name(p, lang), kid, kpi_name(kid, lang), x["current"], x["previous"],
                         x["change_vs_previous"], x["year_ago"], x["change_vs_year_ago"]])
            fm.append(None)
    head = [t(x, lang) for x in ("briefing.col_pillar", "briefing.col_pillar", "briefing.col_id", "briefing.col_kpi",
                                 "briefing.col_value", "briefing.col_previous", "briefing.col_qoq",
                                 "briefing.col_year_ago", "briefing.col_yoy")]
    end = table(ws, 4, head, rows,
                [None, None, None, None, XLSX_COUNT, XLSX_COUNT, XLSX_RELATIVE, XLSX_COUNT, XLSX_RELATIVE],
                [12, 22, 14, 14, 12, 12, 12, 12, 12])
    rows = [[r.month, r.pillar, pillar_name(r.pillar, lang), r.activities, r.participants]
            for r in b.trend.itertuples(index=False)]
    table(ws, end + 2, [t("briefing.col_month", lang), t("briefing.col_pillar", lang), t("briefing.col_pillar", lang),
                        kpi_name("activities", lang), kpi_name("participants", lang)], rows,
          ["yyyy-mm", None, None, XLSX_COUNT, XLSX_COUNT])

    # issues per quarter
    ws = sheet(t("briefing.sec_issues", lang))
    piv = b.issues.pivot(index="quarter", columns="kpi_id", values="value").reindex(list(dict.fromkeys(b.issues["quarter"])))
    rows = [[q] + [piv.loc[q, k] for k in ISSUE_IDS] for q in piv.index]
    table(ws, 4, [t("briefing.col_quarter", lang)] + [kpi_name(k, lang) for k in ISSUE_IDS], rows,
          [None] + [xlsx_format(k) for k in ISSUE_IDS], [12] + [14] * len(ISSUE_IDS))

    # volunteers per month
    ws = sheet(t("briefing.sec_volunteers", lang))
    piv = b.volunteers.pivot(index="month", columns="kpi_id", values="value").sort_index()
    rows = [[mo] + [piv.loc[mo, k] for k in VOLUNTEER_IDS] for mo in piv.index]
    table(ws, 4, [t("briefing.col_month", lang)] + [kpi_name(k, lang) for k in VOLUNTEER_IDS], rows,
          ["yyyy-mm"] + [xlsx_format(k) for k in VOLUNTEER_IDS], [12] + [14] * len(VOLUNTEER_IDS))

    # compounds (one community)
    if m.scope.community:
        ws = sheet(t("briefing.sec_compounds", lang))
        rows = [[r["compound"], r["households"]] + [r[k] for k in COMPOUND_IDS] for _, r in b.compounds.iterrows()]
        table(ws, 4, [t("briefing.col_compound", lang), t("briefing.col_households", lang)] + [kpi_name(k, lang)
                                                                                 for k in COMPOUND_IDS],
              rows, [None, XLSX_COUNT] + [xlsx_format(k) for k in COMPOUND_IDS], [16, 10] + [14] * len(COMPOUND_IDS))

    # scorecard (whole street: a community is ranked among all)
    from kpi.catalogue import scorecard_ids

    ws = sheet(t("briefing.sec_scorecard", lang))
    sids = scorecard_ids()
    head = [t(x, lang) for x in ("briefing.col_rank", "briefing.col_community", "briefing.col_score",
                                 "briefing.col_warnings", "briefing.col_red")] + [kpi_name(k, lang) for k in sids]
    rows = [[r["rank"], r["community"], r["score"] * 100 if not missing(r["score"]) else None, r["warnings"],
             r["red_warnings"]] + [r[k] for k in sids] for _, r in b.scorecard.iterrows()]
    table(ws, 4, head, rows, ["0", None, XLSX_SCORE, "0", "0"] + [xlsx_format(k) for k in sids],
          [6, 18, 10, 8, 10] + [13] * len(sids))
    ws["A3"] = t("briefing.score_note", lang)

    # warnings
    ws = sheet(t("briefing.sec_warnings", lang))
    rows = [[t(f"briefing.{w.level}", lang), w.community, w.kpi_id, kpi_name(w.kpi_id, lang), w.value, w.baseline, w.change]
            for w in b.warnings.itertuples(index=False)]
    fm = [None, None, None, None, [xlsx_format(w.kpi_id) for w in b.warnings.itertuples()],
          [xlsx_format(w.kpi_id) for w in b.warnings.itertuples()], XLSX_RELATIVE]
    head = [t(x, lang) for x in ("briefing.col_level", "briefing.col_community", "briefing.col_id", "briefing.col_kpi",
                                 "briefing.col_value", "briefing.col_baseline", "briefing.col_change")]
    table(ws, 4, head, rows, fm, [10, 18, 24, 16, 12, 16, 10])
    if b.warnings.empty:
        ws["A3"] = t("briefing.no_warnings", lang)

    # narrative
    ws = sheet(t("briefing.sec_narrative", lang))
    rows = [[s.section, s.text] for s in b.narrative(lang)]
    table(ws, 4, [t("briefing.col_section", lang), t("briefing.col_sentence", lang)], rows, widths=[18, 120])
    for row in ws.iter_rows(min_row=5, min_col=2, max_col=2):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")

    neutralise_workbook(wb)  # every text cell: a name such as =HYPERLINK(…) stays text
    wb.properties.title = m.title(lang)
    wb.properties.subject = m.stamp(lang)
    wb.properties.keywords = f"{m.scope.label(lang)}; {m.quarter.code}; {t('briefing.demo', lang) if m.demo else ''}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- all at once

def export_bytes(b: Briefing, formats: Iterable[str] = FORMATS, lang: str = "zh") -> dict[str, bytes]:
    """The files' bytes by format; the images of all formats render in one batch."""
    formats = parse_formats(list(formats))
    images = render_images(b, formats, lang) if set(NEEDS_BROWSER) & set(formats) else {}
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "png":
            out[fmt] = png_bytes(b, lang, images["png"][0])
        elif fmt == "longpng":
            out[fmt] = longpng_bytes(b, lang, images["longpng"][0])
        elif fmt == "pdf":
            out[fmt] = pdf_bytes(b, lang, images["pdf"])
        elif fmt == "pptx":
            out[fmt] = pptx_bytes(b, lang)
        elif fmt == "xlsx":
            out[fmt] = xlsx_bytes(b, lang)
    return out


def export_all(b: Briefing, out_dir: Path | str, formats: Iterable[str] = FORMATS, lang: str = "zh"
               ) -> dict[str, Path]:
    """Write the files into `out_dir` (created); returns {format: path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt, data in export_bytes(b, formats, lang).items():
        p = out_dir / file_name(b, fmt, lang)
        tmp = p.with_name(p.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(p)
        paths[fmt] = p
    return paths
