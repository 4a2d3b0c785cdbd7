"""Community scorecard and early warnings (CityScore-style scores, 平安指数-style warnings).

For every community in scope and every scorecard KPI (catalogue `scorecard=True`):

- value: the KPI for the period, for that community.
- baseline: the mean of the KPI over the previous four periods of equal length
  (chained `Filters.previous_period()`; for a calendar quarter these are the
  previous four quarters), same scope, same community. A baseline period counts
  only if it starts no earlier than the first day of the month in which the
  KPI's ledger (`KPI.source`) has its first row, so the months before the data
  began do not drag the baseline down; periods where the KPI has no data
  (None) are skipped. No counted period → no baseline.
- target: the `targets` argument (data/targets.toml; community override, else the KPI's target), else
  the baseline (`target_source` = 'community' | 'file' | 'baseline').
- score: value ÷ target for higher-is-better KPIs, target ÷ value for
  lower-is-better ones (1.0 = on target), clipped to [0, SCORE_CAP = 2.0] so one
  outlier cannot dominate. Zero cases: higher-better with target 0 → 1.0 when
  value is 0 else the cap; lower-better with value 0 → 1.0 when target is 0
  else the cap. No value or no target → no score.
- governance score: the mean of the community's defined KPI scores (None when
  it has none).
- change: (value − baseline) ÷ baseline (None when the baseline is 0 or None).
  Warning level by the bad direction (down for higher-is-better, up for
  lower-is-better): 'red' when 50% or more worse, 'yellow' when 30% or more.

Scope: `evaluate` / `scorecard` / `warnings` contain only communities the
viewer may see (`Filters.allowed`), ranked among those rows. The one view
across that boundary is `standing(con, filters, targets, community)`: one
allowed community's score and its rank among all communities of its street,
with the street's average score, never another community's name or figure.
(With two communities in a street, the average and the own score determine
the other's score; the issue accepts the average and rank as shown.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from kpi import scope as _scope
from kpi.catalogue import CATALOGUE, scorecard_ids
from kpi.engine import compute
from kpi.filters import Filters
from kpi.targets import Targets

SCORE_CAP = 2.0
BASELINE_PERIODS = 4
YELLOW = 0.30
RED = 0.50
_EPS = 1e-9


class ScopeError(PermissionError):
    """A community outside the viewer's scope (`Filters.allowed`) was asked for."""


@dataclass(frozen=True)
class Standing:
    """One community's place in its street: no other community's name or figure."""

    community: str
    street: str
    score: float | None  # the community's governance score (as in the scorecard), None without one
    rank: int | None  # 1 = best among the street's communities (ties share the best rank), None without a score
    communities_ranked: int  # communities of the street in the scorecard (the N of "rank k of N")
    street_average_score: float | None  # mean governance score over the street's communities with one


@dataclass(frozen=True)
class Evaluation:
    table: pd.DataFrame  # = scorecard()
    detail: pd.DataFrame  # one row per community × scorecard KPI
    warnings: pd.DataFrame  # = warnings()


def baseline_periods(filters: Filters, n: int = BASELINE_PERIODS) -> list[tuple[date, date]]:
    """The n periods of equal length before the filters' period, newest first."""
    out, f = [], filters
    for _ in range(n):
        f = f.previous_period()
        out.append((f.start, f.end))
    return out


def score(value: float | None, target: float | None, higher_is_better: bool) -> float | None:
    if value is None or target is None or pd.isna(value) or pd.isna(target):
        return None
    if higher_is_better:
        if target <= 0:
            s = 1.0 if value <= 0 else SCORE_CAP
        else:
            s = value / target
    else:
        if value <= 0:
            s = 1.0 if target <= 0 else SCORE_CAP
        else:
            s = target / value
    return float(min(max(s, 0.0), SCORE_CAP))


def warning_level(change: float | None, higher_is_better: bool) -> str | None:
    if change is None or pd.isna(change):
        return None
    worse = -change if higher_is_better else change
    if worse >= RED - _EPS:
        return "red"
    if worse >= YELLOW - _EPS:
        return "yellow"
    return None


def evaluate(con, filters: Filters, targets: Targets) -> Evaluation:
    """Scorecard and warnings in one pass (one grouped query per domain for all five periods)."""
    ids = scorecard_ids()
    base_periods = baseline_periods(filters)
    periods = [(filters.start, filters.end), *base_periods]
    df = compute(con, filters, periods, ids, by="community", targets=targets)
    starts = _scope.data_starts(con)

    cur = df[df["period"] == 0].drop(columns="period").rename(columns={"value": "value"})
    hist = df[df["period"] > 0]
    # a baseline period counts only from the month the KPI's ledger begins (decided per period × KPI)
    pairs = hist[["period", "kpi_id"]].drop_duplicates()
    ok = []
    for pid, kid in zip(pairs["period"], pairs["kpi_id"], strict=True):
        first = starts.get(CATALOGUE[kid].source)
        ok.append(first is not None and base_periods[pid - 1][0] >= first.replace(day=1))
    pairs = pairs.assign(_counted=np.array(ok, dtype=bool))
    hist = hist.merge(pairs, on=["period", "kpi_id"], how="left")
    hist = hist[hist["_counted"].to_numpy(dtype=bool)]
    baseline = hist.groupby(["community", "kpi_id"])["value"].mean().rename("baseline")
    periods_used = hist.dropna(subset=["value"]).groupby(["community", "kpi_id"]).size().rename("baseline_periods")
    detail = cur.merge(baseline.reset_index(), on=["community", "kpi_id"], how="left")
    detail = detail.merge(periods_used.reset_index(), on=["community", "kpi_id"], how="left")
    detail["baseline_periods"] = detail["baseline_periods"].fillna(0).astype("int64")

    # target, score, change and level for every row at once (the same rules as score() and warning_level())
    # plain lists: the Arrow-backed columns are slow to iterate element by element (15,000 rows at city scale)
    got = [targets.target(kid, comm)
           for comm, kid in zip(detail["community"].tolist(), detail["kpi_id"].tolist(), strict=True)]
    v = detail["value"].to_numpy(dtype="float64", na_value=np.nan)
    b = detail["baseline"].to_numpy(dtype="float64", na_value=np.nan)
    t = np.array([np.nan if x is None else x for x, _ in got], dtype="float64")
    src = np.array([y for _, y in got], dtype=object)
    use_base = np.isnan(t) & ~np.isnan(b)
    t = np.where(use_base, b, t)
    src[use_base] = "baseline"
    hib = detail["kpi_id"].map({k: CATALOGUE[k].higher_is_better for k in ids}).to_numpy(dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(t <= 0, np.where(v <= 0, 1.0, SCORE_CAP), v / t)
        down = np.where(v <= 0, np.where(t <= 0, 1.0, SCORE_CAP), t / v)
        sc = np.clip(np.where(hib, up, down), 0.0, SCORE_CAP)
        sc[np.isnan(v) | np.isnan(t)] = np.nan
        ch = np.where(np.isnan(v) | np.isnan(b) | (b == 0), np.nan, (v - b) / np.abs(b))
    worse = np.where(hib, -ch, ch)
    lv = np.where(worse >= RED - _EPS, "red", np.where(worse >= YELLOW - _EPS, "yellow", None)).astype(object)
    lv[np.isnan(ch)] = None
    detail["target"] = pd.Series(t, index=detail.index, dtype="float64")
    detail["target_source"] = pd.Series(src, index=detail.index, dtype="object")
    detail["score"] = pd.Series(sc, index=detail.index, dtype="float64")
    detail["change"] = pd.Series(ch, index=detail.index, dtype="float64")
    detail["level"] = pd.Series(lv, index=detail.index, dtype="object")

    warn = detail[detail["level"].notna()][["community", "kpi_id", "value", "baseline", "change", "level"]]
    warn = warn.assign(_r=(warn["level"] != "red").astype(int), _o=warn["kpi_id"].map({k: n for n, k in enumerate(ids)}))
    warn = warn.sort_values(["_r", "community", "_o"]).drop(columns=["_r", "_o"]).reset_index(drop=True)

    table = _table(detail, ids, warn)
    return Evaluation(table, detail.reset_index(drop=True), warn)


def _table(detail: pd.DataFrame, ids: list[str], warn: pd.DataFrame) -> pd.DataFrame:
    communities = list(dict.fromkeys(detail["community"].tolist()))
    t = pd.DataFrame({"community": communities})
    g = detail.groupby("community")["score"]
    t["score"] = t["community"].map(g.mean()).astype("float64")
    t["kpis_scored"] = t["community"].map(g.count()).fillna(0).astype("int64")
    counts = warn.groupby("community").size()
    t["warnings"] = t["community"].map(counts).fillna(0).astype("int64")
    t["red_warnings"] = t["community"].map(warn[warn["level"] == "red"].groupby("community").size())
    t["red_warnings"] = t["red_warnings"].fillna(0).astype("int64")
    wide = {c: detail.pivot(index="community", columns="kpi_id", values=c) for c in ("value", "score", "target")}
    cols = {}
    for k in ids:
        for c, suffix in (("value", ""), ("score", "_score"), ("target", "_target")):
            col = wide[c][k] if k in wide[c] else pd.Series(dtype="float64")
            cols[k + suffix] = col.reindex(communities).to_numpy(dtype="float64")
    t = pd.concat([t, pd.DataFrame(cols)], axis=1)
    t = t.sort_values(["score", "community"], ascending=[False, True], na_position="last").reset_index(drop=True)
    t.insert(1, "rank", t["score"].rank(ascending=False, method="min"))
    return t


def scorecard(con, filters: Filters, targets: Targets) -> pd.DataFrame:
    """One row per community in scope, best score first.

    Columns: community, rank (1 = best; NaN without a score), score (governance
    score, mean of capped KPI scores), kpis_scored, warnings, red_warnings, then
    for each scorecard KPI `<id>` (value), `<id>_score`, `<id>_target`.
    """
    return evaluate(con, filters, targets).table


def warnings(con, filters: Filters, targets: Targets) -> pd.DataFrame:
    """Fired warnings: columns community, kpi_id, value, baseline, change, level ('red' first, then 'yellow')."""
    return evaluate(con, filters, targets).warnings


def standing(con, filters: Filters, targets: Targets, community: str) -> Standing:
    """`community`'s score, its rank among every community of its street and the street's average score.

    Computed server-side from the scorecard of the street's communities for the filters' period and pillars
    (chosen communities, compounds and `allowed` do not narrow the ranking); the result carries only the
    viewer's own community. Raises ScopeError when `filters.allowed` does not include `community`, and
    KeyError when the community is not in the register.
    """
    if filters.allowed is not None and community not in filters.allowed:
        raise ScopeError(f"community {community!r} is outside the viewer's scope")
    cur = con.cursor()
    try:
        row = cur.execute("SELECT street FROM communities WHERE name = $c", {"c": community}).fetchone()
        if row is None:
            raise KeyError(community)
        street = row[0]
        members = tuple(r[0] for r in cur.execute(
            "SELECT name FROM communities WHERE street IS NOT DISTINCT FROM $s ORDER BY name", {"s": street}
        ).fetchall())
    finally:
        cur.close()
    table = evaluate(con, Filters(filters.start, filters.end, communities=members, pillars=filters.pillars),
                     targets).table
    mine = table[table["community"] == community]
    score_ = None if mine.empty or pd.isna(mine["score"].iloc[0]) else float(mine["score"].iloc[0])
    rank = None if mine.empty or pd.isna(mine["rank"].iloc[0]) else int(mine["rank"].iloc[0])
    avg = table["score"].mean()
    return Standing(community, street, score_, rank, int(len(table)), None if pd.isna(avg) else float(avg))
