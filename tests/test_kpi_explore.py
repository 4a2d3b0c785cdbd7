"""The explorer's kpi layer (kpi/explore.py): literal cases, the issue's three questions and other combinations
recomputed independently in pandas from the demo's rows, scope, hostile values, validation, Spark translation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import kpi
from engines.translate import to_spark
from kpi import explore as E
from kpi.explore import Question, QuestionError
from kpi.filters import Filters
from tests.conftest import TARGETS
from tests.factories import tiny_warehouse

NANWAN = "南湾社区"
TEAM = "能工巧匠红色服务队"


@pytest.fixture(scope="module")
def raw(con):
    """The demo's rows as pandas frames (read once; the reference computations below use only these)."""
    t = {n: con.execute(f"SELECT * FROM {n}").df() for n in
         ("activities", "cases", "volunteers", "volunteer_hours", "redemptions", "compounds")}
    for n, cols in (("activities", ["date"]), ("cases", ["opened_on", "closed_on"]), ("volunteer_hours", ["date"]),
                    ("redemptions", ["date"]), ("volunteers", ["joined_on"])):
        for c in cols:
            t[n][c] = pd.to_datetime(t[n][c])
    return t


def _between(s: pd.Series, lo: date, hi: date) -> pd.Series:
    return (s >= pd.Timestamp(lo)) & (s <= pd.Timestamp(hi))


# ---------------------------------------------------------------------- the three questions

def test_parking_requests_of_nanwan_by_month_over_two_years(con, raw):
    f = Filters(date(2024, 10, 1), date(2026, 9, 30), communities=(NANWAN,))
    got = E.answer(con, Question("cases", choices=(("category", ("停车管理",)),), group=("month",)), f)
    c = raw["cases"]
    sel = c[(c["community"] == NANWAN) & (c["category"] == "停车管理") & _between(c["opened_on"], f.start, f.end)]
    want = sel.groupby(sel["opened_on"].dt.strftime("%Y-%m")).size()
    months = pd.period_range("2024-10", "2026-09", freq="M").strftime("%Y-%m")
    want = want.reindex(months, fill_value=0)
    assert list(got["month"]) == list(months)  # every month, also those without a request
    assert got["value"].tolist() == want.astype(float).tolist()
    assert got["value"].sum() > 50  # the demo has the data


def test_partners_of_activities_in_wanpan_this_year(con, raw):
    f = Filters(date(2026, 1, 1), date(2026, 12, 31))
    got = E.answer(con, Question("activities", choices=(("compound", ("湾畔花园",)),), group=("partner",)), f)
    a = raw["activities"]
    sel = a[(a["compound"] == "湾畔花园") & (a["date"].dt.year == 2026)]
    want = sel.groupby(sel["partner"].fillna("∅")).size()
    have = {("∅" if p is None else p): v for p, v in zip(got["partner"], got["value"], strict=True)}
    assert have == {k: float(v) for k, v in want.items()}
    assert len([p for p in got["partner"] if p is not None]) >= 3
    assert got["value"].tolist() == sorted(got["value"], reverse=True)  # largest first


def test_hours_of_the_craftsmen_team_by_quarter(con, raw):
    f = Filters(date(2025, 1, 1), date(2026, 9, 30))
    got = E.answer(con, Question("volunteer_hours", choices=(("team", (TEAM,)),), group=("quarter",),
                                 measure="sum:hours"), f)
    h = raw["volunteer_hours"].merge(raw["volunteers"][["volunteer_id", "community", "team"]], on="volunteer_id")
    sel = h[(h["team"] == TEAM) & _between(h["date"], f.start, f.end)]
    want = sel.groupby(sel["date"].dt.to_period("Q").astype(str)).hours.sum()
    assert list(got["quarter"]) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert got["value"].tolist() == pytest.approx(want.reindex([q.replace("Q", "Q") for q in got["quarter"]],
                                                               fill_value=0).tolist())
    assert got["value"].min() > 0


# ---------------------------------------------------------------------- other combinations

def test_two_dimensions_with_a_sum_and_a_keyword(con, raw):
    f = Filters(date(2025, 1, 1), date(2025, 12, 31))
    q = Question("activities", keywords=("维修", "能工巧匠"), group=("community", "activity_type"),
                 measure="sum:participants")
    got = E.answer(con, q, f)
    a = raw["activities"]

    def has(word):
        return (a["title"].fillna("").str.lower().str.contains(word, regex=False)
                | a["note"].fillna("").str.lower().str.contains(word, regex=False))

    sel = a[_between(a["date"], f.start, f.end) & has("维修") & has("能工巧匠")]
    assert len(sel) > 10
    want = sel.groupby(["community", "activity_type"]).participants.sum()
    have = got.set_index(["community", "activity_type"])["value"]
    assert have.sort_index().to_dict() == {k: float(v) for k, v in want.sort_index().items()}


def test_number_and_date_ranges_and_several_values(con, raw):
    f = Filters(date(2024, 1, 1), date(2025, 6, 30), communities=(NANWAN, "枫林社区（演示）"))
    q = Question("cases", choices=(("kind", ("矛盾纠纷", "安全隐患")),),
                 ranges=(("closed_on", date(2024, 3, 1), None), ("satisfaction", 3.0, 5.0)),
                 group=("year", "community"))
    got = E.answer(con, q, f)
    c = raw["cases"]
    sel = c[c["community"].isin(f.communities) & c["kind"].isin(["矛盾纠纷", "安全隐患"])
            & _between(c["opened_on"], f.start, f.end) & (c["closed_on"] >= pd.Timestamp(2024, 3, 1))
            & c["satisfaction"].between(3, 5)]
    want = sel.groupby([sel["opened_on"].dt.year.astype(str), "community"]).size()
    have = got.set_index(["year", "community"])["value"]
    assert have.to_dict() == {k: float(v) for k, v in want.items()}
    assert list(got["year"]) == sorted(got["year"])


def test_redemptions_by_item_and_roster_by_team(con, raw):
    f = Filters(date(2025, 7, 1), date(2025, 9, 30), allowed=(NANWAN,))
    got = E.answer(con, Question("redemptions", group=("item",), measure="sum:points"), f)
    v = raw["volunteers"]
    r = raw["redemptions"].merge(v[["volunteer_id", "community"]], on="volunteer_id")
    sel = r[(r["community"] == NANWAN) & _between(r["date"], f.start, f.end)]
    want = sel.groupby("item").points.sum()
    assert got.set_index("item")["value"].to_dict() == pytest.approx(want.to_dict())

    roster = E.answer(con, Question("volunteers", group=("team",)), f)
    mine = v[(v["community"] == NANWAN) & (v["joined_on"].isna() | (v["joined_on"] <= pd.Timestamp(f.end)))]
    want = mine.groupby(mine["team"].fillna("∅")).size()
    assert {("∅" if k is None else k): x for k, x in zip(roster["team"], roster["value"], strict=True)} == \
        {k: float(x) for k, x in want.items()}
    assert "volunteer_id" not in roster and "volunteer_id" not in got


@pytest.mark.parametrize("measure", E.CASE_MEASURES)
def test_a_case_kpi_measure_is_the_catalogue_kpi(con, measure):
    """Ungrouped and unfiltered, a case KPI measure is exactly `kpi.value`; by community, `kpi.values`."""
    f = Filters(date(2025, 4, 1), date(2025, 6, 30))
    got = E.answer(con, Question("cases", measure=measure), f, targets=TARGETS)
    assert got.columns.tolist() == ["value"]
    want = kpi.value(con, f, measure, targets=TARGETS)
    assert got["value"].iloc[0] == pytest.approx(want)
    by = E.answer(con, Question("cases", measure=measure, group=("community",)), f, targets=TARGETS)
    ref = kpi.values(con, f, measure, by="community", targets=TARGETS).set_index("community")["value"]
    for c, x in zip(by["community"], by["value"], strict=True):
        assert x == pytest.approx(ref[c], nan_ok=True)


def test_closure_rate_by_month_and_category_recomputed(con, raw):
    """The catalogue's 办结率 per month and category: of the requests opened in the month (not transferred), the
    share closed by the month's end."""
    f = Filters(date(2025, 1, 1), date(2025, 3, 31), communities=(NANWAN,))
    got = E.answer(con, Question("cases", measure="closure_rate", group=("month", "category")), f, targets=TARGETS)
    c = raw["cases"]
    c = c[(c["community"] == NANWAN) & (c["kind"] == "居民诉求") & (c["status"] != "已转办")]
    want = {}
    for m in pd.period_range("2025-01", "2025-03", freq="M"):
        s, e = m.start_time, m.end_time.normalize()
        opened = c[_between(c["opened_on"], s.date(), e.date())]
        for cat, g in opened.groupby("category"):
            want[(str(m), cat)] = 100.0 * (g["closed_on"] <= e).sum() / len(g)
    have = {(m, cat): v for m, cat, v in zip(got["month"], got["category"], got["value"], strict=True)
            if not np.isnan(v)}
    assert have == pytest.approx(want)


def test_literal_small_warehouse():
    w = tiny_warehouse(
        communities=[{"name": "甲", "street": "街", "households": 100}, {"name": "乙", "street": "街", "households": 50}],
        activities=[
            {"date": "2024-01-05", "community": "甲", "participants": 10, "title": "广场舞 比赛", "partner": "P1"},
            {"date": "2024-01-20", "community": "甲", "participants": 5, "title": "书法", "note": "比赛"},
            {"date": "2024-03-02", "community": "乙", "participants": 7, "title": "广场舞", "partner": "P1"},
            {"date": "2024-05-01", "community": "甲", "participants": 99, "title": "期外"},
        ])
    f = Filters(date(2024, 1, 1), date(2024, 3, 31))
    got = E.answer(w.con, Question("activities", group=("month",), measure="sum:participants"), f)
    assert got.to_dict("list") == {"month": ["2024-01", "2024-02", "2024-03"], "value": [15.0, 0.0, 7.0]}
    got = E.answer(w.con, Question("activities", keywords=("比赛",)), f)
    assert got.to_dict("list") == {"value": [2.0]}  # 标题 or 备注
    got = E.answer(w.con, Question("activities", keywords=("广场舞", "比赛")), f)
    assert got.to_dict("list") == {"value": [1.0]}  # every word
    got = E.answer(w.con, Question("activities", group=("partner", "community")), f)
    assert got.to_dict("list") == {"partner": ["P1", "P1", None], "community": ["乙", "甲", "甲"],
                                   "value": [1.0, 1.0, 1.0]}
    r = E.rows(w.con, Question("activities"), f, page=0, page_size=2)
    assert r.total == 3 and r.frame["date"].tolist() == [date(2024, 3, 2), date(2024, 1, 20)]
    assert E.rows(w.con, Question("activities"), f, page=1, page_size=2).frame["title"].tolist() == ["广场舞 比赛"]
    past = E.rows(w.con, Question("activities"), f, page=5, page_size=2)
    assert past.total == 3 and past.frame.empty and list(past.frame.columns) == list(E.ROW_COLUMNS["activities"])
    assert E.options(w.con, "activities")["partner"] == ["P1"]
    assert E.options(w.con, "activities")["community"] == ["乙", "甲"]


# ---------------------------------------------------------------------- scope, hostile values, validation

def test_a_community_viewer_never_sees_another_communitys_rows(con, raw):
    f = Filters(date(2024, 1, 1), date(2025, 12, 31), communities=("枫林社区（演示）",), allowed=(NANWAN,))
    for q in (Question("cases", group=("community",)), Question("activities", group=("partner",)),
              Question("volunteer_hours", group=("community",), measure="sum:hours")):
        assert E.answer(con, q, f)["value"].sum() == 0
    mine = Filters(date(2024, 1, 1), date(2025, 12, 31), allowed=(NANWAN,))
    got = E.answer(con, Question("cases", group=("community", "compound")), mine)
    assert set(got["community"]) == {NANWAN}
    rows = E.rows(con, Question("cases"), mine, page_size=10_000)
    c = raw["cases"]
    assert rows.total == int(((c["community"] == NANWAN) & _between(c["opened_on"], mine.start, mine.end)).sum())
    assert set(rows.frame["community"]) == {NANWAN}
    assert E.options(con, "activities", mine.allowed)["community"] == [NANWAN]
    others = set(raw["activities"]["partner"].dropna()) - set(
        raw["activities"][raw["activities"]["community"] == NANWAN]["partner"].dropna())
    assert others and not others & set(E.options(con, "activities", mine.allowed)["partner"])
    for table in E.TABLES:  # every value list of every ledger: never another community's name
        for col, values in E.options(con, table, mine.allowed).items():
            assert not any("（演示）" in v for v in values), (table, col)


HOSTILE = ["' OR 1=1 --", "%", "_", "x'); DROP TABLE cases; --", "$start", "\\", "停车管理' OR 'a'='a"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_bound_not_interpolated(con, value):
    f = Filters(date(2024, 1, 1), date(2025, 12, 31))
    assert E.answer(con, Question("cases", choices=(("category", (value,)),)), f)["value"].tolist() == [0.0]
    assert E.answer(con, Question("cases", keywords=(value,)), f)["value"].tolist() == [0.0]
    assert E.rows(con, Question("cases", keywords=(value,)), f).total == 0
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] > 0


def test_every_sql_translates_to_spark(con):
    """Every statement the explorer runs goes through engines/translate.py (what the Spark engine does)."""
    seen = []

    class Recorder:
        def __init__(self, real):
            self.real = real

        def cursor(self):
            rec = self

            class Cur:
                def __init__(self):
                    self.cur = rec.real.cursor()

                def execute(self, sql, params=None):
                    seen.append((sql, params))
                    self.cur.execute(sql, params)
                    return self

                def df(self):
                    return self.cur.df()

                def close(self):
                    self.cur.close()

            return Cur()

    f = Filters(date(2024, 1, 1), date(2024, 12, 31), communities=(NANWAN,), pillars=("居民自治",), allowed=(NANWAN,))
    r = Recorder(con)
    E.answer(r, Question("cases", measure="on_time_rate", group=("quarter", "category"),
                         keywords=("车",)), f, targets=TARGETS)
    E.answer(r, Question("activities", group=("month", "partner"), measure="sum:services",
                         ranges=(("participants", 1.0, None),)), f)
    E.answer(r, Question("volunteer_hours", group=("team",), measure="sum:points"), f)
    E.rows(r, Question("activities", keywords=("'",)), f)
    E.options(r, "cases", f.allowed)
    E.options(r, "redemptions", f.allowed)
    E.options(r, "volunteer_hours", f.allowed)
    assert len(seen) >= 6
    for sql, params in seen:
        out = to_spark(sql, params)
        assert "$" not in out


@pytest.mark.parametrize("bad", [
    dict(table="people"), dict(table="cases", group=("volunteer_id",)), dict(table="cases", group=("a", "b", "c")),
    dict(table="cases", group=("month", "year")), dict(table="cases", measure="sum:hours"),
    dict(table="activities", measure="closure_rate"), dict(table="volunteers", group=("month",)),
    dict(table="cases", choices=(("summary", ("x",)),)), dict(table="cases", choices=(("case_id", ("x",)),)),
    dict(table="cases", ranges=(("satisfaction", 5.0, 1.0),)), dict(table="volunteers", keywords=("x",)),
    dict(table="cases", choices=(("category", ()),)), dict(table="activities", measure="sum:title"),
])
def test_the_catalogue_refuses_what_it_does_not_know(bad):
    with pytest.raises(QuestionError):
        Question(**bad)


def test_volunteer_ledgers_are_never_listed(con):
    f = Filters(date(2024, 1, 1), date(2024, 12, 31))
    for t in ("volunteer_hours", "redemptions", "volunteers"):
        with pytest.raises(QuestionError):
            E.rows(con, Question(t), f)
    for led in E.LEDGERS.values():
        assert not any("volunteer_id" in c.name or c.name == "name" for c in led.columns)


@pytest.mark.parametrize("q", [
    Question("volunteer_hours", group=("month", "team"), measure="sum:hours"),
    Question("volunteer_hours", group=("service",), measure="sum:points", choices=(("team", (TEAM, "便民服务队")),)),
    Question("volunteer_hours", group=("year", "community")),
    Question("volunteer_hours", measure="sum:hours", choices=(("service", ("义诊", "理发")), ("community", (NANWAN,)))),
])
def test_hours_from_the_summary_equal_the_hours_rows(con, raw, q, monkeypatch):
    """Whole-month periods read summary_team_span: the same answer as the hours rows (and as pandas)."""
    f = Filters(date(2024, 4, 1), date(2026, 3, 31), pillars=("志愿服务",), allowed=None)
    assert E._from_summary(q, f)
    got = E.answer(con, q, f)
    monkeypatch.setattr(E, "_from_summary", lambda *a: False)
    rows = E.answer(con, q, f)
    pd.testing.assert_frame_equal(got, rows, check_exact=False, rtol=1e-9)
    assert got["value"].sum() > 0 or q.choices
    h = raw["volunteer_hours"].merge(raw["volunteers"][["volunteer_id", "community", "team"]], on="volunteer_id")
    h = h[_between(h["date"], f.start, f.end)]
    for col, values in q.choices:
        h = h[h[col].isin(values)]
    col = {"count": None, "sum:hours": "hours", "sum:points": "points"}[q.measure]
    total = len(h) if col is None else h[col].sum()
    assert got["value"].sum() == pytest.approx(total)


def test_a_period_of_part_months_reads_the_hours_rows(con, raw):
    q = Question("volunteer_hours", group=("team",), measure="sum:hours")
    f = Filters(date(2025, 3, 15), date(2025, 8, 10))
    assert not E._from_summary(q, f)
    got = E.answer(con, q, f)
    h = raw["volunteer_hours"].merge(raw["volunteers"][["volunteer_id", "team"]], on="volunteer_id")
    h = h[_between(h["date"], f.start, f.end)]
    assert got["value"].sum() == pytest.approx(h["hours"].sum())


def test_rows_of_a_case_kpi_question_are_its_requests(con, raw):
    f = Filters(date(2025, 4, 1), date(2025, 6, 30), communities=(NANWAN,))
    got = E.rows(con, Question("cases", measure="closure_rate"), f, page_size=5000)
    c = raw["cases"]
    want = c[(c["community"] == NANWAN) & (c["kind"] == "居民诉求") & _between(c["opened_on"], f.start, f.end)]
    assert got.total == len(want) and set(got.frame["case_id"]) == set(want["case_id"])
    assert E.rows(con, Question("cases"), f).total > got.total  # every kind when the measure is a count


def test_the_answer_chart_follows_its_shape():
    from present import charts

    one = charts.render_answer(pd.DataFrame({"value": [12.0]}), [], "行数")
    assert [t.type for t in one.data] == ["indicator"] and one.data[0].value == 12.0
    months = pd.DataFrame({"month": ["2025-01", "2025-02"], "value": [1.0, 0.0]})
    assert [t.type for t in charts.render_answer(months, ["month"], "行数").data] == ["scatter"]
    cats = pd.DataFrame({"partner": ["<b>x</b>", None], "value": [3.0, 1.0]})
    bars = charts.render_answer(cats, ["partner"], "行数", none_label="（空）")
    assert bars.data[0].type == "bar" and "<b>" not in "".join(bars.data[0].y) and "（空）" in bars.data[0].y
    grid = pd.DataFrame({"category": ["a", "b", "a"], "quarter": ["2026Q1", "2025Q4", "2025Q4"],
                         "value": [1.0, 2.0, 3.0]})
    heat = charts.render_answer(grid, ["category", "quarter"], "办结率", lang="en", percent=True)
    assert heat.data[0].type == "heatmap" and list(heat.data[0].x) == ["Q4 2025", "Q1 2026"]  # time order, across
