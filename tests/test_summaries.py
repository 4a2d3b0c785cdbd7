"""Summary tables (etl/summaries.py) equal a full recomputation from the fact tables after every change.

A seeded random sequence of loads (hour and redemption ledgers, roster versions that move volunteers between
communities, add and drop them), reloads and withdrawals (taking a batch back and putting it back) is applied
to a small warehouse through the real loader; after each step every summary table is compared with the same
aggregates computed here in pandas from the fact tables as they are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl import schema
from etl.loader import WithdrawRefused, load_paths, withdraw
from etl.warehouse import schema_is_current, upgrade_schema
from tests.ledgers import write_csv, write_rosters

TODAY = dt.date(2026, 11, 28)
IDS = [f"V{n:03d}" for n in range(1, 9)]  # V001–V003 are in the first roster (tests/ledgers.py)
COMMUNITIES = ["南湾社区", "凤亭社区"]


def frames(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t}").df()
                for t in ("volunteers", "volunteer_hours", "redemptions", *schema.SUMMARY_TABLES)}
    finally:
        con.close()


def _month(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.to_period("M").dt.to_timestamp()


def expected(f: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The summaries recomputed in pandas from their definitions (etl/summaries.py docstring)."""
    roster = f["volunteers"][["volunteer_id", "community"]]
    people = f["volunteers"][["volunteer_id", "joined_on", "party_member"]]
    h = f["volunteer_hours"].merge(roster, on="volunteer_id")  # rows of unknown volunteers are left out
    h["month"] = _month(h["date"])
    h["pos"] = h["hours"] > 0
    vm = h.groupby(["volunteer_id", "community", "month"]).agg(
        hours=("hours", "sum"), points=("points", lambda s: s.sum(min_count=1)), active=("pos", "any"),
        records=("hours", "size")).reset_index()
    vm = vm.merge(people, on="volunteer_id", how="left")
    vm["party"] = vm.pop("party_member").fillna(False).astype(bool)
    first = vm[vm["active"]].groupby(["volunteer_id", "community"])["month"].min().rename("first_month").reset_index()
    hm = h.groupby(["community", "month"]).agg(hours=("hours", "sum"),
                                               points=("points", lambda s: s.sum(min_count=1))).reset_index()
    r = f["redemptions"].merge(roster, on="volunteer_id")
    r["month"] = _month(r["date"])
    rm = r.groupby(["community", "month"])["points"].sum().rename("redeemed").reset_index()
    cm = hm.merge(rm, on=["community", "month"], how="outer")
    spans = []
    act = vm[vm["active"]]
    for grain, months in (("month", 1), ("quarter", 3)):
        a = act.assign(start=act["month"].dt.to_period("M" if grain == "month" else "Q").dt.to_timestamp())
        a = a.drop_duplicates(["volunteer_id", "start"])
        end = a["start"] + pd.DateOffset(months=months) - pd.Timedelta(days=1)
        a = a.assign(reg=a["joined_on"].isna() | (pd.to_datetime(a["joined_on"]) <= end),
                     prev=a["start"] - pd.DateOffset(months=months))
        seen = set(zip(a["volunteer_id"], a["start"], strict=True))
        a["kept"] = [(v, p) in seen for v, p in zip(a["volunteer_id"], a["prev"], strict=True)]
        g = a.groupby(["community", "start"]).agg(active=("volunteer_id", "size"), active_registered=("reg", "sum"),
                                                  active_party=("party", "sum"), retained=("kept", "sum"))
        spans.append(g.reset_index().assign(grain=grain))
    ca = pd.concat(spans, ignore_index=True)
    team = f["volunteers"][["volunteer_id", "team"]]
    t = h.merge(people, on="volunteer_id").merge(team, on="volunteer_id")
    t["team"] = t["team"].str.strip().replace("", None)
    t["service"] = t["service"].str.strip().replace("", None)
    t["party"] = t["party_member"].fillna(False).astype(bool)
    t["act"] = t["volunteer_id"].where(t["pos"])
    t["party_act"] = t["volunteer_id"].where(t["pos"] & t["party"])
    teams = []
    for grain in ("month", "quarter"):
        g = t.assign(start=t["month"].dt.to_period("M" if grain == "month" else "Q").dt.to_timestamp())
        for all_services, keys in ((False, ["community", "start", "team", "service"]),
                                   (True, ["community", "start", "team"])):
            agg = g.groupby(keys, dropna=False).agg(
                records=("hours", "size"), volunteers=("volunteer_id", "nunique"), active=("act", "nunique"),
                party_active=("party_act", "nunique"), hours=("hours", "sum"),
                points=("points", lambda s: s.sum(min_count=1))).reset_index()
            teams.append(agg.assign(grain=grain, all_services=all_services))
    ts = pd.concat(teams, ignore_index=True)
    ts["service"] = ts["service"].where(~ts["all_services"], None)
    every = f["volunteer_hours"]  # the link counts every hours row naming an activity id, roster or not
    every = every[every["activity_id"].notna()].assign(month=lambda d: _month(d["date"]))
    link = every.groupby(["activity_id", "month"]).size().rename("records").reset_index()
    return {"summary_volunteer_month": vm, "summary_volunteer_first": first, "summary_community_month": cm,
            "summary_community_active": ca, "summary_team_span": ts, "summary_hours_link": link}


def _canon(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if "month" in c or c in ("joined_on", "start"):
            df[c] = pd.to_datetime(df[c])
        elif c in ("active", "party") and "grain" not in df or c == "all_services":
            df[c] = df[c].astype(bool)
        elif c in ("hours", "points", "redeemed", "records", "active_registered", "active_party", "retained",
                   "volunteers", "party_active") or (c == "active" and "grain" in df):
            df[c] = df[c].astype("float64")
        else:
            df[c] = df[c].astype(str)
    return df.sort_values(keys).reset_index(drop=True)


KEYS = {"summary_volunteer_month": ["volunteer_id", "month"], "summary_volunteer_first": ["volunteer_id"],
        "summary_community_month": ["community", "month"],
        "summary_community_active": ["grain", "community", "start"],
        "summary_team_span": ["grain", "community", "start", "all_services", "team", "service"],
        "summary_hours_link": ["activity_id", "month"]}


def assert_summaries_exact(db: Path, step: str) -> None:
    f = frames(db)
    want = expected(f)
    for t in schema.SUMMARY_TABLES:
        got = _canon(f[t], KEYS[t])
        exp = _canon(want[t], KEYS[t])[list(got.columns)]
        assert len(got) == len(exp), f"{step}: {t} has {len(got)} rows, recomputation {len(exp)}"
        pd.testing.assert_frame_equal(got, exp, check_dtype=False, rtol=1e-12, obj=f"{step}: {t}")


def _hours_file(path: Path, rng: random.Random) -> Path:
    rows = [["志愿者编号", "日期", "时长", "积分", "服务内容", "活动编号"]]
    for _ in range(rng.randint(1, 12)):
        d = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 540))
        hours = rng.choice(["0", "0.5", "1", "2", "3.5"])
        points = rng.choice(["", "5", "10", "12.5"])
        service = rng.choice(["", "助老", " 助老 ", "环境整治"])
        activity = rng.choice(["", "", "A-1", "A-2", "A-3"])  # a few ids: their months gain and lose rows
        rows.append([rng.choice([*IDS, "V099"]), d.isoformat(), hours, points, service, activity])
    return write_csv(path, rows)


def _redemptions_file(path: Path, rng: random.Random) -> Path:
    rows = [["志愿者编号", "日期", "兑换积分", "兑换物品"]]
    for _ in range(rng.randint(1, 6)):
        d = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 540))
        rows.append([rng.choice(IDS), d.isoformat(), rng.choice(["5", "10", "20"]), rng.choice(["大米", "毛巾×2"])])
    return write_csv(path, rows)


def _roster_file(path: Path, rng: random.Random) -> Path:
    rows = [["志愿者编号", "社区", "加入日期", "是否党员", "服务队"]]
    for v in rng.sample(IDS, rng.randint(1, len(IDS))):
        joined = rng.choice(["", "2023-01-01", "2024-06-15", "2025-02-01"])
        rows.append([v, rng.choice(COMMUNITIES), joined, rng.choice(["是", "否", ""]),
                     rng.choice(["便民服务队", " 便民服务队", "", "平安巡逻队"])])
    return write_csv(path, rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summaries_equal_a_recomputation_after_random_loads_updates_and_withdrawals(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), db, today=TODAY).exit_code == 0
    assert_summaries_exact(db, "rosters")
    loads: list[str] = []  # load batches in effect or withdrawn
    withdrawals: list[str] = []
    files: dict[str, Path] = {}
    moves = 0
    for step in range(14):
        what = rng.choice(["hours", "hours", "redemptions", "more redemptions", "roster", "reload", "withdraw",
                           "put back"])
        name = f"{step}-{what}"
        if what == "more redemptions":  # a new ledger: rows only added (etl/summaries.py `_add_redeemed`)
            report = load_paths([_redemptions_file(tmp_path / f"redemptions-{step}.csv", rng)], db, today=TODAY)
            loads += [b for fr in report.files for b in fr.batch_ids]
        elif what in ("hours", "redemptions", "roster"):
            # the same file name again is a second version of that ledger
            fname = rng.choice([f"{what}-a.csv", f"{what}-b.csv"])
            make = {"hours": _hours_file, "redemptions": _redemptions_file, "roster": _roster_file}[what]
            path = make(tmp_path / fname, rng)
            files[fname] = path
            before = frames(db)["volunteers"].set_index("volunteer_id")["community"]
            report = load_paths([path], db, today=TODAY)
            loads += [b for fr in report.files for b in fr.batch_ids]
            after = frames(db)["volunteers"].set_index("volunteer_id")["community"]
            moves += int((before.reindex(after.index) != after).sum())
        elif what == "reload" and files:  # a byte-identical file is refused; a copy with one more row is not
            fname = rng.choice(sorted(files))
            kind = fname.split("-")[0]
            make = {"hours": _hours_file, "redemptions": _redemptions_file, "roster": _roster_file}[kind]
            extra = make(tmp_path / "extra.csv", rng).read_text(encoding="utf-8").splitlines()[1:]
            files[fname].write_text(files[fname].read_text(encoding="utf-8") + "\n".join(extra) + "\n",
                                    encoding="utf-8")
            report = load_paths([files[fname]], db, today=TODAY)
            loads += [b for fr in report.files for b in fr.batch_ids]
        elif what == "withdraw" and loads:
            with contextlib.suppress(WithdrawRefused):
                withdrawals.append(withdraw(db, rng.choice(loads)).batch_id)
        elif what == "put back" and withdrawals:
            with contextlib.suppress(WithdrawRefused):
                withdrawals.append(withdraw(db, withdrawals[-1]).batch_id)
        assert_summaries_exact(db, name)
    assert loads, "the sequence loaded something"


def test_a_volunteer_moving_community_moves_all_their_months(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), db, today=TODAY).exit_code == 0
    hours = write_csv(tmp_path / "h.csv", [["志愿者编号", "日期", "时长", "积分"], ["V001", "2024-01-05", "2", "10"],
                                           ["V001", "2024-03-05", "1", "5"], ["V003", "2024-03-06", "1", ""]])
    assert load_paths([hours], db, today=TODAY).exit_code == 0
    moved = write_csv(tmp_path / "v.csv", [["志愿者编号", "社区"], ["V001", "凤亭社区"]])
    report = load_paths([moved], db, today=TODAY)
    assert report.exit_code == 0
    cm = frames(db)["summary_community_month"].sort_values(["community", "month"])
    assert [(c, str(m)[:7], h) for c, m, h in zip(cm["community"], cm["month"], cm["hours"], strict=True)] == [
        ("凤亭社区", "2024-01", 2.0), ("凤亭社区", "2024-03", 2.0)]
    assert_summaries_exact(db, "moved")
    withdraw(db, report.files[0].batch_ids[0])
    cm = frames(db)["summary_community_month"].sort_values(["community", "month"])
    assert [(c, str(m)[:7], h) for c, m, h in zip(cm["community"], cm["month"], cm["hours"], strict=True)] == [
        ("凤亭社区", "2024-03", 1.0), ("南湾社区", "2024-01", 2.0), ("南湾社区", "2024-03", 1.0)]
    assert_summaries_exact(db, "withdrawn")


def test_a_redemptions_upload_adds_its_points_to_the_months_it_touches(tmp_path: Path) -> None:
    """An upload that only adds redemption rows adds their sum to each touched community × month (no recount of
    the month); a later version of that ledger, replacing rows, recounts. Worked out by hand."""
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), db, today=TODAY).exit_code == 0
    head = ["志愿者编号", "日期", "兑换积分", "兑换物品"]
    hours = write_csv(tmp_path / "h.csv", [["志愿者编号", "日期", "时长", "积分"], ["V001", "2024-01-05", "2", "10"]])
    first = write_csv(tmp_path / "r1.csv", [head, ["V002", "2024-01-09", "5", "大米"], ["V003", "2024-02-01", "20", "毛巾"]])
    for path in (hours, first):
        assert load_paths([path], db, today=TODAY).exit_code == 0

    def redeemed() -> list[tuple]:
        cm = frames(db)["summary_community_month"].sort_values(["community", "month"])
        return [(c, str(m)[:7], None if pd.isna(h) else h, None if pd.isna(r) else r)
                for c, m, h, r in zip(cm["community"], cm["month"], cm["hours"], cm["redeemed"], strict=True)]

    assert redeemed() == [("凤亭社区", "2024-02", None, 20.0), ("南湾社区", "2024-01", 2.0, 5.0)]
    # a second ledger: Jan (南湾, with hours and redemptions) gains 10 + 2.5, Mar (凤亭) is new
    second = write_csv(tmp_path / "r2.csv", [head, ["V001", "2024-01-20", "10", "大米"],
                                             ["V002", "2024-01-21", "2.5", "香皂"], ["V003", "2024-03-02", "4", "毛巾"]])
    assert load_paths([second], db, today=TODAY).exit_code == 0
    assert redeemed() == [("凤亭社区", "2024-02", None, 20.0), ("凤亭社区", "2024-03", None, 4.0),
                          ("南湾社区", "2024-01", 2.0, 17.5)]
    assert_summaries_exact(db, "added")
    # a later version of the second ledger (one row more) replaces its rows: the touched months are recounted
    again = write_csv(tmp_path / "r2.csv", [head, ["V001", "2024-01-20", "10", "大米"],
                                            ["V002", "2024-01-21", "2.5", "香皂"], ["V003", "2024-03-02", "4", "毛巾"],
                                            ["V002", "2024-01-25", "1", "香皂"]])
    assert load_paths([again], db, today=TODAY).exit_code == 0
    assert redeemed() == [("凤亭社区", "2024-02", None, 20.0), ("凤亭社区", "2024-03", None, 4.0),
                          ("南湾社区", "2024-01", 2.0, 18.5)]
    assert_summaries_exact(db, "replaced")


def test_an_older_warehouse_gets_its_summaries_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert load_paths(write_rosters(tmp_path / "rosters"), db, today=TODAY).exit_code == 0
    hours = write_csv(tmp_path / "h.csv", [["志愿者编号", "日期", "时长"], ["V002", "2024-02-05", "2"]])
    assert load_paths([hours], db, today=TODAY).exit_code == 0
    con = duckdb.connect(str(db))  # as an older version left it: no summaries at all
    for t in schema.SUMMARY_TABLES:
        con.execute(f"DROP TABLE {t}")
    con.execute("DELETE FROM meta WHERE key = 'summaries'")
    con.close()
    assert not schema_is_current(db)
    assert upgrade_schema(db)
    assert schema_is_current(db)
    assert_summaries_exact(db, "upgraded")
    assert len(frames(db)["summary_volunteer_month"]) == 1
    # an older warehouse's first load (no upgrade in between) rebuilds them too
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM summary_volunteer_month")
    con.execute("DELETE FROM meta WHERE key = 'summaries'")
    con.close()
    more = write_csv(tmp_path / "h2.csv", [["志愿者编号", "日期", "时长"], ["V003", "2024-05-05", "1"]])
    assert load_paths([more], db, today=TODAY).exit_code == 0
    assert_summaries_exact(db, "loaded")
    assert len(frames(db)["summary_volunteer_month"]) == 2
    np.testing.assert_equal(sorted(frames(db)["summary_volunteer_first"]["volunteer_id"]), ["V002", "V003"])
