"""The ledger loader: recognition, parsing, row rules, rejects, keys, personal data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from etl import warehouse
from etl.loader import load_paths
from tests.ledgers import COMMUNITIES, COMPOUNDS, write_csv, write_rosters, write_xlsx

TODAY = dt.date(2026, 11, 28)
ACT_HEAD = ["日期", "社区", "小区", "板块", "活动类型", "参与人数", "活动编号"]
CASE_HEAD = ["编号", "类别", "分类", "社区", "登记日期", "办结日期", "状态", "调解结果", "满意度", "来源", "诉求内容"]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    report = load_paths(write_rosters(tmp_path / "rosters"), path, today=TODAY)
    assert report.exit_code == 0, report.files
    return path


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def load(db: Path, *paths: Path):
    return load_paths(list(paths), db, today=TODAY)


# --- values ------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-02-23", "2024-02-23"), ("2024/2/23", "2024-02-23"), ("2024.2.23", "2024-02-23"),
        ("2024年2月23日", "2024-02-23"), ("45345", "2024-02-23"), ("２０２４年２月２３日", "2024-02-23"),
        ("20240223", "2024-02-23"), (" 2024-02-23 00:00:00 ", "2024-02-23"),
    ],
)
def test_date_spellings(db: Path, tmp_path: Path, text: str, expected: str) -> None:
    f = write_csv(tmp_path / "x.csv", [ACT_HEAD, [text, "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    assert load(db, f).exit_code == 0
    assert rows(db, "SELECT CAST(date AS VARCHAR) FROM activities") == [(expected,)]


@pytest.mark.parametrize(
    "text, expected", [("45", 45), ("４５", 45), ("45人", 45), ("3场", 3), ("12户", 12), ("7人次", 7), (" 8 ", 8)]
)
def test_count_spellings(db: Path, tmp_path: Path, text: str, expected: int) -> None:
    f = write_csv(tmp_path / "x.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", text, "A1"]])
    assert load(db, f).exit_code == 0
    assert rows(db, "SELECT participants FROM activities") == [(expected,)]


def test_hours_with_unit_and_decimals(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "h.csv", [["志愿者编号", "日期", "时长", "积分"], ["V001", "2024-02-01", "2.5小时", "25"]])
    assert load(db, f).exit_code == 0
    assert rows(db, "SELECT hours, points FROM volunteer_hours") == [(2.5, 25.0)]


def test_pillar_prefix_and_english_headers_fullwidth_spaces(db: Path, tmp_path: Path) -> None:
    head = ["ＤＡＴＥ", " community ", "pillar", "活动 类型", "参与人数"]
    f = write_csv(tmp_path / "x.csv", [head, ["2024-02-01", "　南湾社区　", "党建+志愿服务", "理发", "5"]])
    assert load(db, f).exit_code == 0
    assert rows(db, "SELECT community, pillar, activity_type FROM activities") == [("南湾社区", "志愿服务", "理发")]


def test_party_member_words(db: Path) -> None:
    assert rows(db, "SELECT volunteer_id, party_member FROM volunteers ORDER BY 1") == [
        ("V001", True), ("V002", False), ("V003", True)
    ]


# --- recognition ---------------------------------------------------------------

def test_kind_comes_from_header_not_file_name(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "社区名册.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "5", "A1"]])
    report = load(db, f)
    assert report.files[0].kind == "activities"
    assert rows(db, "SELECT count(*) FROM activities") == [(1,)]


def test_title_rows_gbk_and_blank_lines(db: Path, tmp_path: Path) -> None:
    above = [["南湾社区活动台账（2024年）"], ["填报单位：南湾社区", "", "填报日期：2024-03-01"], []]
    body = [
        ACT_HEAD,
        ["2024-02-01", "南湾社区", "东风凤凰城", "联动联建", "烹饪教学", "30", "A1"],
        ["", "", "", "", "", "", ""],
        ["2024-02-02", "南湾社区", "", "联动联建", "水上运动", "-1", "A2"],
    ]
    f = write_csv(tmp_path / "gbk.csv", body, encoding="gb18030", above=above)
    report = load(db, f)
    assert report.exit_code == 1
    assert [(r.row_number, r.column_name, r.value) for r in report.rejects] == [(7, "参与人数", "-1")]
    assert rows(db, "SELECT activity_id FROM activities") == [("A1",)]


def test_utf8_bom(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "bom.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "居民自治", "议事协商会", "9", "A1"]],
                  encoding="utf-8-sig")
    assert load(db, f).exit_code == 0
    assert rows(db, "SELECT activity_type FROM activities") == [("议事协商会",)]


def test_xlsx_every_sheet_title_row_and_excel_dates(db: Path, tmp_path: Path) -> None:
    sheets = {
        "2023": [ACT_HEAD, [dt.datetime(2023, 5, 4), "南湾社区", "", "联动联建", "公益轮滑", 30, "X1"]],
        "2024": [ACT_HEAD, [45345, "南湾社区", "", "联动联建", "清洁家园", "20人", "X2"],
                 ["2024年2月30日", "南湾社区", "", "联动联建", "清洁家园", 5, "X3"]],
    }
    f = write_xlsx(tmp_path / "act.xlsx", sheets, title="南湾社区活动台账")
    report = load(db, f)
    assert report.exit_code == 1
    assert [(r.sheet, r.row_number, r.column_name, r.value) for r in report.rejects] == [
        ("2024", 5, "日期", "2024年2月30日")
    ]
    assert rows(db, "SELECT activity_id, CAST(date AS VARCHAR), participants FROM activities ORDER BY 1") == [
        ("X1", "2023-05-04", 30), ("X2", "2024-02-23", 20)
    ]


def test_instruction_sheet_is_skipped(db: Path, tmp_path: Path) -> None:
    sheets = {
        "填表说明": [["请按要求填写"], ["日期格式：2024-01-01"]],
        "台账": [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", 30, "X1"]],
    }
    report = load(db, write_xlsx(tmp_path / "a.xlsx", sheets))
    assert report.exit_code == 0
    assert any("填表说明" in m for m in report.files[0].messages)


def test_unrecognised_header_refused_with_closest_kind(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "bad.csv", [["日期", "社区", "活动类型"], ["2024-02-01", "南湾社区", "理发"]])
    before = warehouse.data_version(db)
    report = load(db, f)
    assert report.exit_code == 2
    msg = report.files[0].messages[0]
    assert "活动台账" in msg and "板块" in msg and "参与人数" in msg and "participants" in msg
    assert warehouse.data_version(db) == before  # nothing written, not even a batch
    assert rows(db, "SELECT count(*) FROM activities") == [(0,)]
    assert rows(db, "SELECT count(*) FROM load_batches WHERE file_name = 'bad.csv'") == [(0,)]


def test_unreadable_files_refused(db: Path, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    (tmp_path / "y.xlsx").write_bytes(b"not a zip")
    report = load(db, tmp_path / "x.txt", tmp_path / "y.xlsx", tmp_path / "missing.csv")
    assert report.exit_code == 2
    assert [f.status for f in report.files] == ["refused"] * 3


# --- row rules -------------------------------------------------------------------

def test_activity_row_rules(db: Path, tmp_path: Path) -> None:
    body = [
        ACT_HEAD,
        ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"],  # row 2 ok
        ["", "南湾社区", "", "联动联建", "烹饪教学", "30", "A2"],  # 3 missing date
        ["2024-02-01", "南湾社区", "", "文体活动", "烹饪教学", "30", "A3"],  # 4 vocabulary
        ["1999-12-31", "南湾社区", "", "联动联建", "烹饪教学", "30", "A4"],  # 5 too early
        ["2026-11-29", "南湾社区", "", "联动联建", "烹饪教学", "30", "A5"],  # 6 future
        ["2024-02-01", "不存在社区", "", "联动联建", "烹饪教学", "30", "A6"],  # 7 unknown community
        ["2024-02-01", "南湾社区", "凤亭一区", "联动联建", "烹饪教学", "30", "A7"],  # 8 compound of another
        ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "3.5", "A8"],  # 9 decimals
        ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "很多", "A9"],  # 10 not a number
        ["2024-02-02", "南湾社区", "", "联动联建", "烹饪教学", "31", "A1"],  # 11 repeated id
    ]
    report = load(db, write_csv(tmp_path / "act.csv", body))
    assert report.exit_code == 1
    got = {(r.row_number, r.column_name, r.reason.split(" / ")[1]) for r in report.rejects}
    assert got == {
        (3, "日期", "required value missing"),
        (4, "板块", "value outside vocabulary; allowed: 联动联建, 居民自治, 志愿服务, 社会治理"),
        (5, "日期", "date before 2000-01-01"),
        (6, "日期", "date in the future"),
        (7, "社区", "unknown community"),
        (8, "小区", "unknown compound for this community"),
        (9, "参与人数", "must be a whole number"),
        (10, "参与人数", "not a number"),
        (11, "活动编号", "id or name repeated in this file; the first row is kept"),
    }
    assert rows(db, "SELECT activity_id, participants FROM activities") == [("A1", 30)]
    assert rows(db, "SELECT count(*), count(DISTINCT row_number) FROM rejects") == [(9, 9)]
    assert rows(db, "SELECT value, reason FROM rejects WHERE row_number = 4") == [(
        "文体活动", "板块“文体活动”不在取值范围内，应为：联动联建、居民自治、志愿服务、社会治理 / "
        "value outside vocabulary; allowed: 联动联建, 居民自治, 志愿服务, 社会治理"
    )]
    assert rows(db, "SELECT rows_read, rows_loaded, rows_rejected, status FROM load_batches WHERE file_name='act.csv'") == [
        (10, 1, 9, "loaded_with_rejects")
    ]


def test_case_rules_and_status_defaults(db: Path, tmp_path: Path) -> None:
    body = [
        CASE_HEAD,
        ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "2024-01-10", "", "", "5", "议事协商会", ""],  # 已办结
        ["C2", "居民诉求", "房屋漏水", "南湾社区", "2024-01-02", "", "", "", "", "敲门入户", ""],  # 办理中
        ["C3", "居民诉求", "人车分流", "南湾社区", "2024-01-10", "2024-01-02", "", "", "", "", ""],  # closed < opened
        ["C4", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "", "已办结", "", "", "", ""],  # closed w/o date
        ["C5", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "2024-01-03", "办理中", "", "", "", ""],  # open with date
        ["C6", "安全隐患", "燃气隐患", "南湾社区", "2024-01-02", "2024-01-03", "", "调解成功", "", "", ""],  # outcome
        ["C7", "矛盾纠纷", "邻里纠纷", "南湾社区", "2024-01-02", "2024-01-03", "", "调解失败", "", "", ""],  # vocab
        ["C8", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "2024-01-03", "", "", "6", "", ""],  # satisfaction
        ["C9", "投诉", "晾晒", "南湾社区", "2024-01-02", "", "", "", "", "", ""],  # kind vocabulary
        ["C10", "矛盾纠纷", "邻里纠纷", "南湾社区", "2024-01-02", "2024-01-05", "", "调解成功", "4", "居民来访", ""],
        ["C11", "居民诉求", "噪音", "南湾社区", "2024-01-02", "", "已转办", "", "", "12345热线", ""],
    ]
    report = load(db, write_csv(tmp_path / "cases.csv", body))
    got = {(r.row_number, r.column_name) for r in report.rejects}
    assert got == {(4, "办结日期"), (5, "状态"), (6, "办结日期"), (7, "调解结果"), (8, "调解结果"), (9, "满意度"), (10, "类别")}
    assert rows(db, "SELECT case_id, status, outcome, satisfaction FROM cases ORDER BY case_id") == [
        ("C1", "已办结", None, 5), ("C10", "已办结", "调解成功", 4), ("C11", "已转办", None, None),
        ("C2", "办理中", None, None),
    ]


def test_unknown_volunteer_rejected(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "r.csv", [["志愿者编号", "日期", "兑换积分", "兑换物品"], ["V999", "2024-02-01", "10", "大米"],
                                       ["V001", "2024-02-01", "10", "大米"]])
    report = load(db, f)
    assert [(r.row_number, r.reason.split(" / ")[1]) for r in report.rejects] == [(2, "unknown volunteer")]


def test_rejects_keep_every_broken_rule_of_a_row(db: Path, tmp_path: Path) -> None:
    body = [ACT_HEAD, ["2030-01-01", "南湾社区", "", "坏板块", "理发", "-5", "A1"]]
    report = load(db, write_csv(tmp_path / "x.csv", body))
    assert {r.column_name for r in report.rejects} == {"日期", "板块", "参与人数"}
    assert report.files[0].rows_rejected == 1


# --- batches, keys and updates -------------------------------------------------------

def test_same_file_twice_changes_nothing(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "x.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    assert load(db, f).exit_code == 0
    version = warehouse.data_version(db)
    again = load(db, f)
    assert again.exit_code == 0 and again.files[0].status == "already_loaded"
    assert warehouse.data_version(db) == version
    assert rows(db, "SELECT count(*) FROM activities") == [(1,)]


def test_later_version_updates_case_by_id(db: Path, tmp_path: Path) -> None:
    v1 = [CASE_HEAD, ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "", "", "", "", "议事协商会", ""]]
    v2 = [CASE_HEAD, ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "2024-01-20", "已办结", "", "5", "议事协商会", ""],
          ["C2", "居民诉求", "房屋漏水", "南湾社区", "2024-01-05", "", "", "", "", "", ""]]
    load(db, write_csv(tmp_path / "v1.csv", v1))
    assert rows(db, "SELECT status FROM cases") == [("办理中",)]
    load(db, write_csv(tmp_path / "v2.csv", v2))
    assert rows(db, "SELECT case_id, status, CAST(closed_on AS VARCHAR) FROM cases ORDER BY 1") == [
        ("C1", "已办结", "2024-01-20"), ("C2", "办理中", None)
    ]


def test_rosters_update_by_name(db: Path, tmp_path: Path) -> None:
    changed = [COMMUNITIES[0], ["沌阳街道", "南湾社区", "5100", "2021"]]
    assert load(db, write_csv(tmp_path / "c2.csv", changed)).exit_code == 0
    assert rows(db, "SELECT name, households FROM communities ORDER BY 1") == [("凤亭社区", 3000), ("南湾社区", 5100)]
    compounds = [COMPOUNDS[0], ["南湾社区", "东风凤凰城", "2100"]]
    assert load(db, write_csv(tmp_path / "p2.csv", compounds)).exit_code == 0
    assert rows(db, "SELECT households FROM compounds WHERE name='东风凤凰城'") == [(2100,)]
    assert rows(db, "SELECT count(*) FROM compounds") == [(3,)]


def test_rows_without_id_reexport_does_not_double(db: Path, tmp_path: Path) -> None:
    head = ["日期", "社区", "板块", "活动类型", "参与人数"]
    first = [head, ["2024-02-01", "南湾社区", "志愿服务", "理发", "5"], ["2024-02-01", "南湾社区", "志愿服务", "理发", "5"],
             ["2024-02-02", "南湾社区", "志愿服务", "缝纫修鞋", "3"]]
    # the same ledger re-exported: other date spelling, a unit suffix, one new row
    second = [head, ["2024/2/1", "南湾社区", "志愿服务", "理发", "5人"], ["2024年2月1日", "南湾社区", "志愿服务", "理发", "5"],
              ["2024.2.2", "南湾社区", "志愿服务", "缝纫修鞋", "3"], ["2024-02-03", "南湾社区", "志愿服务", "铲刀磨剪", "4"]]
    load(db, write_csv(tmp_path / "e1.csv", first))
    assert rows(db, "SELECT count(*) FROM activities") == [(3,)]  # two identical rows stay two
    load(db, write_csv(tmp_path / "e2.csv", second))
    assert rows(db, "SELECT activity_type, count(*) FROM activities GROUP BY 1 ORDER BY 1") == [
        ("理发", 2), ("缝纫修鞋", 1), ("铲刀磨剪", 1)
    ]


def test_hours_and_redemptions_keyed_by_content(db: Path, tmp_path: Path) -> None:
    hours = [["志愿者编号", "日期", "时长", "积分"], ["V001", "2024-02-01", "2", "20"], ["V001", "2024-02-01", "2", "20"]]
    load(db, write_csv(tmp_path / "h1.csv", hours))
    load(db, write_csv(tmp_path / "h2.csv", hours + [["V002", "2024-02-01", "1", "10"]]))
    assert rows(db, "SELECT volunteer_id, count(*) FROM volunteer_hours GROUP BY 1 ORDER BY 1") == [("V001", 2), ("V002", 1)]


def test_rows_are_stored_in_date_order_and_the_roster_in_id_order(db: Path, tmp_path: Path) -> None:
    """A batch is written in the order of its table's date (schema.DATE_COLUMNS) whatever the file's order, so that
    a period's reads skip the row groups of other periods; the roster in id order. Read back in storage order."""
    import random

    rng = random.Random(7)
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700)) for _ in range(3000)]
    ledger = [["志愿者编号", "日期", "兑换积分", "兑换物品"]] + [
        [rng.choice(["V001", "V002", "V003"]), d.isoformat(), str(1 + i % 9), f"物品{i}"] for i, d in enumerate(days)]
    assert load(db, write_csv(tmp_path / "r.csv", ledger)).exit_code == 0
    stored = [r[0] for r in rows(db, "SELECT date FROM redemptions")]  # no ORDER BY: the order rows are kept in
    assert len(stored) == 3000 and stored == sorted(days)
    roster = [["志愿者编号", "社区"]] + [[f"V{n:03d}", "南湾社区"] for n in (9, 4, 7, 5, 8, 6)]
    assert load(db, write_csv(tmp_path / "roster2.csv", roster)).exit_code == 0
    ids = [r[0] for r in rows(db, "SELECT volunteer_id FROM volunteers WHERE volunteer_id >= 'V004'")]
    assert ids == ["V004", "V005", "V006", "V007", "V008", "V009"]


@pytest.mark.parametrize("many", [False, True])  # few distinct numbers: the lookup lists them; many: it does not
def test_a_reloaded_ledger_replaces_its_rows_whatever_their_numbers(db: Path, tmp_path: Path, many: bool) -> None:
    """The key lookup is bounded by the batch's dates and numbers (etl/loader.py `_content_bounds`): every row
    of an earlier version with the same content is still found — decimals that are not exact in binary, an
    empty points cell, dates over two years — and rows that differ in one number are not."""
    head = ["志愿者编号", "日期", "时长", "积分"]
    body = [["V001", "2023-12-31", "0.3", "0.1"], ["V001", "2024-02-01", "2", ""], ["V002", "2025-01-02", "1.7", "12.345678901234567"],
            ["V002", "2025-01-02", "1.7", "12.345678901234567"]]
    if many:
        body += [["V003", f"2024-03-{1 + i % 28:02d}", f"{i / 7:.6f}", f"{i * 0.1:.1f}"] for i in range(150)]
    load(db, write_csv(tmp_path / "h1.csv", [head, *body]))
    changed = [["V001", "2023-12-31", "0.3", "0.2"]]  # one number differs: a new row, the old one stays
    load(db, write_csv(tmp_path / "h2.csv", [head, *body, *changed]))
    assert rows(db, "SELECT count(*) FROM volunteer_hours") == [(len(body) + 1,)]
    assert rows(db, "SELECT count(*) FROM volunteer_hours_history") == [(len(body),)]  # each replaced once
    redemptions = [["志愿者编号", "日期", "兑换积分"], ["V001", "2024-05-05", "0.3"], ["V002", "2024-05-06", "7"]]
    load(db, write_csv(tmp_path / "r1.csv", redemptions))
    load(db, write_csv(tmp_path / "r2.csv", [*redemptions, ["V002", "2024-05-06", "7.5"]]))
    assert rows(db, "SELECT points FROM redemptions ORDER BY points") == [(0.3,), (7.0,), (7.5,)]


def test_keys_stay_unique(db: Path, tmp_path: Path) -> None:
    from etl.schema import KEYS

    body = [ACT_HEAD] + [["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", str(i), f"A{i % 3}"] for i in range(9)]
    load(db, write_csv(tmp_path / "a1.csv", body))
    load(db, write_csv(tmp_path / "a2.csv", body[:1] + body[4:]))
    for table, key in KEYS.items():
        cols = ", ".join(key)
        dupes = rows(db, f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
        assert dupes == [(0,)], table


# --- personal data -------------------------------------------------------------

def test_personal_columns_dropped_and_numbers_masked(db: Path, tmp_path: Path) -> None:
    head = CASE_HEAD + ["姓名", "联系电话", "身份证号", "住址"]
    body = [head, ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "", "", "", "", "", "来电13912345678反映，身份证420101199001011234",
                   "王小明", "13800001111", "420101199001012345", "幸福路8号"]]
    report = load(db, write_csv(tmp_path / "p.csv", body))
    assert report.exit_code == 0
    assert any("姓名" in m and "联系电话" in m and "身份证号" in m and "住址" in m for m in report.files[0].messages)
    con = duckdb.connect(str(db), read_only=True)
    dump = ""
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        dump += str(con.execute(f'SELECT * FROM "{table}"').fetchall())
    con.close()
    for secret in ("王小明", "13800001111", "420101199001012345", "幸福路8号", "13912345678", "420101199001011234"):
        assert secret not in dump
    assert rows(db, "SELECT summary FROM cases") == [("来电139****5678反映，身份证420101********1234",)]


# --- atomic publication ------------------------------------------------------------

def test_bug_in_our_code_raises_and_publishes_nothing(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import etl.loader as loader

    snapshot = db.read_bytes()
    good = write_csv(tmp_path / "a.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    cases = write_csv(tmp_path / "c.csv", [CASE_HEAD, ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "", "", "", "", "", ""]])
    real = loader._upsert

    def bug(con, kind, batch_id):
        if kind.name == "cases":
            raise KeyError("a bug")
        return real(con, kind, batch_id)

    monkeypatch.setattr(loader, "_upsert", bug)
    with pytest.raises(KeyError, match="a bug"):
        load(db, good, cases)
    assert db.read_bytes() == snapshot  # the activities loaded before the bug are not published either
    assert warehouse.leftovers(db) == []


def test_file_unreadable_further_down_is_refused_and_rolled_back(db: Path, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "a.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    lines = [",".join(ACT_HEAD)] + [f"2024-02-01,南湾社区,,联动联建,烹饪教学,{i % 9},B{i}" for i in range(9000)]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    assert len(body) > 256 * 1024  # the encoding is judged from the first 256 KiB: these are UTF-8
    bad = tmp_path / "broken.csv"
    bad.write_bytes(body + b"2024-02-01,\xff\xfe\xff,,,,1,B9999\n")  # neither UTF-8 nor GBK
    report = load(db, good, bad)
    assert [(f.file_name, f.status) for f in report.files] == [("a.csv", "loaded"), ("broken.csv", "refused")]
    assert "rolled back" in report.files[1].messages[-1] and "unknown text encoding" in report.files[1].messages[-1]
    assert rows(db, "SELECT activity_id FROM activities") == [("A1",)]
    assert rows(db, "SELECT count(*) FROM load_batches WHERE file_name = 'broken.csv'") == [(0,)]


def test_exception_during_load_leaves_previous_file(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import etl.loader as loader

    snapshot = tmp_path / "before.duckdb"
    shutil.copy(db, snapshot)
    f = write_csv(tmp_path / "a.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    monkeypatch.setattr(loader, "_status_zh", lambda status: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        load(db, f)
    assert db.read_bytes() == snapshot.read_bytes()
    assert not list(db.parent.glob("*.loading-*"))


# --- files a new user tries --------------------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100"
                    "05fe02fea7d56b0000000049454e44ae426082")


@pytest.mark.parametrize(
    "content, says",
    [
        (PNG, "binary content"),
        (bytes(range(256)) * 8, "binary content"),
        ("日期,社区,板块,活动类型,参与人数\n2024-02-01,南湾社区,志愿服务,理发,5\n".encode("utf-16"), "UTF-16"),
        ("日期,社区,板块,活动类型,参与人数\n".encode("utf-16-le"), "UTF-16"),
        (b"\x81\x30\xff\xfe,\xff\xff\n" * 20, "unknown text encoding"),
    ],
    ids=["png", "random-bytes", "utf16-bom", "utf16-le", "bad-bytes"],
)
def test_undecodable_csv_is_refused_without_trace(db: Path, tmp_path: Path, content: bytes, says: str) -> None:
    f = tmp_path / "ledger.csv"
    f.write_bytes(content)
    snapshot = db.read_bytes()
    report = load(db, f)
    assert report.exit_code == 2 and report.files[0].status == "refused"
    assert says in report.files[0].messages[0]
    assert db.read_bytes() == snapshot  # no batch row, no rejects: the warehouse is untouched
    assert warehouse.leftovers(db) == []


def test_undecodable_csv_cli_exit_code(db: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    f = tmp_path / "photo.csv"
    f.write_bytes(PNG)
    out = subprocess.run([sys.executable, "-m", "etl", "--db", str(db), "load", str(f)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "photo.csv" in out.stdout and "不是 CSV 文本文件" in out.stdout and "not a CSV text file" in out.stdout


def test_bug_exits_3_with_traceback_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    f = write_csv(tmp_path / "a.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"]])
    snapshot = db.read_bytes()
    script = (
        "import sys, etl.loader as loader\n"
        "def bug(*a, **k):\n    raise KeyError('pillar_v')\n"
        "loader._upsert = bug\n"
        "from etl.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, "--db", str(db), "load", str(f)], capture_output=True,
                         text=True, cwd=root, timeout=120)
    assert out.returncode == 3
    assert "Traceback" in out.stderr and "KeyError: 'pillar_v'" in out.stderr and "internal error" in out.stderr
    assert "refused" not in out.stdout
    assert db.read_bytes() == snapshot


def test_other_file_types_are_refused_with_save_as_advice(db: Path, tmp_path: Path) -> None:
    (tmp_path / "台账.et").write_bytes(b"\xd0\xcf\x11\xe0 wps")
    report = load(db, tmp_path / "台账.et")
    assert report.exit_code == 2
    assert "另存为 .xlsx" in report.files[0].messages[0] and "unsupported file type .et" in report.files[0].messages[0]


def write_xls(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An Excel 97-2003 workbook; date cells are written as Excel stores them (a number with a date format)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, body in sheets.items():
        ws = wb.add_sheet(name)
        for i, row in enumerate(body):
            for j, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write(i, j, v, date_style)
                elif v is not None:
                    ws.write(i, j, v)
    wb.save(str(path))
    return path


def test_xls_workbook_with_date_cells(db: Path, tmp_path: Path) -> None:
    sheets = {
        "填表说明": [["请按要求填写"]],
        "2024年": [["南湾社区活动台账"], ACT_HEAD,
                   [dt.datetime(2024, 2, 23), "南湾社区", "东风凤凰城", "联动联建", "烹饪教学", 30, "X1"],
                   ["2024/3/1", "南湾社区", None, "居民自治", "议事协商会", "12人", "X2"],
                   [dt.datetime(2024, 3, 2), "南湾社区", None, "文化活动", "文艺汇演", 80, "X3"]],
    }
    report = load(db, write_xls(tmp_path / "old.xls", sheets))
    assert report.exit_code == 1
    assert [(r.sheet, r.row_number, r.column_name, r.value) for r in report.rejects] == [("2024年", 5, "板块", "文化活动")]
    assert rows(db, "SELECT activity_id, CAST(date AS VARCHAR), compound, participants FROM activities ORDER BY 1") == [
        ("X1", "2024-02-23", "东风凤凰城", 30), ("X2", "2024-03-01", None, 12)
    ]
    assert rows(db, "SELECT sheet, rows_read, rows_loaded, rows_rejected FROM load_batches WHERE file_name = 'old.xls'") == [
        ("2024年", 3, 2, 1)
    ]


def test_corrupt_xls_is_refused(db: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.xls").write_bytes(b"\xd0\xcf\x11\xe0 this is no workbook")
    report = load(db, tmp_path / "bad.xls")
    assert report.exit_code == 2 and "另存为 .xlsx" in report.files[0].messages[0]


def test_workbook_with_one_kind_per_sheet_loads_references_first(db: Path, tmp_path: Path) -> None:
    sheets = {  # the activities sheet comes first and cites a community that only the roster sheet adds
        "活动": [ACT_HEAD, ["2024-02-01", "新建社区", "", "联动联建", "烹饪教学", 30, "A1"],
                 ["2024-02-02", "南湾社区", "", "志愿服务", "理发", 8, "A2"]],
        "诉求": [CASE_HEAD, ["C1", "居民诉求", "晾晒", "新建社区", "2024-01-02", "", "", "", "", "", ""]],
        "社区名册": [["街道", "社区", "户数"], ["沌阳街道", "新建社区", 1200]],
    }
    report = load(db, write_xlsx(tmp_path / "综合台账.xlsx", sheets))
    assert report.exit_code == 0, [(f.kind, f.messages) for f in report.files]
    assert [(f.kind, f.sheets, f.rows_loaded) for f in report.files] == [
        ("communities", ["社区名册"], 1), ("activities", ["活动"], 2), ("cases", ["诉求"], 1)
    ]
    assert rows(db, "SELECT kind, sheet, rows_loaded FROM load_batches WHERE file_name = '综合台账.xlsx' ORDER BY 1") == [
        ("activities", "活动", 2), ("cases", "诉求", 1), ("communities", "社区名册", 1)
    ]
    assert rows(db, "SELECT activity_id FROM activities ORDER BY 1") == [("A1",), ("A2",)]


def test_sheet_mixing_two_kinds_is_refused(db: Path, tmp_path: Path) -> None:
    sheets = {"汇总": [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", 30, "A1"], [],
                       CASE_HEAD, ["C1", "居民诉求", "晾晒", "南湾社区", "2024-01-02", "", "", "", "", "", ""]]}
    snapshot = db.read_bytes()
    report = load(db, write_xlsx(tmp_path / "mixed.xlsx", sheets))
    assert report.exit_code == 2
    assert report.files[0].messages == [
        "工作表「汇总」第 1 行是「活动台账」的表头，第 4 行又是「诉求与纠纷台账」的表头：一个工作表只能放一种台账，"
        "请把它们分到不同的工作表或文件后再导入 / sheet '汇总' mixes two ledger kinds (activities header in row 1, "
        "cases header in row 4): put each kind on its own sheet or in its own file"
    ]
    assert db.read_bytes() == snapshot


def test_resaved_ledger_replaces_its_rejects(db: Path, tmp_path: Path) -> None:
    body = [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "30", "A1"],
            ["2024-02-01", "南湾社区", "", "坏板块", "烹饪教学", "30", "A2"],
            ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "-3", "A3"]]
    first = load(db, write_csv(tmp_path / "act.csv", body))
    assert first.files[0].rows_rejected == 2
    resaved = write_csv(tmp_path / "act.csv", body, encoding="utf-8-sig")  # same rows, other bytes
    assert load(db, resaved).files[0].status == "loaded_with_rejects"
    assert rows(db, "SELECT count(*) FROM load_batches WHERE file_name = 'act.csv'") == [(2,)]
    assert rows(db, "SELECT row_number, column_name FROM rejects ORDER BY 1") == [(3, "板块"), (4, "参与人数")]
    # another ledger (another file name) keeps its own rejects
    load(db, write_csv(tmp_path / "act-copy.csv", body, encoding="gb18030"))
    assert rows(db, "SELECT file_name, count(*) FROM rejects GROUP BY 1 ORDER BY 1") == [("act-copy.csv", 2), ("act.csv", 2)]


def test_older_warehouse_gains_the_sheet_column(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE load_batches (batch_id VARCHAR PRIMARY KEY, file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, kind VARCHAR, loaded_at TIMESTAMP NOT NULL, rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL, rows_rejected BIGINT NOT NULL, status VARCHAR NOT NULL, message VARCHAR)""")
    con.execute("INSERT INTO load_batches VALUES ('b0', 'old.csv', 'x', 'activities', '2024-01-01', 1, 1, 0, 'loaded', NULL)")
    con.close()
    assert load_paths(write_rosters(tmp_path / "r"), path, today=TODAY).exit_code == 0
    assert rows(path, "SELECT file_name, sheet FROM load_batches ORDER BY 1") == [
        ("a.csv", None), ("b.csv", None), ("c.csv", None), ("old.csv", None)
    ]


def test_huge_count_is_a_reject_not_a_crash(db: Path, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "x.csv", [ACT_HEAD, ["2024-02-01", "南湾社区", "", "联动联建", "烹饪教学", "99999999999", "A1"]])
    report = load(db, f)
    assert [(r.column_name, r.reason) for r in report.rejects] == [
        ("参与人数", "数值过大（超过 2147483647）/ number too large")
    ]
