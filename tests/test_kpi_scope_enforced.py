"""The viewer's scope (`Filters.allowed`) is enforced in kpi/, whatever the chosen filters say.

The property: for random warehouses and random filters (periods, chosen communities — inside and outside
the allowed one —, compounds, pillars), every public kpi function called with `allowed=(C,)` returns exactly
what the same call returns, with `allowed=None`, on a copy of the warehouse that holds only community C's
rows (its register rows, compounds, activities, cases, volunteers and their hours and redemptions). The
chosen filters are passed unchanged to the copy, where communities other than C select nothing — which is
the intersection of the chosen and the allowed communities. Every free-text column of the random warehouse
carries the name of the community the row belongs to, and no string anywhere in a result may contain the
name of another community.

Every public function of the kpi modules that takes a connection must be listed in CALLS (or in
NOT_A_SCOPE_QUERY with the reason), so a new query cannot be added without this test covering it.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import fields, is_dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.contract import PILLARS
from kpi import (
    disputes,
    engagement,
    engine,
    explore,
    issues,
    safety,
    scope,
    scorecard,
    series,
    services,
    stories,
    submissions,
    volunteers,
)
from kpi.catalogue import headline_ids, scorecard_ids
from kpi.filters import Filters
from kpi.targets import Targets
from tests.factories import COMPOUND_NAMES, build, random_frames, tiny_warehouse

T = Targets(sla_default_days=30, sla_days={"房屋漏水": 45, "人车分流": 10},
            targets={"closure_rate": 90.0, "participants_per_100_households": 40.0},
            community_targets={"closure_rate": {"社区A": 95.0, "社区B": 80.0}})
NAMES = ("社区A", "社区B", "社区C")
START = date(2023, 1, 1)
SPAN = 730
MONTHLY_IDS = list(dict.fromkeys([*headline_ids(), *scorecard_ids(), "open_backlog", "retention_rate"]))


# ------------------------------------------------------------------------------------------------ warehouses

def _own_compound(c: str) -> str:
    return f"{c}自建小区"


@functools.cache
def full_frames(seed: int) -> dict[str, pd.DataFrame]:
    """A random 3-community warehouse whose every free-text value names the community the row belongs to."""
    fr = {k: v.copy() for k, v in random_frames(seed, communities=3, activities=90, cases=110, volunteers=18,
                                                    hours=160, start=START, days=SPAN).items()}
    rng = np.random.default_rng(1000 + seed)
    comp = fr["compounds"]
    own = pd.DataFrame({"community": list(NAMES), "name": [_own_compound(c) for c in NAMES],
                        "households": rng.integers(0, 900, size=3).astype("int64"), "batch_id": "b"})
    fr["compounds"] = pd.concat([comp, own], ignore_index=True)

    a = fr["activities"]
    a["title"] = a["community"] + a["activity_type"] + "活动"
    mine = rng.random(len(a)) < 0.3
    a.loc[mine, "compound"] = [_own_compound(c) for c in a.loc[mine, "community"]]
    named = rng.random(len(a)) < 0.3
    a.loc[named, "partner"] = a.loc[named, "community"] + "共建单位"
    a["note"] = a["community"] + "备注"

    c = fr["cases"]
    c["summary"] = c["community"] + "：" + c["category"]
    c["source"] = [f"{x}网格" if rng.random() < 0.5 else "12345热线" for x in c["community"]]
    mine = rng.random(len(c)) < 0.3
    c.loc[mine, "compound"] = [_own_compound(x) for x in c.loc[mine, "community"]]

    v = fr["volunteers"]
    v["team"] = [f"{x}服务队" if rng.random() < 0.7 else None for x in v["community"]]
    home = dict(zip(v["volunteer_id"], v["community"], strict=True))
    h = fr["volunteer_hours"]
    ids = a["activity_id"].tolist()
    h["activity_id"] = [str(rng.choice(ids)) if ids and rng.random() < 0.6 else None for _ in range(len(h))]
    h["service"] = [f"{home.get(x, '无名')}义诊" for x in h["volunteer_id"]]
    r = fr["redemptions"]
    r["item"] = [f"{home.get(x, '无名')}纪念品×{int(rng.integers(1, 4))}" for x in r["volunteer_id"]]
    return fr


def only(frames: dict[str, pd.DataFrame], c: str) -> dict[str, pd.DataFrame]:
    """The warehouse a community-only office would have: community c's rows and nothing else."""
    out = dict(frames)
    out["communities"] = frames["communities"][frames["communities"]["name"] == c]
    for t in ("compounds", "activities", "cases", "volunteers"):
        out[t] = frames[t][frames[t]["community"] == c]
    vids = set(out["volunteers"]["volunteer_id"])
    for t in ("volunteer_hours", "redemptions"):
        out[t] = frames[t][frames[t]["volunteer_id"].isin(vids)]
    return {k: v.reset_index(drop=True) for k, v in out.items()}


@functools.cache
def full_con(seed: int):
    return build(full_frames(seed))


@functools.cache
def only_con(seed: int, c: str):
    return build(only(full_frames(seed), c))


# ------------------------------------------------------------------------------------------------ the calls

def _monthly(con, f, by=None):
    return series.monthly(con, f, MONTHLY_IDS, by=by, targets=T)


def _compute(con, f, by=None):
    p = f.previous_period()
    return engine.compute(con, f, [(f.start, f.end), (p.start, p.end)], by=by, targets=T)


def _value(con, f):
    return [engine.value(con, f, k, targets=T) for k in ("participants_per_100_households", "closure_rate",
                                                         "active_volunteers", "visit_coverage")]


def _households(con, f):
    cur = con.cursor()
    try:
        return scope.households(cur, f)
    finally:
        cur.close()


# (name, function covered, call); every call takes (con, filters).
CALLS = [
    ("values", engine.values, lambda con, f: engine.values(con, f, targets=T)),
    ("values by community", engine.values, lambda con, f: engine.values(con, f, by="community", targets=T)),
    ("value", engine.value, _value),
    ("compare", engine.compare, lambda con, f: engine.compare(con, f, targets=T)),
    ("compare by community", engine.compare, lambda con, f: engine.compare(con, f, by="community", targets=T)),
    ("compute", engine.compute, _compute),
    ("compute by community", engine.compute, lambda con, f: _compute(con, f, "community")),
    ("monthly", series.monthly, _monthly),
    ("monthly by community", series.monthly, lambda con, f: _monthly(con, f, "community")),
    ("monthly_by_pillar", series.monthly_by_pillar, series.monthly_by_pillar),
    ("households", scope.households, _households),
    ("engagement.by_type", engagement.by_type, engagement.by_type),
    ("engagement.partners", engagement.partners, engagement.partners),
    ("engagement.compound_month", engagement.compound_month, engagement.compound_month),
    ("engagement.activity_list", engagement.activity_list, engagement.activity_list),
    ("engagement.activity_list page", engagement.activity_list,
     lambda con, f: engagement.activity_list(con, f, {"pillar": "平安建设"}, sort="participants", limit=5)),
    ("engagement.activity_count", engagement.activity_count, engagement.activity_count),
    ("issues.breakdown category", issues.breakdown, lambda con, f: issues.breakdown(con, f, "category", targets=T)),
    ("issues.breakdown source", issues.breakdown, lambda con, f: issues.breakdown(con, f, "source", targets=T)),
    ("issues.days_to_close", issues.days_to_close, issues.days_to_close),
    ("issues.backlog_aging", issues.backlog_aging, lambda con, f: issues.backlog_aging(con, f, targets=T)),
    *[(f"issues.case_list {w}", issues.case_list,
       functools.partial(lambda con, f, w: issues.case_list(con, f, w, targets=T), w=w)) for w in issues.CASE_LISTS],
    ("disputes.breakdown", disputes.breakdown, disputes.breakdown),
    ("disputes.outcomes", disputes.outcomes, disputes.outcomes),
    ("disputes.days_histogram", disputes.days_histogram, disputes.days_histogram),
    ("disputes.case_list", disputes.case_list, disputes.case_list),
    ("safety.hazard_flow", safety.hazard_flow, safety.hazard_flow),
    ("safety.breakdown", safety.breakdown, safety.breakdown),
    ("safety.fix_days_histogram", safety.fix_days_histogram, safety.fix_days_histogram),
    ("safety.hazard_list", safety.hazard_list, safety.hazard_list),
    ("safety.visit_coverage_by_quarter", safety.visit_coverage_by_quarter, safety.visit_coverage_by_quarter),
    ("services.services_by_type", services.services_by_type, services.services_by_type),
    ("services.service_summary", services.service_summary, services.service_summary),
    ("services.services_monthly", services.services_monthly, services.services_monthly),
    ("services.services_monthly repair", services.services_monthly,
     lambda con, f: services.services_monthly(con, f, "repair")),
    ("services.providers", services.providers, services.providers),
    ("services.teams", services.teams, services.teams),
    ("services.service_list", services.service_list, services.service_list),
    ("services.service_count", services.service_count, services.service_count),
    ("volunteers.redemption_items", volunteers.redemption_items, volunteers.redemption_items),
    ("volunteers.teams", volunteers.teams, volunteers.teams),
    ("volunteers.retention_cohorts", volunteers.retention_cohorts, volunteers.retention_cohorts),
    ("volunteers.service_summary", volunteers.service_summary, volunteers.service_summary),
    ("scorecard.evaluate", scorecard.evaluate, lambda con, f: scorecard.evaluate(con, f, T)),
    ("scorecard.scorecard", scorecard.scorecard, lambda con, f: scorecard.scorecard(con, f, T)),
    ("scorecard.warnings", scorecard.warnings, lambda con, f: scorecard.warnings(con, f, T)),
    *[(f"explore.answer {n}", explore.answer,
       functools.partial(lambda con, f, q: explore.answer(con, q, f, targets=T), q=q)) for n, q in enumerate((
        explore.Question("activities", group=("community", "partner"), measure="sum:participants"),
        explore.Question("cases", group=("month", "compound")),
        explore.Question("cases", measure="closure_rate", group=("category",)),
        explore.Question("volunteer_hours", group=("team",), measure="sum:hours"),
        explore.Question("redemptions", group=("quarter", "item"), measure="sum:points"),
        explore.Question("volunteers", group=("community",)),
    ))],
    ("explore.rows", explore.rows, lambda con, f: explore.rows(con, explore.Question("cases"), f, page_size=1000)),
    ("explore.options", explore.options, lambda con, f: [explore.options(con, t, f.allowed)
                                                         for t in explore.TABLES]),
    ("submissions.submissions", submissions.submissions,
     lambda con, f: submissions.submissions(con, f, date(2024, 6, 28))),
    # one record by id (ids of every seed's warehouse: a case of another community must read as no case at all)
    ("stories.case_story", stories.case_story,
     lambda con, f: tuple(stories.case_story(con, f"C{s}-{i}", allowed=f.allowed, today=date(2024, 6, 28), targets=T)
                          for s in range(4) for i in range(6))),
    ("stories.activity_story", stories.activity_story,
     lambda con, f: tuple(stories.activity_story(con, f"A{s}-{i}", allowed=f.allowed)
                          for s in range(4) for i in range(6))),
]
# Public functions that take a connection but are checked elsewhere or read no community's data.
NOT_A_SCOPE_QUERY = {
    scope.scope_options: "takes `allowed` itself: test_scope_options_list_only_the_allowed_community",
    scope.data_starts: "first date of each ledger, warehouse-wide by design (kpi/scope.py); no community",
    scorecard.standing: "the one documented exception: test_standing_* below",
    submissions.load_history: "takes `allowed` itself (batches, not rows): tests/test_kpi_submissions.py",
}
MODULES = (engine, explore, series, scope, engagement, issues, disputes, safety, services, volunteers, scorecard,
           submissions, stories)


def test_every_query_function_is_covered():
    """A public function taking `con` / `cur` in a kpi module must be in CALLS or NOT_A_SCOPE_QUERY."""
    covered = {fn for _, fn, _ in CALLS} | set(NOT_A_SCOPE_QUERY)
    found = set()
    for m in MODULES:
        for name, fn in inspect.getmembers(m, inspect.isfunction):
            if fn.__module__ != m.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] in ("con", "cur"):
                found.add(fn)
    missing = sorted(f"{fn.__module__}.{fn.__name__}" for fn in found - covered)
    assert not missing, f"add these to CALLS in {__file__}: {missing}"
    assert len(found) >= 35  # the discovery itself works


# ------------------------------------------------------------------------------------------------ comparing

def _cells(obj):
    """Every leaf value of a result (frames, dataclasses, lists, scalars), for the name scan."""
    if isinstance(obj, pd.DataFrame):
        yield from (str(c) for c in obj.columns)
        for col in obj.columns:
            yield from obj[col].tolist()
    elif is_dataclass(obj):
        for fld in fields(obj):
            yield from _cells(getattr(obj, fld.name))
    elif isinstance(obj, list | tuple):
        for x in obj:
            yield from _cells(x)
    else:
        yield obj


def _normal(df: pd.DataFrame) -> pd.DataFrame:
    """Row order aside (tested elsewhere), with plain NaN for missing values."""
    df = df.reset_index(drop=True)
    if len(df):
        df = df.sort_values(list(df.columns), key=lambda s: s.astype(str), kind="stable").reset_index(drop=True)
    return df.astype(object).where(df.notna(), np.nan)


def assert_same(got, want, context: str) -> None:
    if isinstance(want, pd.DataFrame):
        assert isinstance(got, pd.DataFrame), context
        assert list(got.columns) == list(want.columns), context
        assert len(got) == len(want), f"{context}: {len(got)} rows, want {len(want)}\n{got}\n{want}"
        pd.testing.assert_frame_equal(_normal(got), _normal(want), check_dtype=False, check_exact=False,
                                      rtol=1e-9, atol=1e-9, obj=context)
    elif is_dataclass(want):
        for fld in fields(want):
            assert_same(getattr(got, fld.name), getattr(want, fld.name), f"{context}.{fld.name}")
    elif isinstance(want, list | tuple) and not isinstance(want, str):
        assert len(got) == len(want), context
        for n, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{context}[{n}]")
    elif want is None or (isinstance(want, float) and math.isnan(want)):
        assert got is None or (isinstance(got, float) and math.isnan(got)), f"{context}: {got!r}, want {want!r}"
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{context}: {got!r}, want {want!r}"
    else:
        assert got == want, f"{context}: {got!r}, want {want!r}"


def assert_nothing_of_others(result, c: str, context: str) -> None:
    others = [n for n in NAMES if n != c]
    for cell in _cells(result):
        if isinstance(cell, str):
            assert not any(o in cell for o in others), f"{context}: {cell!r} names another community than {c}"
    frames = [result] if isinstance(result, pd.DataFrame) else \
        [getattr(result, f.name) for f in fields(result)] if is_dataclass(result) else []
    for df in frames:
        if isinstance(df, pd.DataFrame) and "community" in df:
            assert set(df["community"].dropna()) <= {c}, f"{context}: rows of {set(df['community'])}"


# ------------------------------------------------------------------------------------------------ the property

@st.composite
def scenario(draw):
    seed = draw(st.integers(0, 3))
    c = draw(st.sampled_from(NAMES))
    start = START + timedelta(days=draw(st.integers(-60, SPAN)))
    end = start + timedelta(days=draw(st.integers(0, 420)))
    chosen = tuple(draw(st.lists(st.sampled_from([*NAMES, "不存在的社区"]), unique=True, max_size=3)))
    compound_pool = [*COMPOUND_NAMES, *(_own_compound(x) for x in NAMES)]
    compounds = tuple(draw(st.one_of(st.just([]), st.lists(st.sampled_from(compound_pool), unique=True,
                                                            min_size=1, max_size=3))))
    pillars = tuple(draw(st.one_of(st.just([]), st.lists(st.sampled_from(PILLARS), unique=True, min_size=1,
                                                          max_size=2))))
    return seed, c, Filters(start, end, chosen, compounds, pillars)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_a_community_viewer_gets_exactly_its_own_communitys_data(case):
    seed, c, f = case
    scoped = f.restricted_to((c,))
    full, mine = full_con(seed), only_con(seed, c)
    starts = scope.data_starts(full)  # warehouse-wide by design: the copy is given the same
    for name, _, call in CALLS:
        got = call(full, scoped)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(scope, "data_starts", lambda con: starts)
            want = call(mine, f)
        context = f"{name} seed={seed} allowed={c} {f}"
        assert_same(got, want, context)
        assert_nothing_of_others(got, c, context)


@pytest.mark.parametrize("seed", range(2))
def test_scope_options_list_only_the_allowed_community(seed):
    full = full_con(seed)
    for c in NAMES:
        got, want = scope.scope_options(full, allowed=(c,)), scope.scope_options(only_con(seed, c))
        for fld in ("communities", "compounds", "pillars"):
            assert_same(getattr(got, fld), getattr(want, fld), f"{c} {fld}")
        assert_nothing_of_others(got, c, "scope_options")
        everything = scope.scope_options(full)
        assert (got.min_date, got.max_date, got.data_version) == (everything.min_date, everything.max_date,
                                                                  everything.data_version)
        assert list(everything.communities["community"]) == list(NAMES)
    nobody = scope.scope_options(full, allowed=())
    assert nobody.communities.empty and nobody.compounds.empty and nobody.pillars == ()


def test_an_empty_intersection_reads_nothing_never_everything():
    full = full_con(0)
    f = Filters(START, START + timedelta(days=SPAN))
    for scoped in (f.restricted_to(()), replace(f, communities=("社区B",)).restricted_to(("社区A",))):
        v = dict(zip(*engine.values(full, scoped, targets=T)[["kpi_id", "value"]].T.values, strict=True))
        assert v["activities"] == 0 and v["cases_opened"] == 0 and v["registered_volunteers"] == 0
        assert math.isnan(v["participants_per_100_households"])
        assert engine.values(full, scoped, by="community", targets=T).empty
        assert engagement.activity_list(full, scoped).empty
        assert issues.case_list(full, scoped, "opened", targets=T).empty
        assert scorecard.evaluate(full, scoped, T).table.empty
    # and the unrestricted call does see data (the test would be empty otherwise)
    assert engine.value(full, f, "activities") == len(full_frames(0)["activities"])


# ------------------------------------------------------------------------------------------------ Filters

def test_filters_allowed_narrows_and_survives_period_changes():
    f = Filters(date(2024, 1, 1), date(2024, 3, 31), communities=("社区A", "社区B"))
    assert f.allowed is None and not f.restricted
    g = f.restricted_to(["社区B", "社区C"])
    assert g.allowed == ("社区B", "社区C") and g.communities == ("社区A", "社区B") and g.restricted
    assert g.restricted_to(("社区C", "社区D")).allowed == ("社区C",)  # can only narrow
    assert g.restricted_to(()).allowed == ()
    assert g.restricted_to(None) is g
    assert f.restricted_to(None).allowed is None
    for h in (g.previous_period(), g.year_earlier(), g.with_period(date(2023, 1, 1), date(2023, 1, 31))):
        assert h.allowed == ("社区B", "社区C")
    assert g.previous_period().start == date(2023, 10, 1)
    assert hash(g) == hash(Filters(date(2024, 1, 1), date(2024, 3, 31), ("社区A", "社区B"),
                                   allowed=["社区B", "社区C"]))
    with pytest.raises(TypeError):
        Filters(date(2024, 1, 1), date(2024, 1, 2), allowed="社区A")  # would read as the characters 社, 区, A


# ------------------------------------------------------------------------------------------------ standing

def _standing_warehouse():
    """Three communities of 沌阳街道 and one of 军山街道; the only scored KPI is 共建活动场次 (target 10):
    社区A 5 partner activities (score 0.5), 社区B 10 (1.0), 社区C 30 (capped 2.0), 社区D 1 (0.1)."""
    comms = [{"name": n, "street": s, "households": 100} for n, s in
             (("社区A", "沌阳街道"), ("社区B", "沌阳街道"), ("社区C", "沌阳街道"), ("社区D", "军山街道"))]
    acts = []
    for c, n in (("社区A", 5), ("社区B", 10), ("社区C", 30), ("社区D", 1)):
        acts += [{"date": "2024-02-10", "community": c, "partner": "物业"} for _ in range(n)]
    return tiny_warehouse(communities=comms, activities=acts)


def test_standing_ranks_within_the_street_and_names_no_one_else():
    w = _standing_warehouse()
    t = Targets(targets={"partner_activities": 10})
    f = Filters(date(2024, 1, 1), date(2024, 3, 31)).restricted_to(("社区A",))
    s = scorecard.standing(w.con, f, t, "社区A")
    assert (s.community, s.street, s.rank, s.communities_ranked) == ("社区A", "沌阳街道", 3, 3)
    assert s.score == pytest.approx(0.5)
    assert s.street_average_score == pytest.approx((0.5 + 1.0 + 2.0) / 3)
    assert not any(isinstance(x, str) and any(o in x for o in ("社区B", "社区C", "社区D")) for x in _cells(s))
    # the chosen communities and compounds do not narrow the ranking
    s2 = scorecard.standing(w.con, replace(f, communities=("社区A",), compounds=("一期",)), t, "社区A")
    assert (s2.rank, s2.communities_ranked) == (3, 3)
    c = scorecard.standing(w.con, Filters(f.start, f.end), t, "社区C")
    assert (c.rank, c.score) == (1, 2.0)
    d = scorecard.standing(w.con, Filters(f.start, f.end), t, "社区D")
    assert (d.rank, d.communities_ranked, d.street_average_score) == (1, 1, pytest.approx(0.1))


def test_standing_refuses_a_community_outside_the_scope():
    w = _standing_warehouse()
    f = Filters(date(2024, 1, 1), date(2024, 3, 31)).restricted_to(("社区A",))
    with pytest.raises(scorecard.ScopeError):
        scorecard.standing(w.con, f, Targets(), "社区B")
    with pytest.raises(KeyError):
        scorecard.standing(w.con, Filters(f.start, f.end), Targets(), "不存在的社区")
