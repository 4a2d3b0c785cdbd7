"""矛盾纠纷与平安 / Disputes and safety: disputes and mediation, hazards found and fixed, door-to-door visit coverage
per community and quarter, and the dispute / hazard lists (clicks drill down)."""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import disputes, safety, series
from present import charts
from ui import drilldown as dd

view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())
DISPUTES, HAZARDS = "disputes", "hazards"  # one drill-down per list
d_drill, h_drill = dd.local(DISPUTES, f), dd.local(HAZARDS, f)
ids = [k.id for k in kpi.kpis_for("disputes")] + [k.id for k in kpi.kpis_for("safety")]

# ---------------------------------------------------------------- KPI cards
cmp = ui.domain_cards(ids, columns=4, pillar_of="disputes_handled")
current = dict(zip(cmp["kpi_id"], cmp["current"], strict=True))
monthly = ui.query(series.monthly, f.trend(), ["disputes_handled", "mediation_success_rate", "visit_coverage"])

# ---------------------------------------------------------------- disputes
st.subheader(ui.tr("dis.disputes"), anchor=False)
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_kpi_combo(monthly, ["disputes_handled"], "mediation_success_rate", lang=lg)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("dis.monthly"), scope)
    dd.chart(fig, "dis_monthly", DISPUTES, ("month",), view)
    st.caption(ui.tr("dd.hint.month"))
with right:
    fig = charts.render_rank_bar(ui.query(disputes.outcomes, f), "outcome", "cases", lang=lg,
                                 colors=charts.OUTCOME_COLORS, value_title=ui.tr("axis.cases"),
                                 category_title=ui.tr("col.outcome"), selected=d_drill)
    charts.with_title(fig, ui.tr("dis.outcomes"), scope)
    dd.chart(fig, "dis_outcomes", DISPUTES, ("outcome",), view, also={"dis_list": DISPUTES})
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_rank_bar(
        ui.query(disputes.breakdown, f), "category", "disputes_handled", lang=lg,
        value_title=ui.kpi_label("disputes_handled"), category_title=ui.tr("col.category"), selected=d_drill,
        hover=[("mediation_success_rate", ui.kpi_name("mediation_success_rate"), ".1f"),
               ("dispute_days_median", ui.kpi_name("dispute_days_median"), ".1f")])
    charts.with_title(fig, ui.tr("dis.by_category"), scope)
    dd.chart(fig, "dis_by_category", DISPUTES, ("category",), view, also={"dis_list": DISPUTES})
with right:
    fig = charts.render_histogram(ui.query(disputes.days_histogram, f), median=current.get("dispute_days_median"),
                                  lang=lg, x_title=ui.tr("axis.days_to_resolve"), y_title=ui.tr("axis.cases"),
                                  color=charts.color_for(disputes.KIND))
    charts.with_title(fig, ui.tr("dis.days"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="dis_days")

# ---------------------------------------------------------------- safety: hazards and visits
st.subheader(ui.tr("dis.safety"), anchor=False)
left, right = st.columns(2, gap="large")
with left:
    flow = ui.query(safety.hazard_flow, f.trend())
    fig = charts.render_bars_line(
        flow, "month",
        [("hazards_found", ui.kpi_name("hazards_found")), ("hazards_fixed", ui.tr("dis.hazards_fixed"))],
        ("hazard_fix_rate", ui.kpi_name("hazard_fix_rate")), lang=lg, line_percent=True,
        y_title=ui.tr("axis.hazards"), y2_title=ui.kpi_label("hazard_fix_rate"),
        bar_colors=[charts.color_for(safety.KIND), charts.GOOD_COLOR])
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("dis.hazard_flow"), scope)
    dd.chart(fig, "dis_hazard_flow", HAZARDS, ("month",), view)
with right:
    fig = charts.render_rank_bar(
        ui.query(safety.breakdown, f), "category", "hazards_found", lang=lg, value_title=ui.kpi_label("hazards_found"),
        category_title=ui.tr("col.category"), selected=h_drill,
        hover=[("hazard_fix_rate", ui.kpi_name("hazard_fix_rate"), ".1f"),
               ("hazard_fix_days_median", ui.kpi_name("hazard_fix_days_median"), ".1f")])
    charts.with_title(fig, ui.tr("dis.hazard_category"), scope)
    dd.chart(fig, "dis_hazard_category", HAZARDS, ("category",), view, also={"dis_list": HAZARDS})
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_histogram(ui.query(safety.fix_days_histogram, f), median=current.get("hazard_fix_days_median"),
                                  lang=lg, x_title=ui.tr("axis.days_to_fix"), y_title=ui.tr("axis.hazards"),
                                  color=charts.color_for(safety.KIND))
    charts.with_title(fig, ui.tr("dis.fix_days"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="dis_fix_days")
with right:
    fig = charts.render_kpi_combo(monthly, ["visit_coverage"], lang=lg)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("dis.visits"), scope)
    dd.chart(fig, "dis_visits", HAZARDS, ("month",), view)
cov = ui.query(safety.visit_coverage_by_quarter, f)
fig = charts.render_heatmap(cov, "quarter", "community", "visit_coverage", lang=lg, percent=True, target=100.0,
                            x_title=ui.tr("axis.quarter"), y_title=ui.tr("axis.community"),
                            z_title=ui.kpi_label("visit_coverage"))
charts.with_title(fig, ui.tr("dis.coverage"), ui.tr("dis.coverage.scope", scope=scope))
dd.chart(fig, "dis_coverage", HAZARDS, (None, "community"), view)  # a community → the community filter
st.caption(ui.tr("dis.coverage.note"))

# ---------------------------------------------------------------- lists
st.subheader(ui.tr("dis.list"), anchor=False)
which = st.segmented_control(ui.tr("dis.list.which"), [DISPUTES, HAZARDS], default=DISPUTES, required=True,
                             format_func=lambda w: ui.tr(f"dis.list.{w}"), key="dis_list")
names = {"category": ui.tr("col.category"), "outcome": ui.tr("col.outcome")}
if which == DISPUTES:
    drill = dd.chips(DISPUTES, view, names=names)
    rows = dd.narrow(ui.query(disputes.case_list, f), drill, month_col="opened_on")
    dd.detail_table(rows, [
        dd.Col("case_id", "col.case_id"), dd.Col("category", "col.category"), dd.Col("summary", "col.dispute"),
        dd.Col("community", "col.community"), dd.Col("compound", "col.compound"),
        dd.Col("opened_on", "col.opened_on", "date"), dd.Col("closed_on", "col.closed_on", "date"),
        dd.Col("outcome", "col.outcome"), dd.Col("days", "col.resolve_days", "int"), dd.Col("status", "col.status"),
        dd.Col("source", "col.source"),
    ], key="dis_disputes", file_stem=ui.tr("dis.file.disputes"), lang=lg, story=("case", "case_id"))
else:
    drill = dd.chips(HAZARDS, view, names=names)
    rows = dd.narrow(ui.query(safety.hazard_list, f), drill, month_col="opened_on")
    dd.detail_table(rows, [
        dd.Col("case_id", "col.case_id"), dd.Col("category", "col.category"), dd.Col("summary", "col.hazard"),
        dd.Col("community", "col.community"), dd.Col("compound", "col.compound"),
        dd.Col("opened_on", "col.found_on", "date"), dd.Col("closed_on", "col.fixed_on", "date"),
        dd.Col("days", "col.fix_days", "int"), dd.Col("status", "col.status"), dd.Col("source", "col.source"),
    ], key="dis_hazards", file_stem=ui.tr("dis.file.hazards"), lang=lg, story=("case", "case_id"))
