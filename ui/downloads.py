"""CSV and Excel download buttons for a detail table: exactly the rows shown (after every filter and drill-down).

The files are built by `present.spreadsheet` (cells neutralised against formula injection), only when a
button is clicked.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from present.spreadsheet import CSV_MIME, XLSX_MIME, to_csv, to_excel


def download_buttons(df: pd.DataFrame, file_stem: str, key: str, *, csv_label: str, excel_label: str,
                     sheet: str | None = None, disabled: bool = False) -> None:
    """Two download buttons (CSV, Excel) for exactly `df`; the file is built when a button is clicked."""
    frame = df.copy()
    c1, c2, _ = st.columns([1, 1, 4], gap="small")
    with c1:
        st.download_button(csv_label, data=lambda: to_csv(frame), file_name=f"{file_stem}.csv",
                           mime=CSV_MIME, key=f"{key}_csv", on_click="ignore", icon=":material/download:",
                           disabled=disabled, width="stretch")
    with c2:
        st.download_button(excel_label, data=lambda: to_excel(frame, sheet or file_stem),
                           file_name=f"{file_stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore",
                           icon=":material/table_view:", disabled=disabled, width="stretch")
