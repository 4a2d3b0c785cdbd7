"""Test fixtures built in code: random small warehouses, and a plain-pandas KPI oracle.

`random_frames(seed, ...)` draws the raw rows of a small warehouse (respecting
the loader's rules: known communities, compounds of their community,
closed_on ≥ opened_on, 已办结 has a closing date, 办理中 has none);
`build(frames)` loads them into an in-memory DuckDB through `etl.schema`.

`reference(frames, filters, targets)` recomputes every catalogue KPI from the
raw frames with plain pandas, written from the catalogue's definition texts
independently of the SQL in kpi/ — the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from etl import schema, summaries
from etl.contract import OUTCOMES, PILLARS

ACTIVITY_TYPES = {  # type → pillar
    "烹饪教学": "联动联建", "水电燃气维修": "联动联建", "安装晾衣架": "联动联建",
    "议事协商会": "居民自治", "楼栋长会议": "居民自治",
    "铲刀磨剪": "志愿服务", "缝纫修鞋": "志愿服务", "理发": "志愿服务",
    "敲门入户": "社会治理", "平安巡逻": "社会治理",
}
CATEGORIES = {
    "居民诉求": ["晾晒", "房屋漏水", "人车分流", "噪音扰民"],
    "矛盾纠纷": ["邻里纠纷", "物业纠纷"],
    "安全隐患": ["消防通道堵塞", "燃气隐患"],
}
PARTNERS = ["武汉商学院体育学院", "薛锋综合", "区消防救援大队", "物业服务中心"]
COMPOUND_NAMES = ["一期", "二期", "东风凤凰城", "南湾新苑", "湾畔花园"]
T0 = date(2023, 1, 1)


@dataclass
class Warehouse:
    con: duckdb.DuckDBPyConnection
    frames: dict[str, pd.DataFrame]


def _days(rng: np.random.Generator, n: int, start: date, span: int) -> pd.Series:
    d = rng.integers(0, span, size=n)
    return pd.Series(pd.to_datetime(start) + pd.to_timedelta(d, unit="D"))


def random_frames(
    seed: int,
    *,
    communities: int | None = None,
    activities: int | None = None,
    cases: int | None = None,
    volunteers: int | None = None,
    hours: int | None = None,
    start: date = T0,
    days: int = 730,
) -> dict[str, pd.DataFrame]:
    """Raw rows of a random warehouse. Sizes default to small random numbers."""
    rng = np.random.default_rng(seed)
    nc = communities if communities is not None else int(rng.integers(1, 5))
    names = [f"社区{chr(0x41 + i)}" for i in range(nc)]
    hh = rng.integers(50, 3000, size=nc)
    if nc > 1 and rng.random() < 0.3:
        hh[-1] = 0  # a community without households: per-household ratios are None
    comm = pd.DataFrame({
        "name": names, "street": [("沌阳街道" if i % 3 else "军山街道") for i in range(nc)],
        "households": hh.astype("int64"), "founded": 2021, "batch_id": "b-comm",
    })
    crows = []
    for c in names:
        k = int(rng.integers(0, 4))
        for nm in rng.choice(COMPOUND_NAMES, size=k, replace=False):
            crows.append({"community": c, "name": str(nm), "households": int(rng.integers(0, 1500)), "batch_id": "b"})
    comp = pd.DataFrame(crows, columns=["community", "name", "households", "batch_id"]).astype(
        {"households": "int64"})
    comp_of = {c: comp.loc[comp["community"] == c, "name"].tolist() for c in names}

    def pick_compound(cs: list[str]) -> list[str | None]:
        out = []
        for c in cs:
            opts = comp_of[c]
            out.append(str(rng.choice(opts)) if opts and rng.random() < 0.7 else None)
        return out

    # activities
    na = activities if activities is not None else int(rng.integers(0, 120))
    types = list(ACTIVITY_TYPES)
    a_comm = [str(x) for x in rng.choice(names, size=na)]
    a_type = [str(x) for x in rng.choice(types, size=na)]
    a_pillar = [ACTIVITY_TYPES[t] if rng.random() < 0.9 else str(rng.choice(PILLARS)) for t in a_type]
    partner_opts = [*PARTNERS, "", "  ", None, None, None, None]
    act = pd.DataFrame({
        "activity_id": [f"A{seed}-{i}" for i in range(na)],
        "date": _days(rng, na, start, days),
        "community": a_comm,
        "compound": pick_compound(a_comm),
        "pillar": a_pillar,
        "activity_type": a_type,
        "title": [f"{t}活动" for t in a_type],
        "partner": [partner_opts[int(i)] for i in rng.integers(0, len(partner_opts), size=na)],
        "participants": rng.integers(0, 60, size=na).astype("int64"),
        "services": pd.array([None if rng.random() < 0.3 else int(rng.integers(0, 40)) for _ in range(na)],
                             dtype="Int64"),
        "volunteers": pd.array([None if rng.random() < 0.3 else int(rng.integers(0, 12)) for _ in range(na)],
                               dtype="Int64"),
        "households_visited": pd.array(
            [int(rng.integers(0, 800)) if t == "敲门入户" and rng.random() < 0.9 else None for t in a_type],
            dtype="Int64"),
        "note": None, "batch_id": "b-act",
    })

    # cases
    nk = cases if cases is not None else int(rng.integers(0, 150))
    kinds = [str(x) for x in rng.choice(list(CATEGORIES), size=nk)]
    k_comm = [str(x) for x in rng.choice(names, size=nk)]
    opened = _days(rng, nk, start, days)
    status, closed, outcome, sat = [], [], [], []
    for i in range(nk):
        r = rng.random()
        dur = timedelta(days=int(rng.integers(0, 90)))
        if r < 0.65:
            st, cl = "已办结", opened[i] + dur
        elif r < 0.85:
            st, cl = "办理中", None
        else:
            st, cl = "已转办", (opened[i] + dur if rng.random() < 0.5 else None)
        status.append(st)
        closed.append(cl)
        if kinds[i] == "矛盾纠纷" and cl is not None and rng.random() < 0.85:
            outcome.append(str(rng.choice(OUTCOMES)))
        elif kinds[i] == "矛盾纠纷" and st == "已转办" and rng.random() < 0.5:
            outcome.append("转交")
        else:
            outcome.append(None)
        sat.append(int(rng.integers(1, 6)) if cl is not None and rng.random() < 0.7 else None)
    cases_df = pd.DataFrame({
        "case_id": [f"C{seed}-{i}" for i in range(nk)],
        "kind": kinds,
        "category": [str(rng.choice(CATEGORIES[k])) for k in kinds],
        "source": "网格巡查",
        "community": k_comm,
        "compound": pick_compound(k_comm),
        "opened_on": opened,
        "closed_on": pd.to_datetime(pd.Series(closed, dtype="object")),
        "status": status,
        "outcome": outcome,
        "satisfaction": pd.array(sat, dtype="Int64"),
        "summary": None, "batch_id": "b-case",
    })

    # volunteers, hours, redemptions
    nv = volunteers if volunteers is not None else int(rng.integers(0, 40))
    vol = pd.DataFrame({
        "volunteer_id": [f"V{seed}-{i}" for i in range(nv)],
        "community": [str(x) for x in rng.choice(names, size=nv)],
        "joined_on": pd.to_datetime(pd.Series(
            [None if rng.random() < 0.2 else pd.Timestamp(start) + pd.Timedelta(days=int(rng.integers(-200, days)))
             for _ in range(nv)], dtype="object")),
        "party_member": pd.array([[None, True, False, False][int(rng.integers(0, 4))] for _ in range(nv)],
                                 dtype="boolean"),
        "team": None, "batch_id": "b-vol",
    })
    ids = vol["volunteer_id"].tolist() + ["V-unknown"]
    nh = hours if hours is not None else (int(rng.integers(0, 300)) if nv else 0)
    hrs = pd.DataFrame({
        "row_key": [f"H{seed}-{i}" for i in range(nh)],
        "volunteer_id": [str(x) for x in rng.choice(ids, size=nh)] if nh else [],
        "date": _days(rng, nh, start, days),
        "hours": np.round(rng.choice([0.0, 0.5, 1.0, 2.0, 3.5], size=nh), 1),
        "points": [None if rng.random() < 0.2 else float(rng.integers(0, 20)) for _ in range(nh)],
        "activity_id": None, "service": None, "batch_id": "b-h",
    })
    nr = int(rng.integers(0, max(1, nh // 4) + 1)) if nv else 0
    red = pd.DataFrame({
        "row_key": [f"R{seed}-{i}" for i in range(nr)],
        "volunteer_id": [str(x) for x in rng.choice(ids, size=nr)] if nr else [],
        "date": _days(rng, nr, start, days),
        "points": rng.integers(1, 30, size=nr).astype("float64"),
        "item": "毛巾", "batch_id": "b-r",
    })
    batches = pd.DataFrame({
        "batch_id": ["b1", "b2", "b3"], "file_name": ["a.xlsx", "b.csv", "c.csv"], "sha256": ["x", "y", "z"],
        "kind": ["activities", "cases", "volunteers"],
        "loaded_at": [datetime(2024, 3, 1, 8), datetime(2024, 3, 2, 9), datetime(2024, 3, 5, 10)],
        "rows_read": [1, 1, 1], "rows_loaded": [1, 1, 0], "rows_rejected": [0, 0, 1],
        "status": ["loaded", "loaded_with_rejects", "refused"], "message": None,
    })
    meta = pd.DataFrame({"key": ["dataset", "data_version"], "value": ["test", "v1"]})
    return {
        "communities": comm, "compounds": comp, "activities": act, "cases": cases_df, "volunteers": vol,
        "volunteer_hours": hrs, "redemptions": red, "load_batches": batches, "meta": meta,
    }


def build(frames: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None = None):
    """Create the schema on `con` (default: a new in-memory DB) and insert the frames."""
    con = con if con is not None else duckdb.connect()
    schema.create_all(con)
    for table, df in frames.items():
        if len(df) == 0:
            continue
        con.register("_frame", df)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
        con.unregister("_frame")
    summaries.rebuild(con)  # as the loader maintains them (etl/summaries.py)
    return con


def random_warehouse(seed: int, **kw) -> Warehouse:
    frames = random_frames(seed, **kw)
    return Warehouse(build(frames), frames)


# ------------------------------------------------------------------------------------------------
# The pandas oracle: every KPI from the raw frames, written from the catalogue's definitions.
# ------------------------------------------------------------------------------------------------

_PILLAR_OF = {
    "issues": "居民自治", "disputes": "社会治理", "safety": "社会治理", "volunteers": "志愿服务",
}


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _pct(num: float, den: float) -> float | None:
    return None if den == 0 else 100.0 * num / den


def _median(s: pd.Series) -> float | None:
    return None if len(s) == 0 else float(np.quantile(s.to_numpy(dtype=float), 0.5))


def _p90(s: pd.Series) -> float | None:
    return None if len(s) == 0 else float(np.quantile(s.to_numpy(dtype=float), 0.9))


def scope_communities(frames, f) -> pd.DataFrame:
    """community, households in scope (register rows; selected compounds' sums with a compound filter)."""
    if f.compounds:
        comp = frames["compounds"]
        comp = comp[comp["name"].isin(f.compounds)]
        if f.communities:
            comp = comp[comp["community"].isin(f.communities)]
        return comp.groupby("community", as_index=False)["households"].sum()
    c = frames["communities"]
    if f.communities:
        c = c[c["name"].isin(f.communities)]
    return c.rename(columns={"name": "community"})[["community", "households"]]


def scope_activities(frames, f, period: bool = True) -> pd.DataFrame:
    """Activity rows in the scope of `f` (communities, compounds, pillars), and in its period if `period`."""
    a = frames["activities"]
    if f.communities:
        a = a[a["community"].isin(f.communities)]
    if f.compounds:
        a = a[a["compound"].isin(f.compounds)]
    if f.pillars:
        a = a[a["pillar"].isin(f.pillars)]
    if period:
        a = a[(a["date"] >= _ts(f.start)) & (a["date"] <= _ts(f.end))]
    return a


def reference(frames: dict[str, pd.DataFrame], f, targets) -> dict[str, float | None]:
    """Every catalogue KPI for filters `f` over the whole scope (None = no data)."""
    from kpi.catalogue import CATALOGUE

    s, e = _ts(f.start), _ts(f.end)
    ps, pe = _ts(f.previous_period().start), _ts(f.previous_period().end)
    households = float(scope_communities(frames, f)["households"].sum())

    a = scope_activities(frames, f)
    partner = a["partner"].where(a["partner"].notna(), "").astype(str).str.strip()

    c = frames["cases"]
    if f.communities:
        c = c[c["community"].isin(f.communities)]
    if f.compounds:
        c = c[c["compound"].isin(f.compounds)]

    out: dict[str, float | None] = {}
    # engagement
    out["activities"] = float(len(a))
    out["participants"] = float(a["participants"].sum())
    out["participants_per_100_households"] = _pct(out["participants"], households)
    out["partner_activities"] = float((partner != "").sum())
    out["active_partners"] = float(partner[partner != ""].nunique())
    out["volunteer_participations"] = float(a["volunteers"].fillna(0).sum())

    # issues
    iss = c[c["kind"] == "居民诉求"]
    kept = iss[iss["status"] != "已转办"]
    sla = pd.Series([targets.sla_days.get(cat, targets.sla_default_days) for cat in kept["category"]], index=kept.index, dtype="int64")
    days = (kept["closed_on"] - kept["opened_on"]).dt.days
    closed_in = kept["closed_on"].notna() & (kept["closed_on"] >= s) & (kept["closed_on"] <= e)
    opened_in_k = (kept["opened_on"] >= s) & (kept["opened_on"] <= e)
    open_end = (kept["opened_on"] <= e) & (kept["closed_on"].isna() | (kept["closed_on"] > e))
    out["cases_opened"] = float(((iss["opened_on"] >= s) & (iss["opened_on"] <= e)).sum())
    out["cases_closed"] = float(closed_in.sum())
    out["closure_rate"] = _pct(float((opened_in_k & (kept["closed_on"] <= e)).sum()), float(opened_in_k.sum()))
    out["resolution_days_median"] = _median(days[closed_in])
    out["resolution_days_p90"] = _p90(days[closed_in])
    out["open_backlog"] = float(open_end.sum())
    age = (e - kept["opened_on"]).dt.days
    out["overdue_backlog"] = float((open_end & (age > sla)).sum())
    out["on_time_rate"] = _pct(float((closed_in & (days <= sla)).sum()), float(closed_in.sum()))
    rated = closed_in & kept["satisfaction"].notna()
    out["satisfaction_rate"] = _pct(float((rated & (kept["satisfaction"] >= 4)).sum()), float(rated.sum()))

    # disputes
    d = c[c["kind"] == "矛盾纠纷"]
    d_closed_in = d["closed_on"].notna() & (d["closed_on"] >= s) & (d["closed_on"] <= e)
    referred = (d["outcome"] == "转交") | (d["status"] == "已转办")
    ref_date = d["closed_on"].fillna(d["opened_on"])
    with_outcome = d_closed_in & d["outcome"].notna()
    out["disputes_handled"] = float(((d["opened_on"] >= s) & (d["opened_on"] <= e)).sum())
    out["mediation_success_rate"] = _pct(float((with_outcome & (d["outcome"] == "调解成功")).sum()),
                                         float(with_outcome.sum()))
    out["disputes_referred"] = float((referred & (ref_date >= s) & (ref_date <= e)).sum())
    out["dispute_days_median"] = _median((d["closed_on"] - d["opened_on"]).dt.days[d_closed_in & ~referred])

    # safety
    h = c[(c["kind"] == "安全隐患") & (c["status"] != "已转办")]
    h_all = c[c["kind"] == "安全隐患"]
    found = (h["opened_on"] >= s) & (h["opened_on"] <= e)
    h_closed_in = h["closed_on"].notna() & (h["closed_on"] >= s) & (h["closed_on"] <= e)
    out["hazards_found"] = float(((h_all["opened_on"] >= s) & (h_all["opened_on"] <= e)).sum())
    out["hazard_fix_rate"] = _pct(float((found & (h["closed_on"] <= e)).sum()), float(found.sum()))
    out["hazard_fix_days_median"] = _median((h["closed_on"] - h["opened_on"]).dt.days[h_closed_in])
    visits = a.loc[a["activity_type"] == "敲门入户", "households_visited"].fillna(0).sum()
    out["visit_coverage"] = _pct(float(visits), households)

    # services
    out["convenience_services"] = float(a.loc[a["pillar"] == "志愿服务", "services"].fillna(0).sum())
    out["home_repairs"] = float(a["activity_type"].isin(["水电燃气维修", "安装晾衣架"]).sum())

    # volunteers
    v = frames["volunteers"]
    vc = set(v["community"])
    if f.communities:
        vc &= set(f.communities)
    if f.compounds:
        comp = frames["compounds"]
        vc &= set(comp.loc[comp["name"].isin(f.compounds), "community"])
    v = v[v["community"].isin(vc)]
    vids = set(v["volunteer_id"])
    registered = set(v.loc[v["joined_on"].isna() | (v["joined_on"] <= e), "volunteer_id"])
    party = set(v.loc[v["party_member"].fillna(False).astype(bool), "volunteer_id"])
    hr = frames["volunteer_hours"]
    hr = hr[hr["volunteer_id"].isin(vids)]
    in_p = hr[(hr["date"] >= s) & (hr["date"] <= e)]
    active = set(in_p.loc[in_p["hours"] > 0, "volunteer_id"])
    prev_rows = hr[(hr["date"] >= ps) & (hr["date"] <= pe) & (hr["hours"] > 0)]
    prev_active = set(prev_rows["volunteer_id"])
    rd = frames["redemptions"]
    rd = rd[rd["volunteer_id"].isin(vids)]
    out["registered_volunteers"] = float(len(registered))
    out["active_volunteers"] = float(len(active))
    out["active_rate"] = _pct(float(len(active & registered)), float(len(registered)))
    out["service_hours"] = float(in_p["hours"].sum())
    out["points_awarded"] = float(in_p["points"].fillna(0).sum())
    out["points_redeemed"] = float(rd.loc[(rd["date"] >= s) & (rd["date"] <= e), "points"].sum())
    out["points_balance"] = float(hr.loc[hr["date"] <= e, "points"].fillna(0).sum() - rd.loc[rd["date"] <= e,
                                                                                             "points"].sum())
    out["retention_rate"] = _pct(float(len(prev_active & active)), float(len(prev_active)))
    out["party_share"] = _pct(float(len(active & party)), float(len(active)))

    # the pillar rule
    if f.pillars:
        for kid, k in CATALOGUE.items():
            if k.pillar is not None and k.pillar not in f.pillars:
                out[kid] = None
    return out


def reference_by_community(frames, f, targets) -> dict[str, dict[str, float | None]]:
    """community → reference(...) restricted to that community (communities in scope only)."""
    from dataclasses import replace

    out = {}
    for comm in scope_communities(frames, f)["community"]:
        out[comm] = reference(frames, replace(f, communities=(comm,)), targets)
    return out


# ------------------------------------------------------------------------------------------------
# Hand-written warehouses for semantic tests.
# ------------------------------------------------------------------------------------------------

_COLUMNS = {
    "communities": ["name", "street", "households", "founded", "batch_id"],
    "compounds": ["community", "name", "households", "batch_id"],
    "activities": ["activity_id", "date", "community", "compound", "pillar", "activity_type", "title", "partner",
                   "participants", "services", "volunteers", "households_visited", "note", "batch_id"],
    "cases": ["case_id", "kind", "category", "source", "community", "compound", "opened_on", "closed_on", "status",
              "outcome", "satisfaction", "summary", "batch_id"],
    "volunteers": ["volunteer_id", "community", "joined_on", "party_member", "team", "batch_id"],
    "volunteer_hours": ["row_key", "volunteer_id", "date", "hours", "points", "activity_id", "service", "batch_id"],
    "redemptions": ["row_key", "volunteer_id", "date", "points", "item", "batch_id"],
}
_DATES = {"date", "opened_on", "closed_on", "joined_on"}


def frames_from_rows(**tables: list[dict]) -> dict[str, pd.DataFrame]:
    """Frames from row dicts; missing columns are None, ids are numbered, dates may be 'YYYY-MM-DD'."""
    defaults = {
        "activities": {"pillar": "居民自治", "activity_type": "议事协商会", "participants": 0},
        "cases": {"kind": "居民诉求", "category": "晾晒", "status": "办理中"},
        "volunteer_hours": {"hours": 1.0},
    }
    id_col = {"activities": "activity_id", "cases": "case_id", "volunteer_hours": "row_key",
              "redemptions": "row_key"}
    out = {}
    for table, cols in _COLUMNS.items():
        rows = []
        for n, r in enumerate(tables.get(table, [])):
            row = {c: None for c in cols} | defaults.get(table, {}) | r
            if table in id_col and row[id_col[table]] is None:
                row[id_col[table]] = f"{table[:1].upper()}{n}"
            rows.append(row)
        df = pd.DataFrame(rows, columns=cols)
        for c in _DATES & set(cols):
            df[c] = pd.to_datetime(df[c])
        for c in ("households", "participants", "services", "volunteers", "households_visited", "satisfaction"):
            if c in df:
                df[c] = pd.array(df[c], dtype="Int64")
        for c in ("hours", "points"):
            if c in df:
                df[c] = pd.to_numeric(df[c]).astype("float64")
        if "party_member" in df:
            df["party_member"] = pd.array(df["party_member"], dtype="boolean")
        out[table] = df
    return out


def tiny_warehouse(**tables: list[dict]) -> Warehouse:
    frames = frames_from_rows(**tables)
    return Warehouse(build(frames), frames)


def big_frames(seed: int = 7, scale: float = 1.0, start: date = date(2021, 7, 1), days: int = 1900):
    """A demo-sized warehouse (scale 1 ≈ 25k activities, 15k cases, 100k hour rows, 10 communities)."""
    return random_frames(
        seed, communities=10, activities=int(25_000 * scale), cases=int(15_000 * scale),
        volunteers=int(2_000 * scale), hours=int(100_000 * scale), start=start, days=days,
    )
