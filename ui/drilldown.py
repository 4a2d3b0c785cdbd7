"""Drill-down: a click on a chart narrows the page's detail table (a chip clears it), or the global filters.

A clickable chart (`chart`) hands its clicked point to `on_pick`, which reads
the point's `customdata` (the raw values the `ui.charts` render functions put
there, one per PICK field) and splits it:

- **global** fields — `community` (→ the community filter) and `month`
  (→ the period becomes that month, clipped to the current period; a month
  of the 13-month trend before the period becomes the period whole): they
  change the sidebar filters and therefore the URL, like any filter change;
  a chip "↩ back to …" restores the previous scope;
- **local** fields (category, activity type, compound, …): stored per page
  in `st.session_state` together with the filters they were picked under,
  shown as chips ("分类：停车管理 ✕") and applied to the page's detail rows
  with `narrow`. They are dropped when the filters change.

Chip labels hold data and Streamlit button labels read markdown (even images): they go through
`present.escape.markdown`.

The selection logic is pure (`picked`, `split`, `global_view`, `narrow`,
`valid_drill`) and tested without Streamlit; the Streamlit part is `chart`,
`on_pick`, `chips` and `detail_table` (sortable, paged, with downloads of
exactly the narrowed rows; `paged_table` the same for a list too long to hold,
narrowed, sorted and paged by its kpi function in SQL).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from kpi import calendar
from present.charts import CONFIG
from present.escape import markdown
from present.format import DASH, fmt_date, fmt_month, fmt_number, fmt_percent, fmt_period, join
from present.labels import t
from ui import downloads, filters
from ui import story as story_ui
from ui.components import empty_state
from ui.state import ViewState

GLOBAL_FIELDS = ("community", "month")
MONTH = "month"
COMMUNITY = "community"
PAGE_SIZE = 50
_DRILL = "_dd_local_{page}"  # session key of a page's local drill
_UNDO = "_dd_undo"  # session key of the scope before a click narrowed it

# ---------------------------------------------------------------------- pure: selection → filters


def picked(event: Any, fields: Sequence[str | None]) -> dict[str, str]:
    """The clicked point's values by field, from a plotly selection event (or its `selection` part).

    Uses the first selected point that carries `customdata` (a list in the
    order of `fields`, or a scalar for one field); empty values, and values
    whose field is None (a position to ignore), are left out.
    Returns {} when nothing usable was clicked.
    """
    if event is None:
        return {}
    sel = _get(event, "selection", event)
    points = _get(sel, "points", None) or []
    for p in points:
        cd = _get(p, "customdata", None)
        if cd is None:
            continue
        values = list(cd) if isinstance(cd, list | tuple) else [cd]
        out = {}
        for f, v in zip(fields, values, strict=False):
            if f is None or v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "":
                continue
            out[f] = str(v)
        if out:
            return out
    return {}


def picked_row(event: Any, frame: pd.DataFrame, field: str) -> dict[str, str]:
    """{field: value} of the row selected in a `st.dataframe` (selection_mode single-row), or {}."""
    sel = _get(event, "selection", event) if event is not None else None
    rows = list(_get(sel, "rows", None) or []) if sel is not None else []
    if not rows or not 0 <= rows[0] < len(frame):
        return {}
    v = frame.iloc[rows[0]][field]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return {}
    return {field: _text(v)}


def _get(obj: Any, key: str, default: Any) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def split(pick: Mapping[str, str], global_fields: Sequence[str] = GLOBAL_FIELDS) -> tuple[dict, dict]:
    """(global part, local part) of a pick."""
    g = {k: v for k, v in pick.items() if k in global_fields}
    return g, {k: v for k, v in pick.items() if k not in global_fields}


def month_bounds(month: str | date) -> tuple[date, date]:
    """First and last day of the month of an ISO date ('2026-08-01') or a date (`kpi.calendar.parse_month`)."""
    p = calendar.parse_month(month)
    return p.start, p.end


def global_view(view: ViewState, pick: Mapping[str, str]) -> ViewState:
    """The view after a click on a community and/or a month (other fields ignored).

    - community → that one community (the compound filter is cleared, as a
      scorecard row selection does);
    - month → the period becomes that month, clipped to the current period
      when it overlaps it; a month of the longer trend outside the period
      (`kpi.calendar.trend_window`) becomes the period whole (period token
      'custom' either way).
    """
    out = view
    if pick.get(COMMUNITY):
        c = pick[COMMUNITY]
        if out.communities != (c,):
            out = replace(out, communities=(c,), compounds=())
    if pick.get(MONTH):
        s, e = month_bounds(pick[MONTH])
        if s <= view.end and e >= view.start:  # a month of the period: clipped to it
            s, e = max(s, view.start), min(e, view.end)
        if (s, e) != (view.start, view.end):
            out = replace(out, start=s, end=e, period=calendar.CUSTOM)
    return out


def narrow(df: pd.DataFrame, drill: Mapping[str, str], month_col: str | None = None) -> pd.DataFrame:
    """The rows of `df` that match every drill value.

    A field is compared as text with the column (so dates and numbers match
    their ISO / str form); `month` matches rows whose `month_col` date falls in
    that month; a field the frame lacks is ignored.
    """
    mask = pd.Series(True, index=df.index)
    for field, value in drill.items():
        if field == MONTH and month_col and month_col in df.columns:
            s, e = month_bounds(value)
            d = pd.to_datetime(df[month_col]).dt.date
            mask &= (d >= s) & (d <= e)
        elif field in df.columns:
            col = df[field]
            as_text = col.map(_text, na_action="ignore")
            mask &= as_text.eq(str(value)).fillna(False).astype(bool)
    return df[mask]


def _text(v: Any) -> str:
    if hasattr(v, "isoformat"):
        return pd.Timestamp(v).date().isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def valid_drill(stored: Mapping[str, Any] | None, filters) -> dict[str, str]:
    """A stored local drill if it was picked under these filters, else {} (a filter change clears it)."""
    if not stored or stored.get("filters") != filters:
        return {}
    return dict(stored.get("values") or {})


@dataclass(frozen=True)
class Undo:
    """The scope before a click narrowed it, and the view the click led to."""

    before: ViewState
    after: ViewState


def undo_label(undo: Undo, lang: str | None) -> str:
    """'↩ 返回 2026年第三季度 · 全部社区' — what the back chip restores."""
    b = undo.before
    parts = []
    if (b.start, b.end) != (undo.after.start, undo.after.end):
        parts.append(fmt_period(b.start, b.end, lang))
    if b.communities != undo.after.communities or b.compounds != undo.after.compounds:
        parts.append(join(b.communities, lang) if b.communities else t("dd.all_communities", lang))
    return t("dd.back", lang, scope=" · ".join(parts) or fmt_period(b.start, b.end, lang))


def chip_label(field: str, value: str, lang: str | None, names: Mapping[str, str] | None = None,
               values: Mapping[str, Callable[[str], str]] | None = None) -> str:
    """'分类：停车管理' — a local drill value with its field name (names: field → label)."""
    name = (names or {}).get(field, field)
    if values and field in values:
        shown = values[field](value)
    elif field == MONTH:
        shown = fmt_month(month_bounds(value)[0], lang)
    else:
        shown = value
    return t("dd.chip", lang, field=name, value=shown)


# ---------------------------------------------------------------------- Streamlit: clicks, chips, tables


def _ss() -> MutableMapping:
    return st.session_state


def local(page: str, filters, state: MutableMapping | None = None) -> dict[str, str]:
    """The page's current local drill (valid for `filters`)."""
    state = _ss() if state is None else state
    return valid_drill(state.get(_DRILL.format(page=page)), filters)


def set_local(page: str, values: Mapping[str, str], filters, state: MutableMapping | None = None) -> None:
    state = _ss() if state is None else state
    state[_DRILL.format(page=page)] = {"filters": filters, "values": dict(values)}


def clear_local(page: str, field: str | None = None, state: MutableMapping | None = None) -> None:
    """Drop one field of the page's local drill (or all of it)."""
    state = _ss() if state is None else state
    key = _DRILL.format(page=page)
    stored = state.get(key)
    if not stored:
        return
    if field is None:
        state.pop(key, None)
    else:
        values = {k: v for k, v in (stored.get("values") or {}).items() if k != field}
        state[key] = {**stored, "values": values}


def apply_pick(page: str, pick: Mapping[str, str], view: ViewState, *, global_fields: Sequence[str] = GLOBAL_FIELDS,
               state: MutableMapping | None = None, also: Mapping[str, Any] | None = None) -> ViewState:
    """Apply a click: the global part to the filters (`ui.filters.change`, and so the URL), the local part to the
    page's drill (replacing the fields it names). `also` sets further session values (e.g. which list to show).
    Returns the view the next run will show."""
    state = _ss() if state is None else state
    g, loc = split(pick, global_fields)
    after = global_view(view, g)
    if after != view:
        state[_UNDO] = Undo(view, after)
        filters.change(after, state)
    if loc:
        current = local(page, view.filters, state) if after == view else {}
        set_local(page, {**current, **loc}, after.filters, state)
    elif after != view:
        # the global change keeps any local drill that still makes sense
        kept = local(page, view.filters, state)
        if kept:
            set_local(page, kept, after.filters, state)
    for k, v in (also or {}).items():
        state[k] = v
    return after


def undo_scope(state: MutableMapping | None = None) -> None:
    """Callback of the back chip: restore the scope before the click."""
    state = _ss() if state is None else state
    undo = state.pop(_UNDO, None)
    if undo is not None:
        filters.change(undo.before, state)


def chart(fig, key: str, page: str, fields: Sequence[str | None], view: ViewState, *,
          global_fields: Sequence[str] = GLOBAL_FIELDS, also: Mapping[str, Any] | None = None) -> None:
    """Show a clickable chart: a click is applied with `apply_pick` (fields = the chart's PICK order)."""

    def on_select() -> None:
        pick = picked(st.session_state.get(key), fields)
        if pick:
            apply_pick(page, pick, view, global_fields=global_fields, also=also)

    st.plotly_chart(fig, theme=None, config=CONFIG, key=key, on_select=on_select, selection_mode="points")


def chips(page: str, view: ViewState, *, names: Mapping[str, str],
          values: Mapping[str, Callable[[str], str]] | None = None) -> dict[str, str]:
    """The chips row: one '✕' chip per local drill value, a 'clear all' chip, and the back chip after a
    click narrowed the global scope. Returns the page's local drill (for `narrow`)."""
    lg = view.lang
    drill = local(page, view.filters)
    undo = st.session_state.get(_UNDO)
    show_undo = isinstance(undo, Undo) and undo.after == view
    if isinstance(undo, Undo) and not show_undo and undo.after != view:
        st.session_state.pop(_UNDO, None)  # the user moved on: nothing to go back to
    if not drill and not show_undo:
        st.caption(t("dd.hint", lg))
        return drill
    items = list(drill.items())
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.markdown(f":gray[{t('dd.active', lg)}]")
        for f, v in items:
            st.button(markdown(chip_label(f, v, lg, names, values)), key=f"dd_chip_{page}_{f}", icon=":material/close:",
                      on_click=clear_local, args=(page, f), help=t("dd.clear_one", lg))
        if len(items) > 1:
            st.button(t("dd.clear_all", lg), key=f"dd_chip_{page}_all", type="tertiary",
                      on_click=clear_local, args=(page,))
        if show_undo:
            st.button(markdown(undo_label(undo, lg)), key=f"dd_undo_{page}", icon=":material/undo:", on_click=undo_scope)
    return drill


def widget_key(prefix: str, *parts: Any) -> str:
    """A widget key that changes with `parts` (a new widget — and no stale selection — after each pick)."""
    import hashlib

    digest = hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}_{digest}"


def pick_table(df: pd.DataFrame, key: str, page: str, field: str, view: ViewState, column_config: dict, *,
               max_rows: int = 10) -> None:
    """A summary table whose row selection drills the page down to that row's `field` value."""
    current = local(page, view.filters).get(field)
    wkey = widget_key(key, view.filters, current)

    def on_select() -> None:
        pick = picked_row(st.session_state.get(wkey), df, field)
        if pick:
            apply_pick(page, pick, view)

    st.dataframe(df, hide_index=True, width="stretch", key=wkey, column_config=column_config,
                 on_select=on_select, selection_mode="single-row",
                 height=min(36 + 35 * len(df), 36 + 35 * max_rows))


@dataclass(frozen=True)
class Col:
    """A detail-table column: name in the frame, label key (ui.labels), kind."""

    name: str
    label: str
    kind: str = "text"  # text | date | int | float | pct | bool
    help: str | None = None  # label key of a tooltip
    blank: str | None = None  # label key shown for a missing text value (default "—")


def display_frame(df: pd.DataFrame, columns: Sequence[Col], lang: str | None,
                  bool_text: tuple[str, str] | None = None) -> pd.DataFrame:
    """The detail rows with the chosen columns in order and translated headers (for downloads).

    Booleans become 是/否 (Yes/No) text so a spreadsheet shows words.
    """
    out = pd.DataFrame(index=df.index)
    yes, no = bool_text or (t("value.yes", lang), t("value.no", lang))
    for c in columns:
        s = df[c.name]
        if c.kind == "bool":
            s = s.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                      else (yes if bool(v) else no))
        elif c.kind == "date":  # formatted once per distinct date (a city quarter's 312 k rows hold ~90)
            text = {v: fmt_date(v) for v in pd.unique(s) if hasattr(v, "isoformat") and not pd.isna(v)}
            s = pd.Series([text.get(v) for v in s], index=s.index, dtype=object)
        out[t(c.label, lang)] = s
    return out.reset_index(drop=True)


def _column_config(c: Col, lang: str | None):
    cc = st.column_config
    label = t(c.label, lang)
    helptext = t(c.help, lang) if c.help else None
    if c.kind in NUMERIC_KINDS:  # shown as formatted text (see `shown_number`): a missing number reads "—"
        return cc.TextColumn(label, help=helptext, alignment="right")
    if c.kind == "date":
        return cc.TextColumn(label, help=helptext)
    if c.kind == "bool":
        return cc.CheckboxColumn(label, help=helptext)
    return cc.TextColumn(label, help=helptext)


NUMERIC_KINDS = ("int", "float", "pct")


def shown_number(v: Any, kind: str, lang: str | None) -> str:
    """A detail-table number as shown: 1,172 · 3.5 · 84.7%; a missing value reads "—" (not Streamlit's None)."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return DASH
    if kind == "pct":
        return fmt_percent(float(v), 1)
    return fmt_number(float(v), 1 if kind == "float" else 0, lang, large=False)


def sort_rows(df: pd.DataFrame, by: str | None, descending: bool) -> pd.DataFrame:
    """Rows sorted by one column (missing values last; stable), or unchanged when `by` is None."""
    if not by or by not in df.columns:
        return df
    return df.sort_values(by, ascending=not descending, na_position="last", kind="stable")


def page_of(df: pd.DataFrame, page: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """Rows of page `page` (1-based, clamped to the pages there are)."""
    pages = max(1, math.ceil(len(df) / size))
    page = min(max(1, int(page)), pages)
    return df.iloc[(page - 1) * size: page * size]


def pages_for(n: int, size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(n / size))


def detail_table(df: pd.DataFrame, columns: Sequence[Col], *, key: str, file_stem: str, lang: str | None,
                 page_size: int = PAGE_SIZE, empty_message: str | None = None,
                 story: tuple[str, str] | None = None) -> pd.DataFrame:
    """A detail table: sort control, one page of rows (page selector), row count, CSV / Excel downloads of
    every row of `df` (exactly these rows, in the chosen order, with the shown headers). Returns the sorted
    rows.

    `story=(kind, id column)` ('case' or 'activity'): a click on a row opens that record's whole story
    (`ui.story`) in a dialog; closing it leaves this table as it was."""
    if story is not None:
        story_ui.show(story[0], key, filters.current_view().allowed, filters.current_lang())
    if df.empty:
        empty_state(empty_message or t("empty.scope_detail", lang))
        return df
    done: dict[str, pd.DataFrame] = {}

    def fetch(by: str | None, descending: bool, limit: int | None, offset: int) -> pd.DataFrame:
        rows = done.setdefault("rows", sort_rows(df, by, descending))  # one order per run: sorted once
        return rows if limit is None else rows.iloc[offset: offset + limit]

    _table(fetch, len(df), columns, key=key, file_stem=file_stem, lang=lang, page_size=page_size,
           lazy_download=False, story=story)
    return done["rows"]


def paged_table(fetch: Callable[..., pd.DataFrame], n: int, columns: Sequence[Col], *, key: str, file_stem: str,
                lang: str | None, page_size: int = PAGE_SIZE, empty_message: str | None = None,
                story: tuple[str, str] | None = None) -> None:
    """`detail_table` for a list too long to hold (300 k rows at city scale): `fetch(sort=, descending=,
    limit=, offset=)` gives the rows in that order (every row without a limit), `n` how many there are. Only
    the shown page is fetched on a run; a download fetches every row when its button is clicked. `story` as in
    `detail_table`."""
    if story is not None:
        story_ui.show(story[0], key, filters.current_view().allowed, filters.current_lang())
    if not n:
        empty_state(empty_message or t("empty.scope_detail", lang))
        return
    _table(lambda by, descending, limit, offset: fetch(sort=by, descending=descending, limit=limit, offset=offset),
           n, columns, key=key, file_stem=file_stem, lang=lang, page_size=page_size, lazy_download=True,
           story=story)


def _table(fetch: Callable[[str | None, bool, int | None, int], pd.DataFrame], n: int, columns: Sequence[Col], *,
           key: str, file_stem: str, lang: str | None, page_size: int, lazy_download: bool,
           story: tuple[str, str] | None = None) -> None:
    """The widgets of a detail table over `n` rows that `fetch(by, descending, limit, offset)` gives."""
    names = {c.name: t(c.label, lang) for c in columns}
    sort_key, desc_key, page_key = f"{key}_sort", f"{key}_desc", f"{key}_page"
    options = ["", *[c.name for c in columns]]
    if st.session_state.get(sort_key) not in options:
        st.session_state[sort_key] = ""
    n_pages = pages_for(n, page_size)
    if not isinstance(st.session_state.get(page_key), int) or not 1 <= st.session_state[page_key] <= n_pages:
        st.session_state[page_key] = 1
    c1, c2, c3, c4 = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
    with c1:
        by = st.selectbox(t("dd.sort", lang), options, key=sort_key,
                          format_func=lambda v: names.get(v, t("dd.sort_default", lang)))
    with c2:
        desc = st.toggle(t("dd.descending", lang), key=desc_key, disabled=not by)
    with c3:
        page = st.number_input(t("dd.page", lang), min_value=1, max_value=n_pages, step=1, key=page_key,
                               disabled=n_pages == 1)
    by, desc = by or None, bool(desc)
    first = (min(max(1, int(page)), n_pages) - 1) * page_size
    shown = fetch(by, desc, page_size, first)
    with c4:
        st.caption(t("dd.rows", lang, first=first + 1, last=first + len(shown), n=n, pages=n_pages))
    view = shown[[c.name for c in columns]].copy()
    for c in columns:  # show blanks as a dash / an empty cell, not "None"
        if c.kind == "text":
            view[c.name] = view[c.name].astype(object).where(view[c.name].notna(), t(c.blank, lang) if c.blank
                                                              else "—")
        elif c.kind == "date":  # ISO text sorts like the date and leaves a missing date blank
            view[c.name] = [fmt_date(v) if hasattr(v, "isoformat") and not pd.isna(v) else "" for v in view[c.name]]
        elif c.kind in NUMERIC_KINDS:
            view[c.name] = [shown_number(v, c.kind, lang) for v in view[c.name]]
    table_key = story_ui.table_key(key)
    selectable = {}
    if story is not None:
        kind, id_col = story

        def on_select() -> None:
            record = story_ui.pick(st.session_state.get(table_key), shown, id_col)
            if record is not None:
                story_ui.open_record(kind, record, key)

        selectable = {"on_select": on_select, "selection_mode": "single-row"}
    st.dataframe(view, hide_index=True, width="stretch", key=table_key,
                 column_config={c.name: _column_config(c, lang) for c in columns},
                 height=min(36 + 35 * len(view), 36 + 35 * 15), **selectable)
    if story is not None:
        st.caption(t("story.open_hint", lang))
    everything = (lambda: display_frame(fetch(by, desc, None, 0), columns, lang)) if lazy_download \
        else display_frame(fetch(by, desc, None, 0), columns, lang)
    downloads.download_buttons(everything, file_stem, key=f"{key}_dl", csv_label=t("dl.csv", lang),
                               excel_label=t("dl.excel", lang), rows=n)
