"""数据查询 in a real browser: sign in, build the issue's first question by clicking (ledger, filter, group), see
the number, the chart and the table, download 下载结果 and check it against the raw rows, then open the copied
link in a fresh browser session (signing in again) and get the same answer."""

from __future__ import annotations

import io
import os
from urllib.parse import quote

import pandas as pd
import pytest

from etl.warehouse import open_read_only
from tests.ui_helpers import TEST_PASSWORD, streamlit_server

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
NANWAN = "南湾社区"
START = (f"/explore?period=custom&start=2024-10-01&end=2026-09-30&community={quote(NANWAN)}")


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    page.wait_for_timeout(700)


def _sign_in(page) -> None:
    page.wait_for_selector('input[aria-label="账号"]', timeout=WAIT_MS)
    page.fill('input[aria-label="账号"]', "leader")
    page.fill('input[aria-label="密码"]', TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=WAIT_MS)
    _settled(page)


def _pick(page, label: str, option: str) -> None:
    """Choose `option` in the multiselect labelled `label` (click it open, click the option)."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    _settled(page)


def _download_answer(page) -> bytes:
    for attempt in range(3):
        try:
            with page.expect_download(timeout=30_000) as dl:
                page.get_by_role("button", name="下载结果").click()
            return dl.value.path().read_bytes()
        except Exception:  # noqa: BLE001 - a click during a rerun is lost: retried, the last attempt raises
            if attempt == 2:
                raise
            _settled(page)
    raise AssertionError("unreachable")


def _activities(demo_db) -> int:
    con = open_read_only(demo_db)
    try:
        return con.execute("SELECT count(*) FROM activities WHERE community = ? AND date BETWEEN DATE '2024-10-01' "
                           "AND DATE '2026-09-30'", [NANWAN]).fetchone()[0]
    finally:
        con.close()


def _want(demo_db) -> pd.Series:
    """停车管理 requests of 南湾社区 per month, 2024-10 … 2026-09, from the raw rows."""
    con = open_read_only(demo_db)
    try:
        c = con.execute("SELECT opened_on FROM cases WHERE community = ? AND category = '停车管理'", [NANWAN]).df()
    finally:
        con.close()
    months = pd.to_datetime(c["opened_on"]).dt.strftime("%Y-%m")
    index = pd.period_range("2024-10", "2026-09", freq="M").strftime("%Y-%m")
    return months.value_counts().reindex(index, fill_value=0)


def test_build_a_question_download_it_and_reopen_the_link(browser, demo_db, tmp_path):
    with streamlit_server(demo_db, env={"GOV_ACCOUNTS": os.environ["GOV_ACCOUNTS"]}) as url:
        ctx = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="zh-CN", accept_downloads=True)
        page = ctx.new_page()
        page.goto(url + START)
        _sign_in(page)  # the link's filters survive the sign-in
        # ungrouped: one number, the activities of the scope
        number = page.locator('[data-testid="stPlotlyChart"] text.number').first.text_content()
        assert int(number.replace(",", "")) == _activities(demo_db)
        page.get_by_role("radio", name="诉求与案件").click()
        _settled(page)
        page.locator('[data-testid="stExpander"] summary').filter(has_text="筛选条件").first.click()
        _settled(page)
        _pick(page, "分类", "停车管理")
        _pick(page, "分组（最多两项）", "月份")
        assert "group=month" in page.url and "table=cases" in page.url
        assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() >= 1  # a line
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # the answer table (and the rows)
        got = pd.read_csv(io.BytesIO(_download_answer(page)), dtype={"月份": str})
        want = _want(demo_db)
        assert list(got.columns) == ["月份", "行数"]
        assert list(got["月份"]) == list(want.index)
        assert got["行数"].tolist() == [float(v) for v in want]
        link = page.url
        ctx.close()

        fresh = browser.new_context(viewport={"width": 1280, "height": 1600}, locale="zh-CN", accept_downloads=True)
        page = fresh.new_page()
        page.goto(link)
        _sign_in(page)
        again = pd.read_csv(io.BytesIO(_download_answer(page)), dtype={"月份": str})
        assert again.equals(got)
        assert "分类" in page.locator('[data-testid="stExpander"]').first.inner_text()
        fresh.close()
