"""One case's whole story on the pages (ui.story) under AppTest: a row of a case or activity list opens it with every
field, the days against the time limit and what a second ledger version changed; closing returns to the list as it
was; a deep link (?case=ID) opens it too, within the viewer's scope only, escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.domain_page_helpers import open_page
from tests.story_fixtures import NANWAN, build_changed
from tests.ui_helpers import TODAY, all_text, assert_clean, markdown_sources
from ui import story


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    return build_changed(tmp_path_factory.mktemp("story"))


@pytest.fixture(autouse=True)
def env(changed, monkeypatch) -> Path:
    monkeypatch.setenv("GOV_DB", str(changed.db))
    monkeypatch.setenv("GOV_TODAY", TODAY)
    return changed.db


def plain(at) -> str:
    """Every text of the app as read (markdown escapes and bold markers removed)."""
    return all_text(at).replace("**", "")


def _rows_of(at):
    return [d.value for d in at.dataframe if "case_id" in list(d.value.columns)]


def test_a_row_opens_the_case_with_its_history_and_closing_returns_to_the_list(changed):
    query = {"community": NANWAN}
    at = open_page("issues", query, {"iss_overdue_page": 1})
    (before,) = _rows_of(at)
    assert changed.case_id in list(before["case_id"])
    # what the row's selection callback does (ui.story.open_record), then the run that shows the dialog
    at.session_state[story._OPEN] = {"kind": "case", "id": changed.case_id, "list": "iss_overdue"}
    at.run()
    assert_clean(at)
    text = plain(at)
    for line in (f"编号：{changed.case_id}", "社区：南湾社区", "办结日期：2026-10-20", "状态：已办结", "满意度：4",
                 "类别：居民诉求", "调解结果：—"):
        assert line in text, line
    assert "首次导入 · 文件 诉求与纠纷台账（演示）.csv" in text
    assert "新版台账修改 · 文件 诉求与纠纷台账（演示）.csv：" in text
    for change in ("办结日期：— → 2026-10-20", "状态：办理中 → 已办结", "满意度：— → 4"):
        assert change in text, change
    assert "办结用时" in text and "办理时限" in text
    # 关闭: the dialog is gone, the same list with the same filters and rows, no row selected (a new table key)
    next(b for b in at.button if b.label == "关闭").click().run()
    assert_clean(at)
    assert story._OPEN not in at.session_state
    assert "首次导入" not in plain(at)
    (after,) = _rows_of(at)
    assert list(after["case_id"]) == list(before["case_id"])
    assert at.session_state["iss_list"] == "overdue" and at.session_state["f_community"] == [NANWAN]
    assert "case" not in at.query_params


def test_days_against_the_time_limit_follow_the_catalogue(changed):
    from etl.warehouse import open_read_only
    from tests.conftest import TARGETS

    con = open_read_only(changed.db)
    try:
        opened_on, category = con.execute("SELECT opened_on, category FROM cases WHERE case_id = ?",
                                          [changed.case_id]).fetchone()
    finally:
        con.close()
    from datetime import date

    days = (date(2026, 10, 20) - opened_on).days
    limit = TARGETS.sla_days.get(category, TARGETS.sla_default_days)
    verdict = "按时办结" if days <= limit else "超时办结"
    at = open_page("issues", {"community": NANWAN, "case": changed.case_id})
    assert f"办结用时 {days} 天 · 办理时限 {limit} 天 · {verdict}" in plain(at)


def test_a_deep_link_opens_the_case_in_english(changed):
    at = open_page("issues", {"case": changed.case_id, "lang": "en"})
    text = plain(at)
    assert f"Case id: {changed.case_id}" in text and "Status: 办理中 → 已办结" in text
    assert "a later ledger changed it" in text


def test_another_communitys_viewer_cannot_open_it_even_by_url(changed):
    at = open_page("issues", {"case": changed.other_case_id}, role="community")
    text = plain(at)
    assert "找不到这条记录，或它不在您的查看范围内。" in text
    assert f"编号：{changed.other_case_id}" not in text and "登记日期：" not in text
    assert "首次导入" not in text
    # the same viewer opens its own community's case
    at = open_page("issues", {"case": changed.case_id}, role="community")
    assert f"编号：{changed.case_id}" in plain(at)


def test_a_hostile_id_in_the_url_is_text(changed):
    evil = "[点我](https://evil.example)**x**"
    at = open_page("issues", {"case": evil})
    assert "找不到这条记录，或它不在您的查看范围内。" in plain(at)
    assert not any("](https://evil.example)" in m for m in markdown_sources(at))


def test_an_activity_opens_from_the_engagement_list(changed):
    at = open_page("engagement", {"community": NANWAN},
               {story._OPEN: {"kind": "activity", "id": changed.activity_id, "list": "eng_list"}})
    text = plain(at)
    assert f"活动编号：{changed.activity_id}" in text and "社区：南湾社区" in text
    assert "之后的台账版本没有修改这条记录。" in text
