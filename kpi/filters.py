"""The one scope value every KPI query takes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta


@dataclass(frozen=True)
class Filters:
    """Period [start, end] (both inclusive) and the scope.

    Empty tuples mean "no restriction" (all communities, compounds, pillars).
    Compound names are matched within the chosen communities.
    """

    start: date
    end: date
    communities: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    pillars: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def with_period(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)

    def previous_period(self) -> Filters:
        """The period of equal length just before this one.

        Whole calendar quarters/months/years map to the previous whole quarter/
        month/year (so Q1 compares with the previous Q4, not with 90 days).
        """
        months = _whole_months(self.start, self.end)
        if months:
            start = _add_months(self.start, -months)
            return self.with_period(start, self.start - timedelta(days=1))
        return self.with_period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_earlier(self) -> Filters:
        return self.with_period(_add_months(self.start, -12), _end_shift_year(self.end))


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = _month_end(date(year, month, 1)).day
    return date(year, month, min(d.day, last))


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _end_shift_year(d: date) -> date:
    if d == _month_end(d):
        return _month_end(date(d.year - 1, d.month, 1))
    return _add_months(d, -12)


def _whole_months(start: date, end: date) -> int:
    """Number of whole calendar months if [start, end] is exactly that, else 0."""
    if start.day != 1 or end != _month_end(end):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def quarter_of(d: date) -> tuple[date, date]:
    q0 = (d.month - 1) // 3 * 3 + 1
    start = date(d.year, q0, 1)
    return start, _month_end(date(d.year, q0 + 2, 1))


def month_end(d: date) -> date:
    return _month_end(d)


def add_months(d: date, months: int) -> date:
    return _add_months(d, months)
