"""CSV and Excel download buttons for a detail table: exactly the rows shown (after every filter and drill-down).

The files are built by `present.spreadsheet` (cells neutralised against formula injection), only when a
button is clicked.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from present.spreadsheet import CSV_MIME, XLSX_MIME, to_csv, to_excel
from ui import session
from ui.filters import current_view
from ui.state import to_query


def recorded(make, action: str, target: str, detail: dict):
    """`make` (builds a file's bytes when its download button is clicked), writing an audit row first:
    who, what, and the filters in force (never the file's content)."""
    def build() -> bytes:
        try:
            filters = to_query(current_view())
        except RuntimeError:
            filters = {}
        session.record(action, target, {**detail, "filters": filters})
        return make()

    return build


def download_buttons(df: pd.DataFrame | Callable[[], pd.DataFrame], file_stem: str, key: str, *, csv_label: str,
                     excel_label: str, sheet: str | None = None, disabled: bool = False,
                     rows: int | None = None) -> None:
    """Two download buttons (CSV, Excel) for exactly `df`; the file is built when a button is clicked. `df` may
    be a function giving the frame (a list too long to hold: it is fetched on the click; `rows` is its length,
    for the audit row)."""
    if callable(df):
        frame, n = df, rows
    else:
        held = df.copy()
        frame, n = (lambda: held), len(held)
    c1, c2, _ = st.columns([1, 1, 4], gap="small")
    with c1:
        st.download_button(csv_label, data=recorded(lambda: to_csv(frame()), "download", file_stem,
                                                    {"format": "csv", "rows": n}),
                           file_name=f"{file_stem}.csv",
                           mime=CSV_MIME, key=f"{key}_csv", on_click="ignore", icon=":material/download:",
                           disabled=disabled, width="stretch")
    with c2:
        st.download_button(excel_label, data=recorded(lambda: to_excel(frame(), sheet or file_stem), "download",
                                                      file_stem, {"format": "xlsx", "rows": n}),
                           file_name=f"{file_stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore",
                           icon=":material/table_view:", disabled=disabled, width="stretch")
