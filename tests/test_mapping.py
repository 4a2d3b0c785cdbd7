"""Mapping profiles for foreign exports (etl.mapping): a 12345 hotline work-order export and a volunteer app's
service records, loaded through the same loader and rules as any ledger."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from etl import mapping
from etl.loader import load_paths
from etl.mapping import ProfileError, load_profile, profile_to_toml
from tests.conftest import ROOT
from tests.ledgers import write_rosters, write_xlsx

TODAY = dt.date(2026, 11, 28)

# The issue's example profile, verbatim.
ISSUE_PROFILE = '''
name = "12345热线工单导出"          # shown in the UI
kind = "cases"                      # one of the seven kinds: English key or Chinese name

[columns]                           # contract field (English name, as in the contract) = header as written in the file
case_id   = "工单编号"
opened_on = "受理时间"
closed_on = "办结时间"
category  = "诉求类型"
source    = "来源渠道"
status    = "办理状态"
community = "所属社区"

[constants]                         # fields the file lacks: one value for every row
kind = "居民诉求"

[values.status]                     # value as written in the file = contract value
"已办结" = "已办结"
"处理中" = "办理中"
"已回退" = "已转办"

[skip]                              # rows whose column holds one of these values are skipped: counted and reported, not rejected
"办理状态" = ["无效工单", "重复工单"]

[dates]                             # strptime formats tried in order, for fields the standard readers cannot parse
opened_on = ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M"]
closed_on = ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M"]
'''

# The profile the tests load with: the issue's, plus the summary and the Chinese date-time spelling.
HOTLINE_PROFILE = ISSUE_PROFILE.replace(
    'community = "所属社区"', 'community = "所属社区"\nsummary   = "诉求摘要"'
).replace(
    'closed_on = ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M"]',
    'closed_on = ["%m/%d/%Y %I:%M:%S %p", "%Y年%m月%d日 %H时%M分"]',
)
# The same export read through its English status column instead.
ENGLISH_STATUS_PROFILE = (
    HOTLINE_PROFILE.replace('status    = "办理状态"', 'status    = "Status"')
    .replace('[values.status]                     # value as written in the file = contract value\n'
             '"已办结" = "已办结"\n"处理中" = "办理中"\n"已回退" = "已转办"',
             '[values.status]\nClosed = "已办结"\nOpen = "办理中"\nTransferred = "已转办"')
    .replace('"办理状态" = ["无效工单", "重复工单"]', 'Status = ["Cancelled"]')
    .replace('name = "12345热线工单导出"', 'name = "12345热线工单导出（英文状态）"')
)

HOTLINE_HEAD = ["工单编号", "受理时间", "办结时间", "诉求类型", "来源渠道", "办理状态", "Status", "所属社区",
                "诉求摘要", "来电人电话"]
ROWS = 3000
CATEGORIES = ["噪音扰民", "物业管理", "环境卫生", "停车管理", "房屋漏水"]


def _us(t: dt.datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


def hotline_rows(n: int = ROWS) -> list[list[str]]:
    """A 12345 work-order export. Per 10 rows: 6 closed, 2 open, 1 sent back, 1 void or duplicate (skipped).
    Rows i % 500 == 1 cite an unknown community, i % 1000 == 3 an unknown status, i % 1000 == 7 an unreadable
    acceptance time: 6 + 3 + 3 rejects."""
    out = [HOTLINE_HEAD]
    for i in range(n):
        opened = dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 300, hours=(i * 7) % 24, minutes=i % 60)
        closed = opened + dt.timedelta(days=3)
        r = i % 10
        zh, en = {0: ("已办结", "Closed"), 6: ("处理中", "Open"), 7: ("处理中", "Open"), 8: ("已回退", "Transferred"),
                  9: ("无效工单" if i % 20 == 9 else "重复工单", "Cancelled")}.get(r, ("已办结", "Closed"))
        if i % 1000 == 3:
            zh, en = "挂起", "On hold"
        opened_text = _us(opened) if i % 2 == 0 else f"{opened:%Y-%m-%d %H:%M}"
        if i % 1000 == 7:
            opened_text = "昨天下午"
        closed_text = ""
        if zh in ("已办结", "挂起"):
            closed_text = _us(closed) if i % 2 == 0 else f"{closed.year}年{closed.month}月{closed.day}日 {closed:%H}时{closed:%M}分"
        community = "不存在社区" if i % 500 == 1 else ("南湾社区" if i % 2 == 0 else "凤亭社区")
        summary = f"楼上{CATEGORIES[i % 5]}，已多次反映,\n希望尽快“处理”，\"急\"；回电13912345678"
        out.append([f"GD2024{i:06d}", opened_text, closed_text, CATEGORIES[i % 5], "12345热线" if i % 3 else "网络",
                    zh, en, community, summary, f"1380000{i:04d}"])
    return out


LOADED, SKIPPED = 2688, 300


def expected_reasons(status: str) -> dict[str, int]:
    return {
        "社区不在社区名册中 / unknown community": 6,
        f"状态“{status}”不在取值范围内，应为：已办结、办理中、已转办 / value outside vocabulary; allowed: 已办结, 办理中, 已转办": 3,
        "无法识别的日期 / not a date": 3,
    }


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture(autouse=True)
def no_saved_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saved profiles come from an empty folder of the test's own, never from data/mappings."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    monkeypatch.setenv("GOV_MAPPINGS", str(folder))
    return folder


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), path, today=TODAY).exit_code == 0
    return path


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def reasons(db: Path) -> dict[str, int]:
    return dict(rows(db, "SELECT reason, count(*) FROM rejects GROUP BY 1"))


# --- profiles ---------------------------------------------------------------

def test_the_issue_example_parses_as_given() -> None:
    p = load_profile(ISSUE_PROFILE)
    assert p.name == "12345热线工单导出" and p.kind == "cases"
    assert p.columns == {"case_id": "工单编号", "opened_on": "受理时间", "closed_on": "办结时间", "category": "诉求类型",
                         "source": "来源渠道", "status": "办理状态", "community": "所属社区"}
    assert p.constants == {"kind": "居民诉求"}
    assert p.values == {"status": {"已办结": "已办结", "处理中": "办理中", "已回退": "已转办"}}
    assert p.skip == {"办理状态": ["无效工单", "重复工单"]}
    assert p.dates["opened_on"] == ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M"]


def test_the_documented_example_is_the_issue_example() -> None:
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    assert load_profile(block) == load_profile(ISSUE_PROFILE)


def test_profile_round_trips_through_toml() -> None:
    p = load_profile(HOTLINE_PROFILE)
    p.headers = HOTLINE_HEAD
    p.values["status"]['带"引号"\\和\n换行'] = "办理中"
    p.skip["Status"] = ["Cancelled", "a.b = c"]
    text = profile_to_toml(p)
    assert load_profile(text) == p
    assert profile_to_toml(load_profile(text)) == text


def test_chinese_kind_name_is_accepted() -> None:
    p = load_profile(ISSUE_PROFILE.replace('kind = "cases"', 'kind = "诉求与纠纷台账"'))
    assert p.kind == "cases"


@pytest.mark.parametrize("change, zh, en", [
    (('kind = "cases"', 'kind = "工单"'), "未知的台账种类“工单”", "unknown kind '工单'"),
    (('source    = "来源渠道"', 'origin    = "来源渠道"'), "[columns] 中的字段不属于「诉求与纠纷台账」：origin",
     "[columns] names field(s) that cases does not have: origin"),
    (('kind = "居民诉求"', 'kind = "居民诉求"\ncommunity = "南湾社区"'), "字段既映射到列又设为常量：community",
     "both mapped to a column and given a constant: community"),
    (('case_id   = "工单编号"\n', ''), "必填字段没有映射到列也没有常量：编号 case_id", "neither mapped nor constant: case_id"),
    (('"已回退" = "已转办"', '"已回退" = "退回"'), "[values.status] 的目标值不在取值范围内：退回",
     "outside the vocabulary: 退回"),
    (('kind = "居民诉求"', 'kind = "投诉"'), "[constants] kind = “投诉” 不在取值范围内", "outside the vocabulary"),
    (('[dates]', '[dates]\ncategory = ["%Y"]'), "[dates] category 不是日期字段", "is not a date field"),
    (('[skip]', '[skipping]'), "未知的项：skipping", "unknown key(s): skipping"),
    (('[columns]', '[columns'), "映射方案不是有效的 TOML", "not valid TOML"),
])
def test_profile_errors_are_bilingual(change: tuple[str, str], zh: str, en: str) -> None:
    with pytest.raises(ProfileError) as err:
        load_profile(ISSUE_PROFILE.replace(*change, 1))
    assert zh in str(err.value) and en in str(err.value)


def test_apply_is_column_and_value_mapping() -> None:
    p = load_profile(HOTLINE_PROFILE)
    head = hotline_rows(20)
    cols = list(zip(*head[1:], strict=True))
    table = pa.table([pa.array(c, pa.string()) for c in cols] + [pa.array(range(2, 22))],
                     names=[f"c{j}" for j in range(len(cols))] + ["_row"])
    out, skipped, problems = mapping.apply(p, table, head[0])
    assert (skipped, problems) == (2, [])
    assert out.column_names == ["case_id", "kind", "category", "community", "opened_on", "source", "closed_on",
                                "status", "summary", "_row"]
    first = out.slice(0, 1).to_pylist()[0]
    assert first["opened_on"] == "2024-01-01" and first["closed_on"] == "2024-01-04"
    assert (first["kind"], first["status"], first["_row"]) == ("居民诉求", "已办结", 2)
    assert out.column("status").to_pylist()[6:9] == ["办理中", "办理中", "已转办"]
    assert out.column("opened_on").to_pylist()[7] == "昨天下午"  # no format reads it: left for the loader to reject
    # a profile naming a header the file lacks
    _, _, problems = mapping.apply(p, table, ["工单号", *head[0][1:]])
    assert problems == ["映射方案“12345热线工单导出”中的列在文件中找不到：工单编号 / profile '12345热线工单导出' names "
                        "column(s) the file lacks: 工单编号"]


# --- the 12345 export -----------------------------------------------------------

@pytest.mark.parametrize("fmt, profile_text", [
    ("utf-8-sig", HOTLINE_PROFILE), ("gbk", HOTLINE_PROFILE), ("xlsx", ENGLISH_STATUS_PROFILE),
])
def test_hotline_export_loads_through_a_profile(db: Path, tmp_path: Path, fmt: str, profile_text: str) -> None:
    data = hotline_rows()
    if fmt == "xlsx":
        export = write_xlsx(tmp_path / "工单导出.xlsx", {"工单": data})
    else:
        export = write_csv(tmp_path / "工单导出.csv", data, fmt)
    profile = tmp_path / "hotline.toml"
    profile.write_text(profile_text, encoding="utf-8")
    report = load_paths([export], db, today=TODAY, mapping=profile)
    (f,) = report.files
    name = load_profile(profile_text).name
    assert (f.status, f.kind, f.profile) == ("loaded_with_rejects", "cases", name)
    assert (f.rows_loaded, f.rows_skipped, f.rows_rejected) == (LOADED, SKIPPED, 12)
    assert f"按映射方案“{name}”导入 / mapped with profile '{name}'" in " ".join(f.messages)
    assert any(m.startswith("按映射方案跳过 300 行") for m in f.messages)
    assert any("personal-data columns dropped: 来电人电话" in m for m in f.messages)
    assert report.exit_code == 1
    unknown_status = "On hold" if fmt == "xlsx" else "挂起"  # an unmapped value outside the vocabulary
    assert reasons(db) == expected_reasons(unknown_status)
    assert rows(db, "SELECT count(*), count(DISTINCT case_id) FROM cases") == [(LOADED, LOADED)]
    assert dict(rows(db, "SELECT status, count(*) FROM cases GROUP BY 1")) == {"已办结": 1791, "办理中": 597, "已转办": 300}
    got = rows(db, "SELECT case_id, kind, category, source, community, CAST(opened_on AS VARCHAR), "
                   "CAST(closed_on AS VARCHAR), status FROM cases WHERE case_id IN "
                   "('GD2024000000', 'GD2024000011', 'GD2024000012', 'GD2024000018') ORDER BY 1")
    assert got == [
        ("GD2024000000", "居民诉求", "噪音扰民", "网络", "南湾社区", "2024-01-01", "2024-01-04", "已办结"),
        ("GD2024000011", "居民诉求", "物业管理", "12345热线", "凤亭社区", "2024-01-12", "2024-01-15", "已办结"),
        ("GD2024000012", "居民诉求", "环境卫生", "网络", "南湾社区", "2024-01-13", "2024-01-16", "已办结"),
        ("GD2024000018", "居民诉求", "停车管理", "网络", "南湾社区", "2024-01-19", None, "已转办"),
    ]
    # the summary keeps its commas, quotes and line break; the phone number in it is masked
    assert rows(db, "SELECT summary FROM cases WHERE case_id = 'GD2024000000'") == [
        ("楼上噪音扰民，已多次反映,\n希望尽快“处理”，\"急\"；回电139****5678",)]
    assert rows(db, "SELECT count(*) FROM cases WHERE case_id IN ('GD2024000009', 'GD2024000019')") == [(0,)]
    columns = {r[0] for r in rows(db, "SELECT column_name FROM information_schema.columns")}
    assert not any("电话" in c or "phone" in c for c in columns)
    assert rows(db, "SELECT count(*) FROM cases WHERE summary LIKE '%13800000%'") == [(0,)]
    # a reject names the file's own header and value, and the Excel row
    first_status = rows(db, "SELECT row_number, column_name, value FROM rejects "
                            "WHERE reason LIKE '状态%' ORDER BY row_number LIMIT 1")
    status_header = "Status" if fmt == "xlsx" else "办理状态"
    assert first_status == [(5, status_header, unknown_status)]
    # the same file again changes nothing
    again = load_paths([export], db, today=TODAY, mapping=profile)
    assert again.files[0].status == "already_loaded"


def test_profile_naming_a_header_the_file_lacks_refuses_the_file(db: Path, tmp_path: Path) -> None:
    data = hotline_rows(50)
    data[0] = ["受理日期" if h == "受理时间" else h for h in data[0]]
    export = write_csv(tmp_path / "工单导出.csv", data, "utf-8")
    before = rows(db, "SELECT count(*) FROM cases")
    report = load_paths([export], db, today=TODAY, mapping=load_profile(HOTLINE_PROFILE))
    (f,) = report.files
    assert f.status == "refused" and report.exit_code == 2
    assert f.messages == ["映射方案“12345热线工单导出”中的列在文件中找不到：受理时间 / profile '12345热线工单导出' "
                          "names column(s) the file lacks: 受理时间"]
    assert rows(db, "SELECT count(*) FROM cases") == before


def test_ledgers_in_a_mapped_run_still_load_as_ledgers(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "工单导出.csv", hotline_rows(100), "utf-8")
    report = load_paths([*write_rosters(tmp_path / "rosters"), export], tmp_path / "fresh.duckdb", today=TODAY,
                        mapping=load_profile(HOTLINE_PROFILE))
    assert [(f.kind, f.profile, f.rows_loaded) for f in report.files] == [
        ("communities", None, 2), ("compounds", None, 3), ("volunteers", None, 3), ("cases", "12345热线工单导出", 87)]
    assert any(m.endswith("columns the profile does not use, ignored: Status") for m in report.files[-1].messages)


def test_personal_data_column_is_dropped_even_when_mapped(db: Path, tmp_path: Path) -> None:
    export = write_csv(tmp_path / "工单导出.csv", hotline_rows(10), "utf-8")
    p = load_profile(HOTLINE_PROFILE)
    p.columns["summary"] = "来电人电话"
    report = load_paths([export], db, today=TODAY, mapping=p)
    (f,) = report.files
    assert (f.rows_loaded, f.rows_skipped, f.rows_rejected) == (6, 1, 3)
    assert any("personal-data columns dropped: 来电人电话" in m for m in f.messages)
    assert rows(db, "SELECT count(*) FROM cases WHERE summary IS NOT NULL") == [(0,)]


def test_saved_profile_recognises_the_same_header_set(db: Path, tmp_path: Path, no_saved_profiles: Path) -> None:
    p = load_profile(HOTLINE_PROFILE)
    p.headers = HOTLINE_HEAD
    (no_saved_profiles / "hotline.toml").write_text(profile_to_toml(p), encoding="utf-8")
    (no_saved_profiles / "broken.toml").write_text("kind = 'nothing'", encoding="utf-8")  # left out, not fatal
    assert mapping.matching_profile(HOTLINE_HEAD).name == "12345热线工单导出"
    assert mapping.matching_profile(list(reversed(HOTLINE_HEAD))).name == "12345热线工单导出"  # a set: order is free
    assert mapping.matching_profile([*HOTLINE_HEAD, "备注"]) is None
    export = write_csv(tmp_path / "十月工单.csv", hotline_rows(100), "utf-8-sig")
    report = load_paths([export], db, today=TODAY)
    (f,) = report.files
    assert (f.profile, f.rows_loaded, f.rows_skipped, f.rows_rejected) == ("12345热线工单导出", 87, 10, 3)
    assert "按映射方案“12345热线工单导出”导入" in f.messages[0]
    # another header set is not recognised: refused as before
    other = hotline_rows(5)
    other[0] = [*HOTLINE_HEAD[:-1], "备注"]
    other_file = write_csv(tmp_path / "其他导出.csv", other, "utf-8")
    assert load_paths([other_file], db, today=TODAY).files[0].status == "refused"
    # a hand-written profile without `headers` recognises any header row holding every header it names
    (no_saved_profiles / "hotline.toml").write_text(HOTLINE_PROFILE, encoding="utf-8")
    assert load_paths([other_file], db, today=TODAY).files[0].profile == "12345热线工单导出"


# --- a volunteer app's service records ------------------------------------------

VOLUNTEER_APP_PROFILE = '''
name = "志愿汇服务记录导出"
kind = "志愿服务记录"

[columns]
volunteer_id = "用户编号"
date = "服务时间"
hours = "服务时长(小时)"
points = "获得积分"
service = "项目名称"

[values.volunteer_id]
"U-001" = "V001"
"U-002" = "V002"
"U-003" = "V003"

[skip]
"审核状态" = ["已驳回", "待审核"]

[dates]
date = ["%b %d, %Y %I:%M %p"]
'''


def test_volunteer_app_export_maps_to_volunteer_hours(db: Path, tmp_path: Path) -> None:
    head = ["用户编号", "姓名", "手机号", "项目名称", "服务时间", "服务时长(小时)", "获得积分", "审核状态"]
    data = [head]
    for i in range(1200):
        user = ["U-001", "U-002", "U-003", "U-009"][i % 4] if i % 100 else "U-009"  # U-009: not in the roster
        status = {5: "已驳回", 6: "待审核"}.get(i % 50, "已通过")
        day = dt.datetime(2024, 3, 1, 9, 30) + dt.timedelta(days=i % 200, hours=i % 10)
        data.append([user, f"志愿者{i}", f"1390000{i:04d}", f"便民服务，第{i}场", f"{day:%b} {day.day:02d}, {day.year} "
                     f"{day.hour % 12 or 12}:{day.minute:02d} {'AM' if day.hour < 12 else 'PM'}", "2.5", "25", status])
    export = write_xlsx(tmp_path / "服务记录.xlsx", {"记录": data})
    (tmp_path / "app.toml").write_text(VOLUNTEER_APP_PROFILE, encoding="utf-8")
    report = load_paths([export], db, today=TODAY, mapping=tmp_path / "app.toml")
    (f,) = report.files
    # 48 skipped (24 rejected by review, 24 pending); of the other 1152 rows, those of U-009 are rejected:
    # i % 4 == 3 (300, of which 288 not skipped) plus i % 100 == 0 with i % 4 != 3 (12, none skipped);
    # V001 (i % 4 == 0) loses the 12 rows i % 100 == 0 and 12 pending rows (i % 50 == 6)
    assert (f.kind, f.profile) == ("volunteer_hours", "志愿汇服务记录导出")
    assert (f.rows_loaded, f.rows_skipped, f.rows_rejected) == (852, 48, 300)
    assert reasons(db) == {"志愿者编号不在志愿者名册中 / unknown volunteer": 300}
    assert rows(db, "SELECT value FROM rejects GROUP BY 1") == [("U-009",)]  # the file's own value
    assert rows(db, "SELECT volunteer_id, count(*) FROM volunteer_hours GROUP BY 1 ORDER BY 1") == [
        ("V001", 276), ("V002", 288), ("V003", 288)]
    assert rows(db, "SELECT CAST(date AS VARCHAR), hours, points, service FROM volunteer_hours "
                    "WHERE service = '便民服务，第1场'") == [("2024-03-02", 2.5, 25.0, "便民服务，第1场")]
    assert any("personal-data columns dropped: 姓名、手机号" in m for m in f.messages)


# --- command line ------------------------------------------------------------------

def etl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_cli_mapping_by_path_and_by_saved_name(db: Path, tmp_path: Path, no_saved_profiles: Path) -> None:
    export = write_csv(tmp_path / "工单导出.csv", hotline_rows(100), "utf-8")
    profile = tmp_path / "hotline.toml"
    profile.write_text(HOTLINE_PROFILE, encoding="utf-8")
    out = etl("load", "--mapping", str(profile), str(export), "--db", str(db))
    assert out.returncode == 1, out.stderr  # loaded, three rows rejected
    assert "按映射方案“12345热线工单导出”导入" in out.stdout and "按映射方案跳过 10 行" in out.stdout
    assert rows(db, "SELECT count(*) FROM cases") == [(87,)]
    # by the name of a saved profile: the English-status variant, on a file of its own
    (no_saved_profiles / "english.toml").write_text(ENGLISH_STATUS_PROFILE, encoding="utf-8")
    clean = [r for r in hotline_rows(100) if r[0] not in ("GD2024000001", "GD2024000003", "GD2024000007")]
    export2 = write_csv(tmp_path / "工单导出2.csv", clean, "utf-8")
    out = etl("load", "--mapping", "12345热线工单导出（英文状态）", str(export2), "--db", str(db))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "按映射方案“12345热线工单导出（英文状态）”导入" in out.stdout
    # an unknown profile, an invalid one: usage errors, nothing loaded
    out = etl("load", "--mapping", "没有这个方案", str(export), "--db", str(db))
    assert out.returncode == 2 and "找不到映射方案“没有这个方案”" in out.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(ISSUE_PROFILE.replace('kind = "cases"', 'kind = "工单"'), encoding="utf-8")
    out = etl("load", "--mapping", str(bad), str(export), "--db", str(db))
    assert out.returncode == 2 and "未知的台账种类“工单”" in out.stderr
    assert "--mapping" in etl("load", "--help").stdout
