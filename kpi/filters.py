"""The one scope value every KPI query takes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kpi.calendar import Period


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
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def days(self) -> int:
        return self.period.days

    def with_period(self, start: date | Period, end: date | None = None) -> Filters:
        if isinstance(start, Period):
            start, end = start.start, start.end
        return replace(self, start=start, end=end)

    def previous_period(self) -> Filters:
        """The period of equal length just before this one (`kpi.calendar.Period.previous`): whole calendar
        quarters/months/years map to the previous whole quarter/month/year (Q1 compares with the previous Q4)."""
        return self.with_period(self.period.previous())

    def year_earlier(self) -> Filters:
        """The same period a year earlier (`kpi.calendar.Period.year_earlier`)."""
        return self.with_period(self.period.year_earlier())
