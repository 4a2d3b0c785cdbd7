"""Demo ledgers: realistic, deterministic files that reach the warehouse only through `etl.loader`.

The reference data (street, communities, compounds, partner units, activity
types, case categories, teams, items and the article's figures) lives in
`demo/data/*.toml`; this module holds the generation only.

`write_demo_ledgers` writes the ledgers a street office (沌阳街道) would collect
from its communities: a mix of .xlsx and .csv (UTF-8 with BOM and GB18030),
one workbook with a merged title row and a 填报单位 line above the header, one
sheet per year, a ledger without activity numbers, one small file with
(obviously fake) personal columns that the loader must drop. The first
community is always 南湾社区 and reproduces the figures of the 车谷融媒 article
of 2024-02-23 about it (15 partner activities with 武汉商学院体育学院 and 450
participants, 10余 problems solved at the 议事协商会, …); the others are named
"…（演示）".

Generation is vectorised per community (numpy) and the large ledgers are
streamed to CSV community by community, so `--communities 200 --years 20`
(about 15 million rows) is written in well under a minute with little memory.

`build_demo` writes the files and loads them with `etl.loader.load_paths` into
a fresh warehouse that then replaces `db_path` whole, under the warehouse's
write lock (`etl.warehouse.write(fresh=True)`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.contract import EARLIEST_DATE, KIND_BY_NAME

if TYPE_CHECKING:
    from etl.loader import LoadReport

Progress = Callable[[str], None]

# --- reference data (demo/data/*.toml) ----------------------------------------------------------------

DATA = Path(__file__).resolve().parent / "data"


def _toml(name: str) -> dict:
    with open(DATA / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def _blank_none(x: str) -> str | None:
    """TOML has no null: a blank string in the data files means none."""
    return x or None


_C = _toml("communities")
_A = _toml("activity_types")
_K = _toml("cases")
_V = _toml("volunteers")
_ART = _toml("article")

STREET: str = _C["street"]
DEMO_MARK: str = _C["demo_mark"]  # every file name and every made-up community name carries it
NANWAN: str = _ART["community"]
DEFAULT_SEED = 20240223
DEFAULT_END = dt.date(2026, 9, 30)
DEFAULT_START = dt.date(2021, 7, 1)
DEFAULT_YEARS = 5.25  # 2021-07-01 .. 2026-09-30
ARTICLE_DATE = dt.date.fromisoformat(_ART["date"])
SPORTS_PARTNER: str = _ART["sports_partner"]
REPAIR_PARTNER: str = _ART["repair_partner"]
PARTY_PREFIX: str = _A["party_prefix"]

_EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _month(day: int) -> int:
    """Months since 1970-01 of a day number."""
    return int(np.datetime64(day, "D").astype("datetime64[M]").astype(np.int64))


def _month_start(months: np.ndarray) -> np.ndarray:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _years_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


# --- activity catalogue ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Type:
    name: str
    pillar: str
    weight: float
    size: float  # mean participants (services for mode "service")
    vol_ratio: float  # volunteers per participant
    titles: tuple[str, ...]
    mode: str = "event"  # event | service | repair
    at_compound: bool = False
    partners: tuple[str | None, ...] = (None,)  # pool the demo communities pick their partner from
    months: dict[int, float] = field(default_factory=dict)  # month (1..12) → weight multiplier


TYPES: tuple[_Type, ...] = tuple(
    _Type(t["name"], t["pillar"], t["weight"], t["size"], t["vol_ratio"], tuple(t["titles"]), t["mode"],
          t["at_compound"], tuple(_blank_none(p) for p in t["partners"]),
          {int(m): w for m, w in t.get("months", {}).items()})
    for t in _A["type"]
)
KNOCK: str = _A["knock"]
_T = {t.name: i for i, t in enumerate(TYPES)}
_SPORTS = np.array([_T[n] for n in _ART["sports_types"]])
_REPAIRS = np.array([_T[n] for n in _ART["repair_types"]])
_THEMED_DAYS = {(_T[x["type"]], x["month"] - 1): x["days"] for x in _A["themed"]}  # (type, month0) → first n days
_NANWAN_TITLES = {_T["议事协商会"]: _ART["meeting_title"]}

# activities per community-month at the end of the period (before size/level/season factors)
ACT_BASE = float(_A["base_per_month"])
CASE_BASE = float(_K["base_per_month"])
SEASON = np.array(_A["season"])
CASE_SEASON = np.array(_K["season"])

_TYPE_NAMES = np.array([t.name for t in TYPES] + [KNOCK], dtype=object)
_TYPE_PILLAR = np.array([t.pillar for t in TYPES] + ["社会治理"], dtype=object)
_TYPE_W = np.array([t.weight for t in TYPES])
_MONTH_MULT = np.array([[t.months.get(m, 1.0) for t in TYPES] for m in range(1, 13)])
_TITLE_FLAT = np.array([s for t in TYPES for s in t.titles], dtype=object)
_TITLE_LEN = np.array([len(t.titles) for t in TYPES])
_TITLE_OFF = np.concatenate([[0], np.cumsum(_TITLE_LEN)[:-1]])
_MODE = np.array([t.mode for t in TYPES])
_AT_COMPOUND = np.array([t.at_compound for t in TYPES])
_SIZE = np.array([t.size for t in TYPES])
_VOL_RATIO = np.array([t.vol_ratio for t in TYPES])


# --- cases catalogue --------------------------------------------------------------------------------

# kind, category, weight within kind, median days to close, summaries
_CASE_CATS: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = tuple(
    (c["kind"], c["name"], c["weight"], c["median_days"], tuple(c["summaries"])) for c in _K["category"]
)
_KIND_W: dict[str, float] = _K["kind_weights"]
_SOURCES = np.array(_K["sources"], dtype=object)
_SOURCE_P = {k: tuple(v) for k, v in _K["source_weights"].items()}
_CAT_KIND = np.array([c[0] for c in _CASE_CATS], dtype=object)
_CAT_NAME = np.array([c[1] for c in _CASE_CATS], dtype=object)
_CAT_P = np.array([_KIND_W[c[0]] * c[2] for c in _CASE_CATS])
_CAT_P = _CAT_P / _CAT_P.sum()
_CAT_MEDIAN = np.array([c[3] for c in _CASE_CATS])
_CAT_SOURCE_CUM = np.cumsum(np.array([_SOURCE_P[c[0]] for c in _CASE_CATS]), axis=1)
_SUM_FLAT = np.array([s for c in _CASE_CATS for s in c[4]], dtype=object)
_SUM_LEN = np.array([len(c[4]) for c in _CASE_CATS])
_SUM_OFF = np.concatenate([[0], np.cumsum(_SUM_LEN)[:-1]])
_FAKE_PHONE: str = _K["fake_phone"]  # in a few summaries, so that masking is exercised

# --- volunteers catalogue ---------------------------------------------------------------------------

_TEAMS = np.array([_blank_none(t["name"]) for t in _V["team"]], dtype=object)
_TEAM_P = np.array([t["weight"] for t in _V["team"]])
_TEAM_SERVICE = np.array([t["service"] for t in _V["team"]], dtype=object)
_HOURS = np.array(_V["hours"])
_HOURS_P = np.array(_V["hours_weights"])
POINTS_PER_HOUR = _V["points_per_hour"]
_ITEMS = np.array(_V["items"], dtype=object)
_ITEM_PRICE = np.array(_V["item_points"])

# --- the article (南湾社区, 2024-02-23) ------------------------------------------------------------

# 15 partner activities with 武汉商学院体育学院 before the article, 450 participants in all
_ARTICLE_EVENTS: tuple[tuple[str, str, int], ...] = tuple(tuple(e) for e in _ART["events"])
assert len(_ARTICLE_EVENTS) == 15 and sum(e[2] for e in _ARTICLE_EVENTS) == 450
_ARTICLE_TITLES: dict[str, str] = _ART["event_titles"]
# problems solved at the 议事协商会 ("晾晒、房屋漏水、人车分流等难题10余件")
_ARTICLE_CASES: tuple[tuple[str, str, str, str, str], ...] = tuple(tuple(c) for c in _ART["cases"])

# --- communities ------------------------------------------------------------------------------------

# name, code, households, founded, activity level, compounds (None: generated)
_FIXED = tuple(
    (c["name"], c["code"], c["households"], c["founded"], c["level"],
     tuple((name, hh) for name, hh in c["compounds"]) if "compounds" in c else None)
    for c in _C["community"]
)
_COMPOUND_SUFFIXES: tuple[str, ...] = tuple(_C["compound_suffixes"])
_NAME_A: str = _C["name_first"]
_NAME_B: str = _C["name_second"]


def _generated_names() -> list[str]:
    """Two-character names for communities beyond the fixed six, in a fixed (seed-independent) order."""
    fixed = {c[0][:2] for c in _FIXED}
    bases = [a + b for a in _NAME_A for b in _NAME_B if a + b not in fixed]
    order = np.random.default_rng(0).permutation(len(bases))
    return [bases[i] for i in order]


@dataclass
class Community:
    idx: int
    name: str
    code: str
    households: int
    founded: int
    level: float
    case_level: float
    compounds: list[str]
    compound_households: np.ndarray
    active_from: int  # first day with ledger entries (day number)
    partners: np.ndarray  # per activity type: the community's partner (or None)
    coverage: float  # typical share of households reached by a quarterly 敲门入户 round
    service_quality: float  # shifts satisfaction ratings

    @property
    def is_nanwan(self) -> bool:
        return self.idx == 0

    @property
    def blank_ids(self) -> bool:
        """This community's activities go into the ledger without 活动编号."""
        return self.idx % 6 == 5


def _split_households(rng: np.random.Generator, total: int, k: int) -> np.ndarray:
    w = 0.5 / k + 0.5 * rng.dirichlet(np.full(k, 3.0))
    hh = np.floor(w * total).astype(np.int64)
    rest = total - hh.sum()
    hh[np.argsort(-(w * total - hh), kind="stable")[:rest]] += 1
    return hh


def _make_communities(n: int, seed: int, start: int, end: dt.date) -> tuple[list[Community], list[np.random.Generator]]:
    kids = np.random.SeedSequence(seed).spawn(n)
    rngs = [np.random.default_rng(k) for k in kids]
    names = _generated_names()
    out: list[Community] = []
    for i in range(n):
        rng = rngs[i]
        if i < len(_FIXED):
            name, code, households, founded, level, compounds = _FIXED[i]
        else:
            j = i - len(_FIXED)
            base = names[j % len(names)] + ("" if j < len(names) else str(j // len(names) + 1))
            name, code = f"{base}社区{DEMO_MARK}", f"S{i + 1:03d}"
            households = int(rng.integers(2000, 9001))
            founded = int(rng.integers(1995, end.year))
            level, compounds = float(np.exp(rng.normal(0, 0.3))), None
        if compounds is None:
            k = int(rng.integers(3, 7))
            base = name[:2]
            picks = rng.choice(len(_COMPOUND_SUFFIXES), size=k, replace=False)
            cnames = [base + _COMPOUND_SUFFIXES[p] for p in sorted(picks)]
            chh = _split_households(rng, households, k)
        else:
            cnames = [c[0] for c in compounds]
            chh = np.array([c[1] for c in compounds], dtype=np.int64)
        assert chh.sum() == households
        founded_day = _day(DEFAULT_START) if i == 0 else _day(dt.date(founded, 1, 1))
        partners = np.array([t.partners[int(rng.integers(len(t.partners)))] for t in TYPES], dtype=object)
        if i == 0:
            partners[_SPORTS] = SPORTS_PARTNER
            partners[_REPAIRS] = REPAIR_PARTNER
        out.append(Community(
            idx=i, name=name, code=code, households=households, founded=founded, level=level,
            case_level=float(np.exp(rng.normal(0, 0.2))), compounds=cnames, compound_households=chh,
            active_from=max(start, founded_day), partners=partners, coverage=float(rng.uniform(0.7, 0.92)),
            service_quality=0.1 if i == 0 else float(rng.uniform(-0.1, 0.12)),
        ))
    return out, rngs


# --- period -----------------------------------------------------------------------------------------

def demo_period(years: float = DEFAULT_YEARS, end: dt.date = DEFAULT_END) -> tuple[dt.date, dt.date]:
    """The demo's first and last day: `years` whole months back from the month after `end`."""
    if years <= 0:
        raise ValueError("years must be positive")
    end = min(end, dt.date.today())
    months = max(1, round(years * 12))
    m = end.year * 12 + end.month - months  # month index (year*12 + month-1) of the first month
    start = dt.date(m // 12, m % 12 + 1, 1)
    return max(start, dt.date.fromisoformat(EARLIEST_DATE)), end


# --- activities -------------------------------------------------------------------------------------

def _pick_compound(rng: np.random.Generator, c: Community, n: int) -> np.ndarray:
    p = c.compound_households / c.households
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(n) * p.sum()), len(p) - 1)


def _gen_activities(c: Community, rng: np.random.Generator, end: int) -> dict[str, np.ndarray]:
    """One community's activities, sorted by date, with activity ids."""
    months = np.arange(_month(c.active_from), _month(end) + 1)
    ms = _month_start(months)
    me = _month_start(months + 1) - 1
    lo, hi = np.maximum(ms, c.active_from), np.minimum(me, end)
    frac = (hi - lo + 1) / (me - ms + 1)
    moy = months % 12
    growth = np.maximum(0.35, np.exp(0.12 * (months - months[-1]) / 12))
    ramp = np.clip(0.6 + (months - months[0]) / 30, 0.6, 1.0)
    size = (c.households / 5000) ** 0.5
    lam = ACT_BASE * size * c.level * SEASON[moy] * growth * ramp * frac
    mi = np.repeat(np.arange(len(months)), rng.poisson(lam))
    n = len(mi)

    mix = np.exp(rng.normal(0, 0.25, len(TYPES)))  # each community has its own mix
    cum = np.cumsum(_TYPE_W[None, :] * _MONTH_MULT * mix[None, :], axis=1)
    cum /= cum[:, -1:]
    ti = np.minimum((rng.random(n)[:, None] > cum[moy[mi]]).sum(axis=1), len(TYPES) - 1)
    day = lo[mi] + (rng.random(n) * (hi[mi] - lo[mi] + 1)).astype(np.int64)
    for (t, m0), first in _THEMED_DAYS.items():
        sel = (ti == t) & (moy[mi] == m0)
        day[sel] = np.clip(ms[mi][sel] + rng.integers(0, first, sel.sum()), lo[mi][sel], hi[mi][sel])
    if c.is_nanwan:  # before the article only the 15 scripted events were with the 商学院
        early = np.isin(ti, _SPORTS) & (day <= _day(ARTICLE_DATE))
        ti[early] = _T["环境整治"]

    title = _TITLE_FLAT[_TITLE_OFF[ti] + (rng.random(n) * _TITLE_LEN[ti]).astype(np.int64)]
    if c.is_nanwan:
        for t, s in _NANWAN_TITLES.items():
            title[ti == t] = s
    compound = np.where(_AT_COMPOUND[ti] | (rng.random(n) < 0.25), _pick_compound(rng, c, n), -1)
    partner = c.partners[ti]
    if not c.is_nanwan:
        partner = np.where(rng.random(n) < 0.15, None, partner)
    mode = _MODE[ti]
    people = np.maximum(1, np.rint(_SIZE[ti] * size ** 0.6 * np.exp(rng.normal(0, 0.35, n)))).astype(np.int64)
    services = np.full(n, -1, dtype=np.int64)
    svc = mode == "service"
    services[svc] = np.maximum(3, people[svc])
    rep = mode == "repair"
    services[rep] = rng.integers(1, 4, rep.sum())
    people[rep] = services[rep]
    volunteers = np.maximum(1, np.rint(people * _VOL_RATIO[ti] * rng.uniform(0.7, 1.3, n))).astype(np.int64)
    volunteers[svc] = rng.integers(3, 9, svc.sum())
    volunteers[rep] = rng.integers(2, 5, rep.sum())
    volunteers = np.where(mode == "event", np.minimum(volunteers, people), volunteers)
    volunteers[rng.random(n) < 0.04] = -1
    note = np.full(n, None, dtype=object)
    elder = np.where(rng.random(n) < 0.55, "独居老人", "空巢老人").astype(object)
    title[rep] = title[rep] + "（" + elder[rep] + "）"
    note[rep] = "为" + elder[rep] + "上门服务"
    if c.is_nanwan:
        note[rep] = note[rep] + "，薛锋综合技术人员参与"
    note[svc & (rng.random(n) < 0.3)] = "新建小区配套商业不足，便民服务送到家门口"
    acts = {
        "day": day, "type": ti, "compound": compound, "title": title, "partner": partner,
        "participants": people, "services": services, "volunteers": volunteers, "households_visited":
        np.full(n, -1, dtype=np.int64), "note": note,
    }
    parts = [acts, _knock_rounds(c, rng, end)]
    if c.is_nanwan:
        parts.append(_article_activities(c, end))
    acts = {k: np.concatenate([p[k] for p in parts]) for k in acts}

    n = len(acts["day"])
    pillar = _TYPE_PILLAR[acts["type"]]
    acts["pillar"] = np.where(rng.random(n) < 0.18, PARTY_PREFIX + pillar, pillar)
    if c.is_nanwan:  # the scripted ones are written the way the article puts it
        acts["pillar"][acts["title"] == _ARTICLE_TITLES["烹饪教学"]] = PARTY_PREFIX + "联动联建"
    order = np.lexsort((acts["compound"], acts["type"], acts["day"]))
    acts = {k: v[order] for k, v in acts.items()}
    acts["type"] = _TYPE_NAMES[acts["type"]]
    acts["compound"] = np.array([*c.compounds, None], dtype=object)[acts["compound"]]
    acts["id"] = np.full(n, None, dtype=object) if c.blank_ids else _numbered(c.code + "-", acts["day"], 4)
    return acts


def _numbered(prefix: str, days: np.ndarray, width: int, offsets: dict[int, int] | None = None) -> np.ndarray:
    """IDs prefix + year + '-' + running number within the year, in the given (date) order."""
    years = _years_of(days)
    ids = np.empty(len(days), dtype=object)
    for y in np.unique(years):
        sel = np.flatnonzero(years == y)
        first = (offsets or {}).get(int(y), 0)
        seq = np.arange(first + 1, first + 1 + len(sel))
        if offsets is not None:
            offsets[int(y)] = first + len(sel)
        ids[sel] = np.char.add(f"{prefix}{y}-", np.char.zfill(seq.astype(str), width)).astype(object)
    return ids


def _knock_rounds(c: Community, rng: np.random.Generator, end: int) -> dict[str, np.ndarray]:
    """Every quarter, one 敲门入户 round visiting every compound (coverage 60–100% of households)."""
    first_q, last_q = _month(c.active_from) // 3, _month(end) // 3
    quarters = np.arange(first_q, last_q + 1)
    q_lo = np.maximum(_month_start(quarters * 3), c.active_from)
    q_hi = np.minimum(_month_start(quarters * 3 + 3) - 1, end)
    nq, k = len(quarters), len(c.compounds)
    coverage = np.clip(c.coverage + rng.normal(0, 0.08, nq), 0.6, 1.0)
    span = q_hi - q_lo + 1
    base = q_lo + (rng.random(nq) * np.maximum(1, span * 2 // 3)).astype(np.int64)
    day = np.minimum(base[:, None] + rng.integers(0, 7, (nq, k)), q_hi[:, None]).ravel()
    compound = np.tile(np.arange(k), nq)
    cov = np.clip(np.repeat(coverage, k) * rng.uniform(0.94, 1.06, nq * k), 0.6, 1.0)
    visited = np.minimum(c.compound_households[compound], np.rint(c.compound_households[compound] * cov)).astype(
        np.int64)
    volunteers = np.maximum(2, np.rint(visited / 40 * rng.uniform(0.7, 1.3, nq * k))).astype(np.int64)
    staff = rng.integers(2, 6, nq * k)
    title = np.array([f"每季度敲门入户探访行动（{q // 4 + 1970}年第{q % 4 + 1}季度）" for q in quarters],
                     dtype=object)[np.repeat(np.arange(nq), k)]
    note = np.where(rng.random(nq * k) < 0.3, "重点探访独居、空巢老人等特殊群体", None).astype(object)
    n = nq * k
    return {
        "day": day, "type": np.full(n, len(TYPES), dtype=np.int64), "compound": compound, "title": title,
        "partner": np.full(n, None, dtype=object), "participants": volunteers + staff,
        "services": np.full(n, -1, dtype=np.int64), "volunteers": volunteers, "households_visited": visited,
        "note": note,
    }


def _article_activities(c: Community, end: int) -> dict[str, np.ndarray]:
    """南湾社区's scripted rows: the 15 商学院 events and the 议事协商会 meetings behind the article's cases."""
    rows = []
    dfc = c.compounds.index("东风凤凰城")
    for i, (d, t, people) in enumerate(_ARTICLE_EVENTS):
        rows.append((_day(dt.date.fromisoformat(d)), _T[t], dfc if i % 3 == 0 else -1, _ARTICLE_TITLES[t],
                     SPORTS_PARTNER, people, -1, 4 + i % 5, -1, "链接武汉商学院特色专业师资资源"))
    for i, (d, _closed, cat, comp, _summary) in enumerate(_ARTICLE_CASES):
        rows.append((_day(dt.date.fromisoformat(d)), _T["议事协商会"], c.compounds.index(comp),
                     _NANWAN_TITLES[_T["议事协商会"]], None, 16 + i % 7, -1, 3 + i % 4, -1, f"集中议事：{cat}问题"))
    rows = [r for r in rows if c.active_from <= r[0] <= end]
    cols = list(zip(*rows, strict=True)) if rows else [()] * 10
    ints = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    objs = lambda x: np.array(x, dtype=object)  # noqa: E731
    return {
        "day": ints(cols[0]), "type": ints(cols[1]), "compound": ints(cols[2]), "title": objs(cols[3]),
        "partner": objs(cols[4]), "participants": ints(cols[5]), "services": ints(cols[6]),
        "volunteers": ints(cols[7]), "households_visited": ints(cols[8]), "note": objs(cols[9]),
    }


# --- cases ------------------------------------------------------------------------------------------

def _gen_cases(
    c: Community, rng: np.random.Generator, end: int, meetings: np.ndarray, counters: dict[int, int]
) -> dict[str, np.ndarray]:
    months = np.arange(_month(c.active_from), _month(end) + 1)
    ms = _month_start(months)
    me = _month_start(months + 1) - 1
    lo, hi = np.maximum(ms, c.active_from), np.minimum(me, end)
    frac = (hi - lo + 1) / (me - ms + 1)
    growth = np.maximum(0.4, np.exp(0.08 * (months - months[-1]) / 12))
    ramp = np.clip(0.6 + (months - months[0]) / 30, 0.6, 1.0)
    lam = CASE_BASE * (c.households / 5000) ** 0.8 * c.case_level * CASE_SEASON[months % 12] * growth * ramp * frac
    mi = np.repeat(np.arange(len(months)), rng.poisson(lam))
    n = len(mi)
    cat = np.minimum(np.searchsorted(np.cumsum(_CAT_P), rng.random(n), side="right"), len(_CASE_CATS) - 1)
    opened = lo[mi] + (rng.random(n) * (hi[mi] - lo[mi] + 1)).astype(np.int64)
    src = np.minimum((rng.random(n)[:, None] > _CAT_SOURCE_CUM[cat]).sum(axis=1), len(_SOURCES) - 1)
    # a 议事协商会 case is raised at a meeting: the community's last one on or before the date
    at_meeting = np.flatnonzero(src == 0)
    j = np.searchsorted(meetings, opened[at_meeting], side="right") - 1
    opened[at_meeting[j >= 0]] = meetings[j[j >= 0]]
    src[at_meeting[j < 0]] = 4
    if c.is_nanwan:  # before the article, the 议事协商会 cases are the scripted ones ("10余件")
        src[(src == 0) & (opened <= _day(ARTICLE_DATE))] = 4
    days = np.rint(np.exp(np.log(_CAT_MEDIAN[cat]) + 0.85 * rng.normal(size=n))).astype(np.int64)
    closed = opened + days
    compound = np.where(rng.random(n) < 0.95, _pick_compound(rng, c, n), -1)
    summary = _SUM_FLAT[_SUM_OFF[cat] + (rng.random(n) * _SUM_LEN[cat]).astype(np.int64)]
    satisfaction = np.full(n, -1, dtype=np.int64)

    if c.is_nanwan:
        rows = [r for r in _ARTICLE_CASES if c.active_from <= _day(dt.date.fromisoformat(r[0])) <= end]
        k = len(rows)
        cat = np.concatenate([cat, [int(np.flatnonzero(r[2] == _CAT_NAME)[0]) for r in rows]]).astype(np.int64)
        opened = np.concatenate([opened, [_day(dt.date.fromisoformat(r[0])) for r in rows]]).astype(np.int64)
        closed = np.concatenate([closed, [_day(dt.date.fromisoformat(r[1])) for r in rows]]).astype(np.int64)
        src = np.concatenate([src, np.zeros(k, dtype=np.int64)])
        compound = np.concatenate([compound, [c.compounds.index(r[3]) for r in rows]]).astype(np.int64)
        summary = np.concatenate([summary, np.array([r[4] for r in rows], dtype=object)])
        satisfaction = np.concatenate([satisfaction, 5 - np.arange(k) % 3 // 2])
        n += k
    scripted = satisfaction > 0
    kind = _CAT_KIND[cat]
    is_open = closed > end
    closed_ok = ~is_open
    status = np.where(is_open, np.where(rng.random(n) < 0.85, "办理中", "已转办"), "已办结").astype(object)
    status[closed_ok & ~scripted & (rng.random(n) < 0.08)] = None  # blank + 办结日期 means 已办结
    closed[is_open] = -1
    u = rng.random(n)
    outcome = np.where(u < 0.8, "调解成功", np.where(u < 0.92, "调解不成功", "转交")).astype(object)
    outcome[~((kind == "矛盾纠纷") & closed_ok)] = None
    slow = (closed - opened) > 30
    q = c.service_quality  # communities differ in how satisfied residents are
    p_fast = np.cumsum([0.015, 0.025, 0.08 - q / 2, 0.30 - q / 2, 0.58 + q])
    p_slow = np.cumsum([0.06, 0.10, 0.24 - q / 2, 0.32 - q / 2, 0.28 + q])
    u = rng.random(n)
    rated = np.where(slow, np.searchsorted(p_slow, u, side="right"), np.searchsorted(p_fast, u, side="right")) + 1
    rate = (kind == "居民诉求") & closed_ok & ~scripted & (rng.random(n) < 0.7)
    satisfaction[rate] = np.minimum(rated[rate], 5)
    cnames = np.array([*c.compounds, None], dtype=object)[compound]
    summary = np.array([f"{x}：" for x in c.compounds] + [""], dtype=object)[compound] + summary
    if c.is_nanwan:  # a phone number typed into the summary, which the loader must mask
        hotline = np.flatnonzero((kind == "居民诉求") & (src == 3))[:3]
        summary[hotline] = f"热线回访电话{_FAKE_PHONE}，" + summary[hotline]

    order = np.lexsort((cat, opened))
    out = {
        "kind": kind, "category": _CAT_NAME[cat], "source": _SOURCES[src], "compound": cnames, "opened": opened,
        "closed": closed, "status": status, "outcome": outcome, "satisfaction": satisfaction, "summary": summary,
    }
    out = {k: v[order] for k, v in out.items()}
    out["id"] = _numbered("C", out["opened"], 6, counters)
    return out


# --- volunteers, service hours, redemptions -----------------------------------------------------------

def _gen_volunteers(c: Community, rng: np.random.Generator, end: int) -> dict[str, np.ndarray]:
    span = end - c.active_from + 1
    n_init = max(5, round(c.households * 0.018 * c.level))
    n_late = int(rng.poisson(c.households * 0.0065 * c.level * span / 365.25))
    join = np.sort(np.concatenate([
        c.active_from + rng.integers(0, min(90, span), n_init),
        c.active_from + (span * rng.random(n_late) ** 0.8).astype(np.int64),  # more joiners in later years
    ]))
    n = len(join)
    leave = join + rng.exponential(1300, n).astype(np.int64)  # churn: mean stay about 3.5 years
    team = np.minimum(np.searchsorted(np.cumsum(_TEAM_P), rng.random(n), side="right"), len(_TEAMS) - 1)
    party = rng.random(n) < np.where(team == 0, 0.8, 0.33)
    ids = np.char.add(f"{c.code}-V", np.char.zfill(np.arange(1, n + 1).astype(str), 4)).astype(object)
    return {"id": ids, "join": join, "stop": np.minimum(leave, end), "team": team, "party": party}


def _gen_hours(
    c: Community, rng: np.random.Generator, vols: dict[str, np.ndarray], acts: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    join, stop, team = vols["join"], vols["stop"], vols["team"]
    nv = len(join)
    rate = np.exp(rng.normal(np.log(2.4), 0.6, nv)) * np.where(vols["party"], 1.3, 1.0)  # records per month
    vi = np.repeat(np.arange(nv), rng.poisson(rate * (stop - join + 1) / 30.44))
    n = len(vi)
    t = join[vi] + (rng.random(n) * (stop[vi] - join[vi] + 1)).astype(np.int64)
    day = t.copy()
    activity_id = np.full(n, None, dtype=object)
    service = _TEAM_SERVICE[team[vi]]
    # most records belong to an activity: one of the next few after t, in proportion to its volunteers;
    # the 能工巧匠 team serves at the home repairs
    link = rng.random(n) < 0.72
    repair_team = team[vi] == 0
    slots = np.repeat(np.arange(len(acts["day"])), np.clip(acts["volunteers"], 1, 30))
    repair_slots = slots[np.isin(acts["type"][slots], ["水电燃气维修", "安装晾衣架"])]
    for sel, pool in ((link & repair_team, repair_slots), (link & ~repair_team, slots)):
        idx = np.flatnonzero(sel)
        if len(idx) == 0 or len(pool) == 0:
            continue
        slot_day = acts["day"][pool]
        j = np.searchsorted(slot_day, t[idx], side="left") + rng.integers(0, 40, len(idx))
        ok = j < len(pool)
        idx, j = idx[ok], pool[j[ok]]
        ok = acts["day"][j] <= stop[vi[idx]]
        idx, j = idx[ok], j[ok]
        day[idx] = acts["day"][j]
        activity_id[idx] = acts["id"][j]
        service[idx] = acts["type"][j]
    hours = _HOURS[np.minimum(np.searchsorted(np.cumsum(_HOURS_P), rng.random(n), side="right"), len(_HOURS) - 1)]
    order = np.lexsort((day, vi))
    vi, day, hours, activity_id, service = vi[order], day[order], hours[order], activity_id[order], service[order]
    keep = np.ones(n, dtype=bool)  # one record per volunteer and day
    keep[1:] = (vi[1:] != vi[:-1]) | (day[1:] != day[:-1])
    return {
        "vi": vi[keep], "id": vols["id"][vi[keep]], "day": day[keep], "hours": hours[keep],
        "points": hours[keep] * POINTS_PER_HOUR, "activity_id": activity_id[keep], "service": service[keep],
    }


def _gen_redemptions(
    rng: np.random.Generator, vols: dict[str, np.ndarray], hours: dict[str, np.ndarray], end: int
) -> dict[str, np.ndarray]:
    """爱心货柜 redemptions; cumulative points redeemed never exceed the points earned up to that day."""
    join, stop = vols["join"], vols["stop"]
    nv = len(join)
    lo = join + 20
    hi = np.minimum(stop + 45, end)
    k = np.where(hi >= lo, rng.poisson(np.maximum(hi - lo, 0) / 30.44 / 4), 0)
    vi = np.repeat(np.arange(nv), k)
    t = lo[vi] + (rng.random(len(vi)) * (hi[vi] - lo[vi] + 1)).astype(np.int64)
    order = np.lexsort((t, vi))
    vi, t = vi[order], t[order]
    keep = np.ones(len(vi), dtype=bool)
    keep[1:] = (vi[1:] != vi[:-1]) | (t[1:] != t[:-1])
    vi, t = vi[keep], t[keep]
    # points earned by each volunteer up to and including day t (hours are sorted by volunteer, day)
    big = np.int64(1 << 32)
    h_key = hours["vi"].astype(np.int64) * big + hours["day"]
    cum = np.concatenate([[0.0], np.cumsum(hours["points"])])
    first = np.searchsorted(hours["vi"], np.arange(nv), side="left")
    pos = np.searchsorted(h_key, vi.astype(np.int64) * big + t, side="right")
    earned = cum[pos] - cum[first[vi]]
    # redeem a share of what was earned; what each visit may spend is the growth of that share
    share = np.floor(rng.uniform(0.5, 0.95, nv)[vi] * earned / 10) * 10
    prev = np.concatenate([[0.0], share[:-1]])
    prev[np.concatenate([[True], vi[1:] != vi[:-1]])] = 0.0
    budget = share - prev
    affordable = np.searchsorted(_ITEM_PRICE, budget, side="right")
    keep = affordable > 0
    vi, t, budget, affordable = vi[keep], t[keep], budget[keep], affordable[keep]
    item = (rng.random(len(vi)) * affordable).astype(np.int64)
    qty = np.minimum(3, budget // _ITEM_PRICE[item]).astype(np.int64)
    name = _ITEMS[item]
    name = np.where(qty > 1, name + "×" + qty.astype(str).astype(object), name).astype(object)
    return {"vi": vi, "id": vols["id"][vi], "day": t, "points": (qty * _ITEM_PRICE[item]).astype(float), "item": name}


# --- writing ----------------------------------------------------------------------------------------

def _headers(kind: str, names: list[str]) -> list[str]:
    zh = {f.name: f.zh for f in KIND_BY_NAME[kind].fields}
    return [zh.get(n, n) for n in names]  # names outside the contract (the personal columns) as written


def _arrow(col: np.ndarray, typ: str) -> pa.Array:
    if typ == "date":
        return pa.array(col.astype(np.int32), pa.date32(), mask=col < 0)
    if typ == "int":
        return pa.array(col.astype(np.int64), pa.int64(), mask=col < 0)
    if typ == "float":
        return pa.array(col.astype(np.float64), pa.float64())
    if typ == "bool":
        return pa.array(np.where(col, "是", "否").astype(object), pa.string())
    return pa.array(col, pa.string())


def _pylist(col: np.ndarray, typ: str) -> list:
    if typ == "date":
        return [None if d < 0 else _EPOCH + dt.timedelta(days=int(d)) for d in col]
    if typ == "int":
        return [None if v < 0 else int(v) for v in col]
    if typ == "float":
        return [int(v) if float(v).is_integer() else float(v) for v in col]
    if typ == "bool":
        return ["是" if v else "否" for v in col]
    return list(col)


class _CsvSink:
    """A CSV ledger written in pieces; the file is created with the first non-empty piece."""

    def __init__(self, path: Path, headers: list[str], encoding: str = "utf-8-sig", eol: str = "\n") -> None:
        self.path, self.headers, self.encoding, self.eol = path, headers, encoding, eol
        self._fh: io.BufferedWriter | None = None
        self.rows = 0

    def write(self, columns: list[tuple[np.ndarray, str]]) -> None:
        n = len(columns[0][0])
        if n == 0:
            return
        if self._fh is None:
            self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            if self.encoding == "utf-8-sig":
                self._fh.write(codecs.BOM_UTF8)
            self._fh.write((",".join(self.headers) + self.eol).encode(self._codec))
        table = pa.table([_arrow(a, t) for a, t in columns], names=[f"c{i}" for i in range(len(columns))])
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none", eol=self.eol)
        if self._codec == "utf-8":
            pacsv.write_csv(table, self._fh, opts)
        else:
            buf = io.BytesIO()
            pacsv.write_csv(table, buf, opts)
            self._fh.write(buf.getvalue().decode("utf-8").encode(self._codec))
        self.rows += n

    @property
    def _codec(self) -> str:
        return "utf-8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding

    def close(self) -> Path | None:
        if self._fh is None:
            return None
        self._fh.close()
        return self.path


@dataclass
class _XlsxSheet:
    name: str
    headers: list[str]
    columns: list[tuple[np.ndarray, str]]
    title: str | None = None  # merged title row above the header
    subtitle: str | None = None  # "填报单位：… 填报日期：…"
    blank_rows: int = 0  # formatted but empty rows below the data, as templates have


def _write_xlsx(path: Path, sheets: list[_XlsxSheet], notes: list[str] | None = None) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh.name)
        ncol = len(sh.headers)
        if sh.title:
            ws.append([sh.title])
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=ncol)
            ws.cell(ws.max_row, 1).font = Font(bold=True, size=14)
            ws.cell(ws.max_row, 1).alignment = Alignment(horizontal="center")
        if sh.subtitle:
            ws.append([sh.subtitle])
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=ncol)
        ws.append(sh.headers)
        header_row = ws.max_row
        for j in range(1, ncol + 1):
            cell = ws.cell(header_row, j)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.border = border
            ws.column_dimensions[get_column_letter(j)].width = max(10, 2.2 * len(sh.headers[j - 1]) + 4)
        lists = [_pylist(a, t) for a, t in sh.columns]
        for row in zip(*lists, strict=True):
            ws.append(row)
        for j, (_, t) in enumerate(sh.columns, start=1):
            if t == "date":
                for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=j, max_col=j):
                    cell.number_format = "yyyy-mm-dd"
        last = ws.max_row
        for r in range(last + 1, last + 1 + sh.blank_rows):
            for j in range(1, ncol + 1):
                ws.cell(r, j).border = border
        ws.freeze_panes = ws.cell(header_row + 1, 1)
    if notes:
        ws = wb.create_sheet("填表说明")
        for line in notes:
            ws.append([line])
        ws.column_dimensions["A"].width = 80
    fixed = dt.datetime(2026, 1, 1)
    wb.properties.creator = "demo"
    wb.properties.created = fixed
    wb.save(path)
    return path


# --- the ledgers --------------------------------------------------------------------------------------

ACTIVITY_FIELDS = (
    ("activity_id", "id", "str"), ("date", "day", "date"), ("community", None, "str"),
    ("compound", "compound", "str"), ("pillar", "pillar", "str"), ("activity_type", "type", "str"),
    ("title", "title", "str"), ("partner", "partner", "str"), ("participants", "participants", "int"),
    ("volunteers", "volunteers", "int"), ("services", "services", "int"),
    ("households_visited", "households_visited", "int"), ("note", "note", "str"),
)
# the ledger without 活动编号 lists its columns in another order, the way a different clerk would
ACTIVITY_FIELDS_NOID = tuple(ACTIVITY_FIELDS[i] for i in (1, 2, 3, 5, 4, 6, 8, 9, 10, 11, 7, 12, 0))
CASE_FIELDS = (
    ("case_id", "id", "str"), ("kind", "kind", "str"), ("category", "category", "str"),
    ("community", None, "str"), ("compound", "compound", "str"), ("source", "source", "str"),
    ("opened_on", "opened", "date"), ("closed_on", "closed", "date"), ("status", "status", "str"),
    ("outcome", "outcome", "str"), ("satisfaction", "satisfaction", "int"), ("summary", "summary", "str"),
)
HOURS_FIELDS = (
    ("volunteer_id", "id", "str"), ("date", "day", "date"), ("hours", "hours", "float"),
    ("points", "points", "float"), ("activity_id", "activity_id", "str"), ("service", "service", "str"),
)
REDEMPTION_FIELDS = (
    ("volunteer_id", "id", "str"), ("date", "day", "date"), ("points", "points", "float"), ("item", "item", "str"),
)


def _columns(fields, data: dict[str, np.ndarray], community: str) -> list[tuple[np.ndarray, str]]:
    n = len(next(iter(data.values())))
    out = []
    for _name, key, typ in fields:
        col = np.full(n, community, dtype=object) if key is None else data[key]
        out.append((col, typ))
    return out


def _clear(out_dir: Path) -> None:
    for p in out_dir.iterdir():
        if p.is_file() and DEMO_MARK in p.name and p.suffix.lower() in (".csv", ".xlsx"):
            p.unlink()


def write_demo_ledgers(
    out_dir: Path,
    communities: int = 6,
    years: float = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    end: dt.date = DEFAULT_END,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the demo ledgers into out_dir (replacing earlier demo files) and return them in load order."""
    if communities < 1:
        raise ValueError("communities must be at least 1")
    say = progress or (lambda _msg: None)
    start_date, end_date = demo_period(years, end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    say(f"生成演示台账 / writing demo ledgers: {communities} 个社区 communities, "
        f"{start_date.isoformat()}–{end_date.isoformat()} → {out_dir}")
    end_day = _day(end_date)
    comms, rngs = _make_communities(communities, seed, _day(start_date), end_date)

    paths: list[Path] = []
    paths.append(_write_xlsx(out_dir / f"沌阳街道社区名册{DEMO_MARK}.xlsx", [_XlsxSheet(
        "社区名册", _headers("communities", ["street", "community", "households", "founded"]),
        [(np.full(len(comms), STREET, dtype=object), "str"), (np.array([c.name for c in comms], dtype=object), "str"),
         (np.array([c.households for c in comms]), "int"), (np.array([c.founded for c in comms]), "int")],
    )]))
    compounds = _CsvSink(out_dir / f"沌阳街道小区名册{DEMO_MARK}.csv",
                         _headers("compounds", ["community", "compound", "households"]), "gb18030", "\r\n")
    for c in comms:
        compounds.write([(np.full(len(c.compounds), c.name, dtype=object), "str"),
                         (np.array(c.compounds, dtype=object), "str"), (c.compound_households, "int")])
    paths.append(compounds.close())

    def hdr(kind: str, fields) -> list[str]:
        return _headers(kind, [f[0] for f in fields])

    volunteers = _CsvSink(out_dir / f"志愿者名册{DEMO_MARK}.csv",
                          _headers("volunteers", ["volunteer_id", "community", "joined_on", "party_member", "team"]))
    acts_main = _CsvSink(out_dir / f"各社区活动台账{DEMO_MARK}.csv", hdr("activities", ACTIVITY_FIELDS))
    acts_noid = _CsvSink(out_dir / f"活动台账_未填编号{DEMO_MARK}.csv", hdr("activities", ACTIVITY_FIELDS_NOID),
                         "gb18030", "\r\n")
    cases = _CsvSink(out_dir / f"诉求与纠纷台账{DEMO_MARK}.csv", hdr("cases", CASE_FIELDS))
    hours_by_year: dict[int, _CsvSink] = {}
    redemptions = _CsvSink(out_dir / f"爱心货柜积分兑换{DEMO_MARK}.csv", hdr("redemptions", REDEMPTION_FIELDS))
    nanwan_sheets: list[_XlsxSheet] = []
    nanwan_redemptions: _XlsxSheet | None = None
    counters: dict[int, int] = {}

    for c, rng in zip(comms, rngs, strict=True):
        if c.active_from > end_day:  # founded after the period: in the rosters only
            continue
        acts = _gen_activities(c, rng, end_day)
        meetings = acts["day"][acts["type"] == "议事协商会"]
        case = _gen_cases(c, rng, end_day, meetings, counters)
        vols = _gen_volunteers(c, rng, end_day)
        hours = _gen_hours(c, rng, vols, acts)
        reds = _gen_redemptions(rng, vols, hours, end_day)

        if c.is_nanwan:
            years_of = _years_of(acts["day"])
            for y in np.unique(years_of):
                sel = years_of == y
                nanwan_sheets.append(_XlsxSheet(
                    f"{y}年", hdr("activities", ACTIVITY_FIELDS),
                    [(a[sel], t) for a, t in _columns(ACTIVITY_FIELDS, acts, c.name)],
                    title=f"{STREET}{c.name}活动台账（演示数据）",
                    subtitle=f"填报单位：{STREET}{c.name}居民委员会　　填报日期：{end_date:%Y年%m月%d日}",
                    blank_rows=3,
                ))
            seq = np.array([int(s.rsplit("V", 1)[1]) for s in reds["id"]], dtype=np.int64)
            personal = [
                (reds["id"], "str"),
                (np.array([f"演示居民{s}" for s in seq], dtype=object), "str"),
                (np.array([f"138{s:08d}" for s in seq], dtype=object), "str"),
                (reds["day"], "date"), (reds["points"], "float"), (reds["item"], "str"),
            ]
            nanwan_redemptions = _XlsxSheet(
                "爱心货柜兑换登记",
                ["志愿者编号", "姓名", "联系电话", *_headers("redemptions", ["date", "points", "item"])],
                personal,
            )
        elif c.blank_ids:
            acts_noid.write(_columns(ACTIVITY_FIELDS_NOID, acts, c.name))
        else:
            acts_main.write(_columns(ACTIVITY_FIELDS, acts, c.name))
        cases.write(_columns(CASE_FIELDS, case, c.name))
        volunteers.write([(vols["id"], "str"), (np.full(len(vols["id"]), c.name, dtype=object), "str"),
                          (vols["join"], "date"), (vols["party"], "bool"), (_TEAMS[vols["team"]], "str")])
        h_years = _years_of(hours["day"])
        for y in np.unique(h_years):
            sel = h_years == y
            if int(y) not in hours_by_year:
                hours_by_year[int(y)] = _CsvSink(out_dir / f"志愿服务记录_{y}年{DEMO_MARK}.csv",
                                                 hdr("volunteer_hours", HOURS_FIELDS))
            hours_by_year[int(y)].write([(a[sel], t) for a, t in _columns(HOURS_FIELDS, hours, c.name)])
        if not c.is_nanwan:
            redemptions.write(_columns(REDEMPTION_FIELDS, reds, c.name))

    paths.append(volunteers.close())
    if nanwan_sheets:
        notes = ["填表说明", "本文件为演示数据，由程序生成，不含真实个人信息。", "每年一个工作表；板块可写“党建+联动联建”等形式。"]
        paths.append(_write_xlsx(out_dir / f"南湾社区活动台账{DEMO_MARK}.xlsx", nanwan_sheets, notes))
    paths += [acts_main.close(), acts_noid.close(), cases.close()]
    paths += [hours_by_year[y].close() for y in sorted(hours_by_year)]
    if nanwan_redemptions is not None and len(nanwan_redemptions.columns[0][0]):
        paths.append(_write_xlsx(out_dir / f"南湾社区爱心货柜兑换登记{DEMO_MARK}.xlsx", [nanwan_redemptions]))
    paths.append(redemptions.close())
    return [p for p in paths if p is not None]


# --- building the demo warehouse ------------------------------------------------------------------

class NotADemoWarehouse(RuntimeError):
    """build_demo refuses to replace a warehouse that holds loaded, non-demo data."""


def _check_replaceable(db_path: Path) -> None:
    if not db_path.exists():
        return
    from etl import warehouse

    con = warehouse.open_read_only(db_path)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        batches = con.execute("SELECT count(*) FROM load_batches").fetchone()[0] if "load_batches" in tables else 0
        row = con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone() if "meta" in tables else None
    finally:
        con.close()
    if batches and (row is None or row[0] != "demo"):
        raise NotADemoWarehouse(
            f"{db_path} 中已有导入的台账数据（不是演示数据），不会被演示数据覆盖；请用 --db 指定另一个文件 / "
            f"{db_path} holds loaded non-demo data and is not replaced by the demo; choose another --db"
        )


def ledger_dir(db_path: Path | str) -> Path:
    """Where the demo ledgers of the warehouse at db_path are written: beside it, never in the repository's data/demo/."""
    db_path = Path(db_path)
    return db_path.parent / f"{db_path.stem}-ledgers"


def build_demo(
    db_path: Path,
    out_dir: Path | None = None,
    communities: int = 6,
    years: float = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    end: dt.date = DEFAULT_END,
) -> LoadReport:
    """Write the demo ledgers and load them with `etl.loader.load_paths` into a fresh demo warehouse.

    The load starts from an empty warehouse that then replaces `db_path` whole, under the warehouse's
    write lock, so the demo warehouse holds exactly this demo (no rows left from an earlier one).
    The ledgers are written into `out_dir`, by default `ledger_dir(db_path)`. Returns the LoadReport.
    """
    from etl.loader import load_paths

    db_path = Path(db_path)
    out_dir = Path(out_dir) if out_dir is not None else ledger_dir(db_path)
    _check_replaceable(db_path)  # fail early, before writing ledgers; checked again under the lock
    paths = write_demo_ledgers(out_dir, communities=communities, years=years, seed=seed, end=end,
                               progress=progress)
    return load_paths(paths, db_path, progress=progress, dataset="demo", fresh=True, guard=_check_replaceable)
