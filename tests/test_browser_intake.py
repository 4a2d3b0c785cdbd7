"""A data clerk feeds the dashboard in a real browser: template → fill in (openpyxl, as in Excel) → upload →
preview with the right reject → highlighted copy → 确认入库 → the new activities on 活动参与."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from openpyxl import load_workbook

from tests.test_mapping import ISSUE_PROFILE
from tests.ui_helpers import signed_in_context, streamlit_server

pytestmark = pytest.mark.browser

WAIT_MS = 90_000


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    page.wait_for_timeout(500)


def _download(page, button):
    """Click a download button and return the download; clicked again if a rerun swallowed the first click
    (a click that lands while Streamlit redraws the button does nothing)."""
    for attempt in range(3):
        try:
            with page.expect_download(timeout=30_000) as dl:
                button.click()
            return dl.value
        except Exception:  # noqa: BLE001 - retried; the last attempt raises
            if attempt == 2:
                raise
            _settled(page)
    raise AssertionError("unreachable")


def _activities_card(page, url: str) -> int:
    page.goto(f"{url}/engagement?period=2026Q3&community=%E5%8D%97%E6%B9%BE%E7%A4%BE%E5%8C%BA")  # 南湾社区
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
        page.wait_for_selector("text=① 下载模板", timeout=WAIT_MS)
        _settled(page)
        download = _download(page, page.get_by_role("button", name="活动台账"))
        template = tmp_path / download.suggested_filename
        download.save_as(template)
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
        download = _download(page, page.get_by_role("button", name=re.compile("下载标注问题的")))
        marked = load_workbook(io.BytesIO(download.path().read_bytes()))
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

        # an administrator withdraws the batch on 报送情况: the numbers return exactly
        admin = signed_in_context(browser, url, role="admin", viewport={"width": 1280, "height": 1400})
        page = admin.new_page()
        page.goto(f"{url}/submissions")
        page.wait_for_selector("text=导入记录", timeout=WAIT_MS)
        _settled(page)
        page.get_by_role("button", name="撤回本次导入").click()  # the newest batch is preselected: the clerk's
        page.wait_for_selector('[data-testid="stAlertContentSuccess"]', timeout=WAIT_MS)
        assert _activities_card(page, url) == before
        admin.close()



EXPORT = [
    ["工单编号", "受理时间", "办结时间", "诉求类型", "来源渠道", "办理状态", "所属社区", "来电人电话"],
    ["GD-2026-0001", "9/3/2026 2:07:00 PM", "9/10/2026 9:00:00 AM", "停车管理", "12345热线", "已办结", "南湾社区",
     "13800001111"],
    ["GD-2026-0002", "2026-09-12 08:30", "", "房屋漏水", "12345热线", "处理中", "南湾社区", "13800002222"],
    ["GD-2026-0003", "2026-09-13 10:00", "", "噪音扰民", "12345热线", "无效工单", "南湾社区", "13800003333"],
]


def test_a_foreign_export_loads_through_a_saved_profile_from_the_page(browser, demo_db, tmp_path):
    from tests.ledgers import write_csv

    db = tmp_path / "governance.duckdb"
    shutil.copyfile(demo_db, db)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "12345.toml").write_text(ISSUE_PROFILE, encoding="utf-8")
    export = write_csv(tmp_path / "12345工单导出.csv", EXPORT, encoding="utf-8-sig")
    unknown = write_csv(tmp_path / "别的系统导出.csv", [["编码", "时间", "内容"], ["X1", "2026-09-01", "一"]])
    with streamlit_server(db, env={"GOV_MAPPINGS": str(mappings)}) as url:
        ctx = signed_in_context(browser, url, role="clerk", viewport={"width": 1280, "height": 1400})
        page = ctx.new_page()
        page.goto(f"{url}/intake")
        page.wait_for_selector('input[type="file"]', state="attached", timeout=WAIT_MS)
        _settled(page)
        page.locator('input[type="file"]').set_input_files([str(export), str(unknown)])
        page.wait_for_selector("text=按映射方案", timeout=WAIT_MS)  # the preview names the profile it used
        _settled(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "12345热线工单导出" in main and "确认后导入 2 行" in main
        assert "映射外部导出" in main  # the other file: the page offers to map it
        assert "13800001111" not in main  # the caller's phone column is dropped, not shown
        page.get_by_role("button", name="确认入库").click()
        page.wait_for_selector("text=入库 2 行", timeout=WAIT_MS)
        ctx.close()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT case_id, status, opened_on FROM cases WHERE case_id LIKE 'GD-2026-%' "
                           "ORDER BY 1").fetchall()
        profile = con.execute("SELECT profile, loaded_by FROM load_batches WHERE file_name = '12345工单导出.csv'"
                              ).fetchone()
    finally:
        con.close()
    import datetime as dt

    assert rows == [("GD-2026-0001", "已办结", dt.date(2026, 9, 3)), ("GD-2026-0002", "办理中", dt.date(2026, 9, 12))]
    assert profile == ("12345热线工单导出", "nanwan-clerk")
