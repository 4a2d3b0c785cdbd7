"""The briefing's model and narrative on the demo warehouse: every number equals the KPI layer's."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest

import kpi
from briefing import BriefingError, available_quarters, build, default_quarter, parse_quarter
from kpi import Filters
from kpi.calendar import Quarter
from kpi.scorecard import evaluate
from present.format import fmt_quarter
from present.labels import kpi_name
from tests.conftest import ROOT

TARGETS = kpi.load_targets()

QUARTERS = ("2024Q1", "2025Q2", "2026Q3")
SCOPES = (None, "南湾社区")
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")



@pytest.fixture(scope="module")
def briefings(con):
    return {(q, c): build(con, q, c, targets=TARGETS) for q in QUARTERS for c in SCOPES}


# ---------------------------------------------------------------- the narrative against the KPI layer

def _expected(con, fact, q: Quarter, community: str | None, cache: dict) -> float:
    """The value of one narrative fact, asked of the KPI layer independently of the briefing."""
    f = Filters(q.start, q.end, communities=(community,) if community else ())
    if "cmp" not in cache:
        cache["cmp"] = kpi.compare(con, f, targets=TARGETS).set_index("kpi_id")
        cache["ev"] = evaluate(con, Filters(q.start, q.end), TARGETS)
    ev = cache["ev"]
    absolute = fact.column.startswith(("change", "delta"))
    if fact.source == "kpi":
        v = cache["cmp"].loc[fact.key, fact.column]
    elif fact.source == "pillar":
        key = ("pillar", fact.where)
        if key not in cache:
            cache[key] = kpi.compare(con, replace(f, pillars=(fact.where,)), ids=["activities", "participants"], targets=TARGETS).set_index("kpi_id")
        v = cache[key].loc[fact.key, fact.column]
    elif fact.source == "scorecard":
        table = ev.table.set_index("community")
        if fact.key == "communities":
            v = len(table)
        elif fact.key == "warnings" and fact.column == "communities_warned":
            v = int((table["warnings"] > 0).sum())
        else:
            v = table.loc[fact.where, {"score": "score", "rank": "rank", "warnings": "warnings"}[fact.key]]
    elif fact.source == "warning":
        w = ev.warnings
        row = w[(w["community"] == fact.where) & (w["kpi_id"] == fact.key)].iloc[0]
        v = row[fact.column]
        absolute = fact.column == "change"
    else:
        raise AssertionError(fact)
    v = float(v)
    return abs(v) if absolute else v


def _without_names(text: str) -> str:
    """KPI names may hold digits ("Participations per 100 households"): they are names, not numbers."""
    for k in sorted(kpi.CATALOGUE.values(), key=lambda k: -len(k.name_en)):
        text = text.replace(k.name_en, "").replace(k.name_zh, "")
    return text


@pytest.mark.parametrize("community", SCOPES, ids=["street", "nanwan"])
@pytest.mark.parametrize("quarter", QUARTERS)
def test_every_narrative_number_is_the_kpi_layers(con, briefings, quarter, community):
    b = briefings[(quarter, community)]
    q = parse_quarter(quarter)
    cache: dict = {}
    for lang in ("zh", "en"):
        sentences = b.narrative(lang)
        sections = [s.section for s in sentences]
        assert sections[0] == "overview"
        assert [s for s in sections if s.startswith("pillar:")] == [f"pillar:{p}" for p in b.pillar_names]
        assert sections.count("warning") == max(len(b.warnings), 1)
        n_facts = 0
        for s in sentences:
            for fact in s.facts:
                n_facts += 1
                assert fact.text in s.text, (fact, s.text)
                want = _expected(con, fact, q, community, cache)
                assert math.isclose(fact.value, want, rel_tol=1e-12, abs_tol=1e-12), (fact, want)
            # no typed number: every number in the text is one of the facts (or the quarter's label)
            printed = [NUMBER.findall(f.text) for f in s.facts]
            allowed = {n for ns in printed for n in ns} | {str(q.year), str(q.q)}
            stray = [n for n in NUMBER.findall(_without_names(s.text)) if n not in allowed]
            assert not stray, (stray, s.text)
        assert n_facts >= 25


def test_narrative_reads_like_the_article_for_nanwan(briefings):
    b = briefings[("2024Q1", "南湾社区")]
    zh = b.narrative_text("zh")
    assert zh.startswith("2024年第一季度，南湾社区共开展活动187场次")
    for pillar in ("联动联建", "居民自治", "志愿服务", "社会治理"):
        assert f"“党建+{pillar}”板块" in zh
    assert "受理居民诉求" in zh and "办结率" in zh
    assert "本季度未触发预警。" in zh or "预警】" in zh
    en = b.narrative_text("en")
    assert en.startswith("In Q1 2024, 南湾社区 held 187 activities")


def test_warnings_get_one_sentence_each(briefings):
    b = briefings[("2026Q3", None)]
    assert len(b.warnings) >= 1
    sentences = [s for s in b.narrative("zh") if s.section == "warning"]
    assert len(sentences) == len(b.warnings)
    for s, w in zip(sentences, b.warnings.itertuples(), strict=True):
        assert w.community in s.text and kpi_name(w.kpi_id) in s.text
        assert s.text.startswith("【黄色预警】" if w.level == "yellow" else "【红色预警】")


def test_community_scope_keeps_only_its_warnings_and_ranks_it(briefings):
    b = briefings[("2026Q3", "南湾社区")]
    assert set(b.warnings["community"]) <= {"南湾社区"}
    assert len(b.scorecard) == 6  # ranked among the whole street
    assert not b.compounds.empty and set(b.compounds["compound"]) >= {"东风凤凰城"}
    assert any(s.section == "scorecard" and "排名第" in s.text for s in b.narrative("zh"))


def test_compound_values_are_the_kpi_layers(con, briefings):
    b = briefings[("2024Q1", "南湾社区")]
    q = parse_quarter("2024Q1")
    for r in b.compounds.itertuples(index=False):
        f = Filters(q.start, q.end, communities=("南湾社区",), compounds=(r.compound,))
        assert kpi.value(con, f, "activities", targets=TARGETS) == r.activities
        v = kpi.value(con, f, "participants_per_100_households", targets=TARGETS)
        assert (v is None and math.isnan(r.participants_per_100_households)) or math.isclose(
            v, r.participants_per_100_households)


def test_tiles_trend_and_issue_series_come_from_the_kpi_layer(con, briefings):
    b = briefings[("2026Q3", None)]
    assert 6 <= len(b.headline) <= 8
    assert b.headline == kpi.headline_ids()[: len(b.headline)]
    q = parse_quarter("2026Q3")
    f = Filters(q.start, q.end)
    trend = b.trend[(b.trend["month"] >= q.start)]
    assert trend["activities"].sum() == kpi.value(con, f, "activities", targets=TARGETS)
    cur = b.issues[b.issues["quarter"] == "2026Q3"].set_index("kpi_id")["value"]
    assert cur["cases_opened"] == kpi.value(con, f, "cases_opened", targets=TARGETS)
    assert math.isclose(cur["closure_rate"], kpi.value(con, f, "closure_rate", targets=TARGETS))
    vol = b.volunteers[(b.volunteers["month"] >= q.start) & (b.volunteers["kpi_id"] == "points_awarded")]
    assert math.isclose(vol["value"].sum(), kpi.value(con, f, "points_awarded", targets=TARGETS))


def test_meta_states_scope_quarter_freshness_and_demo(briefings):
    m = briefings[("2024Q1", "南湾社区")].meta
    assert m.demo
    stamp = m.stamp("zh")
    for part in ("沌阳街道南湾社区", "2024年第一季度", "2024-01-01", "2024-03-31", "数据截至 2026-09-30", "演示数据"):
        assert part in stamp
    assert "DEMO DATA" in m.stamp("en") and "Q1 2024" in m.stamp("en")
    assert m.title("zh") == "沌阳街道南湾社区 2024年第一季度 党建+社区治理季度简报"
    assert "全街道" in briefings[("2026Q3", None)].meta.title("zh")


# ---------------------------------------------------------------- quarters and errors

def test_quarter_errors_are_bilingual():
    assert parse_quarter(" 2024-q3 ") == Quarter(2024, 3)
    assert fmt_quarter(Quarter(2026, 3), "zh") == "2026年第三季度" and fmt_quarter(Quarter(2026, 3), "en") == "Q3 2026"
    for junk in ("2024Q5", "2024", "", "二〇二四年一季度", "2024Q0"):
        with pytest.raises(BriefingError) as e:
            parse_quarter(junk)
        assert e.value.code == "quarter" and "2024Q1" in e.value.zh and "2024Q1" in e.value.en


def test_default_is_the_last_complete_quarter(con):
    opts = kpi.scope_options(con)
    assert default_quarter(opts, date(2026, 11, 28)) == Quarter(2026, 3)
    assert default_quarter(opts, date(2026, 9, 29)) == Quarter(2026, 2)
    assert default_quarter(opts, date(2030, 1, 1)) == Quarter(2026, 3)  # the data ends 2026-09-30
    qs = available_quarters(opts)
    assert qs[0] == Quarter(2026, 3) and qs[-1] == Quarter(2021, 3)


def test_unknown_community_and_quarters_without_data(con):
    with pytest.raises(BriefingError) as e:
        build(con, "2024Q1", "北湾社区", targets=TARGETS)
    assert e.value.code == "community" and "北湾社区" in e.value.zh and "南湾社区" in e.value.zh
    for q in ("2030Q1", "2021Q2", "1999Q4"):
        with pytest.raises(BriefingError) as e:
            build(con, q, targets=TARGETS)
        assert e.value.code == "no_data" and "没有数据" in e.value.zh and "no data" in e.value.en
    with pytest.raises(BriefingError) as e:
        build(con, "2024Q9", targets=TARGETS)
    assert e.value.code == "quarter"


# ---------------------------------------------------------------- no Streamlit (ui's pure modules only)

def test_briefing_does_not_import_streamlit():
    code = ("import sys; import briefing, briefing.model, briefing.narrative, briefing.figures, briefing.exports, "
            "briefing.render, briefing.__main__; assert 'streamlit' not in sys.modules, 'streamlit imported'")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr

