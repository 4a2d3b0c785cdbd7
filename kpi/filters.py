"""The one scope value every KPI query takes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from kpi.calendar import TREND_MONTHS, Period, trend_window


def _names(value, field: str) -> tuple[str, ...]:
    """A tuple of distinct names, in order; a bare string is refused (it would read as its characters)."""
    if isinstance(value, str | bytes):
        raise TypeError(f"Filters.{field} must be a tuple of names, not the string {value!r}")
    return tuple(dict.fromkeys(str(v) for v in value))


@dataclass(frozen=True)
class Filters:
    """Period [start, end] (both inclusive) and the scope.

    Empty tuples mean "no restriction" (all communities, compounds, pillars).
    Compound names are matched within the chosen communities.

    `allowed` is the viewer's scope, independent of the chosen `communities`:
    None = every community; a tuple = only these (an empty tuple = none). Every
    query in `kpi/` reads only rows of the chosen communities (or all) that are
    also allowed; an empty intersection reads nothing, never "all".
    """

    start: date
    end: date
    communities: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    pillars: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before start {self.start}")
        for name in ("communities", "compounds", "pillars"):
            object.__setattr__(self, name, _names(getattr(self, name), name))
        if self.allowed is not None:
            object.__setattr__(self, "allowed", _names(self.allowed, "allowed"))

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def restricted(self) -> bool:
        """True when the viewer may not see every community (`allowed` is set)."""
        return self.allowed is not None

    def restricted_to(self, allowed: Iterable[str] | None) -> Filters:
        """A copy whose viewer may see only `allowed` (None = no new restriction); intersected with an
        `allowed` already set, so a scope can only narrow."""
        if allowed is None:
            return self
        new = _names(allowed, "allowed")
        if self.allowed is not None:
            new = tuple(c for c in new if c in self.allowed)
        return replace(self, allowed=new)

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

    def trend(self, months: int = TREND_MONTHS) -> Filters:
        """The same scope over the span of the period's monthly trend (`kpi.calendar.trend_window`: the 13 months
        up to the period's end); the KPI cards stay on `self`."""
        return self.with_period(trend_window(self.period, months))
