"""What can be filtered (for the UI's filter widgets and header) and the scope's households.

Scope rules (the same for every KPI):

- Communities: facts whose `community` is selected; none selected = all.
- Compounds: activities and cases whose `compound` is selected (rows without a
  compound drop out). Households then come from the compound register (sum of
  the selected compounds). Volunteers have no compound: volunteer KPIs cover the
  communities that contain a selected compound (per the compound register).
- Communities "in scope" (the rows of a by-community result, the scorecard's
  rows): the selected communities from the community register, or — with a
  compound filter — those of them that contain a selected compound.
- The viewer's scope (`Filters.allowed`, None = all): every rule above applies
  within the allowed communities only; chosen communities outside it select
  nothing. `scope_options(con, allowed)` lists only allowed communities, their
  compounds and the pillars present in their activities; the data's date range,
  load time and versions describe the warehouse (the street's ledgers), so they
  are the same for every viewer, as is `data_starts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from etl.contract import PILLARS
from kpi._sql import Sql, allowed_scope
from kpi.filters import Filters


@dataclass(frozen=True)
class ScopeOptions:
    communities: pd.DataFrame  # community, street, households (register order: street, name)
    compounds: pd.DataFrame  # community, compound, households
    pillars: tuple[str, ...]  # pillars present in (allowed communities') activities, contract order first
    min_date: date | None  # earliest date in activities / cases / volunteer hours / redemptions (warehouse-wide)
    max_date: date | None  # latest such date (warehouse-wide)
    last_load_at: datetime | None  # max loaded_at of successful loads (loaded, loaded_with_rejects)
    dataset: str | None  # meta 'dataset' ('demo' for demo data), None when unset
    data_version: str | None = None  # meta 'data_version': changes with every load that changed the data

    def compounds_of(self, community: str) -> list[str]:
        return self.compounds.loc[self.compounds["community"] == community, "compound"].tolist()


def scope_options(con, allowed: tuple[str, ...] | None = None) -> ScopeOptions:
    """What the viewer may filter by. `allowed` (as `Filters.allowed`; None = every community) restricts the
    communities, compounds and pillars listed; dates, load time, dataset and data version are warehouse-wide."""
    f = Filters(date.min, date.min, allowed=allowed)
    cur = con.cursor()
    try:
        q = Sql()
        communities = q.run(cur, "SELECT name AS community, street, households FROM communities "
                                 f"WHERE {allowed_scope(q, f, 'name')} ORDER BY street, name")
        q = Sql()
        compounds = q.run(cur, "SELECT community, name AS compound, households FROM compounds "
                               f"WHERE {allowed_scope(q, f, 'community')} ORDER BY community, name")
        q = Sql()
        present = [r[0] for r in cur.execute(
            f"SELECT DISTINCT pillar FROM activities WHERE {allowed_scope(q, f, 'community')}", q.params
        ).fetchall()]
        pillars = tuple(p for p in PILLARS if p in present) + tuple(sorted(p for p in present if p not in PILLARS))
        lo, hi = cur.execute(
            """SELECT min(lo), max(hi) FROM (
                   SELECT min(date) lo, max(date) hi FROM activities
                   UNION ALL SELECT min(opened_on), max(greatest(opened_on, coalesce(closed_on, opened_on))) FROM cases
                   UNION ALL SELECT min(date), max(date) FROM volunteer_hours
                   UNION ALL SELECT min(date), max(date) FROM redemptions)"""
        ).fetchone()
        (last,) = cur.execute(
            "SELECT max(loaded_at) FROM load_batches WHERE status IN ('loaded', 'loaded_with_rejects')"
        ).fetchone()
        meta = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('dataset', 'data_version')").fetchall())
    finally:
        cur.close()
    return ScopeOptions(communities, compounds, pillars, lo, hi, last, meta.get("dataset"), meta.get("data_version"))


def households(cur, f: Filters) -> pd.DataFrame:
    """The communities in scope (within `f.allowed`) with their households in scope: columns community, households.

    Without a compound filter: the community register; with one: the sum of the
    selected compounds' households per community (communities without a
    selected compound are not in scope).
    """
    q = Sql()
    if f.compounds:
        where = [f"list_contains({q.p('compounds', list(f.compounds))}::VARCHAR[], name)",
                 allowed_scope(q, f, "community")]
        if f.communities:
            where.append(f"list_contains({q.p('communities', list(f.communities))}::VARCHAR[], community)")
        sql = (
            "SELECT community, sum(households)::BIGINT AS households FROM compounds WHERE "
            + " AND ".join(where) + " GROUP BY community ORDER BY community"
        )
    else:
        where = [allowed_scope(q, f, "name")]
        if f.communities:
            where.append(f"list_contains({q.p('communities', list(f.communities))}::VARCHAR[], name)")
        sql = ("SELECT name AS community, households::BIGINT AS households FROM communities WHERE "
               + " AND ".join(where) + " ORDER BY name")
    return q.run(cur, sql)


def data_starts(con) -> dict[str, date | None]:
    """First date of data per KPI source (catalogue `KPI.source`), over the whole warehouse.

    Deliberately not restricted by a viewer's scope: it says when the street's ledgers begin (the scorecard
    counts baseline periods from there), so a community's scores are the same whoever looks at them."""
    cur = con.cursor()
    try:
        (act,) = cur.execute("SELECT min(date) FROM activities").fetchone()
        kinds = dict(cur.execute("SELECT kind, min(opened_on) FROM cases GROUP BY kind").fetchall())
        (vol,) = cur.execute("SELECT min(date) FROM volunteer_hours").fetchone()
    finally:
        cur.close()
    out: dict[str, date | None] = {"activities": act, "volunteers": vol}
    for kind in ("居民诉求", "矛盾纠纷", "安全隐患"):
        out[kind] = kinds.get(kind)
    return out
