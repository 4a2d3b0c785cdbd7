"""Ten deep links opened at the same moment on a freshly started server all render their page (ui.shell).

This is what happens when a clerk posts links to the leaders' group right after a restart: the first
sessions run in Streamlit's legacy pages/ mode, several at once (see docs/architecture.md).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.ui_helpers import CHROMIUM_ARGS, signed_in_context, streamlit_server  # noqa: F401

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
EXCEPTION = '[data-testid="stException"]'

# path → the page title its header shows
# No link to / among them: the app's own first run would settle the mode before the pages run.
LINKS = [
    ("/briefing", "季度简报"),
    ("/engagement", "活动参与"),
    (f"/issues?community={quote('南湾社区')}", "诉求办理"),
    ("/disputes_safety?period=2024Q1", "矛盾纠纷与平安"),
    ("/services", "便民服务"),
    ("/volunteers", "志愿积分"),
    ("/briefing?lang=en", "Quarterly briefing"),
    (f"/briefing?period=2024Q1&community={quote('南湾社区')}", "季度简报"),
    ("/kpi_catalogue", "指标说明"),
    ("/overview?lang=en", "Overview"),
]


def test_ten_simultaneous_deep_links_on_a_fresh_server(browser, demo_db):
    assert len(LINKS) == 10
    with streamlit_server(demo_db) as url:
        contexts = [signed_in_context(browser, url, viewport={"width": 1280, "height": 800}) for _ in LINKS]
        pages = [c.new_page() for c in contexts]
        for page, (path, _) in zip(pages, LINKS, strict=True):
            page.goto(url + path, wait_until="commit")  # do not wait: all ten first runs overlap
        problems = []
        for page, (path, title) in zip(pages, LINKS, strict=True):
            try:
                page.wait_for_function(
                    """(title) => [...document.querySelectorAll('h2')].some(h => h.innerText.trim() === title)
                                  && !document.querySelector('[data-testid="stStatusWidget"]')""",
                    arg=title, timeout=WAIT_MS)
            except Exception as e:  # noqa: BLE001 - collect every page's problem, then fail once
                problems.append(f"{path}: no header {title!r} ({type(e).__name__})")
                continue
            if page.locator(EXCEPTION).count():
                problems.append(f"{path}: exception shown: {page.locator(EXCEPTION).first.inner_text()[:300]}")
            body = page.locator("body").inner_text()
            if "Traceback" in body or "RuntimeError" in body:
                problems.append(f"{path}: traceback text on the page")
        for c in contexts:
            c.close()
        assert not problems, "\n".join(problems)
