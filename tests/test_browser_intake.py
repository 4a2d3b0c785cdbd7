"""A data clerk feeds the dashboard in a real browser: template → fill in (openpyxl, as in Excel) → upload →
preview with the right reject → highlighted copy → 确认入库 → the new activities on 活动参与."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from openpyxl import load_workbook

from tests.ui_helpers import signed_in_context, streamlit_server

pytestmark = pytest.mark.browser

WAIT_MS = 90_000


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    page.wait_for_timeout(500)


def _activities_card(page, url: str) -> int:
    page.goto(f"{url}/engagement?period=2026Q3")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=WAIT_MS)
    _settled(page)
    card = page.locator('[data-testid="stMetric"]').filter(has_text="活动场次").first
    return int(re.search(r"活动场次\D*([\d,]+)", card.inner_text()).group(1).replace(",", ""))


def test_a_clerk_downloads_fills_uploads_previews_and_confirms(browser, demo_db, tmp_path):
    db = tmp_path / "governance.duckdb"
    shutil.copyfile(demo_db, db)
    with streamlit_server(db) as url:
        ctx = signed_in_context(browser, url, role="clerk", accept_downloads=True,
                                viewport={"width": 1280, "height": 1400})
        page = ctx.new_page()
        before = _activities_card(page, url)

        page.goto(f"{url}/intake")
        page.wait_for_selector("text=下载模板", timeout=WAIT_MS)
        _settled(page)
        page.locator('[data-testid="stSelectbox"]').filter(has_text="台账种类").click()
        page.get_by_role("option", name="活动台账").click()
        _settled(page)
        with page.expect_download(timeout=WAIT_MS) as dl:
            page.get_by_role("button", name="下载模板").click()
        template = tmp_path / dl.value.suggested_filename
        dl.value.save_as(template)
        assert template.name == "活动台账_模板_activities.xlsx"

        wb = load_workbook(template)
        ws = next(s for s in wb.worksheets if s.title not in ("填表说明", "下拉选项"))
        headers = [c.value for c in ws[1]]
        col = {h.replace("*", "").strip(): i for i, h in enumerate(headers) if h}

        def row(**values):
            cells = [None] * len(headers)
            for k, v in values.items():
                cells[col[k]] = v
            ws.append(cells)

        row(日期="2026-09-15", 社区="南湾社区", 板块="联动联建", 活动类型="上报测试", 参与人数=25, 活动编号="UP-1")
        row(日期="2026-09-16", 社区="南湾社区", 板块="居民自治", 活动类型="上报测试", 参与人数=12, 活动编号="UP-2")
        row(日期="2026-09-17", 社区="南湾社区", 板块="联动联建", 活动类型="上报测试", 参与人数=-5, 活动编号="UP-3")
        bad_row = ws.max_row
        filled = tmp_path / "九月活动.xlsx"
        wb.save(filled)

        page.locator('input[type="file"]').set_input_files(str(filled))
        page.wait_for_selector("text=将被拒收的行（1）", timeout=WAIT_MS)
        _settled(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "确认后导入 2 行" in main
        with page.expect_download(timeout=WAIT_MS) as dl:
            page.get_by_role("button", name=re.compile("下载标注问题的")).click()
        marked = load_workbook(io.BytesIO(dl.value.path().read_bytes()))
        mws = next(s for s in marked.worksheets if s.title == ws.title)
        note_col = [c.value for c in mws[1]].index("问题说明") + 1
        assert "数量为负" in str(mws.cell(row=bad_row, column=note_col).value)
        assert mws.cell(row=bad_row - 1, column=note_col).value in (None, "")

        page.get_by_role("button", name="确认入库").click()
        page.wait_for_selector("text=入库 2 行", timeout=WAIT_MS)
        _settled(page)
        after = _activities_card(page, url)
        assert after == before + 2
        ctx.close()
