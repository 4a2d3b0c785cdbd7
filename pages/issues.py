"""诉求办理 / Issue resolution: flow and backlog by month, rates, days to close, categories and sources, backlog
aging, and the overdue / open / registered / closed case lists (clicks drill down)."""

from __future__ import annotations

import streamlit as st

import kpi
import ui
from kpi import issues, series
from present import charts
from ui import drilldown as dd

PAGE = "issues"
view = ui.view()
lg = view.lang
f = view.filters
scope = ui.scope_words(view, ui.choices())
drill = dd.local(PAGE, f)
ids = [k.id for k in kpi.kpis_for("issues")]

# ---------------------------------------------------------------- KPI cards
cmp = ui.domain_cards(ids, columns=3, pillar_of="cases_opened")
current = dict(zip(cmp["kpi_id"], cmp["current"], strict=True))

# ---------------------------------------------------------------- flow and rates by month
monthly = ui.query(series.monthly, f.trend(), ["cases_opened", "cases_closed", "open_backlog", "closure_rate",
                                       "on_time_rate", "satisfaction_rate"])
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_kpi_combo(monthly, ["cases_opened", "cases_closed"], "open_backlog", lang=lg,
                                  share_axis=True)
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("iss.flow"), scope)
    dd.chart(fig, "iss_flow", PAGE, ("month",), view)
    st.caption(ui.tr("dd.hint.month"))
with right:
    fig = charts.render_kpi_lines(monthly, ["closure_rate", "on_time_rate", "satisfaction_rate"], lang=lg,
                                  y_title=ui.tr("axis.rate"))
    charts.shade_period(fig, f.start, f.end, lg)
    charts.with_title(fig, ui.tr("iss.rates"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="iss_rates")

# ---------------------------------------------------------------- days to close, backlog aging
left, right = st.columns(2, gap="large")
with left:
    fig = charts.render_histogram(ui.query(issues.days_to_close, f), median=current.get("resolution_days_median"),
                                  p90=current.get("resolution_days_p90"), lang=lg,
                                  x_title=ui.tr("axis.days_to_close"), y_title=ui.tr("axis.cases"))
    charts.with_title(fig, ui.tr("iss.days"), scope)
    st.plotly_chart(fig, theme=None, config=charts.CONFIG, key="iss_days")
with right:
    fig = charts.render_aging(ui.query(issues.backlog_aging, f), lang=lg, x_title=ui.tr("axis.age"),
                              y_title=ui.tr("axis.cases"), selected=drill)
    charts.with_title(fig, ui.tr("iss.aging"), ui.tr("iss.aging.scope", scope=scope))
    # a bucket is about open cases: show the open list unless the overdue one is on
    dd.chart(fig, "iss_aging", PAGE, ("bucket",), view,
             also=None if st.session_state.get("iss_list") in ("overdue", "open") else {"iss_list": "open"})

# ---------------------------------------------------------------- by category and by source
left, right = st.columns(2, gap="large")
for col, by in ((left, "category"), (right, "source")):
    with col:
        frame = ui.query(issues.breakdown, f, by=by)
        fig = charts.render_rank_bar(
            frame, by, "cases_opened", lang=lg, value_title=ui.kpi_label("cases_opened"),
            category_title=ui.tr(f"col.{by}"), selected=drill, none_label=ui.tr("value.blank"),
            hover=[("cases_closed", ui.kpi_name("cases_closed"), ",.0f"),
                   ("on_time_rate", ui.kpi_name("on_time_rate"), ".1f"),
                   ("satisfaction_rate", ui.kpi_name("satisfaction_rate"), ".1f"),
                   ("open_backlog", ui.kpi_name("open_backlog"), ",.0f")])
        charts.with_title(fig, ui.tr(f"iss.by_{by}"), scope)
        dd.chart(fig, f"iss_by_{by}", PAGE, (by,), view)

# ---------------------------------------------------------------- case lists
st.subheader(ui.tr("iss.list"), anchor=False)
which = st.segmented_control(ui.tr("iss.list.which"), list(issues.CASE_LISTS), default="overdue", required=True,
                             format_func=lambda w: ui.tr(f"iss.list.{w}"), key="iss_list")
st.caption(ui.tr(f"iss.list.{which}.help"))
drill = dd.chips(PAGE, view, names={
    "category": ui.tr("col.category"), "source": ui.tr("col.source"), "bucket": ui.tr("col.bucket"),
}, values={"bucket": lambda b: ui.tr("chart.days_bucket", bucket=b)})
rows = dd.narrow(ui.query(issues.case_list, f, which=which), drill)
head = [dd.Col("case_id", "col.case_id"), dd.Col("category", "col.category"), dd.Col("summary", "col.summary"),
        dd.Col("community", "col.community"), dd.Col("compound", "col.compound"), dd.Col("source", "col.source"),
        dd.Col("opened_on", "col.opened_on", "date")]
if which in ("overdue", "open"):
    cols = head + [dd.Col("days", "col.age_days", "int"), dd.Col("sla_days", "col.sla_days", "int"),
                   dd.Col("bucket", "col.bucket"), dd.Col("overdue", "col.overdue", "bool"),
                   dd.Col("status", "col.status")]
else:
    cols = head + [dd.Col("closed_on", "col.closed_on", "date"), dd.Col("status", "col.status"),
                   dd.Col("days", "col.case_days", "int", help="col.case_days.help"),
                   dd.Col("sla_days", "col.sla_days", "int"), dd.Col("satisfaction", "col.satisfaction", "int")]
dd.detail_table(rows, cols, key=f"iss_{which}", file_stem=ui.tr(f"iss.file.{which}"), lang=lg,
                story=("case", "case_id"))
