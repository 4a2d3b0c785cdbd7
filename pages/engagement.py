"""活动参与 / Engagement: activities and participations by month and pillar, by type, partners, compound heat map,
and the activity list (clicks drill down)."""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import engagement, series
from present import charts
from present.escape import markdown
from ui import drilldown as dd

PAGE = "engagement"
view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())
drill = dd.local(PAGE, f)
ids = [k.id for k in kpi.kpis_for("engagement")]

# ---------------------------------------------------------------- KPI cards
cmp = ui.domain_cards(ids, columns=3)

# ---------------------------------------------------------------- by month and pillar
st.subheader(ui.tr("eng.monthly"), anchor=False)
measure = st.segmented_control(
    ui.tr("overview.trend.metric"), ["activities", "participants"], default="activities", required=True,
    format_func=lambda m: ui.tr(f"overview.trend.{m}"), key="eng_measure", label_visibility="collapsed",
)
monthly = ui.query(series.monthly_by_pillar, f.trend())  # 13 months up to the period's end, the period shaded
fig = charts.render_stack_pick(monthly, "month", "pillar", measure, lang=lg, value_title=ui.tr(f"axis.{measure}"),
                               selected=drill)
charts.shade_period(fig, f.start, f.end, lg)
charts.with_title(fig, ui.tr(f"eng.monthly.{measure}"), scope)
dd.chart(fig, "eng_monthly", PAGE, ("month", "pillar"), view)
st.caption(ui.tr("dd.hint.month"))

# ---------------------------------------------------------------- by type, partners
left, right = st.columns(2, gap="large")
with left:
    types = ui.query(engagement.by_type, f)
    fig = charts.render_rank_bar(types, "activity_type", "participants", lang=lg, color_by="pillar",
                                 value_title=ui.tr("axis.participants"), category_title=ui.tr("axis.activity_type"),
                                 selected=drill, hover=[("activities", ui.tr("col.activities"), ",.0f")])
    charts.with_title(fig, ui.tr("eng.by_type"), scope)
    dd.chart(fig, "eng_types", PAGE, ("activity_type",), view)
with right:
    st.markdown(f"**{ui.tr('eng.partners')}**")
    st.caption(f"{markdown(scope)} · {ui.tr('eng.partners.note')}")
    partners = ui.query(engagement.partners, f)
    if partners.empty:
        ui.empty_state(ui.tr("empty.scope"))
    else:
        dd.pick_table(partners, "eng_partners", PAGE, "partner", view, {
            "partner": st.column_config.TextColumn(ui.tr("col.partner"), pinned=True),
            "activities": st.column_config.NumberColumn(ui.tr("col.activities"), format="%d"),
            "participants": st.column_config.NumberColumn(ui.tr("col.participants"), format="%d"),
            "communities": st.column_config.NumberColumn(ui.tr("col.communities_n"), format="%d"),
            "last_date": st.column_config.DateColumn(ui.tr("col.last_date"), format="YYYY-MM-DD"),
        })
        st.caption(ui.tr("eng.partners.pick"))

# ---------------------------------------------------------------- compound × month heat map
heat = ui.query(engagement.compound_month, f, top=engagement.HEAT_COMPOUNDS)
fig = charts.render_heatmap(heat, "month", "compound", "participants_per_100_households", group="community",
                            lang=lg, x_title=ui.tr("axis.month"), y_title=ui.tr("axis.compound"),
                            z_title=ui.kpi_label("participants_per_100_households"), selected=drill)
charts.with_title(fig, ui.tr("eng.heat"), scope)
dd.chart(fig, "eng_heat", PAGE, ("month", "compound", "community"), view, global_fields=())
st.caption(ui.tr("eng.heat.note"))
if not heat.empty and heat["compounds"].iloc[0] > heat["compound"].nunique():
    st.caption(ui.tr("eng.heat.top", n=heat["compound"].nunique(), total=heat["compounds"].iloc[0]))

# ---------------------------------------------------------------- activity list
st.subheader(ui.tr("eng.list"), anchor=False)
drill = dd.chips(PAGE, view, names={
    "pillar": ui.tr("col.pillar"), "activity_type": ui.tr("col.activity_type"), "partner": ui.tr("col.partner"),
    "compound": ui.tr("col.compound"), "community": ui.tr("col.community"), "month": ui.tr("col.month"),
}, values={"pillar": lambda p: ui.pillar_name(p)})
dd.paged_table(lambda **page: ui.query(engagement.activity_list, f, drill, **page),
               ui.query(engagement.activity_count, f, drill), [
    dd.Col("date", "col.date", "date"), dd.Col("community", "col.community"), dd.Col("compound", "col.compound"),
    dd.Col("pillar", "col.pillar"), dd.Col("activity_type", "col.activity_type"), dd.Col("title", "col.title"),
    dd.Col("partner", "col.partner"), dd.Col("participants", "col.participants", "int"),
    dd.Col("volunteers", "col.volunteers", "int"), dd.Col("activity_id", "col.activity_id"),
], key="eng_list", file_stem=ui.tr("eng.file"), lang=lg, story=("activity", "activity_id"))
