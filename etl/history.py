"""Load history and withdrawal (撤回本次导入): every batch's changes can be taken back, and put back again.

Row history: for each data table and for `rejects` there is `<table>_history` (etl.schema.HISTORY_TABLES) with
the table's columns plus `replaced_by` and `restored_by`. A row version leaves its table only into its history
table: when a load replaces it (`keep_replaced`, called by the loader's upsert just before its DELETE;
`replaced_by` = the new batch) or when a withdrawal takes it out (`replaced_by` = the withdrawal). A withdrawal
that puts a version back marks its history row `restored_by` = the withdrawal; a history row with
`restored_by IS NULL` is a version that is out of the table ("shadowed"). A version is identified by its key
(etl.schema.KEYS) and its `batch_id` (a batch writes a key at most once).

`withdraw(db, B)` of a load batch B that is in effect (the "take back"): B's rows leave the table, the versions B
replaced (shadowed, `replaced_by = B`) return, B's rejects leave `rejects` and the rejects B's load had replaced
(the older version of the same ledger) return. Refused, naming the later batches, when a later batch updated
some of B's rows again (a shadowed version with `batch_id = B`): withdrawing B would either destroy the later
batch's values or leave a ledger half withdrawn; withdraw the later batches first, newest first.

`withdraw(db, W)` of a withdrawal W that is in effect reapplies what W took back ("put back"): the table returns
to what it was before W, row for row; refused, naming the batches, when a row W touched was changed since.
Withdrawing that reapplication takes the batch back again, and so on: each withdrawal is a recorded batch (kind
'withdrawal', `withdraws` = the batch it withdrew, status 'applied', 'withdrawn' once itself withdrawn), and only
the latest withdrawal of a batch's chain can be withdrawn. The batch a withdrawal took back has status
'withdrawn'; it returns to 'loaded' / 'loaded_with_rejects' when reapplied. A withdrawn batch's file is not
"already loaded": loading the same file again loads it as a new batch.

Every withdrawal publishes through `etl.warehouse.writing()` (one writer, atomic) and gives the warehouse a new
`meta.data_version`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import schema, summaries, warehouse

KIND_WITHDRAWAL = "withdrawal"
STATUS_APPLIED = "applied"  # a withdrawal in effect
STATUS_WITHDRAWN = "withdrawn"  # a batch (load or withdrawal) that was withdrawn
IN_EFFECT = ("loaded", "loaded_with_rejects")
DATA_TABLES = (*schema.REFERENCE_TABLES, *schema.FACT_TABLES)

# The community a row belongs to, per table (hours and redemptions: their volunteer's community).
_COMMUNITY = {
    "communities": "name",
    "compounds": "community",
    "activities": "community",
    "cases": "community",
    "volunteers": "community",
    "volunteer_hours": "(SELECT v.community FROM volunteers v WHERE v.volunteer_id = x.volunteer_id LIMIT 1)",
    "redemptions": "(SELECT v.community FROM volunteers v WHERE v.volunteer_id = x.volunteer_id LIMIT 1)",
}


# --- what the loader calls -------------------------------------------------------------------------------------

def keep_replaced(con: duckdb.DuckDBPyConnection, table: str, where: str, params: dict, batch_id: str) -> None:
    """Copy the rows of `table` matching `where` (alias `t`) into its history before the loader deletes them."""
    con.execute(
        f"INSERT INTO {schema.HISTORY_TABLES[table]} BY NAME "
        f"SELECT t.*, $replaced_by AS replaced_by, NULL::VARCHAR AS restored_by FROM {table} t WHERE {where}",
        {**params, "replaced_by": batch_id},
    )


def replace_rejects(con: duckdb.DuckDBPyConnection, batch_id: str, file_name: str, kind: str,
                    sheet: str | None) -> None:
    """The rejects of an older version of the same ledger leave `rejects` for its history (a load of B)."""
    where = ("batch_id IN (SELECT batch_id FROM load_batches WHERE file_name = $file AND kind = $kind "
             "AND sheet IS NOT DISTINCT FROM $sheet)")
    params = {"file": file_name, "kind": kind, "sheet": sheet}
    keep_replaced(con, "rejects", where, params, batch_id)
    con.execute(f"DELETE FROM rejects WHERE {where}", params)


def rows_updated(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """Rows of the tables that the batch replaced (updated by key)."""
    return sum(
        con.execute(f"SELECT count(*) FROM {schema.HISTORY_TABLES[t]} WHERE replaced_by = ?", [batch_id]).fetchone()[0]
        for t in DATA_TABLES
    )


def communities_of(con: duckdb.DuckDBPyConnection, batch_id: str, tables: tuple[str, ...] = DATA_TABLES) -> list[str]:
    """The communities of the rows a batch wrote, replaced, took out or put back (sorted); `tables`: where to
    look (a load writes only its kind's table: the other tables need not be scanned)."""
    found: set[str] = set()
    for t in tables:
        h = schema.HISTORY_TABLES[t]
        c = _COMMUNITY[t]
        if c.startswith("(SELECT v.community"):  # the volunteer's: the batch's few volunteers joined, not
            # a correlated subquery the planner runs against every volunteer (a third of a district load's time)
            sql = (f"SELECT DISTINCT v.community FROM (SELECT volunteer_id FROM {t} WHERE batch_id = $b UNION "
                   f"SELECT volunteer_id FROM {h} WHERE replaced_by = $b OR restored_by = $b) x "
                   "JOIN volunteers v USING (volunteer_id)")
        else:
            sql = (f"SELECT DISTINCT {c} FROM {t} x WHERE batch_id = $b "
                   f"UNION SELECT DISTINCT {c} FROM {h} x WHERE replaced_by = $b OR restored_by = $b")
        found |= {r[0] for r in con.execute(sql, {"b": batch_id}).fetchall() if r[0] is not None}
    return sorted(found)


# --- withdrawal -------------------------------------------------------------------------------------------------

class WithdrawRefused(Exception):
    """The batch cannot be withdrawn (the message is Chinese / English); nothing was changed.

    `code`: 'unknown' (no such batch), 'already' (it is withdrawn already), 'later' (later batches changed its
    rows: `later` names them), 'chain' (a later withdrawal of the same batch must be withdrawn instead).
    """

    def __init__(self, message: str, code: str, later: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.later = later


@dataclass
class WithdrawReport:
    batch_id: str  # the withdrawal's own batch (kind 'withdrawal')
    target: str  # the batch withdrawn (a load, or a withdrawal being undone)
    base: str  # the load batch whose rows left the tables or came back
    action: str  # 'withdrawn' (the base's rows were taken back) | 'reapplied' (they were put back)
    rows_removed: int = 0
    rows_restored: int = 0
    data_version: str = ""
    file_name: str = ""
    by_table: dict[str, tuple[int, int]] = field(default_factory=dict)  # table → (removed, restored)

    @property
    def message(self) -> str:
        if self.action == "withdrawn":
            return (f"已撤回批次 {self.base}（{self.file_name}）：删除 {self.rows_removed} 行，恢复原值 {self.rows_restored} 行 / "
                    f"batch {self.base} ({self.file_name}) withdrawn: {self.rows_removed} row(s) removed, "
                    f"{self.rows_restored} previous version(s) restored")
        return (f"已重新应用批次 {self.base}（{self.file_name}）：恢复 {self.rows_restored} 行，移除 {self.rows_removed} 行 / "
                f"batch {self.base} ({self.file_name}) reapplied: {self.rows_restored} row(s) back, "
                f"{self.rows_removed} row(s) removed")


@dataclass
class _Batch:
    batch_id: str
    kind: str | None
    status: str
    withdraws: str | None
    loaded_at: dt.datetime
    file_name: str
    sheet: str | None
    rows_rejected: int
    communities: list[str] | None


def _batches(con: duckdb.DuckDBPyConnection) -> dict[str, _Batch]:
    rows = con.execute("SELECT batch_id, kind, status, withdraws, loaded_at, file_name, sheet, rows_rejected, "
                       "communities FROM load_batches").fetchall()
    return {r[0]: _Batch(*r) for r in rows}


def _utc_now() -> dt.datetime:
    """Recorded, so that the withdrawal replayed on the other slot (`etl.warehouse.write`) stores the same time."""
    return warehouse.recorded(lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _named(batches: dict[str, _Batch], ids) -> str:
    return "、".join(f"{b} ({batches[b].file_name})" if b in batches else b for b in sorted(set(ids)))


def _chain(batches: dict[str, _Batch], b: _Batch) -> tuple[_Batch, int]:
    """The load batch at the root of a withdrawal chain and the withdrawal's depth (1 = withdraws the load)."""
    depth = 0
    while b.kind == KIND_WITHDRAWAL:
        b = batches[b.withdraws]
        depth += 1
    return b, depth


def _take_back(con: duckdb.DuckDBPyConnection, base: _Batch, z: str, batches: dict[str, _Batch],
               report: WithdrawReport) -> None:
    later: set[str] = set()
    for t in DATA_TABLES:
        later |= {r[0] for r in con.execute(
            f"SELECT DISTINCT replaced_by FROM {schema.HISTORY_TABLES[t]} WHERE batch_id = ? AND restored_by IS NULL",
            [base.batch_id]).fetchall()}
    if later:
        names = _named(batches, later)
        raise WithdrawRefused(
            f"批次 {base.batch_id}（{base.file_name}）的部分行已被之后的导入再次更新：{names}；不能只撤回它，请先撤回这些较新的批次"
            f"（从最新的开始）/ rows of batch {base.batch_id} ({base.file_name}) were updated again by later "
            f"batch(es) {names}; withdraw those first, newest first", "later", tuple(sorted(later)))
    p = {"b": base.batch_id, "z": z}
    for t in (*DATA_TABLES, "rejects"):
        h = schema.HISTORY_TABLES[t]
        (removed,) = con.execute(
            f"INSERT INTO {h} BY NAME SELECT *, $z AS replaced_by, NULL::VARCHAR AS restored_by FROM {t} "
            "WHERE batch_id = $b", p).fetchone()
        con.execute(f"DELETE FROM {t} WHERE batch_id = $b", {"b": base.batch_id})
        (restored,) = con.execute(
            f"INSERT INTO {t} BY NAME SELECT * EXCLUDE (replaced_by, restored_by) FROM {h} "
            "WHERE replaced_by = $b AND restored_by IS NULL", {"b": base.batch_id}).fetchone()
        con.execute(f"UPDATE {h} SET restored_by = $z WHERE replaced_by = $b AND restored_by IS NULL", p)
        if t != "rejects":
            report.by_table[t] = (removed, restored)
            report.rows_removed += removed
            report.rows_restored += restored


def _on(keys: tuple[str, ...], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in keys)


def _put_back(con: duckdb.DuckDBPyConnection, base: _Batch, undone: str, z: str, batches: dict[str, _Batch],
              report: WithdrawReport) -> None:
    """Undo the take-back `undone` of `base`: the tables return to what they were before it."""
    p = {"b": base.batch_id, "w": undone, "z": z}
    later: set[str] = set()
    for t in DATA_TABLES:
        h = schema.HISTORY_TABLES[t]
        keys = schema.KEYS[t]
        cols = ", ".join(keys)
        later |= {r[0] for r in con.execute(f"""
            WITH gone AS (SELECT {cols} FROM {h} WHERE batch_id = $b AND replaced_by = $w AND restored_by IS NULL),
                 back AS (SELECT {cols}, batch_id FROM {h} WHERE replaced_by = $b AND restored_by = $w),
                 expected AS (SELECT g.*, back.batch_id AS expected FROM gone g LEFT JOIN back USING ({cols}))
            SELECT coalesce(live.batch_id, (SELECT max(x.replaced_by) FROM {h} x WHERE {_on(keys, 'x', 'e')}
                                            AND x.batch_id = e.expected AND x.restored_by IS NULL), '?')
            FROM expected e LEFT JOIN {t} live ON {_on(keys, 'live', 'e')}
            WHERE live.batch_id IS DISTINCT FROM e.expected""", {"b": base.batch_id, "w": undone}).fetchall()}
    if later:
        names = _named(batches, later)
        raise WithdrawRefused(
            f"批次 {base.batch_id}（{base.file_name}）撤回后，相关的行又被之后的导入或撤回改变：{names}；请先撤回这些批次"
            f"（从最新的开始）/ after batch {base.batch_id} ({base.file_name}) was withdrawn, its rows were changed "
            f"again by {names}; withdraw those first, newest first", "later", tuple(sorted(later)))
    for t in (*DATA_TABLES, "rejects"):
        h = schema.HISTORY_TABLES[t]
        if t == "rejects":
            match = f"batch_id IN (SELECT batch_id FROM {h} WHERE replaced_by = $b AND restored_by = $w)"
        else:
            match = "EXISTS (SELECT 1 FROM {h} x WHERE x.replaced_by = $b AND x.restored_by = $w AND {on})".format(
                h=h, on=" AND ".join(f"x.{k} = {t}.{k}" for k in schema.KEYS[t]))
        (removed,) = con.execute(f"DELETE FROM {t} WHERE {match}", {"b": base.batch_id, "w": undone}).fetchone()
        con.execute(f"UPDATE {h} SET restored_by = NULL WHERE replaced_by = $b AND restored_by = $w",
                    {"b": base.batch_id, "w": undone})
        (restored,) = con.execute(
            f"INSERT INTO {t} BY NAME SELECT * EXCLUDE (replaced_by, restored_by) FROM {h} "
            "WHERE batch_id = $b AND replaced_by = $w AND restored_by IS NULL", {"b": base.batch_id, "w": undone}
        ).fetchone()
        con.execute(f"UPDATE {h} SET restored_by = $z WHERE batch_id = $b AND replaced_by = $w "
                    "AND restored_by IS NULL", p)
        if t != "rejects":
            report.by_table[t] = (removed, restored)
            report.rows_removed += removed
            report.rows_restored += restored


def withdraw(db_path: Path | str, batch_id: str, *, by: str | None = None) -> WithdrawReport:
    """Withdraw one batch (see the module docstring); raise WithdrawRefused (nothing changed) when it cannot be.

    `by`: who withdraws it (the UI passes the account name, the CLI 'cli:<os user>'), recorded as the
    withdrawal's `loaded_by`.
    """
    db_path = Path(db_path)
    unknown = WithdrawRefused(f"没有这个批次 / no such batch: {batch_id}", "unknown")
    if not db_path.exists():
        raise unknown
    out: list = []

    def apply(con: duckdb.DuckDBPyConnection) -> bool:
        """Run by `etl.warehouse.write` on the standby slot, then replayed on the old one. A refusal changes
        nothing: it is kept for after the write (which then publishes nothing and keeps the standby clean)."""
        if warehouse.is_replay():
            _withdraw(con, batch_id, by, unknown)
            return True
        try:
            out.append(_withdraw(con, batch_id, by, unknown))
        except WithdrawRefused as refused:
            out.append(refused)
            return False
        return True

    warehouse.write(db_path, apply)
    if isinstance(out[0], WithdrawRefused):
        raise out[0]
    return out[0]


def _withdraw(con: duckdb.DuckDBPyConnection, batch_id: str, by: str | None, unknown: WithdrawRefused
              ) -> WithdrawReport:
    if True:  # indented as it was inside the write session it ran in before (a smaller diff to merge)
        batches = _batches(con)
        target = batches.get(batch_id)
        if target is None:
            raise unknown
        base, depth = _chain(batches, target)
        z = f"{_utc_now():%Y%m%d%H%M%S}-w{warehouse.recorded(lambda: uuid.uuid4().hex)[:12]}"
        chain = [b for b in batches.values() if b.kind == KIND_WITHDRAWAL and _chain(batches, b)[0] is base]
        latest = max(chain, key=lambda b: (b.loaded_at, b.batch_id), default=None)
        if target.status == STATUS_WITHDRAWN:
            hint = (f"；如需重新应用，请撤回 {latest.batch_id} / to reapply it, withdraw {latest.batch_id}"
                    if latest is not None and latest.status == STATUS_APPLIED else "")
            raise WithdrawRefused(f"批次 {batch_id} 已被撤回 / batch {batch_id} is withdrawn already{hint}", "already")
        if target.kind != KIND_WITHDRAWAL and target.status not in IN_EFFECT:
            raise WithdrawRefused(f"批次 {batch_id} 没有写入任何数据 / batch {batch_id} loaded nothing", "already")
        if target.kind == KIND_WITHDRAWAL and latest is not target:
            raise WithdrawRefused(
                f"批次 {base.batch_id} 之后又被 {latest.batch_id} 撤回或重新应用；只能撤回最新的一次：{latest.batch_id} / "
                f"batch {base.batch_id} was withdrawn or reapplied again later; only the latest can be withdrawn: "
                f"{latest.batch_id}", "chain", (latest.batch_id,))
        report = WithdrawReport(z, batch_id, base.batch_id, "", file_name=base.file_name)
        con.execute("BEGIN TRANSACTION")
        try:
            if depth % 2 == 1:  # the target took the base back: put it back
                report.action = "reapplied"
                _put_back(con, base, batch_id, z, batches, report)
                base_status = "loaded_with_rejects" if base.rows_rejected else "loaded"
            else:  # a load, or a reapplication: take the base back
                report.action = "withdrawn"
                _take_back(con, base, z, batches, report)
                base_status = STATUS_WITHDRAWN
            con.execute("UPDATE load_batches SET status = ? WHERE batch_id = ?", [base_status, base.batch_id])
            if target is not base:
                con.execute("UPDATE load_batches SET status = ? WHERE batch_id = ?", [STATUS_WITHDRAWN, batch_id])
            now = _utc_now()
            report.data_version = warehouse.recorded(lambda: uuid.uuid4().hex)
            touched = sorted(set(communities_of(con, z)) | set(base.communities or ()))
            con.execute(
                "INSERT INTO load_batches (batch_id, file_name, sha256, kind, loaded_at, rows_read, rows_loaded, "
                "rows_rejected, status, message, sheet, loaded_by, profile, data_version, rows_updated, communities, "
                "withdraws, rows_removed) VALUES (?, ?, '', ?, ?, 0, ?, 0, ?, ?, ?, ?, NULL, ?, 0, ?, ?, ?)",
                [z, base.file_name, KIND_WITHDRAWAL, now, report.rows_restored, STATUS_APPLIED, report.message,
                 base.sheet, by, report.data_version, touched, batch_id, report.rows_removed])
            for key, value in (("data_version", report.data_version), ("last_load_at", now.isoformat(timespec="seconds"))):
                con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
            summaries.refresh(con, (base.batch_id, z))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return report
