"""数据查询 under AppTest: a URL's question → its answer (recomputed from the raw rows), widgets → URL, invalid
parameters → notes, the scope of a community viewer, and saved questions (own, shared, opened, deleted)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi import explore
from kpi.explore import Question
from kpi.filters import Filters
from tests.domain_page_helpers import open_page
from tests.ui_helpers import all_text, app_env, assert_clean, run_app  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")
NANWAN = "南湾社区"
PARKING = {"table": "cases", "group": "month", "f.category": "停车管理", "community": NANWAN, "period": "custom",
           "start": "2024-10-01", "end": "2026-09-30"}


@pytest.fixture()
def answers(monkeypatch):
    """The frames handed to 下载结果 (key → frame), built as a click would build them."""
    seen: dict[str, pd.DataFrame] = {}
    import ui.downloads

    def record(make, file_stem, key, **kw):  # noqa: ARG001
        seen[key] = make()

    monkeypatch.setattr(ui.downloads, "csv_button", record)
    return seen


def _tables(at) -> list[pd.DataFrame]:
    """The answer tables shown (the matching rows' table has an id column first)."""
    return [d.value for d in at.dataframe if d.value.columns[0] not in ("案件编号", "活动编号")]


def _answer_table(at) -> pd.DataFrame:
    return _tables(at)[0]


def _qp(at) -> dict[str, list[str]]:
    return {k: list(v) if isinstance(v, list | tuple) else [v] for k, v in at.query_params.items()}


def test_a_url_question_is_answered_like_the_raw_rows_say(con, answers, downloads):
    at = open_page("explore", query=PARKING)
    assert at.session_state["ex_table"] == "cases" and at.session_state["ex_group"] == ["month"]
    c = con.execute("SELECT opened_on FROM cases WHERE community = ? AND category = '停车管理' "
                    "AND opened_on BETWEEN DATE '2024-10-01' AND DATE '2026-09-30'", [NANWAN]).df()
    want = pd.to_datetime(c["opened_on"]).dt.strftime("%Y-%m").value_counts()
    months = pd.period_range("2024-10", "2026-09", freq="M").strftime("%Y-%m")
    table = _answer_table(at)
    assert list(table.columns) == ["月份", "行数"]
    assert list(table["月份"]) == list(months)
    assert table["行数"].tolist() == [float(want.get(m, 0)) for m in months]
    assert answers["ex_download"].equals(table)  # 下载结果 = the table shown
    assert len(at.get("plotly_chart")) == 1
    rows = downloads["ex_rows_dl"]  # the matching rows' download: every one of them
    assert len(rows) == len(c) and set(rows["社区"]) == {NANWAN} and set(rows["分类"]) == {"停车管理"}
    assert f"匹配的明细（共 {len(c)} 行）" in all_text(at)


def test_widgets_write_the_question_to_the_url(con):
    at = open_page("explore", query={"period": "2026Q3"})
    assert _qp(at)["table"] == ["activities"]
    at.multiselect(key="ex_group").set_value(["partner"]).run()
    at.selectbox(key="ex_measure").set_value("sum:participants").run()
    at.text_input(key="ex_q").set_value("议事 协商").run()
    assert_clean(at)
    qp = _qp(at)
    assert qp["group"] == ["partner"] and qp["measure"] == ["sum:participants"] and qp["q"] == ["议事 协商"]
    assert qp["period"] == ["2026Q3"]  # the global filters stay
    want = explore.answer(con, Question("activities", keywords=("议事", "协商"), group=("partner",),
                                        measure="sum:participants"), Filters(date(2026, 7, 1), date(2026, 9, 30)))
    assert _answer_table(at)["参与人数合计"].tolist() == want["value"].tolist()


def test_invalid_parameters_fall_back_with_notes():
    at = open_page("explore", query={"table": "cases", "group": "month,year,volunteer_id", "measure": "sum:hours",
                                     "f.category": ["停车管理", "不存在的分类"], "f.bogus": "1",
                                     "f.closed_on": "2024-99-01..", "q": "x" * 150})
    text = all_text(at)
    for note in ("分组“year”不适用于这本台账", "分组“volunteer_id”不适用于这本台账", "度量“sum:hours”不适用于这本台账",
                 "筛选值“不存在的分类”不存在", "列“bogus”不存在", "筛选“closed_on=2024-99-01..”无效", "关键词"):
        assert note in text, note
    assert at.session_state["ex_group"] == ["month"] and at.session_state["ex_measure"] == "count"
    qp = _qp(at)
    assert qp["f.category"] == ["停车管理"] and "f.bogus" not in qp and qp["group"] == ["month"]
    at = open_page("explore", query={"table": "people"})
    assert "台账“people”不存在" in all_text(at) and at.session_state["ex_table"] == "activities"


def test_a_community_viewer_sees_only_its_community():
    at = run_app(query={"table": "cases", "group": "community", "period": "2025Q1", "community": "枫林社区（演示）"},
                 page="pages/explore.py", role="community")
    assert_clean(at)
    for table in _tables(at):
        assert set(table["社区"]) <= {NANWAN}
    assert "枫林社区（演示）" not in " ".join(str(d.value) for d in at.dataframe)


def test_volunteer_ledgers_list_no_rows():
    at = open_page("explore", query={"table": "volunteer_hours", "group": "team", "measure": "sum:hours",
                                     "period": "2026Q3"})
    assert "志愿者台账只汇总、不列明细" in all_text(at)
    assert len(at.dataframe) == len(_tables(at)) == 1
    assert "volunteer_id" not in " ".join(str(c) for d in at.dataframe for c in d.value.columns)


def test_saved_questions_own_shared_open_and_delete(accounts):
    from auth import AccountStore

    store = AccountStore(accounts)
    at = open_page("explore", query=PARKING)
    at.text_input(key="ex_save_name").set_value("南湾停车诉求")
    at.button(key="FormSubmitter:ex_save_form-保存").click().run()
    assert_clean(at)
    saved = [r for r in store.questions("leader") if r["name"] == "南湾停车诉求"]
    assert len(saved) == 1 and not saved[0]["shared"]
    kept = dict(pd.Series(explore_params(saved[0]["query"])))
    assert kept["table"] == ["cases"] and kept["f.category"] == ["停车管理"] and kept["start"] == ["2024-10-01"]

    # another session opens it from 我的查询: the same answer
    other = open_page("explore", query={"period": "2026Q3"})
    before = _tables(other)[0] if _tables(other) else None
    other.button(key=f"ex_open_{saved[0]['id']}").click().run()
    other.run()
    assert_clean(other)
    assert other.session_state["ex_table"] == "cases"
    assert _answer_table(other).equals(_answer_table(at))
    assert before is None or not before.equals(_answer_table(at))

    # an administrator shares one: everyone sees it under 常用查询; the leader cannot delete it
    admin = run_app(query={"table": "redemptions", "group": "item", "measure": "sum:points"},
                    page="pages/explore.py", role="admin")
    admin.text_input(key="ex_save_name").set_value("兑换物品积分")
    admin.checkbox(key="ex_save_share").check()
    admin.button(key="FormSubmitter:ex_save_form-保存").click().run()
    shared = [r for r in store.questions("nanwan") if r["shared"]]
    assert [r["name"] for r in shared] == ["兑换物品积分"]
    leader = open_page("explore")
    assert any(b.key == f"ex_open_{shared[0]['id']}" for b in leader.button)
    assert not any(b.key == f"ex_del_{shared[0]['id']}" for b in leader.button)
    leader.button(key=f"ex_del_{saved[0]['id']}").click().run()
    assert [r["name"] for r in store.questions("leader")] == ["兑换物品积分"]
    admin.run()
    admin.button(key=f"ex_del_{shared[0]['id']}").click().run()
    assert store.questions("leader") == []
    actions = [r["action"] for r in store.audit_rows() if r["action"].startswith("question_")]
    assert {"question_save", "question_share", "question_delete"} <= set(actions)


def explore_params(query: str) -> dict[str, list[str]]:
    from ui.explorer import split_query

    return split_query(query)
