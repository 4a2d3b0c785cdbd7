"""The app-level steps app.py runs on every rerun: scope, sidebar, header, missing warehouse."""

from __future__ import annotations

import streamlit as st

from ui import periods
from ui.components import header as _header
from ui.components import page_title_for_tab as _tab_title
from ui.data import query, warehouse_exists
from ui.labels import t
from ui.sidebar import current_view as view
from ui.state import Choices, ViewState

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
