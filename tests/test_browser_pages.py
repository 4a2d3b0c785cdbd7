"""The five domain pages in a real browser (Playwright + Debian's Chromium), one server for all of them.

Each page: charts drawn, no Streamlit exception, a 1280×720 screenshot in artifacts/ (git-ignored). Then the
drill-down end to end: a click on a category bar shows its chip and narrows the list, the CSV download
carries exactly the listed rows, a click on a month narrows the global period (and the URL), and a click on
a heat-map cell narrows the activity list to that compound and month.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.ui_helpers import ROOT, signed_in_context

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
EXCEPTION = '[data-testid="stException"]'
CHART = '[data-testid="stPlotlyChart"]'
WAIT_MS = 60_000
# page file stem (= URL path) → number of charts it draws on the demo data
PAGES = {"engagement": 3, "issues": 6, "disputes_safety": 9, "services": 4, "volunteers": 6}
ROWS = re.compile(r"第 \d+–\d+ 条，共 (\d+) 条")






@pytest.fixture()
def page(browser, server):
    ctx = signed_in_context(browser, server, accept_downloads=True)
    yield ctx.new_page()
    ctx.close()


def settle(page, charts: int | None = None) -> None:
    """Until Streamlit has finished the run and the charts are drawn."""
    page.wait_for_selector(CHART, timeout=WAIT_MS)
    deadline = time.time() + WAIT_MS / 1000
    prev = -1
    while time.time() < deadline:
        page.wait_for_timeout(300)
        n = page.locator(CHART).count()
        running = page.locator('[data-testid="stStatusWidget"]').count()
        if not running and n == prev and (charts is None or n >= charts):
            break
        prev = n
    page.wait_for_timeout(500)


def rows(page) -> int:
    text = page.get_by_text(ROWS).first.inner_text()
    return int(ROWS.search(text).group(1))


def downloaded_csv_lines(page) -> list[str]:
    """The non-blank lines (header first) of the CSV the page's first 下载 CSV button gives."""
    with page.expect_download() as dl:
        page.get_by_text("下载 CSV").first.click()
    text = open(dl.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115 - read once
    return [ln for ln in text.splitlines() if ln.strip()]


def click(page, x: float, y: float) -> None:
    """A user's click: plotly picks the point under the pointer from the preceding mouse moves."""
    page.mouse.move(x - 6, y - 2)
    page.wait_for_timeout(150)
    page.mouse.move(x, y)
    page.wait_for_timeout(250)
    page.mouse.click(x, y)


def click_bar(page, chart_key: str, nth: int = -1) -> None:
    chart = page.locator(f".st-key-{chart_key}")
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    bars = chart.locator(".barlayer .point path")
    bar = bars.nth(nth if nth >= 0 else bars.count() + nth)
    box = bar.bounding_box()
    click(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders(page, server, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{server}/{name}")
    settle(page, PAGES[name])
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(CHART).count() == PAGES[name]
    assert page.locator("h4").first.inner_text() == "沌阳街道 · 全部社区（6个） · 2026年第三季度"
    assert rows(page) > 0
    page.screenshot(path=str(ARTIFACTS / f"page_{name}.png"))


def test_category_click_chip_and_download(page, server):
    page.goto(f"{server}/issues?period=2026Q3")
    settle(page, PAGES["issues"])
    page.get_by_text("期内受理", exact=True).click()
    settle(page)
    before = rows(page)
    click_bar(page, "iss_by_category", -1)  # the largest category (top bar)
    chip = page.locator(".st-key-dd_chip_issues_category")
    chip.wait_for(timeout=WAIT_MS)
    settle(page)
    assert "分类：" in chip.inner_text()
    after = rows(page)
    assert 0 < after < before
    lines = downloaded_csv_lines(page)
    assert len(lines) - 1 == after  # header + exactly the listed rows
    category = chip.inner_text().split("分类：")[-1].strip()
    assert all(category in ln for ln in lines[1:])
    page.screenshot(path=str(ARTIFACTS / "page_issues_drilled.png"))
    page.get_by_role("button", name=f"分类：{category}").first.click()  # the chip clears the drill-down
    page.wait_for_timeout(300)
    settle(page)
    assert rows(page) == before and page.locator(EXCEPTION).count() == 0


def test_month_click_narrows_the_global_period_and_url(page, server):
    page.goto(f"{server}/issues")
    settle(page, PAGES["issues"])
    click_bar(page, "iss_flow", 11)  # a bar of August 2026 (the trend runs 2025年9月 … 2026年9月)
    page.wait_for_url(re.compile(r"period=custom&start=2026-08-01&end=2026-08-31"), timeout=WAIT_MS)
    settle(page)
    assert page.locator("h4").first.inner_text().endswith("2026年8月")
    back = page.locator('[class*="st-key-dd_undo_"]')
    assert "返回 2026年第三季度" in back.inner_text()
    assert page.locator(EXCEPTION).count() == 0


def test_month_before_the_period_becomes_the_period(page, server):
    page.goto(f"{server}/issues")
    settle(page, PAGES["issues"])
    click_bar(page, "iss_flow", 1)  # October 2025: in the 13-month trend, before the selected quarter
    page.wait_for_url(re.compile(r"period=custom&start=2025-10-01&end=2025-10-31"), timeout=WAIT_MS)
    settle(page)
    assert page.locator("h4").first.inner_text().endswith("2025年10月")
    page.locator('[class*="st-key-dd_undo_"]').click()  # back to the quarter
    page.wait_for_url(lambda url: "2025-10" not in url, timeout=WAIT_MS)
    settle(page)
    assert page.locator("h4").first.inner_text().endswith("2026年第三季度")
    assert page.locator(EXCEPTION).count() == 0


def test_heat_map_cell_click(page, server):
    page.goto(f"{server}/engagement")
    settle(page, PAGES["engagement"])
    before = rows(page)
    heat = page.locator(".st-key-eng_heat")
    heat.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = heat.locator(".nsewdrag").first.bounding_box()
    top = max(box["y"], 0)
    bottom = min(box["y"] + box["height"], 720)
    click(page, box["x"] + box["width"] / 2, (top + bottom) / 2)  # the middle month, a visible compound
    page.locator(".st-key-dd_chip_engagement_compound").wait_for(timeout=WAIT_MS)
    settle(page)
    assert "月份：2026年8月" in page.locator(".st-key-dd_chip_engagement_month").inner_text()
    after = rows(page)
    assert 0 < after < before
    # the list is fetched a page at a time; its download fetches every narrowed row on the click
    lines = downloaded_csv_lines(page)
    assert len(lines) - 1 == after
    compound = page.locator(".st-key-dd_chip_engagement_compound").inner_text().split("小区：")[-1].strip()
    assert all(compound in ln and ln.startswith("2026-08-") for ln in lines[1:])  # the date comes first
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(ARTIFACTS / "page_engagement_heat_drilled.png"))
