"""Sign-in in a real browser: the gate on every first request, the cookie across reloads and tabs, sign-out
everywhere, each role's pages, and single sign-on through a trusted proxy header."""

from __future__ import annotations

import pytest

from tests.ui_helpers import ACCOUNTS, TEST_PASSWORD, signed_in_context, streamlit_server

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
SIGN_IN = 'input[aria-label="账号"]'


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    page.wait_for_timeout(300)


def _sign_in(page, name: str, password: str = TEST_PASSWORD) -> None:
    page.fill(SIGN_IN, name)
    page.fill('input[aria-label="密码"]', password)
    page.get_by_role("button", name="登录").click()


def test_first_requests_after_a_start_all_meet_the_sign_in_screen(browser, demo_db):
    paths = ["/briefing", "/issues?community=%E5%8D%97%E6%B9%BE%E7%A4%BE%E5%8C%BA", "/volunteers", "/"]
    with streamlit_server(demo_db) as url:
        contexts = [browser.new_context(locale="zh-CN") for _ in paths]
        pages = [c.new_page() for c in contexts]
        for page, path in zip(pages, paths, strict=True):
            page.goto(url + path, wait_until="commit")
        for page, path in zip(pages, paths, strict=True):
            page.wait_for_selector(SIGN_IN, timeout=WAIT_MS)
            _settled(page)
            body = page.locator("body").inner_text()
            assert page.locator('[data-testid="stMetric"]').count() == 0, path
            assert "南湾社区" not in body and "沌阳街道" not in body, path
            assert page.locator('[data-testid="stException"]').count() == 0, path
        for c in contexts:
            c.close()


def test_sign_in_survives_reloads_and_tabs_and_sign_out_ends_it_everywhere(browser, server):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{server}/issues?period=2024Q1")
    page.wait_for_selector(SIGN_IN, timeout=WAIT_MS)
    _sign_in(page, "nanwan", "wrong password!")
    page.wait_for_selector("text=账号或密码错误", timeout=WAIT_MS)
    _sign_in(page, ACCOUNTS["community"][0])
    page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
    _settled(page)
    assert "诉求办理" in page.locator("h2").first.inner_text()  # the deep link's page, after the sign-in
    assert "2024年第一季度" in page.locator("h4").first.inner_text()  # and its filters from the URL
    assert any(c["name"] == "gov_session" for c in ctx.cookies())
    page.reload()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)  # a reload keeps the session
    other = ctx.new_page()  # a new tab in the same browser
    other.goto(f"{server}/volunteers")
    other.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
    _settled(other)
    other.get_by_role("button", name="退出登录").click()
    other.wait_for_selector(SIGN_IN, timeout=WAIT_MS)
    page.reload()  # the first tab is signed out too
    page.wait_for_selector(SIGN_IN, timeout=WAIT_MS)
    ctx.close()


def test_each_role_sees_its_pages(browser, server):
    for role in ACCOUNTS:
        ctx = signed_in_context(browser, server, role=role)
        page = ctx.new_page()
        page.goto(server)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
        _settled(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert ("审计日志" in nav) == (role == "admin"), role
        text = page.locator("body").inner_text()
        if role in ("community", "clerk"):
            assert "凤亭社区" not in text and "仅可查看：南湾社区" in text, role
        ctx.close()


@pytest.mark.parametrize("proxies, signed_in", [("127.0.0.1", True), ("10.9.9.9", False)])
def test_single_sign_on_through_a_trusted_proxy_header(browser, demo_db, proxies, signed_in):
    env = {"GOV_TRUSTED_HEADER": "X-Remote-User", "GOV_TRUSTED_PROXIES": proxies}
    with streamlit_server(demo_db, env=env) as url:
        ctx = browser.new_context(locale="zh-CN", extra_http_headers={"X-Remote-User": "leader"})
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_selector('[data-testid="stMetric"]' if signed_in else SIGN_IN, timeout=WAIT_MS)
        ctx.close()
