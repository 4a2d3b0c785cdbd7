"""志愿积分 / Volunteers and points: registered vs active, hours, points awarded vs redeemed and the balance, 爱心货柜
items, quarterly retention cohorts, teams ranked by hours, and service records by team (clicks drill down).

No personal names and no volunteer ids anywhere: volunteers appear only by team or as counts.
"""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import series, volunteers
from present import charts
from present.escape import markdown
from ui import drilldown as dd

PAGE = "volunteers"
view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())
drill = dd.local(PAGE, f)
ids = [k.id for k in kpi.kpis_for("volunteers")]

# ---------------------------------------------------------------- KPI cards
cmp = ui.domain_cards(ids, columns=3, pillar_of="active_volunteers")
if f.compounds:
    st.caption(ui.tr("vol.compound_rule"))

# ---------------------------------------------------------------- by month
monthly = ui.query(series.monthly, f.trend(), ["registered_volunteers", "active_volunteers", "active_rate", "service_hours",
                                       "points_awarded", "points_redeemed", "points_balance"])
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_kpi_combo(monthly, ["registered_volunteers", "active_volunteers"], "active_rate", lang=lg)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("vol.people"), scope)
    dd.chart(fig, "vol_people", PAGE, ("month",), view)
    st.caption(ui.tr("dd.hint.month"))
with right:
    fig = charts.render_kpi_combo(monthly, ["service_hours"], lang=lg)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("vol.hours"), scope)
    dd.chart(fig, "vol_hours", PAGE, ("month",), view)
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_kpi_combo(monthly, ["points_awarded", "points_redeemed"], "points_balance", lang=lg)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("vol.points"), scope)
    dd.chart(fig, "vol_points", PAGE, ("month",), view)
    st.caption(ui.tr("vol.points.note"))
with right:
    fig = charts.render_rank_bar(ui.query(volunteers.redemption_items, f), "item", "quantity", lang=lg,
                                 value_title=ui.tr("axis.items"), category_title=ui.tr("col.item"),
                                 none_label=ui.tr("value.blank"),
                                 hover=[("redemptions", ui.tr("col.redemptions"), ",.0f"),
                                        ("points", ui.kpi_name("points_redeemed"), ",.0f")])
    charts.with_title(fig, ui.tr("vol.items"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="vol_items")

# ---------------------------------------------------------------- teams
teams = ui.query(volunteers.teams, f)
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_rank_bar(teams, "team", "hours", lang=lg, value_title=ui.kpi_label("service_hours"),
                                 category_title=ui.tr("col.team"), none_label=ui.tr("value.no_team"),
                                 selected=drill, value_format=",.1f",
                                 hover=[("active", ui.tr("col.active"), ",.0f"),
                                        ("party_share", ui.kpi_name("party_share"), ".1f")])
    charts.with_title(fig, ui.tr("vol.teams"), scope)
    dd.chart(fig, "vol_teams", PAGE, ("team",), view)
with right:
    st.markdown(f"**{ui.tr('vol.team_table')}**")
    st.caption(markdown(scope))
    if teams.empty:
        ui.empty_state(ui.tr("empty.scope"))
    else:
        teams["team"] = teams["team"].fillna(ui.tr("value.no_team"))  # wording only
        st.dataframe(teams, hide_index=True, width="stretch", key="vol_team_table", column_config={
            "team": st.column_config.TextColumn(ui.tr("col.team"), pinned=True),
            "registered": st.column_config.NumberColumn(ui.kpi_name("registered_volunteers"), format="%d"),
            "active": st.column_config.NumberColumn(ui.kpi_name("active_volunteers"), format="%d"),
            "party_active": st.column_config.NumberColumn(ui.tr("col.party_active"), format="%d"),
            "party_share": st.column_config.NumberColumn(ui.kpi_name("party_share"), format="%.1f%%"),
            "hours": st.column_config.NumberColumn(ui.kpi_label("service_hours"), format="%.1f"),
            "points": st.column_config.NumberColumn(ui.kpi_label("points_awarded"), format="%.0f"),
        })

# ---------------------------------------------------------------- retention cohorts
fig = charts.render_cohort(ui.query(volunteers.retention_cohorts, f), lang=lg)
charts.with_title(fig, ui.tr("vol.cohorts"), ui.tr("vol.cohorts.scope", scope=scope))
st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="vol_cohorts")
st.caption(ui.tr("vol.cohorts.note"))

# ---------------------------------------------------------------- service records by team and service
st.subheader(ui.tr("vol.list"), anchor=False)
st.caption(ui.tr("vol.list.note"))
drill = dd.chips(PAGE, view, names={"team": ui.tr("col.team"), "service": ui.tr("col.service")})
rows = dd.narrow(ui.query(volunteers.service_summary, f), drill)
dd.detail_table(rows, [
    dd.Col("team", "col.team", blank="value.no_team"), dd.Col("service", "col.service"),
    dd.Col("records", "col.records", "int"),
    dd.Col("volunteers", "col.volunteers_n", "int"), dd.Col("hours", "col.hours", "float"),
    dd.Col("points", "col.points", "float"),
], key="vol_list", file_stem=ui.tr("vol.file"), lang=lg)
