"""The Streamlit layer: filters ↔ URL, header, KPI cards, cached loaders, drill-down, downloads.

Pages are thin (layout and wording only): every number comes from a `kpi`
function called through `ui.query`, every text from `present.labels` (through
`ui.tr` in the viewer's language), every chart from `present.charts`. A page
only does:

    import streamlit as st

    import kpi
    import ui
    from present import charts

    view = ui.view()                                     # first: the ViewState of this run
    st.subheader(ui.tr("overview.cards"))                 # add keys to present/labels.py
    cmp = ui.query(kpi.compare, view.filters, ids=[...])  # cached kpi call
    ui.kpi_cards([...], compare=cmp)
    df = ui.query(kpi.series.monthly, view.filters, ["closure_rate"])
    st.plotly_chart(charts.render_monthly_kpi(df, lang=view.lang), theme=None, config=charts.CONFIG)

Call `ui.view()` first in every page, before drawing anything: it also hands
a run over to the app when Streamlit ran the page file alone (see
`ui.shell`). Do not call `st.set_page_config()` or draw a header in a page:
`ui.shell.run` (app.py) draws the header (title, scope in words, freshness,
demo banner, URL notes). Page URLs are the file names (/engagement,
/kpi_catalogue; the overview is /).

API
---
View and filters (`ui.shell`, `ui.filters`, `ui.state`)
    `view() -> ViewState`: `.filters` (kpi.Filters), `.start`, `.end`, `.period`
        (preset token, '2024Q1' or 'custom'), `.communities`, `.compounds`,
        `.pillars`, `.lang` ('zh' | 'en').
    `change(view)`: the one way to change the filters (from a widget callback);
        `narrow_to_community(name)`, `reset()`.
    `choices() -> Choices`, `scope() -> kpi.ScopeOptions`, `query_string(view)`.
Data (`ui.data`)
    `query(fn, *args, **kwargs)`: `fn(con, *args, **kwargs)` for a kpi function, cached by
        arguments + data version + targets version (a function taking `targets` gets them).
    `targets()`, `version()`, `briefing(quarter, community, allowed)`,
    `briefing_canvas(quarter, community, lang)`.
Text in the viewer's language (`ui.text`)
    `tr(key, **fmt)`, `lang()`, `kpi_name`, `kpi_unit`, `kpi_label`, `kpi_definition`,
    `pillar_name`, `case_kind_name`, `domain_name`.
Components (`ui.components`)
    `kpi_cards(ids, compare=None, columns=4)`, `domain_cards(ids, columns=3, pillar_of=None, out_key=…)`,
    `empty_state(message=None)`, `scope_is_empty(frame)`, `scorecard_table(table)`,
    `warnings_list(warnings)`, `scope_words(view, choices)`.
Drill-down and downloads: `ui.drilldown`, `ui.downloads` (documented in their modules); CSS: `ui.theme`.
"""

from __future__ import annotations

from ui import downloads, drilldown, theme
from ui.components import (
    domain_cards,
    empty_state,
    kpi_cards,
    scope_is_empty,
    scope_words,
    scorecard_table,
    warnings_list,
)
from ui.data import briefing, briefing_canvas, briefing_long, query, targets, version
from ui.filters import change, narrow_to_community, reset
from ui.shell import choices, scope, view
from ui.state import Choices, ViewState, query_string
from ui.text import (
    case_kind_name,
    domain_name,
    kpi_definition,
    kpi_label,
    kpi_name,
    kpi_unit,
    lang,
    pillar_name,
    tr,
)

__all__ = [
    "Choices", "ViewState", "briefing", "briefing_canvas", "briefing_long", "case_kind_name", "change", "choices",
    "domain_cards", "domain_name", "downloads", "drilldown", "empty_state", "kpi_cards", "kpi_definition",
    "kpi_label", "kpi_name", "kpi_unit", "lang", "narrow_to_community", "pillar_name", "query", "query_string",
    "reset", "scope", "scope_is_empty", "scope_words", "scorecard_table", "targets", "theme", "tr", "version",
    "view", "warnings_list",
]
