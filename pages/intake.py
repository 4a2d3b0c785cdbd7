"""数据上报 / Upload ledgers (data clerks and administrators): templates, upload, a preview of every reject with a
highlighted copy to fix, and 确认入库."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from present.escape import markdown
from ui import intake

view = ui.view()
lg = view.lang
opts = ui.scope()
st.caption(ui.tr("intake.intro"))

# ---------------------------------------------------------------- 1 templates
st.subheader(ui.tr("intake.templates"), anchor=False)
kinds = intake.kind_names(lg)
c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
kind = c1.selectbox(ui.tr("intake.kind"), list(kinds), format_func=kinds.get, key="intake_kind")
communities = tuple(opts.communities["community"])
compounds = tuple(zip(opts.compounds["community"], opts.compounds["compound"], strict=True))
c2.download_button(ui.tr("intake.template_download"), data=lambda: intake.template(kind, communities, compounds),
                   file_name=intake.template_name(kind), icon=":material/download:", on_click="ignore",
                   width="stretch", key="intake_template")
st.caption(ui.tr("intake.template_help"))

# ---------------------------------------------------------------- 2 upload and preview
st.subheader(ui.tr("intake.upload"), anchor=False)
files = st.file_uploader(ui.tr("intake.files", mb=intake.max_upload_mb()), type=["xlsx", "xls", "csv"],
                         accept_multiple_files=True, key="intake_files")
staged = intake.stage(files)
if staged is None:
    st.info(ui.tr("intake.none"), icon=":material/upload_file:")
    st.stop()

with st.spinner(ui.tr("intake.previewing")):
    preview = intake.preview(staged)

rows = [{
    "file": s.file_name, "sheet": s.sheet or "—", "kind": kinds.get(s.kind, "—") if s.kind else "—",
    "read": s.rows_read, "load": s.rows_loaded, "update": s.rows_updated, "reject": s.rows_rejected,
    "examples": s.rows_example, "ignored": "、".join(s.ignored), "dropped": "、".join(s.dropped),
    "notes": "；".join(s.messages),
} for s in preview.sheets]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
    "file": ui.tr("intake.col_file"), "sheet": ui.tr("intake.col_sheet"), "kind": ui.tr("intake.col_kind"),
    "read": st.column_config.NumberColumn(ui.tr("intake.col_read"), format="%d"),
    "load": st.column_config.NumberColumn(ui.tr("intake.col_load"), format="%d"),
    "update": st.column_config.NumberColumn(ui.tr("intake.col_update"), format="%d"),
    "reject": st.column_config.NumberColumn(ui.tr("intake.col_reject"), format="%d"),
    "examples": st.column_config.NumberColumn(ui.tr("intake.col_examples"), format="%d"),
    "ignored": ui.tr("intake.col_ignored"), "dropped": ui.tr("intake.col_dropped"), "notes": ui.tr("intake.col_notes"),
})

rejects = preview.rejects
if rejects:
    st.subheader(ui.tr("intake.rejects", n=len(rejects)), anchor=False)
    table = pd.DataFrame([{"file": r.file_name, "sheet": r.sheet or "—", "row": r.row_number,
                           "column": r.column_name or "—", "value": r.value, "reason": r.reason} for r in rejects])
    st.dataframe(table, hide_index=True, width="stretch", height=min(36 + 35 * len(table), 36 + 35 * 12),
                 column_config={"file": ui.tr("intake.col_file"), "sheet": ui.tr("intake.col_sheet"),
                                "row": st.column_config.NumberColumn(ui.tr("intake.col_row"), format="%d"),
                                "column": ui.tr("intake.col_column"), "value": ui.tr("intake.col_value"),
                                "reason": ui.tr("intake.col_reason")})
    for name in dict.fromkeys(r.file_name for r in rejects):
        st.download_button(ui.tr("intake.annotated", file=markdown(name)),
                           data=ui.downloads.recorded(lambda n=name: intake.annotated(staged, n, rejects),
                                                      "download", "intake_annotated", {"file": name}),
                           file_name=f"{name.rsplit('.', 1)[0]}_问题标注.xlsx", icon=":material/edit_note:",
                           on_click="ignore", key=f"intake_annotated_{name}")

# ---------------------------------------------------------------- 3 confirm
loadable = sum(s.rows_loaded for s in preview.sheets)
st.subheader(ui.tr("intake.confirm_title"), anchor=False)
st.caption(ui.tr("intake.confirm_help", n=loadable))
if st.button(ui.tr("intake.confirm"), type="primary", disabled=loadable == 0, key="intake_confirm",
             icon=":material/cloud_upload:"):
    with st.spinner(ui.tr("intake.loading")):
        report = intake.confirm(staged)
    for f in report.files:
        text = ui.tr("intake.result", file=markdown(f.file_name), loaded=f.rows_loaded, rejected=f.rows_rejected,
                     status=ui.tr(f"intake.status.{f.status}"))
        (st.success if f.status in ("loaded", "already_loaded") else st.warning)(text, icon=":material/task_alt:")
    st.caption(ui.tr("intake.after"))
