"""A hostile ledger and crafted links, on every page (AppTest) and in every file the product writes.

The warehouse (`tests/hostile.py`) is loaded from CSV ledgers whose community, compound, category, partner,
activity-type, team and item names are markdown images and links, a newline followed by `# X`, HTML anchors and
styled spans, a Streamlit directive, a 10,000-character name and `=HYPERLINK(…)`. Nothing of it may act: no
markdown element may hold an unescaped link, image, heading or tag; no chart text may hold a tag; every
workbook cell stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest

import kpi
from briefing import build, exports, figures
from etl.warehouse import open_read_only
from present.spreadsheet import to_csv, to_excel
from tests import hostile
from tests.conftest import TARGETS
from tests.ui_helpers import TODAY, assert_clean, header_scope, markdown_sources, run_app, shown

PORT = 9  # nothing listens there: AppTest never fetches; the browser test serves its own port
PAGES = ("pages/overview.py", "pages/engagement.py", "pages/issues.py", "pages/disputes_safety.py",
         "pages/services.py", "pages/volunteers.py", "pages/briefing.py", "pages/kpi_catalogue.py",
         "pages/explore.py")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    return hostile.build(tmp_path_factory.mktemp("hostile"), PORT)


@pytest.fixture()
def hostile_env(hostile_build, monkeypatch):
    db, names = hostile_build
    monkeypatch.setenv("GOV_DB", str(db))
    monkeypatch.setenv("GOV_TODAY", TODAY)
    return names


# ---------------------------------------------------------------------- what "inert" means, literally

UNESCAPED_LINK = re.compile(r"(?<!\\)\]\(")
UNESCAPED_IMAGE = re.compile(r"(?<!\\)!\[")
UNESCAPED_TAG = re.compile(r"(?<!\\)<\s*(a|span|img)\b", re.I)
HEADING_X = re.compile(r"^\s{0,3}#{1,6}\s+X\b", re.M)
DATA_DIRECTIVES = re.compile(r"(?<!\\):red\[(x|类型|小区|隐患)\]")
# the data's tags as plotly would read them (the briefing's own <b> and <span style=…> are the code's)
DATA_MARKUP = re.compile(r"<a\b|<img\b|<span style=font-size:60px")


def inert_markdown(source: str) -> None:
    assert not UNESCAPED_LINK.search(source), source[:300]
    assert not UNESCAPED_IMAGE.search(source), source[:300]
    assert not UNESCAPED_TAG.search(source), source[:300]
    assert not HEADING_X.search(source), source[:300]
    assert not DATA_DIRECTIVES.search(source), source[:300]
    for line in source.splitlines():
        if line.lstrip().startswith("#"):  # only the header's own "#### " may start a heading
            assert line.startswith("#### ") and not re.search(r"(?<!\\)#", line[5:]), line[:300]


def _strings(obj, skip=("customdata",)):
    """Every string in a plotly figure's JSON, except raw click values (`customdata`, never drawn)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in skip:
                yield from _strings(v, skip)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, skip)


def inert_figure(spec: dict) -> None:
    for s in _strings(spec):
        assert not DATA_MARKUP.search(s), s[:200]
        assert "%{customdata" not in s or s.startswith(("%{", "<b>")) or "<extra>" in s, s[:200]
        assert "很长的名字很长的名字很长的名字很长的名字很长的名字很长的名字很长的名字很长的名字很长的名字" not in s, \
            "a 10,000-character name reached a chart uncut"


def button_labels(at) -> list[str]:
    return [str(b.label) for b in at.button]


def assert_inert(at) -> None:
    assert_clean(at)
    for source in markdown_sources(at) + button_labels(at):
        inert_markdown(source)
    for chart in at.get("plotly_chart"):
        inert_figure(json.loads(chart.proto.spec))


# ---------------------------------------------------------------------- the ledger as loaded


def test_zero_width_characters_are_gone_after_the_load(hostile_build):
    db, _ = hostile_build
    con = open_read_only(db)
    try:
        communities = [r[0] for r in con.execute("SELECT name FROM communities").fetchall()]
        compounds = [r[0] for r in con.execute("SELECT name FROM compounds").fetchall()]
    finally:
        con.close()
    assert "南湾社区" in communities and "南\u200b湾社区" not in communities
    assert "东风凤凰城" in compounds
    assert "[点此查看](http://evil)" in communities and "南湾\n# X" in communities  # data kept as written


# ---------------------------------------------------------------------- every page, AppTest


@pytest.mark.parametrize("page", PAGES)
def test_every_page_keeps_hostile_names_inert(hostile_env, page):
    names = hostile_env
    # the whole street (the warnings list names communities), then three hostile communities by URL
    for query in (None, {"community": [names.image, hostile.LINK, hostile.NEWLINE_HEADING]},
                  {"community": [hostile.ANCHOR, hostile.BIG, hostile.DIRECTIVE]},
                  {"community": [hostile.LONG]}):
        if page == "pages/briefing.py" and query and len(query["community"]) > 1:
            query = {"community": query["community"][:1], "period": "2026Q3"}
        at = run_app(query, page=page)
        assert_inert(at)


@pytest.mark.parametrize("query", [
    {"table": "activities", "group": "community,partner"}, {"table": "cases", "group": "month,compound"},
    {"table": "volunteer_hours", "group": "team", "measure": "sum:hours"},
    {"table": "activities", "group": "partner", "q": hostile.DIRECTIVE, "f.partner": [hostile.ANCHOR, hostile.LINK],
     "f.bogus": hostile.BIG},
])
def test_the_explorer_keeps_hostile_names_inert(hostile_env, query):
    """Grouped answers put ledger names in a chart, a table and a CSV; a link's values come back in notes."""
    at = run_app(query, page="pages/explore.py")
    assert_inert(at)


def test_header_and_warnings_show_the_names_as_text(hostile_env):
    names = hostile_env
    at = run_app({"community": [names.image, hostile.LINK, hostile.NEWLINE_HEADING]})
    assert_inert(at)
    scope = header_scope(at)
    assert f"{names.image}、{hostile.LINK}、南湾 # X" in scope  # the characters, on one line
    at = run_app()
    warnings = [m for m in markdown_sources(at) if "\\!\\[i\\]" in m]
    assert warnings, "the warnings list should name the image community (escaped)"
    assert names.image in shown(warnings[0])


def test_a_link_in_the_url_is_a_literal_note(hostile_env):
    at = run_app({"community": "[请点此重新登录](http://evil)"})
    assert_inert(at)
    notes = [w.value for w in at.warning if "链接中" in w.value]
    assert notes
    assert "\\[请点此重新登录\\]\\(http\\:\\/\\/evil\\)" in notes[0]
    assert "社区“[请点此重新登录](http://evil)”不存在，已忽略" in shown(notes[0])


def test_names_with_commas_come_back_from_a_copied_link(hostile_env):
    at = run_app({"community": [hostile.COMMA, hostile.FULLWIDTH_COMMA]})
    assert_inert(at)
    assert not [w for w in at.warning if "链接中" in w.value]
    assert header_scope(at).startswith(f"沌阳街道 · {hostile.COMMA}、{hostile.FULLWIDTH_COMMA} · ")
    assert at.query_params["community"] == [hostile.COMMA, hostile.FULLWIDTH_COMMA]
    # a legacy list still reads: one value naming two communities
    at = run_app({"community": "南湾社区,甲,乙社区"})
    assert header_scope(at).startswith("沌阳街道 · 南湾社区 · ")  # 甲 and 乙社区 are not names: noted
    notes = shown(" ".join(w.value for w in at.warning))
    assert "社区“甲”不存在" in notes and "社区“乙社区”不存在" in notes


def test_drill_down_chips_show_hostile_values_as_text(hostile_env):
    names = hostile_env
    at = run_app(page="pages/engagement.py")
    view = at.session_state["_ui_view"]
    at.session_state["_dd_local_engagement"] = {
        "filters": view.filters,
        "values": {"partner": hostile.ANCHOR, "activity_type": names.img("t"), "compound": "小区\n# X"},
    }
    at.run()
    assert_inert(at)
    chips = [str(b.label) for b in at.button if str(b.key).startswith("dd_chip_engagement_")
             and not str(b.key).endswith("_all")]
    assert [shown(c) for c in chips] == [f"共建单位：{hostile.ANCHOR}", f"活动类型：{names.img('t')}",
                                         "小区：小区 # X"]
    assert chips[1] == "活动类型：\\!\\[t\\]\\(http\\:\\/\\/127\\.0\\.0\\.1\\:9\\/t\\.png\\)"


# ---------------------------------------------------------------------- charts outside pages: the briefing canvas


@pytest.fixture(scope="module")
def hostile_briefings(hostile_build):
    db, names = hostile_build
    con = open_read_only(db)
    try:
        out = {c: build(con, "2026Q3", c, targets=TARGETS) for c in (None, hostile.LINK, hostile.FORMULA,
                                                                      hostile.LONG)}
    finally:
        con.close()
    return out


def test_briefing_canvas_and_pdf_pages_hold_no_markup_from_the_data(hostile_briefings):
    for b in hostile_briefings.values():
        for lang in ("zh", "en"):
            for fig in [figures.canvas(b, lang), *figures.pdf_pages(b, lang)]:
                for s in _strings(fig.to_plotly_json()):
                    assert not DATA_MARKUP.search(s), s[:200]


# ---------------------------------------------------------------------- every workbook and CSV the product writes


def _sheets(xlsx: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")}


def _cell_texts(xlsx: bytes) -> set[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx))
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_briefing_workbooks_hold_no_formula(hostile_briefings):
    for community, b in hostile_briefings.items():
        for lang in ("zh", "en"):
            xlsx = exports.xlsx_bytes(b, lang)
            for name, xml in _sheets(xlsx).items():
                assert "<f>" not in xml and "<f " not in xml, (community, lang, name)
            cells = _cell_texts(xlsx)
            assert "'" + hostile.FORMULA in cells, (community, lang)  # the visible text, as text
            assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), (community, lang)


def test_detail_downloads_hold_no_formula(hostile_build):
    db, names = hostile_build
    import pandas as pd

    con = open_read_only(db)
    try:
        f = kpi.Filters(dt.date(2025, 1, 1), dt.date(2026, 9, 30))
        from kpi import engagement

        frame = engagement.activity_list(con, f)
    finally:
        con.close()
    assert (frame["partner"] == '=HYPERLINK("http://x","p")').any()
    for df in (frame, pd.DataFrame({"社区": [hostile.FORMULA, "+1", "-2", "@x", "ok"]})):
        xlsx = to_excel(df, "明细")
        for xml in _sheets(xlsx).values():
            assert "<f>" not in xml and "<f " not in xml
        csv_text = to_csv(df).decode("utf-8-sig")
        assert "\n=" not in csv_text and "\n+" not in csv_text and ",=" not in csv_text
    small = to_excel(pd.DataFrame({"社区": [hostile.FORMULA]}), "明细")
    assert "'" + hostile.FORMULA in _cell_texts(small)
