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
    be a function returning the frame (fetched only on a click; `rows` is then its row count for the audit)."""
    if callable(df):
        fetch, n = df, rows
    else:
        frame = df.copy()
        fetch, n = (lambda: frame), len(frame)
    c1, c2, _ = st.columns([1, 1, 4], gap="small")
    with c1:
        st.download_button(csv_label, data=recorded(lambda: to_csv(fetch()), "download", file_stem,
                                                    {"format": "csv", "rows": n}),
                           file_name=f"{file_stem}.csv",
                           mime=CSV_MIME, key=f"{key}_csv", on_click="ignore", icon=":material/download:",
                           disabled=disabled, width="stretch")
    with c2:
        st.download_button(excel_label, data=recorded(lambda: to_excel(fetch(), sheet or file_stem), "download",
                                                      file_stem, {"format": "xlsx", "rows": n}),
                           file_name=f"{file_stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx", on_click="ignore",
                           icon=":material/table_view:", disabled=disabled, width="stretch")


def csv_button(make: Callable[[], pd.DataFrame], file_stem: str, key: str, *, label: str, rows: int) -> None:
    """One CSV download button for the frame `make()` builds on a click (neutralised cells, audited)."""
    st.download_button(label, data=recorded(lambda: to_csv(make()), "download", file_stem,
                                            {"format": "csv", "rows": rows}),
                       file_name=f"{file_stem}.csv", mime=CSV_MIME, key=key, on_click="ignore",
                       icon=":material/download:")
