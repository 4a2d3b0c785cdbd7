"""The app shell: formatting, periods, URL state, labels, chart template, and app.py under AppTest."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime

import pandas as pd
import pytest

from present import charts
from present.format import fmt_change, fmt_kpi, fmt_number, fmt_percent, fmt_period, fmt_timestamp
from present.labels import LABELS, t
from tests.conftest import TARGETS
from tests.ui_helpers import ROOT, all_text, app_env, assert_clean, header_scope, run_app, shown  # noqa: F401
from ui.state import Choices, Note, ViewState, parse_query, query_string, to_query

TODAY = date(2026, 11, 28)
CHOICES = Choices(
    communities=("南湾社区", "凤亭社区（演示）"),
    compounds_of={"南湾社区": ("东风凤凰城", "南湾新苑"), "凤亭社区（演示）": ("凤亭佳苑",)},
    pillars=("联动联建", "居民自治", "志愿服务", "社会治理"),
    today=TODAY,
    first_date=date(2021, 7, 1),
    streets={"南湾社区": "沌阳街道", "凤亭社区（演示）": "沌阳街道"},
)


# ---------------------------------------------------------------------- present.format


def test_counts_use_wan_from_ten_thousand():
    assert fmt_number(1172) == "1,172"
    assert fmt_number(9999) == "9,999"
    assert fmt_number(28708) == "2.87万"
    assert fmt_number(10000) == "1万"
    assert fmt_number(123456) == "12.35万"
    assert fmt_number(250_000_000) == "2.5亿"
    assert fmt_number(28708, lang="en") == "28,708"
    assert fmt_number(None) == "—"
    assert fmt_number(float("nan")) == "—"
    assert fmt_number(0.0, 1) == "0.0"
    assert fmt_number(-0.01, 1) == "0.0"


def test_percentages_have_one_decimal():
    assert fmt_percent(84.7389) == "84.7%"
    assert fmt_percent(100) == "100.0%"
    assert fmt_kpi("closure_rate", 84.73) == "84.7%"
    assert fmt_kpi("participants", 28708) == "2.87万"
    assert fmt_kpi("participants", 28708, unit=True) == "2.87万人次"
    assert fmt_kpi("participants", 28708, "en", unit=True) == "28,708 participations"
    assert fmt_kpi("resolution_days_median", 12.25) == "12.2"  # decimals from the catalogue
    assert fmt_kpi("closure_rate", None) == "—"


def test_changes_are_points_for_percentages_and_relative_otherwise():
    assert fmt_change("closure_rate", 3.37, 0.04) == "+3.4个百分点"
    assert fmt_change("closure_rate", -3.37, -0.04, "en") == "-3.4 pp"
    assert fmt_change("activities", -190, -0.1395) == "-14.0%"
    assert fmt_change("activities", 5, float("nan")) == "+5"  # base 0: absolute change
    assert fmt_change("activities", float("nan"), float("nan")) is None


def test_periods_in_words():
    assert fmt_period(date(2024, 1, 1), date(2024, 3, 31)) == "2024年第一季度"
    assert fmt_period(date(2024, 1, 1), date(2024, 3, 31), "en") == "Q1 2024"
    assert fmt_period(date(2024, 3, 1), date(2024, 3, 31)) == "2024年3月"
    assert fmt_period(date(2024, 1, 1), date(2024, 12, 31)) == "2024年"
    assert fmt_period(date(2025, 11, 1), date(2026, 10, 31)) == "2025年11月至2026年10月"
    assert fmt_period(date(2026, 10, 1), date(2026, 11, 28)) == "2026年10月1日至11月28日"
    assert fmt_period(date(2025, 12, 5), date(2026, 1, 3), "en") == "5 Dec 2025 – 3 Jan 2026"


def test_load_time_is_shown_in_beijing_time():
    assert fmt_timestamp(datetime(2026, 11, 28, 2, 38, 43)) == "2026-11-28 10:38"
    assert fmt_timestamp(None) == "—"


# ---------------------------------------------------------------------- ui.state (URL ↔ view)


def test_empty_url_is_the_default_view():
    view, notes = parse_query({}, CHOICES)
    assert view == ViewState(date(2026, 7, 1), date(2026, 9, 30))
    assert notes == []
    assert to_query(view) == {}


def test_url_round_trip():
    q = {"period": "2024Q1", "community": ["南湾社区"], "compound": ["东风凤凰城"], "pillar": ["居民自治"], "lang": "en"}
    view, notes = parse_query(q, CHOICES)
    assert notes == []
    assert (view.start, view.end, view.communities, view.compounds, view.pillars, view.lang) == (
        date(2024, 1, 1), date(2024, 3, 31), ("南湾社区",), ("东风凤凰城",), ("居民自治",), "en")
    assert parse_query(to_query(view), CHOICES) == (view, [])
    assert query_string(view).startswith("?period=2024Q1&community=")


def test_custom_period_and_comma_lists():
    view, notes = parse_query({"start": "2024-01-15", "end": "2024-02-20", "community": "南湾社区,凤亭社区（演示）"},
                              CHOICES)
    assert notes == []
    assert view.period == "custom" and (view.start, view.end) == (date(2024, 1, 15), date(2024, 2, 20))
    assert view.communities == ("南湾社区", "凤亭社区（演示）")
    assert to_query(view)["start"] == ["2024-01-15"]


def test_compound_alone_names_its_community():
    view, notes = parse_query({"compound": "东风凤凰城"}, CHOICES)
    assert (view.communities, view.compounds, notes) == (("南湾社区",), ("东风凤凰城",), [])


def test_junk_falls_back_with_notes():
    q = {"period": "garbage", "community": ["不存在社区", "南湾社区"], "start": "2024-13-45", "pillar": "x",
         "compound": "凤亭佳苑", "lang": "fr"}
    view, notes = parse_query(q, CHOICES)
    assert view == ViewState(date(2026, 7, 1), date(2026, 9, 30), communities=("南湾社区",))
    keys = {n.key: n.value for n in notes}
    assert keys == {
        "note.lang_unknown": "fr", "note.date_invalid": "2024-13-45", "note.period_invalid": "garbage",
        "note.community_unknown": "不存在社区", "note.compound_unknown": "凤亭佳苑", "note.pillar_unknown": "x",
    }


@pytest.mark.parametrize(
    ("q", "note"),
    [
        ({"period": "custom", "start": "2024-03-01", "end": "2024-01-01"}, "note.date_order"),
        ({"period": "custom", "start": "2024-03-01"}, "note.date_missing"),
        ({"period": "custom", "start": "1990-01-01", "end": "1990-02-01"}, "note.date_range"),
        ({"period": "1850Q1"}, "note.date_range"),
    ],
)
def test_bad_custom_periods(q, note):
    view, notes = parse_query(q, CHOICES)
    assert view.period == "last_quarter"
    assert notes and notes[0].key == note


def test_every_note_has_a_label():
    for key in {"note.date_order", "note.date_missing", "note.date_range", "note.date_invalid",
                "note.period_invalid", "note.community_unknown", "note.compound_unknown", "note.pillar_unknown",
                "note.lang_unknown"}:
        assert t(Note(key, "v").key, "zh", value="v") and t(key, "en", value="v")


# ---------------------------------------------------------------------- present.labels


def test_every_label_has_both_languages():
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
        names = set(re.findall(r"{(\w+)}", zh)) | set(re.findall(r"{(\w+)}", en))
        assert t(key, "zh", **dict.fromkeys(names, "x")) and t(key, "en", **dict.fromkeys(names, "x")), key


def test_every_label_used_in_the_code_exists():
    files = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "briefing").glob("*.py")), *sorted((ROOT / "present").glob("*.py"))]
    used = set()
    for f in files:
        used |= set(re.findall(r"""\b(?:t|tr)\(\s*f?["']([a-z_]+\.[a-z_.]+)["']""", f.read_text(encoding="utf-8")))
    assert used, "no label uses found"
    missing = sorted(k for k in used if k not in LABELS)
    assert not missing, missing


# ---------------------------------------------------------------------- present.charts


def _monthly() -> pd.DataFrame:
    rows = []
    for m in (date(2024, 1, 1), date(2024, 2, 1)):
        for i, p in enumerate(["联动联建", "居民自治", "志愿服务", "社会治理"]):
            rows.append((m, p, 10 + i, 100 + i))
    return pd.DataFrame(rows, columns=["month", "pillar", "activities", "participants"])


def test_monthly_chart_uses_fixed_pillar_colours_and_titled_axes():
    fig = charts.render_monthly_by_pillar(_monthly(), "activities", "zh")
    assert {tr.name: tr.marker.color for tr in fig.data} == charts.PILLAR_COLORS
    assert fig.layout.yaxis.title.text == "活动场次（场）"
    assert fig.layout.xaxis.title.text == "月份"
    assert list(fig.data[0].x) == ["2024年1月", "2024年2月"]
    assert "Noto Sans CJK SC" in fig.layout.template.layout.font.family
    en = charts.render_monthly_by_pillar(_monthly(), "participants", "en")
    assert en.layout.yaxis.title.text == "Participations (count)"
    assert en.data[0].marker.color == charts.PILLAR_COLORS["联动联建"] and en.data[0].name == "Joint building"


def test_empty_data_gives_the_empty_figure():
    empty = _monthly().assign(activities=0, participants=0)
    for fig in (charts.render_monthly_by_pillar(empty), charts.render_monthly_by_pillar(empty.iloc[0:0]),
                charts.render_rank_bar(empty, "pillar", "activities"), charts.empty_figure()):
        assert not fig.data
        assert fig.layout.annotations[0].text == "该范围内暂无数据"


def test_case_kinds_have_fixed_colours_distinct_from_pillars():
    colours = list(charts.PILLAR_COLORS.values()) + list(charts.CASE_KIND_COLORS.values())
    assert len(set(colours)) == len(colours) == 7
    df = pd.DataFrame({"kind": ["居民诉求", "安全隐患"], "n": [3, 5]})
    fig = charts.render_rank_bar(df, "kind", "n", color_by="kind", value_title="件数（件）")
    assert list(fig.data[0].marker.color) == ["#7A4FA0", "#6B7A2E"]  # smallest first: 居民诉求 violet, 安全隐患 olive


# ---------------------------------------------------------------------- app.py


def test_navigation_order_and_titles():
    from ui.shell import PAGES as pages

    files = [f for f, _, _ in pages]
    assert files == ["pages/overview.py", "pages/engagement.py", "pages/issues.py", "pages/disputes_safety.py",
                     "pages/services.py", "pages/volunteers.py", "pages/briefing.py", "pages/submissions.py",
                     "pages/explore.py", "pages/kpi_catalogue.py"]
    assert [t(k) for _, k, _ in pages] == ["总览", "活动参与", "诉求办理", "矛盾纠纷与平安", "便民服务", "志愿积分",
                                          "季度简报", "报送情况", "数据查询", "指标说明"]


@pytest.mark.usefixtures("app_env")
def test_default_run_shows_the_last_complete_quarter_and_demo_banner():
    at = run_app()
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert at.header[0].value == "总览"
    text = all_text(at)
    assert "演示数据" in text
    assert "数据更新于" in text and "北京时间" in text
    assert at.selectbox(key="f_period").value == "last_quarter"
    assert at.query_params == {}


@pytest.mark.usefixtures("app_env")
def test_url_filters_are_adopted_and_shown():
    at = run_app({"community": "南湾社区", "period": "2024Q1"})
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 2024年第一季度"
    assert at.multiselect(key="f_community").value == ["南湾社区"]
    assert at.selectbox(key="f_quarter").value == "2024Q1"
    assert at.query_params == {"community": "南湾社区", "period": "2024Q1"}


@pytest.mark.usefixtures("app_env")
def test_junk_url_falls_back_with_a_visible_note():
    at = run_app({"period": "garbage", "community": "不存在社区", "start": "2024-13-45"})
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    notes = [shown(w.value) for w in at.warning if "链接中" in w.value]
    assert notes and "garbage" in notes[0] and "不存在社区" in notes[0] and "2024-13-45" in notes[0]
    assert at.query_params == {}  # the URL is cleaned
    at.run()  # the note stays until the user changes a filter
    assert any("garbage" in w.value for w in at.warning)
    at.selectbox(key="f_period").set_value("this_year").run()
    assert not any("garbage" in w.value for w in at.warning)
    assert at.query_params == {"period": "this_year"}


@pytest.mark.usefixtures("app_env")
def test_widget_changes_go_to_the_url_and_carry_across_pages():
    at = run_app()
    at.multiselect(key="f_community").set_value(["南湾社区"]).run()
    assert at.query_params == {"community": "南湾社区"}
    at.multiselect(key="f_compound").set_value(["东风凤凰城"]).run()
    at.selectbox(key="f_period").set_value("quarter").run()
    at.selectbox(key="f_quarter").set_value("2024Q2").run()
    assert_clean(at)
    assert at.query_params == {"community": "南湾社区", "compound": "东风凤凰城", "period": "2024Q2"}
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 东风凤凰城 · 2024年第二季度"
    at.switch_page("pages/kpi_catalogue.py").run()
    assert_clean(at)
    assert at.header[0].value == "指标说明"
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 东风凤凰城 · 2024年第二季度"
    assert at.query_params == {"community": "南湾社区", "compound": "东风凤凰城", "period": "2024Q2"}
    # compounds are limited to the chosen communities: changing the community drops the compound
    at.multiselect(key="f_community").set_value(["凤亭社区（演示）"]).run()
    assert at.multiselect(key="f_compound").value == []
    assert "凤亭佳苑" in at.multiselect(key="f_compound").options
    assert "东风凤凰城" not in at.multiselect(key="f_compound").options


@pytest.mark.usefixtures("app_env")
def test_custom_period_from_the_url_and_widgets():
    at = run_app({"period": "custom", "start": "2024-01-01", "end": "2024-02-15"})
    assert_clean(at)
    assert header_scope(at).endswith("2024年1月1日至2月15日")
    at.date_input(key="f_end").set_value(date(2024, 3, 31)).run()
    assert at.query_params == {"period": "custom", "start": "2024-01-01", "end": "2024-03-31"}
    assert header_scope(at).endswith("2024年第一季度")


@pytest.mark.usefixtures("app_env")
def test_english_toggle():
    at = run_app({"lang": "en", "community": "南湾社区", "period": "2024Q1"})
    assert_clean(at)
    assert at.header[0].value == "Overview"
    assert header_scope(at) == "沌阳街道 · 南湾社区 · Q1 2024"
    assert "Demo data" in all_text(at)
    at.segmented_control(key="f_lang").set_value("zh").run()
    assert at.header[0].value == "总览"
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 2024年第一季度"
    assert "lang" not in at.query_params


@pytest.mark.usefixtures("app_env")
def test_kpi_catalogue_lists_every_kpi_in_both_languages():
    from kpi import CATALOGUE, DOMAINS

    at = run_app(page="pages/kpi_catalogue.py")
    assert_clean(at)
    text = all_text(at)
    for k in CATALOGUE.values():
        assert k.name_zh in text and k.definition_zh in text and k.formula in text, k.id
    for zh, _ in DOMAINS.values():
        assert zh in [s.value for s in at.subheader]
    at = run_app({"lang": "en"}, page="pages/kpi_catalogue.py")
    text = all_text(at)
    assert all(k.name_en in text and k.definition_en in text for k in CATALOGUE.values())


def test_missing_warehouse_explains_what_to_run(tmp_path, monkeypatch, caplog):
    """Anyone may open this screen before signing in: it says what to run, and the server path goes to the
    server's log only."""
    monkeypatch.setenv("GOV_DB", str(tmp_path / "nothing.duckdb"))
    at = run_app()
    assert not at.exception
    text = "\n".join(e.value for e in at.error)
    assert "make run" in text and "python -m etl demo" in text
    assert "还没有数据仓库" in text and "no warehouse yet" in text
    assert "nothing.duckdb" not in text and str(tmp_path) not in all_text(at)
    assert any("nothing.duckdb" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("lake", [None, "unpublished"])
def test_lake_engine_without_a_lake_says_so_without_a_path(tmp_path, monkeypatch, lake):
    monkeypatch.setenv("GOV_ENGINE", "duckdb-lake")
    if lake is None:
        monkeypatch.delenv("GOV_LAKE", raising=False)
    else:
        (tmp_path / lake).mkdir()
        monkeypatch.setenv("GOV_LAKE", str(tmp_path / lake))
    at = run_app()
    assert not at.exception
    text = all_text(at)
    assert "没有找到已发布的数据湖" in text and "no published lake was found" in text
    assert "python -m etl lake --out" in text and str(tmp_path) not in text


def test_an_unknown_engine_is_a_clear_message_not_a_traceback(monkeypatch):
    import engines

    monkeypatch.setenv("GOV_ENGINE", "oracle<script>")
    at = run_app()
    assert not at.exception
    text = "\n".join(e.value for e in at.error)
    assert "GOV_ENGINE 无效" in text and "GOV_ENGINE is not valid" in text
    assert all(name in text for name in engines.ENGINES) and "oracle" not in text


def test_a_new_load_shows_up_on_the_next_rerun(demo_db, tmp_path, monkeypatch):
    """Replacing the warehouse file (as a load does) changes the data version: new numbers, no restart."""
    import duckdb

    import kpi
    from etl.warehouse import open_read_only
    from present.format import fmt_kpi

    live = tmp_path / "governance.duckdb"
    shutil.copyfile(demo_db, live)
    monkeypatch.setenv("GOV_DB", str(live))
    monkeypatch.setenv("GOV_TODAY", "2026-11-28")
    at = run_app()
    before = at.metric[0].value
    staged = tmp_path / "staged.duckdb"
    shutil.copyfile(demo_db, staged)
    con = duckdb.connect(str(staged))
    con.execute("DELETE FROM activities WHERE date BETWEEN DATE '2026-07-01' AND DATE '2026-07-31'")
    con.execute("CHECKPOINT")
    con.close()
    os.replace(staged, live)
    at.run()
    assert_clean(at)
    con = open_read_only(live)
    try:
        want = kpi.value(con, kpi.Filters(date(2026, 7, 1), date(2026, 9, 30)), "activities", targets=TARGETS)
    finally:
        con.close()
    assert at.metric[0].value == fmt_kpi("activities", want) != before


@pytest.mark.usefixtures("app_env")
def test_targets_file_error_is_shown_not_raised(tmp_path, monkeypatch):
    bad = tmp_path / "targets.toml"
    bad.write_text("version = \n", encoding="utf-8")
    monkeypatch.setenv("GOV_TARGETS", str(bad))
    at = run_app()
    assert not at.exception
    errors = shown("\n".join(e.value for e in at.error))
    assert "目标值文件有误" in errors and "targets.toml" in errors and "not valid TOML" in errors
    assert str(tmp_path) not in all_text(at)  # the file's name, never the server path


def test_pages_are_thin():
    """Pages reach data only through ui.query / kpi: no duckdb, no etl, no SQL."""
    for f in (ROOT / "pages").glob("*.py"):
        src = f.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(duckdb|etl)\b", src, re.M), f.name
        assert not re.search(r"\bSELECT\b.+\bFROM\b", src, re.I | re.S), f.name


# ---------------------------------------------------------------------- deep links: the handover (ui.shell)


def test_streamlit_still_has_the_legacy_pages_mode_the_handover_exists_for():
    """If this fails after a Streamlit upgrade, re-read docs/architecture.md ("Why ui.shell.ensure_app exists"):
    the legacy pages/ mode (a page file run alone) may be gone or work differently, and the handover may be
    unnecessary or need a new trigger."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner

    assert hasattr(PagesManager, "uses_pages_directory")
    assert callable(getattr(script_runner, "_mpa_v1", None))


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("page,title", [
    ("pages/engagement.py", "活动参与"), ("pages/issues.py", "诉求办理"), ("pages/briefing.py", "季度简报"),
    ("pages/kpi_catalogue.py", "指标说明"),
])
def test_a_page_run_alone_hands_the_run_over_to_the_app(page, title):
    """AppTest runs every script in the legacy mode (it resets Streamlit's mode flag each run), so switching
    page runs the page file alone: the page must still get the app's sidebar, header and its own content."""
    from streamlit.runtime.pages_manager import PagesManager

    at = run_app(page=page)
    assert PagesManager.uses_pages_directory is False  # the app's st.navigation ran inside the page's run
    assert_clean(at)
    assert [h.value for h in at.header] == [title]
    assert header_scope(at).endswith("2026年第三季度")
    assert at.sidebar.selectbox  # the filters are drawn
