"""The only Streamlit helpers: filters ↔ URL, header, KPI cards, plotly look, labels, cached loaders.

Pages are thin (layout and wording only): every number comes from a `kpi`
function called through `ui.query`, every text from `ui.labels`, every chart
from `ui.charts`. `app.py` does the common part of every run — sidebar
filters, URL sync, header — and then runs the page, so a page only does:

    import kpi
    import streamlit as st
    import ui

    view = ui.view()                                   # ViewState of this run
    st.subheader(ui.tr("overview.cards"))               # add keys to ui/labels.py
    cmp = ui.query(kpi.compare, view.filters, ids=[...])  # cached kpi call
    if ui.scope_is_empty(cmp):
        ui.empty_state()                                # "该范围内暂无数据…"
    ui.kpi_cards([...], compare=cmp)
    df = ui.query(kpi.series.monthly, view.filters, ["closure_rate"])
    st.plotly_chart(ui.charts.render_monthly_kpi(df, lang=view.lang), theme=None, config=ui.charts.CONFIG)

Call `ui.view()` first in every page: besides returning the view, it notices
when Streamlit ran the page file alone (its legacy pages/-directory mode, which
the first session after a server start that opens a deep link gets) and
reruns through app.py. Do not call `ui.header()` or `st.set_page_config()` in a
page: app.py draws the header (title, scope in words, freshness, demo banner,
URL notes). Page URLs are the file names (/engagement, /kpi_catalogue; the
overview is /). Widget keys `f_*` belong to the sidebar (ui.sidebar).

API
---
State (`ui.state`, `ui.sidebar`)
    `view() -> ViewState` — `.filters` (kpi.Filters), `.start`, `.end`,
        `.period` (preset token, '2024Q1' or 'custom'), `.communities`,
        `.compounds`, `.pillars`, `.lang` ('zh' | 'en').
    `choices() -> Choices` — communities, compounds_of, pillars, streets, today.
    `scope() -> kpi.ScopeOptions` — of the current warehouse (cached).
    `narrow_to_community(name)` — for widget callbacks: set the community filter.
    `state.query_string(view) -> str` — '?period=2024Q1&community=…' (for links).
    URL parameters: see `ui.state` (period, start, end, community, compound,
    pillar, lang); `ui.periods` for the period tokens; `today()` honours $GOV_TODAY.
Data (`ui.data`)
    `query(fn, *args, **kwargs)` — `fn(con, *args, **kwargs)` for a kpi function,
        cached by arguments + data version + targets version (result is a copy).
    `targets() -> kpi.Targets` (cached); `connection()`; `version()`.
Text (`ui.labels`, `ui.format`)
    `t(key, lang, **fmt)`, `tr(key, **fmt)` (current language), `kpi_name`,
    `kpi_unit`, `kpi_label` (name + unit), `kpi_definition`, `pillar_name`,
    `case_kind_name`, `domain_name`.
    `fmt_kpi(kpi_or_id, value, lang, unit=False)`, `fmt_number`, `fmt_count`
    (万 from 10,000), `fmt_percent` (one decimal), `fmt_change` (pp for %),
    `fmt_period(start, end, lang)` (2024年第一季度), `fmt_timestamp`.
Components (`ui.components`)
    `kpi_cards(ids, compare=None, columns=4)` — cards with value, change vs the
        previous period and vs a year earlier, coloured by the KPI's direction.
    `empty_state(message=None)`, `scope_is_empty(compare_or_values_frame) -> bool`.
    `scorecard_table(table)` — sortable; selecting a row narrows to that community
        (widget key `scorecard_key(view)`).
    `warnings_list(warnings_frame)`.
    `scope_words(view, choices) -> str` — 沌阳街道 · 南湾社区 · 2024年第一季度.
Charts (`ui.charts`, pure: DataFrame in, go.Figure out)
    `render_monthly_by_pillar(df, metric, lang)`, `render_monthly_kpi(df, ids, lang)`,
    `render_bar(df, category, value, …)`, `render_stacked(df, x, color, value, …)`,
    `empty_figure(lang)`, `apply(fig)` (template for hand-made figures),
    `PILLAR_COLORS`, `CASE_KIND_COLORS`, `color_for(name)`, `CONFIG`.
    Show with `st.plotly_chart(fig, theme=None, config=ui.charts.CONFIG)`.
Domain-page helpers added by the page authors: `ui.drilldown`, `ui.downloads`
    (documented in their own module docstrings).
App (used by app.py only)
    `warehouse_ready()`, `missing_warehouse()`, `start() -> lang`,
    `sidebar() -> ViewState`, `header(page_title)`.
"""

from __future__ import annotations

import streamlit as st

from ui import charts, periods, state  # noqa: F401
from ui.components import (  # noqa: F401
    empty_state,
    kpi_cards,
    lang,
    scope_is_empty,
    scope_words,
    scorecard_table,
    tr,
    warnings_list,
)
from ui.components import header as _header
from ui.components import page_title_for_tab as _tab_title
from ui.data import connection, query, targets, version, warehouse_exists  # noqa: F401
from ui.format import (  # noqa: F401
    fmt_change,
    fmt_count,
    fmt_kpi,
    fmt_number,
    fmt_percent,
    fmt_period,
    fmt_timestamp,
)
from ui.labels import (  # noqa: F401
    case_kind_name,
    domain_name,
    kpi_definition,
    kpi_label,
    kpi_name,
    kpi_unit,
    pillar_name,
    t,
)
from ui.periods import today  # noqa: F401
from ui.sidebar import current_view as view  # noqa: F401
from ui.sidebar import narrow_to_community  # noqa: F401
from ui.state import Choices, ViewState  # noqa: F401

_CHOICES = "_ui_choices"
_SCOPE = "_ui_scope"


def scope():
    """`kpi.scope_options` of the current warehouse (cached by data version)."""
    import kpi

    return query(kpi.scope_options)


def choices() -> Choices:
    return st.session_state[_CHOICES]


def warehouse_ready() -> bool:
    return warehouse_exists()


def missing_warehouse() -> None:
    """The whole app when there is no warehouse file: a clear bilingual message, no traceback."""
    from ui.data import db_path

    def _missing() -> None:
        st.title(f"{t('page.missing', 'zh')} / {t('page.missing', 'en')}", anchor=False)
        st.error(t("missing.body", "zh", path=db_path()), icon=":material/database:")
        st.error(t("missing.body", "en", path=db_path()), icon=":material/database:")

    st.navigation([st.Page(_missing, title=t("page.missing", "zh"), url_path="missing")], position="hidden").run()


def start() -> str:
    """First step of every run (app.py): read scope options, adopt the URL if new. Returns the language."""
    from ui.sidebar import adopt_url

    opts = scope()
    ch = Choices.from_scope(opts, periods.today())
    st.session_state[_SCOPE] = opts
    st.session_state[_CHOICES] = ch
    return adopt_url(ch)


def sidebar() -> ViewState:
    """Second step (app.py, after st.navigation): draw the filters, sync the URL."""
    from ui.sidebar import render

    return render(choices())


def header(page_title: str) -> None:
    """Third step (app.py): the header of the current page; also sets the browser tab title."""
    v, ch = view(), choices()
    st.set_page_config(page_title=_tab_title(page_title, v, ch))
    _header(page_title, v, ch, st.session_state[_SCOPE])
