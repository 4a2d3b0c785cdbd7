"""Period presets and quarter tokens. Pure functions (no Streamlit).

Presets are relative to "today": `today()` is the real date, or $GOV_TODAY
(YYYY-MM-DD) when set, so tests and demos can pin it.

| token | period |
|---|---|
| `this_month` | first day of this month … today |
| `this_quarter` | first day of this quarter … today |
| `last_quarter` (default) | the last complete calendar quarter |
| `this_year` | 1 January … today |
| `last_12_months` | the 12 complete calendar months before this month |
| `2024Q1` | that calendar quarter |
| `custom` | `start` … `end` (both inclusive, YYYY-MM-DD) |
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

from ui.format import month_end

PRESETS = ("this_month", "this_quarter", "last_quarter", "this_year", "last_12_months")
QUARTER = "quarter"  # the widget choice for "a specific quarter" (the URL carries the token, e.g. 2024Q1)
CUSTOM = "custom"
CHOICES = PRESETS + (QUARTER, CUSTOM)
DEFAULT = "last_quarter"

DATE_MIN = date(2000, 1, 1)
_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


def today() -> date:
    """Today, or $GOV_TODAY (YYYY-MM-DD) when set and valid."""
    raw = os.environ.get("GOV_TODAY", "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return date.today()


def date_max(today_: date) -> date:
    """The latest date a period may reach (end of next year)."""
    return date(today_.year + 1, 12, 31)


def quarter_start(d: date) -> date:
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)


def quarter_range(year: int, q: int) -> tuple[date, date]:
    s = date(year, 3 * (q - 1) + 1, 1)
    return s, month_end(date(year, 3 * q, 1))


def quarter_token(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def parse_quarter(token: str) -> tuple[int, int] | None:
    """'2024Q1' (also '2024q1', '2024-Q1') → (2024, 1); anything else → None."""
    m = _QUARTER_RE.match(token or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def last_complete_quarter(today_: date) -> tuple[date, date]:
    s = quarter_start(today_)
    prev_end = s - timedelta(days=1)
    return quarter_start(prev_end), prev_end


def resolve(period: str, today_: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The [start, end] of a preset, quarter token or custom period. ValueError if it cannot be resolved."""
    if period == "this_month":
        return today_.replace(day=1), today_
    if period == "this_quarter":
        return quarter_start(today_), today_
    if period == "last_quarter":
        return last_complete_quarter(today_)
    if period == "this_year":
        return date(today_.year, 1, 1), today_
    if period == "last_12_months":
        end_ = today_.replace(day=1) - timedelta(days=1)
        y, m = divmod(end_.year * 12 + end_.month - 1 - 11, 12)
        return date(y, m + 1, 1), end_
    if period == CUSTOM:
        if start is None or end is None or end < start:
            raise ValueError("custom period needs start ≤ end")
        return start, end
    q = parse_quarter(period)
    if q:
        return quarter_range(*q)
    raise ValueError(f"unknown period {period!r}")


def quarter_options(first: date | None, today_: date, extra: tuple[str, ...] = ()) -> list[str]:
    """Quarter tokens from the quarter of `first` (the data's first date) to today's quarter, newest first.

    `extra` tokens (e.g. one from the URL outside that range) are added.
    """
    lo = quarter_start(first) if first else last_complete_quarter(today_)[0]
    hi = quarter_start(today_)
    out = []
    d = lo
    while d <= hi:
        out.append(quarter_token(d))
        d = month_end(date(d.year, d.month + 2, 1)) + timedelta(days=1)
    for tok in extra:
        q = parse_quarter(tok)
        if q and f"{q[0]}Q{q[1]}" not in out:
            out.append(f"{q[0]}Q{q[1]}")
    return sorted(out, reverse=True)
