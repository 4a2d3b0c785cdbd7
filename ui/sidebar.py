"""The global filters in the sidebar, kept in sync with the URL.

Why not `bind="query-params"`: bound selectboxes write their *formatted*
option labels to the URL (so links would change with the language), drop
invalid values silently (we must show a note), and cannot express the period
vocabulary (`2024Q1`, `custom` + `start`/`end`). So the widgets keep their
values in `st.session_state` (keys `f_*`) and this module syncs them with
`st.query_params` each run:

1. `adopt_url(choices)` — at the start of a run: on the session's first run,
   or when the URL's filter parameters differ from what we last wrote (a link
   was opened, the user edited the address bar), the URL wins: it is parsed
   (`ui.state.parse_query`), invalid parts become notes, and the widget
   states are set. When a page switch cleared the URL, the session's state
   wins and is written back.
2. `render(choices)` — draws the widgets, builds the `ViewState` and writes
   its URL form (`ui.state.to_query`) back to `st.query_params` when it
   differs, leaving foreign parameters alone.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from ui import periods
from ui.format import fmt_date, fmt_quarter
from ui.labels import LANGS, pillar_name, t
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


def _set_widgets(view: ViewState, choices: Choices) -> None:
    ss = st.session_state
    ss[K_LANG] = view.lang
    ss[K_PERIOD] = view.period_choice
    if view.period_choice == periods.QUARTER:
        ss[K_QUARTER] = view.period
    ss[K_START], ss[K_END] = view.start, view.end
    ss[K_COMMUNITY] = list(view.communities)
    ss[K_COMPOUND] = list(view.compounds)
    ss[K_PILLAR] = list(view.pillars)


def adopt_url(choices: Choices) -> str:
    """Step 1 (see module docstring). Returns the language to render this run in."""
    ss = st.session_state
    url = read_url()
    if _WRITTEN not in ss or (url and url != ss[_WRITTEN]):
        view, notes = parse_query(url, choices)
        _set_widgets(view, choices)
        ss[_ADOPTED] = view
        ss[_NOTES] = notes
        ss[_WRITTEN] = url
    if ss.get(K_LANG) not in LANGS:
        ss[K_LANG] = "zh"
    return ss[K_LANG]


def _quarter_options(choices: Choices) -> list[str]:
    cur = st.session_state.get(K_QUARTER)
    extra = (cur,) if isinstance(cur, str) else ()
    return periods.quarter_options(choices.first_date, choices.today, extra)


def _sanitise(choices: Choices) -> None:
    """Make every widget state valid for the current options (before the widgets are drawn)."""
    ss = st.session_state
    today = choices.today
    if ss.get(K_PERIOD) not in periods.CHOICES:
        ss[K_PERIOD] = periods.DEFAULT
    if not isinstance(ss.get(K_QUARTER), str) or not periods.parse_quarter(ss[K_QUARTER]):
        ss[K_QUARTER] = periods.quarter_token(periods.last_complete_quarter(today)[0])
    default_s, default_e = periods.resolve(periods.DEFAULT, today)
    lo, hi = periods.DATE_MIN, periods.date_max(today)
    for k, d in ((K_START, default_s), (K_END, default_e)):
        v = ss.get(k)
        if not isinstance(v, date) or not lo <= v <= hi:
            ss[k] = d
    ss[K_COMMUNITY] = [c for c in ss.get(K_COMMUNITY) or [] if c in choices.communities]
    allowed = choices.compounds_for(ss[K_COMMUNITY])
    ss[K_COMPOUND] = [x for x in ss.get(K_COMPOUND) or [] if x in allowed]
    ss[K_PILLAR] = [p for p in ss.get(K_PILLAR) or [] if p in choices.pillars]


def reset_filters() -> None:
    """on_click callback: back to the default view (keeps the language)."""
    ss = st.session_state
    lang = ss.get(K_LANG, "zh")
    today = periods.today()
    view = ViewState.default(today, lang)
    ss[K_PERIOD] = view.period
    ss[K_QUARTER] = periods.quarter_token(view.start)
    ss[K_START], ss[K_END] = view.start, view.end
    ss[K_COMMUNITY], ss[K_COMPOUND], ss[K_PILLAR] = [], [], []


def narrow_to_community(community: str) -> None:
    """Set the community filter to one community (compounds cleared). Call from a widget callback."""
    st.session_state[K_COMMUNITY] = [community]
    st.session_state[K_COMPOUND] = []


def render(choices: Choices) -> ViewState:
    """Step 2 (see module docstring): draw the filters, sync the URL, return the view."""
    ss = st.session_state
    _sanitise(choices)
    lang = ss[K_LANG]
    sb = st.sidebar
    sb.segmented_control(t("filter.lang", lang), list(LANGS), key=K_LANG, required=True,
                         format_func=lambda v: "中文" if v == "zh" else "English")
    lang = ss[K_LANG]
    sb.markdown(f"**{t('filter.header', lang)}**")

    choice = sb.selectbox(t("filter.period", lang), list(periods.CHOICES), key=K_PERIOD,
                          format_func=lambda v: t(f"period.{v}", lang))
    today = choices.today
    if choice == periods.QUARTER:
        def qlabel(tok: str) -> str:
            y, q = periods.parse_quarter(tok) or (0, 0)
            return fmt_quarter(y, q, lang)

        token = sb.selectbox(t("filter.quarter", lang), _quarter_options(choices), key=K_QUARTER,
                             format_func=qlabel)
        period = token
        start, end = periods.resolve(token, today)
    elif choice == periods.CUSTOM:
        lo, hi = periods.DATE_MIN, periods.date_max(today)
        c1, c2 = sb.columns(2)
        s = c1.date_input(t("filter.start", lang), key=K_START, min_value=lo, max_value=hi, format="YYYY-MM-DD")
        e = c2.date_input(t("filter.end", lang), key=K_END, min_value=lo, max_value=hi, format="YYYY-MM-DD")
        period = periods.CUSTOM
        if isinstance(s, date) and isinstance(e, date) and s <= e:
            start, end = s, e
        else:  # an end before the start: show the note and keep the default period until fixed
            sb.warning(t("note.date_order", lang))
            period = periods.DEFAULT
            start, end = periods.resolve(period, today)
    else:
        period = choice
        start, end = periods.resolve(choice, today)
    sb.caption(t("filter.range", lang, start=fmt_date(start), end=fmt_date(end)))

    communities = sb.multiselect(t("filter.community", lang), list(choices.communities), key=K_COMMUNITY,
                                 placeholder=t("filter.community.placeholder", lang))
    compound_options = choices.compounds_for(communities)
    compounds = sb.multiselect(
        t("filter.compound", lang), compound_options, key=K_COMPOUND, disabled=not communities,
        placeholder=t("filter.compound.placeholder" if communities else "filter.compound.disabled", lang),
    )
    pillars = sb.multiselect(t("filter.pillar", lang), list(choices.pillars), key=K_PILLAR,
                             format_func=lambda p: pillar_name(p, lang),
                             placeholder=t("filter.pillar.placeholder", lang))
    sb.button(t("filter.reset", lang), on_click=reset_filters, width="stretch")
    sb.caption(t("filter.link_help", lang))

    view = ViewState(start, end, period, tuple(communities), tuple(compounds), tuple(pillars), lang)
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


def _ran_without_app() -> bool:
    """True when Streamlit ran a page file directly, without app.py (its legacy pages/ mode).

    Streamlit decides per run whether the app uses the legacy `pages/`
    directory mode; the flag only turns off once `st.navigation` has been
    called in the process. So the very first session after a server start that
    opens a deep link (/overview?…) — and every AppTest rerun — runs the page
    file alone, without app.py's filters and header.
    """
    from streamlit.runtime.pages_manager import PagesManager

    return bool(PagesManager.uses_pages_directory)


def current_view() -> ViewState:
    """The view of this run (set by app.py). Pages call this first (see `_ran_without_app`)."""
    if _ran_without_app():
        # Same switch st.navigation flips; then rerun so app.py runs and navigates to this page.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    view = st.session_state.get(_VIEW)
    if view is None:
        raise RuntimeError("ui.view() without app.py: run the dashboard with `streamlit run app.py`")
    return view


def notes() -> list[Note]:
    return list(st.session_state.get(_NOTES) or [])
