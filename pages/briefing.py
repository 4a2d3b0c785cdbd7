"""季度简报 / Quarterly briefing: one fixed 16:9 canvas for the leadership meeting, and its exports.

The canvas is rendered server-side (kaleido + the system Chromium) into the
same PNG the export writes, so it looks identical in every browser and in the
files; without Chromium the same figure is shown as a static plotly chart.
Quarter and scope (whole street or one community) are page selectors that
change the global filters (`ui.change`), so the URL carries them
(`/briefing?period=2024Q1&community=南湾社区`). Presentation mode
(`…&embed=true&present=1`) shows nothing but the canvas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import shlex

import streamlit as st

import ui
from briefing import exports, figures, model, render
from briefing import pdf as briefing_pdf
from briefing.delivery import DeliveryError
from kpi import calendar
from kpi.calendar import Quarter
from present.escape import markdown
from present.format import fmt_quarter, join
from ui import delivery as ui_delivery
from ui import session

K_Q, K_SCOPE = "briefing_quarter", "briefing_scope"
WHOLE = ""  # the scope selector's value for the whole street

view = ui.view()
lang = view.lang
present = str(st.query_params.get("present", "")).lower() in ("1", "true", "yes")
if present:
    ui.theme.presentation()
opts = ui.scope()
quarters = model.available_quarters(opts)
default_q = model.default_quarter(opts, calendar.today())

# ---------------------------------------------------------------- the global view → quarter and scope
# The default period (the last complete quarter by the calendar) becomes the last complete quarter of the data
# (they differ when the ledgers lag behind); any other non-quarter period shows the default quarter with a note.
linked = Quarter.parse_or_none(view.period)
is_quarter = linked is not None or view.period == calendar.DEFAULT
if linked is not None:
    token = linked.code
else:
    token = default_q.code if default_q else (Quarter.of(view.start).code if is_quarter else None)
codes = [q.code for q in quarters]
if token and token not in codes:
    codes = sorted({*codes, token}, reverse=True)  # e.g. a linked quarter without data: the page says so below
communities = list(opts.communities["community"])  # the viewer's communities only
restricted = view.allowed is not None
# a viewer of one community gets that community's briefing: the whole street is not theirs to see
community = view.communities[0] if len(view.communities) == 1 else (communities[0] if restricted and communities
                                                                    else None)


def _stop_with(message: str) -> None:
    """The empty state, inside the canvas container so that presentation mode shows it too."""
    with st.container(key="briefing_canvas"):
        ui.empty_state(markdown(message))
    st.stop()


if not codes:
    _stop_with(ui.tr("briefing.page.no_data"))


def _on_quarter() -> None:
    q = Quarter.parse(st.session_state[K_Q])
    ui.change(dataclasses.replace(view, period=q.code, start=q.start, end=q.end))


def _on_scope() -> None:
    c = st.session_state[K_SCOPE]
    ui.change(dataclasses.replace(view, communities=(c,) if c else (), compounds=(), pillars=()))


def _shell_word(s: str) -> str:
    """A community name as one word of the CLI command shown for copying: quoted unless plainly safe (names are
    data: `$(…)`, `;` or a space must not act in the shell it is pasted into)."""
    return s if re.fullmatch(r"[\w（）·.-]+", s) else shlex.quote(s)


def _scope_label(c: str) -> str:
    return c or ui.tr("briefing.page.whole_of", streets=join(dict.fromkeys(opts.communities["street"].astype(str)),
                                                              lang))


if not present:
    st.session_state[K_Q] = token
    st.session_state[K_SCOPE] = community or WHOLE
    scopes = communities if restricted else [WHOLE, *communities]
    c1, c2, c3 = st.columns([1, 1.4, 1], vertical_alignment="bottom")
    c1.selectbox(ui.tr("briefing.quarter"), codes, key=K_Q, format_func=lambda c: fmt_quarter(c, lang),
                 on_change=_on_quarter)
    c2.selectbox(ui.tr("briefing.scope"), scopes, key=K_SCOPE, format_func=_scope_label,
                 on_change=_on_scope)
    q = ui.query_string(view)
    c3.link_button(ui.tr("briefing.page.present"), "briefing" + (q + "&" if q else "?") + "embed=true&present=1",
                   help=ui.tr("briefing.page.present_help"), icon=":material/slideshow:", width="stretch")
    if view.period == calendar.DEFAULT and token != Quarter.of(view.start).code:
        st.caption(ui.tr("briefing.page.lagging", quarter=fmt_quarter(view.start, lang),
                         shown=fmt_quarter(token, lang)))
    if not is_quarter:
        st.caption(ui.tr("briefing.page.not_quarter", period=ui.tr(f"period.{view.period_choice}"),
                         quarter=fmt_quarter(token, lang)))
    what = [ui.tr(k) for k, on in (("briefing.page.what_communities", len(view.communities) > 1),
                                   ("briefing.page.what_compounds", bool(view.compounds)),
                                   ("briefing.page.what_pillars", bool(view.pillars))) if on]
    if what:
        st.caption(ui.tr("briefing.page.narrowed", what=join(what, lang)))

# ---------------------------------------------------------------- the canvas
try:
    b = ui.briefing(token, community, view.allowed)
except model.BriefingError as e:
    _stop_with(e.message(lang))

with st.container(key="briefing_canvas"):
    shown = False
    if render.available():
        try:
            with st.spinner(ui.tr("briefing.product")):
                png = ui.briefing_canvas(token, community, view.allowed, lang)
            st.image(png, width="stretch", output_format="PNG")
            shown = True
        except Exception:  # noqa: BLE001 - the browser failed: log it, show the interactive figure instead
            logging.getLogger(__name__).exception("briefing canvas render failed")
            if not present:
                st.warning(ui.tr("briefing.page.render_failed"), icon=":material/warning:")
    if not shown:
        st.plotly_chart(figures.canvas(b, lang), theme=None, width="content",
                        config={"staticPlot": True, "displayModeBar": False})

if present:
    st.stop()

# ---------------------------------------------------------------- exports
st.subheader(ui.tr("briefing.page.exports"), anchor=False)
has_browser = render.available()
if not has_browser:
    st.info(ui.tr("briefing.page.no_browser"), icon=":material/info:")
try:  # the PDF's text needs a TrueType CJK font: say so here rather than fail in the download
    briefing_pdf.cjk_font()
    has_pdf_font = True
except briefing_pdf.FontUnavailable as e:
    has_pdf_font = False
    st.info(str(e), icon=":material/info:")


def _exporter(fmt: str):
    def make() -> bytes:
        generated = dt.datetime.now(dt.UTC).replace(microsecond=0)
        fresh = dataclasses.replace(b, meta=dataclasses.replace(b.meta, generated_at=generated))
        return exports.export_bytes(fresh, [fmt], lang)[fmt]

    return make


icons = {"png": ":material/image:", "pdf": ":material/picture_as_pdf:", "pptx": ":material/slideshow:",
         "xlsx": ":material/table:", "longpng": ":material/smartphone:"}
for col, fmt in zip(st.columns(len(exports.FORMATS)), exports.FORMATS, strict=True):
    col.download_button(
        ui.tr(f"briefing.page.{fmt}"),
        data=ui.downloads.recorded(_exporter(fmt), "export", "briefing",
                                   {"format": fmt, "quarter": token, "community": community, "lang": lang}),
        file_name=exports.file_name(b, fmt, lang),
        mime=exports.MIME[fmt], key=f"briefing_dl_{fmt}", icon=icons[fmt], on_click="ignore", width="stretch",
        disabled=(fmt in exports.NEEDS_BROWSER and not has_browser) or (fmt == "pdf" and not has_pdf_font),
    )
st.caption(ui.tr("briefing.page.exports_help", demo=ui.tr("briefing.page.demo_suffix") if b.meta.demo else ""))

# the 长图 as a phone shows it (390 css px wide), rendered only when asked for
if has_browser and st.toggle(ui.tr("briefing.page.long_preview"), key="briefing_long_preview"):
    with st.spinner(ui.tr("briefing.page.longpng")):
        st.image(ui.briefing_long(token, community, view.allowed, lang), width=390, output_format="PNG")
    st.caption(ui.tr("briefing.page.long_preview_help"))

# ---------------------------------------------------------------- 发送到工作群 (administrators; enforced in ui.delivery)
viewer = session.current_viewer()
if viewer is not None and viewer.is_admin:
    with st.expander(ui.tr("delivery.page.title"), expanded=False, icon=":material/send:"):
        robots, problem = ui_delivery.configured()
        if problem is not None:
            st.info(ui.tr("delivery.page.no_config", path=markdown(ui_delivery.config_path().name)) + "  \n"
                    + markdown(problem.message(lang)), icon=":material/info:")
        else:
            st.caption(ui.tr("delivery.page.intro"))
            st.text("\n".join(r.label(lang) for r in robots))
            confirmed = st.checkbox(ui.tr("delivery.page.confirm"), key="briefing_send_confirm")
            if st.button(ui.tr("delivery.page.button"), key="briefing_send", icon=":material/send:",
                         disabled=not confirmed):
                try:
                    with st.spinner(ui.tr("delivery.page.button")):
                        report = ui_delivery.send(b, lang)
                except PermissionError:
                    st.error(ui.tr("delivery.page.refused"))
                except (DeliveryError, render.RenderUnavailable) as e:
                    st.error(ui.tr("delivery.page.not_ready",
                                   error=markdown(e.message(lang) if isinstance(e, DeliveryError) else str(e))))
                else:
                    for r in report.results:
                        (st.success if r.ok else st.error)(markdown(r.line(lang)))
                    if not report.ok:
                        st.warning(ui.tr("delivery.some_failed"))

with st.expander(ui.tr("briefing.page.text"), expanded=False):
    st.text(b.meta.title(lang))
    st.caption(markdown(b.meta.stamp(lang)))
    for sentence in b.narrative(lang):
        st.text(sentence.text)

with st.expander(ui.tr("briefing.page.cli"), expanded=False):
    st.caption(ui.tr("briefing.page.cli_help"))
    st.code(ui.tr("briefing.page.cli_command", quarter=token,
                  community=f" --community {_shell_word(community)}" if community else "",
                  lang_flag="" if lang == "zh" else " --lang en"), language="bash")
