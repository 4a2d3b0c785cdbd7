"""The one calendar (kpi.calendar), checked against literal dates: leap years, year ends, quarter edges."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import calendar
from kpi.calendar import Period, Quarter, add_months, month_end, parse_month, whole_months

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (date(2024, 2, 10), date(2024, 2, 29)),  # leap year
        (date(2023, 2, 1), date(2023, 2, 28)),
        (date(1900, 2, 1), date(1900, 2, 28)),  # divisible by 100: not a leap year
        (date(2000, 2, 15), date(2000, 2, 29)),  # divisible by 400: a leap year
        (date(2024, 12, 31), date(2024, 12, 31)),  # year end
        (date(2024, 4, 1), date(2024, 4, 30)),
    ],
)
def test_month_end(day, end):
    assert month_end(day) == end


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clipped to the month's last day
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),  # across a year end
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_whole_months():
    assert whole_months(date(2024, 1, 1), date(2024, 3, 31)) == 3
    assert whole_months(date(2023, 12, 1), date(2024, 2, 29)) == 3
    assert whole_months(date(2024, 2, 1), date(2024, 2, 28)) == 0  # 2024 is a leap year: not the whole month
    assert whole_months(date(2024, 1, 2), date(2024, 1, 31)) == 0
    assert whole_months(date(2025, 1, 1), date(2025, 12, 31)) == 12


@pytest.mark.parametrize(
    ("start", "end", "kind"),
    [
        (date(2024, 1, 1), date(2024, 3, 31), "quarter"),
        (date(2024, 10, 1), date(2024, 12, 31), "quarter"),
        (date(2024, 2, 1), date(2024, 4, 30), "months"),  # three months, not a calendar quarter
        (date(2024, 2, 1), date(2024, 2, 29), "month"),
        (date(2024, 1, 1), date(2024, 12, 31), "year"),
        (date(2024, 7, 1), date(2025, 6, 30), "months"),
        (date(2026, 10, 1), date(2026, 11, 28), "days"),
        (date(2024, 3, 5), date(2024, 3, 5), "days"),
    ],
)
def test_period_kind(start, end, kind):
    assert Period(start, end).kind == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024Q1", Quarter(2024, 1)),
        ("2024 Q1", Quarter(2024, 1)),
        ("2024q1", Quarter(2024, 1)),
        ("2024-Q1", Quarter(2024, 1)),
        (" 2024-q3 ", Quarter(2024, 3)),
        ("Q4 2023", Quarter(2023, 4)),
        ("2024年第一季度", Quarter(2024, 1)),
        ("2024年第四季度", Quarter(2024, 4)),
        ("2024年第2季度", Quarter(2024, 2)),
        ("2024年Q3", Quarter(2024, 3)),
    ],
)
def test_quarter_spellings(text, expected):
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize("junk", ["2024Q5", "2024Q0", "Q1", "2024", "", "2024年第五季度", "24Q1", "2024Q1x", None])
def test_not_quarters(junk):
    assert Quarter.parse_or_none(junk) is None
    if isinstance(junk, str):
        with pytest.raises(ValueError):
            Quarter.parse(junk)


def test_quarter_edges_and_shifts():
    q1 = Quarter(2024, 1)
    assert (q1.start, q1.end, q1.code) == (date(2024, 1, 1), date(2024, 3, 31), "2024Q1")
    assert Quarter(2024, 4).end == date(2024, 12, 31)
    assert Quarter(2023, 2).end == date(2023, 6, 30)
    assert q1.shift(-1) == Quarter(2023, 4) and Quarter(2024, 4).shift(1) == Quarter(2025, 1)
    assert q1.shift(-8) == Quarter(2022, 1)
    assert Quarter.of(date(2024, 3, 31)) == q1 and Quarter.of(date(2024, 4, 1)) == Quarter(2024, 2)
    assert calendar.quarter_of(date(2024, 12, 31)) == Period(date(2024, 10, 1), date(2024, 12, 31))
    assert Period(date(2024, 7, 1), date(2024, 9, 30)).quarter == Quarter(2024, 3)
    assert Period(date(2024, 7, 1), date(2024, 9, 29)).quarter is None


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        (date(2024, 1, 1), date(2024, 3, 31), date(2023, 10, 1), date(2023, 12, 31)),  # Q1 → previous Q4
        (date(2024, 4, 1), date(2024, 6, 30), date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),  # March → leap February
        (date(2025, 3, 1), date(2025, 3, 31), date(2025, 2, 1), date(2025, 2, 28)),
        (date(2024, 1, 1), date(2024, 12, 31), date(2023, 1, 1), date(2023, 12, 31)),  # a year
        (date(2024, 1, 11), date(2024, 1, 20), date(2024, 1, 1), date(2024, 1, 10)),  # ten days
        (date(2024, 1, 1), date(2024, 1, 5), date(2023, 12, 27), date(2023, 12, 31)),  # across a year end
    ],
)
def test_previous_period(start, end, prev_start, prev_end):
    assert Period(start, end).previous() == Period(prev_start, prev_end)


@pytest.mark.parametrize(
    ("start", "end", "year_start", "year_end"),
    [
        (date(2024, 1, 1), date(2024, 3, 31), date(2023, 1, 1), date(2023, 3, 31)),
        (date(2024, 2, 1), date(2024, 2, 29), date(2023, 2, 1), date(2023, 2, 28)),  # leap February
        (date(2025, 2, 1), date(2025, 2, 28), date(2024, 2, 1), date(2024, 2, 29)),  # a month end stays one
        (date(2024, 2, 10), date(2024, 2, 29), date(2023, 2, 10), date(2023, 2, 28)),
        (date(2024, 1, 11), date(2024, 1, 20), date(2023, 1, 11), date(2023, 1, 20)),
        (date(2024, 12, 20), date(2025, 1, 10), date(2023, 12, 20), date(2024, 1, 10)),  # across a year end
    ],
)
def test_year_earlier(start, end, year_start, year_end):
    assert Period(start, end).year_earlier() == Period(year_start, year_end)


def test_parse_month():
    assert parse_month("2026-08-01") == Period(date(2026, 8, 1), date(2026, 8, 31))
    assert parse_month("2024-02") == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert parse_month(date(2023, 12, 25)) == Period(date(2023, 12, 1), date(2023, 12, 31))


@pytest.mark.parametrize(
    ("token", "start", "end"),
    [
        ("this_month", date(2026, 11, 1), TODAY),
        ("this_quarter", date(2026, 10, 1), TODAY),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("this_year", date(2026, 1, 1), TODAY),
        ("last_12_months", date(2025, 11, 1), date(2026, 10, 31)),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024年第二季度", date(2024, 4, 1), date(2024, 6, 30)),
        ("2001Q4", date(2001, 10, 1), date(2001, 12, 31)),
    ],
)
def test_presets(token, start, end):
    assert calendar.resolve(token, TODAY) == Period(start, end)


def test_presets_across_new_year_and_leap_february():
    assert calendar.resolve("last_quarter", date(2025, 2, 10)) == Period(date(2024, 10, 1), date(2024, 12, 31))
    assert calendar.resolve("last_12_months", date(2024, 3, 1)) == Period(date(2023, 3, 1), date(2024, 2, 29))
    assert calendar.resolve("last_quarter", date(2025, 1, 1)) == Period(date(2024, 10, 1), date(2024, 12, 31))
    assert calendar.resolve("custom", TODAY, date(2024, 1, 5), date(2024, 1, 5)) == Period(date(2024, 1, 5),
                                                                                         date(2024, 1, 5))
    with pytest.raises(ValueError):
        calendar.resolve("custom", TODAY, date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(ValueError):
        calendar.resolve("next_decade", TODAY)


def test_today_is_injectable(monkeypatch):
    monkeypatch.setenv("GOV_TODAY", "2025-05-05")
    assert calendar.today() == date(2025, 5, 5)
    monkeypatch.setenv("GOV_TODAY", "not a date")
    assert calendar.today() == date.today()


def test_quarter_options_newest_first_with_extra():
    opts = calendar.quarter_options(date(2025, 8, 3), TODAY, extra=("2001Q1", "2025 q4", "junk"))
    assert opts == ["2026Q4", "2026Q3", "2026Q2", "2026Q1", "2025Q4", "2025Q3", "2001Q1"]
    assert calendar.quarter_options(None, TODAY) == ["2026Q4", "2026Q3"]


@pytest.mark.parametrize(
    ("start", "end", "window_start", "window_end"),
    [
        (date(2024, 1, 1), date(2024, 3, 31), date(2023, 3, 1), date(2024, 3, 31)),  # 2024Q1: 2023-03 … 2024-03
        (date(2024, 10, 1), date(2024, 12, 31), date(2023, 12, 1), date(2024, 12, 31)),  # a year end
        (date(2024, 2, 1), date(2024, 2, 29), date(2023, 2, 1), date(2024, 2, 29)),  # one leap month
        (date(2026, 11, 1), date(2026, 11, 28), date(2025, 11, 1), date(2026, 11, 28)),  # this month so far
        (date(2024, 1, 15), date(2024, 3, 10), date(2023, 3, 1), date(2024, 3, 10)),  # custom days
        (date(2024, 1, 1), date(2024, 12, 31), date(2023, 12, 1), date(2024, 12, 31)),  # a year: 13 months
        (date(2022, 5, 1), date(2024, 3, 31), date(2022, 5, 1), date(2024, 3, 31)),  # longer: the whole period
    ],
)
def test_trend_window(start, end, window_start, window_end):
    assert calendar.trend_window(Period(start, end)) == Period(window_start, window_end)


def test_trend_window_months_and_filters():
    from kpi.filters import Filters

    assert calendar.trend_window(Period(date(2024, 1, 1), date(2024, 3, 31)), 3) == \
        Period(date(2024, 1, 1), date(2024, 3, 31))
    with pytest.raises(ValueError):
        calendar.trend_window(Period(date(2024, 1, 1), date(2024, 3, 31)), 0)
    f = Filters(date(2024, 1, 1), date(2024, 3, 31), communities=("南湾社区",), allowed=("南湾社区",))
    t = f.trend()
    assert (t.start, t.end) == (date(2023, 3, 1), date(2024, 3, 31))
    assert (t.communities, t.allowed) == (("南湾社区",), ("南湾社区",))  # the scope is kept
