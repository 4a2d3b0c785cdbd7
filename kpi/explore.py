"""The explorer (数据查询): a question of one's own over one ledger, answered in SQL like every other KPI.

A `Question` names a ledger (`LEDGERS`: activities, cases, volunteer_hours, redemptions, volunteers), filters on
its columns (values of vocabulary and name columns, ranges of dates and numbers), keywords over its text columns
(every word must occur in one of them), up to two group dimensions (`DIMENSIONS`: month, quarter, year and the
ledger's category columns) and a measure: `count` (rows), `sum:COLUMN` (a number column the ledger sums), or a
catalogue KPI id of the cases ledger (`CASE_MEASURES`: the case KPIs computed by `kpi.issues.case_aggregates`, so a
question asks the catalogue's definition, restricted further by its own filters and grouped by its dimensions).

Every question is validated against the catalogue of its ledger (`Question` raises `QuestionError`), the SQL is
composed only of identifiers from that catalogue, and every value (filter values, keywords, ranges, periods,
paging) is a bound parameter. The global filters (`kpi.filters.Filters`: period, communities, compounds, pillars and
the viewer's scope `allowed`) apply as in every kpi query, through `kpi._sql`'s scope predicates:

- the period selects rows by the ledger's date (activities: date; cases: opened_on; hours and redemptions: date;
  the volunteer roster: volunteers registered by the period's end, as 注册志愿者); time groups split the period into
  the calendar's months, quarters or years (`kpi.calendar`), clipped to the period;
- the pillar filter keeps activities of the chosen pillars, cases whose kind belongs to them
  (`PILLAR_OF_CASE_KIND`) and the volunteer ledgers only when 志愿服务 is chosen;
- hours and redemptions count through their volunteer's community (rows of an unknown volunteer are left out).

Volunteer ledgers are grouped and counted, never listed: `rows` lists only activities and cases, and no volunteer
id is ever selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from etl.contract import CASE_KINDS, PILLARS
from kpi import calendar, issues
from kpi._sql import Sql, allowed_scope, community_scope, fact_scope, periods_cte, pillar_excluded
from kpi.catalogue import CATALOGUE, PILLAR_OF_CASE_KIND, VOLUNTEER_PILLAR
from kpi.filters import Filters
from kpi.targets import Targets

ColumnKind = Literal["choice", "date", "number", "text"]
TIME_DIMENSIONS = ("month", "quarter", "year")
MAX_GROUPS = 2
MAX_KEYWORDS = 8
MAX_VALUES = 50  # values of one column filter
MAX_TEXT = 100  # characters of one value or keyword
PAGE_SIZE = 50
MAX_ROWS = 100_000  # rows of one download of the matching rows


class QuestionError(ValueError):
    """A question the catalogue does not allow: `code` (a label key suffix) and the offending `value`."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


@dataclass(frozen=True)
class Column:
    """A column of a ledger as the explorer sees it: `kind` says how it filters (choice = multi-select of its
    values, date / number = a range, text = keyword search); `group` whether it is a dimension; `sum` whether
    `sum:COLUMN` measures it."""

    name: str
    kind: ColumnKind
    group: bool = False
    sum: bool = False


@dataclass(frozen=True)
class Ledger:
    table: str
    date: str | None  # the column the period and the time groups read (None: the roster, registered by the end)
    columns: tuple[Column, ...]
    listed: bool  # whether the matching rows may be listed (never a volunteer ledger)
    order: str = ""  # ORDER BY of the listed rows (newest first)
    measures: tuple[str, ...] = ()  # catalogue KPI ids it answers besides count and sums

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise QuestionError("column_unknown", name)

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    @property
    def dimensions(self) -> tuple[str, ...]:
        times = TIME_DIMENSIONS if self.date else ()
        return times + tuple(c.name for c in self.columns if c.group)

    @property
    def sums(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.sum)

    @property
    def text_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "text")

    @property
    def all_measures(self) -> tuple[str, ...]:
        return ("count",) + tuple(f"sum:{s}" for s in self.sums) + self.measures


_C, _D, _N, _T = "choice", "date", "number", "text"
CASE_MEASURES = ("cases_opened", "cases_closed", "closure_rate", "on_time_rate", "satisfaction_rate",
                 "resolution_days_median", "resolution_days_p90", "open_backlog", "overdue_backlog")

LEDGERS: dict[str, Ledger] = {
    "activities": Ledger("activities", "date", (
        Column("date", _D), Column("community", _C, True), Column("compound", _C, True), Column("pillar", _C, True),
        Column("activity_type", _C, True), Column("partner", _C, True), Column("title", _T), Column("note", _T),
        Column("participants", _N, sum=True), Column("services", _N, sum=True), Column("volunteers", _N, sum=True),
        Column("households_visited", _N, sum=True),
    ), listed=True, order="date DESC, activity_id"),
    "cases": Ledger("cases", "opened_on", (
        Column("opened_on", _D), Column("closed_on", _D), Column("community", _C, True), Column("compound", _C, True),
        Column("kind", _C, True), Column("category", _C, True), Column("source", _C, True),
        Column("status", _C, True), Column("outcome", _C, True), Column("satisfaction", _N), Column("summary", _T),
    ), listed=True, order="opened_on DESC, case_id", measures=CASE_MEASURES),
    "volunteer_hours": Ledger("volunteer_hours", "date", (
        Column("date", _D), Column("community", _C, True), Column("team", _C, True), Column("service", _C, True),
        Column("hours", _N, sum=True), Column("points", _N, sum=True), Column("service_text", _T),
    ), listed=False),
    "redemptions": Ledger("redemptions", "date", (
        Column("date", _D), Column("community", _C, True), Column("team", _C, True), Column("item", _C, True),
        Column("points", _N, sum=True), Column("item_text", _T),
    ), listed=False),
    "volunteers": Ledger("volunteers", None, (
        Column("joined_on", _D), Column("community", _C, True), Column("team", _C, True),
    ), listed=False),
}
TABLES = tuple(LEDGERS)

# The columns a listed ledger's rows show, in order (no volunteer column exists in them).
ROW_COLUMNS = {
    "activities": ("activity_id", "date", "community", "compound", "pillar", "activity_type", "title", "partner",
                   "participants", "services", "volunteers", "households_visited", "note"),
    "cases": ("case_id", "kind", "category", "source", "community", "compound", "opened_on", "closed_on", "status",
              "outcome", "satisfaction", "summary"),
}

Range = tuple[str, object | None, object | None]


@dataclass(frozen=True)
class Question:
    """One question (see the module docstring). `choices`: (column, values) per choice column; `ranges`:
    (column, low, high) per date or number column (either end None = open; dates as `date`, numbers as float);
    `keywords`: words that must all occur in the ledger's text columns; `group`: up to two dimensions."""

    table: str
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ranges: tuple[Range, ...] = ()
    keywords: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    measure: str = "count"

    def __post_init__(self) -> None:
        if self.table not in LEDGERS:
            raise QuestionError("table_unknown", str(self.table))
        led = LEDGERS[self.table]
        seen = set()
        for col, values in self.choices:
            c = led.column(col)
            if c.kind != "choice" or col in seen:
                raise QuestionError("filter_invalid", col)
            seen.add(col)
            if not isinstance(values, tuple) or not values or len(values) > MAX_VALUES or any(
                    not isinstance(v, str) or len(v) > MAX_TEXT for v in values):
                raise QuestionError("filter_invalid", col)
        for col, lo, hi in self.ranges:
            c = led.column(col)
            if c.kind not in ("date", "number") or col in seen:
                raise QuestionError("filter_invalid", col)
            seen.add(col)
            kind = date if c.kind == "date" else float
            for v in (lo, hi):
                if v is not None and not isinstance(v, kind) or isinstance(v, bool):
                    raise QuestionError("filter_invalid", col)
            if lo is None and hi is None or lo is not None and hi is not None and hi < lo:
                raise QuestionError("filter_invalid", col)
        if len(self.keywords) > MAX_KEYWORDS or any(not isinstance(k, str) or not k.strip() or len(k) > MAX_TEXT
                                                    for k in self.keywords):
            raise QuestionError("keywords_invalid", " ".join(map(str, self.keywords)))
        if self.keywords and not led.text_columns:
            raise QuestionError("keywords_invalid", " ".join(self.keywords))
        if len(self.group) > MAX_GROUPS or len(set(self.group)) != len(self.group):
            raise QuestionError("group_invalid", ",".join(self.group))
        for g in self.group:
            if g not in led.dimensions:
                raise QuestionError("group_invalid", g)
        if sum(g in TIME_DIMENSIONS for g in self.group) > 1:
            raise QuestionError("group_invalid", ",".join(self.group))
        if self.measure not in led.all_measures:
            raise QuestionError("measure_invalid", str(self.measure))

    @property
    def ledger(self) -> Ledger:
        return LEDGERS[self.table]

    @property
    def time_group(self) -> str | None:
        return next((g for g in self.group if g in TIME_DIMENSIONS), None)

    @property
    def kpi(self) -> str | None:
        """The catalogue KPI id the measure names (None for count and sums)."""
        return self.measure if self.measure in CATALOGUE else None


def measure_kind(measure: str) -> str:
    """'count' | 'ratio' | 'statistic' (how an empty group reads: 0 for counts and sums, NaN otherwise)."""
    return CATALOGUE[measure].kind if measure in CATALOGUE else "count"


# ---------------------------------------------------------------------- SQL

def _name(column: str) -> str:
    """An optional name column as the KPIs read it: trimmed, blank = NULL."""
    return f"nullif(trim({column}), '')"


def _base(q: Sql, led: Ledger, f: Filters) -> str:
    """`r`: the ledger's rows within the scope (no period yet), with the explorer's column names."""
    if led.table == "activities":
        cols = ", ".join(_name(f"a.{c}") + f" AS {c}" if c in ("compound", "partner") else f"a.{c}"
                         for c in ROW_COLUMNS["activities"])
        return f"SELECT {cols} FROM activities a WHERE {fact_scope(q, f, 'a', pillar=True)}"
    if led.table == "cases":
        pillar = "TRUE"
        if f.pillars:
            kinds = sorted(k for k, p in PILLAR_OF_CASE_KIND.items() if p in f.pillars)
            pillar = f"list_contains({q.p('pillar_kinds', kinds)}::VARCHAR[], c.kind)"
        cols = ", ".join(_name(f"c.{c}") + f" AS {c}" if c in ("compound", "source", "outcome") else f"c.{c}"
                         for c in ROW_COLUMNS["cases"])
        return f"SELECT {cols} FROM cases c WHERE {fact_scope(q, f, 'c')} AND {pillar}"
    scope = f"{community_scope(q, f, 'v.community')} AND {_volunteer_pillar(f)}"
    if led.table == "volunteer_hours":
        return (f"SELECT h.row_key, h.date, h.hours, h.points, {_name('h.service')} AS service, "
                f"h.service AS service_text, v.community, {_name('v.team')} AS team "
                f"FROM volunteer_hours h JOIN volunteers v USING (volunteer_id) WHERE {scope}")
    if led.table == "redemptions":
        return (f"SELECT d.row_key, d.date, d.points, {_name('d.item')} AS item, d.item AS item_text, v.community, "
                f"{_name('v.team')} AS team FROM redemptions d JOIN volunteers v USING (volunteer_id) WHERE {scope}")
    return f"SELECT v.joined_on, v.community, {_name('v.team')} AS team FROM volunteers v WHERE {scope}"


def _volunteer_pillar(f: Filters) -> str:
    """The volunteer ledgers belong to 志愿服务: nothing when other pillars are chosen."""
    return "TRUE" if not f.pillars or VOLUNTEER_PILLAR in f.pillars else "FALSE"


def _predicates(q: Sql, question: Question, alias: str) -> list[str]:
    """The question's own filters and keywords over `alias` (every value bound)."""
    out = []
    for n, (col, values) in enumerate(question.choices):
        out.append(f"list_contains({q.p(f'x_in{n}', list(values))}::VARCHAR[], {alias}.{col})")
    for n, (col, lo, hi) in enumerate(question.ranges):
        if lo is not None:
            out.append(f"{alias}.{col} >= {q.p(f'x_lo{n}', lo)}")
        if hi is not None:
            out.append(f"{alias}.{col} <= {q.p(f'x_hi{n}', hi)}")
    texts = question.ledger.text_columns
    for n, word in enumerate(question.keywords):
        kw = q.p(f"x_kw{n}", word.strip().lower())
        out.append("coalesce(" + " OR ".join(f"strpos(lower({alias}.{c}), {kw}) > 0" for c in texts) + ", FALSE)")
    return out


def _periods(question: Question, f: Filters) -> tuple[list[tuple[date, date]], list[str]]:
    """The periods the answer is computed over and their labels: the filters' period, or its months, quarters or
    years (from the calendar, clipped to the period) for a time group."""
    tg = question.time_group
    if tg is None:
        return [(f.start, f.end)], [""]
    spans: list[tuple[date, date]] = []
    labels: list[str] = []
    if tg == "month":
        for m in calendar.month_starts(f.start, f.end):
            spans.append((m, calendar.month_end(m)))
            labels.append(f"{m:%Y-%m}")
    elif tg == "quarter":
        for qt in calendar.quarters_between(f.start, f.end):
            spans.append((qt.start, qt.end))
            labels.append(qt.code)
    else:
        for y in range(f.start.year, f.end.year + 1):
            spans.append((date(y, 1, 1), date(y, 12, 31)))
            labels.append(str(y))
    return [(max(s, f.start), min(e, f.end)) for s, e in spans], labels


def _where(q: Sql, question: Question, f: Filters, alias: str = "r") -> str:
    led = question.ledger
    parts = _predicates(q, question, alias)
    if led.date is not None:
        parts.append(f"{alias}.{led.date} BETWEEN {q.p('start', f.start)} AND {q.p('end', f.end)}")
    else:  # the roster: registered by the period's end (注册志愿者)
        parts.append(f"({alias}.joined_on IS NULL OR {alias}.joined_on <= {q.p('end', f.end)})")
    return " AND ".join(parts)


def _dims(question: Question) -> list[str]:
    return [g for g in question.group if g not in TIME_DIMENSIONS]


def answer(con, question: Question, filters: Filters, *, targets: Targets | None = None) -> pd.DataFrame:
    """The answer table: one column per group dimension (in the question's order; a time dimension holds the
    period's label '2024-03', '2024Q1' or '2024') and `value`. Every month / quarter / year of the period is a
    row when grouped by time alone (counts and sums 0, rates and statistics NaN when nothing matches); other
    groups list the values that occur, largest value first (time order for a time group). Ungrouped: one row.
    A blank category is None."""
    led = question.ledger
    periods, labels = _periods(question, filters)
    dims = _dims(question)
    q = Sql()
    sel = "".join(f", {d}" for d in dims)
    if question.kpi:
        if question.kpi not in CASE_MEASURES:
            raise QuestionError("measure_invalid", question.measure)
        if targets is None:
            raise TypeError("a case KPI measure needs targets=kpi.load_targets()")
        wanted = issues.RATIOS.get(question.kpi, (question.kpi,))
        aggs = issues.case_aggregates(q, wanted)
        scope = "FALSE" if pillar_excluded(filters, issues.ISSUE_PILLAR) else fact_scope(q, filters, "c")
        where = " AND ".join([scope, *_predicates(q, question, "c")])
        sql = f"""
            WITH {periods_cte(q, periods)},
            {issues.case_periods(q, periods, targets, where)}
            SELECT period{sel}, {", ".join(f"{aggs[w]} AS {w}" for w in wanted)}
            FROM x GROUP BY ALL"""
        df = q.run_on(con, sql)
        if question.kpi in issues.RATIOS:
            df = issues.finish_ratios(df)
        df["value"] = df[question.kpi].astype("float64")
    elif _from_summary(question, filters):
        df = _summary_answer(con, question, filters, periods)
    else:
        value = "count(*)" if question.measure == "count" else f"sum(r.{question.measure.split(':', 1)[1]})"
        if question.time_group:
            join = f"periods p JOIN ({_base(q, led, filters)}) r ON r.{led.date} BETWEEN p.p_start AND p.p_end"
            head = f"WITH {periods_cte(q, periods)} "
        else:
            join = f"({_base(q, led, filters)}) r"
            head = ""
        sql = f"""{head}SELECT {"period" if question.time_group else "0 AS period"}{sel}, {value} AS value
            FROM {join} WHERE {_where(q, question, filters)} GROUP BY ALL"""
        df = q.run_on(con, sql)
        df["value"] = df["value"].astype("float64")
    return _finish(df, question, labels, dims)


_SUMMARY_DIMENSIONS = frozenset(TIME_DIMENSIONS + ("community", "team", "service"))


def _from_summary(question: Question, f: Filters) -> bool:
    """Whether the hours question can be read from summary_team_span (etl/summaries.py: per community × month ×
    team × service, records, hours, points — exact sums of the hours rows): whole-month periods, no keywords or
    ranges, filters and groups on community, team and service only, a count or a sum of hours or points."""
    return (question.table == "volunteer_hours" and calendar.whole_months(f.start, f.end) > 0
            and not question.keywords and not question.ranges
            and question.measure in ("count", "sum:hours", "sum:points")
            and all(c in _SUMMARY_DIMENSIONS for c, _ in question.choices)
            and set(question.group) <= _SUMMARY_DIMENSIONS)


def _summary_answer(con, question: Question, f: Filters, periods) -> pd.DataFrame:
    q = Sql()
    dims = _dims(question)
    by_service = "service" in dims or any(c == "service" for c, _ in question.choices)
    value = {"count": "sum(s.records)", "sum:hours": "sum(s.hours)", "sum:points": "sum(s.points)"}[question.measure]
    sql = f"""
        WITH {periods_cte(q, periods)}
        SELECT period{"".join(f", s.{d} AS {d}" for d in dims)}, {value} AS value
        FROM periods p JOIN summary_team_span s ON s.start BETWEEN p.p_start AND p.p_end
        WHERE s.grain = {q.p("grain", "month")} AND s.all_services = {q.p("all_services", not by_service)}
          AND {community_scope(q, f, "s.community")} AND {_volunteer_pillar(f)}
          AND {" AND ".join(_predicates(q, question, "s")) or "TRUE"}
        GROUP BY ALL"""
    df = q.run_on(con, sql)
    df["value"] = df["value"].astype("float64")
    return df


def _finish(df: pd.DataFrame, question: Question, labels: list[str], dims: list[str]) -> pd.DataFrame:
    counts = measure_kind(question.measure) == "count"
    tg = question.time_group
    if not dims:  # every period a row
        full = pd.DataFrame({"period": range(len(labels))})
        df = full.merge(df[["period", "value"]], on="period", how="left")
        if counts:
            df["value"] = df["value"].fillna(0.0)
    for d in dims:
        df[d] = df[d].astype(object).where(df[d].notna(), None)
    if tg:
        df[tg] = [labels[int(i)] for i in df["period"]]
    cols = list(question.group) + ["value"]
    out = df[cols] if question.group else df[["value"]]
    if tg:
        out = out.sort_values([tg] + dims, kind="stable", na_position="last")
    elif dims:
        out = out.sort_values(["value"] + dims, ascending=[False] + [True] * len(dims), kind="stable",
                              na_position="last")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Rows:
    """One page of the matching rows and how many match in all."""

    frame: pd.DataFrame
    total: int


def rows(con, question: Question, filters: Filters, *, page: int = 0, page_size: int = PAGE_SIZE) -> Rows:
    """The rows the question matches, newest first, one page (`page` from 0; `page_size` ≤ MAX_ROWS), with the
    total. Only activities and cases are listed (ROW_COLUMNS); a volunteer ledger raises QuestionError. With a
    case KPI measure, the resident requests (its kind) registered in the period."""
    led = question.ledger
    if not led.listed:
        raise QuestionError("not_listed", led.table)
    page_size = max(1, min(int(page_size), MAX_ROWS))
    page = max(0, int(page))
    q = Sql()
    kind = f" AND r.kind = {q.p('kpi_kind', issues.KIND)}" if question.kpi else ""  # a case KPI: its requests
    src = f"({_base(q, led, filters)}) r WHERE {_where(q, question, filters)}{kind}"
    cols = ", ".join(f"r.{c}" for c in ROW_COLUMNS[led.table])
    # the total as a window over the same scan (one pass instead of a count and a sort)
    sql = (f"SELECT {cols}, count(*) OVER () AS total_rows FROM {src} "
           f"ORDER BY {', '.join('r.' + o for o in led.order.split(', '))} "
           f"LIMIT {q.p('limit', page_size)} OFFSET {q.p('offset', page * page_size)}")
    df = q.rows_on(con, sql)
    if len(df):
        total = int(df["total_rows"].iloc[0])
    else:  # past the last page (or nothing matches): count alone
        count = Sql()
        kind = f" AND r.kind = {count.p('kpi_kind', issues.KIND)}" if question.kpi else ""
        src = f"({_base(count, led, filters)}) r WHERE {_where(count, question, filters)}{kind}"
        total = int(count.run_on(con, f"SELECT count(*) AS n FROM {src}")["n"].iloc[0])
    df = df.drop(columns="total_rows")
    for c in ROW_COLUMNS[led.table]:
        if c in ("date", "opened_on", "closed_on"):
            df[c] = pd.to_datetime(df[c]).dt.date.astype(object)  # object even when every value is missing
    return Rows(df, total)


def options(con, table: str, allowed: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """The values each choice column of a ledger holds within the viewer's scope `allowed` (None = every
    community), sorted, blanks left out: what the filter multi-selects offer and what a link's values are checked
    against. Communities and compounds come from their registers, teams from the roster, pillars and case kinds
    from the contract, the hours' services from summary_team_span, other columns from the ledger itself."""
    led = LEDGERS.get(table)
    if led is None:
        raise QuestionError("table_unknown", table)
    q = Sql()
    f = Filters(calendar.DATE_MIN, calendar.DATE_MIN, allowed=allowed)
    sources = {  # each the distinct raw values (trimmed after DISTINCT: far cheaper than trimming every row)
        "community": f"SELECT DISTINCT name AS v FROM communities WHERE {allowed_scope(q, f, 'name')}",
        "compound": f"SELECT DISTINCT name AS v FROM compounds WHERE {allowed_scope(q, f, 'community')}",
        "team": f"SELECT DISTINCT team AS v FROM volunteers WHERE {allowed_scope(q, f, 'community')}",
    }
    if table == "volunteer_hours":
        sources["service"] = (f"SELECT DISTINCT service AS v FROM summary_team_span WHERE NOT all_services "
                              f"AND {allowed_scope(q, f, 'community')}")
    constants = {"pillar": PILLARS, "kind": CASE_KINDS}
    parts = []
    for c in led.columns:
        if c.kind != "choice" or c.name in constants:
            continue
        body = sources.get(c.name)
        if body is None:
            if table in ("activities", "cases"):
                body = f"SELECT DISTINCT {c.name} AS v FROM {table} WHERE {allowed_scope(q, f, 'community')}"
            else:  # redemptions' items, through their volunteer's community
                join = "" if allowed is None else " JOIN volunteers v USING (volunteer_id)"
                scope = "TRUE" if allowed is None else allowed_scope(q, f, "v.community")
                body = f"SELECT DISTINCT d.{c.name} AS v FROM {table} d{join} WHERE {scope}"
        parts.append(f"SELECT {q.p(f'col{len(parts)}', c.name)} AS col, {_name('v')} AS v FROM ({body}) x")
    out: dict[str, list[str]] = {c.name: [] for c in led.columns if c.kind == "choice"}
    for name, values in constants.items():
        if name in out:
            out[name] = list(values)
    if parts:
        df = q.run_on(con, " UNION ALL ".join(parts))
        df = df[df["v"].notna()].drop_duplicates()
        for col, v in sorted(zip(df["col"], df["v"], strict=True)):
            out[col].append(str(v))
    return out
