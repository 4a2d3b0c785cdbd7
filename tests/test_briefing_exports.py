"""The four briefing files, read back: pixels, slides and cells — against the KPI layer.

The PNG (and the PDF's charts) are rendered by kaleido through the system
Chromium; those tests are skipped with a message when it is missing. The
typeset PDF is read back in tests/test_briefing_pdf.py. The workbook and the
PPTX (native charts) need no browser. Export speed: bench/briefing_bench.py (each export and all four, as ratios to a trivial render).
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

import kpi
from briefing import build, exports, figures, render
from kpi import Filters
from kpi.scorecard import evaluate
from present.format import fmt_kpi, fmt_quarter
from present.labels import kpi_name
from tests.conftest import TARGETS

CASES = {"nanwan": ("2024Q1", "南湾社区"), "street": ("2026Q3", None)}
needs_chromium = pytest.mark.skipif(
    not render.available(),
    reason="Chromium not found (/usr/bin/chromium): install Debian's chromium to test PNG/PDF/PPTX rendering",
)



@pytest.fixture(scope="module")
def briefings(con, demo_db):
    return {k: build(con, q, c, targets=kpi.load_targets()) for k, (q, c) in CASES.items()}


@pytest.fixture(scope="module")
def files(briefings, tmp_path_factory):
    """All four files for both cases (zh), written once."""
    if not render.available():
        pytest.skip("Chromium not found (/usr/bin/chromium): install Debian's chromium to test the exports")
    out = {}
    for k, b in briefings.items():
        d = tmp_path_factory.mktemp(f"briefing_{k}")
        out[k] = exports.export_all(b, d, exports.DEFAULT_FORMATS, "zh")
    return out


def _pixels(data: bytes | Image.Image) -> np.ndarray:
    im = data if isinstance(data, Image.Image) else Image.open(io.BytesIO(data))
    return np.asarray(im.convert("RGB")).astype(int)


def _white_share(a: np.ndarray) -> float:
    return float((a.min(axis=2) > 235).mean())


def _assert_title_text_rendered(a: np.ndarray, scale: float = 1.0) -> None:
    """The title band (red) carries white glyphs: the region is neither plain band nor plain white."""
    y0, y1, x0, x1 = (int(v * scale) for v in (14, 62, 40, 900))
    band = a[y0:y1, x0:x1]
    red = ((band[..., 0] > 150) & (band[..., 1] < 80) & (band[..., 2] < 80)).mean()
    white = _white_share(band)
    assert red > 0.5, f"title band not found (red share {red:.2f})"
    assert 0.05 < white < 0.45, f"no title text in the band (white share {white:.2f})"


# ---------------------------------------------------------------- PNG

@needs_chromium
@pytest.mark.parametrize("case", CASES)
def test_png_is_a_full_hd_briefing_with_its_scope(files, briefings, case):
    path = files[case]["png"]
    im = Image.open(path)
    assert im.size == (1920, 1080) and im.format == "PNG"
    a = _pixels(im)
    assert len(np.unique(a.reshape(-1, 3)[::97], axis=0)) > 50, "image is (nearly) uniform"
    assert _white_share(a) > 0.3  # cards and charts
    _assert_title_text_rendered(a)
    m = briefings[case].meta
    im.load()
    assert im.text["Scope"] == m.scope.label("zh")
    assert im.text["Quarter"] == m.quarter.code
    assert "数据截至" in im.text["Freshness"] and im.text["Dataset"] == "演示数据"
    assert "演示数据" in im.text["Subject"]


@needs_chromium
def test_cjk_glyphs_render_not_as_boxes():
    """Different characters must give different pixels: missing fonts draw every character as the same box."""
    import plotly.graph_objects as go

    def text_png(s: str) -> np.ndarray:
        fig = go.Figure()
        fig.add_annotation(text=s, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                           font=dict(size=48, family=figures.FONT, color="black"))
        fig.update_layout(width=600, height=120, margin=dict(l=0, r=0, t=0, b=0), xaxis_visible=False,
                          yaxis_visible=False, plot_bgcolor="white")
        return _pixels(render.render(fig, "png", 600, 120)[0])

    a, b = text_png("党建社区治理"), text_png("南湾办结满意")
    ink_a, ink_b = (a.min(axis=2) < 128).mean(), (b.min(axis=2) < 128).mean()
    assert ink_a > 0.02 and ink_b > 0.02, "no glyphs drawn"
    assert (np.abs(a - b).sum(axis=2) > 100).mean() > 0.02, "different characters render alike (tofu boxes?)"


# ---------------------------------------------------------------- PPTX

@pytest.mark.parametrize("case", CASES)
def test_pptx_reads_back_with_editable_numbers(briefings, case):
    """No browser needed: the charts are native PowerPoint charts (their numbers: tests/test_briefing_pdf.py)."""
    from pptx import Presentation

    b = briefings[case]
    prs = Presentation(io.BytesIO(exports.pptx_bytes(b, "zh")))
    slides = list(prs.slides)
    assert len(slides) == 8
    assert slides[0].shapes.title.text == b.meta.title("zh")
    subtitle = slides[0].placeholders[1].text_frame.text
    for part in (b.meta.scope.label("zh"), fmt_quarter(b.meta.quarter, "zh"), "数据截至", "演示数据"):
        assert part in subtitle
    assert prs.core_properties.title == b.meta.title("zh") and "演示数据" in prs.core_properties.subject

    def frames(slide) -> str:
        return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)

    # the headline tiles are text, with the KPI layer's values
    tiles = frames(slides[1])
    for kid in b.headline:
        assert fmt_kpi(kid, b.value(kid), "zh") in tiles, kid
        assert kpi_name(kid) in tiles
    # every slide says what it covers; chart slides carry native charts, not pictures
    for s in slides[1:]:
        assert b.meta.stamp("zh") in frames(s)
        assert s.has_notes_slide and s.notes_slide.notes_text_frame.text.strip()
    for s in slides[2:6]:
        assert any(sh.has_chart for sh in s.shapes)
        assert not any(sh.shape_type == 13 for sh in s.shapes)  # MSO_SHAPE_TYPE.PICTURE
    assert b.narrative("zh")[0].text in slides[7].notes_slide.notes_text_frame.text
    assert b.narrative("zh")[0].text in frames(slides[7])


# ---------------------------------------------------------------- XLSX (no browser needed)

@pytest.fixture(scope="module")
def workbooks(briefings):
    from openpyxl import load_workbook

    return {k: load_workbook(io.BytesIO(exports.xlsx_bytes(b, "zh"))) for k, b in briefings.items()}


def _table(ws, header_row: int = 4) -> list[dict]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    head = rows[0]
    return [dict(zip(head, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def _same(cell, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return cell is None
    return cell is not None and math.isclose(float(cell), float(want), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_xlsx_first_sheet_states_scope_freshness_demo_and_definitions(workbooks, briefings, case):
    wb, b = workbooks[case], briefings[case]
    assert wb.sheetnames[0] == "说明与指标口径"
    ws = wb.worksheets[0]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    for part in (b.meta.scope.label("zh"), b.meta.quarter.code, fmt_quarter(b.meta.quarter, "zh"), "数据截至", "2026-09-30",
                 "演示数据", "目标值版本"):
        assert part in text, part
    for k in kpi.CATALOGUE.values():
        assert k.id in text and k.definition_zh in text
    for sheet in wb.worksheets:  # every sheet repeats the stamp
        assert sheet["A2"].value == b.meta.stamp("zh")


@pytest.mark.parametrize("case", CASES)
def test_xlsx_values_equal_the_kpi_layer(con, workbooks, case):
    q, community = CASES[case]
    from kpi.calendar import Quarter

    qq = Quarter.parse(q)
    f = Filters(qq.start, qq.end, communities=(community,) if community else ())
    cmp = kpi.compare(con, f, targets=TARGETS).set_index("kpi_id")
    wb = workbooks[case]
    rows = _table(wb["指标明细"])
    assert [r["指标编号"] for r in rows] == list(kpi.CATALOGUE)
    cols = {"本季度": "current", "上季度": "previous", "较上季度增减": "delta_vs_previous",
            "环比变化": "change_vs_previous", "去年同期": "year_ago", "较去年同期增减": "delta_vs_year_ago",
            "同比变化": "change_vs_year_ago"}
    for r in rows:
        for col, field in cols.items():
            assert _same(r[col], cmp.loc[r["指标编号"], field]), (r["指标编号"], col, r[col])
    tiles = _table(wb["核心指标"])
    assert [r["指标编号"] for r in tiles] == kpi.headline_ids()[: len(tiles)]
    for r in tiles:
        assert _same(r["本季度"], cmp.loc[r["指标编号"], "current"])

    issues = _table(wb["诉求办理"])
    assert issues[-1]["季度"] == q
    assert _same(issues[-1]["受理数"], cmp.loc["cases_opened", "current"])
    assert _same(issues[-1]["办结率"], cmp.loc["closure_rate", "current"])

    ev = evaluate(con, Filters(qq.start, qq.end), targets=TARGETS)
    sc = _table(wb["社区综合评分"])
    assert [r["社区"] for r in sc] == list(ev.table["community"])
    for r, (_, want) in zip(sc, ev.table.iterrows(), strict=True):
        assert _same(r["综合得分"], want["score"] * 100)
        assert r["预警数"] == want["warnings"]
        assert _same(r["办结率"], want["closure_rate"])
    warn = _table(wb["预警提示"])
    want = ev.warnings if community is None else ev.warnings[ev.warnings["community"] == community]
    assert len(warn) == len(want)
    for r, w in zip(warn, want.itertuples(), strict=True):
        assert (r["社区"], r["指标编号"]) == (w.community, w.kpi_id)
        assert _same(r["本季度"], w.value) and _same(r["前四季度均值"], w.baseline) and _same(r["变化"], w.change)
    narrative = [r["内容"] for r in _table(wb["本季度综述"])]
    assert narrative and narrative[0].startswith(fmt_quarter(qq, "zh"))
    if community:
        comp = _table(wb["各小区情况"])
        assert comp and all(r["小区"] for r in comp)
        for r in comp:
            v = kpi.value(con, Filters(qq.start, qq.end, (community,), (r["小区"],)), "activities", targets=TARGETS)
            assert _same(r["活动场次"], v)


# ---------------------------------------------------------------- English

@needs_chromium
def test_english_follows_the_language(briefings, tmp_path):
    b = briefings["street"]
    data = exports.export_bytes(b, ["png", "xlsx"], "en")
    im = Image.open(io.BytesIO(data["png"]))
    assert im.size == (1920, 1080) and "DEMO DATA" in im.text["Subject"]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data["xlsx"]))
    assert wb.sheetnames[0] == "About & definitions"
    assert wb.worksheets[0]["A1"].value == b.meta.title("en")
    assert exports.file_name(b, "pdf", "en") == "Quarterly_briefing_沌阳街道_2026Q3_demo.pdf"


def test_file_names_and_formats():
    assert exports.parse_formats("png, PDF") == ["png", "pdf"]
    assert exports.parse_formats(None) == list(exports.FORMATS)
    for bad in ("doc", "", "png,gif"):
        with pytest.raises(ValueError):
            exports.parse_formats(bad)
