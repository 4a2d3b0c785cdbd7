"""Every KPI against the independent pandas oracle in factories.reference, on random warehouses."""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpi
from kpi import Filters
from kpi.catalogue import CATALOGUE
from kpi.targets import Targets
from tests.factories import random_warehouse, reference, reference_by_community

TARGETS = Targets(sla_default_days=30, sla_days={"房屋漏水": 45, "人车分流": 10})


def same(a, b) -> bool:
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a is not None and not math.isnan(a) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_matches(got: dict, want: dict, context: str) -> None:
    bad = {k: (got[k], want[k]) for k in CATALOGUE if not same(got[k], want[k])}
    assert not bad, f"{context}: (sql, pandas) differ: {bad}"


def scalar(w, f) -> dict:
    df = kpi.values(w.con, f, targets=TARGETS)
    assert list(df.columns) == ["kpi_id", "value"]
    assert list(df["kpi_id"]) == list(CATALOGUE)
    return dict(zip(df["kpi_id"], df["value"], strict=True))


PERIODS = [
    (date(2023, 4, 1), date(2023, 6, 30)),  # a quarter
    (date(2024, 1, 1), date(2024, 12, 31)),  # a year
    (date(2024, 2, 1), date(2024, 2, 29)),  # a month
    (date(2023, 11, 17), date(2024, 3, 3)),  # an arbitrary span
    (date(2022, 1, 1), date(2022, 3, 31)),  # before any data
]


@functools.cache
def _warehouse(seed: int):
    return random_warehouse(seed, communities=3, activities=150, cases=200, volunteers=25, hours=250)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
def test_every_kpi_matches_pandas_whole_scope(seed, period):
    w = _warehouse(seed)
    f = Filters(*period)
    assert_matches(scalar(w, f), reference(w.frames, f, TARGETS), f"seed {seed}")


@pytest.mark.parametrize("seed", range(6))
def test_filters_communities_compounds_pillars(seed):
    w = random_warehouse(seed, communities=4, activities=200, cases=200, volunteers=30, hours=300)
    comms = tuple(w.frames["communities"]["name"])
    compounds = tuple(w.frames["compounds"]["name"].unique())
    base = Filters(date(2023, 7, 1), date(2024, 6, 30))
    variants = [
        replace(base, communities=comms[:2]),
        replace(base, compounds=compounds[:2]),
        replace(base, communities=comms[1:], compounds=compounds[:1]),
        replace(base, pillars=("志愿服务",)),
        replace(base, pillars=("居民自治", "联动联建")),
        replace(base, pillars=("社会治理",), communities=comms[:1]),
        replace(base, communities=("不存在的社区",)),
    ]
    for f in variants:
        assert_matches(scalar(w, f), reference(w.frames, f, TARGETS), f"seed {seed} {f}")


@pytest.mark.parametrize("seed", range(4))
def test_by_community_matches_per_community_pandas(seed):
    w = random_warehouse(seed, communities=4, activities=200, cases=250, volunteers=30, hours=300)
    compounds = tuple(w.frames["compounds"]["name"].unique())
    for f in (Filters(date(2024, 1, 1), date(2024, 3, 31)),
              Filters(date(2023, 1, 1), date(2024, 12, 31), compounds=compounds[:2])):
        df = kpi.values(w.con, f, by="community", targets=TARGETS)
        assert list(df.columns) == ["community", "kpi_id", "value"]
        want = reference_by_community(w.frames, f, TARGETS)
        assert set(df["community"]) == set(want)
        for comm, rows in df.groupby("community"):
            got = dict(zip(rows["kpi_id"], rows["value"], strict=True))
            assert_matches(got, want[comm], f"seed {seed} {comm}")


def test_by_community_sums_to_scalar_for_additive_counts():
    w = random_warehouse(11, communities=4, activities=300, cases=300, volunteers=40, hours=400)
    f = Filters(date(2024, 1, 1), date(2024, 6, 30))
    by = kpi.values(w.con, f, by="community", targets=TARGETS)
    total = scalar(w, f)
    for kid in ("activities", "participants", "partner_activities", "cases_opened", "open_backlog",
                "service_hours", "points_balance", "registered_volunteers", "active_volunteers"):
        assert by.loc[by["kpi_id"] == kid, "value"].sum() == pytest.approx(total[kid])


@st.composite
def scenario(draw):
    seed = draw(st.integers(0, 10_000))
    w_kw = dict(communities=draw(st.integers(1, 4)), activities=draw(st.integers(0, 80)),
                cases=draw(st.integers(0, 80)), volunteers=draw(st.integers(0, 15)), hours=draw(st.integers(0, 80)))
    y = draw(st.integers(2023, 2024))
    m = draw(st.integers(1, 12))
    start = date(y, m, draw(st.integers(1, 28)))
    length = draw(st.integers(0, 400))
    end = date.fromordinal(start.toordinal() + length)
    return seed, w_kw, start, end, draw(st.data())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_property_random_warehouses_and_filters(sc):
    seed, w_kw, start, end, data = sc
    w = random_warehouse(seed, **w_kw)
    comms = list(w.frames["communities"]["name"])
    compounds = sorted(set(w.frames["compounds"]["name"]))
    f = Filters(
        start, end,
        communities=tuple(data.draw(st.lists(st.sampled_from(comms), unique=True, max_size=len(comms)))),
        compounds=tuple(data.draw(st.lists(st.sampled_from(compounds), unique=True, max_size=2)))
        if compounds else (),
        pillars=tuple(data.draw(st.lists(st.sampled_from(["联动联建", "居民自治", "志愿服务", "社会治理"]),
                                         unique=True, max_size=2))),
    )
    assert_matches(scalar(w, f), reference(w.frames, f, TARGETS), str(f))


def test_value_returns_float_or_none():
    w = random_warehouse(3, communities=2, activities=50, cases=50, volunteers=10, hours=50)
    f = Filters(date(2023, 1, 1), date(2023, 12, 31))
    assert isinstance(kpi.value(w.con, f, "activities", targets=TARGETS), float)
    empty = Filters(date(2030, 1, 1), date(2030, 3, 31))
    assert kpi.value(w.con, empty, "closure_rate", targets=TARGETS) is None
    assert kpi.value(w.con, empty, "activities", targets=TARGETS) == 0.0


def test_ids_subset_and_errors():
    w = random_warehouse(3, communities=2, activities=50, cases=50, volunteers=10, hours=50)
    f = Filters(date(2023, 1, 1), date(2023, 12, 31))
    df = kpi.values(w.con, f, ["satisfaction_rate", "activities"], targets=TARGETS)
    assert list(df["kpi_id"]) == ["satisfaction_rate", "activities"]
    with pytest.raises(KeyError):
        kpi.values(w.con, f, ["no_such_kpi"], targets=TARGETS)
    with pytest.raises(ValueError):
        kpi.values(w.con, f, by="street", targets=TARGETS)
