"""Every page on a phone (issue 13): the app at 390×844 and 360×800 in a real browser (Playwright + Debian's
Chromium, touch, device scale 3 and 2), one server and one browser for the module, pages one after another.

The pages are the app's own list (`ui.shell`: PAGES, LOADER_PAGES, ADMIN_PAGES — every page the
administrator's navigation shows), so a page added there is covered without touching this file. On every
page: no horizontal scrolling of the page (`document.scrollingElement` and Streamlit's scrolling main area
no wider than the viewport), no exception box, no traceback text, the sidebar collapsed at first, chart axis
tick labels at least 11 px (read from plotly's SVG), KPI cards two to a row, tables within the screen (a
wide one scrolls inside itself). Once per size the collapsed
sidebar is opened with its toggle and the filters are reachable. The sign-in screen is used as a leader on a
phone, and a 1280 px desktop keeps the sidebar open.

Screenshots (the first screen and the whole page) go to `$GOV_PHONE_SHOTS` when set, else to the test's
temporary folder; look at them after a layout change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.ui_helpers import ACCOUNTS, TEST_PASSWORD, signed_in_context

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
SIZES = {"390x844": (390, 844, 3), "360x800": (360, 800, 2)}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36")
MIN_TICK_PX = 11.0
EXCEPTION = '[data-testid="stException"]'
SIDEBAR = '[data-testid="stSidebar"]'
EXPAND = '[data-testid="stExpandSidebarButton"]'

# What the page shows in numbers a reader can check against the viewport, in one round trip.
MEASURE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const ticks = [...document.querySelectorAll('.xtick text, .ytick text, .x2tick text, .y2tick text')]
    .filter(e => e.textContent.trim() !== '')
    .map(e => [e.textContent, parseFloat(getComputedStyle(e).fontSize)]);
  const cards = [...document.querySelectorAll('.st-key-kpi_cards [data-testid="stMetric"]')]
    .map(e => Math.round(e.getBoundingClientRect().top));
  const tables = [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(e => {
    const box = e.getBoundingClientRect();
    const scroller = e.querySelector('.dvn-scroller');
    return [Math.round(box.right), scroller ? scroller.scrollWidth > scroller.clientWidth : false];
  });
  return {
    tables: tables,
    viewport: window.innerWidth,
    doc: document.scrollingElement.scrollWidth,
    main: main ? main.scrollWidth : 0,
    mainHeight: main ? main.scrollHeight : 0,
    sidebarRight: sidebar ? sidebar.getBoundingClientRect().right : null,
    ticks: ticks,
    cardRows: cards,
    charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
    text: document.body.innerText,
  };
}"""


# Done: no run or spinner pending and every chart drawn; `elements` must then stay the same for a while.
SETTLED = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return {
    done: !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSpinner"]')
          && charts.every(c => c.querySelector('.main-svg')),
    elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
  };
}"""


def app_pages() -> list[tuple[str, str]]:
    """(URL path, title) of every page in the app's list, as the administrator's navigation shows them; the
    first page is the app's root (/)."""
    from present.labels import t
    from ui import shell

    listed = shell.PAGES + shell.LOADER_PAGES + shell.ADMIN_PAGES
    return [("/" if file == shell.PAGES[0][0] else f"/{Path(file).stem}", t(key, "zh"))
            for file, key, _ in listed if (shell.ROOT / file).exists()]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("GOV_PHONE_SHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("phone")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"phone screenshots: {folder}")
    return folder


def phone_context(browser, url: str | None, size: str, role: str | None = "admin"):
    width, height, scale = SIZES[size]
    kwargs = dict(viewport={"width": width, "height": height}, device_scale_factor=scale, is_mobile=True,
                  has_touch=True, user_agent=PHONE_UA)
    if role is None:
        return browser.new_context(locale="zh-CN", **kwargs)
    return signed_in_context(browser, url, role=role, **kwargs)


def settle(page, title: str | None = None) -> None:
    """Until the page's header (`title`) is drawn and no run, spinner or chart is still pending."""
    if title is None:
        page.wait_for_selector("h2", timeout=WAIT_MS)
    else:
        page.wait_for_function("(title) => [...document.querySelectorAll('h2')].some(h => h.innerText.trim() === title)",
                               arg=title, timeout=WAIT_MS)
    deadline = time.time() + WAIT_MS / 1000
    quiet, last = 0, None
    while time.time() < deadline and quiet < 3:
        page.wait_for_timeout(400)
        state = page.evaluate(SETTLED)
        quiet = quiet + 1 if state["done"] and state["elements"] == last else 0
        last = state["elements"]
    page.wait_for_timeout(500)


def full_screenshot(page, path: Path, width: int, height: int, main_height: int) -> None:
    """The whole page: Streamlit scrolls inside its main area, so the viewport is made as tall as the page
    for the picture (CSS pixels), then restored."""
    page.set_viewport_size({"width": width, "height": min(max(main_height, height), 16_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), scale="css")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(300)


def problems_of(name: str, m: dict, width: int) -> list[str]:
    out = []
    if m["doc"] > width or m["main"] > width:
        out.append(f"{name}: scrolls sideways (document {m['doc']} px, main {m['main']} px > {width} px)")
    if m["sidebarRight"] is None or m["sidebarRight"] > 1:
        out.append(f"{name}: sidebar not collapsed at first (right edge {m['sidebarRight']})")
    small = [(text, px) for text, px in m["ticks"] if px < MIN_TICK_PX]
    if small:
        out.append(f"{name}: axis labels below {MIN_TICK_PX} px: {small[:5]}")
    outside = [right for right, _ in m["tables"] if right > width + 1]
    if outside:
        out.append(f"{name}: a table reaches past the screen's edge ({outside})")
    rows = m["cardRows"]
    if len(rows) >= 2 and max(rows.count(top) for top in set(rows)) < 2:
        out.append(f"{name}: KPI cards one to a row (tops {rows[:4]})")
    if "Traceback" in m["text"] or 'File "/' in m["text"]:
        out.append(f"{name}: traceback text on the page")
    return out


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_on_a_phone(browser, server, shots, size):
    width, height, _ = SIZES[size]
    pages = app_pages()
    assert len(pages) >= 11  # the nine pages of ui.shell.PAGES, data upload and the audit trail
    ctx = phone_context(browser, server, size)
    page = ctx.new_page()
    problems: list[str] = []
    try:
        for n, (path, title) in enumerate(pages):
            page.goto(server + path)
            try:
                settle(page, title)
            except Exception as e:  # noqa: BLE001 - every page's problem is collected, then the test fails once
                problems.append(f"{path}: no header {title!r} ({type(e).__name__})")
            name = path.strip("/") or "overview"
            heading = page.locator("h2").first.inner_text().strip()
            if heading != title:
                problems.append(f"{path}: header {heading!r}, expected {title!r}")
            if page.locator(EXCEPTION).count():
                problems.append(f"{path}: exception shown: {page.locator(EXCEPTION).first.inner_text()[:200]}")
            m = page.evaluate(MEASURE)
            problems += problems_of(path, m, width)
            page.screenshot(path=str(shots / f"{size}_{n:02d}_{name}_first_screen.png"))
            full_screenshot(page, shots / f"{size}_{n:02d}_{name}.png", width, height, m["mainHeight"])
            if n == 0:
                assert m["charts"] >= 1 and m["ticks"], "the overview draws its chart"
                assert len(m["cardRows"]) == 8 and len(set(m["cardRows"])) == 4, m["cardRows"]  # 8 cards, 4 rows
                # the scorecard is wider than the phone: it scrolls inside itself, the page does not
                assert m["tables"] and any(inside for _, inside in m["tables"]), m["tables"]
                # the filters are reachable: the toggle opens the sidebar over the page, and closes it again
                page.locator(EXPAND).click()
                period = page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').first
                period.wait_for(state="visible", timeout=WAIT_MS)
                page.wait_for_function(  # the sidebar slides in
                    "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().left >= 0",
                    timeout=WAIT_MS)
                box = page.locator(SIDEBAR).bounding_box()
                assert box and box["x"] >= -1 and box["x"] + box["width"] <= width + 1, box
                assert page.locator(f'{SIDEBAR} [data-testid="stSidebarNavLink"]').count() == len(pages)
                page.wait_for_timeout(500)
                page.screenshot(path=str(shots / f"{size}_sidebar_open.png"))
                page.locator(f'{SIDEBAR} [data-testid="stSidebarCollapseButton"] button').click()
                page.wait_for_function(
                    "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right <= 1",
                    timeout=WAIT_MS)
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


def test_sign_in_on_a_phone(browser, server, shots):
    """A leader signs in on a phone: typed inputs (account name without capitals or corrections, a password
    field), the submit button on the first screen, then the overview with the sidebar collapsed."""
    width, height, _ = SIZES["390x844"]
    ctx = phone_context(browser, server, "390x844", role=None)
    page = ctx.new_page()
    try:
        page.goto(server + "/")
        name = page.locator('input[aria-label="账号"]')
        name.wait_for(timeout=WAIT_MS)
        page.wait_for_timeout(800)
        password = page.locator('input[aria-label="密码"]')
        assert name.get_attribute("autocomplete") == "username"
        assert name.get_attribute("autocapitalize") == "none"
        assert name.get_attribute("autocorrect") == "off"
        assert password.get_attribute("type") == "password"
        assert password.get_attribute("autocomplete") == "current-password"
        submit = page.get_by_role("button", name="登录")
        box = submit.bounding_box()
        assert box and box["y"] + box["height"] <= height / 2 + 60, box  # above a phone keyboard's top
        m = page.evaluate(MEASURE)
        assert m["doc"] <= width and m["main"] <= width
        page.screenshot(path=str(shots / "signin_390x844.png"))
        name.tap()
        name.fill(ACCOUNTS["leader"][0])
        password.tap()
        password.fill(TEST_PASSWORD)
        password.press("Enter")
        page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
        settle(page)
        assert page.locator("h2").first.inner_text().strip() == "总览"
        assert page.locator(EXCEPTION).count() == 0
        assert page.evaluate(MEASURE)["sidebarRight"] <= 1
        assert page.locator(EXPAND).get_attribute("aria-expanded") == "false"
        page.screenshot(path=str(shots / "signed_in_390x844.png"))
    finally:
        ctx.close()


def test_desktop_keeps_the_sidebar_open(browser, server, shots):
    ctx = signed_in_context(browser, server, role="leader", viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    try:
        page.goto(server + "/")
        page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
        settle(page)
        box = page.locator(SIDEBAR).bounding_box()
        assert box and box["x"] >= 0 and box["width"] >= 200, box
        assert page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').first.is_visible()
        m = page.evaluate(MEASURE)
        assert m["doc"] <= 1280 and m["main"] <= 1280 - box["width"] + 1
        assert len(set(m["cardRows"])) == 2  # 8 cards, four to a row as before
        page.screenshot(path=str(shots / "desktop_1280.png"))
    finally:
        ctx.close()
