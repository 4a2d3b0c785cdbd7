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

Maintenance: `refresh(con, batch_ids, tables)` is called by the loader (etl/loader.py `_load_unit`, with the
one table the load wrote) and by `etl.history.withdraw` (every source table) inside the batch's transaction, just
before COMMIT. It recomputes only the
(community, month) keys the batch can have changed (`touched`), from the fact tables as they are now:

- hour and redemption rows the batch wrote, replaced, took out or put back (current table rows with
  `batch_id` in the batch ids, history rows with `batch_id`, `replaced_by` or `restored_by` in them): their
  month under their volunteer's current community;
- roster rows likewise (a volunteer who moved community, joined or left the roster): every month of that
  volunteer's hours and redemptions, under each version's community (the old one loses them, the new one
  gains them);
- for summary_hours_link, the (activity id, month) of every such hour row version (the roster plays no part).

Keys only redemption rows touched change summary_community_month's `redeemed` and nothing else (a load that only
added redemption rows adds their sum, `_add_redeemed`, rather than recount the month); the summaries
over hours are refreshed for the keys whose hour rows can have changed, all from one table, `_summary_hours`:
the touched communities' hour rows (joined to the roster) within the touched months' quarters, read once through
literal date bounds DuckDB prunes on. A summary added here should read it too rather than scan volunteer_hours
(summary_hours_link, keyed by activity rather than community, reads its own keys' months of hour rows).

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
# The tables the summaries are computed from (`refresh`'s `tables`)
SOURCES = ("volunteers", "volunteer_hours", "redemptions")

# The summaries' rows for the (community, month) keys in `_summary_keys` (all keys when `everything`).
# The hour rows joined to the roster: what every summary over hours is computed from (`rebuild`: all of them;
# `refresh`: the touched communities' rows within the touched spans, materialised once as `_summary_hours`).
_HOURS = """
    SELECT h.volunteer_id, v.community, h.date, v.joined_on, coalesce(v.party_member, FALSE) AS party,
           nullif(trim(v.team), '') AS team, nullif(trim(h.service), '') AS service, h.hours, h.points
    FROM volunteer_hours h JOIN {roster} v USING (volunteer_id)
    {where}"""

_VOLUNTEER_MONTH = """
    SELECT volunteer_id, community, date_trunc('month', date)::DATE AS month, joined_on, party,
           sum(hours)::DOUBLE AS hours, sum(points)::DOUBLE AS points,
           bool_or(hours > 0) AS active, count(*)::BIGINT AS records
    FROM {hours} h
    {where}
    GROUP BY volunteer_id, community, date_trunc('month', date)::DATE, joined_on, party
    ORDER BY month, community"""

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

# The spans the active and team summaries are kept for, and their length.
GRAINS = {"month": "1 MONTH", "quarter": "3 MONTHS"}

# Distinct counts per community × span for the (community, grain, start) keys in `_active_keys` (all: where="").
_ACTIVE = """
    WITH a AS (
        SELECT DISTINCT volunteer_id, community, joined_on, party,
               date_trunc('{grain}', month)::DATE AS start
        FROM {source} WHERE active {where_a}
    )
    SELECT a.community, '{grain}' AS grain, a.start, count(*) AS active,
           count(*) FILTER (WHERE a.joined_on IS NULL OR a.joined_on < a.start + INTERVAL {step}) AS active_registered,
           count(*) FILTER (WHERE a.party) AS active_party,
           count(b.volunteer_id) AS retained
    FROM a LEFT JOIN a b ON b.volunteer_id = a.volunteer_id AND b.start = a.start - INTERVAL {step}
    {where_k}
    GROUP BY a.community, a.start
    ORDER BY a.start, a.community"""



# Per community × span × team (× service) of hours rows (summary_team_span) of the row source `hours`.
_TEAM = """
    WITH h AS (
        SELECT volunteer_id, community, date_trunc('{grain}', date)::DATE AS start, team, service, party, hours,
               points
        FROM {hours} h {where}
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


def _insert_team(con: duckdb.DuckDBPyConnection, grain: str, hours: str, keep: str = "") -> None:
    """summary_team_span rows of `grain` from the row source `hours` (see `_HOURS`); `keep`: a clause on the
    result `x` (e.g. a semi join on the keys being refreshed)."""
    for all_services, (service, group) in _TEAM_LEVELS.items():
        con.execute("INSERT INTO summary_team_span BY NAME SELECT x.* FROM (" + _TEAM.format(
            grain=grain, where="", all_services=all_services, service=service, group=group, hours=hours)
            + f") x {keep}")


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
    every_row = "(" + _HOURS.format(roster="volunteers", where="") + ")"
    con.execute("INSERT INTO summary_volunteer_month BY NAME " + _VOLUNTEER_MONTH.format(hours=every_row, where=""))
    con.execute("INSERT INTO summary_volunteer_first BY NAME " + _VOLUNTEER_FIRST.format(where=""))
    con.execute("INSERT INTO summary_community_month BY NAME "
                + _COMMUNITY_MONTH.format(where_s="", redemptions="redemptions", where_r=""))
    for grain, step in GRAINS.items():
        con.execute("INSERT INTO summary_community_active BY NAME "
                    + _ACTIVE.format(grain=grain, step=step, source="summary_volunteer_month", where_a="",
                                     where_k=""))
        _insert_team(con, grain, every_row)
    con.execute("INSERT INTO summary_hours_link BY NAME " + _LINK.format(where=""))
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_KEY, VERSION])


def touched(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str], tables: Iterable[str] = SOURCES) -> None:
    """Fill two temporary tables with what these batches can have changed: `_summary_pairs(volunteer_id, month,
    hours)`, the volunteer × months whose rows were written, replaced, taken out or put back (every month of a
    volunteer whose roster row changed), and `_summary_keys(community, month, hours, added)`, their communities (the
    current roster's, and every roster version's the batches touched: a moved volunteer's old community loses
    them). `hours`: whether the key's hour rows can have changed (an hour row, or a roster change); a key only
    a redemption touched changes summary_community_month's `redeemed` and nothing computed from hours.
    `added` (both tables): the sum of the points of the redemption rows the batches wrote, NULL without any.
    `tables`: the tables the batches can have written (`refresh`)."""
    ids = list(dict.fromkeys(batch_ids))
    tables = set(tables)
    mine = "list_contains($ids::VARCHAR[], batch_id)"
    shadow = ("(list_contains($ids::VARCHAR[], batch_id) OR list_contains($ids::VARCHAR[], replaced_by) "
              "OR list_contains($ids::VARCHAR[], restored_by))")
    # `added`: the points of the redemption rows the batches wrote (what `_add_redeemed` adds when that is all
    # they did), read in the same scan
    rows = " UNION ALL ".join(
        f"SELECT volunteer_id, date, {t == 'volunteer_hours'} AS hours, "
        f"{'points' if t == 'redemptions' else 'NULL::DOUBLE'} AS added FROM {t} WHERE {mine} "
        f"UNION ALL SELECT volunteer_id, date, {t == 'volunteer_hours'}, NULL "
        f"FROM {schema.HISTORY_TABLES[t]} WHERE {shadow}"
        for t in ("volunteer_hours", "redemptions") if t in tables) or (
        "SELECT NULL::VARCHAR AS volunteer_id, NULL::DATE AS date, NULL::BOOLEAN AS hours, NULL::DOUBLE AS added "
        "WHERE FALSE")
    roster = (f"""SELECT volunteer_id, community FROM volunteers WHERE {mine}
        UNION SELECT volunteer_id, community FROM {schema.HISTORY_TABLES["volunteers"]} WHERE {shadow}"""
              if "volunteers" in tables else "SELECT NULL::VARCHAR AS volunteer_id, NULL::VARCHAR AS community WHERE FALSE")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _summary_roster AS {roster}", {"ids": ids} if "$ids" in roster else None)
    moved = ""
    if con.execute("SELECT count(*) FROM _summary_roster").fetchone()[0]:
        moved = """UNION ALL
            SELECT volunteer_id, date, TRUE, NULL FROM volunteer_hours
            WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_roster)
            UNION ALL
            SELECT volunteer_id, date, TRUE, NULL FROM redemptions
            WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_roster)"""
    pairs = f"""
        CREATE OR REPLACE TEMP TABLE _summary_pairs AS
        SELECT volunteer_id, date_trunc('month', date)::DATE AS month, bool_or(hours) AS hours,
               sum(added)::DOUBLE AS added
        FROM ({rows} {moved}) GROUP BY volunteer_id, date_trunc('month', date)::DATE"""
    con.execute(pairs, {"ids": ids} if "$ids" in pairs else None)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _summary_keys AS
        SELECT community, month, bool_or(hours) AS hours, sum(added)::DOUBLE AS added FROM (
            SELECT v.community, p.month, p.hours, p.added FROM _summary_pairs p JOIN volunteers v USING (volunteer_id)
            UNION ALL
            SELECT r.community, p.month, p.hours, NULL FROM _summary_pairs p JOIN _summary_roster r USING (volunteer_id))
        GROUP BY community, month""")
    con.execute("DROP TABLE _summary_roster")


def date_literal(d) -> str:
    """A date as a SQL literal. Bounds are written into the SQL, not bound as parameters: DuckDB prunes row
    groups on constants, and a literal lets it skip the string comparisons of the rows outside the bounds too
    (measured: a 1.4 M-row key lookup 113 → 7 ms with literal date bounds, 13 ms with parameters)."""
    return f"DATE '{d.isoformat()}'"


def _bounds(con: duckdb.DuckDBPyConnection, table: str, column: str = "month", grain: str = "month",
            before: str = "0 DAYS", after: str = "1 MONTH") -> tuple[str, str]:
    """Literal bounds [first `grain` start − `before`, last `grain` start + `after`) of a keys table's dates."""
    lo, hi = con.execute(f"SELECT (date_trunc('{grain}', min({column})) - INTERVAL {before})::DATE, "
                         f"(date_trunc('{grain}', max({column})) + INTERVAL {after})::DATE FROM {table}").fetchone()
    return date_literal(lo), date_literal(hi)


def refresh(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str], tables: Iterable[str] = SOURCES) -> None:
    """Bring the summaries up to date after these batches changed the tables (inside their transaction).

    Recomputes only what the batches touched — the volunteer × months, then the (community, month) and
    (community, span) keys those belong to. The hour rows they are computed from are read once
    (`_touch_hours`: the touched communities' rows within the touched quarters, through literal date bounds
    DuckDB prunes on) and every summary over hours is refreshed from that small table, so that an upload's
    refresh reads about what it loaded, not the warehouse (a summary added here should read `_summary_hours`
    too). A full `rebuild` when the summaries are not current (an older warehouse's first load).

    `tables`: the tables the batches can have written, of `SOURCES` (a load writes its own kind's table only:
    a redemptions file's refresh need not look for its batch id among the hour rows); a withdrawal passes all."""
    if not is_current(con):
        rebuild(con)
        return
    tables = tuple(t for t in SOURCES if t in set(tables))
    if not tables:  # activities, cases, the registers: nothing the summaries are computed from
        return
    if "volunteer_hours" in tables:
        _refresh_links(con, batch_ids)
    touched(con, batch_ids, tables)
    if con.execute("SELECT count(*) FROM _summary_pairs WHERE hours").fetchone()[0]:
        # the summaries over hours, for the keys whose hour rows can have changed (`_hour_pairs`, `_hour_keys`)
        con.execute("CREATE OR REPLACE TEMP TABLE _hour_pairs AS SELECT * FROM _summary_pairs WHERE hours")
        con.execute("CREATE OR REPLACE TEMP TABLE _hour_keys AS SELECT * FROM _summary_keys WHERE hours")
        _touch_hours(con)
        _refresh_volunteer_months(con)
        _refresh_spans(con)
        for t in ("_summary_hours", "_hour_pairs", "_hour_keys"):
            con.execute(f"DROP TABLE {t}")
    if con.execute("SELECT count(*) FROM _summary_keys").fetchone()[0]:
        if tables == ("redemptions",) and _only_added(con, batch_ids):
            _add_redeemed(con)
        else:
            _refresh_community_months(con)
    con.execute("DROP TABLE IF EXISTS _summary_pairs")
    con.execute("DROP TABLE IF EXISTS _summary_keys")


def _touch_hours(con: duckdb.DuckDBPyConnection) -> None:
    """`_summary_hours`: the hour rows (joined to the roster, `_HOURS`) of the touched communities' volunteers
    within the calendar quarters of the touched months — every row any refreshed key (a volunteer × month, a
    community × month or × quarter) is computed from. One scan of volunteer_hours, pruned to those quarters."""
    lo, hi = _bounds(con, "_hour_keys", grain="quarter", after="3 MONTHS")
    con.execute("CREATE OR REPLACE TEMP TABLE _summary_hours AS " + _HOURS.format(
        roster="(SELECT * FROM volunteers WHERE community IN (SELECT community FROM _hour_keys))",
        where=f"WHERE h.date >= {lo} AND h.date < {hi}"))


def _refresh_volunteer_months(con: duckdb.DuckDBPyConnection) -> None:
    """summary_volunteer_month for the touched volunteer × months, then the first month of those volunteers
    whose first month can have changed (a touched month at or before it, or none yet)."""
    lo, hi = _bounds(con, "_hour_pairs")
    con.execute("DELETE FROM summary_volunteer_month USING _hour_pairs p WHERE "
                f"summary_volunteer_month.month >= {lo} AND summary_volunteer_month.month < {hi} "
                "AND summary_volunteer_month.volunteer_id = p.volunteer_id AND summary_volunteer_month.month = p.month")
    # the touched pairs' volunteers' rows (their current roster row; a volunteer no longer in it has none)
    con.execute("INSERT INTO summary_volunteer_month BY NAME SELECT x.* FROM (" + _VOLUNTEER_MONTH.format(
        hours="_summary_hours", where="WHERE volunteer_id IN (SELECT volunteer_id FROM _hour_pairs)")
        + ") x SEMI JOIN _hour_pairs p ON p.volunteer_id = x.volunteer_id AND p.month = x.month")
    # a volunteer whose first active month F lies before every touched month keeps F (F itself is untouched,
    # so still active): only the others are recomputed
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _summary_volunteers AS
        SELECT p.volunteer_id FROM (SELECT volunteer_id, min(month) AS m FROM _hour_pairs GROUP BY volunteer_id) p
        LEFT JOIN summary_volunteer_first f USING (volunteer_id)
        WHERE f.first_month IS NULL OR f.first_month >= p.m""")
    if con.execute("SELECT count(*) FROM _summary_volunteers").fetchone()[0]:
        con.execute("DELETE FROM summary_volunteer_first "
                    "WHERE volunteer_id IN (SELECT volunteer_id FROM _summary_volunteers)")
        con.execute("INSERT INTO summary_volunteer_first BY NAME " + _VOLUNTEER_FIRST.format(
            where="AND volunteer_id IN (SELECT volunteer_id FROM _summary_volunteers)"))
    con.execute("DROP TABLE _summary_volunteers")


def _refresh_spans(con: duckdb.DuckDBPyConnection) -> None:
    """summary_community_active and summary_team_span for the spans of a (community, month) whose hours were
    touched and the next ones (whose `retained` looks back at it)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _active_keys AS " + " UNION ".join(
        f"SELECT DISTINCT community, '{g}' AS grain, date_trunc('{g}', month)::DATE + INTERVAL {n} AS start "
        "FROM _hour_keys" for g, step in GRAINS.items() for n in ("0 DAYS", step)))
    # every span of a key, and the span before it: the active volunteer × months of the keys' communities within
    # those bounds, read once for both grains
    lo, hi = _bounds(con, "_active_keys", "start", before="3 MONTHS", after="3 MONTHS")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _summary_active AS
        SELECT volunteer_id, community, joined_on, party, month, active FROM summary_volunteer_month
        WHERE active AND month >= {lo} AND month < {hi} AND community IN (SELECT community FROM _active_keys)""")
    con.execute("DELETE FROM summary_community_active USING _active_keys k WHERE "
                f"summary_community_active.start >= {lo} AND summary_community_active.start < {hi} "
                "AND summary_community_active.community = k.community AND summary_community_active.grain = k.grain "
                "AND summary_community_active.start = k.start")
    for grain, step in GRAINS.items():
        con.execute("INSERT INTO summary_community_active BY NAME " + _ACTIVE.format(
            grain=grain, step=step, source="_summary_active", where_a="",
            where_k=f"WHERE EXISTS (SELECT 1 FROM _active_keys k WHERE k.community = a.community "
                    f"AND k.grain = '{grain}' AND k.start = a.start)"))
    con.execute("DROP TABLE _summary_active")
    con.execute("DROP TABLE _active_keys")
    # summary_team_span: only the spans of a touched month (it has no look-back column), from the touched hours
    con.execute("CREATE OR REPLACE TEMP TABLE _team_keys AS " + " UNION ".join(
        f"SELECT DISTINCT community, '{g}' AS grain, date_trunc('{g}', month)::DATE AS start FROM _hour_keys"
        for g in GRAINS))
    lo, hi = _bounds(con, "_team_keys", "start", after="3 MONTHS")
    con.execute("DELETE FROM summary_team_span USING _team_keys k WHERE "
                f"summary_team_span.start >= {lo} AND summary_team_span.start < {hi} "
                "AND summary_team_span.community = k.community AND summary_team_span.grain = k.grain "
                "AND summary_team_span.start = k.start")
    for grain in GRAINS:
        _insert_team(con, grain, "_summary_hours", keep=(
            f"SEMI JOIN _team_keys k ON k.community = x.community AND k.grain = '{grain}' AND k.start = x.start"))
    con.execute("DROP TABLE _team_keys")


def _refresh_community_months(con: duckdb.DuckDBPyConnection) -> None:
    """summary_community_month for every touched (community, month): hours and points from summary_volunteer_month
    (already refreshed), redeemed from the redemptions of the month."""
    lo, hi = _bounds(con, "_summary_keys")
    con.execute("DELETE FROM summary_community_month USING _summary_keys k WHERE "
                f"summary_community_month.month >= {lo} AND summary_community_month.month < {hi} "
                "AND summary_community_month.community = k.community AND summary_community_month.month = k.month")
    con.execute("INSERT INTO summary_community_month BY NAME SELECT x.* FROM (" + _COMMUNITY_MONTH.format(
        where_s=f"WHERE month >= {lo} AND month < {hi} AND community IN (SELECT community FROM _summary_keys)",
        redemptions=f"(SELECT * FROM redemptions WHERE date >= {lo} AND date < {hi})",
        where_r="WHERE v.community IN (SELECT community FROM _summary_keys)")
        + ") x SEMI JOIN _summary_keys k ON k.community = x.community AND k.month = x.month")


def _only_added(con: duckdb.DuckDBPyConnection, batch_ids: Iterable[str]) -> bool:
    """Whether these batches only added redemption rows: none of theirs was replaced, taken out or put back."""
    history = schema.HISTORY_TABLES["redemptions"]
    return not con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {history} WHERE list_contains($ids::VARCHAR[], batch_id) "
        "OR list_contains($ids::VARCHAR[], replaced_by) OR list_contains($ids::VARCHAR[], restored_by) LIMIT 1)",
        {"ids": list(dict.fromkeys(batch_ids))}).fetchone()[0]


def _add_redeemed(con: duckdb.DuckDBPyConnection) -> None:
    """summary_community_month's `redeemed` for a load that only added redemption rows (the usual upload): each
    touched (community, month) gains the sum of the rows added, instead of a recount of the month's redemptions.

    Why: the recount reads every redemption of the month (at district scale, every community's: the largest cost
    left in a one-row upload that grew with the warehouse); the rows added are the batch's own. Hours, points and
    the other summaries cannot have changed (a redemptions load writes neither hours nor the roster). The sum is
    the same as the recount's up to the rounding of floating-point addition (the order the points are added in:
    1e-16 relative per load); a load that replaced rows, a withdrawal, an hours or roster load recount the keys
    they touch."""
    lo, hi = _bounds(con, "_summary_keys")  # `added`: the sums `touched` read with the batches' rows
    con.execute(f"""
        UPDATE summary_community_month SET redeemed = coalesce(summary_community_month.redeemed, 0) + k.added
        FROM _summary_keys k
        WHERE summary_community_month.month >= {lo} AND summary_community_month.month < {hi}
          AND summary_community_month.community = k.community AND summary_community_month.month = k.month
          AND k.added IS NOT NULL""")
    con.execute(f"""
        INSERT INTO summary_community_month BY NAME
        SELECT k.community, k.month, NULL::DOUBLE AS hours, NULL::DOUBLE AS points, k.added AS redeemed
        FROM _summary_keys k
        WHERE k.added IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM summary_community_month c WHERE c.month >= {lo} AND c.month < {hi}
                          AND c.community = k.community AND c.month = k.month)""")


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
        lo, hi = _bounds(con, "_link_keys")
        con.execute("DELETE FROM summary_hours_link USING _link_keys k WHERE "
                    f"summary_hours_link.month >= {lo} AND summary_hours_link.month < {hi} "
                    "AND summary_hours_link.activity_id = k.activity_id AND summary_hours_link.month = k.month")
        con.execute("INSERT INTO summary_hours_link BY NAME SELECT x.* FROM (" + _LINK.format(
            where=f"AND h.date >= {lo} AND h.date < {hi} "
                  "AND h.activity_id IN (SELECT activity_id FROM _link_keys)")
            + ") x SEMI JOIN _link_keys k ON k.activity_id = x.activity_id AND k.month = x.month")
    con.execute("DROP TABLE _link_keys")
