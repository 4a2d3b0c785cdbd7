"""The dashboard: `streamlit run app.py` (warehouse from $GOV_DB or data/governance.duckdb).

Every run: sidebar filters (synced with the URL) → navigation → header → the page.
Pages live in pages/; a page file that does not exist yet is simply not listed.
"""

from __future__ import annotations

from pathlib import Path

# Import the heavy libraries before any page runs: concurrent first runs of
# several sessions could otherwise see a partially initialised module.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

import kpi  # noqa: F401
import ui
from kpi.targets import TargetsError
from ui import shell

ROOT = Path(__file__).resolve().parent

# file, title label, icon — in navigation order. The URL path is the file name
# (/engagement, /kpi_catalogue; the first page is also /), the same path
# Streamlit's legacy pages/ mode gives the file (see ui.sidebar._ran_without_app).
PAGES = (
    ("pages/overview.py", "page.overview", ":material/dashboard:"),
    ("pages/engagement.py", "page.engagement", ":material/groups:"),
    ("pages/issues.py", "page.issues", ":material/forum:"),
    ("pages/disputes_safety.py", "page.disputes_safety", ":material/shield:"),
    ("pages/services.py", "page.services", ":material/handyman:"),
    ("pages/volunteers.py", "page.volunteers", ":material/volunteer_activism:"),
    ("pages/briefing.py", "page.briefing", ":material/description:"),
    ("pages/kpi_catalogue.py", "page.kpi_catalogue", ":material/menu_book:"),
)

st.set_page_config(page_title=ui.t("app.title"), page_icon=":material/account_balance:", layout="wide", initial_sidebar_state="expanded")

if not shell.warehouse_ready():
    shell.missing_warehouse()
    st.stop()

lang = shell.start()
pages = [
    st.Page(file, title=ui.t(key, lang), icon=icon, url_path=Path(file).stem, default=(file == PAGES[0][0]))
    for file, key, icon in PAGES
    if (ROOT / file).exists()
]
page = st.navigation(pages)
view = shell.sidebar()
shell.header(page.title)
try:
    page.run()
except TargetsError as e:
    st.error(f"{ui.t('header.targets_error', view.lang)}\n\n{e}", icon=":material/error:")
