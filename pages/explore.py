"""数据查询 / Data explorer: a question of one's own over one ledger (filters, keywords, up to two groups, a
measure), answered as a chart, its table (下载结果) and the matching rows; the whole question lives in the URL, and
questions can be saved (常用查询 shared by administrators)."""

from __future__ import annotations

import streamlit as st

import ui
from kpi import explore
from ui import explorer

view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())


def options(table: str, column: str) -> list[str]:
    return ui.query(explore.options, table, view.allowed)[column]


explorer.adopt_url(options)
explorer.show_notes(lg)
st.caption(ui.tr("ex.intro"))
main, side = st.columns([3, 1], gap="large")
with main:
    question = explorer.render(view, options)
    st.subheader(ui.tr("ex.answer"), anchor=False)
    explorer.show_answer(question, view, scope)
    explorer.show_rows(question, view)
with side:
    explorer.saved_questions(question, view)
