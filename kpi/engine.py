"""The KPI engine: a registry of compute functions and the public value/compare calls.

A domain module registers one or more compute functions with
``@computes("kpi_id", ...)``. A compute function gets a cursor and a
`Request` and computes its KPIs for *all* requested periods at once (grouped
by community when ``req.by == "community"``), returning a frame with the key
columns (`period`, and `community` when grouped) and one column per KPI id.
Computing several periods in one grouped query is what keeps comparisons,
trends and the scorecard cheap: the scorecard's five periods × all
communities are one query per domain, not 5 × N.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpi import scope as _scope
from kpi.catalogue import CATALOGUE, KPI
from kpi.filters import Filters

if TYPE_CHECKING:
    from kpi.targets import Targets

Period = tuple[date, date]
BY_VALUES = (None, "community")


@dataclass(frozen=True)
class Request:
    """What a compute function is asked for."""

    filters: Filters  # the scope (its own period is ignored; see `periods`)
    periods: tuple[Period, ...]
    by: str | None  # None (whole scope) or "community"
    ids: frozenset[str]  # KPI ids wanted from this function (it may compute more)
    base: pd.DataFrame  # every key row (period[, community]) with `households` in scope
    _targets: Targets | None = None

    @property
    def keys(self) -> list[str]:
        return ["period", "community"] if self.by else ["period"]

    @property
    def targets(self) -> Targets:
        """The targets and time limits passed to the call (`kpi.load_targets()`); kpi/ never reads the file."""
        if self._targets is None:
            raise TargetsRequired(sorted(self.ids))
        return self._targets

    def previous_periods(self) -> list[Period]:
        """For each period, the previous period of equal length (Filters.previous_period)."""
        out = []
        for s, e in self.periods:
            p = self.filters.with_period(s, e).previous_period()
            out.append((p.start, p.end))
        return out

    def complete(self, df: pd.DataFrame, counts: Iterable[str] = ()) -> pd.DataFrame:
        """Left-join `df` onto every key row (plus any extra community it has); counts → 0 where absent."""
        out = self.base.merge(df, on=self.keys, how="outer")
        for c in counts:
            out[c] = out[c].astype("float64").fillna(0.0) if c in out else 0.0
        return out


class TargetsRequired(TypeError):
    """A KPI that needs the targets file's time limits was asked for without `targets=`."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"KPIs {', '.join(ids)} need targets: pass targets=kpi.load_targets() (or a Targets)")


Compute = Callable[[object, Request], pd.DataFrame]
_REGISTRY: dict[str, Compute] = {}


def computes(*ids: str) -> Callable[[Compute], Compute]:
    """Register a compute function as the implementation of these KPI ids."""

    def deco(fn: Compute) -> Compute:
        for i in ids:
            if i not in CATALOGUE:
                raise KeyError(f"{fn.__module__}.{fn.__name__}: {i!r} is not in the catalogue")
            if i in _REGISTRY and _REGISTRY[i] is not fn:
                raise KeyError(f"{i!r} is already computed by {_REGISTRY[i].__module__}")
            _REGISTRY[i] = fn
        return fn

    return deco


def registered() -> dict[str, Compute]:
    return dict(_REGISTRY)


def in_scope(k: KPI, f: Filters) -> bool:
    """The pillar rule: a KPI with a pillar is out of scope when pillars are chosen without it."""
    return not f.pillars or k.pillar is None or k.pillar in f.pillars


def _resolve_ids(ids: Iterable[str] | str | None) -> list[str]:
    if ids is None:
        return list(CATALOGUE)
    if isinstance(ids, str):
        ids = [ids]
    ids = list(dict.fromkeys(ids))
    unknown = [i for i in ids if i not in CATALOGUE]
    if unknown:
        raise KeyError(f"unknown KPI id(s): {unknown}")
    missing = [i for i in ids if i not in _REGISTRY]
    if missing:
        raise KeyError(f"no compute function registered for: {missing}")
    return ids


def _check_by(by: str | None) -> None:
    if by not in BY_VALUES:
        raise ValueError(f"by must be one of {BY_VALUES}, got {by!r}")


def compute(
    con,
    filters: Filters,
    periods: Sequence[Period],
    ids: Iterable[str] | str | None = None,
    by: str | None = None,
    targets: Targets | None = None,
) -> pd.DataFrame:
    """KPIs for several periods of one scope: long frame `period, [community,] kpi_id, value`.

    `period` is the index into `periods`. Values are floats; NaN = no data
    (ratio with zero denominator, statistic over no rows, KPI out of scope).
    """
    _check_by(by)
    ids = _resolve_ids(ids)
    periods = tuple((s, e) for s, e in periods)
    for s, e in periods:
        if e < s:
            raise ValueError(f"period end {e} is before start {s}")
    keys = ["period", "community"] if by else ["period"]
    wanted = [i for i in ids if in_scope(CATALOGUE[i], filters)]

    cur = con.cursor()
    try:
        hh = _scope.households(cur, filters)
        pidx = pd.DataFrame({"period": np.arange(len(periods), dtype="int64")})
        if by:
            base = pidx.merge(hh, how="cross")
        else:
            base = pidx.assign(households=float(hh["households"].sum()))
        base["households"] = base["households"].astype("float64")
        groups: dict[Compute, list[str]] = {}
        for i in wanted:
            groups.setdefault(_REGISTRY[i], []).append(i)
        wide = base[keys].copy()
        for fn, fn_ids in groups.items():
            req = Request(filters, periods, by, frozenset(fn_ids), base, targets)
            df = fn(cur, req)
            wide = wide.merge(df[keys + fn_ids], on=keys, how="outer")
    finally:
        cur.close()

    if by:  # every period × every community seen (register or facts)
        full = pd.MultiIndex.from_product(
            [range(len(periods)), sorted(set(wide["community"].dropna()))], names=keys
        )
        wide = wide.set_index(keys).reindex(full).reset_index()
    for i in ids:
        if i not in wide:
            wide[i] = np.nan
        elif CATALOGUE[i].kind == "count":
            wide[i] = wide[i].astype("float64").fillna(0.0)
        else:
            wide[i] = wide[i].astype("float64")
    long = wide.melt(id_vars=keys, value_vars=ids, var_name="kpi_id", value_name="value")
    order = {k: n for n, k in enumerate(ids)}
    long["_o"] = long["kpi_id"].map(order)
    long = long.sort_values(keys[:1] + ["_o"] + keys[1:], kind="stable").drop(columns="_o")
    long["value"] = long["value"].astype("float64")
    return long.reset_index(drop=True)


def values(
    con,
    filters: Filters,
    ids: Iterable[str] | str | None = None,
    by: str | None = None,
    targets: Targets | None = None,
) -> pd.DataFrame:
    """KPI values for the filters' period: columns `[community,] kpi_id, value` (NaN = no data)."""
    df = compute(con, filters, [(filters.start, filters.end)], ids, by, targets)
    return df.drop(columns="period")


def value(con, filters: Filters, kpi_id: str, targets: Targets | None = None) -> float | None:
    """One KPI over the whole scope; None = no data."""
    v = compute(con, filters, [(filters.start, filters.end)], [kpi_id], None, targets)["value"].iloc[0]
    return None if pd.isna(v) else float(v)


def relative_change(current, base):
    """(current − base) ÷ |base|; NaN when either is missing or base is 0."""
    cur = pd.Series(current, dtype="float64")
    b = pd.Series(base, dtype="float64")
    out = (cur - b) / b.abs()
    out[(b == 0) | b.isna() | cur.isna()] = np.nan
    return out


def better(current: pd.Series, previous: pd.Series, ids: pd.Series) -> pd.Series:
    """True/False by each KPI's direction; None when either value is missing or they are equal."""
    out = []
    for c, p, i in zip(current, previous, ids, strict=True):
        if pd.isna(c) or pd.isna(p) or c == p:
            out.append(None)
        else:
            out.append(bool(c > p) == CATALOGUE[i].higher_is_better)
    return pd.Series(out, index=current.index, dtype="object")


def compare(
    con,
    filters: Filters,
    ids: Iterable[str] | str | None = None,
    by: str | None = None,
    targets: Targets | None = None,
) -> pd.DataFrame:
    """The period against the previous period of equal length and the same period a year earlier.

    Columns: `[community,] kpi_id, current, previous, year_ago, change_vs_previous,
    change_vs_year_ago, delta_vs_previous, delta_vs_year_ago, better_vs_previous,
    better_vs_year_ago`. `change_*` is relative ((current − base) ÷ base; NaN when
    the base is 0 or missing); `delta_*` is the absolute difference (percentage
    points for % KPIs); `better_*` is True/False by the KPI's direction, None
    when either side is missing or unchanged.
    """
    prev, year = filters.previous_period(), filters.year_earlier()
    periods = [(filters.start, filters.end), (prev.start, prev.end), (year.start, year.end)]
    df = compute(con, filters, periods, ids, by, targets)
    keys = ["community", "kpi_id"] if by else ["kpi_id"]
    wide = df.pivot(index=keys, columns="period", values="value").reindex(columns=range(3))  # all 3 if empty
    wide.columns = ["current", "previous", "year_ago"]
    order = df[df["period"] == 0][keys]
    out = order.merge(wide.reset_index(), on=keys, how="left")
    out["change_vs_previous"] = relative_change(out["current"], out["previous"]).to_numpy()
    out["change_vs_year_ago"] = relative_change(out["current"], out["year_ago"]).to_numpy()
    out["delta_vs_previous"] = out["current"] - out["previous"]
    out["delta_vs_year_ago"] = out["current"] - out["year_ago"]
    out["better_vs_previous"] = better(out["current"], out["previous"], out["kpi_id"])
    out["better_vs_year_ago"] = better(out["current"], out["year_ago"], out["kpi_id"])
    return out.reset_index(drop=True)
