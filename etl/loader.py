"""The single implementation of the ledger data contract (docs/data-contract.md).

    paths → recognise each file's kind from its header row → order reference
    kinds first → per file, in one transaction: parse and validate in SQL,
    record rejects, upsert valid rows, record the batch → publish atomically (etl.warehouse.write).

Parsing and validation are vectorised: the file's cells arrive as an Arrow
table of strings and one SQL pass types them; each rule is one set-based
query that yields reject records.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from etl import contract, history, schema, summaries, warehouse
from etl import mapping as mapping_module
from etl.contract import KIND_BY_NAME, KINDS, LOAD_ORDER, Field, Kind
from etl.history import WithdrawRefused, WithdrawReport, withdraw  # noqa: F401  (the undo of a batch)
from etl.readers import SUPPORTED_SUFFIXES, Sheet, UnreadableFile, read_ledger

Progress = Callable[[str], None]

# The communities a load may write rows for (a clerk's upload), None = any; set by `load_paths(allowed=...)`.
_ALLOWED: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar("allowed", default=None)

STATUS_LOADED = "loaded"
STATUS_LOADED_WITH_REJECTS = "loaded_with_rejects"
STATUS_ALREADY = "already_loaded"
STATUS_REFUSED = "refused"
SUCCESS_STATUSES = (STATUS_LOADED, STATUS_LOADED_WITH_REJECTS)


# --- results ---------------------------------------------------------------

@dataclass
class Reject:
    file_name: str
    sheet: str | None
    row_number: int | None
    column_name: str | None
    value: str | None
    reason: str


@dataclass
class FileResult:
    path: Path
    kind: str | None = None
    status: str = STATUS_REFUSED
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    messages: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    sheets: list[str | None] = field(default_factory=list)  # the workbook sheets loaded (CSV: [None])
    batch_ids: list[str] = field(default_factory=list)  # the load_batches rows this file produced
    examples: dict[str | None, int] = field(default_factory=dict)  # sheet → example rows skipped (not data)

    @property
    def rows_example(self) -> int:
        return sum(self.examples.values())
    profile: str | None = None  # the mapping profile the file was loaded with (etl.mapping), if any
    rows_skipped: int = 0  # rows the profile's [skip] left out (neither loaded nor rejected)

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if any(f.status == STATUS_REFUSED for f in self.files):
            return 2
        if any(f.rows_rejected for f in self.files):
            return 1
        return 0

    @property
    def rejects(self) -> list[Reject]:
        return [r for f in self.files for r in f.rejects]


class RefusedFile(Exception):
    """Something is wrong with the file itself (not with our code): it is refused whole, nothing of it is loaded.

    Raised for a file that cannot be read (`etl.readers.UnreadableFile`), whose
    header row is not recognised, or whose sheet mixes ledger kinds. Row-level
    problems are rejects, never refusals; any other exception is a bug.
    """


# --- header recognition ----------------------------------------------------

@dataclass
class Recognised:
    kind: Kind
    header_index: int  # 0-based row of the header within the sheet
    columns: dict[str, int]  # field name → column position
    headers: list[str]  # the header cells as written
    dropped_personal: list[str]
    ignored: list[str]
    profile: mapping_module.Profile | None = None  # a foreign export read through this profile


_HEADER_INDEX = {k.name: contract.header_index(k) for k in KINDS}


def _match_row(kind: Kind, cells: list[str]) -> dict[str, int]:
    index = _HEADER_INDEX[kind.name]
    found: dict[str, int] = {}
    for j, cell in enumerate(cells):
        f = index.get(contract.normalise_header(cell))
        if f is not None and f.name not in found:
            found[f.name] = j
    return found


def recognise(preview: list[list[str]]) -> Recognised | None:
    """The first row (within the preview) that holds all required headers of a kind."""
    for i, cells in enumerate(preview):
        best: tuple[int, Kind, dict[str, int]] | None = None
        for kind in KINDS:
            found = _match_row(kind, cells)
            if all(f.name in found for f in kind.required) and (best is None or len(found) > best[0]):
                best = (len(found), kind, found)
        if best is not None:
            _, kind, found = best
            used = set(found.values())
            dropped, ignored = [], []
            for j, cell in enumerate(cells):
                if j in used or not cell.strip():
                    continue
                (dropped if contract.is_personal_header(cell) else ignored).append(cell)
            return Recognised(kind, i, found, list(cells), dropped, ignored)
    return None


def closest_kind(preview: list[list[str]]) -> tuple[Kind, list[Field]] | None:
    """The kind whose required headers the preview comes closest to, and what is missing."""
    best: tuple[float, Kind, list[Field]] | None = None
    for cells in preview:
        for kind in KINDS:
            found = _match_row(kind, cells)
            hit = sum(f.name in found for f in kind.required)
            if hit == 0:
                continue
            score = hit / len(kind.required) + 0.01 * len(found)
            if best is None or score > best[0]:
                best = (score, kind, [f for f in kind.required if f.name not in found])
    return (best[1], best[2]) if best else None


def _field_label(f: Field) -> str:
    return f"{f.zh} {f.name}"


def refusal_message(preview: list[list[str]]) -> str:
    near = closest_kind(preview)
    if near is None:
        return (
            "无法识别表头：前 10 行中没有任何台账的表头 / header row not recognised: "
            "no ledger headers in the first 10 rows"
        )
    kind, missing = near
    names = "、".join(_field_label(f) for f in missing)
    return (
        f"无法识别表头：最接近「{kind.zh}」，缺少必填列 {names} / "
        f"header row not recognised: closest kind is {kind.name}, missing required column(s) "
        + ", ".join(f.name for f in missing)
    )


# --- SQL building blocks ---------------------------------------------------

_FULLWIDTH = "０１２３４５６７８９．－＋／：　"
_HALFWIDTH = "0123456789.-+/: "
_UNIT = "(?:人次|人|场次|场|户次|户|次|小时|个|名|位|件|分|h|小時)"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _trimmed(col: str) -> str:
    # The readers turned ideographic spaces and tabs into spaces already. Most
    # cells need no trimming, and prefix()/suffix() are cheaper than trim().
    c = _q(col)
    return f"nullif(CASE WHEN prefix({c}, ' ') OR suffix({c}, ' ') THEN trim({c}) ELSE {c} END, '')"


def _half_width(x: str) -> str:
    return f"translate({x}, '{_FULLWIDTH}', '{_HALFWIDTH}')"


# Typed values are computed from the trimmed text. Each starts with a cheap
# cast that succeeds for the common spelling; the regular expressions (and
# the full-width translation) only run on the rows where that fails, since
# DuckDB's COALESCE evaluates its later arguments only where needed. Each
# fallback mentions translate() once: DuckDB hoists a repeated expression
# into a projection over every row, which would undo the laziness.

def _number_expr(x: str) -> str:
    pattern = f"^([+-]?[0-9]+(?:\\.[0-9]+)?)\\s*{_UNIT}?$"
    return (
        f"coalesce(try_cast({x} AS DOUBLE), "
        f"try_cast(regexp_extract({_half_width(x)}, '{pattern}', 1) AS DOUBLE))"
    )


def _date_expr(x: str) -> str:
    serial = r"^[0-9]{4,6}(?:\.[0-9]+)?$"  # Excel serial day number
    compact = r"^([0-9]{4})([0-9]{2})([0-9]{2})$"
    ymd = r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?(?:[ T].*)?$"
    spelled = f"regexp_replace(regexp_replace({_half_width(x)}, '{ymd}', '\\1-\\2-\\3'), '{compact}', '\\1-\\2-\\3')"
    return f"""coalesce(
        try_cast({x} AS DATE),
        CASE WHEN regexp_full_match({x}, '{serial}')
             THEN DATE '1899-12-30' + CAST(floor(try_cast({x} AS DOUBLE)) AS INTEGER) END,
        try_cast({spelled} AS DATE))"""


def _mask_expr(expr: str) -> str:
    """Mask ID-card numbers, mobile numbers and landlines inside free text."""
    id_card = r"([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])"
    mobile = r"(1[3-9][0-9])[0-9]{4}([0-9]{4})"
    landline = r"(0[0-9]{2,3}-?)[0-9]{3,4}([0-9]{4})"
    # only digits are made half-width: the rest of the text keeps its punctuation
    e = f"translate({expr}, '０１２３４５６７８９', '0123456789')"
    e = f"regexp_replace({e}, '{id_card}', '\\1********\\2', 'g')"
    e = f"regexp_replace({e}, '{mobile}', '\\1****\\2', 'g')"
    e = f"regexp_replace({e}, '{landline}', '\\1****\\2', 'g')"
    # only a text holding a run of seven digits can hold such a number
    return f"CASE WHEN regexp_matches({expr}, '[0-9０-９]{{7}}') THEN {e} ELSE {expr} END"


_SUFFIX = {"count": "_n", "number": "_n", "year": "_n", "date": "_d", "bool": "_b"}


def _typed_column(f: Field) -> str:
    x = f.name
    if f.type in ("count", "number", "year"):
        return f"{_number_expr(x)} AS {x}_n"
    if f.type == "date":
        return f"{_date_expr(x)} AS {x}_d"
    if f.type == "bool":
        t = ", ".join(f"'{w}'" for w in contract.TRUE_WORDS)
        fl = ", ".join(f"'{w}'" for w in contract.FALSE_WORDS)
        c = f"lower({x})"
        return f"CASE WHEN {c} IN ({t}) THEN TRUE WHEN {c} IN ({fl}) THEN FALSE END AS {x}_b"
    return ""


def _value(f: Field) -> str:
    """The SQL expression of the field's typed value in the staging table."""
    return f"{f.name}{_SUFFIX[f.type]}" if f.type in _SUFFIX else f.name


# --- the rules -------------------------------------------------------------

INT_MAX = 2_147_483_647  # counts are stored as INTEGER

@dataclass
class Rule:
    field: str | None  # contract field the reject names (None: whole row)
    condition: str  # SQL over the staging table `s`; true = reject
    reason: str
    reason_sql: str | None = None  # SQL over `s` for a reason that quotes the row's value (else `reason`)


def _rules(kind: Kind, present: set[str], today: dt.date) -> list[Rule]:
    rules: list[Rule] = []
    fields = {f.name: f for f in kind.fields}
    if _ALLOWED.get() is not None:  # a clerk's upload: only rows of the communities they may load for
        if "community" in fields:
            rules.append(Rule("community", "community IS NOT NULL AND community NOT IN "
                                           "(SELECT name FROM allowed_communities)",
                              "不是您可上报的社区 / not a community you may load ledgers for"))
        elif "volunteer_id" in fields:
            rules.append(Rule("volunteer_id", "volunteer_id IN (SELECT volunteer_id FROM volunteers WHERE community "
                                              "NOT IN (SELECT name FROM allowed_communities))",
                              "志愿者不属于您可上报的社区 / the volunteer belongs to a community you may not load for"))
    for f in kind.required:
        rules.append(Rule(f.name, f"{f.name} IS NULL", "必填项为空 / required value missing"))
    for name in present:
        f = fields[name]
        if f.type in ("count", "number", "year"):
            rules.append(Rule(name, f"{name} IS NOT NULL AND {name}_n IS NULL", "不是有效数字 / not a number"))
            rules.append(Rule(name, f"{name}_n < 0", "数量为负 / negative count"))
            rules.append(Rule(name, f"NOT isfinite({name}_n)", "不是有效数字 / not a number"))
        if f.type == "count":
            rules.append(Rule(name, f"{name}_n <> floor({name}_n)", "应为整数 / must be a whole number"))
            rules.append(Rule(name, f"{name}_n > {INT_MAX}", f"数值过大（超过 {INT_MAX}）/ number too large"))
        if f.type == "year":
            rules.append(
                Rule(name, f"{name}_n NOT BETWEEN 1949 AND {today.year}", f"年份应在 1949–{today.year} / year out of range")
            )
        if f.type == "date":
            rules.append(Rule(name, f"{name} IS NOT NULL AND {name}_d IS NULL", "无法识别的日期 / not a date"))
            rules.append(
                Rule(name, f"{name}_d < DATE '{contract.EARLIEST_DATE}'", "日期早于 2000-01-01 / date before 2000-01-01")
            )
            rules.append(
                Rule(name, f"{name}_d > DATE '{today.isoformat()}'", "日期晚于今天 / date in the future")
            )
        if f.type == "bool":
            rules.append(
                Rule(name, f"{name} IS NOT NULL AND {name}_b IS NULL", "应填 是/否 / must be yes or no (是/否)")
            )

    def vocab(name: str, values: Iterable[str], label: str, column: str | None = None) -> None:
        if name in present:
            values = tuple(values)
            listed = ", ".join(f"'{v}'" for v in values)
            tail = f"”不在取值范围内，应为：{'、'.join(values)} / value outside vocabulary; allowed: {', '.join(values)}"
            rules.append(
                Rule(name, f"{column or name} NOT IN ({listed})", f"{label}不在取值范围内 / value outside vocabulary",
                     reason_sql=f"'{label}“' || CAST({name} AS VARCHAR) || '{tail}'")
            )

    vocab("pillar", contract.PILLARS, "板块")
    vocab("kind", contract.CASE_KINDS, "类别")
    vocab("status", contract.STATUSES, "状态", column="status_v")
    vocab("outcome", contract.OUTCOMES, "调解结果")
    if kind.name == "cases":
        if "satisfaction" in present:
            rules.append(
                Rule("satisfaction", "satisfaction_n NOT IN (1, 2, 3, 4, 5)", "满意度应为 1–5 / satisfaction must be 1–5")
            )
        if "closed_on" in present:
            rules.append(
                Rule("closed_on", "closed_on_d < opened_on_d", "办结日期早于登记日期 / closed before opened")
            )
            rules.append(
                Rule("closed_on", "closed_on_d IS NOT NULL AND status_v = '办理中'",
                     "状态为办理中却填写了办结日期 / open case has a closing date")
            )
        rules.append(
            Rule("status", "status_v = '已办结' AND closed_on_d IS NULL",
                 "状态为已办结但缺少办结日期 / closed case lacks a closing date")
        )
        if "outcome" in present:
            rules.append(
                Rule("outcome", "outcome IS NOT NULL AND kind IS DISTINCT FROM '矛盾纠纷'",
                     "只有矛盾纠纷填写调解结果 / outcome is for disputes (矛盾纠纷) only")
            )
    # references to rosters already in the warehouse
    if kind.name != "communities" and "community" in fields:
        rules.append(
            Rule("community", "community IS NOT NULL AND community NOT IN (SELECT name FROM communities)",
                 "社区不在社区名册中 / unknown community")
        )
    if "compound" in present and kind.name != "compounds":
        rules.append(
            Rule("compound",
                 "compound IS NOT NULL AND community IN (SELECT name FROM communities) AND NOT EXISTS "
                 "(SELECT 1 FROM compounds c WHERE c.community = s.community AND c.name = s.compound)",
                 "小区不属于该社区 / unknown compound for this community")
        )
    if kind.name in ("volunteer_hours", "redemptions"):
        rules.append(
            # a correlated NOT EXISTS, not NOT IN: the file's few ids are the join's build side, and the roster is
            # scanned only where its zone maps hold them (NOT IN hashed the whole roster: 124,000 ids at district scale)
            Rule("volunteer_id", "volunteer_id IS NOT NULL AND NOT EXISTS "
                                 "(SELECT 1 FROM volunteers v WHERE v.volunteer_id = s.volunteer_id)",
                 "志愿者编号不在志愿者名册中 / unknown volunteer")
        )
    keys = _key_fields(kind)
    if keys and all(k in present for k in keys):
        rules.append(
            Rule(keys[-1], "_row IN (SELECT _row FROM repeated_rows)",
                 "编号或名称在本文件中重复，保留首次出现的行 / id or name repeated in this file; the first row is kept")
        )
    return rules


def _key_fields(kind: Kind) -> tuple[str, ...]:
    """Fields that identify a row; a repeat inside one file is rejected."""
    if kind.name == "communities":
        return ("community",)
    if kind.name == "compounds":
        return ("community", "compound")
    return (kind.id_field,) if kind.id_field else ()


# --- loading one file --------------------------------------------------------

def _find_repeated_rows(con: duckdb.DuckDBPyConnection, kind: Kind, present: set[str]) -> None:
    """Rows whose key already occurred higher up in the file (the first occurrence is kept).

    A GROUP BY finds the repeated keys first; only their rows are numbered,
    since a window over every row costs half a second per million rows.
    """
    keys = [k for k in _key_fields(kind) if k in present]
    if not keys or len(keys) != len(_key_fields(kind)):
        con.execute("CREATE OR REPLACE TEMP TABLE repeated_rows (_row BIGINT)")
        return
    key = " || chr(31) || ".join(_trimmed(f"r_{x}") for x in keys)  # NULL if any part is blank
    con.execute(f"""CREATE OR REPLACE TEMP TABLE repeated_rows AS
        WITH keyed AS (SELECT _row, {key} AS key FROM raw_input),
             repeated AS (SELECT key FROM keyed WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1)
        SELECT _row FROM (
            SELECT _row, row_number() OVER (PARTITION BY key ORDER BY _row) AS occurrence
            FROM keyed WHERE key IN (SELECT key FROM repeated))
        WHERE occurrence > 1""")


def _staging_sql(kind: Kind, present: set[str], rules: list[Rule]) -> str:
    """One pass over the file's cells: trimmed text, typed values, and the rules each row breaks.

    `_fails` lists the indexes (into `rules`) of the rules the row breaks; an
    empty list means the row is loaded. Rows whose every cell is blank are
    layout, not data, and are left out.
    """
    text = ["_row"]
    typed = ["*"]
    for f in kind.fields:
        if f.name in present:
            expr = _trimmed(f"r_{f.name}")
            if f.name == "pillar":
                expr = f"regexp_replace({expr}, '^党建\\s*[+＋]\\s*', '')"
            text.append(f"{expr} AS {f.name}")
            if f.type in _SUFFIX:
                typed.append(_typed_column(f))
        else:
            text.append(f"NULL::VARCHAR AS {f.name}")
            if f.type in _SUFFIX:
                sql_type = {"_n": "DOUBLE", "_d": "DATE", "_b": "BOOLEAN"}[_SUFFIX[f.type]]
                typed.append(f"NULL::{sql_type} AS {_value(f)}")
    if kind.name == "cases":
        typed.append(
            "coalesce(status, CASE WHEN closed_on IS NOT NULL THEN '已办结' ELSE '办理中' END) AS status_v"
        )
    nonblank = " OR ".join(f"{f} IS NOT NULL" for f in sorted(present))
    checks = ", ".join(f"CASE WHEN {r.condition} THEN {i} END" for i, r in enumerate(rules))
    return (
        f"SELECT *, list_filter([{checks}], lambda x: x IS NOT NULL) AS _fails FROM ("
        f"SELECT {', '.join(typed)} FROM (SELECT {', '.join(text)} FROM raw_input) s WHERE {nonblank}) s"
    )


def _rows_sql(kind: Kind, with_content_key: bool) -> str:
    """SELECT, over the valid staged rows `ok`, of the table's columns by name."""
    f = {x.name: x for x in kind.fields}

    def v(name: str, cast: str | None = None) -> str:
        expr = _value(f[name])
        if name in contract.FREE_TEXT_FIELDS:
            expr = _mask_expr(expr)
        return f"CAST({expr} AS {cast})" if cast else expr

    def content_key(names: list[str]) -> str:
        """Key of a row without an id: its normalised values plus its occurrence among identical rows."""
        parts = ", ".join(f"coalesce(CAST({_value(f[n])} AS VARCHAR), '')" for n in names)
        h = f"md5(concat_ws(chr(31), {parts}))"
        return f"{h} || '-' || CAST(row_number() OVER (PARTITION BY {h} ORDER BY _row) AS VARCHAR)"

    if kind.name == "communities":
        cols = {"name": "community", "street": "street", "households": v("households", "INTEGER"),
                "founded": v("founded", "INTEGER")}
    elif kind.name == "compounds":
        cols = {"community": "community", "name": "compound", "households": v("households", "INTEGER")}
    elif kind.name == "activities":
        key = "activity_id"
        if with_content_key:
            auto = content_key([x.name for x in kind.fields if x.name != "activity_id"])
            key = f"coalesce(activity_id, 'auto-' || {auto})"
        cols = {"activity_id": key, "date": "date_d", "community": "community", "compound": "compound",
                "pillar": "pillar", "activity_type": "activity_type", "title": v("title"), "partner": "partner",
                "participants": v("participants", "INTEGER"), "services": v("services", "INTEGER"),
                "volunteers": v("volunteers", "INTEGER"), "households_visited": v("households_visited", "INTEGER"),
                "note": v("note")}
    elif kind.name == "cases":
        cols = {"case_id": "case_id", "kind": "kind", "category": "category", "source": "source",
                "community": "community", "compound": "compound", "opened_on": "opened_on_d",
                "closed_on": "closed_on_d", "status": "status_v", "outcome": "outcome",
                "satisfaction": v("satisfaction", "INTEGER"), "summary": v("summary")}
    elif kind.name == "volunteers":
        cols = {"volunteer_id": "volunteer_id", "community": "community", "joined_on": "joined_on_d",
                "party_member": "party_member_b", "team": "team"}
    elif kind.name == "volunteer_hours":
        cols = {"row_key": content_key([x.name for x in kind.fields]), "volunteer_id": "volunteer_id",
                "date": "date_d", "hours": "hours_n", "points": "points_n", "activity_id": "activity_id",
                "service": v("service")}
    elif kind.name == "redemptions":
        cols = {"row_key": content_key([x.name for x in kind.fields]), "volunteer_id": "volunteer_id",
                "date": "date_d", "points": "points_n", "item": v("item")}
    else:
        raise AssertionError(kind.name)
    cols["batch_id"] = "$batch"
    return "SELECT " + ", ".join(f"{expr} AS {name}" for name, expr in cols.items()) + " FROM ok"


def _upsert(con: duckdb.DuckDBPyConnection, kind: Kind, batch_id: str) -> None:
    """Replace rows with the same key, insert the rest (keys per etl.schema.KEYS)."""
    table = kind.table
    keys = schema.KEYS[table]
    with_content_key = kind.name in ("volunteer_hours", "redemptions") or (
        kind.name == "activities"
        and con.execute("SELECT count(*) FROM ok WHERE activity_id IS NULL").fetchone()[0] > 0
    )
    rows = _rows_sql(kind, with_content_key)
    if with_content_key:  # keys are computed: materialise them once
        con.execute(f"CREATE OR REPLACE TEMP TABLE ins AS {rows}", {"batch": batch_id})
        source, params = "ins", {}
    else:
        source, params = f"({rows})", {"batch": batch_id}
    # the rows replaced keep their previous values in the table's history (etl.history: withdrawal)
    if len(keys) == 1:
        k = keys[0]
        match = f"{k} IN (SELECT {k} FROM {source})"
        if kind.name in ("volunteer_hours", "redemptions"):
            match = f"{_content_bounds(con, kind)} AND {match}"
        if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {match} LIMIT 1)", params).fetchone()[0]:
            history.keep_replaced(con, table, match.replace(f"{k} IN", f"t.{k} IN"), params, batch_id)
            con.execute(f"DELETE FROM {table} WHERE {match}", params)
    else:
        on = " AND ".join(f"t.{k} = i.{k}" for k in keys)
        history.keep_replaced(con, table, f"EXISTS (SELECT 1 FROM {source} i WHERE {on})", params, batch_id)
        con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {source} i WHERE {on})", params)
    # in date order (schema.DATE_COLUMNS), else in key order (the roster: by volunteer id), so that a period's
    # reads and an id's lookups skip the row groups and segments whose zone maps do not hold them
    order = schema.DATE_COLUMNS.get(table) or ", ".join(keys)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source} ORDER BY {order}", params)
    if with_content_key:
        con.execute("DROP TABLE ins")


def _content_bounds(con: duckdb.DuckDBPyConnection, kind: Kind) -> str:
    """A condition every row of the table whose content key equals one in `ins` meets, on cheap columns.

    The content key hashes every value of the row, so a row with the same key has the same date and the same
    numbers. The key lookup is bounded by the batch's dates (literal bounds: DuckDB skips other row groups) and,
    when the batch has few, by its distinct numbers: the key strings are then fetched only for the few rows that
    can match (fetching them for every row within the dates, scattered over the table, was most of a one-row
    lookup at district scale: 1.4 M redemptions, 113 ms without bounds, ~7 ms with the dates)."""
    numbers = {"volunteer_hours": ("hours", "points"), "redemptions": ("points",)}[kind.name]
    parts = []
    lo, hi, undated = con.execute("SELECT min(date), max(date), bool_or(date IS NULL) FROM ins").fetchone()
    dates = (f"date BETWEEN {summaries.date_literal(lo)} AND {summaries.date_literal(hi)}"
             if lo is not None else "FALSE")
    parts.append(f"({dates} OR date IS NULL)" if undated else dates)
    for c in numbers:
        values = [r[0] for r in con.execute(f"SELECT DISTINCT {c} FROM ins LIMIT 101").fetchall()]
        if len(values) <= 100:
            listed = [v for v in values if v is not None]
            # as text: the string-to-double cast rounds exactly as the value was read (a decimal literal may not)
            texts = ", ".join("'" + repr(float(v)) + "'::DOUBLE" for v in listed)
            cond = f"{c} IN ({texts})" if listed else "FALSE"
            parts.append(f"({cond} OR {c} IS NULL)" if len(listed) < len(values) else cond)
    return " AND ".join(parts)


def _column_names(headers: list[str]) -> list[str]:
    """Positional names: header cells may repeat or be blank."""
    return [f"c{j}" for j in range(len(headers))]


LARGE = 100_000  # rows from which a file's own stages are reported


def _load_sheet(
    con: duckdb.DuckDBPyConnection, rec: Recognised, sheet: Sheet, file_name: str, batch_id: str,
    today: dt.date, result: FileResult, say: Progress,
) -> None:
    kind = rec.kind
    positional = _column_names(rec.headers)
    table, malformed = sheet.data(rec.header_index, positional)
    for row_number in malformed:
        result.rejects.append(Reject(file_name, sheet.name, row_number, None, None,
                                     "该行列数多于表头 / row has more cells than the header"))
    result.rows_read += len(malformed)
    if rec.profile is not None:  # a foreign export: into contract form, then validated like any ledger
        table, present = _mapped_table(rec, table, result)
    else:
        keep = {f"c{j}": f"r_{name}" for name, j in rec.columns.items()}
        table = table.select([*keep, "_row"]).rename_columns([*keep.values(), "_row"])
        present = set(rec.columns)
    table = _skip_example_rows(table, sheet.name, result)
    if table.num_rows == 0:
        return
    large = table.num_rows >= LARGE
    if large:
        say(f"    {file_name}{'［' + sheet.name + '］' if sheet.name else ''}: 已读取 {table.num_rows:,} 行，校验中… / read, validating")
    rules = _rules(kind, present, today)
    con.register("raw_input", table)
    try:
        _find_repeated_rows(con, kind, present)
        con.execute(f"CREATE OR REPLACE TEMP TABLE s AS {_staging_sql(kind, present, rules)}")
    finally:
        with contextlib.suppress(duckdb.Error):  # never mask the error that got us here
            con.unregister("raw_input")
    header_of = {name: rec.headers[j] for name, j in rec.columns.items()}
    zh_of = {f.name: f.zh for f in kind.fields}
    rule_rows = [
        (i, header_of.get(r.field or "") or zh_of.get(r.field or "", ""), r.reason) for i, r in enumerate(rules)
    ]
    con.execute("CREATE OR REPLACE TEMP TABLE rule_text (idx INTEGER, column_name VARCHAR, reason VARCHAR)")
    con.executemany("INSERT INTO rule_text VALUES (?, ?, ?)", rule_rows)
    value_of = " ".join(
        f"WHEN {i} THEN CAST({r.field} AS VARCHAR)" for i, r in enumerate(rules) if r.field
    )
    reason_of = " ".join(f"WHEN {i} THEN {r.reason_sql}" for i, r in enumerate(rules) if r.reason_sql)
    reason = f"coalesce(CASE f.idx {reason_of} END, t.reason)" if reason_of else "t.reason"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE row_rejects AS "
        f"SELECT s._row, t.column_name, CASE f.idx {value_of} END AS value, {reason} AS reason "
        "FROM s, unnest(s._fails) AS f(idx) JOIN rule_text t ON t.idx = f.idx WHERE len(s._fails) > 0"
    )
    con.execute("CREATE OR REPLACE TEMP VIEW ok AS SELECT * FROM s WHERE len(_fails) = 0")
    rows_read, loaded = con.execute("SELECT count(*), count(*) FILTER (WHERE len(_fails) = 0) FROM s").fetchone()
    result.rows_read += rows_read
    if large:
        say(f"    {file_name}: 校验完成，{loaded:,} 行入库中… / validated, writing")
    _upsert(con, kind, batch_id)
    con.execute(
        "INSERT INTO rejects SELECT $batch, $file, $sheet, _row, column_name, value, reason "
        "FROM row_rejects ORDER BY _row",
        {"batch": batch_id, "file": file_name, "sheet": sheet.name},
    )
    for r in con.execute(
        "SELECT _row, column_name, value, reason FROM row_rejects ORDER BY _row LIMIT 200"
    ).fetchall():
        result.rejects.append(Reject(file_name, sheet.name, r[0], r[1], r[2], r[3]))
    result.rows_loaded += loaded
    result.rows_rejected += rows_read - loaded
    con.execute("DROP VIEW ok; DROP TABLE s; DROP TABLE row_rejects; DROP TABLE rule_text; DROP TABLE repeated_rows")


def _skip_example_rows(table, sheet_name: str | None, result: FileResult):
    """Leave out the templates' example rows (a ledger cell starting with contract.EXAMPLE_MARK); count them.

    They are not data: neither read, loaded nor rejected, only counted in `result.examples`.
    """
    import pyarrow.compute as pc

    pattern = "^\\s*" + contract.EXAMPLE_MARK
    marked = None
    for name in table.column_names:
        if name == "_row":
            continue
        if not pc.any(pc.match_substring(table[name], contract.EXAMPLE_MARK)).as_py():
            continue  # the common case: a literal search, no regular expression
        hit = pc.match_substring_regex(table[name], pattern)
        marked = hit if marked is None else pc.or_(marked, hit)
    if marked is None:
        return table
    n = pc.sum(pc.cast(pc.fill_null(marked, False), "int64")).as_py() or 0
    if not n:
        return table
    result.examples[sheet_name] = result.examples.get(sheet_name, 0) + n
    where = f"工作表「{sheet_name}」" if sheet_name else ""
    result.messages.append(f"{where}已跳过示例行 {n} 行 / {n} example row(s) skipped")
    return table.filter(pc.invert(pc.fill_null(marked, False)))


def _mapped_table(rec: Recognised, table, result: FileResult):
    """The sheet's table through its profile (etl.mapping.apply), columns named r_<field>; and the fields present."""
    profile = rec.profile
    applied = mapping_module.apply(profile, table, rec.headers)
    if applied.problems:  # checked when the sheet was recognised: the file changed since
        raise UnreadableFile("；".join(applied.problems))
    table = applied.table
    if applied.skipped:
        result.rows_skipped += applied.skipped
        rules = "；".join(f"{h}：{'、'.join(v)}" for h, v in profile.skip.items())
        result.messages.append(f"按映射方案跳过 {applied.skipped} 行（{rules}）/ {applied.skipped} row(s) skipped "
                               f"by profile {profile.name!r}")
    present = {c for c in table.column_names if c != "_row"}
    return table.rename_columns([c if c == "_row" else f"r_{c}" for c in table.column_names]), present


def _recognise_mapped(preview: list[list[str]], choice: mapping_module.Choice) -> Recognised | str | None:
    """A sheet's header row as a ledger or through a profile; a str is why the explicit profile does not fit.

    With an explicit profile, the first row holding every header it names is the header row (a sheet that
    is a ledger loads as one); without, a sheet that is not a ledger is mapped by the saved profile whose
    header set its header row has.
    """
    if choice.explicit is not None:
        profile = choice.explicit
        for i, cells in enumerate(preview):
            if not mapping_module.missing_headers(profile, cells):
                return _recognised_by(profile, i, cells)
        rec = recognise(preview)
        if rec is not None:
            return rec
        best = _closest_row(profile, preview)
        if len(mapping_module.missing_headers(profile, best)) < len(profile.named_headers()):
            return "；".join(mapping_module.check(profile, best))
        return None  # none of its headers: another sheet (填表说明), handled as a sheet that is no ledger
    rec = recognise(preview)
    if rec is not None:
        return rec
    for i, cells in enumerate(preview):
        if any(cells):
            profile = mapping_module.matching_profile(cells, choice.saved())
            if profile is not None:
                return _recognised_by(profile, i, cells)
    return None


def _closest_row(profile: mapping_module.Profile, preview: list[list[str]]) -> list[str]:
    return min(preview, key=lambda cells: len(mapping_module.missing_headers(profile, cells)), default=[])


def _recognised_by(profile: mapping_module.Profile, header_index: int, cells: list[str]) -> Recognised:
    pos = mapping_module.header_positions(cells)
    personal = set(mapping_module.personal_fields(profile))
    columns = {f: pos[contract.normalise_header(h)] for f, h in profile.columns.items() if f not in personal}
    named = {contract.normalise_header(h) for h in profile.named_headers()}
    dropped, ignored = [], []
    for cell in cells:
        if not cell.strip():
            continue
        if contract.is_personal_header(cell):
            dropped.append(cell)
        elif contract.normalise_header(cell) not in named:
            ignored.append(cell)
    return Recognised(KIND_BY_NAME[profile.kind], header_index, columns, list(cells), dropped, ignored, profile)


def _mixed_kinds(preview: list[list[str]], rec: Recognised) -> tuple[int, Kind] | None:
    """A row below the header, within the preview, that is itself the header of another kind."""
    for i in range(rec.header_index + 1, len(preview)):
        other = recognise(preview[i:i + 1])
        if other is not None and other.kind.name != rec.kind.name:
            return i, other.kind
    return None


def _recognise_file(
    path: Path, content: bytes | None = None, choice: mapping_module.Choice | None = None,
) -> tuple[list[tuple[Sheet, Recognised]], list[str]]:
    """Read a file's previews and recognise every sheet (as a ledger, or through a mapping profile);
    raise RefusedFile when it cannot be loaded."""
    choice = choice or mapping_module.Choice()
    try:
        _, sheets = read_ledger(path, content)
    except UnreadableFile as exc:
        raise RefusedFile(str(exc)) from exc
    found: list[tuple[Sheet, Recognised]] = []
    notes: list[str] = []
    refusals: list[str] = []
    for sheet in sheets:
        rec = _recognise_mapped(sheet.preview, choice)
        where = f"工作表「{sheet.name}」" if sheet.name else ""
        if isinstance(rec, str):  # the explicit profile names headers the sheet lacks
            refusals.append(where + rec)
        elif rec is not None and rec.profile is not None:
            found.append((sheet, rec))
            notes.append(f"{where}按映射方案“{rec.profile.name}”导入 / mapped with profile {rec.profile.name!r}")
            if rec.dropped_personal:
                notes.append(
                    f"{where}已删除个人信息列 / personal-data columns dropped: " + "、".join(rec.dropped_personal)
                )
            if rec.ignored:
                notes.append(f"{where}映射方案未用的列已忽略 / columns the profile does not use, ignored: "
                             + "、".join(rec.ignored))
        elif rec is not None:
            mixed = _mixed_kinds(sheet.preview, rec)
            if mixed is not None:
                row, other = mixed
                label = f"sheet {sheet.name!r}" if sheet.name else "the file"
                refusals.append(
                    f"{where or '文件'}第 {rec.header_index + 1} 行是「{rec.kind.zh}」的表头，第 {row + 1} 行又是「{other.zh}」的表头："
                    f"一个工作表只能放一种台账，请把它们分到不同的工作表或文件后再导入 / {label} mixes two ledger kinds "
                    f"({rec.kind.name} header in row {rec.header_index + 1}, {other.name} header in row {row + 1}): "
                    "put each kind on its own sheet or in its own file"
                )
                continue
            found.append((sheet, rec))
            if rec.dropped_personal:
                notes.append(
                    f"{where}已删除个人信息列 / personal-data columns dropped: " + "、".join(rec.dropped_personal)
                )
            if rec.ignored:
                notes.append(f"{where}忽略未知列 / unknown columns ignored: " + "、".join(rec.ignored))
        elif not any(any(c for c in row) for row in sheet.preview):
            continue  # an empty sheet
        elif sheet.name is not None and closest_kind(sheet.preview) is None:
            notes.append(f"{where}不是台账，已跳过 / sheet is not a ledger, skipped")
        elif choice.explicit is not None:
            refusals.append(where + "；".join(mapping_module.check(choice.explicit, _closest_row(choice.explicit, sheet.preview))))
        else:
            refusals.append(where + refusal_message(sheet.preview))
    if refusals:
        raise RefusedFile("；".join(refusals))
    if not found:
        raise RefusedFile(refusal_message([]))
    return found, notes


@dataclass
class Unit:
    """One kind's sheets of one file: loaded in one transaction, one batch (load_batches row) per sheet."""

    path: Path
    kind: Kind
    sheet_names: list[str | None]
    notes: list[str]
    choice: mapping_module.Choice | None = None  # how its sheets were recognised (profiles)

    @property
    def order(self) -> tuple[int, str]:
        return LOAD_ORDER.index(self.kind.name), str(self.path)


def _units(path: Path, choice: mapping_module.Choice | None = None) -> list[Unit]:
    """The file's sheets grouped by kind (a workbook may hold one kind per sheet); RefusedFile if it cannot load."""
    found, notes = _recognise_file(path, choice=choice)
    by_kind: dict[str, Unit] = {}
    for sheet, rec in found:
        by_kind.setdefault(rec.kind.name, Unit(path, rec.kind, [], [], choice)).sheet_names.append(sheet.name)
    units = sorted(by_kind.values(), key=lambda u: u.order)
    units[0].notes.extend(notes)
    return units


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(
                sorted(q for q in p.rglob("*") if q.suffix.lower() in SUPPORTED_SUFFIXES and not q.name.startswith(("~$", ".")))
            )
        else:
            out.append(p)
    return out


def load_paths(
    paths: Iterable[Path | str], db_path: Path | str, progress: Progress | None = None,
    dataset: str | None = None, today: dt.date | None = None,
    fresh: bool = False, guard: Callable[[Path], None] | None = None,
    loaded_by: str | None = None, profile: str | None = None,
    dry_run: DryRun | None = None,
    mapping: mapping_module.Profile | Path | str | None = None,
    allowed: Iterable[str] | None = None,
) -> LoadReport:
    """Load ledger files and folders into the warehouse at db_path.

    `allowed`: the communities whose rows this load may write (a clerk's upload: their own); a row of
    another community, or an hours/redemption row of another community's volunteer, is rejected with the
    reason. None (the command line, an administrator): any community.

    Files are recognised from their headers first (a workbook may hold one kind
    per sheet), then loaded kind by kind, reference kinds first, across all
    files. `fresh`: load into an empty warehouse that then replaces db_path
    whole (the demo build). `guard(db_path)` runs under the write lock before
    anything is loaded; an exception from it abandons the load. `loaded_by` (the UI: the account name; the
    CLI: 'cli:<os user>') and `profile` (the mapping profile's name; None for contract-form files) are
    recorded on every batch of the run, as is the `meta.data_version` the run produced.

    `mapping` (a `etl.mapping.Profile`, a profile's TOML file, or a saved
    profile's name) reads the files as that foreign export; without it, a sheet
    that is not a ledger but has a saved profile's header set is mapped by that
    profile. An unknown or invalid profile raises `etl.mapping.ProfileError`
    before anything is read.

    A problem with a file refuses that file (status refused, nothing of it
    loaded); any other exception is a bug and propagates: nothing is published.

    `dry_run` (see `preview_paths`): load exactly as usual, on the standby slot inside one transaction
    that is rolled back, and let `dry_run.before(con, units)` / `dry_run.after(con, report)` look at it
    before the rollback: nothing is published or kept and no refusal is logged.
    """
    choice = mapping_module.Choice(mapping_module.resolve(mapping) if mapping is not None else None)
    say = progress or (lambda _msg: None)
    today = today or dt.date.today()
    files = expand_paths(Path(p) for p in paths)
    report = LoadReport()
    refused: list[FileResult] = []
    units: list[Unit] = []
    for p in files:
        if not p.exists():
            report.files.append(FileResult(p, messages=["文件不存在 / file not found"]))
            continue
        try:
            units.extend(_units(p, choice))
        except RefusedFile as exc:
            refused.append(FileResult(p, messages=[str(exc)]))
    # Reference kinds first; the order is decided from the headers alone.
    units.sort(key=lambda u: u.order)
    scope = tuple(dict.fromkeys(allowed)) if allowed is not None else None
    token = _ALLOWED.set(scope)
    try:
        return _load_units(units, refused, report, db_path, scope, say, today, dataset, fresh, guard, dry_run,
                           loaded_by, profile)
    finally:
        _ALLOWED.reset(token)


def _load_units(units, refused, report, db_path, scope, say, today, dataset, fresh, guard, dry_run, loaded_by,
                profile) -> LoadReport:
    """`load_paths` once the files are recognised: every unit in the file's transaction, then publish.

    The load is handed to `etl.warehouse.write` as `apply(con)`, which it runs twice: on the standby slot it
    then publishes, and replayed on the old slot (`warehouse.is_replay()`): the same batch ids, clock and file
    bytes (`warehouse.recorded`), but no progress messages, no report and no refusal log. A dry run runs inside
    one transaction `write` rolls back; a file that has to be rolled back there rolls back the whole dry run,
    which then starts over with that file refused (`_DryRunRedo`).
    """
    db_path = Path(db_path)
    initial = list(report.files)
    refuse: dict[int, FileResult] = {}

    def apply(con: duckdb.DuckDBPyConnection) -> bool:
        if warehouse.is_replay():
            return _apply(con, LoadReport(), say, {}, replay=True, quiet=len(units) + len(refused))
        while True:
            report.files[:] = initial
            try:
                return _apply(con, report, say, refuse, replay=False, quiet=max(refuse, default=0))
            except _DryRunRedo as redo:  # only in a dry run: the outer transaction is gone, start over
                refuse[redo.index] = redo.result
                con.execute("BEGIN TRANSACTION")

    def _apply(con, report, progress, refuse, replay, quiet) -> bool:
        def say(msg: str) -> None:  # a replay, or a dry run started over, says nothing twice
            if n > quiet:
                progress(msg)

        n = 0
        if guard is not None and not replay:
            guard(db_path)
        if scope is not None:
            con.execute("CREATE OR REPLACE TEMP TABLE allowed_communities (name VARCHAR)")
            con.executemany("INSERT INTO allowed_communities VALUES (?)", [[c] for c in scope])
        if dry_run is not None:
            dry_run.before(con, units)
        changed = False
        total = len(units) + len(refused)
        for n, unit in enumerate(units, start=1):
            started = time.perf_counter()
            say(f"[{n}/{total}] {unit.path.name} …")
            if n in refuse:
                result = refuse[n]
            else:
                result = _load_unit(con, unit, today, say, loaded_by=loaded_by, profile=profile)
                if _rolled_back(con) and warehouse.in_dry_run():
                    raise _DryRunRedo(n, result)
            report.files.append(result)
            changed |= result.status in SUCCESS_STATUSES
            say(
                f"[{n}/{total}] {unit.path.name}: {_status_zh(result.status)}"
                f"（{result.kind or '-'}，读取 {result.rows_read}，入库 {result.rows_loaded}，拒收 {result.rows_rejected}，"
                f"{time.perf_counter() - started:.1f}s）"
            )
        for n, result in enumerate(refused, start=len(units) + 1):  # noqa: B007 - `say` reads n
            say(f"[{n}/{total}] {result.file_name}: {_status_zh(STATUS_REFUSED)}")
            report.files.append(result)
        if changed or dataset:
            now = _utc_now().isoformat(timespec="seconds")
            meta = {"data_version": warehouse.recorded(lambda: uuid.uuid4().hex), "last_load_at": now}
            if dataset:
                meta["dataset"] = dataset
            elif _dataset(con) == "demo":  # real ledgers loaded into the demo: no longer only demo data
                meta["dataset"] = "mixed"
            for key, value in meta.items():
                con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
            batch_ids = [b for f in report.files for b in f.batch_ids]
            if batch_ids:
                con.execute("UPDATE load_batches SET data_version = ? WHERE list_contains(?, batch_id)",
                            [meta["data_version"], batch_ids])
        if dry_run is not None:
            dry_run.after(con, report)
        elif not replay:
            _log_refusals(db_path, [f for f in report.files if f.status == STATUS_REFUSED], fresh)
        return (changed or bool(dataset)) and dry_run is None

    warehouse.write(db_path, apply, fresh=fresh, dry_run=dry_run is not None)
    return report


class _DryRunRedo(Exception):
    """A file rolled back inside a dry run's one transaction: start the dry run over with it refused."""

    def __init__(self, index: int, result: FileResult) -> None:
        super().__init__(index)
        self.index, self.result = index, result


_ROLLED_BACK: set[int] = set()  # connections whose last file was rolled back (see `_transaction`)


def _rolled_back(con: duckdb.DuckDBPyConnection) -> bool:
    if id(con) in _ROLLED_BACK:
        _ROLLED_BACK.discard(id(con))
        return True
    return False


def _transaction(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """A file's BEGIN / COMMIT / ROLLBACK; inside a dry run's one outer transaction BEGIN and COMMIT are left
    out, and a ROLLBACK rolls back the whole dry run (DuckDB has no savepoints), which `_load_units` redoes."""
    if warehouse.in_dry_run():
        if statement == "ROLLBACK":
            _ROLLED_BACK.add(id(con))
            con.execute("ROLLBACK")
        else:  # a statement in BEGIN's / COMMIT's place finishes the previous one's result, as they would
            con.execute("SELECT NULL").fetchall()
        return
    con.execute(statement)


class DryRun(Protocol):
    """What `load_paths(dry_run=...)` calls inside the dry run's one transaction, before it is rolled back."""

    def before(self, con: duckdb.DuckDBPyConnection, units: list[Unit]) -> None: ...

    def after(self, con: duckdb.DuckDBPyConnection, report: LoadReport) -> None: ...


def preview_paths(
    paths: Iterable[Path | str], db_path: Path | str, *, today: dt.date | None = None,
    names: list[str] | None = None, progress: Progress | None = None, mapping=None,
    allowed: Iterable[str] | None = None,
):
    """A dry run of `load_paths`: what the load would do, per file and sheet; publishes nothing.

    Returns an `etl.intake.PreviewReport` (a LoadReport); `names`: the clerk's file names of `paths`
    (uploads arrive as temp files). See `etl.intake.preview_paths`.
    """
    from etl import intake

    return intake.preview_paths(paths, db_path, today=today, names=names, progress=progress, mapping=mapping,
                                allowed=allowed)


def _dataset(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()
    return row[0] if row else None


def _log_refusals(db_path: Path, refused: list[FileResult], fresh: bool) -> None:
    """Refused files are listed by `etl status` from a log beside the warehouse, which they leave unchanged.

    A fresh build (the demo) replaces the warehouse whole and starts a new log.
    """
    log = warehouse.refusal_log_path(db_path)
    if fresh:
        with contextlib.suppress(FileNotFoundError):
            log.unlink()
    if not refused:
        return
    at = _utc_now().isoformat(timespec="seconds")
    with open(log, "a", encoding="utf-8") as fh:
        for f in refused:
            fh.write(json.dumps({"at": at, "file_name": f.file_name, "path": str(f.path),
                                 "message": "；".join(f.messages)}, ensure_ascii=False) + "\n")


def _utc_now() -> dt.datetime:
    """Load times are stored as naive UTC (the app shows them in Beijing time); recorded, so that a write
    replayed on the other slot (`etl.warehouse.write`) stores the same times."""
    return warehouse.recorded(lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))


STATUS_TEXT = {
    STATUS_LOADED: "已入库 loaded",
    STATUS_LOADED_WITH_REJECTS: "已入库，部分行被拒收 loaded with rejects",
    STATUS_ALREADY: "已导入过，未改变 already loaded",
    STATUS_REFUSED: "整份拒收 refused",
}


def _status_zh(status: str) -> str:
    return STATUS_TEXT[status]


def _refuse(result: FileResult, message: str) -> FileResult:
    result.status = STATUS_REFUSED
    result.rows_read = result.rows_loaded = result.rows_rejected = 0
    result.rejects.clear()
    result.batch_ids.clear()
    result.messages.append(message)
    return result


def _load_unit(con: duckdb.DuckDBPyConnection, unit: Unit, today: dt.date, say: Progress, *,
               loaded_by: str | None = None, profile: str | None = None) -> FileResult:
    path, kind = unit.path, unit.kind
    result = FileResult(path, kind=kind.name, sheets=list(unit.sheet_names))
    result.messages.extend(unit.notes)
    try:
        content = warehouse.recorded_bytes(path)  # read once: hashed here, parsed below (and replayed)
    except OSError as exc:
        return _refuse(result, f"无法读取文件 / cannot read the file: {exc.strerror or exc}")
    sha = hashlib.sha256(content).hexdigest()
    prior = con.execute(
        "SELECT batch_id FROM load_batches WHERE sha256 = ? AND kind = ? AND status IN (?, ?) LIMIT 1",
        [sha, kind.name, *SUCCESS_STATUSES],
    ).fetchone()
    if prior:
        result.status = STATUS_ALREADY
        result.messages.append("同一文件已导入过，未作任何改变 / byte-identical file already loaded; nothing changed")
        return result
    try:
        found, _ = _recognise_file(path, content, unit.choice)
    except RefusedFile as exc:  # the file changed since it was recognised
        return _refuse(result, str(exc))
    sheets = [(i, sheet, rec) for i, (sheet, rec) in enumerate(found)
              if rec.kind.name == kind.name and sheet.name in unit.sheet_names]
    if [sheet.name for _, sheet, _ in sheets] != unit.sheet_names:
        return _refuse(result, "文件在导入过程中被修改，请重新导入 / the file changed during the load; load it again")
    profiles = list(dict.fromkeys(rec.profile.name for _, _, rec in sheets if rec.profile is not None))
    result.profile = "、".join(profiles) or None
    stamp = f"{_utc_now():%Y%m%d%H%M%S}-{sha[:12]}"
    if con.execute("SELECT count(*) FROM load_batches WHERE starts_with(batch_id, ?)", [stamp]).fetchone()[0]:
        stamp += f"-{warehouse.recorded(lambda: uuid.uuid4().hex)[:6]}"  # the same file again within a second (after it was withdrawn)
    _transaction(con, "BEGIN TRANSACTION")
    try:
        for i, sheet, rec in sheets:
            batch_id = stamp if sheet.name is None else f"{stamp}-{i + 1}"
            before = (result.rows_read, result.rows_loaded, result.rows_rejected)
            _load_sheet(con, rec, sheet, path.name, batch_id, today, result, say)
            read, loaded, rejected = (result.rows_read - before[0], result.rows_loaded - before[1],
                                      result.rows_rejected - before[2])
            # the rejects of a ledger are those of its latest version (same file name, kind and sheet);
            # the older version's go to the rejects' history (they return if this batch is withdrawn)
            history.replace_rejects(con, batch_id, path.name, kind.name, sheet.name)
            status = STATUS_LOADED_WITH_REJECTS if rejected else STATUS_LOADED
            con.execute(
                "INSERT INTO load_batches (batch_id, file_name, sha256, kind, loaded_at, rows_read, rows_loaded, "
                "rows_rejected, status, message, sheet, loaded_by, profile, rows_updated, communities) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, path.name, sha, kind.name, _utc_now(), read, loaded, rejected, status,
                 "；".join(result.messages) or None, sheet.name, loaded_by, result.profile or profile,
                 history.rows_updated(con, batch_id), history.communities_of(con, batch_id, (kind.table,))],
            )
            result.batch_ids.append(batch_id)
        result.status = STATUS_LOADED_WITH_REJECTS if result.rows_rejected else STATUS_LOADED
        summaries.refresh(con, result.batch_ids, (kind.table,))  # a load writes its kind's table only
        _transaction(con, "COMMIT")
    except UnreadableFile as exc:  # the file's own content, found only when its rows were read
        _transaction(con, "ROLLBACK")
        return _refuse(result, f"导入失败，已整份撤销 / load failed and was rolled back: {exc}")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # never mask the error that got us here
            con.execute("ROLLBACK")
        raise
    return result
