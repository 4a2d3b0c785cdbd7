"""The one calendar: months, quarters, periods and the period presets. Pure functions and small types.

Everything that knows what a month end, a whole quarter or "the same period a
year earlier" is lives here, and `kpi`, `ui`, `present` and `briefing` all use
it. Labels in words (2024年第一季度, Q1 2024) are presentation: `present.format`.

- `Quarter(2024, 1)`: `.start`, `.end`, `.code` ('2024Q1'), `.shift(n)`, `.period`;
  `Quarter.parse` reads '2024Q1', '2024 Q1', '2024q1', '2024-Q1', 'Q1 2024',
  '2024年第一季度', '2024年第1季度' and '2024年Q1'; `Quarter.of(date)`.
- `Period(start, end)` (both inclusive): `.days`, `.kind` ('month' | 'quarter' |
  'year' | 'months' | 'days'), `.previous()` (the equal period just before:
  whole months map to whole months, so a quarter's previous period is the
  previous quarter), `.year_earlier()` (same dates a year before; a month end
  stays a month end, so 2024-02-29 → 2023-02-28).
- `trend_window(period, months=13)`: the months a monthly trend shows for a period — the `months` calendar
  months up to the period's end (2024Q1 → 2023-03-01 … 2024-03-31: the same month a year earlier is in
  view), or the whole period when it is longer.
- Period presets relative to "today" (`today()` honours $GOV_TODAY):

| token | period |
|---|---|
| `this_month` | first day of this month … today |
| `this_quarter` | first day of this quarter … today |
| `last_quarter` (default) | the last complete calendar quarter |
| `this_year` | 1 January … today |
| `last_12_months` | the 12 complete calendar months before this month |
| `2024Q1` | that calendar quarter |
| `custom` | `start` … `end` (both inclusive) |
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

DATE_MIN = date(2000, 1, 1)  # the earliest date a period (or a ledger row) may hold

PRESETS = ("this_month", "this_quarter", "last_quarter", "this_year", "last_12_months")
QUARTER = "quarter"  # the period widget's choice for "a specific quarter" (the URL carries the code, e.g. 2024Q1)
CUSTOM = "custom"
CHOICES = PRESETS + (QUARTER, CUSTOM)
DEFAULT = "last_quarter"

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})\s*[-_ ]?\s*[Qq]\s*(?P<q>[1-4])$"),  # 2024Q1, 2024 Q1, 2024-q1
    re.compile(r"^[Qq]\s*(?P<q>[1-4])\s*[-_ ]?\s*(?P<y>\d{4})$"),  # Q1 2024
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?:第\s*(?P<cn>[一二三四1-4])\s*季度?|[Qq]\s*(?P<q>[1-4]))$"),  # 2024年第一季度
)


# ---------------------------------------------------------------------- months

def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(d: date, months: int) -> date:
    """The same day `months` months later (or earlier), clipped to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, month_end(date(year, month, 1)).day))


def whole_months(start: date, end: date) -> int:
    """How many whole calendar months [start, end] is exactly; 0 when it is not whole months."""
    if start.day != 1 or end != month_end(end) or end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_starts(start: date, end: date) -> Iterator[date]:
    """The first day of every month that [start, end] touches."""
    m = month_start(start)
    while m <= end:
        yield m
        m = add_months(m, 1)


TREND_MONTHS = 13  # a monthly trend shows this many months: the period's last month and the same month a year before


def trend_window(period: Period, months: int = TREND_MONTHS) -> Period:
    """The span a monthly trend of `period` covers: from the first day of the month `months - 1` months before the
    period's last month to the period's end (a partial last month stays partial), or from the period's start
    when that is earlier (a period longer than `months` months is shown whole)."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    first = add_months(month_start(period.end), -(months - 1))
    return Period(min(first, period.start), period.end)


def parse_month(value: str | date) -> Period:
    """The whole month of an ISO date text ('2026-08-01', '2026-08') or a date."""
    if isinstance(value, str):
        text = value.strip()[:10]
        d = date.fromisoformat(text + "-01" if len(text) == 7 else text)
    else:
        d = value
    return Period(month_start(d), month_end(d))


# ---------------------------------------------------------------------- periods

@dataclass(frozen=True, order=True)
class Period:
    """A period of whole days, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """Whole calendar months (0 when the period is not made of whole months)."""
        return whole_months(self.start, self.end)

    @property
    def kind(self) -> str:
        """'month' | 'quarter' | 'year' | 'months' (several whole months) | 'days'."""
        n = self.months
        if n == 0:
            return "days"
        if n == 1:
            return "month"
        if n == 3 and self.start.month in (1, 4, 7, 10):
            return "quarter"
        if n == 12 and self.start.month == 1:
            return "year"
        return "months"

    @property
    def quarter(self) -> Quarter | None:
        """The calendar quarter this period is exactly, else None."""
        return Quarter.of(self.start) if self.kind == "quarter" else None

    def previous(self) -> Period:
        """The period of equal length just before this one (whole months → the same number of whole months)."""
        n = self.months
        if n:
            return Period(add_months(self.start, -n), self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_earlier(self) -> Period:
        """The same dates a year before; an end on a month's last day stays on that month's last day."""
        end = month_end(date(self.end.year - 1, self.end.month, 1)) if self.end == month_end(self.end) \
            else add_months(self.end, -12)
        return Period(add_months(self.start, -12), end)

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def clip(self, other: Period) -> Period | None:
        """The overlap with `other`, or None."""
        s, e = max(self.start, other.start), min(self.end, other.end)
        return Period(s, e) if s <= e else None


def period_kind(start: date, end: date) -> str:
    return Period(start, end).kind


# ---------------------------------------------------------------------- quarters

@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4 or not 1 <= self.year <= 9999:
            raise ValueError(f"not a quarter: {self.year}Q{self.q}")

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        """'2024Q1' and its other spellings (module docstring) → Quarter; ValueError otherwise."""
        if isinstance(text, Quarter):
            return text
        found = cls.parse_or_none(text)
        if found is None:
            raise ValueError(f"not a quarter: {text!r} (write it like 2024Q1)")
        return found

    @classmethod
    def parse_or_none(cls, text: object) -> Quarter | None:
        if not isinstance(text, str):
            return None
        s = text.strip()
        for pattern in _QUARTER_PATTERNS:
            m = pattern.match(s)
            if m:
                q = m.group("q") if "q" in m.groupdict() and m.group("q") else m.groupdict().get("cn")
                try:
                    return cls(int(m.group("y")), _CN_DIGITS[q])
                except (KeyError, ValueError):
                    return None
        return None

    @classmethod
    def of(cls, d: date) -> Quarter:
        return cls(d.year, (d.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return month_end(date(self.year, 3 * self.q, 1))

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.q}"

    def shift(self, n: int) -> Quarter:
        i = self.year * 4 + self.q - 1 + n
        return Quarter(i // 4, i % 4 + 1)

    def __str__(self) -> str:
        return self.code


def quarter_of(d: date) -> Period:
    """The calendar quarter containing `d`."""
    return Quarter.of(d).period


def quarters_between(first: date, last: date) -> list[Quarter]:
    """Every quarter from the one holding `first` to the one holding `last`, oldest first."""
    out, q, end = [], Quarter.of(first), Quarter.of(last)
    while q <= end:
        out.append(q)
        q = q.shift(1)
    return out


# ---------------------------------------------------------------------- presets relative to today

def today() -> date:
    """Today, or $GOV_TODAY (YYYY-MM-DD) when set and valid (tests and demos pin it)."""
    raw = os.environ.get("GOV_TODAY", "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return date.today()


def date_max(today_: date) -> date:
    """The latest date a period may reach (the end of next year)."""
    return date(today_.year + 1, 12, 31)


def last_complete_quarter(today_: date) -> Quarter:
    return Quarter.of(today_).shift(-1)


def resolve(token: str, today_: date, start: date | None = None, end: date | None = None) -> Period:
    """The period of a preset token, a quarter code or `custom` (with start and end). ValueError otherwise."""
    if token == "this_month":
        return Period(month_start(today_), today_)
    if token == "this_quarter":
        return Period(Quarter.of(today_).start, today_)
    if token == "last_quarter":
        return last_complete_quarter(today_).period
    if token == "this_year":
        return Period(date(today_.year, 1, 1), today_)
    if token == "last_12_months":
        end_ = month_start(today_) - timedelta(days=1)
        return Period(add_months(month_start(end_), -11), end_)
    if token == CUSTOM:
        if start is None or end is None or end < start:
            raise ValueError("custom period needs start ≤ end")
        return Period(start, end)
    q = Quarter.parse_or_none(token)
    if q:
        return q.period
    raise ValueError(f"unknown period {token!r}")


def quarter_options(first: date | None, today_: date, extra: tuple[str, ...] = ()) -> list[str]:
    """Quarter codes from the quarter of `first` (the data's first date) to today's quarter, newest first;
    `extra` codes (e.g. one from the URL outside that range) are added."""
    lo = first if first else last_complete_quarter(today_).start
    codes = [q.code for q in quarters_between(lo, today_)]
    for text in extra:
        q = Quarter.parse_or_none(text)
        if q and q.code not in codes:
            codes.append(q.code)
    return sorted(codes, reverse=True)
