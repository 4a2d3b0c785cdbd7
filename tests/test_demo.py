"""The demo ledgers (the demo package): files, determinism, scaling, and the warehouse they load into.

The default demo is the session's (conftest.demo_build: write + load through etl.loader, once per
test session); every assertion reads its files and warehouse read-only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

import demo
from etl import warehouse
from etl.contract import KIND_BY_NAME, PILLARS

ARTICLE = dt.date(2024, 2, 23)
START, END = dt.date(2021, 7, 1), dt.date(2026, 9, 30)
SPORTS_TYPES = {"烹饪教学", "清洁家园", "公益轮滑", "水上运动"}
REPAIR_TYPES = ("水电燃气维修", "安装晾衣架")
PERSONAL_VALUES = ("演示居民", "13800000")


def zh(kind: str) -> list[str]:
    return [f.zh for f in KIND_BY_NAME[kind].fields]


@pytest.fixture(scope="module")
def built(demo_build):
    """(LoadReport, warehouse, ledger folder) of the default demo, shared with the other test modules."""
    return demo_build


@pytest.fixture(scope="module")
def con(built):
    c = warehouse.open_read_only(built[1])  # as every other reader of the shared demo opens it
    yield c
    c.close()


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()


# --- the load ---------------------------------------------------------------------------------------

def test_default_demo_loads_without_rejects(built):
    report = built[0]
    problems = [(f.file_name, f.status, f.messages, f.rejects[:3]) for f in report.files
                if f.status != "loaded" or f.rows_rejected]
    assert report.exit_code == 0, problems
    assert not problems
    assert len(report.files) >= 10


def test_meta_says_demo(con):
    assert one(con, "SELECT value FROM meta WHERE key = 'dataset'") == ("demo",)
    assert one(con, "SELECT count(*) FROM rejects") == (0,)


def test_sizes_of_the_default_demo(con):
    n = {t: one(con, f"SELECT count(*) FROM {t}")[0]
         for t in ("communities", "compounds", "activities", "cases", "volunteers", "volunteer_hours", "redemptions")}
    assert n["communities"] == 6
    assert 18 <= n["compounds"] <= 36
    assert 15_000 <= n["activities"] <= 30_000
    assert 8_000 <= n["cases"] <= 20_000
    assert 1_000 <= n["volunteers"] <= 2_000
    assert 50_000 <= n["volunteer_hours"] <= 150_000
    assert n["redemptions"] > 1_000


# --- the article (南湾社区, 2024-02-23) ------------------------------------------------------------

def test_nanwan_roster(con):
    assert one(con, "SELECT street, households, founded FROM communities WHERE name = '南湾社区'") == ("沌阳街道", 5017, 2021)
    compounds = dict(con.execute("SELECT name, households FROM compounds WHERE community = '南湾社区'").fetchall())
    assert "东风凤凰城" in compounds and 3 <= len(compounds) <= 6
    assert sum(compounds.values()) == 5017


def test_fifteen_partner_activities_with_450_participants(con):
    n, people, types = one(
        con,
        "SELECT count(*), sum(participants), list(DISTINCT activity_type) FROM activities "
        "WHERE community = '南湾社区' AND partner = '武汉商学院体育学院' AND date <= ?",
        ARTICLE,
    )
    assert (n, people) == (15, 450)
    assert set(types) <= SPORTS_TYPES
    pillars = {r[0] for r in con.execute(
        "SELECT DISTINCT pillar FROM activities WHERE partner = '武汉商学院体育学院'").fetchall()}
    assert pillars == {"联动联建"}
    later = one(con, "SELECT count(*) FROM activities WHERE community = '南湾社区' AND partner = '武汉商学院体育学院' "
                     "AND date > ?", ARTICLE)[0]
    assert later > 0


def test_ten_odd_problems_solved_at_the_deliberation_meetings(con):
    rows = con.execute(
        "SELECT category FROM cases WHERE community = '南湾社区' AND source = '议事协商会' AND status = '已办结' "
        "AND closed_on <= ?", [ARTICLE]).fetchall()
    assert 10 <= len(rows) < 20  # "10余件"
    assert {"晾晒", "房屋漏水", "人车分流"} <= {r[0] for r in rows}
    # each was raised at a 议事协商会 held that day
    unmatched = one(con, """
        SELECT count(*) FROM cases c WHERE c.community = '南湾社区' AND c.source = '议事协商会' AND NOT EXISTS (
            SELECT 1 FROM activities a WHERE a.community = c.community AND a.activity_type = '议事协商会'
            AND a.date = c.opened_on)""")[0]
    assert unmatched == 0


def test_home_repairs_for_elderly_with_xuefeng(con):
    n, titled = one(con, """
        SELECT count(*), count(*) FILTER (WHERE (title || coalesce(note, '')) SIMILAR TO '.*(独居|空巢).*')
        FROM activities WHERE community = '南湾社区' AND activity_type IN (?, ?) AND partner = '薛锋综合'
        AND date <= ?""", *REPAIR_TYPES, ARTICLE)
    assert n > 0 and titled == n
    types = {r[0] for r in con.execute(
        "SELECT DISTINCT activity_type FROM activities WHERE partner = '薛锋综合'").fetchall()}
    assert types == set(REPAIR_TYPES)


def test_convenience_services(con):
    rows = dict(con.execute("""
        SELECT activity_type, sum(services) FROM activities
        WHERE community = '南湾社区' AND pillar = '志愿服务' AND date <= ? AND activity_type IN ('铲刀磨剪', '缝纫修鞋', '理发')
        GROUP BY 1""", [ARTICLE]).fetchall())
    assert set(rows) == {"铲刀磨剪", "缝纫修鞋", "理发"}
    assert all(v > 0 for v in rows.values())


def test_points_and_love_cabinet(con):
    earned = one(con, """SELECT sum(h.points) FROM volunteer_hours h JOIN volunteers v USING (volunteer_id)
                         WHERE v.community = '南湾社区' AND h.date <= ?""", ARTICLE)[0]
    redeemed = one(con, """SELECT sum(r.points), count(DISTINCT r.item) FROM redemptions r
                           JOIN volunteers v USING (volunteer_id) WHERE v.community = '南湾社区' AND r.date <= ?""",
                   ARTICLE)
    assert earned > 0 and 0 < redeemed[0] < earned and redeemed[1] >= 3


def test_knock_on_doors_every_quarter_in_every_community(con):
    rows = con.execute("""
        SELECT c.name, greatest(?, CASE WHEN c.name = '南湾社区' THEN DATE '2021-07-01'
                                   ELSE make_date(c.founded, 1, 1) END) AS since, c.households
        FROM communities c""", [START]).fetchall()
    coverages = []
    for name, since, households in rows:
        got = dict(con.execute("""
            SELECT date_trunc('quarter', date)::DATE, sum(households_visited) FROM activities
            WHERE community = ? AND activity_type = '敲门入户' GROUP BY 1""", [name]).fetchall())
        q = dt.date(since.year, (since.month - 1) // 3 * 3 + 1, 1)
        expected = []
        while q <= END:
            expected.append(q)
            q = dt.date(q.year + (q.month == 10), (q.month + 2) % 12 + 1, 1)
        assert sorted(got) == expected, name
        coverages += [v / households for v in got.values()]
    assert min(coverages) >= 0.59 and max(coverages) <= 1.0
    assert max(coverages) - min(coverages) > 0.2  # varies by community and quarter


# --- content ----------------------------------------------------------------------------------------

def test_all_dates_inside_the_period(con):
    checks = [("activities", "date"), ("cases", "opened_on"), ("cases", "closed_on"), ("volunteers", "joined_on"),
              ("volunteer_hours", "date"), ("redemptions", "date")]
    for table, col in checks:
        lo, hi = one(con, f"SELECT min({col}), max({col}) FROM {table}")
        assert lo >= START and hi <= END, (table, col, lo, hi)


def test_vocabularies_and_pillars(con):
    assert {r[0] for r in con.execute("SELECT DISTINCT pillar FROM activities").fetchall()} == set(PILLARS)
    cats = {r[0] for r in con.execute("SELECT DISTINCT kind || '/' || category FROM cases").fetchall()}
    for c in ("居民诉求/晾晒", "居民诉求/房屋漏水", "居民诉求/人车分流", "居民诉求/噪音扰民", "矛盾纠纷/邻里纠纷",
              "矛盾纠纷/租赁纠纷", "安全隐患/消防通道堵塞", "安全隐患/电动车违规充电", "安全隐患/高空坠物"):
        assert c in cats
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM cases").fetchall()}
    assert sources == {"议事协商会", "敲门入户", "网格巡查", "12345热线", "居民来访"}
    statuses = dict(con.execute("SELECT status, count(*) FROM cases GROUP BY 1").fetchall())
    assert set(statuses) == {"已办结", "办理中", "已转办"}
    assert one(con, "SELECT count(*) FROM cases WHERE outcome IS NOT NULL AND kind <> '矛盾纠纷'") == (0,)
    outcomes = dict(con.execute("SELECT outcome, count(*) FROM cases WHERE outcome IS NOT NULL GROUP BY 1").fetchall())
    assert outcomes["调解成功"] > outcomes["调解不成功"] > 0 and outcomes["转交"] > 0
    sat = dict(con.execute("SELECT satisfaction, count(*) FROM cases WHERE satisfaction IS NOT NULL GROUP BY 1").fetchall())
    assert set(sat) == {1, 2, 3, 4, 5} and sat[4] + sat[5] > 0.7 * sum(sat.values())


def test_case_durations_and_backlog(con):
    over30, over90, open_at_end = one(con, """
        SELECT count(*) FILTER (WHERE closed_on - opened_on > 30), count(*) FILTER (WHERE closed_on - opened_on > 90),
               count(*) FILTER (WHERE closed_on IS NULL) FROM cases""")
    assert over30 > 100 and over90 > 5 and open_at_end > 20
    recent = one(con, "SELECT count(*) FROM cases WHERE closed_on IS NULL AND opened_on > DATE '2026-06-30'")[0]
    assert recent > open_at_end / 2  # the backlog sits near the end


def test_volunteers_churn_and_never_overdraw(con):
    retention = one(con, """
        WITH a AS (SELECT DISTINCT volunteer_id, date_trunc('quarter', date) AS q FROM volunteer_hours)
        SELECT count(y.volunteer_id) / count(*) FROM a x LEFT JOIN a y
            ON y.volunteer_id = x.volunteer_id AND y.q = x.q + INTERVAL 3 MONTH
        WHERE x.q < DATE '2026-07-01'""")[0]
    assert 0.6 < retention < 0.99
    assert one(con, """SELECT count(*) FROM volunteer_hours h JOIN volunteers v USING (volunteer_id)
                       WHERE h.date < v.joined_on""") == (0,)
    overdrawn = one(con, """
        WITH ev AS (SELECT volunteer_id, date, points AS e, 0 AS s FROM volunteer_hours
                    UNION ALL SELECT volunteer_id, date, 0, points FROM redemptions),
             d AS (SELECT volunteer_id, date, sum(e) AS e, sum(s) AS s FROM ev GROUP BY ALL),
             c AS (SELECT sum(e) OVER w AS ce, sum(s) OVER w AS cs FROM d
                   WINDOW w AS (PARTITION BY volunteer_id ORDER BY date))
        SELECT count(*) FROM c WHERE cs > ce""")[0]
    assert overdrawn == 0
    linked = one(con, """SELECT count(*) FROM volunteer_hours h JOIN volunteers v USING (volunteer_id)
                         JOIN activities a USING (activity_id) WHERE a.community <> v.community OR a.date <> h.date""")
    assert linked == (0,)


def test_seasons_growth_and_community_differences(con):
    by_month = dict(con.execute("SELECT month(date), count(*) FROM activities GROUP BY 1").fetchall())
    assert by_month[2] < by_month[1] and by_month[2] < by_month[3]  # Spring Festival dip, 学雷锋 in March
    assert by_month[8] < by_month[10]  # summer heat vs National Day
    by_year = dict(con.execute("SELECT year(date), count(*) FROM activities GROUP BY 1").fetchall())
    assert by_year[2025] > by_year[2022]
    per_household = [r[0] for r in con.execute("""
        SELECT count(*) / any_value(c.households) FROM activities a JOIN communities c ON c.name = a.community
        GROUP BY a.community""").fetchall()]
    assert max(per_household) > 1.3 * min(per_household)


def test_no_personal_data_in_the_warehouse(con, built):
    report = built[0]
    dropped = [m for f in report.files for m in f.messages if "姓名" in m and "联系电话" in m]
    assert dropped, "the file with personal columns should report them dropped"
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
    for table, column in columns:
        assert column not in ("姓名", "联系电话", "name_", "phone")
        for value in (*PERSONAL_VALUES, "13912345678"):
            n = one(con, f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)', value)[0]
            assert n == 0, (table, column, value)
    assert one(con, "SELECT count(*) FROM cases WHERE summary LIKE '%139****5678%'")[0] >= 2


# --- the files --------------------------------------------------------------------------------------

def test_file_mix(built):
    ledgers = built[2]
    files = sorted(ledgers.iterdir())
    assert all("演示" in p.name for p in files)
    csvs = [p for p in files if p.suffix == ".csv"]
    xlsx = [p for p in files if p.suffix == ".xlsx"]
    assert csvs and xlsx
    gbk = [p for p in csvs if not p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert gbk and all(p not in gbk for p in csvs if p.read_bytes().startswith(b"\xef\xbb\xbf"))
    for p in gbk:
        raw = p.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        raw.decode("gb18030")


def test_headers_are_the_contract_headers(built):
    allowed = {h for k in KIND_BY_NAME for h in zh(k)} | {"姓名", "联系电话"}
    for p in built[2].glob("*.csv"):
        raw = p.read_bytes()
        text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
        header = text.splitlines()[0].split(",")
        assert set(header) <= allowed, p.name


def test_workbook_with_title_row_and_year_sheets(built):
    p = next(built[2].glob("南湾社区活动台账*.xlsx"))
    wb = load_workbook(p)
    years = [s for s in wb.sheetnames if s.endswith("年")]
    assert len(years) >= 5
    ws = wb[years[0]]
    assert ws["A1"].value == "沌阳街道南湾社区活动台账（演示数据）"
    assert any(str(r.coord).startswith("A1:") for r in ws.merged_cells.ranges)
    assert "填报单位：" in ws["A2"].value and "填报日期：" in ws["A2"].value
    header = [c.value for c in ws[3]]
    assert set(header) <= set(zh("activities")) and "活动编号" in header


def test_a_ledger_without_activity_numbers(built):
    p = next(built[2].glob("活动台账_未填编号*.csv"))
    df = pd.read_csv(p, encoding="gb18030", dtype=str)
    assert "活动编号" in df.columns and df["活动编号"].isna().all() and len(df) > 100


def test_party_prefix_is_written_in_some_rows(built):
    df = pd.read_csv(next(built[2].glob("各社区活动台账*.csv")), encoding="utf-8-sig", dtype=str)
    prefixed = df["板块"].str.startswith("党建+")
    assert 0.05 < prefixed.mean() < 0.5


def _snapshot(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix == ".csv":
            out[p.name] = p.read_bytes()
        else:
            wb = load_workbook(p)
            out[p.name] = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    return out


def test_same_seed_same_files(built, tmp_path):
    demo.write_demo_ledgers(tmp_path / "again")
    assert _snapshot(tmp_path / "again") == _snapshot(built[2])


def test_other_seed_other_data_same_article(tmp_path):
    a = demo.write_demo_ledgers(tmp_path / "a", communities=2, seed=1)
    b = demo.write_demo_ledgers(tmp_path / "b", communities=2, seed=2)
    assert [p.name for p in a] == [p.name for p in b]
    cases = [pd.read_csv(next(d.glob("诉求与纠纷台账*.csv")), encoding="utf-8-sig", dtype=str) for d in (tmp_path / "a", tmp_path / "b")]
    assert not cases[0].equals(cases[1])
    for d in (tmp_path / "a", tmp_path / "b"):
        wb = load_workbook(next(d.glob("南湾社区活动台账*.xlsx")), read_only=True)
        rows = [r for ws in wb.worksheets if ws.title.endswith("年") for r in ws.iter_rows(min_row=4, values_only=True)]
        partner = [r for r in rows if r[7] == "武汉商学院体育学院" and r[1] is not None and r[1].date() <= ARTICLE]
        assert len(partner) == 15 and sum(r[8] for r in partner) == 450


def _rows(folder: Path) -> int:
    n = 0
    for p in folder.iterdir():
        if p.suffix == ".csv":
            n += p.read_bytes().count(b"\n") - 1
        else:
            wb = load_workbook(p, read_only=True)
            n += sum(ws.max_row for ws in wb.worksheets)
    return n


def test_scaling_parameters(tmp_path):
    small = demo.write_demo_ledgers(tmp_path / "small", communities=2, years=1)
    more = demo.write_demo_ledgers(tmp_path / "more", communities=8, years=1)
    longer = demo.write_demo_ledgers(tmp_path / "longer", communities=2, years=3)
    assert small and more and longer
    n_small, n_more, n_longer = (_rows(tmp_path / d) for d in ("small", "more", "longer"))
    assert n_more > 2.5 * n_small and n_longer > 2 * n_small
    names = pd.read_excel(next((tmp_path / "more").glob("沌阳街道社区名册*.xlsx")))["社区"].tolist()
    assert names[0] == "南湾社区" and len(names) == len(set(names)) == 8
    assert all(n.endswith("（演示）") for n in names[1:])
    hours = pd.concat(pd.read_csv(p, encoding="utf-8-sig", dtype=str) for p in (tmp_path / "longer").glob("志愿服务记录_*.csv"))
    assert hours["日期"].min() >= "2023-10-01" and hours["日期"].max() <= "2026-09-30"


def test_period():
    assert demo.demo_period() == (START, END)
    assert demo.demo_period(years=20) == (dt.date(2006, 10, 1), END)
    assert demo.demo_period(end=dt.date(2999, 1, 1))[1] == dt.date.today()


def test_rewriting_clears_old_demo_files_only(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "旧台账（演示）.csv").write_text("x", encoding="utf-8")
    (out / "notes.txt").write_text("keep", encoding="utf-8")
    demo.write_demo_ledgers(out, communities=1, years=1)
    assert not (out / "旧台账（演示）.csv").exists() and (out / "notes.txt").exists()


def test_rebuild_replaces_the_demo_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    assert demo.build_demo(db, out_dir=tmp_path / "l", communities=3, years=1).exit_code == 0
    assert demo.build_demo(db, out_dir=tmp_path / "l", communities=1, years=1).exit_code == 0
    c = duckdb.connect(str(db), read_only=True)
    try:
        assert one(c, "SELECT count(*) FROM communities") == (1,)
        assert one(c, "SELECT count(DISTINCT community) FROM activities") == (1,)
    finally:
        c.close()
    # no build files are left beside it; the lock file stays, as after every load
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["w.duckdb", "w.duckdb.lock"]


def test_refuses_to_replace_a_real_warehouse(tmp_path):
    from etl.loader import load_paths

    paths = demo.write_demo_ledgers(tmp_path / "l", communities=1, years=1)
    db = tmp_path / "real.duckdb"
    assert load_paths(paths[:1], db).exit_code == 0  # loaded as ordinary data, not as the demo
    with pytest.raises(demo.NotADemoWarehouse):
        demo.build_demo(db, out_dir=tmp_path / "l2", communities=1, years=1)
