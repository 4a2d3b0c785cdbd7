"""审计日志 / Audit log (administrators): sign-ins, lockouts, account changes, loads, downloads and exports."""

from __future__ import annotations

import datetime as dt

import streamlit as st

import ui
from present.format import BEIJING
from ui import drilldown as dd
from ui import session

view = ui.view()
lg = view.lang
st.caption(ui.tr("audit.intro"))
today = dt.datetime.now(BEIJING).date()  # the audit is about real time, not the data's pinned today
c1, c2, c3, c4 = st.columns([1, 1, 1, 1.4], vertical_alignment="bottom")
since = c1.date_input(ui.tr("audit.since"), value=today - dt.timedelta(days=30), key="audit_since",
                      format="YYYY-MM-DD")
until = c2.date_input(ui.tr("audit.until"), value=today, key="audit_until", format="YYYY-MM-DD")
user = c3.text_input(ui.tr("audit.user"), key="audit_user").strip()
actions = session.audit_actions()
action = c4.selectbox(ui.tr("audit.action"), ["", *actions], key="audit_action",
                      format_func=lambda a: actions.get(a, a) if a else ui.tr("audit.all_actions"))
rows = session.audit_frame(since, until + dt.timedelta(days=1), user, action, lg)
dd.detail_table(rows, [
    dd.Col("at", "audit.col_at"), dd.Col("actor", "audit.col_actor"), dd.Col("action", "audit.col_action"),
    dd.Col("target", "audit.col_target"), dd.Col("ok", "audit.col_ok", "bool"), dd.Col("detail", "audit.col_detail"),
], key="audit", file_stem=ui.tr("audit.file"), lang=lg, empty_message=ui.tr("audit.none"))
