"""The app's CSS, in one place (colours and fonts are in .streamlit/config.toml and present.charts)."""

from __future__ import annotations

import streamlit as st

# Less empty space above the header, so a 1280×720 screenshot shows the cards.
PAGE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMetricValue"] { font-size: 2rem; line-height: 1.35; }
</style>"""

# The briefing's presentation mode (…/briefing?embed=true&present=1): nothing but the canvas, centred at 16:9.
PRESENTATION = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stBottom"], footer { display: none !important; }
[data-testid="stMain"] { margin-left: 0 !important; }
[data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] { gap: 0 !important; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > :not(:has(.st-key-briefing_canvas)) {
  display: none !important; }
[data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #F6F4F1; }
.st-key-briefing_canvas, .st-key-briefing_canvas [data-testid="stImageContainer"],
.st-key-briefing_canvas [data-testid="stElementContainer"], .st-key-briefing_canvas [data-testid="stImage"] {
  width: 100% !important; max-width: 100% !important; }
.st-key-briefing_canvas img { display: block; margin: 0 auto; border-radius: 0 !important;
  width: min(100vw, calc(100vh * 16 / 9)) !important; max-width: none !important; height: auto !important;
  margin-top: max(0px, calc((100vh - min(100vw, calc(100vh * 16 / 9)) * 9 / 16) / 2)) !important; }
.st-key-briefing_canvas [data-testid="stElementToolbar"] { display: none !important; }
</style>"""


def page() -> None:
    st.html(PAGE)


def presentation() -> None:
    st.html(PRESENTATION)
