"""季度简报 / Quarterly briefing: one fixed 16:9 canvas for the leadership meeting, and its exports.

The canvas is rendered server-side (kaleido + the system Chromium) into the
same PNG the export writes, so it looks identical in every browser and in the
files; without Chromium the same figure is shown as a static plotly chart.
Quarter and scope (whole street or one community) are page selectors that
write through to the global filters, so the URL carries them
(`/briefing?period=2024Q1&community=南湾社区`). Presentation mode
(`…&embed=true&present=1`) shows nothing but the canvas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

import ui
from briefing import exports, figures, model, render
from briefing import pdf as _pdf
from ui import periods
from ui.format import fmt_quarter
from ui.sidebar import K_COMMUNITY, K_COMPOUND, K_PERIOD, K_PILLAR, K_QUARTER

K_Q, K_SCOPE = "briefing_quarter", "briefing_scope"
WHOLE = ""  # the scope selector's value for the whole street

def _present() -> bool:
    return str(st.query_params.get("present", "")).lower() in ("1", "true", "yes")


PRESENT_CSS = """<style>
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


# ---------------------------------------------------------------- state → quarter and scope

view = ui.view()
lang = view.lang
present = _present()
if present:
    st.html(PRESENT_CSS)
opts = ui.scope()
quarters = model.available_quarters(opts)
today = ui.today()
default_q = model.default_quarter(opts, today)


def _view_quarter() -> tuple[str | None, bool]:
    """The quarter the global period stands for (token, whether it is one).

    The default period (last complete quarter by the calendar) becomes the last
    complete quarter *of the data* (they differ when the ledgers lag behind).
    """
    if periods.parse_quarter(view.period):
        return view.period, True
    if view.period == periods.DEFAULT:
        return (default_q.code if default_q else periods.quarter_token(view.start)), True
    return None, False


def _on_quarter() -> None:
    st.session_state[K_PERIOD] = periods.QUARTER
    st.session_state[K_QUARTER] = st.session_state[K_Q]


def _on_scope() -> None:
    c = st.session_state[K_SCOPE]
    if c:
        ui.narrow_to_community(c)
    else:
        st.session_state[K_COMMUNITY] = []
        st.session_state[K_COMPOUND] = []
    st.session_state[K_PILLAR] = []


token, is_quarter = _view_quarter()
if token is None:
    token = default_q.code if default_q else None
codes = [q.code for q in quarters]
if token and token not in codes:
    codes = sorted({*codes, token}, reverse=True)  # e.g. a linked quarter without data: say so below
community = view.communities[0] if len(view.communities) == 1 else None
communities = list(opts.communities["community"])


def _stop_with(message: str) -> None:
    """The empty state, inside the canvas container so that presentation mode shows it too."""
    with st.container(key="briefing_canvas"):
        ui.empty_state(message)
    st.stop()


if not codes:
    _stop_with(ui.t("briefing.page.no_data", lang))

st.session_state[K_Q] = token
st.session_state[K_SCOPE] = community or WHOLE


def _quarter_label(code: str) -> str:
    y, q = periods.parse_quarter(code) or (0, 0)
    return fmt_quarter(y, q, lang)


def _scope_label(c: str) -> str:
    if c:
        return c
    streets = "、".join(dict.fromkeys(opts.communities["street"].astype(str)))
    whole = ui.t("briefing.page.whole", lang)
    return f"{whole}（{streets}）" if lang == "zh" else f"{whole} ({streets})"


def _present_link() -> str:
    """This briefing in presentation mode (relative to the app: /briefing?…&embed=true&present=1)."""
    q = ui.state.query_string(view)
    return "briefing" + (q + "&" if q else "?") + "embed=true&present=1"


if not present:
    c1, c2, c3 = st.columns([1, 1.4, 1], vertical_alignment="bottom")
    c1.selectbox(ui.t("briefing.quarter", lang), codes, key=K_Q, format_func=_quarter_label, on_change=_on_quarter)
    c2.selectbox(ui.t("briefing.scope", lang), [WHOLE, *communities], key=K_SCOPE, format_func=_scope_label,
                 on_change=_on_scope)
    c3.link_button(ui.t("briefing.page.present", lang), _present_link(), help=ui.t("briefing.page.present_help", lang),
                   icon=":material/slideshow:", width="stretch")
    notes = []
    if view.period == periods.DEFAULT and token != periods.quarter_token(view.start):
        notes.append(ui.t("briefing.page.lagging", lang, quarter=_quarter_label(periods.quarter_token(view.start)),
                          shown=_quarter_label(token)))
    if not is_quarter:
        notes.append(ui.t("briefing.page.not_quarter", lang, period=ui.t(f"period.{view.period_choice}", lang),
                          quarter=_quarter_label(token)))
    what = [ui.t(k, lang) for k, on in (("briefing.page.what_communities", len(view.communities) > 1),
                                        ("briefing.page.what_compounds", bool(view.compounds)),
                                        ("briefing.page.what_pillars", bool(view.pillars))) if on]
    if what:
        notes.append(ui.t("briefing.page.narrowed", lang, what="、".join(what) if lang == "zh" else ", ".join(what)))
    for n in notes:
        st.caption(n)


# ---------------------------------------------------------------- the briefing

@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def _build(quarter: str, community: str | None, path: str, version: str, targets: str):  # noqa: ARG001
    """briefing.model.build on the shared connection, cached by data and targets version."""
    return model.build(ui.connection(), quarter, community, targets=ui.targets(), db_path=path)


@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def _canvas_png(key: tuple, _b, lang: str) -> bytes:  # noqa: ARG001 - key identifies _b
    return exports.png_bytes(_b, lang)


path, version, tv = str(ui.data.db_path()), ui.data.version(), ui.data.targets_version()
try:
    b = _build(token, community, path, version, tv)
except model.BriefingError as e:
    _stop_with(e.message(lang))

canvas = st.container(key="briefing_canvas")
with canvas:
    shown = False
    if render.available():
        try:
            with st.spinner(ui.t("briefing.product", lang)):
                png = _canvas_png((token, community, path, version, tv), b, lang)
            st.image(png, width="stretch", output_format="PNG")
            shown = True
        except Exception as e:  # noqa: BLE001 - fall back to the interactive figure
            if not present:
                st.warning(f"{ui.t('briefing.page.render_failed', lang)} {e}", icon=":material/warning:")
    if not shown:
        st.plotly_chart(figures.canvas(b, lang), theme=None, width="content",
                        config={"staticPlot": True, "displayModeBar": False})

if present:
    st.stop()

# ---------------------------------------------------------------- exports

st.subheader(ui.t("briefing.page.exports", lang), anchor=False)
has_browser = render.available()
if not has_browser:
    st.info(ui.t("briefing.page.no_browser", lang), icon=":material/info:")
try:  # the PDF's text needs a TrueType CJK font: say so here rather than fail in the download
    _pdf.cjk_font()
    has_pdf_font = True
except _pdf.FontUnavailable as e:
    has_pdf_font = False
    st.info(str(e), icon=":material/info:")


def _exporter(fmt: str):
    def make() -> bytes:
        fresh = dataclasses.replace(b, meta=dataclasses.replace(b.meta, generated_at=dt.datetime.now(dt.UTC)
                                                               .replace(microsecond=0)))
        return exports.export_bytes(fresh, [fmt], lang)[fmt]

    return make


cols = st.columns(4)
icons = {"png": ":material/image:", "pdf": ":material/picture_as_pdf:", "pptx": ":material/slideshow:",
         "xlsx": ":material/table:"}
for col, fmt in zip(cols, exports.FORMATS, strict=True):
    col.download_button(
        ui.t(f"briefing.page.{fmt}", lang), data=_exporter(fmt), file_name=exports.file_name(b, fmt, lang),
        mime=exports.MIME[fmt],
        key=f"briefing_dl_{fmt}", icon=icons[fmt], on_click="ignore", width="stretch",
        disabled=(fmt in ("png", "pdf") and not has_browser) or (fmt == "pdf" and not has_pdf_font),
    )
demo = ui.t("briefing.page.demo_suffix", lang) if b.meta.demo else ""
st.caption(ui.t("briefing.page.exports_help", lang, demo=demo))

with st.expander(ui.t("briefing.page.text", lang), expanded=False):
    st.markdown(f"**{b.meta.title(lang)}**  \n{b.meta.stamp(lang)}")
    for s in b.narrative(lang):
        st.markdown(s.text.replace("*", "\\*"))

with st.expander(ui.t("briefing.page.cli", lang), expanded=False):
    st.caption(ui.t("briefing.page.cli_help", lang))
    cmd = f"python -m briefing --quarter {token}"
    if community:
        cmd += f" --community {community}"
    cmd += " --out 输出目录" if lang == "zh" else " --out OUTPUT_DIR"
    if lang != "zh":
        cmd += " --lang en"
    st.code(cmd, language="bash")
