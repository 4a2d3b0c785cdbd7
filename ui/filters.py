"""The global filters: their state, the sidebar widgets, the URL, and the one way to change them.

Every change of the view goes through this module:

- `change(view)`: make `view` (a `ui.state.ViewState`) the view of the next
  run. For widget callbacks (a scorecard row, a chart click, the briefing's
  quarter and scope selectors, the drill-down's back chip, the reset button);
  `narrow_to_community(name)` and `reset()` are shorthands.
- `current_view()` (`ui.view()`): the view of this run, as the sidebar drew it.
- `current_lang()`: the language of this run.

Why not `bind="query-params"`: bound selectboxes write their *formatted*
option labels to the URL (so links would change with the language), drop
invalid values silently (we must show a note), and cannot express the period
vocabulary (`2024Q1`, `custom` + `start`/`end`). So the widgets keep their
values in `st.session_state` (keys `f_*`, private to this module) and this
module syncs them with `st.query_params` each run:

1. `adopt_url(choices)`: at the start of a run: on the session's first run,
   or when the URL's filter parameters differ from what we last wrote (a link
   was opened, the user edited the address bar), the URL wins: it is parsed
   (`ui.state.parse_query`), invalid parts become notes, and the widget
   states are set. When a page switch cleared the URL, the session's state
   wins and is written back.
2. `render(choices)`: draws the widgets, builds the `ViewState` and writes
   its URL form (`ui.state.to_query`) back to `st.query_params` when it
   differs, leaving foreign parameters alone.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from datetime import date

import streamlit as st

from kpi import calendar
from kpi.calendar import Quarter
from present.format import fmt_date, fmt_quarter
from present.labels import DEFAULT_LANG, LANGS, pillar_name, t
from ui.state import PARAMS, Choices, Note, ViewState, parse_query, to_query

K_LANG, K_PERIOD, K_QUARTER, K_START, K_END = "f_lang", "f_period", "f_quarter", "f_start", "f_end"
K_COMMUNITY, K_COMPOUND, K_PILLAR = "f_community", "f_compound", "f_pillar"
_WRITTEN = "_ui_url_written"  # the filter params we last wrote to the URL
_ADOPTED = "_ui_adopted"  # the view adopted from the URL (notes stay until the view changes)
_NOTES = "_ui_notes"
_VIEW = "_ui_view"


def read_url() -> dict[str, list[str]]:
    """Our filter parameters as they are in the URL now."""
    qp = st.query_params
    return {k: qp.get_all(k) for k in PARAMS if k in qp}


def _state(state: MutableMapping | None) -> MutableMapping:
    return st.session_state if state is None else state


def change(view: ViewState, state: MutableMapping | None = None) -> None:
    """Make `view` the view of the next run (the one way to change the filters; call from a widget callback).

    `state` is the session state (a plain dict in tests)."""
    ss = _state(state)
    ss[K_LANG] = view.lang
    ss[K_PERIOD] = view.period_choice
    if view.period_choice == calendar.QUARTER:
        ss[K_QUARTER] = view.period
    ss[K_START], ss[K_END] = view.start, view.end
    ss[K_COMMUNITY] = list(view.communities)
    ss[K_COMPOUND] = list(view.compounds)
    ss[K_PILLAR] = list(view.pillars)


def narrow_to_community(community: str, state: MutableMapping | None = None) -> None:
    """The current view narrowed to one community (compounds cleared)."""
    change(replace(current_view(state), communities=(community,), compounds=()), state)


def reset(state: MutableMapping | None = None) -> None:
    """Back to the default view (keeps the language)."""
    change(ViewState.default(calendar.today(), current_lang(state)), state)


def adopt_url(choices: Choices, allowed: tuple[str, ...] | None = None) -> str:
    """Step 1 (see module docstring). Returns the language to render this run in."""
    ss = st.session_state
    url = read_url()
    if _WRITTEN not in ss or (url and url != ss[_WRITTEN]):
        view, notes = parse_query(url, choices, restricted=allowed is not None)
        view = replace(view, allowed=allowed)
        change(view)
        ss[_ADOPTED] = view
        ss[_NOTES] = notes
        ss[_WRITTEN] = url
    if ss.get(K_LANG) not in LANGS:
        ss[K_LANG] = DEFAULT_LANG
    return ss[K_LANG]


def _quarter_options(choices: Choices) -> list[str]:
    cur = st.session_state.get(K_QUARTER)
    extra = (cur,) if isinstance(cur, str) else ()
    return calendar.quarter_options(choices.first_date, choices.today, extra)


def _sanitise(choices: Choices) -> None:
    """Make every widget state valid for the current options (before the widgets are drawn)."""
    ss = st.session_state
    today = choices.today
    if ss.get(K_PERIOD) not in calendar.CHOICES:
        ss[K_PERIOD] = calendar.DEFAULT
    if not Quarter.parse_or_none(ss.get(K_QUARTER)):
        ss[K_QUARTER] = calendar.last_complete_quarter(today).code
    default = calendar.resolve(calendar.DEFAULT, today)
    lo, hi = calendar.DATE_MIN, calendar.date_max(today)
    for k, d in ((K_START, default.start), (K_END, default.end)):
        v = ss.get(k)
        if not isinstance(v, date) or not lo <= v <= hi:
            ss[k] = d
    ss[K_COMMUNITY] = [c for c in ss.get(K_COMMUNITY) or [] if c in choices.communities]
    allowed = choices.compounds_for(ss[K_COMMUNITY])
    ss[K_COMPOUND] = [x for x in ss.get(K_COMPOUND) or [] if x in allowed]
    ss[K_PILLAR] = [p for p in ss.get(K_PILLAR) or [] if p in choices.pillars]


def render(choices: Choices, allowed: tuple[str, ...] | None = None) -> ViewState:
    """Step 2 (see module docstring): draw the filters, sync the URL, return the view."""
    ss = st.session_state
    _sanitise(choices)
    lang = ss[K_LANG]
    sb = st.sidebar
    sb.segmented_control(t("filter.lang", lang), list(LANGS), key=K_LANG, required=True,
                         format_func=lambda v: "中文" if v == "zh" else "English")
    lang = ss[K_LANG]
    sb.markdown(f"**{t('filter.header', lang)}**")

    choice = sb.selectbox(t("filter.period", lang), list(calendar.CHOICES), key=K_PERIOD,
                          format_func=lambda v: t(f"period.{v}", lang))
    today = choices.today
    if choice == calendar.QUARTER:
        token = sb.selectbox(t("filter.quarter", lang), _quarter_options(choices), key=K_QUARTER,
                             format_func=lambda code: fmt_quarter(code, lang))
        period = token
        start, end = _dates(calendar.resolve(token, today))
    elif choice == calendar.CUSTOM:
        lo, hi = calendar.DATE_MIN, calendar.date_max(today)
        c1, c2 = sb.columns(2)
        s = c1.date_input(t("filter.start", lang), key=K_START, min_value=lo, max_value=hi, format="YYYY-MM-DD")
        e = c2.date_input(t("filter.end", lang), key=K_END, min_value=lo, max_value=hi, format="YYYY-MM-DD")
        period = calendar.CUSTOM
        if isinstance(s, date) and isinstance(e, date) and s <= e:
            start, end = s, e
        else:  # an end before the start: show the note and keep the default period until fixed
            sb.warning(t("note.date_order", lang))
            period = calendar.DEFAULT
            start, end = _dates(calendar.resolve(period, today))
    else:
        period = choice
        start, end = _dates(calendar.resolve(choice, today))
    sb.caption(t("filter.range", lang, start=fmt_date(start), end=fmt_date(end)))

    communities = sb.multiselect(t("filter.community", lang), list(choices.communities), key=K_COMMUNITY,
                                 placeholder=("、" if lang == "zh" else ", ").join(allowed) if allowed
                                 else t("filter.community.placeholder", lang))
    compound_options = choices.compounds_for(communities)
    compounds = sb.multiselect(
        t("filter.compound", lang), compound_options, key=K_COMPOUND, disabled=not communities,
        placeholder=t("filter.compound.placeholder" if communities else "filter.compound.disabled", lang),
    )
    pillars = sb.multiselect(t("filter.pillar", lang), list(choices.pillars), key=K_PILLAR,
                             format_func=lambda p: pillar_name(p, lang),
                             placeholder=t("filter.pillar.placeholder", lang))
    sb.button(t("filter.reset", lang), on_click=reset, width="stretch")
    sb.caption(t("filter.link_help", lang))

    view = ViewState(start, end, period, tuple(communities), tuple(compounds), tuple(pillars), lang, allowed)
    if view != ss.get(_ADOPTED):
        ss[_NOTES] = []  # the user changed something: the URL's notes are no longer about this view
        ss[_ADOPTED] = None
    q = to_query(view)
    if q != read_url():
        write_url(q)
    ss[_WRITTEN] = q
    ss[_VIEW] = view
    return view


def write_url(q: dict[str, list[str]]) -> None:
    """Replace our filter parameters in the URL by `q`, keeping any other parameter."""
    qp = st.query_params
    keep = {k: qp.get_all(k) for k in qp if k not in PARAMS}
    qp.from_dict({**keep, **{k: v if len(v) > 1 else v[0] for k, v in q.items()}})


def _dates(period: calendar.Period) -> tuple[date, date]:
    return period.start, period.end


def current_view(state: MutableMapping | None = None) -> ViewState:
    """The view of this run, as `render` drew it (app.py runs `render` before the page)."""
    view = _state(state).get(_VIEW)
    if view is None:
        raise RuntimeError("ui.view() before the sidebar was drawn: run the dashboard with `streamlit run app.py`")
    return view


def current_lang(state: MutableMapping | None = None) -> str:
    """The language of this run (before the sidebar is drawn: the language widget's value)."""
    ss = _state(state)
    view = ss.get(_VIEW)
    lang = view.lang if view is not None else ss.get(K_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def notes() -> list[Note]:
    return list(st.session_state.get(_NOTES) or [])
