"""Filters.previous_period() and year_earlier() against literal dates (they are the comparisons' oracle)."""

from __future__ import annotations

from datetime import date as D

import pytest

from kpi import Filters

YEAR_EARLIER = [
    pytest.param((D(2024, 1, 1), D(2024, 3, 31)), (D(2023, 1, 1), D(2023, 3, 31)), id="2024Q1"),
    pytest.param((D(2024, 4, 1), D(2024, 6, 30)), (D(2023, 4, 1), D(2023, 6, 30)), id="2024Q2"),
    pytest.param((D(2024, 10, 1), D(2024, 12, 31)), (D(2023, 10, 1), D(2023, 12, 31)), id="2024Q4"),
    pytest.param((D(2024, 4, 1), D(2024, 4, 30)), (D(2023, 4, 1), D(2023, 4, 30)), id="month 2024-04"),
    pytest.param((D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 2, 1), D(2023, 2, 28)), id="leap February"),
    pytest.param((D(2025, 2, 1), D(2025, 2, 28)), (D(2024, 2, 1), D(2024, 2, 29)), id="February after a leap year"),
    pytest.param((D(2024, 1, 1), D(2024, 12, 31)), (D(2023, 1, 1), D(2023, 12, 31)), id="year 2024"),
    pytest.param((D(2024, 2, 10), D(2024, 2, 29)), (D(2023, 2, 10), D(2023, 2, 28)), id="ends 2024-02-29"),
    pytest.param((D(2024, 1, 15), D(2024, 2, 29)), (D(2023, 1, 15), D(2023, 2, 28)), id="ends 2024-02-29, 2 months"),
    pytest.param((D(2024, 2, 29), D(2024, 3, 10)), (D(2023, 2, 28), D(2023, 3, 10)), id="starts 2024-02-29"),
    pytest.param((D(2024, 3, 5), D(2024, 3, 14)), (D(2023, 3, 5), D(2023, 3, 14)), id="custom 10 days"),
    pytest.param((D(2023, 12, 20), D(2024, 1, 10)), (D(2022, 12, 20), D(2023, 1, 10)), id="across a year end"),
    pytest.param((D(2024, 7, 1), D(2024, 7, 1)), (D(2023, 7, 1), D(2023, 7, 1)), id="one day"),
]


@pytest.mark.parametrize("period, expected", YEAR_EARLIER)
def test_year_earlier(period, expected):
    f = Filters(*period)
    y = f.year_earlier()
    assert (y.start, y.end) == expected


PREVIOUS = [
    pytest.param((D(2024, 1, 1), D(2024, 3, 31)), (D(2023, 10, 1), D(2023, 12, 31)), id="2024Q1 → 2023Q4"),
    pytest.param((D(2024, 4, 1), D(2024, 6, 30)), (D(2024, 1, 1), D(2024, 3, 31)), id="2024Q2 → 2024Q1"),
    pytest.param((D(2024, 7, 1), D(2024, 9, 30)), (D(2024, 4, 1), D(2024, 6, 30)), id="2024Q3 → 2024Q2"),
    pytest.param((D(2024, 1, 1), D(2024, 1, 31)), (D(2023, 12, 1), D(2023, 12, 31)), id="2024-01 → 2023-12"),
    pytest.param((D(2024, 3, 1), D(2024, 3, 31)), (D(2024, 2, 1), D(2024, 2, 29)), id="2024-03 → leap February"),
    pytest.param((D(2025, 3, 1), D(2025, 3, 31)), (D(2025, 2, 1), D(2025, 2, 28)), id="2025-03 → 2025-02"),
    pytest.param((D(2024, 5, 1), D(2024, 5, 31)), (D(2024, 4, 1), D(2024, 4, 30)), id="31 days → a 30-day month"),
    pytest.param((D(2024, 2, 1), D(2024, 4, 30)), (D(2023, 11, 1), D(2024, 1, 31)), id="3 whole months, off-quarter"),
    pytest.param((D(2024, 1, 1), D(2024, 12, 31)), (D(2023, 1, 1), D(2023, 12, 31)), id="year"),
    pytest.param((D(2024, 3, 5), D(2024, 3, 14)), (D(2024, 2, 24), D(2024, 3, 4)), id="custom 10 days"),
    pytest.param((D(2024, 3, 15), D(2024, 3, 31)), (D(2024, 2, 27), D(2024, 3, 14)), id="17 days to a month end"),
    pytest.param((D(2023, 12, 20), D(2024, 1, 10)), (D(2023, 11, 28), D(2023, 12, 19)), id="across a year end"),
    pytest.param((D(2024, 1, 1), D(2024, 1, 10)), (D(2023, 12, 22), D(2023, 12, 31)), id="10 days into a year"),
    pytest.param((D(2024, 3, 1), D(2024, 3, 1)), (D(2024, 2, 29), D(2024, 2, 29)), id="one day after 02-29"),
]


@pytest.mark.parametrize("period, expected", PREVIOUS)
def test_previous_period(period, expected):
    p = Filters(*period).previous_period()
    assert (p.start, p.end) == expected


def test_shifts_keep_the_scope():
    f = Filters(D(2024, 1, 1), D(2024, 3, 31), ("南湾社区",), ("东风凤凰城",), ("居民自治",))
    assert f.previous_period() == Filters(D(2023, 10, 1), D(2023, 12, 31), ("南湾社区",), ("东风凤凰城",),
                                          ("居民自治",))
    assert f.year_earlier() == Filters(D(2023, 1, 1), D(2023, 3, 31), ("南湾社区",), ("东风凤凰城",), ("居民自治",))


def test_days_and_inverted_periods():
    assert Filters(D(2024, 2, 1), D(2024, 2, 29)).days == 29
    assert Filters(D(2023, 12, 20), D(2024, 1, 10)).days == 22
    assert Filters(D(2024, 7, 1), D(2024, 7, 1)).days == 1
    with pytest.raises(ValueError, match="before start"):
        Filters(D(2024, 3, 2), D(2024, 3, 1))
