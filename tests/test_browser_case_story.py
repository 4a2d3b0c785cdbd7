"""One case's whole story in a real browser (Playwright + Debian's Chromium): signed in, the 诉求办理 page narrowed to
南湾社区, a click on a case row opens the case with its fields and what a second ledger version changed; closing
returns to the same list and filters; from the second page of another list, closing returns to that page; the
copied link (?case=ID) opens the same case in a new session; Esc closes too; another community's viewer gets
"no such record"."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.story_fixtures import NANWAN, build_changed
from tests.ui_helpers import ROOT, signed_in_context, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
EXCEPTION = '[data-testid="stException"]'
DIALOG = '[role="dialog"]'
WAIT_MS = 60_000


def dialog_text(page, last: str) -> str:
    """The story dialog's text once `last` (a part drawn late) is in it: the dialog's frame appears a moment
    before its body, so reading it on appearance raced in CI."""
    from playwright.sync_api import expect

    dialog = page.locator(DIALOG)
    expect(dialog).to_contain_text(last, timeout=WAIT_MS)
    return dialog.inner_text()
ROW_H, HEAD_H = 35, 36  # the detail table's row and header heights (ui.drilldown.detail_table)


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    return build_changed(tmp_path_factory.mktemp("story-browser"))


@pytest.fixture(scope="module")
def story_server(changed):
    with streamlit_server(changed.db) as url:
        yield url


@pytest.fixture()
def page(browser, story_server):
    ctx = signed_in_context(browser, story_server)
    yield ctx.new_page()
    ctx.close()


def settle(page) -> None:
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    page.wait_for_timeout(800)


def case_table(page, which: str = "overdue"):
    grid = page.locator(f'.st-key-iss_{which}_table, [class*="st-key-iss_{which}_table_"]').locator(
        '[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return grid


def click_row(page, grid, n: int) -> None:
    """A click on the selection box of the n-th shown row (0-based): the grid is a canvas."""
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + HEAD_H + ROW_H * n + ROW_H / 2)


def test_click_a_case_row_see_its_story_close_back_at_the_list(page, story_server, changed):
    url = f"{story_server}/issues?community={quote(NANWAN)}"
    page.goto(url)
    settle(page)
    assert page.locator("h4").first.inner_text().endswith("南湾社区 · 2026年第三季度")
    rows_text = page.get_by_text(re.compile(r"第 \d+–\d+ 条，共 \d+ 条")).first.inner_text()
    grid = case_table(page)
    # the changed case is the first overdue row (tests/story_fixtures.py picked it so)
    click_row(page, grid, 0)
    text = dialog_text(page, "新版台账修改")
    dialog = page.locator(DIALOG)
    assert f"案件 {changed.case_id}" in text
    for line in (f"编号：{changed.case_id}", "社区：南湾社区", "办结日期：2026-10-20", "状态：已办结", "满意度：4"):
        assert line in text, line
    assert "首次导入" in text and "新版台账修改" in text
    assert re.search(r"状态：\s*办理中\s*→\s*已办结", text)
    assert re.search(r"办结日期：\s*—\s*→\s*2026-10-20", text)
    page.wait_for_url(re.compile(rf"case={changed.case_id}"), timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case_story.png"))

    dialog.get_by_role("button", name="关闭").click()
    page.locator(DIALOG).wait_for(state="detached", timeout=WAIT_MS)
    settle(page)
    assert "case=" not in page.url and "community=" in page.url
    assert page.locator("h4").first.inner_text().endswith("南湾社区 · 2026年第三季度")
    assert page.get_by_text(re.compile(r"第 \d+–\d+ 条，共 \d+ 条")).first.inner_text() == rows_text
    assert page.locator(".st-key-iss_list").get_by_text("超期积案").count() == 1
    assert page.locator(EXCEPTION).count() == 0
    page.wait_for_timeout(1000)  # and it stays closed (the row is no longer selected)
    assert page.locator(DIALOG).count() == 0


def test_closing_returns_to_the_same_page_of_another_list(page, story_server):
    page.goto(f"{story_server}/issues")
    settle(page)
    page.locator(".st-key-iss_list").get_by_text("期内受理").click()
    settle(page)
    pager = page.locator(".st-key-iss_opened_page input")
    pager.fill("2")
    pager.press("Enter")
    page.wait_for_function("document.body.innerText.includes('第 51–100 条')", timeout=WAIT_MS)
    settle(page)
    rows_text = page.get_by_text(re.compile(r"第 \d+–\d+ 条，共 \d+ 条")).first.inner_text()
    click_row(page, case_table(page, "opened"), 2)
    dialog = page.locator(DIALOG)
    dialog.wait_for(timeout=WAIT_MS)
    assert re.search(r"案件 C\d{4}-\d{6}", dialog.inner_text())
    dialog.get_by_role("button", name="关闭").click()
    page.locator(DIALOG).wait_for(state="detached", timeout=WAIT_MS)
    settle(page)
    assert page.get_by_text(re.compile(r"第 \d+–\d+ 条，共 \d+ 条")).first.inner_text() == rows_text
    assert pager.input_value() == "2"
    assert page.locator(EXCEPTION).count() == 0


def test_the_link_opens_the_case_in_a_new_session_and_esc_closes_it(browser, story_server, changed):
    ctx = signed_in_context(browser, story_server)
    try:
        page = ctx.new_page()
        page.goto(f"{story_server}/issues?community={quote(NANWAN)}&case={changed.case_id}")
        assert f"编号：{changed.case_id}" in dialog_text(page, "修改记录")
        page.keyboard.press("Escape")
        page.locator(DIALOG).wait_for(state="detached", timeout=WAIT_MS)
        page.wait_for_url(lambda u: "case=" not in u, timeout=WAIT_MS)
        assert page.locator(EXCEPTION).count() == 0
    finally:
        ctx.close()


def test_a_community_viewer_cannot_open_another_communitys_case_by_link(browser, story_server, changed):
    ctx = signed_in_context(browser, story_server, role="community")
    try:
        page = ctx.new_page()
        page.goto(f"{story_server}/issues?case={changed.other_case_id}")
        text = dialog_text(page, "找不到这条记录")
        assert "找不到这条记录，或它不在您的查看范围内。" in text and "登记日期" not in text
    finally:
        ctx.close()
