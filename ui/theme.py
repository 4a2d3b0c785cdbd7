"""The app's CSS, in one place (colours and fonts are in .streamlit/config.toml and present.charts)."""

from __future__ import annotations

import streamlit as st

CARDS_KEY = "kpi_cards"  # the container of a page's KPI cards (ui.components.kpi_cards)
PHONE = "(max-width: 640px)"  # where Streamlit stacks columns: a phone held upright (390, 360 px wide)

# Less empty space above the header, so a 1280×720 screenshot shows the cards. On a phone: the KPI cards'
# rows of columns (stacked one per line by Streamlit below 640 px) become one grid of two cards a row, the
# margins narrower, the chart tool bar hidden (it covered the chart titles; a tap shows the values anyway).
PAGE = f"""<style>
[data-testid="stMainBlockContainer"] {{ padding-top: 2.5rem; }}
[data-testid="stMetricValue"] {{ font-size: 2rem; line-height: 1.35; }}
@media {PHONE} {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1rem; padding-right: 1rem; padding-top: 3.25rem; }}
  .st-key-{CARDS_KEY} {{ display: grid !important; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5rem; }}
  .st-key-{CARDS_KEY} > [data-testid="stLayoutWrapper"], .st-key-{CARDS_KEY} > * > [data-testid="stHorizontalBlock"],
  .st-key-{CARDS_KEY} > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{ display: contents; }}
  .st-key-{CARDS_KEY} > * > * > [data-testid="stColumn"]:not(:has([data-testid="stMetric"])) {{ display: none; }}
  .st-key-{CARDS_KEY} > * > * > [data-testid="stColumn"] > * {{ min-width: 0; }}
  .st-key-{CARDS_KEY} [data-testid="stMetricValue"] {{ font-size: 1.5rem; }}
  .st-key-{CARDS_KEY} [data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) {{
    flex-wrap: wrap; row-gap: 0.25rem; height: auto; }}
  .st-key-{CARDS_KEY} [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"],
  .st-key-{CARDS_KEY} [data-testid="stMetricLabel"] p,
  .st-key-{CARDS_KEY} [data-testid="stMetricDeltaDescription"] *,
  .st-key-{CARDS_KEY} [data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"],
  .st-key-{CARDS_KEY} [data-testid="stMetricDelta"] p {{ white-space: normal; }}
  .js-plotly-plot .modebar-container {{ display: none !important; }}
  h1 {{ font-size: 2rem !important; }}
}}
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


# The phone's helpers, installed once per browser page:
# - a swipe that starts on a chart scrolls the page. plotly.js cancels the touch (for its zoom or pan drag;
#   Streamlit sets pan on every clickable chart), so on a phone, where charts fill the width, the page could
#   hardly be scrolled. The touch is kept from plotly's drag layer; a tap still reaches the chart as a click
#   through the browser's compatibility mouse events (drill-down by tap); a mouse is not affected.
# - the sign-in's account name gets no automatic capital, correction or spell check from the on-screen
#   keyboard, and the keyboard's action key says "next" / "go" (Streamlit's text_input has no such options).
PHONE_SCRIPT = """<script>(function () {
  if (window.__govPhone) { return; }
  window.__govPhone = true;
  document.addEventListener("touchstart", function (e) {
    var t = e.target;
    if (t && t.closest && t.closest(".js-plotly-plot .draglayer")) { e.stopPropagation(); }
  }, { capture: true, passive: true });
  function keyboard() {
    document.querySelectorAll('input[autocomplete="username"]:not([autocapitalize])').forEach(function (i) {
      i.setAttribute("autocapitalize", "none"); i.setAttribute("autocorrect", "off");
      i.setAttribute("spellcheck", "false"); i.setAttribute("enterkeyhint", "next");
    });
    document.querySelectorAll('input[autocomplete="current-password"]:not([enterkeyhint])').forEach(function (i) {
      i.setAttribute("enterkeyhint", "go");
    });
  }
  keyboard();
  new MutationObserver(keyboard).observe(document.body, { childList: true, subtree: true });
})();</script>"""


def page() -> None:
    st.html(PAGE + PHONE_SCRIPT, unsafe_allow_javascript=True)


def presentation() -> None:
    st.html(PRESENTATION)
