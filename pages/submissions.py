"""报送情况 / Submissions: for each community and ledger, the latest month covered and the last upload; who is
late; the load history; and (administrators) 撤回本次导入."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from kpi import calendar, submissions
from present.format import fmt_month, fmt_timestamp
from ui import intake

view = ui.view()
lg = view.lang
today = calendar.today()
deadline = ui.targets().submission_deadline_day
st.caption(ui.tr("sub.intro", day=deadline))

table = ui.query(submissions.submissions, view.allowed, today, deadline_day=deadline)
late = sorted(set(table.loc[table["late"], "community"]))
if late:
    st.warning(ui.tr("sub.late", names="、".join(late) if lg == "zh" else ", ".join(late), n=len(late)),
               icon=":material/schedule:")
else:
    st.success(ui.tr("sub.none_late"), icon=":material/check_circle:")
shown = pd.DataFrame({
    "community": table["community"],
    "kind": [ui.tr(f"sub.kind.{k}") for k in table["kind"]],
    "latest": [fmt_month(m, lg) if pd.notna(m) else "—" for m in table["latest_month"]],
    "loaded_at": [fmt_timestamp(t.to_pydatetime() if hasattr(t, "to_pydatetime") else t, lg) if pd.notna(t) else "—"
                  for t in table["last_loaded_at"]],
    "by": table["loaded_by"].fillna("—"),
    "file": table["file_name"].fillna("—"),
    "rows": [ui.drilldown.shown_number(v, "int", lg) for v in table["rows_loaded"]],
    "rejects": [ui.drilldown.shown_number(v, "int", lg) for v in table["rows_rejected"]], "late": table["late"],
})
st.dataframe(shown, hide_index=True, width="stretch", column_config={
    "community": ui.tr("col.community"), "kind": ui.tr("sub.col_kind"), "latest": ui.tr("sub.col_latest"),
    "loaded_at": ui.tr("sub.col_loaded_at"), "by": ui.tr("sub.col_by"), "file": ui.tr("sub.col_file"),
    "rows": st.column_config.TextColumn(ui.tr("sub.col_rows"), alignment="right"),
    "rejects": st.column_config.TextColumn(ui.tr("sub.col_rejects"), alignment="right"),
    "late": st.column_config.CheckboxColumn(ui.tr("sub.col_late")),
})

st.subheader(ui.tr("sub.history"), anchor=False)
history = ui.query(submissions.load_history, allowed=view.allowed, limit=200)
if history.empty:
    ui.empty_state(ui.tr("sub.no_history"))
else:
    st.dataframe(pd.DataFrame({
        "batch": history["batch_id"],
        "at": [fmt_timestamp(t.to_pydatetime() if hasattr(t, "to_pydatetime") else t, lg) for t in history["loaded_at"]],
        "file": history["file_name"], "sheet": history["sheet"].fillna("—"),
        "kind": [ui.tr(f"sub.kind.{k}") if k in submissions.LEDGER_KINDS else str(k) for k in history["kind"]],
        "rows": history["rows_loaded"], "rejects": history["rows_rejected"],
        "by": history["loaded_by"].fillna("—"), "profile": history["profile"].fillna("—"),
        "status": history["status"],
    }), hide_index=True, width="stretch", height=min(36 + 35 * len(history), 36 + 35 * 12), column_config={
        "batch": ui.tr("sub.col_batch"), "at": ui.tr("sub.col_loaded_at"), "file": ui.tr("sub.col_file"),
        "sheet": ui.tr("intake.col_sheet"), "kind": ui.tr("sub.col_kind"),
        "rows": st.column_config.NumberColumn(ui.tr("sub.col_rows"), format="%d"),
        "rejects": st.column_config.NumberColumn(ui.tr("sub.col_rejects"), format="%d"),
        "by": ui.tr("sub.col_by"), "profile": ui.tr("sub.col_profile"), "status": ui.tr("sub.col_status"),
    })
    if ui.session.viewer().is_admin:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        batch = c1.selectbox(ui.tr("sub.withdraw_pick"), list(history["batch_id"]), key="sub_withdraw_batch")
        if c2.button(ui.tr("sub.withdraw"), key="sub_withdraw", icon=":material/undo:", width="stretch"):
            try:
                report = intake.withdraw(batch)
            except intake.WithdrawRefused as e:
                st.error(str(e), icon=":material/block:")
            else:
                st.success(report.message, icon=":material/undo:")
