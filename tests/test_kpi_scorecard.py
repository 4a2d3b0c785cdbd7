"""Scorecard and warnings against an independent recomputation from the pandas oracle."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from kpi import Filters, scorecard_ids
from kpi.catalogue import CATALOGUE
from kpi.scorecard import SCORE_CAP, baseline_periods, evaluate, score, scorecard, warning_level, warnings
from kpi.targets import Targets
from tests.factories import random_warehouse, reference, scope_communities, tiny_warehouse

IDS = scorecard_ids()


def _first_dates(frames) -> dict:
    c = frames["cases"]
    out = {"activities": frames["activities"]["date"].min(), "volunteers": frames["volunteer_hours"]["date"].min()}
    for kind in ("居民诉求", "矛盾纠纷", "安全隐患"):
        out[kind] = c.loc[c["kind"] == kind, "opened_on"].min()
    return {k: (None if pd.isna(v) else v.date()) for k, v in out.items()}


def _score(v, t, higher):
    if v is None or t is None:
        return None
    if higher:
        s = (1.0 if v == 0 else 2.0) if t == 0 else v / t
    else:
        s = (1.0 if t == 0 else 2.0) if v == 0 else t / v
    return min(max(s, 0.0), 2.0)


def expected(frames, f, targets):
    """community → kpi_id → (value, baseline, target, score, level), recomputed from raw frames."""
    periods, p = [], f
    for _ in range(4):
        p = p.previous_period()
        periods.append(p)
    firsts = _first_dates(frames)
    out = {}
    for comm in scope_communities(frames, f)["community"]:
        fc = replace(f, communities=(comm,))
        now = reference(frames, fc, targets)
        hist = [reference(frames, fc.with_period(q.start, q.end), targets) for q in periods]
        out[comm] = {}
        for kid in IDS:
            k = CATALOGUE[kid]
            first = firsts[k.source]
            xs = [h[kid] for q, h in zip(periods, hist, strict=True)
                  if first is not None and q.start >= first.replace(day=1) and h[kid] is not None]
            base = sum(xs) / len(xs) if xs else None
            t = targets.community_targets.get(kid, {}).get(comm, targets.targets.get(kid, base))
            v = now[kid]
            level = None
            if v is not None and base:
                worse = (base - v) / base if k.higher_is_better else (v - base) / base
                level = "red" if worse >= 0.5 - 1e-9 else "yellow" if worse >= 0.3 - 1e-9 else None
            out[comm][kid] = (v, base, t, _score(v, t, k.higher_is_better), level)
    return out


def _close(a, b):
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a is not None and not math.isnan(a) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scorecard_matches_independent_recomputation(seed):
    w = random_warehouse(seed, communities=3, activities=400, cases=400, volunteers=30, hours=500,
                         start=date(2023, 3, 10))
    comms = list(w.frames["communities"]["name"])
    targets = Targets(targets={"closure_rate": 90.0, "satisfaction_rate": 80.0},
                      community_targets={"closure_rate": {comms[0]: 50.0}}, sla_days={"晾晒": 20})
    f = Filters(date(2024, 4, 1), date(2024, 6, 30))
    ev = evaluate(w.con, f, targets)
    want = expected(w.frames, f, targets)
    d = ev.detail.set_index(["community", "kpi_id"])
    assert set(d.index.get_level_values(0)) == set(want)
    n_warn = {}
    for comm, kpis in want.items():
        for kid, (v, base, t, s, level) in kpis.items():
            row = d.loc[(comm, kid)]
            ctx = f"{comm} {kid}"
            assert _close(row["value"], v), ctx
            assert _close(row["baseline"], base), ctx
            assert _close(row["target"], t), ctx
            assert _close(row["score"], s), ctx
            assert (row["level"] if isinstance(row["level"], str) else None) == level, ctx
            n_warn[comm] = n_warn.get(comm, 0) + (level is not None)
        assert d.loc[(comms[0], "closure_rate"), "target_source"] == "community"
    table = ev.table.set_index("community")
    for comm, kpis in want.items():
        scores = [s for (_, _, _, s, _) in kpis.values() if s is not None]
        assert _close(table.loc[comm, "score"], sum(scores) / len(scores) if scores else None)
        assert table.loc[comm, "kpis_scored"] == len(scores)
        assert table.loc[comm, "warnings"] == n_warn[comm]
        for kid in IDS:
            assert _close(table.loc[comm, kid], kpis[kid][0])
            assert _close(table.loc[comm, f"{kid}_score"], kpis[kid][3])
    # scorecard() / warnings() are the evaluation's parts
    pd.testing.assert_frame_equal(scorecard(w.con, f, targets), ev.table)
    wr = warnings(w.con, f, targets)
    assert list(wr.columns) == ["community", "kpi_id", "value", "baseline", "change", "level"]
    assert len(wr) == sum(n_warn.values())
    assert list(wr["level"]) == sorted(wr["level"], key=lambda x: x != "red")


def test_table_is_sorted_and_ranked():
    w = random_warehouse(4, communities=4, activities=300, cases=300, volunteers=30, hours=300)
    t = evaluate(w.con, Filters(date(2024, 4, 1), date(2024, 6, 30)), Targets()).table
    assert list(t.columns[:7]) == ["community", "rank", "score", "kpis_scored", "warnings", "red_warnings", IDS[0]]
    s = t["score"].dropna()
    assert list(s) == sorted(s, reverse=True)
    assert t["rank"].iloc[0] == 1


def test_score_function():
    assert score(90, 90, True) == 1.0
    assert score(45, 90, True) == 0.5
    assert score(500, 90, True) == SCORE_CAP  # capped
    assert score(10, 5, False) == 0.5  # lower is better: target ÷ actual
    assert score(0, 5, False) == SCORE_CAP
    assert score(0, 0, False) == 1.0 and score(0, 0, True) == 1.0
    assert score(3, 0, True) == SCORE_CAP and score(3, 0, False) == 0.0
    assert score(None, 5, True) is None and score(5, None, True) is None and score(float("nan"), 1, True) is None


def test_warning_levels_respect_direction():
    assert warning_level(-0.29, True) is None
    assert warning_level(-0.30, True) == "yellow"
    assert warning_level(-0.49, True) == "yellow"
    assert warning_level(-0.50, True) == "red"
    assert warning_level(+0.80, True) is None  # improvement
    assert warning_level(+0.30, False) == "yellow"  # lower is better: rising is bad
    assert warning_level(+0.55, False) == "red"
    assert warning_level(-0.90, False) is None
    assert warning_level(None, True) is None


def test_baseline_periods_are_previous_quarters():
    f = Filters(date(2024, 4, 1), date(2024, 6, 30))
    assert baseline_periods(f) == [
        (date(2024, 1, 1), date(2024, 3, 31)), (date(2023, 10, 1), date(2023, 12, 31)),
        (date(2023, 7, 1), date(2023, 9, 30)), (date(2023, 4, 1), date(2023, 6, 30)),
    ]


def test_baseline_skips_periods_before_the_ledger_begins_and_warns():
    comm = [{"name": "南湾社区", "street": "沌阳街道", "households": 100}]
    acts = [{"date": d, "community": "南湾社区", "participants": n, "partner": "薛锋综合"}
            for d, n in (("2023-10-03", 100), ("2024-02-03", 60), ("2024-02-04", 40), ("2024-05-01", 45))]
    w = tiny_warehouse(communities=comm, activities=acts)
    f = Filters(date(2024, 4, 1), date(2024, 6, 30))
    ev = evaluate(w.con, f, Targets())
    d = ev.detail.set_index("kpi_id")
    # activities begin in 2023-10: only Q4 2023 and Q1 2024 count (Q2, Q3 2023 would be misleading zeros)
    assert d.loc["participants_per_100_households", "baseline"] == 100.0
    assert d.loc["participants_per_100_households", "baseline_periods"] == 2
    assert d.loc["participants_per_100_households", "score"] == pytest.approx(0.45)
    assert d.loc["partner_activities", "baseline"] == 1.5
    assert d.loc["participants_per_100_households", "level"] == "red"  # −55 %
    assert d.loc["partner_activities", "level"] == "yellow"  # 1 vs 1.5: −33 %
    assert pd.isna(d.loc["closure_rate", "score"])  # no cases at all: no value, no score
    assert ev.table.loc[0, "warnings"] == 2 and ev.table.loc[0, "red_warnings"] == 1
    # data beginning mid-quarter (2023-11): that partial quarter does not count either
    acts[0]["date"] = "2023-11-03"
    w = tiny_warehouse(communities=comm, activities=acts)
    d = evaluate(w.con, f, Targets()).detail.set_index("kpi_id")
    assert d.loc["partner_activities", "baseline_periods"] == 1 and d.loc["partner_activities", "baseline"] == 2


def test_pillar_filter_leaves_out_of_scope_kpis_unscored():
    w = random_warehouse(8, communities=2, activities=200, cases=200, volunteers=20, hours=200)
    ev = evaluate(w.con, Filters(date(2024, 4, 1), date(2024, 6, 30), pillars=("联动联建",)), Targets())
    d = ev.detail
    out = d[d["kpi_id"].map(lambda k: CATALOGUE[k].pillar not in (None, "联动联建"))]
    assert out["score"].isna().all() and out["level"].isna().all()


def test_empty_scope():
    w = tiny_warehouse()
    ev = evaluate(w.con, Filters(date(2024, 4, 1), date(2024, 6, 30)), Targets())
    assert ev.table.empty and ev.warnings.empty
    assert "score" in ev.table.columns
