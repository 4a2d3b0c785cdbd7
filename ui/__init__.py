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
    `domain_cards(ids, columns=3, pillar_of=None, out_key=…) -> compare frame` — the cards
        that open a domain page, with its out-of-pillar / empty-scope note.
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
Importing `ui` does not import Streamlit: names are resolved lazily (PEP 562), so
the pure modules `ui.labels`, `ui.format`, `ui.charts`, `ui.periods`, `ui.state`,
`ui.downloads` can be used by `briefing/` and the command line.
App (used by app.py only: `ui.shell`)
    `warehouse_ready()`, `missing_warehouse()`, `start() -> lang`,
    `sidebar() -> ViewState`, `header(page_title)`.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name → module that defines it (the module is imported on first use)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{name: ("ui.components", name) for name in (
        "domain_cards", "empty_state", "kpi_cards", "lang", "scope_is_empty", "scope_words", "scorecard_table", "tr",
        "warnings_list")},
    **{name: ("ui.data", name) for name in ("connection", "query", "targets", "version", "warehouse_exists")},
    **{name: ("ui.format", name) for name in (
        "fmt_change", "fmt_count", "fmt_kpi", "fmt_number", "fmt_percent", "fmt_period", "fmt_timestamp")},
    **{name: ("ui.labels", name) for name in (
        "case_kind_name", "domain_name", "kpi_definition", "kpi_label", "kpi_name", "kpi_unit", "pillar_name", "t")},
    "today": ("ui.periods", "today"),
    "view": ("ui.sidebar", "current_view"),
    "narrow_to_community": ("ui.sidebar", "narrow_to_community"),
    "Choices": ("ui.state", "Choices"),
    "ViewState": ("ui.state", "ViewState"),
    # app steps; `sidebar` is only reachable as ui.shell.sidebar (ui.sidebar is the module)
    **{name: ("ui.shell", name) for name in (
        "scope", "choices", "warehouse_ready", "missing_warehouse", "start", "header")},
}
_SUBMODULES = ("charts", "components", "data", "downloads", "drilldown", "format", "labels", "periods", "shell",
               "sidebar", "state")

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"ui.{name}")
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
