"""Monthly series against pandas and against values() per month."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import kpi
from kpi import Filters
from kpi.series import month_periods, monthly, monthly_by_pillar, quarter_periods
from kpi.services import services_by_type
from kpi.targets import Targets
from tests.conftest import TARGETS
from tests.factories import random_warehouse


@pytest.mark.parametrize("f", [
    Filters(date(2023, 11, 15), date(2024, 3, 10)),
    Filters(date(2024, 1, 1), date(2024, 12, 31), pillars=("志愿服务", "社会治理")),
])
def test_monthly_by_pillar_matches_pandas(f):
    w = random_warehouse(9, communities=3, activities=500)
    got = monthly_by_pillar(w.con, f)
    assert list(got.columns) == ["month", "pillar", "activities", "participants"]
    a = w.frames["activities"]
    a = a[(a["date"] >= pd.Timestamp(f.start)) & (a["date"] <= pd.Timestamp(f.end))]
    if f.pillars:
        a = a[a["pillar"].isin(f.pillars)]
    want = a.groupby([a["date"].dt.to_period("M").dt.start_time.dt.date, "pillar"]).agg(
        activities=("participants", "size"), participants=("participants", "sum"))
    g = got.set_index(["month", "pillar"])
    for (m, p), row in want.iterrows():
        assert g.loc[(m, p), "activities"] == row["activities"]
        assert g.loc[(m, p), "participants"] == row["participants"]
    assert g["activities"].sum() == len(a)  # every other cell is a zero
    months = sorted(set(got["month"]))
    assert months[0] == date(f.start.year, f.start.month, 1) and len(months) == len(month_periods(f))
    pillars = list(f.pillars) if f.pillars else ["联动联建", "居民自治", "志愿服务", "社会治理"]
    assert len(got) == len(months) * len(pillars)


def test_monthly_equals_values_per_clipped_month():
    w = random_warehouse(10, communities=2, activities=300, cases=300, volunteers=20, hours=300)
    t = Targets()
    f = Filters(date(2024, 1, 20), date(2024, 4, 10))
    ids = ["activities", "closure_rate", "open_backlog", "active_volunteers", "retention_rate"]
    got = monthly(w.con, f, ids, targets=t)
    assert list(got.columns) == ["month", "kpi_id", "value"]
    assert month_periods(f) == [(date(2024, 1, 20), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29)),
                                (date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 4, 10))]
    for s, e in month_periods(f):
        want = kpi.values(w.con, f.with_period(s, e), ids, targets=t).set_index("kpi_id")["value"]
        have = got[got["month"] == s.replace(day=1)].set_index("kpi_id")["value"]
        pd.testing.assert_series_equal(have, want, check_names=False)
    by = monthly(w.con, f, ["activities"], by="community", targets=t)
    assert list(by.columns) == ["month", "community", "kpi_id", "value"]
    assert by["value"].sum() == got.loc[got["kpi_id"] == "activities", "value"].sum()


def test_services_by_type():
    w = random_warehouse(12, communities=2, activities=400)
    f = Filters(date(2023, 1, 1), date(2024, 12, 31))
    got = services_by_type(w.con, f)
    a = w.frames["activities"]
    a = a[a["pillar"] == "志愿服务"]
    want = a.groupby("activity_type")["services"].sum()
    assert dict(zip(got["activity_type"], got["services"], strict=True)) == {k: float(v) for k, v in want.items()}
    assert got["services"].sum() == kpi.value(w.con, f, "convenience_services", targets=TARGETS)
    assert services_by_type(w.con, Filters(f.start, f.end, pillars=("居民自治",))).empty


def test_quarter_periods():
    assert quarter_periods(date(2024, 5, 5), 3) == [
        (date(2023, 10, 1), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30))]
