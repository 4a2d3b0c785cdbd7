"""Texts in the viewer's language: `present.labels` bound to the language of this run."""

from __future__ import annotations

from kpi.catalogue import KPI
from present import labels
from ui.filters import current_lang


def lang() -> str:
    return current_lang()


def tr(key: str, **fmt: object) -> str:
    """`present.labels.t` in the current language."""
    return labels.t(key, current_lang(), **fmt)


def kpi_name(k: KPI | str) -> str:
    return labels.kpi_name(k, current_lang())


def kpi_unit(k: KPI | str) -> str:
    return labels.kpi_unit(k, current_lang())


def kpi_label(k: KPI | str) -> str:
    return labels.kpi_label(k, current_lang())


def kpi_definition(k: KPI | str) -> str:
    return labels.kpi_definition(k, current_lang())


def pillar_name(pillar: str) -> str:
    return labels.pillar_name(pillar, current_lang())


def case_kind_name(kind: str) -> str:
    return labels.case_kind_name(kind, current_lang())


def domain_name(domain: str) -> str:
    return labels.domain_name(domain, current_lang())
