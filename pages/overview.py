"""总览 / Overview: headline KPI cards, monthly activity by pillar (13 months, the period shaded), community scorecard, warnings."""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import scorecard, series
from present import charts
from present.escape import markdown
from present.format import fmt_score

view = ui.view()
lg = view.lang
ids = kpi.headline_ids()

# ---------------------------------------------------------------- headline KPIs
st.subheader(ui.tr("overview.cards"), anchor=False)
cmp = ui.query(kpi.compare, view.filters, ids=ids)
if ui.scope_is_empty(cmp):
    ui.empty_state()
ui.kpi_cards(ids, compare=cmp)

# ---------------------------------------------------------------- monthly trend by pillar
st.subheader(ui.tr("overview.trend"), anchor=False)
measure = st.segmented_control(
    ui.tr("overview.trend.metric"), ["activities", "participants"], default="activities", required=True,
    format_func=lambda m: ui.tr(f"overview.trend.{m}"), key="overview_trend_measure", label_visibility="collapsed",
)
monthly = ui.query(series.monthly_by_pillar, view.filters.trend())  # 13 months up to the period's end
fig = charts.shade_period(charts.render_monthly_by_pillar(monthly, measure, lg), view.start, view.end, lg)
st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="overview_trend")
st.caption(ui.tr("overview.trend.note"))

# ---------------------------------------------------------------- scorecard and warnings
ev = ui.query(scorecard.evaluate, view.filters)
st.subheader(ui.tr("overview.scorecard"), anchor=False, help=ui.tr("overview.scorecard.help"))
ui.scorecard_table(ev.table)
if view.allowed is not None and len(view.allowed) == 1:  # a community's viewer: its place, no other names
    place = ui.query(scorecard.standing, view.filters, community=view.allowed[0])
    st.caption(ui.tr("overview.standing", score=fmt_score(place.score), street=markdown(place.street),
                     n=place.communities_ranked, rank=place.rank or "—",
                     average=fmt_score(place.street_average_score)))
tg = ui.targets()
if tg.path:
    st.caption(ui.tr("overview.targets_version", version=tg.version, updated=tg.updated or "—"))
else:
    st.caption(ui.tr("overview.targets_default"))

st.subheader(ui.tr("overview.warnings"), anchor=False, help=ui.tr("overview.warnings.help"))
ui.warnings_list(ev.warnings)
