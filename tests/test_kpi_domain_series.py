"""The domain pages' series and detail functions (kpi/<domain>.py), each computed a second way.

Every function is checked against plain pandas on the raw rows of a small
generated warehouse (tests/factories.py) and against the catalogue KPIs it
must add up to (sum over categories == the period KPI, and so on).
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

import kpi
from kpi import Filters, disputes, engagement, issues, safety, services, volunteers
from kpi.series import month_periods
from kpi.targets import Targets
from tests.factories import build, random_frames, scope_activities, scope_communities

TARGETS = Targets(sla_default_days=30, sla_days={"房屋漏水": 45, "人车分流": 10})
SOURCES = ["议事协商会", "敲门入户", "网格巡查", "12345热线", "居民来访", None]
TEAMS = ["能工巧匠红色服务队", "便民服务队", "平安巡逻队", None]
ITEMS = ["毛巾", "毛巾×3", "大米x2", "洗衣液 ×2", "食用油", None]


@functools.cache
def _warehouse(seed: int):
    """A random warehouse with the columns the factory leaves constant made varied (source, team, item,
    activity links of the hour rows)."""
    frames = random_frames(seed, communities=3, activities=700, cases=900, volunteers=60, hours=900)
    rng = np.random.default_rng(seed + 100)
    frames["cases"]["source"] = [SOURCES[i] for i in rng.integers(0, len(SOURCES), len(frames["cases"]))]
    frames["volunteers"]["team"] = [TEAMS[i] for i in rng.integers(0, len(TEAMS), len(frames["volunteers"]))]
    red = frames["redemptions"]
    red["item"] = [ITEMS[i] for i in rng.integers(0, len(ITEMS), len(red))]
    hrs = frames["volunteer_hours"]
    ids = frames["activities"]["activity_id"].tolist()
    hrs["activity_id"] = [ids[i] if rng.random() < 0.8 else None for i in rng.integers(0, len(ids), len(hrs))]
    services = ["助老", " 助老 ", "环境整治", "", None]
    hrs["service"] = [services[i] for i in rng.integers(0, len(services), len(hrs))]
    return build(frames), frames


def _filters(frames) -> list[Filters]:
    comm = frames["communities"]["name"].tolist()
    comp = frames["compounds"]
    out = [Filters(date(2023, 4, 1), date(2023, 6, 30)), Filters(date(2023, 11, 17), date(2024, 8, 31)),
           Filters(date(2024, 1, 1), date(2024, 12, 31), communities=(comm[0],)),
           Filters(date(2024, 2, 1), date(2024, 2, 29), communities=(comm[-1],))]  # one month: the summaries
    if len(comp):
        c = comp.iloc[0]
        out.append(Filters(date(2023, 1, 1), date(2024, 6, 30), communities=(c["community"],),
                           compounds=(c["name"],)))
    return out


CASES = [(seed, i) for seed in (3, 11) for i in range(5)]


def _case(seed: int, i: int):
    con, frames = _warehouse(seed)
    fs = _filters(frames)
    if i >= len(fs):
        pytest.skip("no compound in this warehouse")
    return con, frames, fs[i]


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _cases(frames, f: Filters, kind: str) -> pd.DataFrame:
    c = frames["cases"]
    c = c[c["kind"] == kind]
    if f.communities:
        c = c[c["community"].isin(f.communities)]
    if f.compounds:
        c = c[c["compound"].isin(f.compounds)]
    return c


def _kpis(con, f: Filters, ids) -> dict[str, float]:
    df = kpi.values(con, f, ids, targets=TARGETS)
    return dict(zip(df["kpi_id"], df["value"], strict=True))


def close(a, b) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a is not None and not (isinstance(a, float) and math.isnan(a)) and math.isclose(a, b, abs_tol=1e-9)


def _volunteer_ids(frames, f: Filters) -> set[str]:
    v = frames["volunteers"]
    vc = set(v["community"])
    if f.communities:
        vc &= set(f.communities)
    if f.compounds:
        comp = frames["compounds"]
        vc &= set(comp.loc[comp["name"].isin(f.compounds), "community"])
    return set(v.loc[v["community"].isin(vc), "volunteer_id"])


# ---------------------------------------------------------------------- engagement


@pytest.mark.parametrize("seed,i", CASES)
def test_engagement_by_type_and_partners(seed, i):
    con, frames, f = _case(seed, i)
    a = scope_activities(frames, f)
    got = engagement.by_type(con, f).set_index("activity_type")
    want = a.groupby("activity_type").agg(activities=("participants", "size"), participants=("participants", "sum"))
    assert sorted(got.index) == sorted(want.index)
    for t, row in want.iterrows():
        assert got.loc[t, "activities"] == row["activities"] and got.loc[t, "participants"] == row["participants"]
        counts = a[a["activity_type"] == t]["pillar"].value_counts()
        top = sorted(counts[counts == counts.max()].index)[0]
        assert got.loc[t, "pillar"] == top
    k = _kpis(con, f, ["activities", "participants", "partner_activities", "active_partners"])
    assert got["activities"].sum() == k["activities"] and got["participants"].sum() == k["participants"]

    p = engagement.partners(con, f).set_index("partner")
    wide = scope_activities(frames, f, period=False)
    wide = wide[(wide["date"] >= _ts(f.start) - pd.Timedelta(days=365)) & (wide["date"] <= _ts(f.end))]
    name = wide["partner"].where(wide["partner"].notna(), "").astype(str).str.strip()
    wide = wide.assign(partner=name)[name != ""]
    assert sorted(p.index) == sorted(set(wide["partner"]))
    inp = wide[wide["date"] >= _ts(f.start)]
    for partner, rows in wide.groupby("partner"):
        cur = inp[inp["partner"] == partner]
        assert p.loc[partner, "activities"] == len(cur)
        assert p.loc[partner, "participants"] == cur["participants"].sum()
        assert p.loc[partner, "communities"] == cur["community"].nunique()
        assert pd.Timestamp(p.loc[partner, "last_date"]) == rows["date"].max()
    assert p["activities"].sum() == k["partner_activities"]
    assert (p["activities"] > 0).sum() == k["active_partners"]


@pytest.mark.parametrize("seed,i", CASES)
def test_engagement_compound_month_heat(seed, i):
    con, frames, f = _case(seed, i)
    got = engagement.compound_month(con, f)
    comp = frames["compounds"]
    if f.communities:
        comp = comp[comp["community"].isin(f.communities)]
    if f.compounds:
        comp = comp[comp["name"].isin(f.compounds)]
    months = [s.replace(day=1) for s, _ in month_periods(f)]
    assert len(got) == len(comp) * len(months)
    a = scope_activities(frames, f)
    a = a[a["compound"].notna()]
    for _, r in got.iterrows():
        m0, m1 = pd.Timestamp(r["month"]), pd.Timestamp(r["month"]) + pd.offsets.MonthEnd(0)
        rows = a[(a["community"] == r["community"]) & (a["compound"] == r["compound"]) & (a["date"] >= m0)
                 & (a["date"] <= m1)]
        assert r["participants"] == rows["participants"].sum() and r["activities"] == len(rows)
        hh = comp[(comp["community"] == r["community"]) & (comp["name"] == r["compound"])]["households"].iloc[0]
        want = 100.0 * rows["participants"].sum() / hh if hh > 0 else None
        assert close(r["participants_per_100_households"], want)
    if f.compounds:  # one compound, whole scope: the months add up to the KPI's numerator
        assert got["participants"].sum() == _kpis(con, f, ["participants"])["participants"]


@pytest.mark.parametrize("seed,i", CASES)
def test_engagement_compound_month_top(seed, i):
    """`top`: the compounds with the most participations per 100 households over the period (no households
    last; ties by participations, then names), each with every month; `compounds` counts them all."""
    con, frames, f = _case(seed, i)
    whole = engagement.compound_month(con, f)
    comp = frames["compounds"]
    if f.communities:
        comp = comp[comp["community"].isin(f.communities)]
    if f.compounds:
        comp = comp[comp["name"].isin(f.compounds)]
    a = scope_activities(frames, f)
    a = a[a["compound"].notna()]
    per = a.groupby(["community", "compound"])["participants"].sum()
    ranked = []
    for _, c in comp.iterrows():
        p = int(per.get((c["community"], c["name"]), 0))
        hh = c["households"]
        r = 100.0 * p / hh if pd.notna(hh) and hh > 0 else None
        ranked.append((r is None, -(r or 0.0), -p, c["community"], c["name"]))
    want = {(x[3], x[4]) for x in sorted(ranked)[:2]}
    got = engagement.compound_month(con, f, top=2)
    assert set(zip(got["community"], got["compound"], strict=True)) == want
    assert (got["compounds"] == len(comp)).all() and (whole["compounds"] == len(comp)).all()
    months = len(month_periods(f))
    assert len(got) == len(want) * months
    mine = whole.merge(got[["community", "compound"]].drop_duplicates(), on=["community", "compound"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), mine.reset_index(drop=True))


@pytest.mark.parametrize("seed,i", CASES)
def test_activity_list_is_the_scope(seed, i):
    con, frames, f = _case(seed, i)
    got = engagement.activity_list(con, f)
    assert set(got["activity_id"]) == set(scope_activities(frames, f)["activity_id"]) and got["activity_id"].is_unique
    assert list(got["date"]) == sorted(got["date"], reverse=True)
    assert len(got) == _kpis(con, f, ["activities"])["activities"]


def _pandas_page(whole: pd.DataFrame, drill: dict, month_col, sort, descending, limit, offset) -> pd.DataFrame:
    """The page the detail table showed when it held the whole list: narrowed, stably sorted, sliced."""
    rows = whole[[True] * len(whole)]
    for field, value in drill.items():
        if field == "month" and month_col:
            m = pd.Timestamp(value)
            d = pd.to_datetime(rows[month_col])
            rows = rows[(d >= m) & (d <= m + pd.offsets.MonthEnd(0))]
        elif field in rows.columns:
            rows = rows[rows[field].map(lambda v: None if v is None or v is pd.NA or v != v else str(v)) == value]
    if sort:
        rows = rows.sort_values(sort, ascending=not descending, na_position="last", kind="stable")
    return rows.iloc[offset: offset + limit].reset_index(drop=True)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, missing as None (a page whose text column is all missing comes back as None
    objects, a slice of the whole list as a string column's NaN: the same rows)."""
    df = df.reset_index(drop=True).astype(object)
    return df.where(df.notna(), None)


@pytest.mark.parametrize("seed,i", CASES)
def test_long_lists_are_narrowed_sorted_and_paged_in_sql(seed, i):
    """activity_list / service_list with a drill, a sort and a page: the rows the whole list gives when narrowed,
    sorted (missing values last, ties in the list's order) and sliced in pandas; the counts are the narrowed
    lengths."""
    con, frames, f = _case(seed, i)
    rng = np.random.default_rng(seed * 10 + i)
    for fn, count, month_col in ((engagement.activity_list, engagement.activity_count, "date"),
                                 (services.service_list, services.service_count, None)):
        whole = fn(con, f)
        assert count(con, f) == len(whole)
        if whole.empty:
            continue
        pick = whole.iloc[int(rng.integers(0, len(whole)))]
        drills = [{}, {"activity_type": pick["activity_type"]}, {"community": pick["community"]},
                  {"partner": "不存在的单位"}]
        if month_col:
            drills.append({"month": pick["date"].replace(day=1).isoformat(), "community": pick["community"]})
        for drill in drills:
            for sort, descending in ((None, False), ("partner", False), ("volunteers", True), ("date", False)):
                for offset in (0, 3):
                    got = fn(con, f, drill, sort=sort, descending=descending, limit=4, offset=offset)
                    want = _pandas_page(whole, drill, month_col, sort, descending, 4, offset)
                    pd.testing.assert_frame_equal(_plain(got), _plain(want), check_dtype=False)
            n = count(con, f, drill)
            assert n == len(_pandas_page(whole, drill, month_col, None, False, len(whole), 0))
            assert len(fn(con, f, drill)) == n
        assert count(con, f, {"partner": "不存在的单位"}) == 0


# ---------------------------------------------------------------------- issues


def _issue_frame(frames, f: Filters) -> pd.DataFrame:
    c = _cases(frames, f, "居民诉求").copy()
    e = _ts(f.end)
    c["sla"] = [TARGETS.sla_days.get(x, TARGETS.sla_default_days) for x in c["category"]]
    c["days"] = (c["closed_on"] - c["opened_on"]).dt.days
    c["kept"] = c["status"] != "已转办"
    c["opened_in"] = (c["opened_on"] >= _ts(f.start)) & (c["opened_on"] <= e)
    c["closed_in"] = c["kept"] & c["closed_on"].notna() & (c["closed_on"] >= _ts(f.start)) & (c["closed_on"] <= e)
    c["open_end"] = c["kept"] & (c["opened_on"] <= e) & (c["closed_on"].isna() | (c["closed_on"] > e))
    c["age"] = (e - c["opened_on"]).dt.days
    return c


@pytest.mark.parametrize("seed,i", CASES)
def test_issue_breakdowns(seed, i):
    con, frames, f = _case(seed, i)
    c = _issue_frame(frames, f)
    k = _kpis(con, f, ["cases_opened", "cases_closed", "open_backlog", "overdue_backlog"])
    for by in issues.BREAKDOWNS:
        got = issues.breakdown(con, f, by=by, targets=TARGETS)
        key = c[by].where(c[by].notna(), None)
        for _, r in got.iterrows():
            rows = c[key.isna()] if r[by] is None or pd.isna(r[by]) else c[key == r[by]]
            assert r["cases_opened"] == rows["opened_in"].sum()
            assert r["cases_closed"] == rows["closed_in"].sum()
            assert r["open_backlog"] == rows["open_end"].sum()
            assert r["overdue_backlog"] == (rows["open_end"] & (rows["age"] > rows["sla"])).sum()
            closed = rows[rows["closed_in"]]
            assert close(r["on_time_rate"], 100 * (closed["days"] <= closed["sla"]).sum() / len(closed)
                         if len(closed) else None)
            rated = closed[closed["satisfaction"].notna()]
            assert close(r["satisfaction_rate"], 100 * (rated["satisfaction"] >= 4).sum() / len(rated)
                         if len(rated) else None)
        for col in ("cases_opened", "cases_closed", "open_backlog", "overdue_backlog"):
            assert got[col].sum() == k[col], (by, col)


@pytest.mark.parametrize("seed,i", CASES)
def test_days_to_close_and_aging(seed, i):
    con, frames, f = _case(seed, i)
    c = _issue_frame(frames, f)
    hist = issues.days_to_close(con, f)
    want = c[c["closed_in"]]["days"].value_counts().sort_index()
    assert dict(zip(hist["days"], hist["cases"], strict=True)) == {int(d): int(n) for d, n in want.items()}
    k = _kpis(con, f, ["resolution_days_median", "resolution_days_p90", "open_backlog", "overdue_backlog"])
    days = np.repeat(hist["days"].to_numpy(dtype=float), hist["cases"].to_numpy())
    if len(days):
        assert close(float(np.quantile(days, 0.5)), k["resolution_days_median"])
        assert close(float(np.quantile(days, 0.9)), k["resolution_days_p90"])

    aging = issues.backlog_aging(con, f, targets=TARGETS)
    assert list(aging["bucket"]) == ["0–7", "8–30", "31–90", ">90"]
    openc = c[c["open_end"]]
    bins = pd.cut(openc["age"], [-1, 7, 30, 90, 10**6], labels=list(aging["bucket"]))
    assert list(aging["cases"]) == [int((bins == b).sum()) for b in aging["bucket"]]
    assert list(aging["overdue"]) == [int(((bins == b) & (openc["age"] > openc["sla"])).sum()) for b in aging["bucket"]]
    assert aging["cases"].sum() == k["open_backlog"] and aging["overdue"].sum() == k["overdue_backlog"]


@pytest.mark.parametrize("seed,i", CASES)
def test_case_lists(seed, i):
    con, frames, f = _case(seed, i)
    c = _issue_frame(frames, f)
    sets = {"overdue": c["open_end"] & (c["age"] > c["sla"]), "open": c["open_end"], "opened": c["opened_in"],
            "closed": c["closed_in"]}
    k = _kpis(con, f, ["overdue_backlog", "open_backlog", "cases_opened", "cases_closed"])
    kpi_of = {"overdue": "overdue_backlog", "open": "open_backlog", "opened": "cases_opened", "closed": "cases_closed"}
    for which, mask in sets.items():
        got = issues.case_list(con, f, which=which, targets=TARGETS)
        assert set(got["case_id"]) == set(c[mask]["case_id"]), which
        assert len(got) == k[kpi_of[which]]
        assert "volunteer_id" not in got.columns
    over = issues.case_list(con, f, which="overdue", targets=TARGETS)
    assert over["overdue"].all() and (over["days"] > over["sla_days"]).all() and over["bucket"].notna().all()
    assert list(over["opened_on"]) == sorted(over["opened_on"])


# ---------------------------------------------------------------------- disputes and safety


@pytest.mark.parametrize("seed,i", CASES)
def test_dispute_breakdown_outcomes_days_and_list(seed, i):
    con, frames, f = _case(seed, i)
    d = _cases(frames, f, "矛盾纠纷").copy()
    s, e = _ts(f.start), _ts(f.end)
    opened_in = (d["opened_on"] >= s) & (d["opened_on"] <= e)
    closed_in = d["closed_on"].notna() & (d["closed_on"] >= s) & (d["closed_on"] <= e)
    referred = (d["outcome"] == "转交") | (d["status"] == "已转办")
    k = _kpis(con, f, ["disputes_handled", "mediation_success_rate", "dispute_days_median"])

    br = disputes.breakdown(con, f)
    for _, r in br.iterrows():
        rows = d["category"] == r["category"]
        assert r["disputes_handled"] == (rows & opened_in).sum() and r["closed"] == (rows & closed_in).sum()
        wo = rows & closed_in & d["outcome"].notna()
        assert close(r["mediation_success_rate"], 100 * (wo & (d["outcome"] == "调解成功")).sum() / wo.sum()
                     if wo.sum() else None)
    assert br["disputes_handled"].sum() == k["disputes_handled"]

    out = disputes.outcomes(con, f)
    assert list(out["outcome"])[:3] == ["调解成功", "调解不成功", "转交"]
    wo = d[closed_in & d["outcome"].notna()]
    assert dict(zip(out["outcome"], out["cases"], strict=True)) == {
        o: int((wo["outcome"] == o).sum()) for o in out["outcome"]}
    if out["cases"].sum():
        assert close(100 * out.loc[out["outcome"] == "调解成功", "cases"].sum() / out["cases"].sum(),
                     k["mediation_success_rate"])

    hist = disputes.days_histogram(con, f)
    days = (d["closed_on"] - d["opened_on"]).dt.days[closed_in & ~referred]
    assert dict(zip(hist["days"], hist["cases"], strict=True)) == {int(x): int(n) for x, n in
                                                                   days.value_counts().items()}
    if len(days):
        assert close(float(np.median(np.repeat(hist["days"], hist["cases"]))), k["dispute_days_median"])

    lst = disputes.case_list(con, f)
    assert set(lst["case_id"]) == set(d[opened_in | closed_in]["case_id"])
    # as at the period's end: the rows with an outcome are the outcomes chart's rows
    shown = lst[lst["outcome"].notna()]
    assert set(shown["case_id"]) == set(wo["case_id"])
    assert (lst.loc[lst["closed_on"].notna(), "closed_on"] <= f.end).all()


@pytest.mark.parametrize("seed,i", CASES)
def test_hazards(seed, i):
    con, frames, f = _case(seed, i)
    h = _cases(frames, f, "安全隐患").copy()
    s, e = _ts(f.start), _ts(f.end)
    kept = h["status"] != "已转办"
    found = (h["opened_on"] >= s) & (h["opened_on"] <= e)
    fixed = kept & h["closed_on"].notna() & (h["closed_on"] >= s) & (h["closed_on"] <= e)
    k = _kpis(con, f, ["hazards_found", "hazard_fix_rate", "hazard_fix_days_median"])

    flow = safety.hazard_flow(con, f)
    assert [m for m in flow["month"]] == [a.replace(day=1) for a, _ in month_periods(f)]
    assert flow["hazards_found"].sum() == k["hazards_found"] == found.sum()
    assert flow["hazards_fixed"].sum() == fixed.sum()
    rate = kpi.series.monthly(con, f, ["hazard_fix_rate"], targets=TARGETS)
    for m, v in zip(flow["month"], flow["hazard_fix_rate"], strict=True):
        assert close(v, rate.loc[rate["month"] == m, "value"].iloc[0])

    br = safety.breakdown(con, f)
    for _, r in br.iterrows():
        rows = h["category"] == r["category"]
        fc = rows & found & kept
        assert r["hazards_found"] == (rows & found).sum() and r["found_counted"] == fc.sum()
        assert close(r["hazard_fix_rate"], 100 * (fc & (h["closed_on"] <= e)).sum() / fc.sum() if fc.sum() else None)
    assert br["hazards_found"].sum() == k["hazards_found"]

    hist = safety.fix_days_histogram(con, f)
    assert hist["cases"].sum() == fixed.sum()
    if fixed.sum():
        assert close(float(np.median(np.repeat(hist["days"], hist["cases"]))), k["hazard_fix_days_median"])
    assert set(safety.hazard_list(con, f)["case_id"]) == set(h[found | fixed]["case_id"])


@pytest.mark.parametrize("seed,i", CASES)
def test_visit_coverage_by_quarter(seed, i):
    con, frames, f = _case(seed, i)
    got = safety.visit_coverage_by_quarter(con, f)
    quarters = safety.coverage_quarters(f)
    assert len(quarters) >= 4 and quarters[-1][1] >= f.end and quarters[0][0] <= f.start
    comms = scope_communities(frames, f)["community"]
    assert len(got) == len(quarters) * len(comms)
    for (qs, qe) in quarters:
        qf = f.with_period(qs, qe)
        want = kpi.values(con, qf, ["visit_coverage"], by="community", targets=TARGETS).set_index("community")["value"]
        part = got[got["quarter"] == qs].set_index("community")
        for comm, v in want.items():
            assert close(part.loc[comm, "visit_coverage"], v)
            a = scope_activities(frames, replace(qf, communities=(comm,)))
            visited = a.loc[a["activity_type"] == "敲门入户", "households_visited"].fillna(0).sum()
            hh = scope_communities(frames, replace(qf, communities=(comm,)))["households"].sum()
            assert close(part.loc[comm, "visit_coverage"], 100 * visited / hh if hh else None)
            assert part.loc[comm, "missed"] == (None if pd.isna(v) else bool(v < 100))


def test_coverage_quarters():
    assert safety.coverage_quarters(Filters(date(2024, 4, 1), date(2024, 6, 30))) == [
        (date(2023, 7, 1), date(2023, 9, 30)), (date(2023, 10, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 6, 30))]
    six = safety.coverage_quarters(Filters(date(2023, 2, 10), date(2024, 6, 30)))
    assert six[0] == (date(2023, 1, 1), date(2023, 3, 31)) and len(six) == 6


# ---------------------------------------------------------------------- services


@pytest.mark.parametrize("seed,i", CASES)
def test_services(seed, i):
    con, frames, f = _case(seed, i)
    a = scope_activities(frames, f)
    conv = a[(a["pillar"] == "志愿服务") & a["services"].notna()]
    rep = a[a["activity_type"].isin(services.REPAIR_TYPES)]
    k = _kpis(con, f, ["convenience_services", "home_repairs"])

    summ = services.service_summary(con, f)
    c, r = summ[summ["kind"] == "convenience"], summ[summ["kind"] == "repair"]
    assert c["services"].sum() == k["convenience_services"] == conv["services"].sum()
    assert r["activities"].sum() == k["home_repairs"] == len(rep)
    want = conv.groupby("activity_type")["services"].sum()
    assert dict(zip(c["activity_type"], c["services"], strict=True)) == {t: float(v) for t, v in want.items()}

    for kind, rows in (("convenience", conv), ("repair", rep)):
        m = services.services_monthly(con, f, kind=kind)
        assert set(m["kind"]) <= {kind}
        assert m["activities"].sum() == len(rows) and m["services"].sum() == rows["services"].fillna(0).sum()
    both = services.services_monthly(con, f)
    assert both["activities"].sum() == len(conv) + len(rep)

    prov = services.providers(con, f)
    assert prov["activities"].sum() == len(conv) + len(rep)
    partner = pd.concat([conv, rep])["partner"].fillna("").astype(str).str.strip()
    named = prov[prov["partner"].notna()]
    assert named["activities"].sum() == (partner != "").sum()

    lst = services.service_list(con, f)
    assert set(lst["activity_id"]) == set(conv["activity_id"]) | set(rep["activity_id"]) and lst["activity_id"].is_unique

    teams = services.teams(con, f)
    h = frames["volunteer_hours"]
    v = frames["volunteers"].set_index("volunteer_id")
    linked = pd.concat([conv, rep])[["activity_id"]]
    joined = h.merge(linked, on="activity_id")  # once per kind, as the function
    assert teams["records"].sum() == len(joined)
    assert math.isclose(teams["hours"].sum(), joined["hours"].sum())
    assert "volunteer_id" not in teams.columns
    team_of = joined["volunteer_id"].map(v["team"])
    for team, rows in joined.groupby(team_of.fillna("∅")):
        sel = teams[teams["team"].isna()] if team == "∅" else teams[teams["team"] == team]
        assert math.isclose(sel["hours"].sum(), rows["hours"].sum())


def test_services_out_of_pillar():
    con, frames = _warehouse(3)
    f = Filters(date(2023, 1, 1), date(2024, 12, 31), pillars=("联动联建",))
    summ = services.service_summary(con, f)
    assert set(summ["kind"]) <= {"repair"}
    assert summ["activities"].sum() == kpi.value(con, f, "home_repairs", targets=TARGETS)
    assert services.service_summary(con, replace(f, pillars=("居民自治",)))["activities"].sum() == \
        kpi.value(con, replace(f, pillars=("居民自治",)), "home_repairs", targets=TARGETS)


# ---------------------------------------------------------------------- volunteers


@pytest.mark.parametrize("seed,i", CASES)
def test_volunteer_teams_items_and_summary(seed, i):
    con, frames, f = _case(seed, i)
    ids = _volunteer_ids(frames, f)
    v = frames["volunteers"]
    v = v[v["volunteer_id"].isin(ids)]
    s, e = _ts(f.start), _ts(f.end)
    h = frames["volunteer_hours"]
    h = h[h["volunteer_id"].isin(ids) & (h["date"] >= s) & (h["date"] <= e)]
    k = _kpis(con, f, ["registered_volunteers", "active_volunteers", "service_hours", "points_awarded",
                       "points_redeemed", "party_share"])

    teams = volunteers.teams(con, f)
    assert "volunteer_id" not in teams.columns
    assert teams["registered"].sum() == k["registered_volunteers"]
    assert teams["active"].sum() == k["active_volunteers"]
    assert math.isclose(teams["hours"].sum(), k["service_hours"], abs_tol=1e-9)
    assert math.isclose(teams["points"].sum(), k["points_awarded"], abs_tol=1e-9)
    team_of = h["volunteer_id"].map(v.set_index("volunteer_id")["team"])
    for team, rows in h.groupby(team_of.fillna("∅")):
        row = teams[teams["team"].isna()] if team == "∅" else teams[teams["team"] == team]
        assert math.isclose(row["hours"].iloc[0], rows["hours"].sum())
        act = set(rows.loc[rows["hours"] > 0, "volunteer_id"])
        assert row["active"].iloc[0] == len(act)
        party = set(v.loc[v["party_member"].fillna(False).astype(bool), "volunteer_id"])
        assert close(row["party_share"].iloc[0], 100 * len(act & party) / len(act) if act else None)
    if k["active_volunteers"]:
        assert close(100 * teams["party_active"].sum() / teams["active"].sum(), k["party_share"])

    items = volunteers.redemption_items(con, f)
    r = frames["redemptions"]
    r = r[r["volunteer_id"].isin(ids) & (r["date"] >= s) & (r["date"] <= e)]
    assert math.isclose(items["points"].sum(), k["points_redeemed"], abs_tol=1e-9)
    assert items["redemptions"].sum() == len(r)
    qty = pd.to_numeric(r["item"].fillna("").str.extract(r"[×xX*＊]\s*(\d+)\s*$")[0]).fillna(1).astype(int)
    assert items["quantity"].sum() == qty.sum()
    base = r["item"].fillna("").str.replace(r"\s*[×xX*＊]\s*\d+\s*$", "", regex=True).str.strip()
    want = base.groupby(base).size()
    got = {("" if pd.isna(x) else x): n for x, n in zip(items["item"], items["redemptions"], strict=True)}
    assert got == {kk: int(n) for kk, n in want.items()}

    summ = volunteers.service_summary(con, f)
    assert "volunteer_id" not in summ.columns
    assert summ["records"].sum() == len(h) and math.isclose(summ["hours"].sum(), k["service_hours"], abs_tol=1e-9)
    svc = h.assign(team=team_of.str.strip().replace("", None).fillna("∅"),
                   service=h["service"].str.strip().replace("", None).fillna("∅"))
    want = svc.groupby(["team", "service"]).agg(records=("hours", "size"), volunteers=("volunteer_id", "nunique"),
                                                hours=("hours", "sum"), points=("points", "sum"))
    got = summ.assign(team=summ["team"].fillna("∅"), service=summ["service"].fillna("∅")).set_index(
        ["team", "service"]).sort_index()
    assert list(got.index) == list(want.index)
    assert got["records"].tolist() == want["records"].tolist()
    assert got["volunteers"].tolist() == want["volunteers"].tolist()
    assert np.allclose(got["hours"], want["hours"]) and np.allclose(got["points"], want["points"])


@pytest.mark.parametrize("seed,i", CASES)
def test_retention_cohorts(seed, i):
    con, frames, f = _case(seed, i)
    got = volunteers.retention_cohorts(con, f)
    quarters = safety.coverage_quarters(f)[-8:]
    starts = [q for q, _ in quarters]
    ids = _volunteer_ids(frames, f)
    h = frames["volunteer_hours"]
    h = h[h["volunteer_id"].isin(ids) & (h["hours"] > 0) & (h["date"] <= _ts(quarters[-1][1]))]
    q = h["date"].dt.to_period("Q").dt.start_time.dt.date
    first = q.groupby(h["volunteer_id"]).min()
    active = {(vid, qq) for vid, qq in zip(h["volunteer_id"], q, strict=True)}
    assert len(got) == len(starts) * (len(starts) + 1) // 2
    for _, r in got.iterrows():
        cohort = set(first[first == r["cohort"]].index)
        assert r["size"] == len(cohort)
        assert r["active"] == sum((vid, r["quarter"]) in active for vid in cohort)
        assert r["offset"] == starts.index(r["quarter"]) - starts.index(r["cohort"])
        assert close(r["retention"], 100 * r["active"] / r["size"] if r["size"] else None)
    zero = got[got["offset"] == 0]
    assert ((zero["retention"] == 100) | zero["retention"].isna()).all()


# ---------------------------------------------------------------------- the pillar rule


OUT_OF_PILLAR = [
    (issues.breakdown, "社会治理"), (issues.days_to_close, "社会治理"), (issues.case_list, "志愿服务"),
    (disputes.breakdown, "居民自治"), (disputes.outcomes, "居民自治"), (disputes.days_histogram, "志愿服务"),
    (disputes.case_list, "联动联建"), (safety.breakdown, "居民自治"), (safety.hazard_list, "志愿服务"),
    (safety.fix_days_histogram, "志愿服务"), (safety.visit_coverage_by_quarter, "志愿服务"),
    (safety.hazard_flow, "志愿服务"), (volunteers.teams, "社会治理"), (volunteers.redemption_items, "社会治理"),
    (volunteers.retention_cohorts, "居民自治"), (volunteers.service_summary, "联动联建"),
]


@pytest.mark.parametrize("fn,pillar", OUT_OF_PILLAR, ids=lambda x: getattr(x, "__qualname__", x))
def test_out_of_pillar_is_empty(fn, pillar):
    con, _ = _warehouse(3)
    f = Filters(date(2023, 1, 1), date(2024, 12, 31), pillars=(pillar,))
    kwargs = {"targets": TARGETS} if "targets" in inspect.signature(fn).parameters else {}
    assert fn(con, f, **kwargs).empty
    aging = issues.backlog_aging(con, Filters(date(2024, 1, 1), date(2024, 3, 31), pillars=("志愿服务",)), targets=TARGETS)
    assert aging.empty


def test_empty_period_gives_zero_rows_not_errors():
    con, _ = _warehouse(11)
    f = Filters(date(2030, 1, 1), date(2030, 3, 31))
    assert engagement.by_type(con, f).empty and engagement.activity_list(con, f).empty
    assert engagement.compound_month(con, f)["participants"].sum() == 0
    assert issues.backlog_aging(con, f, targets=TARGETS)["cases"].sum() >= 0
    assert disputes.outcomes(con, f)["cases"].sum() == 0
    assert safety.hazard_flow(con, f)["hazards_found"].sum() == 0
    assert services.service_summary(con, f).empty and volunteers.service_summary(con, f).empty
    assert volunteers.retention_cohorts(con, f)["active"].sum() == 0
