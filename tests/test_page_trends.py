"""Longer trends (issue 12): every monthly trend of the overview and the domain pages shows the 13 months up to the
selected period's end with the period shaded and labelled, while the KPI cards stay on the period.

Checked under AppTest for 2024Q1 (→ 2023年3月 … 2024年3月, the last three months shaded) against raw SQL over the
demo warehouse."""

from __future__ import annotations

import json
from datetime import date

import pytest

import kpi
from present.labels import t
from tests.domain_page_helpers import assert_cards, open_page
from tests.ui_helpers import app_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")

Q1_2024 = kpi.Filters(date(2024, 1, 1), date(2024, 3, 31))
MONTHS_ZH = ["2023年3月", *[f"2023年{m}月" for m in range(4, 13)], "2024年1月", "2024年2月", "2024年3月"]
TRENDS = {  # page → the titles (label keys) of its monthly trend charts
    "issues": ["iss.flow", "iss.rates"],
    "disputes_safety": ["dis.monthly", "dis.hazard_flow", "dis.visits"],
    "engagement": ["eng.monthly.activities"],
    "services": ["svc.monthly.convenience", "svc.monthly.repair"],
    "volunteers": ["vol.people", "vol.hours", "vol.points"],
}


def figures(at) -> dict[str, dict]:
    """Every plotly figure of the page by its title text."""
    out = {}
    for el in at.get("plotly_chart"):
        fig = json.loads(el.proto.spec)
        title = (fig["layout"].get("title") or {}).get("text", "")
        out[title] = fig
    return out


def categories(fig: dict) -> list[str]:
    return list(dict.fromkeys(x for tr in fig["data"] for x in tr.get("x") or []))


def assert_shaded_last_three(fig: dict, label: str = "所选期间") -> None:
    (shape,) = fig["layout"]["shapes"]
    assert (shape["type"], shape["xref"], shape["x0"], shape["x1"]) == ("rect", "x", 9.5, 12.5)
    assert [a["text"] for a in fig["layout"]["annotations"]] == [label]


def raw_monthly(con, sql: str) -> list[int]:
    got = dict(con.execute(sql).fetchall())
    return [got.get(m, 0) for m in [f"2023-{m:02d}" for m in range(3, 13)] + ["2024-01", "2024-02", "2024-03"]]


@pytest.mark.parametrize("page", list(TRENDS))
def test_monthly_trends_show_13_months_with_the_period_shaded(page, con):
    at = open_page(page, {"period": "2024Q1"})
    figs = figures(at)
    for key in TRENDS[page]:
        fig = figs[t(key, "zh")]
        assert categories(fig) == MONTHS_ZH, key
        assert_shaded_last_three(fig)
    ids = [k.id for d in {"issues": ["issues"], "disputes_safety": ["disputes", "safety"], "engagement": ["engagement"],
                          "services": ["services"], "volunteers": ["volunteers"]}[page] for k in kpi.kpis_for(d)]
    assert_cards(at, con, Q1_2024, ids)  # the cards stay on the quarter


def test_issue_flow_bars_are_the_raw_monthly_counts(con):
    at = open_page("issues", {"period": "2024Q1"})
    fig = figures(at)[t("iss.flow", "zh")]
    opened = next(tr for tr in fig["data"] if tr["name"] == kpi.CATALOGUE["cases_opened"].name_zh)
    assert opened["y"] == raw_monthly(con, """
        SELECT strftime(opened_on, '%Y-%m'), count(*) FROM cases
        WHERE kind = '居民诉求' AND opened_on BETWEEN '2023-03-01' AND '2024-03-31' GROUP BY ALL""")
    # March 2023 has data in the demo: the first bar is the same month a year before the period's last
    assert opened["y"][0] > 0


def test_hazard_flow_and_english_label(con):
    at = open_page("disputes_safety", {"period": "2024Q1", "lang": "en"})
    fig = figures(at)[t("dis.hazard_flow", "en")]
    assert categories(fig)[0] == "Mar 2023" and categories(fig)[-1] == "Mar 2024"
    assert_shaded_last_three(fig, "Selected period")
    found = next(tr for tr in fig["data"] if tr["name"] == kpi.CATALOGUE["hazards_found"].name_en)
    assert found["y"] == raw_monthly(con, """
        SELECT strftime(opened_on, '%Y-%m'), count(*) FROM cases
        WHERE kind = '安全隐患' AND opened_on BETWEEN '2023-03-01' AND '2024-03-31' GROUP BY ALL""")


def test_a_month_before_the_period_opens_as_the_whole_period(con):
    """What a click on 2023年10月 of the 2024Q1 trend leads to (ui.drilldown.global_view): that month is the period,
    its trend runs 2022年10月 … 2023年10月 with only its last month shaded."""
    at = open_page("issues", {"period": "custom", "start": "2023-10-01", "end": "2023-10-31"})
    fig = figures(at)[t("iss.flow", "zh")]
    cats = categories(fig)
    assert (cats[0], cats[-1], len(cats)) == ("2022年10月", "2023年10月", 13)
    (shape,) = fig["layout"]["shapes"]
    assert (shape["x0"], shape["x1"]) == (11.5, 12.5)
    assert_cards(at, con, kpi.Filters(date(2023, 10, 1), date(2023, 10, 31)), [k.id for k in kpi.kpis_for("issues")])


def test_a_period_as_long_as_the_trend_is_not_shaded():
    at = open_page("volunteers", {"period": "custom", "start": "2023-01-01", "end": "2024-03-31"})
    fig = figures(at)[t("vol.hours", "zh")]
    assert categories(fig)[0] == "2023年1月" and len(categories(fig)) == 15  # the whole 15-month period
    assert not fig["layout"].get("shapes")
