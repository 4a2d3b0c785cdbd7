"""The explorer's question: its URL form, its widgets, its answer, and the saved questions (pages/explore.py).

URL parameters, next to the global ones of `ui.state` (period/start/end, community, compound, pillar, lang):

| name | values | default |
|---|---|---|
| `table` | activities, cases, volunteer_hours, redemptions, volunteers | activities |
| `group` | up to two dimensions of the ledger, comma-separated (`month,category`) | none (one number) |
| `measure` | `count`, `sum:COLUMN`, or a case KPI id of the catalogue (`closure_rate`) | count |
| `q` | keywords, separated by spaces (all must occur) | none |
| `f.COLUMN` | a value of a choice column, repeatable (`f.category=停车管理&f.category=人车分流`); for a date or number column a range `LOW..HIGH` (either end may be left out: `f.closed_on=2024-01-01..`) | none |

`parse` never fails: what the ledger's catalogue (`kpi.explore.LEDGERS`) does not allow, and filter values that
do not occur in the viewer's scope, fall back with a `ui.state.Note` shown on the page, like the global filters.
The sync with the URL follows `ui.filters`: the URL wins on a session's first run and whenever its explorer
parameters differ from what this module last wrote; widgets keep their values in `st.session_state` (`ex_*`);
`render` writes the question back to the URL, leaving every other parameter alone. The global filters are still
changed only through `ui.filters`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from urllib.parse import parse_qs, urlencode

import pandas as pd
import streamlit as st

from kpi import explore
from kpi.catalogue import CATALOGUE
from kpi.explore import LEDGERS, TIME_DIMENSIONS, Question, QuestionError
from present import charts
from present.escape import markdown
from present.format import fmt_date
from present.labels import kpi_label, kpi_name, t
from ui import downloads, session
from ui import drilldown as dd
from ui.data import query
from ui.state import Note, ViewState, to_query

PARAMS = ("table", "group", "measure", "q")
PREFIX = "f."
DEFAULT_TABLE = "activities"
K_TABLE, K_GROUP, K_MEASURE, K_Q = "ex_table", "ex_group", "ex_measure", "ex_q"
_WRITTEN = "_ex_url_written"
_NOTES = "_ex_notes"
_ADOPTED = "_ex_adopted"


# ---------------------------------------------------------------------- URL ↔ question (pure)

def ours(params: Mapping[str, object]) -> dict[str, list[str]]:
    """The explorer's parameters of a query mapping (values as lists)."""
    out = {}
    for k in params:
        if k in PARAMS or str(k).startswith(PREFIX):
            v = params[k]
            out[k] = [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
    return out


def _range(raw: str, kind: str):
    """'LOW..HIGH' → (low, high) as dates or floats; ValueError when it is not one."""
    if raw.count("..") != 1:
        raise ValueError(raw)
    lo_s, hi_s = (x.strip() for x in raw.split(".."))
    conv = date.fromisoformat if kind == "date" else float
    lo = conv(lo_s) if lo_s else None
    hi = conv(hi_s) if hi_s else None
    for v in (lo, hi):
        if isinstance(v, float) and not (v == v and abs(v) < 1e15):
            raise ValueError(raw)
    if lo is None and hi is None or lo is not None and hi is not None and hi < lo:
        raise ValueError(raw)
    return lo, hi


def parse(params: Mapping[str, object], known: Callable[[str, str], list[str]] | None = None
          ) -> tuple[Question, list[Note]]:
    """The question a URL asks, and notes for what fell back. `known(table, column)` lists the values a choice
    column may hold (the viewer's scope); without it every value is kept."""
    p = ours(params)
    notes: list[Note] = []
    table = (p.get("table") or [DEFAULT_TABLE])[-1]
    if table not in LEDGERS:
        notes.append(Note("note.ex.table_unknown", table))
        table = DEFAULT_TABLE
    led = LEDGERS[table]
    group: list[str] = []
    for raw in p.get("group", []):
        for g in (x.strip() for x in re.split(r"[,，]", raw)):
            if not g or g in group:
                continue
            if g not in led.dimensions or len(group) >= explore.MAX_GROUPS or (
                    g in TIME_DIMENSIONS and any(x in TIME_DIMENSIONS for x in group)):
                notes.append(Note("note.ex.group_invalid", g))
            else:
                group.append(g)
    measure = (p.get("measure") or ["count"])[-1]
    if measure not in led.all_measures:
        notes.append(Note("note.ex.measure_invalid", measure))
        measure = "count"
    words = [w for raw in p.get("q", []) for w in raw.split()]
    keywords: tuple[str, ...] = ()
    if words:
        if not led.text_columns or len(words) > explore.MAX_KEYWORDS or any(len(w) > explore.MAX_TEXT
                                                                             for w in words):
            notes.append(Note("note.ex.keywords_invalid", " ".join(words)[:200]))
        else:
            keywords = tuple(dict.fromkeys(words))
    choices, ranges = [], []
    for key in sorted(k for k in p if k.startswith(PREFIX)):
        col = key[len(PREFIX):]
        if not led.has(col):
            notes.append(Note("note.ex.column_unknown", col))
            continue
        kind = led.column(col).kind
        values = [v for v in p[key] if v != ""]
        if kind == "choice":
            allowed = set(known(table, col)) if known else None
            keep = []
            for v in dict.fromkeys(values):
                if len(v) > explore.MAX_TEXT or (allowed is not None and v not in allowed):
                    notes.append(Note("note.ex.value_unknown", v[:200]))
                else:
                    keep.append(v)
            if len(keep) > explore.MAX_VALUES:
                notes.append(Note("note.ex.filter_invalid", col))
                keep = keep[:explore.MAX_VALUES]
            if keep:
                choices.append((col, tuple(keep)))
        elif kind in ("date", "number"):
            try:
                lo, hi = _range(values[-1] if values else "", kind)
                ranges.append((col, lo, hi))
            except ValueError:
                notes.append(Note("note.ex.filter_invalid", f"{col}={(values or [''])[-1][:200]}"))
        else:
            notes.append(Note("note.ex.filter_invalid", col))
    try:
        return Question(table, tuple(choices), tuple(ranges), keywords, tuple(group), measure), notes
    except QuestionError as e:  # parse checks what Question checks; this is the last line of defence
        return Question(table), [*notes, Note(f"note.ex.{e.code}", e.value)]


def _range_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return v.isoformat()


def question_query(q: Question) -> dict[str, list[str]]:
    """The URL form of a question (`parse` reads it back to the same question)."""
    out: dict[str, list[str]] = {"table": [q.table]}
    if q.group:
        out["group"] = [",".join(q.group)]
    if q.measure != "count":
        out["measure"] = [q.measure]
    if q.keywords:
        out["q"] = [" ".join(q.keywords)]
    for col, values in q.choices:
        out[PREFIX + col] = list(values)
    for col, lo, hi in q.ranges:
        out[PREFIX + col] = [f"{_range_text(lo)}..{_range_text(hi)}"]
    return out


def link_query(q: Question, view: ViewState) -> str:
    """The whole question with the global filters, as a URL query string (what a saved question keeps)."""
    params = {**to_query(view), **question_query(q)}
    return urlencode(params, doseq=True)


def split_query(text: str) -> dict[str, list[str]]:
    """A saved query string back into parameters."""
    return parse_qs(text, keep_blank_values=False)


# ---------------------------------------------------------------------- labels

def column_name(col: str, lang: str) -> str:
    return t(f"ex.col.{col}", lang)


def measure_name(measure: str, table: str, lang: str) -> str:
    if measure == "count":
        return t("ex.measure.count.volunteers" if table == "volunteers" else "ex.measure.count", lang)
    if measure.startswith("sum:"):
        return t("ex.measure.sum", lang, column=column_name(measure[4:], lang))
    return kpi_label(measure, lang)


# ---------------------------------------------------------------------- widgets and URL sync

def _filter_keys(table: str) -> dict[str, str]:
    return {c.name: f"ex_f_{table}_{c.name}" for c in LEDGERS[table].columns}


def _clear_question_state() -> None:
    for k in [k for k in st.session_state if str(k).startswith("ex_") and k != K_TABLE]:
        del st.session_state[k]


def _set_state(q: Question) -> None:
    ss = st.session_state
    _clear_question_state()
    ss[K_TABLE] = q.table
    ss[K_GROUP] = list(q.group)
    ss[K_MEASURE] = q.measure
    ss[K_Q] = " ".join(q.keywords)
    keys = _filter_keys(q.table)
    for col, values in q.choices:
        ss[keys[col]] = list(values)
    for col, lo, hi in q.ranges:
        ss[keys[col] + "_lo"], ss[keys[col] + "_hi"] = lo, hi


def read_url() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp if k in PARAMS or k.startswith(PREFIX)}


def adopt_url(known: Callable[[str, str], list[str]]) -> None:
    """At the start of the page: adopt the URL's question when it is new (see the module docstring)."""
    ss = st.session_state
    url = read_url()
    if _WRITTEN not in ss or (url and url != ss[_WRITTEN]):
        q, notes = parse(url, known)
        _set_state(q)
        ss[_ADOPTED] = q
        ss[_NOTES] = notes
        ss[_WRITTEN] = url


def _write_url(q: dict[str, list[str]]) -> None:
    qp = st.query_params
    keep = {k: qp.get_all(k) for k in qp if not (k in PARAMS or k.startswith(PREFIX))}
    qp.from_dict({**keep, **{k: v if len(v) > 1 else v[0] for k, v in q.items()}})


def render(view: ViewState, options: Callable[[str, str], list[str]]) -> Question:
    """Draw the question's widgets (ledger, filters, keywords, groups, measure), sync the URL, return it."""
    ss = st.session_state
    lg = view.lang
    if ss.get(K_TABLE) not in LEDGERS:
        ss[K_TABLE] = DEFAULT_TABLE
    table = st.segmented_control(t("ex.table", lg), list(LEDGERS), key=K_TABLE, required=True,
                                 format_func=lambda v: t(f"ex.table.{v}", lg), on_change=_clear_question_state)
    led = LEDGERS[table]
    # make every state valid for this ledger before drawing
    ss[K_GROUP] = [g for g in ss.get(K_GROUP) or [] if g in led.dimensions][:explore.MAX_GROUPS]
    if ss.get(K_MEASURE) not in led.all_measures:
        ss[K_MEASURE] = "count"
    c1, c2 = st.columns(2)
    with c1:
        group = st.multiselect(t("ex.group", lg), list(led.dimensions), key=K_GROUP, max_selections=2,
                               format_func=lambda g: column_name(g, lg), placeholder=t("ex.group.placeholder", lg))
    with c2:
        measure = st.selectbox(t("ex.measure", lg), list(led.all_measures), key=K_MEASURE,
                               format_func=lambda m: measure_name(m, table, lg))
    if led.text_columns:
        cols = "、".join(column_name(c, lg) for c in led.text_columns) if lg == "zh" else \
            ", ".join(column_name(c, lg) for c in led.text_columns)
        text = st.text_input(t("ex.keywords", lg), key=K_Q, help=t("ex.keywords.help", lg, columns=cols),
                             max_chars=300)
    else:
        text = ""
    keys = _filter_keys(table)
    choices, ranges = [], []
    n_set = sum(1 for c in led.columns if ss.get(keys[c.name]) or ss.get(keys[c.name] + "_lo") is not None
                or ss.get(keys[c.name] + "_hi") is not None)
    with st.expander(t("ex.filters.count", lg, n=n_set) if n_set else t("ex.filters", lg), expanded=bool(n_set)):
        pick = [c for c in led.columns if c.kind == "choice"]
        grid = st.columns(3)
        for n, c in enumerate(pick):
            with grid[n % 3]:
                k = keys[c.name]
                opts = options(table, c.name)
                ss[k] = [v for v in ss.get(k) or [] if v in opts]
                picked = st.multiselect(column_name(c.name, lg), opts, key=k, placeholder=t("ex.any", lg))
                if picked:
                    choices.append((c.name, tuple(picked[:explore.MAX_VALUES])))
        spans = [c for c in led.columns if c.kind in ("date", "number")]
        grid = st.columns(2)
        for n, c in enumerate(spans):
            with grid[n % 2]:
                got = _range_inputs(keys[c.name], c.kind, column_name(c.name, lg), lg)
                if got is not None:
                    ranges.append((c.name, *got))
    words = tuple(dict.fromkeys(w[:explore.MAX_TEXT] for w in (text or "").split()))[:explore.MAX_KEYWORDS]
    times = [g for g in group if g in TIME_DIMENSIONS]
    group = [g for g in group if g not in TIME_DIMENSIONS or g == (times[0] if times else None)]
    try:
        q = Question(table, tuple(choices), tuple(ranges), words, tuple(group), measure)
    except QuestionError:
        q = Question(table)
    if q != ss.get(_ADOPTED):
        ss[_NOTES] = []
        ss[_ADOPTED] = None
    url = question_query(q)
    if url != read_url():
        _write_url(url)
    ss[_WRITTEN] = url
    return q


def _range_inputs(k: str, kind: str, label: str, lg: str):
    """A from / to pair for a date or number column; (low, high) when set and in order, else None."""
    ss = st.session_state
    a, b = st.columns(2)
    if kind == "date":
        for end in ("_lo", "_hi"):
            if not isinstance(ss.get(k + end), date):
                ss[k + end] = None
        lo = a.date_input(t("ex.range.from", lg, column=label), key=k + "_lo", value=None,
                          min_value=date(2000, 1, 1), format="YYYY-MM-DD")
        hi = b.date_input(t("ex.range.to", lg, column=label), key=k + "_hi", value=None,
                          min_value=date(2000, 1, 1), format="YYYY-MM-DD")
    else:
        for end in ("_lo", "_hi"):
            v = ss.get(k + end)
            if not isinstance(v, float | int) or isinstance(v, bool):
                ss[k + end] = None
        lo = a.number_input(t("ex.range.from", lg, column=label), key=k + "_lo", value=None, step=1.0)
        hi = b.number_input(t("ex.range.to", lg, column=label), key=k + "_hi", value=None, step=1.0)
        lo = None if lo is None else float(lo)
        hi = None if hi is None else float(hi)
    if lo is None and hi is None or lo is not None and hi is not None and hi < lo:
        return None
    return lo, hi


def show_notes(lang: str) -> None:
    found = st.session_state.get(_NOTES) or []
    if found:
        items = "\n".join(f"- {t(n.key, lang, value=markdown(n.value))}" for n in found)
        st.warning(f"{t('note.title', lang)}\n\n{items}", icon=":material/link:")


# ---------------------------------------------------------------------- the answer

def answer_table(df: pd.DataFrame, q: Question, lang: str) -> pd.DataFrame:
    """The answer as shown and downloaded: one column per dimension (translated header, time labels) and one
    for the measure."""
    out = pd.DataFrame(index=df.index)
    for g in q.group:
        if g in TIME_DIMENSIONS:
            out[column_name(g, lang)] = [charts.time_label(v, g, lang) for v in df[g]]
        else:
            out[column_name(g, lang)] = [t("ex.none", lang) if v is None else v for v in df[g]]
    out[measure_name(q.measure, q.table, lang)] = df["value"]
    return out.reset_index(drop=True)


def _decimals(q: Question) -> int:
    if q.kpi:
        return CATALOGUE[q.kpi].decimals
    return 1 if q.measure in ("sum:hours", "sum:points") else 0


def show_answer(q: Question, view: ViewState, scope: str) -> pd.DataFrame:
    """Chart, table and 下载结果 of the answer; returns the answer frame."""
    lg = view.lang
    f = view.filters
    led = q.ledger
    if led.date is None:
        st.caption(t("ex.period_note.roster", lg, end=fmt_date(f.end)))
    else:
        st.caption(t("ex.period_note", lg, date=column_name(led.date, lg), start=fmt_date(f.start),
                     end=fmt_date(f.end)))
    if q.kpi:
        st.caption(t("ex.kpi_note", lg, name=kpi_name(q.kpi, lg)))
    df = query(explore.answer, q, f)
    value_title = measure_name(q.measure, q.table, lg)
    percent = bool(q.kpi) and CATALOGUE[q.kpi].is_percent
    fig = charts.render_answer(df, list(q.group), value_title, lang=lg, none_label=t("ex.none", lg),
                               dim_titles={g: column_name(g, lg) for g in q.group}, percent=percent,
                               decimals=_decimals(q))
    if q.group:
        groups = "、".join(column_name(g, lg) for g in q.group) if lg == "zh" else \
            " × ".join(column_name(g, lg) for g in q.group)
        charts.with_title(fig, t("ex.chart_title", lg, measure=value_title, groups=groups), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="ex_chart")
    table = answer_table(df, q, lg)
    if q.group:
        with st.expander(t("ex.answer.table", lg), expanded=len(table) <= 30):
            st.dataframe(table, hide_index=True, width="stretch", key="ex_answer_table")
    downloads.csv_button(lambda: table, t("ex.file", lg), "ex_download", label=t("ex.download", lg),
                         rows=len(table))
    return df


ROW_COLS = {
    "activities": [dd.Col("activity_id", "ex.col.activity_id"), dd.Col("date", "ex.col.date", "date"),
                   dd.Col("title", "ex.col.title"), dd.Col("community", "ex.col.community"),
                   dd.Col("compound", "ex.col.compound"), dd.Col("pillar", "ex.col.pillar"),
                   dd.Col("activity_type", "ex.col.activity_type"), dd.Col("partner", "ex.col.partner"),
                   dd.Col("participants", "ex.col.participants", "int"), dd.Col("services", "ex.col.services", "int"),
                   dd.Col("volunteers", "ex.col.volunteers", "int"),
                   dd.Col("households_visited", "ex.col.households_visited", "int"), dd.Col("note", "ex.col.note")],
    "cases": [dd.Col("case_id", "ex.col.case_id"), dd.Col("kind", "ex.col.kind"),
              dd.Col("category", "ex.col.category"), dd.Col("summary", "ex.col.summary"),
              dd.Col("community", "ex.col.community"), dd.Col("compound", "ex.col.compound"),
              dd.Col("source", "ex.col.source"), dd.Col("opened_on", "ex.col.opened_on", "date"),
              dd.Col("closed_on", "ex.col.closed_on", "date"), dd.Col("status", "ex.col.status"),
              dd.Col("outcome", "ex.col.outcome"), dd.Col("satisfaction", "ex.col.satisfaction", "int")],
}


def show_rows(q: Question, view: ViewState) -> None:
    """The matching rows, one page at a time (paged in SQL), and their CSV / Excel downloads."""
    lg = view.lang
    f = view.filters
    if not q.ledger.listed:
        st.info(t("ex.rows.not_listed", lg), icon=":material/visibility_off:")
        return
    page_key = "ex_rows_page"
    first = query(explore.rows, q, f, page=0)
    n_pages = dd.pages_for(first.total, explore.PAGE_SIZE)
    if not isinstance(st.session_state.get(page_key), int) or not 1 <= st.session_state[page_key] <= n_pages:
        st.session_state[page_key] = 1
    st.subheader(t("ex.rows", lg, n=f"{first.total:,}"), anchor=False)
    if first.total == 0:
        st.caption(t("empty.scope_detail", lg))
        return
    c1, c2 = st.columns([1, 5], vertical_alignment="bottom")
    with c1:
        page = st.number_input(t("dd.page", lg), min_value=1, max_value=n_pages, step=1, key=page_key,
                               disabled=n_pages == 1)
    got = first if page == 1 else query(explore.rows, q, f, page=int(page) - 1)
    start = (int(page) - 1) * explore.PAGE_SIZE
    with c2:
        st.caption(t("ex.rows.page", lg, first=start + 1, last=start + len(got.frame), n=f"{got.total:,}"))
    cols = ROW_COLS[q.table]
    st.dataframe(dd.display_frame(got.frame, cols, lg), hide_index=True, width="stretch", key="ex_rows_table",
                 height=min(36 + 35 * len(got.frame), 36 + 35 * 15))
    if got.total > explore.MAX_ROWS:
        st.caption(t("ex.rows.capped", lg, n=f"{explore.MAX_ROWS:,}"))

    def everything() -> pd.DataFrame:
        rows = query(explore.rows, q, f, page=0, page_size=explore.MAX_ROWS)
        return dd.display_frame(rows.frame, cols, lg)

    downloads.download_buttons(everything, t("ex.file.rows", lg), key="ex_rows_dl", csv_label=t("dl.csv", lg),
                               excel_label=t("dl.excel", lg), rows=min(got.total, explore.MAX_ROWS))


# ---------------------------------------------------------------------- saved questions

def _open(text: str) -> None:
    """Open a saved question: its query becomes the URL, which the next run adopts (validated again)."""
    st.query_params.from_dict({k: v if len(v) > 1 else v[0] for k, v in split_query(text).items()})


def _delete(qid: int) -> None:
    viewer = session.viewer()
    session.store().delete_question(qid, actor=viewer.name)


def _save(q: Question, view: ViewState) -> None:
    ss = st.session_state
    viewer = session.viewer()
    name = (ss.get("ex_save_name") or "").strip()
    if not name or len(name) > 60:
        ss["_ex_save_msg"] = ("error", t("ex.save.invalid", view.lang))
        return
    shared = bool(ss.get("ex_save_share")) and viewer.is_admin
    session.store().save_question(viewer.name, name, link_query(q, view), shared=shared)
    ss["_ex_save_msg"] = ("ok", t("ex.save.done", view.lang, name=name))
    ss["ex_save_name"] = ""


def saved_questions(q: Question, view: ViewState) -> None:
    """常用查询 (shared by administrators) and 我的查询 (own), each opened or deleted with a click, and the form
    that keeps the current question."""
    lg = view.lang
    viewer = session.viewer()
    rows = session.store().questions(viewer.name)
    shared = [r for r in rows if r["shared"]]
    mine = [r for r in rows if not r["shared"] and r["owner"].casefold() == viewer.name.casefold()]
    for title, items in ((t("ex.saved", lg), shared), (t("ex.saved.mine", lg), mine)):
        st.markdown(f"**{title}**")
        if not items:
            st.caption(t("ex.saved.none", lg))
        for r in items:
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            label = r["name"] if not r["shared"] else t("ex.saved.shared_by", lg, name=r["name"], by=r["owner"])
            c1.button(markdown(label), key=f"ex_open_{r['id']}", on_click=_open, args=(r["query"],),
                      icon=":material/bookmark:", width="stretch", help=t("ex.saved.open", lg))
            if r["owner"].casefold() == viewer.name.casefold() or (r["shared"] and viewer.is_admin):
                c2.button(t("ex.saved.delete", lg), key=f"ex_del_{r['id']}", on_click=_delete, args=(r["id"],),
                          icon=":material/delete:")
    with st.form("ex_save_form", clear_on_submit=False, border=True):
        st.markdown(f"**{t('ex.save', lg)}**")
        st.text_input(t("ex.save.name", lg), key="ex_save_name", max_chars=60)
        if viewer.is_admin:
            st.checkbox(t("ex.save.share", lg), key="ex_save_share")
        st.form_submit_button(t("ex.save.button", lg), on_click=_save, args=(q, view), icon=":material/save:")
    msg = st.session_state.pop("_ex_save_msg", None)
    if msg:
        (st.success if msg[0] == "ok" else st.error)(msg[1])
