"""The 季度简报 page: AppTest runs through app.py's navigation, and a real browser in presentation mode."""

from __future__ import annotations

import io
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image

from tests.conftest import chromium_path
from tests.ui_helpers import (  # noqa: F401
    CHROMIUM_ARGS,
    ROOT,
    all_text,
    app_env,
    assert_clean,
    run_app,
    signed_in_context,
    streamlit_server,
)

PAGE = "pages/briefing.py"
ARTIFACTS = ROOT / "artifacts"


def _images(at) -> list:
    return list(at.get("image"))


def _page_text(at) -> str:
    return all_text(at) + "\n" + "\n".join(str(c.value) for c in at.get("code"))


@pytest.mark.usefixtures("app_env")
def test_default_is_the_last_complete_quarter_for_the_whole_street():
    at = run_app(page=PAGE)
    assert_clean(at)
    assert at.selectbox(key="briefing_quarter").value == "2026Q3"
    assert at.selectbox(key="briefing_scope").value == ""
    text = _page_text(at)
    assert "2026年第三季度，沌阳街道共开展活动" in text  # the narrative (copyable text)
    assert "python -m briefing --quarter 2026Q3" in text
    assert len(at.get("download_button")) == 5  # PNG, PDF, PPTX, Excel and the 长图
    if chromium_path():
        assert _images(at), "the canvas image is missing"


@pytest.mark.usefixtures("app_env")
def test_one_community_from_the_url():
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE)
    assert_clean(at)
    assert at.selectbox(key="briefing_quarter").value == "2024Q1"
    assert at.selectbox(key="briefing_scope").value == "南湾社区"
    text = _page_text(at)
    assert "2024年第一季度，南湾社区共开展活动187场次" in text
    assert "--community 南湾社区" in text


@pytest.mark.usefixtures("app_env")
def test_choosing_quarter_and_scope_on_the_page_updates_the_filters():
    at = run_app(page=PAGE)
    at.selectbox(key="briefing_quarter").set_value("2025Q2").run()
    at.selectbox(key="briefing_scope").set_value("南湾社区").run()
    assert_clean(at)
    assert at.query_params.get("period") in ("2025Q2", ["2025Q2"])
    assert "南湾社区" in str(at.query_params.get("community"))
    assert "2025年第二季度，南湾社区共开展活动" in _page_text(at)


@pytest.mark.usefixtures("app_env")
def test_the_long_image_downloads_and_previews_at_phone_width_on_demand():
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE)
    assert "长图（手机）" in [b.label for b in at.get("download_button")]
    if not chromium_path():
        pytest.skip("Chromium not found: the 长图 preview needs it")
    before = len(_images(at))
    at.toggle(key="briefing_long_preview").set_value(True).run()
    assert_clean(at)
    images = _images(at)
    assert len(images) == before + 1


@pytest.mark.usefixtures("app_env")
def test_a_quarter_without_data_says_so():
    at = run_app({"period": "2019Q1"}, page=PAGE)
    assert_clean(at)
    text = _page_text(at)
    assert "没有数据" in text and "2019年第一季度" in text
    assert not at.get("download_button")


@pytest.mark.usefixtures("app_env")
def test_junk_parameters_fall_back_to_defaults():
    at = run_app({"period": "junk", "community": "北湾社区", "lang": "xx", "present": "maybe",
                  "compound": "<script>"}, page=PAGE)
    assert_clean(at)
    assert at.selectbox(key="briefing_quarter").value == "2026Q3"
    assert "沌阳街道共开展活动" in _page_text(at)


@pytest.mark.usefixtures("app_env")
def test_english_and_a_non_quarter_period():
    at = run_app({"period": "this_year", "lang": "en", "community": ["南湾社区", "凤亭社区（演示）"]}, page=PAGE)
    assert_clean(at)
    text = _page_text(at)
    assert "In Q3 2026, 沌阳街道 held" in text
    assert "is not one" in text and "several-communities" in text


@pytest.mark.usefixtures("app_env")
def test_presentation_mode_shows_only_the_canvas_or_the_reason_why_not():
    at = run_app({"period": "2024Q1", "community": "南湾社区", "present": "1", "embed": "true"}, page=PAGE)
    assert_clean(at)
    assert not at.get("selectbox") or all(s.key not in ("briefing_quarter", "briefing_scope") for s in at.selectbox)
    assert not at.get("download_button")
    if chromium_path():
        assert len(_images(at)) == 1
    at = run_app({"period": "2019Q1", "present": "1"}, page=PAGE)
    assert_clean(at)
    assert any("没有数据" in str(i.value) for i in at.info)


# ---------------------------------------------------------------- real browser

@pytest.mark.browser
def test_presentation_mode_in_a_real_browser(demo_db):
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("Chromium not found at /usr/bin/chromium: install Debian's chromium package to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    query = f"period=2024Q1&community={quote('南湾社区')}"
    with streamlit_server(demo_db) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = signed_in_context(browser, url, viewport={"width": 1920, "height": 1080},
                                     accept_downloads=True).new_page()
            # normal mode: the page, its controls, and a PDF export through the browser
            page.goto(f"{url}/briefing?{query}")
            page.wait_for_selector(".st-key-briefing_canvas img", timeout=90_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('[data-testid="stSidebar"]').is_visible()
            with page.expect_download(timeout=90_000) as dl:
                page.get_by_role("button", name="PDF（A4 横版）").click()
            pdf = dl.value.path().read_bytes()
            assert pdf[:5] == b"%PDF-" and dl.value.suggested_filename.endswith("2024Q1_演示数据.pdf")

            # presentation mode: nothing but the canvas
            page.goto(f"{url}/briefing?{query}&embed=true&present=1")
            img = page.locator(".st-key-briefing_canvas img")
            img.wait_for(state="visible", timeout=90_000)
            page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            page.wait_for_timeout(500)
            for hidden in ('[data-testid="stSidebar"]', '[data-testid="stHeader"]', "h2", '[data-testid="stAlert"]'):
                assert not page.locator(hidden).first.is_visible(), hidden
            box = img.bounding_box()
            assert box["width"] >= 1900 and box["y"] <= 5, box
            shot = page.screenshot(path=str(ARTIFACTS / "briefing_present.png"))
        finally:
            browser.close()
    a = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    assert a.shape[:2] == (1080, 1920)
    band = a[10:60, 40:900]
    red = ((band[..., 0] > 150) & (band[..., 1] < 80) & (band[..., 2] < 80)).mean()
    white = (band.min(axis=2) > 235).mean()
    assert red > 0.5 and 0.05 < white < 0.45, (red, white)  # the title band with its text, at the very top
