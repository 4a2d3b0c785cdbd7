"""Shared page parts: header, KPI cards, empty states, scorecard table, warnings list.

Data values (names from the ledgers, URL parameter values) reach markdown only through
`present.escape.markdown`: they show as the characters they are, never as a link, image, heading or directive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
import streamlit as st

import kpi
from kpi.calendar import Period
from kpi.catalogue import CATALOGUE, scorecard_ids
from kpi.engine import in_scope
from present.escape import cut, markdown
from present.format import (
    fmt_change,
    fmt_date,
    fmt_kpi,
    fmt_period,
    fmt_relative,
    fmt_timestamp,
    join,
    missing,
)
from present.labels import kpi_definition, kpi_label, kpi_name, kpi_unit, pillar_name, t
from ui import data, theme
from ui.filters import current_view, narrow_to_community, notes
from ui.state import Choices, ViewState
from ui.text import lang, tr

GOOD, BAD, NEUTRAL = "green", "red", "gray"
CARDS_KEY = theme.CARDS_KEY


# ---------------------------------------------------------------------- header


def scope_words(view: ViewState, choices: Choices) -> str:
    """The active scope in words: 沌阳街道 · 南湾社区 · 东风凤凰城 · 2024年第一季度.

    Plain text (escape it for markdown or charts); a very long name is cut with "…" (`present.escape.cut`)."""
    lg = view.lang
    if not view.communities and view.allowed is not None and len(view.allowed) <= 3:
        view = replace(view, communities=view.allowed)  # a community's viewer: "全部社区" would be the street's
    streets = list(dict.fromkeys(choices.streets.get(c, "") for c in view.communities if choices.streets.get(c)))
    view = replace(view, communities=tuple(cut(c) for c in view.communities),
                   compounds=tuple(cut(x) for x in view.compounds))
    if view.communities:
        if len(view.communities) <= 3:
            comm = join(view.communities, lg)
        else:
            comm = t("header.some_communities", lg, names=join(view.communities[:2], lg),
                     more=len(view.communities) - 2, n=len(view.communities))
    else:
        streets = list(dict.fromkeys(s for s in choices.streets.values() if s))
        comm = t("header.all_communities", lg, n=len(choices.communities))
    parts = [join(streets, lg)] if streets else []
    parts.append(comm)
    if view.compounds:
        parts.append(join(view.compounds, lg))
    if view.pillars:
        parts.append(t("header.pillars", lg, names=join([pillar_name(p, lg) for p in view.pillars], lg)))
    parts.append(fmt_period(view.start, view.end, lg))
    return " · ".join(parts)


def header(page_title: str, view: ViewState, choices: Choices, opts) -> None:
    """Page title, the scope in words, data freshness, the demo banner and any URL notes."""
    lg = view.lang
    scope = scope_words(view, choices)
    theme.page()
    st.header(page_title, anchor=False)
    st.markdown(f"#### {markdown(scope)}")
    fresh = (t("header.freshness", lg, ts=fmt_timestamp(opts.last_load_at, lg)) if opts.last_load_at
             else t("header.freshness_unknown", lg))
    dates = t("header.dates", lg, start=fmt_date(view.start), end=fmt_date(view.end))
    st.caption(f"{dates} · {fresh}")
    if opts.dataset == "demo":
        st.warning(t("header.demo", lg), icon=":material/science:")
    found = notes()
    if found:
        items = "\n".join(f"- {t(n.key, lg, value=markdown(n.value))}" for n in found)
        st.warning(f"{t('note.title', lg)}\n\n{items}", icon=":material/link:")


def page_title_for_tab(page_title: str, view: ViewState, choices: Choices) -> str:
    return f"{page_title} · {scope_words(view, choices)}"


# ---------------------------------------------------------------------- empty states


def empty_state(message: str | None = None) -> None:
    """The standard "该范围内暂无数据" box."""
    st.info(message or tr("empty.scope_detail"), icon=":material/inbox:")


def scope_is_empty(compare: pd.DataFrame) -> bool:
    """True when no KPI of a `kpi.compare` / `kpi.values` frame has a non-zero value for the period."""
    col = "current" if "current" in compare.columns else "value"
    vals = pd.to_numeric(compare[col], errors="coerce").fillna(0)
    return bool((vals == 0).all())


def domain_cards(ids: Sequence[str], columns: int = 3, pillar_of: str | None = None,
                 out_key: str = "page.pillar_out") -> pd.DataFrame:
    """The KPI cards that open a domain page, with the page's scope note; returns the `kpi.compare` frame.

    `pillar_of`: a KPI whose pillar is the page's; when the pillar filter leaves that pillar out,
    the note `out_key` says so, otherwise an all-zero scope gets the standard empty note.
    """
    f = current_view().filters
    cmp = data.query(kpi.compare, f, ids=list(ids))
    pillar = CATALOGUE[pillar_of].pillar if pillar_of else None
    if pillar and not in_scope(CATALOGUE[pillar_of], f):
        empty_state(tr(out_key, pillar=pillar_name(pillar, lang())))
    elif scope_is_empty(cmp):
        empty_state()
    kpi_cards(ids, compare=cmp, columns=columns)
    return cmp


# ---------------------------------------------------------------------- KPI cards


def _vs_previous_label(view: ViewState, lg: str) -> str:
    kind = Period(view.start, view.end).kind
    return t(f"card.vs.{kind}" if kind in ("quarter", "month", "year") else "card.vs.period", lg)


def _delta_style(delta: float | None, better: object) -> tuple[str, str]:
    """(delta_color, delta_arrow) for st.metric: colour by the KPI's direction, arrow by the sign."""
    if missing(delta) or delta == 0:
        return NEUTRAL, "off"
    arrow = "up" if float(delta) > 0 else "down"
    if better is None or (isinstance(better, float) and pd.isna(better)):
        return NEUTRAL, arrow
    return (GOOD if bool(better) else BAD), arrow


def delta_markdown(k, delta, change, better, lg: str) -> str:
    """A coloured change with arrow for markdown: ':green[▲ +3.4个百分点]'."""
    text = fmt_change(k, delta, change, lg)
    if text is None:
        return f":gray[{t('card.no_compare', lg)}]"
    color, arrow = _delta_style(delta, better)
    sym = {"up": "▲", "down": "▼"}.get(arrow, "■")
    return f":{color}[{sym} {text}]"


def kpi_card(row: pd.Series, view: ViewState) -> None:
    """One card from a row of `kpi.compare` (whole scope)."""
    lg = view.lang
    k = CATALOGUE[row["kpi_id"]]
    delta_text = fmt_change(k, row["delta_vs_previous"], row["change_vs_previous"], lg)
    color, arrow = _delta_style(row["delta_vs_previous"], row["better_vs_previous"])
    unit = kpi_unit(k, lg)
    helptext = kpi_definition(k, lg) + ("" if k.is_percent else f"（{unit}）" if lg == "zh" else f" ({unit})")
    helptext += "\n\n" + t("card.vs.help", lg)
    with st.container(border=True):
        st.metric(
            kpi_name(k, lg), fmt_kpi(k, row["current"], lg),
            delta=delta_text, delta_color=color, delta_arrow=arrow, help=helptext,
            delta_description=_vs_previous_label(view, lg) if delta_text else None,
        )
        if not in_scope(k, view.filters):
            st.markdown(f":small[:gray[{t('card.out_of_scope', lg)}]]")
        elif missing(row["current"]) or missing(row["year_ago"]):
            st.markdown(f":small[:gray[{t('card.vs_year_ago', lg)} {t('card.no_compare', lg)}]]")
        else:
            yoy = delta_markdown(k, row["delta_vs_year_ago"], row["change_vs_year_ago"], row["better_vs_year_ago"], lg)
            st.markdown(f":small[{yoy} :gray[{t('card.vs_year_ago', lg)}]]")


def kpi_cards(ids: Sequence[str], compare: pd.DataFrame | None = None, columns: int = 4,
              view: ViewState | None = None) -> pd.DataFrame:
    """A grid of KPI cards (value, change vs previous period and vs a year earlier, coloured by direction).

    `compare` is a `kpi.compare` frame for the whole scope; without it the
    cards are computed (cached) for the current filters. Returns the frame used.
    """
    view = view or current_view()
    ids = list(ids)
    if compare is None:
        compare = data.query(kpi.compare, view.filters, ids=ids)
    rows = {r["kpi_id"]: r for _, r in compare.iterrows()}
    with st.container(key=CARDS_KEY):  # on a phone the rows become one grid, two cards a row (ui.theme)
        for i in range(0, len(ids), columns):
            cols = st.columns(columns)
            for col, kid in zip(cols, ids[i:i + columns], strict=False):
                with col:
                    kpi_card(rows[kid], view)
    return compare


# ---------------------------------------------------------------------- scorecard and warnings


def scorecard_frame(table: pd.DataFrame, lg: str) -> tuple[pd.DataFrame, dict]:
    """The scorecard for display: numeric columns (sortable) and their column config."""
    ids = [i for i in scorecard_ids() if i in table.columns and not table[i].isna().all()]
    df = pd.DataFrame({
        "rank": table["rank"],
        "community": table["community"],
        "score": table["score"] * 100,
        "warnings": table["warnings"],
        "red_warnings": table["red_warnings"],
    })
    cfg: dict = {
        "rank": st.column_config.NumberColumn(t("col.rank", lg), format="%d", width="small"),
        "community": st.column_config.TextColumn(t("col.community", lg), pinned=True),
        "score": st.column_config.NumberColumn(t("col.score", lg), format="%.1f",
                                               help=t("overview.scorecard.help", lg)),
        "warnings": st.column_config.NumberColumn(t("col.warnings", lg), format="%d", width="small"),
        "red_warnings": st.column_config.NumberColumn(t("col.red_warnings", lg), format="%d", width="small"),
    }
    for i in ids:
        k = CATALOGUE[i]
        df[i] = table[i]
        dec = max(k.decimals, 1) if k.is_percent else k.decimals
        fmt = f"%.{dec}f" + ("%%" if k.is_percent else "")
        cfg[i] = st.column_config.NumberColumn(kpi_label(k, lg), format=fmt, help=kpi_definition(k, lg))
    return df, cfg


def scorecard_key(view: ViewState, key: str = "scorecard") -> str:
    """The widget key of the scorecard table: new per scope, so a selection never carries over."""
    digest = hashlib.sha1(repr((view.filters, view.lang)).encode()).hexdigest()[:10]
    return f"{key}_{digest}"


def scorecard_table(table: pd.DataFrame, view: ViewState | None = None, key: str = "scorecard") -> None:
    """The community scorecard (`kpi.scorecard` frame), sortable; selecting a row narrows the filters to it."""
    view = view or current_view()
    lg = view.lang
    df, cfg = scorecard_frame(table, lg)
    if df.empty or df["score"].isna().all():
        empty_state()
        return
    communities = df["community"].tolist()
    wkey = scorecard_key(view, key)

    def on_select() -> None:
        sel = st.session_state.get(wkey)
        rows = list(getattr(getattr(sel, "selection", None), "rows", []) or []) if sel is not None else []
        if rows and 0 <= rows[0] < len(communities) and len(communities) > 1:
            narrow_to_community(communities[rows[0]])

    st.dataframe(df, column_config=cfg, hide_index=True, key=wkey, on_select=on_select,
                 selection_mode="single-row", width="stretch")


def warnings_list(warnings: pd.DataFrame, view: ViewState | None = None, limit: int = 12) -> None:
    """Fired warnings (`kpi.scorecard.warnings` frame), red first, as one line each."""
    view = view or current_view()
    lg = view.lang
    if warnings is None or warnings.empty:
        st.success(t("overview.no_warnings", lg), icon=":material/check_circle:")
        return

    def line(r) -> str:
        k = CATALOGUE[r["kpi_id"]]
        badge = ":red-badge[" + t("warning.red", lg) + "]" if r["level"] == "red" else \
            ":orange-badge[" + t("warning.yellow", lg) + "]"
        direction = t("warning.up" if r["change"] > 0 else "warning.down", lg)
        text = t("warning.line", lg, community=markdown(r["community"]), kpi=kpi_name(k, lg), value=fmt_kpi(k, r["value"], lg),
                 baseline=fmt_kpi(k, r["baseline"], lg), direction=direction,
                 change=fmt_relative(abs(r["change"])).lstrip("+"))
        return f"{badge} {text}"

    rows = [line(r) for _, r in warnings.iterrows()]
    st.markdown("\n".join(f"- {x}" for x in rows[:limit]))
    if len(rows) > limit:
        with st.expander(t("overview.more_warnings", lg, n=len(rows) - limit)):
            st.markdown("\n".join(f"- {x}" for x in rows[limit:]))
