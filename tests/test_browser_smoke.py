"""Real-browser smoke test: a fresh `streamlit run app.py` driven by Playwright + Debian's Chromium.

Screenshots (1280×720) go to artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest

from tests.conftest import TARGETS
from tests.ui_helpers import ROOT, signed_in_context

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
EXCEPTION = '[data-testid="stException"]'
METRIC = '[data-testid="stMetric"]'
WAIT_MS = 60_000






def new_page(browser, url: str):
    return signed_in_context(browser, url).new_page()


def settle(page) -> None:
    """Wait until the KPI cards are there and Streamlit has finished running the script."""
    page.wait_for_selector(METRIC, timeout=WAIT_MS)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=WAIT_MS
    )
    page.wait_for_timeout(500)


def scope_line(page) -> str:
    return page.locator("h4").first.inner_text()


def test_first_views_on_a_fresh_server(browser, server):
    """The very first sessions — several at once, one a deep link to another page — render without errors."""
    ARTIFACTS.mkdir(exist_ok=True)
    urls = [f"{server}/", f"{server}/?community={quote('南湾社区')}&period=2024Q1", f"{server}/kpi_catalogue?lang=en"]
    pages = [new_page(browser, server) for _ in urls]
    for page, url in zip(pages, urls, strict=True):
        page.goto(url, wait_until="commit")  # do not wait: the first script runs overlap
    first, linked, catalogue = pages

    settle(first)
    assert first.locator(EXCEPTION).count() == 0
    main = first.locator('[data-testid="stMain"]')
    assert "总览" in main.inner_text()
    assert scope_line(first) == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    values = first.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(values) == 8 and any(re.search(r"\d", v) for v in values)
    assert first.get_by_text("演示数据").first.is_visible()
    first.screenshot(path=str(ARTIFACTS / "overview_default.png"))

    settle(linked)
    assert linked.locator(EXCEPTION).count() == 0
    assert scope_line(linked) == "沌阳街道 · 南湾社区 · 2024年第一季度"
    sidebar = linked.locator('[data-testid="stSidebar"]').inner_text()
    assert "南湾社区" in sidebar and "2024-01-01 至 2024-03-31" in sidebar
    boxes = linked.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').all()
    assert [b.input_value() for b in boxes] == ["指定季度", "2024年第一季度"]
    linked.screenshot(path=str(ARTIFACTS / "overview_nanwan_2024Q1.png"))

    catalogue.wait_for_selector("text=KPI definitions", timeout=WAIT_MS)
    catalogue.wait_for_timeout(1000)
    assert catalogue.locator(EXCEPTION).count() == 0
    assert "Closure rate" in catalogue.locator('[data-testid="stMain"]').inner_text()
    catalogue.screenshot(path=str(ARTIFACTS / "kpi_catalogue_en.png"))
    for p in pages:
        p.context.close()


def test_copied_link_reproduces_the_view_and_carries_across_pages(browser, server):
    page = new_page(browser, server)
    page.goto(f"{server}/?period=2024Q1&community={quote('南湾社区')}&compound={quote('东风凤凰城')}")
    settle(page)
    assert scope_line(page) == "沌阳街道 · 南湾社区 · 东风凤凰城 · 2024年第一季度"
    page.get_by_role("link", name="指标说明").click()
    page.wait_for_selector("text=共 ", timeout=WAIT_MS)
    page.wait_for_function("() => location.pathname.endsWith('/kpi_catalogue') && location.search.includes('period')",
                           timeout=WAIT_MS)
    assert page.locator(EXCEPTION).count() == 0
    assert scope_line(page) == "沌阳街道 · 南湾社区 · 东风凤凰城 · 2024年第一季度"
    assert "period=2024Q1" in page.url and "community=" in page.url
    page.context.close()


def test_scorecard_row_narrows_to_that_community(browser, server, demo_db):
    import kpi
    from etl.warehouse import open_read_only
    from kpi import scorecard

    con = open_read_only(demo_db)
    try:
        order = scorecard.scorecard(con, kpi.Filters(date(2024, 1, 1), date(2024, 3, 31)), targets=TARGETS)["community"].tolist()
    finally:
        con.close()
    page = signed_in_context(browser, server, viewport={"width": 1280, "height": 1600}).new_page()
    page.goto(f"{server}/?period=2024Q1")
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    row = 2  # the third community by score
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * row + 17)  # the row's selection checkbox
    page.wait_for_function(f"() => decodeURIComponent(location.search).includes('community={order[row]}')",
                           timeout=WAIT_MS)
    settle(page)
    assert scope_line(page) == f"沌阳街道 · {order[row]} · 2024年第一季度"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
