"""The 总览 page under AppTest: real values against the kpi layer, for several scopes."""

from __future__ import annotations

import json
from datetime import date

import pytest

import kpi
from kpi import scorecard
from present.format import fmt_change, fmt_kpi
from tests.conftest import TARGETS
from tests.raw_figures import raw_figures
from tests.ui_helpers import all_text, app_env, assert_clean, header_scope, run_app  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")

Q3_2026 = (date(2026, 7, 1), date(2026, 9, 30))
Q1_2024 = (date(2024, 1, 1), date(2024, 3, 31))
Q4_2023 = (date(2023, 10, 1), date(2023, 12, 31))


def cards(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def assert_cards_match(at, con, filters: kpi.Filters, lang: str = "zh") -> None:
    """Every headline card shows kpi.compare's value and change, formatted by present.format."""
    ids = kpi.headline_ids()
    cmp = kpi.compare(con, filters, ids=ids, targets=TARGETS).set_index("kpi_id")
    shown = cards(at)
    assert len(shown) == len(ids)
    for kid in ids:
        k = kpi.CATALOGUE[kid]
        name = k.name_en if lang == "en" else k.name_zh
        value, delta = shown[name]
        assert value == fmt_kpi(k, cmp.loc[kid, "current"], lang), kid
        want = fmt_change(k, cmp.loc[kid, "delta_vs_previous"], cmp.loc[kid, "change_vs_previous"], lang)
        assert (delta or None) == want, kid


def test_default_filters(con):
    at = run_app()
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert_cards_match(at, con, kpi.Filters(*Q3_2026))
    # values agree with kpi.values too (the figure a leader would check by hand)
    v = kpi.values(con, kpi.Filters(*Q3_2026), ids=["activities"], targets=TARGETS)["value"].iloc[0]
    assert cards(at)["活动场次"][0] == fmt_kpi("activities", v)
    # the scorecard: one row per community, best first, score ×100
    table = at.dataframe[0].value
    sc = scorecard.scorecard(con, kpi.Filters(*Q3_2026), targets=TARGETS)
    assert list(table["community"]) == list(sc["community"])
    assert table["score"].round(6).tolist() == (sc["score"] * 100).round(6).tolist()
    # the trend chart has one trace per pillar with its fixed colour
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [tr["name"] for tr in fig["data"]]
    assert names == ["联动联建", "居民自治", "志愿服务", "社会治理"]
    # 13 months up to the period's end (2025-09 … 2026-09), each the raw count of 联动联建 activities that month
    assert fig["data"][0]["x"][0] == "2025年9月" and fig["data"][0]["x"][-1] == "2026年9月"
    assert len(fig["data"][0]["x"]) == 13
    raw = con.execute("""SELECT strftime(date, '%Y-%m') AS m, count(*) FROM activities
                          WHERE pillar = '联动联建' AND date BETWEEN '2025-09-01' AND '2026-09-30'
                          GROUP BY ALL""").fetchall()
    by_month = dict(raw)
    months = [f"{y}-{m:02d}" for y, m in [(2025, 9), (2025, 10), (2025, 11), (2025, 12)] + [(2026, i) for i in
                                                                                             range(1, 10)]]
    assert fig["data"][0]["y"] == [by_month.get(m, 0) for m in months]
    # the selected quarter (the last three of the 13 bars) shaded and labelled; the cards stay on the quarter
    (shape,) = fig["layout"]["shapes"]
    assert (shape["x0"], shape["x1"], shape["xref"]) == (9.5, 12.5, "x")
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["所选期间"]
    assert "该范围内暂无数据" not in all_text(at)


def test_warnings_list_matches_kpi(con):
    at = run_app()
    warn = scorecard.warnings(con, kpi.Filters(*Q3_2026), targets=TARGETS)
    text = all_text(at)
    if warn.empty:
        assert "本期无预警" in text
    for _, w in warn.iterrows():
        k = kpi.CATALOGUE[w["kpi_id"]]
        assert f"**{w['community']}** · {k.name_zh}：{fmt_kpi(k, w['value'])}" in text
        assert ("红色预警" if w["level"] == "red" else "黄色预警") in text


def test_narrowed_to_one_community_and_quarter(con):
    at = run_app({"community": "南湾社区", "period": "2024Q1"})
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 2024年第一季度"
    assert_cards_match(at, con, kpi.Filters(*Q1_2024, communities=("南湾社区",)))
    table = at.dataframe[0].value
    assert list(table["community"]) == ["南湾社区"]


def test_cards_show_the_figures_of_the_raw_rows(con):
    """What a person reads for 南湾社区 in 2024Q1, against plain SQL over the raw tables (tests/raw_figures.py)."""
    at = run_app({"community": "南湾社区", "period": "2024Q1"})
    assert_clean(at)
    shown = cards(at)
    assert {label: value for label, (value, _) in shown.items()} == {
        "活动场次": "187", "参与人次": "3,956", "办结率": "63.9%", "满意率": "94.9%", "调解成功率": "81.8%",
        "隐患整改率": "91.7%", "入户走访覆盖率": "72.3%", "活跃志愿者": "91",
    }
    targets = kpi.load_targets()
    now = raw_figures(con, *Q1_2024, "南湾社区", targets)
    before = raw_figures(con, *Q4_2023, "南湾社区", targets)
    for kid in kpi.headline_ids():
        assert shown[kpi.CATALOGUE[kid].name_zh][0] == fmt_kpi(kid, now[kid]), kid
    # 187 activities (2023Q4: 209) → −10.5 %; 39 of 61 requests closed by 03-31 → 63.9 %
    assert (now["activities"], before["activities"]) == (187, 209)
    assert shown["活动场次"][1] == f"{(187 - 209) / 209:+.1%}" == "-10.5%"
    assert now["closure_rate"] == pytest.approx(100 * 39 / 61)
    pp = now["closure_rate"] - before["closure_rate"]
    assert shown["办结率"][1] == f"{pp:+.1f}个百分点"
    # the scorecard row carries the same values
    row = at.dataframe[0].value.set_index("community").loc["南湾社区"]
    assert row["closure_rate"] == pytest.approx(now["closure_rate"])
    assert row["participants_per_100_households"] == pytest.approx(100 * 3956 / 5017)


def test_narrowed_to_a_compound_and_a_pillar(con):
    at = run_app({"community": "南湾社区", "compound": "东风凤凰城", "pillar": "居民自治", "period": "2025Q4"})
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 东风凤凰城 · 板块：居民自治 · 2025年第四季度"
    f = kpi.Filters(date(2025, 10, 1), date(2025, 12, 31), ("南湾社区",), ("东风凤凰城",), ("居民自治",))
    assert_cards_match(at, con, f)
    # KPIs of other pillars are out of scope: a dash and a plain note, no fake zero
    value, _ = cards(at)["调解成功率"]
    assert value == "—"
    assert "不属于所选板块" in all_text(at)


def test_english(con):
    at = run_app({"lang": "en", "period": "2024Q1"})
    assert_clean(at)
    assert at.header[0].value == "Overview"
    assert_cards_match(at, con, kpi.Filters(*Q1_2024), lang="en")
    text = all_text(at)
    assert "Headline KPIs" in text and "Community scorecard" in text
    assert "核心指标" not in text


def test_empty_scope_shows_empty_states_not_errors():
    at = run_app({"period": "2001Q1"})
    assert_clean(at)
    assert header_scope(at) == "沌阳街道 · 全部社区（6个） · 2001年第一季度"
    assert any("该范围内暂无数据" in i.value for i in at.info)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == "该范围内暂无数据"
    assert cards(at)["活动场次"][0] == "0"
    assert cards(at)["办结率"][0] == "—"


@pytest.mark.parametrize(
    "query",
    [
        {"period": "garbage", "community": "不存在社区", "start": "2024-13-45"},
        {"period": "custom", "start": "2024-03-01", "end": "2023-01-01"},
        {"community": ["南湾社区", "南湾社区"], "compound": "不存在小区", "pillar": "不存在板块", "lang": "xx"},
        {"period": "2024Q9", "end": "2024-02-30"},
    ],
)
def test_junk_urls_never_raise(query):
    at = run_app(query)
    assert_clean(at)
    assert any("链接中的部分筛选条件无效" in w.value for w in at.warning)
    assert len(at.metric) == len(kpi.headline_ids())


def test_choosing_a_community_narrows_everything(con):
    """What a scorecard row click does (ui.narrow_to_community): the filter, the URL and the header follow."""
    at = run_app({"period": "2024Q1"})
    assert len(at.dataframe[0].value) == 6
    at.session_state["f_community"] = ["南湾社区"]
    at.run()
    assert_clean(at)
    assert at.query_params == {"period": "2024Q1", "community": "南湾社区"}
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 2024年第一季度"
    assert_cards_match(at, con, kpi.Filters(*Q1_2024, communities=("南湾社区",)))


def test_trend_measure_toggle():
    at = run_app()
    at.segmented_control(key="overview_trend_measure").set_value("participants").run()
    assert_clean(at)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["yaxis"]["title"]["text"] == "参与人次（人次）"
