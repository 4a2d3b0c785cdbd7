"""The typeset PDF read back with poppler's `pdftotext`, and the PPTX's native charts read back with python-pptx.

The PDF's charts are rendered by kaleido (Chromium) and its text is set in a
TrueType CJK font (fonts-wqy-microhei); the PDF tests skip with the reason when
Chromium, poppler-utils or the font is missing (.ci/run installs all three).
The PPTX needs none of them. Expected values are worked out here from the KPI
layer and the Briefing's frames, not by the exporters' code.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess

import pytest

import kpi
from briefing import build, exports, render
from kpi import Filters
from kpi.calendar import Quarter
from present.format import fmt_kpi, fmt_quarter
from present.labels import kpi_name, pillar_name
from tests.conftest import TARGETS

CASES = {"nanwan": ("2024Q1", "南湾社区"), "street": ("2026Q3", None)}


def _pdf_skip_reason() -> str | None:
    if not shutil.which("pdftotext") or not shutil.which("pdfinfo"):
        return "pdftotext/pdfinfo not found: install Debian's poppler-utils to read the PDF back"
    if not render.available():
        return "Chromium not found (/usr/bin/chromium): install Debian's chromium to render the PDF's charts"
    from briefing import pdf

    try:
        pdf.cjk_font()
    except pdf.FontUnavailable as e:
        return f"no TrueType CJK font for the PDF: install fonts-wqy-microhei ({e})"
    return None


needs_pdf_tools = pytest.mark.skipif(_pdf_skip_reason() is not None, reason=str(_pdf_skip_reason()))


def _flat(s: str) -> str:
    """Text without any whitespace (line wrapping and spacing differ between typesetter and pdftotext)."""
    return re.sub(r"\s+", "", s)


def _pdftotext(path, first: int | None = None, last: int | None = None) -> str:
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    return subprocess.run([*cmd, str(path), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def _pdfinfo(path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}


@pytest.fixture(scope="module")
def briefings(con, demo_db):
    return {k: build(con, q, c, targets=TARGETS) for k, (q, c) in CASES.items()}


@pytest.fixture(scope="module")
def pdfs(briefings, tmp_path_factory):
    """(case, lang) → path of the PDF."""
    reason = _pdf_skip_reason()
    if reason:
        pytest.skip(reason)
    d = tmp_path_factory.mktemp("pdf")
    out = {}
    for case, b in briefings.items():
        for lang in ("zh", "en"):
            p = d / exports.file_name(b, "pdf", lang)
            p.write_bytes(exports.export_bytes(b, ["pdf"], lang)["pdf"])
            out[case, lang] = p
    return out


def _compare(con, case: str):
    q, community = CASES[case]
    qq = Quarter.parse(q)
    return kpi.compare(con, Filters(qq.start, qq.end, communities=(community,) if community else ()), targets=TARGETS).set_index(
        "kpi_id")


@needs_pdf_tools
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES)
def test_page_one_carries_every_headline_kpi_scope_quarter_and_demo_as_text(con, pdfs, briefings, case, lang):
    path, b = pdfs[case, lang], briefings[case]
    page1 = _flat(_pdftotext(path, 1, 1))
    cmp = _compare(con, case)
    for kid in kpi.headline_ids()[:8]:
        assert _flat(kpi_name(kid, lang)) in page1, kid
        assert _flat(fmt_kpi(kid, cmp.loc[kid, "current"], lang)) in page1, (kid, cmp.loc[kid, "current"])
    q, community = CASES[case]
    m = b.meta
    for part in (m.scope.label(lang), fmt_quarter(q, lang), "演示数据" if lang == "zh" else "DEMO DATA",
                 "环比" if lang == "zh" else "QoQ", "同比" if lang == "zh" else "YoY"):
        assert _flat(part) in page1, part
    if community:
        assert community in page1


@needs_pdf_tools
@pytest.mark.parametrize("case", CASES)
def test_pdf_is_searchable_small_a4_landscape_and_says_everything_once(pdfs, briefings, case):
    path, b = pdfs[case, "zh"], briefings[case]
    assert path.read_bytes()[:5] == b"%PDF-"
    assert path.stat().st_size < 1.5 * 1024 * 1024, path.stat().st_size
    info = _pdfinfo(path)
    assert info["Page size"].startswith("841.89 x 595.28")  # A4 landscape
    pages = _pdftotext(path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == int(info["Pages"]) >= 4
    stamp = _flat(b.meta.stamp("zh"))
    for n, text in enumerate(pages, start=1):  # every footer: stamp and page n / N
        flat = _flat(text)
        assert stamp in flat, n
        assert f"第{n}页/共{len(pages)}页" in flat, n
    whole = _flat("".join(pages))
    for k in kpi.CATALOGUE:  # the full KPI table
        assert _flat(kpi_name(k, "zh")) in whole, k
    sentences = [_flat(s.text) for s in b.narrative("zh")]
    assert sentences
    for s in sentences:  # the 本季度综述 (and each warning sentence) once, not twice
        assert whole.count(s) == 1, s
    assert whole.count("本季度综述") == 1
    if b.meta.scope.community:
        for name in b.compounds["compound"]:
            assert name in whole
    for name in b.scorecard["community"]:
        assert name in whole
    m = b.meta
    assert info["Title"] == m.title("zh")
    for part in (m.scope.label("zh"), fmt_quarter(m.quarter, "zh"), "数据截至", "演示数据"):
        assert part in info["Subject"], part
    assert m.quarter.code in info["Keywords"] and "演示数据" in info["Keywords"]


@needs_pdf_tools
def test_ledger_names_are_text_not_markup(briefings, tmp_path):
    """A community or compound named like markup is printed as it is, never interpreted."""
    from briefing.model import Scope

    b = briefings["nanwan"]
    evil_community, evil_compound = "<font size=60>南&湾</font>社区", "<b>锦城&amp;雅居</b>"
    old = b.meta.scope.community
    old_compound = b.compounds["compound"].iloc[0]
    scorecard = b.scorecard.assign(community=b.scorecard["community"].replace(old, evil_community))
    compounds = b.compounds.assign(compound=b.compounds["compound"].replace(old_compound, evil_compound))
    warnings = b.warnings.assign(community=b.warnings["community"].replace(old, evil_community))
    meta = dataclasses.replace(b.meta, scope=Scope(b.meta.scope.street, evil_community))
    evil = dataclasses.replace(b, meta=meta, scorecard=scorecard, compounds=compounds, warnings=warnings,
                               _narrative={})
    p = tmp_path / "evil.pdf"
    p.write_bytes(exports.pdf_bytes(evil, "zh"))
    whole = _flat(_pdftotext(p))
    assert _flat(evil_community) in whole
    assert _flat(evil_compound) in whole
    assert _flat(meta.stamp("zh")) in _flat(_pdftotext(p, 1, 1))


def test_missing_cjk_font_fails_clearly(monkeypatch, briefings):
    from briefing import pdf

    monkeypatch.setattr(pdf, "_font_path", None)
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ())
    monkeypatch.setattr(pdf, "_search", lambda: [])
    monkeypatch.setenv("GOV_PDF_FONT", "/no/such/font.ttf")
    with pytest.raises(pdf.FontUnavailable) as e:
        pdf.cjk_font()
    assert "中文字体" in str(e.value) and "CJK font" in str(e.value) and "fonts-wqy-microhei" in str(e.value)


# ---------------------------------------------------------------- PPTX: native charts, no browser

@pytest.fixture(scope="module")
def decks(briefings):
    import io

    from pptx import Presentation

    return {k: Presentation(io.BytesIO(exports.pptx_bytes(b, "zh"))) for k, b in briefings.items()}


def _charts(slide) -> list:
    return [sh.chart for sh in slide.shapes if sh.has_chart]


def _series(chart) -> dict[str, list]:
    return {s.name: list(s.values) for p in chart.plots for s in p.series}


def _close(got: list, want: list) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if w is None or (isinstance(w, float) and math.isnan(w)):
            if g is not None:
                return False
        elif g is None or not math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9):
            return False
    return True


@pytest.mark.parametrize("case", CASES)
def test_pptx_charts_are_native_with_the_briefings_numbers(con, decks, briefings, case):
    b, prs = briefings[case], decks[case]
    slides = list(prs.slides)
    for s in slides[2:6]:
        assert _charts(s), "chart slide without a native chart"
        assert not any(sh.shape_type == 13 for sh in s.shapes)  # no pictures left

    # trend: activities by pillar per month, stacked
    (trend,) = _charts(slides[2])
    months = sorted(set(b.trend["month"]))
    assert len(list(trend.plots[0].categories)) == len(months)
    got = _series(trend)
    for pillar in set(b.trend["pillar"]):
        by_month = {m: 0.0 for m in months}
        for r in b.trend[b.trend["pillar"] == pillar].itertuples():
            by_month[r.month] += float(r.activities)
        assert _close(got[pillar_name(pillar, "zh")], [by_month[m] for m in months]), pillar
    assert sum(sum(v) for v in got.values()) == float(b.trend["activities"].sum())

    # issues: opened / closed per quarter, closure rate per quarter
    got = {k: v for c in _charts(slides[3]) for k, v in _series(c).items()}
    quarters = list(dict.fromkeys(b.issues["quarter"]))
    for kid, name in (("cases_opened", "受理数"), ("cases_closed", "办结数"), ("closure_rate", "办结率(%)")):
        want = [float(b.issues[(b.issues["quarter"] == q) & (b.issues["kpi_id"] == kid)]["value"].iloc[0])
                for q in quarters]
        assert _close(got[name], want), kid
    cmp = _compare(con, case)
    assert got["受理数"][-1] == cmp.loc["cases_opened", "current"]
    assert math.isclose(got["办结率(%)"][-1], cmp.loc["closure_rate", "current"])

    # volunteers: points awarded / redeemed and active volunteers per month
    got = {k: v for c in _charts(slides[4]) for k, v in _series(c).items()}
    vmonths = sorted(set(b.volunteers["month"]))
    for kid, name in (("points_awarded", "积分发放"), ("points_redeemed", "积分兑换"),
                      ("active_volunteers", "活跃志愿者(人)")):
        d = b.volunteers[b.volunteers["kpi_id"] == kid].set_index("month")["value"]
        assert _close(got[name], [float(d.get(m, 0.0)) for m in vmonths]), kid

    # scope: scores by community (whole street) or participations per 100 households by compound
    (bars,) = _charts(slides[5])
    cats = [str(c) for c in bars.plots[0].categories]
    values = list(bars.plots[0].series[0].values)
    if b.meta.scope.community:
        want = {r.compound: float(r.participants_per_100_households) for r in b.compounds.itertuples()}
    else:
        want = {r.community: float(r.score) * 100 for r in b.scorecard.itertuples()}
    assert set(cats) == set(want)
    for c, v in zip(cats, values, strict=True):
        assert math.isclose(v, want[c]), c
    assert values == sorted(values)  # largest bar on top


def test_pptx_chart_text_has_an_east_asian_typeface(decks):
    for prs in decks.values():
        for s in list(prs.slides)[2:6]:
            for c in _charts(s):
                xml = c._chartSpace.xml
                assert 'ea typeface="Microsoft YaHei"' in xml
