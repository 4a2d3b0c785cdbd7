"""指标说明 / KPI definitions: every KPI of the catalogue, grouped by domain, generated from the catalogue."""

from __future__ import annotations

import streamlit as st

import ui
from kpi.catalogue import CATALOGUE, DOMAINS, kpis_for
from present.format import fmt_kpi

view = ui.view()
lg = view.lang

st.caption(ui.tr("catalogue.intro"))
needle = st.text_input(ui.tr("catalogue.search"), key="catalogue_search").strip().lower()


def matches(k) -> bool:
    return not needle or any(needle in s.lower() for s in (k.id, k.name_zh, k.name_en))


shown = [k for k in CATALOGUE.values() if matches(k)]
st.caption(ui.tr("catalogue.count", n=len(shown)))
if not shown:
    ui.empty_state(ui.tr("catalogue.none"))

for domain in DOMAINS:
    kpis = [k for k in kpis_for(domain) if matches(k)]
    if not kpis:
        continue
    st.subheader(ui.domain_name(domain), anchor=False)
    for k in kpis:
        with st.container(border=True):
            tags = [f":gray-badge[{ui.tr('catalogue.id')} `{k.id}`]"]
            if k.headline:
                tags.append(f":red-badge[{ui.tr('catalogue.headline')}]")
            if k.scorecard:
                tags.append(f":blue-badge[{ui.tr('catalogue.scorecard')}]")
            st.markdown(f"**{ui.kpi_name(k)}** &nbsp; " + " ".join(tags))
            direction = ui.tr("catalogue.higher" if k.higher_is_better else "catalogue.lower")
            target = fmt_kpi(k, k.default_target, lg, unit=True) if k.default_target is not None \
                else ui.tr("catalogue.no_target")
            pillar = ui.pillar_name(k.pillar) if k.pillar else ui.tr("catalogue.all_pillars")
            facts = [
                ui.tr("catalogue.fact", label=ui.tr("catalogue.unit"), value=ui.kpi_unit(k)),
                ui.tr("catalogue.fact", label=ui.tr("catalogue.direction"), value=direction),
                ui.tr("catalogue.fact", label=ui.tr("catalogue.target"), value=target),
                ui.tr("catalogue.fact", label=ui.tr("catalogue.pillar"), value=pillar),
            ]
            st.caption(" · ".join(facts))
            st.markdown(f"**{ui.tr('catalogue.definition')}**　{ui.kpi_definition(k)}")
            st.markdown(f"**{ui.tr('catalogue.formula')}**　`{k.formula}`")
