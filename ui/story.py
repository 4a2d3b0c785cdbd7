"""One record's whole story in a dialog (`kpi.stories`): a click on a row of a case or activity list opens it, closing
it returns to the list exactly as it was (same page, list, filters, sort and page of the list: nothing but the
dialog changes).

- `ui.drilldown.detail_table(..., story=("case", "case_id"))` makes the table's rows selectable
  (`st.dataframe(on_select=..., selection_mode="single-row")`); the selection callback calls `open_record`.
- The open record lives in the session (`_OPEN`: kind, id, the list it came from) and in the URL (`?case=ID` or
  `?activity=ID`, next to the filters), so a copied link opens the same record; a deep link is only a request: the
  id is looked up through `kpi.stories` with the viewer's scope, and an unknown id or another community's record
  shows the same "no such record" note.
- Closing (the dialog's ✕, Esc, a click outside, or 关闭) drops both and gives the list's table a new widget key, so
  the row is no longer selected and the dialog does not open again.

Every ledger value reaches markdown through `present.escape.markdown`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date
from typing import Any

import streamlit as st

from kpi import calendar, stories
from present.escape import markdown
from present.format import DASH, fmt_date, fmt_number, fmt_timestamp
from present.labels import case_kind_name, pillar_name, t
from ui import data

KINDS = ("case", "activity")  # also the URL parameter of each
_OPEN = "_story_open"  # session: {"kind", "id", "list"}
_NONCE = "_story_nonce"  # session: list key → how many times a story opened from it was closed


def _ss(state: MutableMapping | None = None) -> MutableMapping:
    return st.session_state if state is None else state


def table_key(list_key: str, state: MutableMapping | None = None) -> str:
    """The widget key of a list's table: a new one after each close, so no row stays selected."""
    n = (_ss(state).get(_NONCE) or {}).get(list_key, 0)
    return f"{list_key}_table" if not n else f"{list_key}_table_{n}"


def open_record(kind: str, record_id: str, list_key: str | None, state: MutableMapping | None = None) -> None:
    """Open a record's story (a row's selection callback): remembered in the session and in the URL."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    _ss(state)[_OPEN] = {"kind": kind, "id": str(record_id), "list": list_key}
    if state is None:
        for k in KINDS:
            if k != kind and k in st.query_params:
                del st.query_params[k]
        st.query_params[kind] = str(record_id)


def close(state: MutableMapping | None = None) -> None:
    """Close the open story (the dialog's dismiss callback and its 关闭 button): back to the list as it was."""
    ss = _ss(state)
    opened = ss.pop(_OPEN, None)
    if opened and opened.get("list"):
        nonces = dict(ss.get(_NONCE) or {})
        nonces[opened["list"]] = nonces.get(opened["list"], 0) + 1
        ss[_NONCE] = nonces
    if state is None:
        for k in KINDS:
            if k in st.query_params:
                del st.query_params[k]


def opened(kind: str, state: MutableMapping | None = None) -> dict | None:
    """The open story of this kind, if any: from the session, else from the URL (a deep link)."""
    ss = _ss(state)
    current = ss.get(_OPEN)
    if current is None and state is None:
        raw = st.query_params.get(kind)
        if raw:
            current = {"kind": kind, "id": str(raw)[: stories.MAX_ID_LENGTH + 1], "list": None}
            ss[_OPEN] = current
    return current if current and current.get("kind") == kind else None


def pick(event: Any, rows, id_col: str) -> str | None:
    """The id of the row selected in a `st.dataframe` selection event (`rows`: the frame shown), or None."""
    sel = getattr(event, "selection", None) if not isinstance(event, dict) else event.get("selection")
    chosen = (sel.get("rows") if isinstance(sel, dict) else getattr(sel, "rows", None)) if sel is not None else None
    if not chosen or not 0 <= chosen[0] < len(rows):
        return None
    v = rows.iloc[chosen[0]][id_col]
    return None if v is None or (isinstance(v, float) and v != v) else str(v)


# ---------------------------------------------------------------------- what the dialog shows (pure)


def field_text(name: str, value: Any, lang: str | None) -> str:
    """A field's value as shown (plain text; escape it for markdown): dates ISO, pillars and case kinds in the
    language, numbers with separators, a blank as "—"."""
    if value is None:
        return DASH
    if isinstance(value, date):
        return fmt_date(value)
    if name == "pillar":
        return pillar_name(str(value), lang)
    if name == "kind":
        return case_kind_name(str(value), lang)
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if isinstance(value, int | float):
        return fmt_number(float(value), 0 if float(value).is_integer() else 1, lang, large=False)
    return str(value)


def days_line(s: stories.Story, lang: str | None) -> str | None:
    """'办结用时 19 天 · 办理时限 15 天 · 超时办结' — the days against the time limit (plain text), None for an activity."""
    if s.kind != "case" or s.days is None:
        return None
    parts = [t("story.days.closed", lang, days=s.days) if s.closed
             else t("story.days.open", lang, days=s.days, date=fmt_date(s.as_of))]
    if s.sla_days is None:
        parts.append(t("story.no_limit", lang))
    elif s.on_time is None and s.overdue is None:
        parts.append(t("story.transferred", lang))
    else:
        parts.append(t("story.limit", lang, sla=s.sla_days))
        if s.closed:
            parts.append(t("story.on_time" if s.on_time else "story.late", lang))
        else:
            parts.append(t("story.overdue" if s.overdue else "story.within", lang))
    return " · ".join(parts)


def history_lines(s: stories.Story, lang: str | None) -> list[tuple[str, list[str]]]:
    """The history as (heading, [change lines]) pairs, oldest first (plain text; escape for markdown)."""
    if not s.versions:
        return []
    out = []
    first = s.versions[0]
    out.append((t("story.first_load", lang, at=fmt_timestamp(first.loaded_at, lang), file=first.file_name or DASH),
                []))
    for v in s.versions[1:]:
        out.append((t("story.version", lang, at=fmt_timestamp(v.loaded_at, lang), file=v.file_name or DASH),
                    [t("story.change", lang, field=t(f"story.field.{c.field}", lang),
                       before=field_text(c.field, c.before, lang), after=field_text(c.field, c.after, lang))
                     for c in v.changes]))
    return out


# ---------------------------------------------------------------------- Streamlit


def load(kind: str, record_id: str, allowed) -> stories.Story | None:
    """The story through the cached kpi layer, within the viewer's scope (None: no such record for this viewer)."""
    if kind == "case":
        return data.query(stories.case_story, record_id, allowed=allowed, today=calendar.today())
    return data.query(stories.activity_story, record_id, allowed=allowed)


def _body(kind: str, record_id: str, allowed, lang: str) -> None:
    s = load(kind, record_id, allowed)
    if s is None:
        st.info(t("story.not_found", lang), icon=":material/search_off:")
    else:
        line = days_line(s, lang)
        if line:
            bad = bool(s.overdue) or s.on_time is False
            # coloured text, not a badge: a badge keeps to one line and cut this, the record's key fact, on a phone
            st.markdown(f":{'red' if bad else 'gray'}[**{markdown(line)}**]")
        st.markdown(f"**{t('story.fields', lang)}**")
        names = list(s.fields)
        cols = st.columns(2)
        for n, name in enumerate(names):
            cols[n % 2].markdown(f"**{t(f'story.field.{name}', lang)}**：{markdown(field_text(name, s.fields[name], lang))}"
                                 if lang != "en" else
                                 f"**{t(f'story.field.{name}', lang)}**: "
                                 f"{markdown(field_text(name, s.fields[name], lang))}")
        st.markdown(f"**{t('story.history', lang)}**")
        if s.versions is None:
            st.caption(t("story.no_history", lang))
        else:
            for heading, changes in history_lines(s, lang):
                st.markdown(markdown(heading) + "".join(f"\n- {markdown(c)}" for c in changes))
            if not s.changed:
                st.caption(t("story.unchanged", lang))
    if st.button(t("story.close", lang), key="story_close", icon=":material/close:", on_click=close):
        st.rerun()


def show(kind: str, list_key: str, allowed, lang: str) -> None:
    """The open story's dialog, when one of `kind` is open for this list (or from a deep link)."""
    current = opened(kind)
    if current is None or current.get("list") not in (None, list_key):
        return
    title = t(f"story.{kind}.title", lang, id=markdown(current["id"]))
    st.dialog(title, width="large", on_dismiss=close)(_body)(kind, current["id"], allowed, lang)
