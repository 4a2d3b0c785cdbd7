"""One record's whole story (一案一档): a case or an activity with every field, its days against its time limit, and
what each later ledger version changed and when (from the loader's row history, `etl/history.py`).

`case_story(con, case_id, *, allowed, today, targets)` and `activity_story(con, activity_id, *, allowed)` return a
`Story`, or None when there is no such record **or** it belongs to a community outside `allowed` (the two are not
told apart: a viewer cannot learn that another community's case exists, even with its id in a URL).

The versions of a record are its current row and its rows in `<table>_history` (each written by one batch: the
history keeps a version when a later load replaced it or a withdrawal took it out), one per batch, in the order
of their batches' `loaded_at`. A version whose batch was withdrawn (`load_batches.status = 'withdrawn'`) is left
out: the story is that of the ledger versions in effect. `Story.versions[0]` is the first load; each later
version lists the fields it changed (before → after); a reload that changed nothing is left out too.
The current row is in scope or the record is not shown; the history of that record is then shown whole (a case
moved from another community shows its old community as a change).

Days and time limit follow the catalogue (kpi/issues.py, 按时办结率 and 超期积案): days to close =
`closed_on − opened_on` for a closed case, else its age at `today`; the time limit (`Targets.sla_for`) applies
to resident requests (居民诉求) only; on time = closed within it, overdue = still open beyond it; a transferred
request (已转办) is neither (it counts in 受理数 only).

Engines without the history tables (the Parquet lake does not publish them) give `versions = None`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from kpi import issues
from kpi._sql import Sql, allowed_scope
from kpi.calendar import DATE_MIN
from kpi.filters import Filters
from kpi.targets import Targets

CASE_FIELDS = ("case_id", "kind", "category", "source", "community", "compound", "opened_on", "closed_on", "status",
               "outcome", "satisfaction", "summary")
ACTIVITY_FIELDS = ("activity_id", "date", "community", "compound", "pillar", "activity_type", "title", "partner",
                   "participants", "services", "volunteers", "households_visited", "note")
KINDS = {"case": ("cases", "case_id", CASE_FIELDS), "activity": ("activities", "activity_id", ACTIVITY_FIELDS)}
MAX_ID_LENGTH = 64  # a record id longer than this is not looked up (ids are short ledger codes)


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Version:
    """One ledger version of the record: the batch that wrote it, when and from which file, and what it changed
    against the version before (empty for the first)."""

    batch_id: str
    loaded_at: datetime | None  # naive UTC, as stored
    file_name: str | None
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Story:
    kind: str  # 'case' | 'activity'
    record_id: str
    fields: dict[str, Any]  # the current row (CASE_FIELDS / ACTIVITY_FIELDS), None for a blank
    versions: tuple[Version, ...] | None  # oldest first; None = this engine keeps no load history
    days: int | None = None  # cases: days to close, or open so far at `as_of`
    closed: bool | None = None
    sla_days: int | None = None  # the time limit (resident requests only)
    on_time: bool | None = None  # closed within the time limit
    overdue: bool | None = None  # open beyond the time limit
    as_of: date | None = None

    @property
    def changed(self) -> bool:
        """True when a later ledger version changed the record."""
        return bool(self.versions) and len(self.versions) > 1


def _blank(v: Any) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or (v is pd.NA)


def _plain(v: Any) -> Any:
    """A cell as a plain Python value: None for a blank, a date for a date or timestamp, int for whole numbers."""
    if _blank(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, datetime):
        return v.date()
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    return v


def _scope(allowed) -> Filters:
    return Filters(DATE_MIN, DATE_MIN, allowed=allowed)


def _valid_id(record_id: object) -> bool:
    return isinstance(record_id, str) and 0 < len(record_id) <= MAX_ID_LENGTH and record_id.isprintable()


def _current(con, kind: str, record_id: str, allowed) -> dict[str, Any] | None:
    table, key, fields = KINDS[kind]
    q = Sql()
    sql = (f"SELECT {', '.join(fields)} FROM {table} t WHERE t.{key} = {q.p('id', record_id)} "
           f"AND {allowed_scope(q, _scope(allowed), 't.community')} LIMIT 1")
    df = q.run_on(con, sql)
    if df.empty:
        return None
    return {f: _plain(df.iloc[0][f]) for f in fields}


def _has_history(con, table: str) -> bool:
    """Whether this engine has `<table>_history` (the warehouse does; the Parquet lake does not publish it)."""
    cur = con.cursor()
    try:
        cur.execute(f"SELECT 1 FROM {table}_history LIMIT 0")
        return True
    except Exception:  # noqa: BLE001 - each engine raises its own "no such table"
        return False
    finally:
        cur.close()


def _versions(con, kind: str, record_id: str) -> tuple[Version, ...] | None:
    """Every version of the record in effect, oldest first (see the module docstring)."""
    table, key, fields = KINDS[kind]
    cols = ", ".join(fields)
    q = Sql()
    sql = f"""
        WITH v AS (
            SELECT {cols}, batch_id FROM {table} WHERE {key} = {q.p('id', record_id)}
            UNION ALL
            SELECT {cols}, batch_id FROM {table}_history WHERE {key} = $id
        ),
        one AS (SELECT *, row_number() OVER (PARTITION BY batch_id ORDER BY batch_id) AS n FROM v)
        SELECT one.*, b.loaded_at, b.file_name
        FROM one LEFT JOIN load_batches b USING (batch_id)
        WHERE one.n = 1 AND coalesce(b.status, '') <> {q.p('withdrawn', 'withdrawn')}
        ORDER BY b.loaded_at NULLS FIRST, one.batch_id"""
    if not _has_history(con, table):
        return None
    df = q.run_on(con, sql)
    out: list[Version] = []
    before: dict[str, Any] | None = None
    for _, r in df.iterrows():
        row = {f: _plain(r[f]) for f in fields}
        loaded = r["loaded_at"]
        loaded = None if _blank(loaded) else pd.Timestamp(loaded).to_pydatetime()
        if before is None:
            out.append(Version(str(r["batch_id"]), loaded, _plain(r["file_name"])))
        else:
            changes = tuple(Change(f, before[f], row[f]) for f in fields if before[f] != row[f])
            if changes:
                out.append(Version(str(r["batch_id"]), loaded, _plain(r["file_name"]), changes))
        before = row
    return tuple(out)


def case_story(con, case_id: str, *, allowed=None, today: date, targets: Targets) -> Story | None:
    """The case's story (module docstring), or None when there is no such case in the viewer's scope."""
    if not _valid_id(case_id):
        return None
    row = _current(con, "case", case_id, allowed)
    if row is None:
        return None
    opened, closed_on = row["opened_on"], row["closed_on"]
    closed = closed_on is not None and closed_on <= today
    days = (closed_on - opened).days if closed else (today - opened).days
    sla = on_time = overdue = None
    if row["kind"] == issues.KIND:
        sla = targets.sla_for(row["category"])
        if row["status"] != issues.TRANSFERRED:
            on_time = days <= sla if closed else None
            overdue = days > sla if not closed else None
    return Story("case", case_id, row, _versions(con, "case", case_id), days=days, closed=closed, sla_days=sla,
                 on_time=on_time, overdue=overdue, as_of=today)


def activity_story(con, activity_id: str, *, allowed=None) -> Story | None:
    """The activity's story (module docstring), or None when there is no such activity in the viewer's scope."""
    if not _valid_id(activity_id):
        return None
    row = _current(con, "activity", activity_id, allowed)
    if row is None:
        return None
    return Story("activity", activity_id, row, _versions(con, "activity", activity_id))
