"""便民服务 / Convenience services: services by type and month, home repairs for elderly people living alone,
who delivers them (partners and volunteer teams), and the service activity list (clicks drill down)."""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import services
from present import charts
from present.escape import markdown
from ui import drilldown as dd

PAGE = "services"
view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())
drill = dd.local(PAGE, f)
ids = [k.id for k in kpi.kpis_for("services")]

# ---------------------------------------------------------------- KPI cards
cmp = ui.domain_cards(ids, columns=2, pillar_of="convenience_services", out_key="svc.pillar_out")

# ---------------------------------------------------------------- by type and month
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_stack_pick(ui.query(services.services_monthly, f.trend(), kind="convenience"), "month",
                                   "activity_type", "services", lang=lg,
                                   value_title=ui.kpi_label("convenience_services"), selected=drill)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("svc.monthly.convenience"), scope)
    dd.chart(fig, "svc_monthly_convenience", PAGE, ("month", "activity_type"), view)
with right:
    fig = charts.render_stack_pick(ui.query(services.services_monthly, f.trend(), kind="repair"), "month",
                                   "activity_type", "activities", lang=lg,
                                   value_title=ui.kpi_label("home_repairs"), selected=drill)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("svc.monthly.repair"), scope)
    dd.chart(fig, "svc_monthly_repair", PAGE, ("month", "activity_type"), view)
st.caption(ui.tr("svc.monthly.note"))

# ---------------------------------------------------------------- by type
st.subheader(ui.tr("svc.by_type"), anchor=False)
st.caption(markdown(scope))
summary = ui.query(services.service_summary, f)
summary["kind"] = [ui.tr(f"svc.kind.{k}") for k in summary["kind"]]  # wording only
if summary.empty:
    ui.empty_state(ui.tr("empty.scope"))
else:
    dd.pick_table(summary, "svc_types", PAGE, "activity_type", view, {
        "kind": st.column_config.TextColumn(ui.tr("col.service_kind")),
        "activity_type": st.column_config.TextColumn(ui.tr("col.service_type"), pinned=True),
        "activities": st.column_config.NumberColumn(ui.tr("col.activities"), format="%d"),
        "services": st.column_config.NumberColumn(ui.tr("col.services"), format="%d",
                                                  help=ui.tr("col.services.help")),
        "partners": st.column_config.NumberColumn(ui.tr("col.partners_n"), format="%d"),
        "last_date": st.column_config.DateColumn(ui.tr("col.last_date"), format="YYYY-MM-DD"),
    })
    st.caption(ui.tr("svc.by_type.pick"))

# ---------------------------------------------------------------- who delivers them
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_stack_pick(ui.query(services.providers, f), "partner", "activity_type", "activities",
                                   lang=lg, horizontal=True, x_title=ui.tr("col.partner"),
                                   value_title=ui.tr("axis.activities"), none_label=ui.tr("svc.no_partner"),
                                   selected=drill)
    charts.with_title(fig, ui.tr("svc.partners"), scope)
    dd.chart(fig, "svc_partners", PAGE, ("partner", "activity_type"), view)
with right:
    fig = charts.render_stack_pick(ui.query(services.teams, f), "team", "activity_type", "hours", lang=lg,
                                   horizontal=True, x_title=ui.tr("col.team"), value_title=ui.tr("axis.hours"),
                                   none_label=ui.tr("value.no_team"))
    charts.with_title(fig, ui.tr("svc.teams"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="svc_teams")
    st.caption(ui.tr("svc.teams.note"))

# ---------------------------------------------------------------- service activity list
st.subheader(ui.tr("svc.list"), anchor=False)
drill = dd.chips(PAGE, view, names={
    "activity_type": ui.tr("col.service_type"), "partner": ui.tr("col.partner"), "kind": ui.tr("col.service_kind"),
}, values={"partner": lambda p: p or ui.tr("svc.no_partner")})
dd.paged_table(lambda **page: ui.query(services.service_list, f, drill, **page),
               ui.query(services.service_count, f, drill), [
    dd.Col("date", "col.date", "date"), dd.Col("community", "col.community"), dd.Col("compound", "col.compound"),
    dd.Col("activity_type", "col.service_type"), dd.Col("title", "col.title"), dd.Col("partner", "col.partner"),
    dd.Col("services", "col.services", "int", help="col.services.help"),
    dd.Col("volunteers", "col.volunteers", "int"), dd.Col("activity_id", "col.activity_id"),
], key="svc_list", file_stem=ui.tr("svc.file"), lang=lg, story=("activity", "activity_id"))
