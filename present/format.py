"""Number, date and period formatting for Chinese (and English) readers. Pure functions.

- Missing values (None, NaN) read "—" everywhere.
- Counts: thousands separators below 10,000 ("1,172"); from 10,000 on in
  Chinese 万 with up to two decimals ("2.87万", "12万"), from 10⁸ 亿; English
  keeps separators ("28,708").
- Percentages (KPIs with unit %; stored 0–100): one decimal unless the KPI says
  otherwise ("84.7%"). Changes of a percentage are in percentage points
  ("+3.4个百分点"), other changes relative ("+32.6%"); scores ×100 ("102.3").
- The same rules as Excel number formats (`xlsx_format`, `xlsx_change_format`)
  for workbooks that keep raw values.
- Periods: whole quarters "2024年第一季度" / "Q1 2024", whole months
  "2024年3月", whole years "2024年", other ranges with both ends.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

from kpi.calendar import Period, Quarter
from kpi.catalogue import CATALOGUE, KPI
from present.labels import norm_lang, t

DASH = "—"
BEIJING = timezone(timedelta(hours=8), "北京时间")
_CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}
_EN_MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def missing(v: object) -> bool:
    if v is None:
        return True
    try:
        return math.isnan(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt_number(v: float | int | None, decimals: int = 0, lang: str | None = None, large: bool = True) -> str:
    """A plain number; with `large`, Chinese 万/亿 from 10,000 on (two decimals, trailing zeros dropped)."""
    if missing(v):
        return DASH
    x = float(v)  # type: ignore[arg-type]
    if large and norm_lang(lang) == "zh" and abs(x) >= 10_000:
        if abs(x) >= 100_000_000:
            return f"{_trim(f'{x / 100_000_000:.2f}')}亿"
        return f"{_trim(f'{x / 10_000:.2f}')}万"
    s = f"{x:,.{decimals}f}"
    if s.startswith("-") and float(s[1:].replace(",", "")) == 0:
        s = s[1:]  # no "-0.0"
    return s


def fmt_percent(v: float | None, decimals: int = 1) -> str:
    """A value already in percent (0–100): 84.7%."""
    if missing(v):
        return DASH
    return f"{float(v):.{decimals}f}%"  # type: ignore[arg-type]


def _decimals(k: KPI) -> int:
    if k.is_percent:
        return max(k.decimals, 1)
    return k.decimals


def fmt_kpi(k: KPI | str, v: float | None, lang: str | None = None, unit: bool = False) -> str:
    """A KPI value as shown on cards and in texts (unit appended when `unit` and not %)."""
    k = CATALOGUE[k] if isinstance(k, str) else k
    if missing(v):
        return DASH
    if k.is_percent:
        return fmt_percent(v, _decimals(k))
    s = fmt_number(v, _decimals(k), lang)
    if unit:
        u = k.unit_en if norm_lang(lang) == "en" else k.unit_zh
        s = f"{s} {u}" if norm_lang(lang) == "en" else f"{s}{u}"
    return s


def _signed(x: float, decimals: int) -> str:
    s = f"{abs(x):,.{decimals}f}"
    if float(s.replace(",", "")) == 0:
        return s
    return ("+" if x > 0 else "-") + s


def fmt_change(
    k: KPI | str, delta: float | None, change: float | None, lang: str | None = None
) -> str | None:
    """A KPI's change against a base: percentage points for % KPIs, else the relative change in %.

    Falls back to the absolute difference when the relative change is undefined
    (base 0). None when there is nothing to compare. Starts with '+' / '-'.
    """
    k = CATALOGUE[k] if isinstance(k, str) else k
    if missing(delta):
        return None
    if k.is_percent:
        return fmt_pp(delta, lang, decimals=_decimals(k))
    if not missing(change):
        return fmt_relative(change)
    return _signed(float(delta), _decimals(k))  # type: ignore[arg-type]


def fmt_relative(change: float | None, signed: bool = True) -> str:
    """A relative change (fraction) as a percentage: -0.314 → -31.4% (unsigned: 31.4%)."""
    if missing(change):
        return DASH
    s = _signed(float(change) * 100, 1) + "%"  # type: ignore[arg-type]
    return s if signed else s.lstrip("+-")


def fmt_pp(delta: float | None, lang: str | None = None, decimals: int = 1, signed: bool = True) -> str:
    """A difference of two percentages in percentage points: +3.4个百分点 / +3.4 pp (unsigned: 3.4个百分点)."""
    if missing(delta):
        return DASH
    s = _signed(float(delta), decimals) + t("unit.pp", lang)  # type: ignore[arg-type]
    return s if signed else s.lstrip("+-")


def fmt_score(score: float | None) -> str:
    """A scorecard score (1.0 = on target) ×100, one decimal."""
    if missing(score):
        return DASH
    return f"{float(score) * 100:.1f}"  # type: ignore[arg-type]


# ---------------------------------------------------------------------- Excel number formats (same rules)

XLSX_COUNT = "#,##0"  # a count (households, activities)
XLSX_RELATIVE = "+0.0%;-0.0%;0.0%"  # a relative change stored as a fraction
XLSX_SCORE = "0.0"  # a score stored ×100


def _xlsx_number(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def xlsx_format(k: KPI | str) -> str:
    """The Excel number format of a KPI's raw value, with fmt_kpi's decimals: '#,##0', '#,##0.0"%"'."""
    k = CATALOGUE[k] if isinstance(k, str) else k
    base = _xlsx_number(_decimals(k))
    return base + '"%"' if k.is_percent else base


def xlsx_change_format(k: KPI | str, lang: str | None = None) -> str:
    """The Excel format of a KPI's absolute change (a delta), signed; percentage points for % KPIs."""
    k = CATALOGUE[k] if isinstance(k, str) else k
    base = _xlsx_number(_decimals(k))
    unit = f'"{t("unit.pp", lang).strip()}"' if k.is_percent else ""
    return f"+{base}{unit};-{base}{unit};{base}{unit}"


# ---------------------------------------------------------------------- dates and periods


def fmt_date(d: date | None, lang: str | None = None) -> str:
    return DASH if d is None else d.isoformat()


def fmt_day(d: date, lang: str | None = None, year: bool = True) -> str:
    if norm_lang(lang) == "en":
        return f"{d.day} {_EN_MONTH[d.month - 1]}" + (f" {d.year}" if year else "")
    return (f"{d.year}年" if year else "") + f"{d.month}月{d.day}日"


def fmt_quarter(quarter: Quarter | str | date, lang: str | None = None, short: bool = False) -> str:
    """A quarter (a `kpi.calendar.Quarter`, a code like '2024Q1', or a date in it) in words:
    2024年第一季度 / Q1 2024; `short` (axis ticks): 2024年Q1 / Q1 2024."""
    if isinstance(quarter, date):
        quarter = Quarter.of(quarter)
    q = Quarter.parse(quarter)
    if norm_lang(lang) == "en":
        return f"Q{q.q} {q.year}"
    return f"{q.year}年Q{q.q}" if short else f"{q.year}年第{_CN_QUARTER[q.q]}季度"


def fmt_year(year: int, lang: str | None = None) -> str:
    return str(year) if norm_lang(lang) == "en" else f"{year}年"


def fmt_month(d: date, lang: str | None = None, year: bool = True) -> str:
    """2024年3月 / Mar 2024; without `year`: 3月 / Mar."""
    if norm_lang(lang) == "en":
        return _EN_MONTH[d.month - 1] + (f" {d.year}" if year else "")
    return (f"{d.year}年" if year else "") + f"{d.month}月"


def fmt_period(start: date, end: date, lang: str | None = None) -> str:
    """The period in words: 2024年第一季度 · 2024年3月 · 2024年 · 2025年10月至2026年9月 · 2026年10月1日至11月28日."""
    en = norm_lang(lang) == "en"
    kind = Period(start, end).kind
    if kind == "quarter":
        return fmt_quarter(start, lang)
    if kind == "month":
        return fmt_month(start, lang)
    if kind == "year":
        return fmt_year(start.year, lang)
    if kind == "months":
        return f"{fmt_month(start, lang)} – {fmt_month(end, lang)}" if en else f"{fmt_month(start)}至{fmt_month(end)}"
    if start == end:
        return fmt_day(start, lang)
    same_year = start.year == end.year
    if en:
        return f"{fmt_day(start, lang, year=not same_year)} – {fmt_day(end, lang)}"
    return f"{fmt_day(start)}至{fmt_day(end, year=not same_year)}"


def fmt_timestamp(ts: datetime | None, lang: str | None = None) -> str:
    """A load timestamp (naive = UTC, as the warehouse stores it) in Beijing time: 2026-11-28 10:38."""
    if ts is None:
        return DASH
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def join(names, lang: str | None = None) -> str:
    return (", " if norm_lang(lang) == "en" else "、").join(names)
