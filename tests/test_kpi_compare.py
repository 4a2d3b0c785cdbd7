"""compare(): the same KPI for the previous period and a year earlier, checked against separate values() calls."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

import kpi
from kpi import Filters
from kpi.engine import better, relative_change
from kpi.targets import Targets
from tests.factories import random_warehouse, tiny_warehouse

T = Targets()


def _v(w, f, ids, by=None):
    df = kpi.values(w.con, f, ids, by=by, targets=T)
    keys = ["community", "kpi_id"] if by else ["kpi_id"]
    return df.set_index(keys)["value"]


@pytest.mark.parametrize("period", [(date(2024, 4, 1), date(2024, 6, 30)), (date(2024, 1, 1), date(2024, 1, 31)),
                                    (date(2024, 3, 10), date(2024, 5, 20))])
def test_compare_equals_separate_value_calls(period):
    w = random_warehouse(5, communities=3, activities=300, cases=300, volunteers=30, hours=400)
    f = Filters(*period)
    ids = list(kpi.CATALOGUE)
    df = kpi.compare(w.con, f, ids, targets=T)
    assert list(df.columns[:4]) == ["kpi_id", "current", "previous", "year_ago"]
    assert list(df["kpi_id"]) == ids
    got = df.set_index("kpi_id")
    for col, ff in (("current", f), ("previous", f.previous_period()), ("year_ago", f.year_earlier())):
        want = _v(w, ff, ids)
        pd.testing.assert_series_equal(got[col], want.rename(col), check_names=False)
    for kid, row in got.iterrows():
        for base, ch, de, bt in (("previous", "change_vs_previous", "delta_vs_previous", "better_vs_previous"),
                                 ("year_ago", "change_vs_year_ago", "delta_vs_year_ago", "better_vs_year_ago")):
            c, b = row["current"], row[base]
            if pd.isna(c) or pd.isna(b) or b == 0:
                assert pd.isna(row[ch])
            else:
                assert row[ch] == pytest.approx((c - b) / b)
            if pd.isna(c) or pd.isna(b) or c == b:
                assert row[bt] is None
            else:
                assert row[bt] == ((c > b) == kpi.CATALOGUE[kid].higher_is_better)
            if not (pd.isna(c) or pd.isna(b)):
                assert row[de] == pytest.approx(c - b)


def test_compare_by_community():
    w = random_warehouse(6, communities=3, activities=300, cases=300, volunteers=30, hours=400)
    f = Filters(date(2024, 4, 1), date(2024, 6, 30))
    ids = ["activities", "closure_rate", "active_volunteers"]
    df = kpi.compare(w.con, f, ids, by="community", targets=T)
    assert list(df.columns[:5]) == ["community", "kpi_id", "current", "previous", "year_ago"]
    got = df.set_index(["community", "kpi_id"])
    pd.testing.assert_series_equal(got["previous"], _v(w, f.previous_period(), ids, "community"),
                                   check_names=False)
    pd.testing.assert_series_equal(got["year_ago"], _v(w, f.year_earlier(), ids, "community"), check_names=False)


def test_direction_and_missing_bases():
    w = tiny_warehouse(
        communities=[{"name": "南湾社区", "street": "沌阳街道", "households": 100}],
        activities=[{"date": "2024-05-01", "community": "南湾社区", "participants": 5}],
        cases=[{"opened_on": "2024-01-01", "community": "南湾社区"},
               {"opened_on": "2024-02-01", "closed_on": "2024-02-03", "status": "已办结", "community": "南湾社区"}],
    )
    f = Filters(date(2024, 4, 1), date(2024, 6, 30))
    df = kpi.compare(w.con, f, ["activities", "open_backlog", "closure_rate"], targets=T).set_index("kpi_id")
    a = df.loc["activities"]
    assert (a["current"], a["previous"]) == (1, 0)
    assert math.isnan(a["change_vs_previous"])  # base 0 → no relative change
    assert a["better_vs_previous"] is True
    b = df.loc["open_backlog"]
    assert (b["current"], b["previous"]) == (1, 1) and b["better_vs_previous"] is None
    c = df.loc["closure_rate"]
    assert math.isnan(c["current"]) and c["previous"] == 50.0 and c["better_vs_previous"] is None


def test_helpers():
    assert list(relative_change([110.0, 5.0, 1.0, None], [100.0, 0.0, None, 3.0]).round(6).fillna(-99)) == [
        0.1, -99, -99, -99]
    ids = pd.Series(["closure_rate", "overdue_backlog", "overdue_backlog"])
    got = better(pd.Series([80.0, 2.0, 3.0]), pd.Series([90.0, 3.0, 3.0]), ids)
    assert list(got) == [False, True, None]
