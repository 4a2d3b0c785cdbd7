"""Summary tables (the one home of their maintenance): exact per-month aggregates the KPIs read at scale.

Why: at district scale (200 communities × 20 years, 11 M hour rows) the volunteer KPIs spent a second per call
scanning `volunteer_hours` joined to the roster (the points balance alone is a running total over every row).
The summaries hold the same figures per month, exactly (sums, and one row per volunteer × month for distinct
counts), so a month-aligned period reads thousands of rows instead of millions. Periods that do not start and
end on month boundaries keep reading the fact tables (kpi/volunteers.py decides).

Tables (DDL in etl.schema, listed in `schema.SUMMARY_TABLES`):

- `summary_volunteer_month`: one row per volunteer (of the roster) × month with an hours row: the volunteer's
  current community (hours count through the roster), joined_on and party (party_member, NULL = no) from the
  roster, hours (sum), points (sum; NULL when every row's points
  are NULL), active (some row with hours > 0), records. Rows of a volunteer_id not in the roster are left out,
  as the KPIs leave them out.
- `summary_volunteer_first`: one row per volunteer with an active month: the first month with an hours row
  of hours > 0 (the volunteer's retention cohort), community as above.
- `summary_community_active`: distinct counts per community × calendar month and × calendar quarter (`grain`
  'month' | 'quarter', `start` its first day): active volunteers, those of them registered by the span's end
  (joined_on NULL or ≤ the last day), party members among them, and retained (also active in the previous span of
  the same grain). A volunteer belongs to one community, so these add up exactly over communities.
- `summary_team_span`: per community × calendar month and × calendar quarter (`grain`, `start` as above) × team
  (the roster's `team`, trimmed, NULL = none) of the volunteers' hours rows: one row per service (the hours row's
  `service`, trimmed, NULL = none; `all_services` FALSE) and one row for the team's services together
  (`all_services` TRUE, service NULL), each with records, volunteers (distinct), active (distinct, a row of hours
  > 0), party_active (active party members), hours and points (sums; points NULL when every row's are NULL).
  Distinct counts add up over communities (a volunteer belongs to one community and one team), not over spans:
  the team and service tables of the 志愿积分 page read it for one-month and one-quarter periods.
- `summary_community_month`: one row per community × month with hours or redemptions: hours, points (as
  above), redeemed (sum of redemption points; NULL without redemptions).
- `summary_hours_link`: one row per activity id × month of the hours rows that name that activity id
  (`activity_id` as written, whether or not the activity is in the ledger; rows without one left out, roster or
  not): records. Where in time an activity's service records lie, so that a query starting from activities
  (the 便民服务 page's teams, kpi/services.py) reads those months of volunteer_hours, not all of it — exactly,
  since a service record need not be dated on its activity's day.

Maintenance: `refresh(con, batch_ids)` is called by the loader (etl/loader.py `_load_unit`) and by
`etl.history.withdraw` inside the batch's transaction, just before COMMIT. It recomputes only the
(community, month) keys the batch can have changed (`touched`), from the fact tables as they are now:

- hour and redemption rows the batch wrote, replaced, took out or put back (current table rows with
  `batch_id` in the batch ids, history rows with `batch_id`, `replaced_by` or `restored_by` in them): their
  month under their volunteer's current community;
- roster rows likewise (a volunteer who moved community, joined or left the roster): every month of that
  volunteer's hours and redemptions, under each version's community (the old one loses them, the new one
  gains them).

- for summary_hours_link, the (activity id, month) of every such hour row version (the roster plays no part).

A withdrawal passes both its own id and the id of the load it takes back or puts back, so every version of
every row that load touched is covered. Reference tables (communities, compounds) do not enter the
summaries: the household denominators are read from the register at query time.

A warehouse whose summaries are not current (written by an older version, `meta.summaries` missing or of
another `VERSION`) gets a full `rebuild` instead, from `refresh` itself or from `etl.warehouse.upgrade_schema`.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from etl import schema

VERSION = "5"  # bump when a summary's definition changes: older warehouses then rebuild
META_KEY = "summaries"

# The summaries' rows for the (community, month) keys in `_summary_keys` (all keys when `everything`).
_VOLUNTEER_MONTH = """
    SELECT h.volunteer_id, v.community, date_trunc('month', h.date)::DATE AS month, v.joined_on,
           coalesce(v.party_member, FALSE) AS party, sum(h.hours)::DOUBLE AS hours, sum(h.points)::DOUBLE AS points,
           bool_or(h.hours > 0) AS active, count(*)::BIGINT AS records
    FROM volunteer_hours h JOIN {roster} v USING (volunteer_id)
    {where}
    GROUP BY h.volunteer_id, v.community, date_trunc('month', h.date)::DATE, v.joined_on, v.party_member
    ORDER BY month, v.community"""

_COMMUNITY_MONTH = """
    WITH hm AS (
        SELECT community, month, sum(hours)::DOUBLE AS hours, sum(points)::DOUBLE AS points
        FROM summary_volunteer_month {where_s} GROUP BY community, month
    ),
    rm AS (
        SELECT v.community, date_trunc('month', r.date)::DATE AS month, sum(r.points)::DOUBLE AS redeemed
        FROM {redemptions} r JOIN volunteers v USING (volunteer_id)
        {where_r}
        GROUP BY v.community, date_trunc('month', r.date)::DATE
    )
    SELECT coalesce(hm.community, rm.community) AS community, coalesce(hm.month, rm.month) AS month,
           hm.hours, hm.points, rm.redeemed
    FROM hm FULL JOIN rm ON hm.community = rm.community AND hm.month = rm.month
    ORDER BY month, community"""

_VOLUNTEER_FIRST = """
    SELECT volunteer_id, community, min(month) AS first_month FROM summary_volunteer_month
    WHERE active {where} GROUP BY volunteer_id, community ORDER BY first_month, community"""

# Rows of the touched keys; the date bounds (the keys' first and last month) let DuckDB skip the row groups of
# other years without evaluating the key match row by row.
GRAINS = {"month": "1 MONTH", "quarter": "3 MONTHS"}

# Distinct counts per community × span for the (community, grain, start) keys in `_active_keys` (all: where="").
_ACTIVE = """
    WITH a AS (
        SELECT DISTINCT volunteer_id, community, joined_on, party,
               date_trunc('{grain}', month)::DATE AS start
        FROM summary_volunteer_month WHERE active {where_a}
    )
    SELECT a.community, '{grain}' AS grain, a.start, count(*) AS active,
           count(*) FILTER (WHERE a.joined_on IS NULL OR a.joined_on < a.start + INTERVAL {step}) AS active_registered,
           count(*) FILTER (WHERE a.party) AS active_party,
           count(b.volunteer_id) AS retained
    FROM a LEFT JOIN a b ON b.volunteer_id = a.volunteer_id AND b.start = a.start - INTERVAL {step}
    {where_k}
    GROUP BY a.community, a.start
    ORDER BY a.start, a.community"""



# Per community × span × team (× service) of hours rows (summary_team_span); `where` bounds the hours rows.
_TEAM = """
    WITH h AS (
        SELECT h.volunteer_id, v.community, date_trunc('{grain}', h.date)::DATE AS start,
               nullif(trim(v.team), '') AS team, nullif(trim(h.service), '') AS service,
               coalesce(v.party_member, FALSE) AS party, h.hours, h.points
        FROM volunteer_hours h JOIN {roster} v USING (volunteer_id)
        {where}
    )
    SELECT community, '{grain}' AS grain, start, team, {all_services} AS all_services, {service} AS service,
           count(*) AS records, count(DISTINCT volunteer_id) AS volunteers,
           count(DISTINCT volunteer_id) FILTER (WHERE hours > 0) AS active,
           count(DISTINCT volunteer_id) FILTER (WHERE hours > 0 AND party) AS party_active,
           sum(hours)::DOUBLE AS hours, sum(points)::DOUBLE AS points
    FROM h GROUP BY community, start, team{group}
    ORDER BY start, community"""
_TEAM_LEVELS = {"FALSE": ("service", ", service"), "TRUE": ("NULL::VARCHAR", "")}

# Per activity id × month of the hours rows naming it (summary_hours_link); `where` bounds the hours rows.
_LINK = """
    SELECT h.activity_id, date_trunc('month', h.date)::DATE AS month, count(*)::BIGINT AS records
    FROM volunteer_hours h WHERE h.activity_id IS NOT NULL {where}
    GROUP BY h.activity_id, date_trunc('month', h.date)::DATE
    ORDER BY month"""


def _insert_team(con: duckdb.DuckDBPyConnection, grain: str, where: str, params: dict | None = None,
                 roster: str = "volunteers", keep: str = "") -> None:
    """summary_team_span rows of `grain` from the hour rows `where` selects (joined to `roster`); `keep`: a
    clause on the result `x` (e.g. a semi join on the keys being refreshed)."""
    for all_services, (service, group) in _TEAM_LEVELS.items():
        con.execute("INSERT INTO summary_team_span BY NAME SELECT x.* FROM (" + _TEAM.format(
            grain=grain, where=where, all_services=all_services, service=service, group=group, roster=roster)
            + f") x {keep}", params)


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the summaries exist and were maintained by this version (else they need a `rebuild`)."""
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()}
    if not set(schema.SUMMARY_TABLES) <= have or "meta" not in have:
        return False
    row = con.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchone()
    return row is not None and row[0] == VERSION


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every summary from the fact tables (older warehouses, tests' warehouses built in code)."""
    for t, ddl in schema.SUMMARY_DDL.items():  # recreated: an older version's summary may have other columns
        con.execute(f"DROP TABLE IF EXISTS {t}")
        con.execute(ddl)
    con.execute("INSERT INTO summary_volunteer_month BY NAME " + _VOLUNTEER_MONTH.format(roster="volunteers", where=""))
    con.execute("INSERT INTO summary_volunteer_first BY NAME " + _VOLUNTEER_FIRST.format(where=""))
    con.execute("INSERT INTO summary_community_month BY NAME "
                + _COMMUNITY_MONTH.format(where_s="", redemptions="redemptions", where_r=""))
    for grain, step in GRAINS.items():
        con.execute("INSERT INTO summary_community_active BY NAME "
                    + _ACTIVE.format(grain=grain, step=step, where_a="", where_k=""))
        _insert_team(con, grain, "")
    con.execute("INSERT INTO summary_hours_link BY NAME " + _LINK.format(where=""))
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_KEY, VERSION])


def touched(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str]) -> None:
    """Fill two temporary tables with what these batches can have changed: `_summary_pairs(volunteer_id,
    month)`, the volunteer × months whose rows were written, replaced, taken out or put back (every month of a
    volunteer whose roster row changed), and `_summary_keys(community, month)`, their communities (the current
    roster's, and every roster version's the batches touched: a moved volunteer's old community loses them)."""
    ids = list(dict.fromkeys(batch_ids))
    mine = "list_contains($ids::VARCHAR[], batch_id)"
    shadow = ("(list_contains($ids::VARCHAR[], batch_id) OR list_contains($ids::VARCHAR[], replaced_by) "
              "OR list_contains($ids::VARCHAR[], restored_by))")
    rows = " UNION ALL ".join(
        f"SELECT volunteer_id, date FROM {t} WHERE {mine} "
        f"UNION ALL SELECT volunteer_id, date FROM {schema.HISTORY_TABLES[t]} WHERE {shadow}"
        for t in ("volunteer_hours", "redemptions"))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _summary_roster AS
        SELECT volunteer_id, community FROM volunteers WHERE {mine}
        UNION SELECT volunteer_id, community FROM {schema.HISTORY_TABLES["volunteers"]} WHERE {shadow}""",
                {"ids": ids})
    moved = ""
    if con.execute("SELECT count(*) FROM _summary_roster").fetchone()[0]:
        moved = """UNION ALL
            SELECT volunteer_id, date FROM volunteer_hours
            WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_roster)
            UNION ALL
            SELECT volunteer_id, date FROM redemptions
            WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_roster)"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _summary_pairs AS
        SELECT DISTINCT volunteer_id, date_trunc('month', date)::DATE AS month FROM ({rows} {moved})""",
                {"ids": ids})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _summary_keys AS
        SELECT DISTINCT v.community, p.month FROM _summary_pairs p JOIN volunteers v USING (volunteer_id)
        UNION
        SELECT DISTINCT r.community, p.month FROM _summary_pairs p JOIN _summary_roster r USING (volunteer_id)""")
    con.execute("DROP TABLE _summary_roster")


def _months(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """The first month and the month after the last of a keys table: constant bounds that let DuckDB skip the row
    groups of other months (the summaries are written in month order; the fact tables roughly so)."""
    lo, hi = con.execute(f"SELECT min(month), max(month) + INTERVAL 1 MONTH FROM {table}").fetchone()
    return {"lo": lo, "hi": hi}


def refresh(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str]) -> None:
    """Bring the summaries up to date after these batches changed the tables (inside their transaction).

    Recomputes only what the batches touched — the volunteer × months, then the (community, month) and
    (community, span) keys those belong to — each read through constant month bounds, so that an upload's
    refresh reads about what it loaded, not the warehouse; a full `rebuild` when the summaries are not current
    (an older warehouse's first load)."""
    if not is_current(con):
        rebuild(con)
        return
    _refresh_links(con, batch_ids)
    touched(con, batch_ids)
    if con.execute("SELECT count(*) FROM _summary_pairs").fetchone()[0]:
        _refresh_volunteer_months(con)
        _refresh_communities(con)
    con.execute("DROP TABLE IF EXISTS _summary_pairs")
    con.execute("DROP TABLE IF EXISTS _summary_keys")


def _refresh_volunteer_months(con: duckdb.DuckDBPyConnection) -> None:
    """summary_volunteer_month for the touched volunteer × months, then the first month of those volunteers
    whose first month can have changed (a touched month at or before it, or none yet)."""
    pairs = _months(con, "_summary_pairs")
    con.execute("DELETE FROM summary_volunteer_month USING _summary_pairs p WHERE "
                "summary_volunteer_month.month >= $lo AND summary_volunteer_month.month < $hi "
                "AND summary_volunteer_month.volunteer_id = p.volunteer_id AND summary_volunteer_month.month = p.month",
                pairs)
    # only the pairs' volunteers are read (their hour rows within the bounds, their roster rows), and only
    # their touched months are kept
    con.execute("INSERT INTO summary_volunteer_month BY NAME SELECT x.* FROM (" + _VOLUNTEER_MONTH.format(
        roster="(SELECT * FROM volunteers WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_pairs))",
        where="WHERE h.date >= $lo AND h.date < $hi AND h.volunteer_id IN (SELECT volunteer_id FROM _summary_pairs)")
        + ") x SEMI JOIN _summary_pairs p ON p.volunteer_id = x.volunteer_id AND p.month = x.month", pairs)
    # a volunteer whose first active month F lies before every touched month keeps F (F itself is untouched,
    # so still active): only the others are recomputed
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _summary_volunteers AS
        SELECT p.volunteer_id FROM (SELECT volunteer_id, min(month) AS m FROM _summary_pairs GROUP BY volunteer_id) p
        LEFT JOIN summary_volunteer_first f USING (volunteer_id)
        WHERE f.first_month IS NULL OR f.first_month >= p.m""")
    if con.execute("SELECT count(*) FROM _summary_volunteers").fetchone()[0]:
        con.execute("DELETE FROM summary_volunteer_first "
                    "WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_volunteers)")
        con.execute("INSERT INTO summary_volunteer_first BY NAME " + _VOLUNTEER_FIRST.format(
            where="AND volunteer_id IN (SELECT volunteer_id FROM _summary_volunteers)"))
    con.execute("DROP TABLE _summary_volunteers")


def _refresh_communities(con: duckdb.DuckDBPyConnection) -> None:
    """summary_community_active and summary_team_span for the spans of a touched (community, month) and the next
    ones (whose `retained` looks back at it), and summary_community_month for the touched keys."""
    con.execute("CREATE OR REPLACE TEMP TABLE _active_keys AS " + " UNION ".join(
        f"SELECT DISTINCT community, '{g}' AS grain, date_trunc('{g}', month)::DATE + INTERVAL {n} AS start "
        "FROM _summary_keys" for g, step in GRAINS.items() for n in ("0 DAYS", step)))
    lo, hi = con.execute("SELECT min(start) - INTERVAL 3 MONTH, max(start) + INTERVAL 3 MONTH "
                         "FROM _active_keys").fetchone()  # every span of a key, and the span before it
    con.execute("DELETE FROM summary_community_active USING _active_keys k WHERE "
                "summary_community_active.community = k.community AND summary_community_active.grain = k.grain "
                "AND summary_community_active.start = k.start")
    for grain, step in GRAINS.items():
        con.execute("INSERT INTO summary_community_active BY NAME " + _ACTIVE.format(
            grain=grain, step=step,
            where_a="AND month >= $lo AND month < $hi AND community IN (SELECT community FROM _active_keys)",
            where_k=f"WHERE EXISTS (SELECT 1 FROM _active_keys k WHERE k.community = a.community "
                    f"AND k.grain = '{grain}' AND k.start = a.start)"), {"lo": lo, "hi": hi})
    # summary_team_span: only the spans of a touched month (it has no look-back column), from the hour rows of
    # those spans' volunteers (the touched communities' roster) within the spans' bounds
    con.execute("CREATE OR REPLACE TEMP TABLE _team_keys AS " + " UNION ".join(
        f"SELECT DISTINCT community, '{g}' AS grain, date_trunc('{g}', month)::DATE AS start FROM _summary_keys"
        for g in GRAINS))
    con.execute("DELETE FROM summary_team_span USING _team_keys k WHERE "
                "summary_team_span.community = k.community AND summary_team_span.grain = k.grain "
                "AND summary_team_span.start = k.start")
    for grain, step in GRAINS.items():
        span_lo, span_hi = con.execute(
            f"SELECT min(start)::DATE, (max(start) + INTERVAL {step})::DATE FROM _team_keys WHERE grain = ?",
            [grain]).fetchone()
        _insert_team(con, grain, "WHERE h.date >= $lo AND h.date < $hi", {"lo": span_lo, "hi": span_hi},
                     roster="(SELECT * FROM volunteers WHERE community IN (SELECT community FROM _team_keys))",
                     keep=(f"SEMI JOIN _team_keys k ON k.community = x.community AND k.grain = '{grain}' "
                           "AND k.start = x.start"))
    con.execute("DROP TABLE _team_keys")
    con.execute("DROP TABLE _active_keys")
    keys = _months(con, "_summary_keys")
    con.execute("DELETE FROM summary_community_month USING _summary_keys k WHERE "
                "summary_community_month.community = k.community AND summary_community_month.month = k.month")
    con.execute("INSERT INTO summary_community_month BY NAME SELECT x.* FROM (" + _COMMUNITY_MONTH.format(
        where_s="WHERE month >= $lo AND month < $hi AND community IN (SELECT community FROM _summary_keys)",
        redemptions="(SELECT * FROM redemptions WHERE date >= $lo AND date < $hi)",
        where_r="WHERE v.community IN (SELECT community FROM _summary_keys)")
        + ") x SEMI JOIN _summary_keys k ON k.community = x.community AND k.month = x.month", keys)


def _refresh_links(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str]) -> None:
    """summary_hours_link for the (activity id, month) of every hours row version these batches wrote, replaced,
    took out or put back: those keys are recounted from the hours rows within their months (and of their
    activity ids), the rest stays."""
    ids = list(dict.fromkeys(batch_ids))
    history = schema.HISTORY_TABLES["volunteer_hours"]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _link_keys AS
        SELECT DISTINCT activity_id, date_trunc('month', date)::DATE AS month FROM (
            SELECT activity_id, date FROM volunteer_hours WHERE list_contains($ids::VARCHAR[], batch_id)
            UNION ALL
            SELECT activity_id, date FROM {history}
            WHERE list_contains($ids::VARCHAR[], batch_id) OR list_contains($ids::VARCHAR[], replaced_by)
                  OR list_contains($ids::VARCHAR[], restored_by))
        WHERE activity_id IS NOT NULL""", {"ids": ids})
    if con.execute("SELECT count(*) FROM _link_keys").fetchone()[0]:
        keys = _months(con, "_link_keys")
        con.execute("DELETE FROM summary_hours_link USING _link_keys k WHERE "
                    "summary_hours_link.month >= $lo AND summary_hours_link.month < $hi "
                    "AND summary_hours_link.activity_id = k.activity_id AND summary_hours_link.month = k.month",
                    keys)
        con.execute("INSERT INTO summary_hours_link BY NAME SELECT x.* FROM (" + _LINK.format(
            where="AND h.date >= $lo AND h.date < $hi "
                  "AND h.activity_id IN (SELECT activity_id FROM _link_keys)")
            + ") x SEMI JOIN _link_keys k ON k.activity_id = x.activity_id AND k.month = x.month", keys)
    con.execute("DROP TABLE _link_keys")
