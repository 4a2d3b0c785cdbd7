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
communities = tuple(opts.communities["community"])
compounds = tuple(zip(opts.compounds["community"], opts.compounds["compound"], strict=True))
for row_start in range(0, len(kinds), 4):
    for col, kind in zip(st.columns(4), list(kinds)[row_start:row_start + 4], strict=False):
        col.download_button(kinds[kind], data=lambda k=kind: intake.template(k, communities, compounds),
                            file_name=intake.template_name(kind), icon=":material/download:", on_click="ignore",
                            width="stretch", key=f"intake_template_{kind}",
                            help=ui.tr("intake.template_download"))
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

for s in preview.sheets:  # the notes in full, under the table (recognised profile, refusals, dropped columns)
    for m in s.messages:
        st.caption(f"{markdown(s.file_name)}{'［' + markdown(s.sheet) + '］' if s.sheet else ''}：{markdown(m)}")

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

# ---------------------------------------------------------------- foreign exports: map the columns
foreign = intake.unrecognised(preview)
mapped_toml = None
if foreign:
    with st.expander(ui.tr("intake.map_title"), expanded=True, icon=":material/swap_horiz:"):
        st.caption(ui.tr("intake.map_help"))
        name = st.selectbox(ui.tr("intake.map_file"), foreign, key="map_file")
        headers, values = intake.file_columns(staged, name)
        mk = st.selectbox(ui.tr("intake.kind"), list(kinds), format_func=kinds.get, key="map_kind",
                          index=list(kinds).index("cases") if "cases" in kinds else 0)
        columns, constants, value_maps, dates = {}, {}, {}, {}
        none, const = "", "__constant__"
        for field_name, zh, required, vocab, is_date in intake.kind_fields(mk):
            c1, c2 = st.columns([1.2, 1])
            label = f"{zh}{' *' if required else ''}"
            choice = c1.selectbox(label, [none, *headers, const], key=f"map_col_{mk}_{field_name}",
                                  format_func=lambda h: ui.tr("intake.map_none") if h == none else
                                  ui.tr("intake.map_constant") if h == const else h)
            if choice == const:
                v = (c2.selectbox(ui.tr("intake.map_value"), list(vocab), key=f"map_const_{mk}_{field_name}")
                     if vocab else c2.text_input(ui.tr("intake.map_value"), key=f"map_const_{mk}_{field_name}"))
                if v:
                    constants[field_name] = v
            elif choice:
                columns[field_name] = choice
                if vocab:
                    found = [x for x in values.get(choice, []) if x not in vocab]
                    if found:
                        edited = c2.data_editor(
                            pd.DataFrame({"file": found, "contract": [None] * len(found)}), hide_index=True,
                            key=f"map_vals_{mk}_{field_name}", column_config={
                                "file": st.column_config.TextColumn(ui.tr("intake.map_file_value"), disabled=True),
                                "contract": st.column_config.SelectboxColumn(ui.tr("intake.map_contract_value"),
                                                                             options=list(vocab))})
                        value_maps[field_name] = {f: c for f, c in zip(edited["file"], edited["contract"],
                                                                       strict=True) if c}
                if is_date:
                    fmt = c2.text_input(ui.tr("intake.map_dates"), key=f"map_dates_{mk}_{field_name}",
                                        value="%m/%d/%Y %I:%M:%S %p, %Y-%m-%d %H:%M, %Y/%m/%d")
                    dates[field_name] = [f.strip() for f in fmt.split(",") if f.strip()]
        skip_col = st.selectbox(ui.tr("intake.map_skip_col"), [none, *headers], key="map_skip_col",
                                format_func=lambda h: ui.tr("intake.map_none") if h == none else h)
        skip = {}
        if skip_col:
            skipped = st.multiselect(ui.tr("intake.map_skip_values"), values.get(skip_col, []), key="map_skip_vals")
            if skipped:
                skip[skip_col] = skipped
        profile_name = st.text_input(ui.tr("intake.map_name"), key="map_name", value=name.rsplit(".", 1)[0])
        try:
            mapped_toml = intake.profile_toml(profile_name, mk, columns, constants, value_maps, skip, dates, headers)
        except ValueError as e:
            st.warning(str(e), icon=":material/rule:")
        if mapped_toml and st.button(ui.tr("intake.map_save"), key="map_save", icon=":material/save:"):
            saved = intake.save_profile(mapped_toml)
            st.success(ui.tr("intake.map_saved", name=markdown(saved.name)), icon=":material/save:")
    if mapped_toml:
        preview = intake.preview_mapped(staged, mapped_toml)
        st.dataframe(pd.DataFrame([{
            "file": s.file_name, "kind": kinds.get(s.kind, "—") if s.kind else "—", "read": s.rows_read,
            "load": s.rows_loaded, "reject": s.rows_rejected, "notes": "；".join(s.messages)} for s in preview.sheets]),
            hide_index=True, width="stretch", column_config={
                "file": ui.tr("intake.col_file"), "kind": ui.tr("intake.col_kind"),
                "read": ui.tr("intake.col_read"), "load": ui.tr("intake.col_load"),
                "reject": ui.tr("intake.col_reject"), "notes": ui.tr("intake.col_notes")})

# ---------------------------------------------------------------- 3 confirm
loadable = sum(s.rows_loaded for s in preview.sheets)
st.subheader(ui.tr("intake.confirm_title"), anchor=False)
st.caption(ui.tr("intake.confirm_help", n=loadable))
if st.button(ui.tr("intake.confirm"), type="primary", disabled=loadable == 0, key="intake_confirm",
             icon=":material/cloud_upload:"):
    with st.status(ui.tr("intake.loading"), expanded=True) as status:
        def say(message: str) -> None:
            status.write(markdown(message.strip()))

        report = intake.confirm_mapped(staged, mapped_toml, say) if mapped_toml else intake.confirm(staged, say)
        status.update(label=ui.tr("intake.loaded"), state="complete", expanded=False)
    for f in report.files:
        text = ui.tr("intake.result", file=markdown(f.file_name), loaded=f.rows_loaded, rejected=f.rows_rejected,
                     status=ui.tr(f"intake.status.{f.status}"))
        (st.success if f.status in ("loaded", "already_loaded") else st.warning)(text, icon=":material/task_alt:")
    st.caption(ui.tr("intake.after"))
