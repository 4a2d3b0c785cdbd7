"""The briefing's numbers: one `Briefing` per (quarter, scope), every value from `kpi/`.

`build(con, "2024Q1", community="南湾社区")` asks the KPI layer for everything
the briefing shows (comparisons, pillar splits, trends, scorecard, warnings,
compounds) once; the narrative, the figures and the four exports only read the
`Briefing` they are given, so all products of one briefing show the same
numbers.

The viewer's scope: `build(..., allowed=("南湾社区",))` (as `kpi.Filters.allowed`)
builds only briefings of an allowed community, every number through kpi/ with
that scope; its scorecard holds only that community, ranked among the whole
street by `kpi.scorecard.standing` (rank and street average, no other name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pandas as pd

import kpi
from kpi import scorecard as _scorecard
from kpi import series as _series
from kpi.calendar import Quarter, add_months
from kpi.filters import Filters
from kpi.scorecard import Standing
from kpi.targets import Targets
from present.format import fmt_quarter, fmt_timestamp, missing
from present.labels import t

HEADLINE_MAX = 8
TREND_MONTHS = 12
ISSUE_QUARTERS = 5
ISSUE_IDS = ("cases_opened", "cases_closed", "closure_rate", "satisfaction_rate", "on_time_rate")
VOLUNTEER_IDS = ("points_awarded", "points_redeemed", "active_volunteers")
PILLAR_IDS = ("activities", "participants")
COMPOUND_IDS = (
    "activities", "participants", "participants_per_100_households", "cases_opened", "closure_rate",
    "visit_coverage",
)
# A quarter "has data" when at least one of these is non-zero in scope.
_EVIDENCE_IDS = (
    "activities", "cases_opened", "disputes_handled", "hazards_found", "service_hours", "points_redeemed",
)


class BriefingError(ValueError):
    """A briefing that cannot be made (unknown quarter / community, outside the viewer's scope, no data).
    Message in zh / en; `code` is 'quarter' | 'community' | 'scope' | 'no_data'."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


# ---------------------------------------------------------------- quarters

def parse_quarter(text: str | Quarter) -> Quarter:
    """`kpi.calendar.Quarter.parse`, raising BriefingError('quarter') with a bilingual message."""
    try:
        return Quarter.parse(text)
    except ValueError:
        raise BriefingError(
            "quarter",
            f"无法识别的季度“{text}”，请写成 2024Q1 的形式",
            f"unknown quarter {text!r}; write it like 2024Q1",
        ) from None


def available_quarters(opts: kpi.ScopeOptions) -> list[Quarter]:
    """Quarters overlapping the data's date range, newest first (empty without data)."""
    if opts.min_date is None or opts.max_date is None:
        return []
    out, q = [], Quarter.of(opts.max_date)
    first = Quarter.of(opts.min_date)
    while q >= first:
        out.append(q)
        q = q.shift(-1)
    return out


def default_quarter(opts: kpi.ScopeOptions, today: dt.date | None = None) -> Quarter | None:
    """The last complete quarter: its end is on or before both today and the latest data date."""
    if opts.max_date is None:
        return None
    today = today or dt.date.today()
    limit = min(today, opts.max_date)
    q = Quarter.of(limit)
    if q.end > limit:
        q = q.shift(-1)
    qs = available_quarters(opts)
    if qs and q < qs[-1]:  # less than one complete quarter of data: the latest one there is
        return qs[0]
    return q


# ---------------------------------------------------------------- scope

@dataclass(frozen=True)
class Scope:
    street: str
    community: str | None = None  # None = the whole street

    def label(self, lang: str = "zh") -> str:
        if self.community:
            return f"{self.street}{self.community}" if lang == "zh" else f"{self.community}, {self.street}"
        return f"{self.street}（{t('briefing.whole_street', lang)}）" if lang == "zh" else \
            f"{self.street} ({t('briefing.whole_street', lang)})"

    @property
    def name(self) -> str:
        return self.community or self.street


def resolve_scope(opts: kpi.ScopeOptions, community: str | None) -> tuple[Scope, tuple[str, ...]]:
    """The scope and the `Filters.communities` it stands for; BriefingError('community') if unknown."""
    comms = opts.communities
    community = (community or "").strip() or None
    if community is not None:
        row = comms[comms["community"] == community]
        if row.empty:
            known = "、".join(comms["community"].astype(str))
            raise BriefingError(
                "community",
                f"未知的社区“{community}”；可选：{known}",
                f"unknown community {community!r}; one of: {known}",
            )
        return Scope(str(row["street"].iloc[0]), community), (community,)
    streets = list(dict.fromkeys(comms["street"].astype(str)))
    return Scope("、".join(streets) if streets else ""), ()


# ---------------------------------------------------------------- the briefing

@dataclass(frozen=True)
class Meta:
    quarter: Quarter
    scope: Scope
    start: dt.date
    end: dt.date
    data_min: dt.date | None
    data_max: dt.date | None  # latest date in the data ("数据截至")
    last_load_at: dt.datetime | None  # UTC
    dataset: str | None
    data_version: str | None
    targets_version: str | None
    generated_at: dt.datetime  # UTC
    communities: int  # communities in the street (for "排名第 n / N")

    @property
    def demo(self) -> bool:
        return self.dataset == "demo"

    @property
    def incomplete(self) -> bool:
        return self.data_max is not None and self.data_max < self.end

    def title(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.scope.label(lang)} {fmt_quarter(self.quarter, lang)} {t('briefing.product', lang)}"
        return f"{self.scope.label(lang)} — {fmt_quarter(self.quarter, lang)} {t('briefing.product', lang)}"

    def period_text(self, lang: str = "zh") -> str:
        return f"{t('briefing.period', lang)} {self.start:%Y-%m-%d} {t('briefing.to', lang)} {self.end:%Y-%m-%d}"

    def freshness_text(self, lang: str = "zh") -> str:
        """"数据截至 2026-09-30，最近导入 2026-11-28 10:39（北京时间）"."""
        parts = []
        if self.data_max is not None:
            parts.append(f"{t('briefing.freshness', lang)} {self.data_max:%Y-%m-%d}")
        if self.last_load_at is not None:
            parts.append(f"{t('briefing.loaded_at', lang)} {fmt_timestamp(self.last_load_at, lang)}{t('briefing.beijing', lang)}")
        return ("，" if lang == "zh" else ", ").join(parts) if parts else "—"

    def stamp(self, lang: str = "zh") -> str:
        """The line every product carries: scope · quarter · freshness · 演示数据."""
        sep = " ｜ " if lang == "zh" else " | "
        parts = [self.scope.label(lang), fmt_quarter(self.quarter, lang), self.period_text(lang), self.freshness_text(lang)]
        if self.incomplete and self.data_max is not None:
            parts.append(f"{t('briefing.incomplete', lang)} {self.data_max:%Y-%m-%d}")
        if self.demo:
            parts.append(t("briefing.demo", lang))
        return sep.join(parts)

    def file_stem(self, lang: str = "zh") -> str:
        """季度简报_南湾社区_2024Q1_演示数据 / Quarterly_briefing_南湾社区_2024Q1_demo (names are data)."""
        demo = f"_{t('briefing.file_demo', lang)}" if self.demo else ""
        return f"{t('briefing.file_product', lang)}_{self.scope.name}_{self.quarter.code}{demo}"


@dataclass
class Briefing:
    meta: Meta
    filters: Filters
    kpis: pd.DataFrame  # kpi.compare over the catalogue: kpi_id, current, previous, year_ago, change_*, ...
    headline: list[str]  # KPI ids of the tiles
    pillars: pd.DataFrame  # pillar, kpi_id (activities|participants), compare columns
    trend: pd.DataFrame  # series.monthly_by_pillar over the trailing months
    issues: pd.DataFrame  # quarter (code), start, end, kpi_id, value over the last quarters
    volunteers: pd.DataFrame  # series.monthly: month, kpi_id, value
    scorecard: pd.DataFrame  # scorecard.evaluate(...).table for the whole street (restricted viewer: own row,
    #                          its rank among the street from `standing`)
    warnings: pd.DataFrame  # fired warnings in scope (community scope: that community's)
    compounds: pd.DataFrame  # community scope: compound, households, <COMPOUND_IDS>; else empty
    standing: Standing | None = None  # restricted viewer: the community's rank and the street's average score
    _narrative: dict[str, list] = field(default_factory=dict, repr=False)

    @property
    def communities_ranked(self) -> int:
        """The N of "rank k of N": the street's communities (also when the scorecard shows only one)."""
        return self.standing.communities_ranked if self.standing is not None else len(self.scorecard)

    # -- lookups -------------------------------------------------------
    def row(self, kpi_id: str) -> pd.Series:
        r = self.kpis[self.kpis["kpi_id"] == kpi_id]
        if r.empty:
            raise KeyError(kpi_id)
        return r.iloc[0]

    def value(self, kpi_id: str, column: str = "current") -> float | None:
        v = self.row(kpi_id)[column]
        return None if missing(v) else float(v)

    def pillar_row(self, pillar: str, kpi_id: str) -> pd.Series:
        r = self.pillars[(self.pillars["pillar"] == pillar) & (self.pillars["kpi_id"] == kpi_id)]
        return r.iloc[0]

    @property
    def pillar_names(self) -> list[str]:
        return list(dict.fromkeys(self.pillars["pillar"]))

    def warning_counts(self) -> tuple[int, int]:
        """(red, yellow): the warnings fired in scope, by level."""
        if self.warnings.empty:
            return 0, 0
        level = self.warnings["level"]
        return int((level == "red").sum()), int((level == "yellow").sum())

    def scorecard_row(self, community: str) -> pd.Series | None:
        r = self.scorecard[self.scorecard["community"] == community]
        return None if r.empty else r.iloc[0]

    def narrative(self, lang: str = "zh") -> list:
        """The narrative sentences (`briefing.narrative.Sentence`), built once per language."""
        if lang not in self._narrative:
            from .narrative import build_narrative

            self._narrative[lang] = build_narrative(self, lang)
        return self._narrative[lang]

    def narrative_text(self, lang: str = "zh") -> str:
        sep = "" if lang == "zh" else " "
        return sep.join(s.text for s in self.narrative(lang))


def build(
    con,
    quarter: str | Quarter,
    community: str | None = None,
    *,
    targets: Targets,
    allowed: tuple[str, ...] | None = None,
    now: dt.datetime | None = None,
) -> Briefing:
    """Ask the KPI layer for every number of one briefing.

    `allowed`: the communities the viewer may see (None = all, as `kpi.Filters.allowed`).
    A restricted viewer gets only the briefing of an allowed community; its
    scorecard and warnings hold only that community, with its rank among the
    street's communities (`kpi.scorecard.standing`).

    Raises BriefingError with code 'quarter' (malformed), 'scope' (a community
    outside `allowed`, or the whole street for a viewer who may not see every
    community), 'community' (not in the register) or 'no_data' (quarter
    outside the data, or nothing recorded in scope).
    """
    q = parse_quarter(quarter)
    allowed = check_scope(con, community, allowed)
    opts = kpi.scope_options(con, allowed)
    scope, comms = resolve_scope(opts, community)
    no_data = BriefingError(
        "no_data",
        f"{scope.label('zh')} {fmt_quarter(q, 'zh')} 没有数据"
        + (f"（数据范围 {opts.min_date} 至 {opts.max_date}）" if opts.min_date else "（仓库中还没有数据）"),
        f"no data for {scope.label('en')} in {q.code}"
        + (f" (data covers {opts.min_date} to {opts.max_date})" if opts.min_date else " (the warehouse is empty)"),
    )
    if opts.min_date is None or q.end < opts.min_date or q.start > opts.max_date:
        raise no_data

    f = Filters(q.start, q.end, communities=comms, allowed=allowed)
    kpis = kpi.compare(con, f, targets=targets)
    evidence = kpis[kpis["kpi_id"].isin(_EVIDENCE_IDS)]["current"].fillna(0)
    if not (evidence != 0).any():
        raise no_data

    headline = kpi.headline_ids()[:HEADLINE_MAX]

    pillar_frames = []
    for p in opts.pillars:
        c = kpi.compare(con, replace(f, pillars=(p,)), ids=list(PILLAR_IDS), targets=targets)
        pillar_frames.append(c.assign(pillar=p))
    pillars = pd.concat(pillar_frames, ignore_index=True) if pillar_frames else pd.DataFrame(
        columns=["pillar", "kpi_id", "current", "previous", "year_ago", "change_vs_previous", "change_vs_year_ago"])
    pillars = pillars[["pillar", *[c for c in pillars.columns if c != "pillar"]]]

    first_month = opts.min_date.replace(day=1)
    trend_start = max(add_months(q.start, 3 - TREND_MONTHS), first_month)
    f_trend = f.with_period(trend_start, q.end)
    trend = _series.monthly_by_pillar(con, f_trend)
    volunteers = _series.monthly(con, f_trend, list(VOLUNTEER_IDS), targets=targets)

    quarters = [q.shift(-i) for i in range(ISSUE_QUARTERS - 1, -1, -1)]
    quarters = [x for x in quarters if x.end >= opts.min_date]
    iss = kpi.compute(con, f, [(x.start, x.end) for x in quarters], list(ISSUE_IDS), targets=targets)
    iss.insert(0, "quarter", [quarters[i].code for i in iss["period"]])
    iss.insert(1, "start", [quarters[i].start for i in iss["period"]])
    iss.insert(2, "end", [quarters[i].end for i in iss["period"]])
    issues = iss.drop(columns="period")

    ev = _scorecard.evaluate(con, Filters(q.start, q.end, allowed=allowed), targets=targets)
    table, warnings, standing = ev.table, ev.warnings, None
    if scope.community:
        warnings = warnings[warnings["community"] == scope.community].reset_index(drop=True)
    if allowed is not None:  # a restricted viewer: its own row, ranked among the whole street
        standing = _scorecard.standing(con, f, targets, scope.community)
        table = table[table["community"] == scope.community].reset_index(drop=True)
        table["rank"] = pd.Series([standing.rank] * len(table), dtype="float64")

    if scope.community:
        rows = []
        register = opts.compounds[opts.compounds["community"] == scope.community]
        for name, hh in zip(register["compound"], register["households"], strict=True):
            v = kpi.values(con, replace(f, compounds=(name,)), ids=list(COMPOUND_IDS), targets=targets)
            rows.append({"compound": name, "households": float(hh), **dict(zip(v["kpi_id"], v["value"], strict=True))})
        compounds = pd.DataFrame(rows, columns=["compound", "households", *COMPOUND_IDS])
    else:
        compounds = pd.DataFrame(columns=["compound", "households", *COMPOUND_IDS])

    street_count = opts.communities[opts.communities["street"] == scope.street]
    meta = Meta(
        quarter=q, scope=scope, start=q.start, end=q.end, data_min=opts.min_date, data_max=opts.max_date,
        last_load_at=opts.last_load_at, dataset=opts.dataset, data_version=opts.data_version,
        targets_version=targets.version,
        generated_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
        communities=standing.communities_ranked if standing is not None else
        int(len(street_count)) if len(street_count) else int(len(opts.communities)),
    )
    return Briefing(meta, f, kpis, headline, pillars.reset_index(drop=True), trend, issues, volunteers,
                    table, warnings, compounds, standing)


def check_scope(con, community: str | None, allowed) -> tuple[str, ...] | None:
    """The viewer's scope as `Filters.allowed` (None when it covers every community of the register).

    Raises BriefingError('scope') for a community outside it — before looking the community up, so the
    answer says nothing about which other communities exist — and for the whole street when the viewer may
    not see every community: a product titled for the whole street must never be one community's, so the
    caller chooses the community (the UI defaults to the viewer's own).
    """
    if allowed is None:
        return None
    allowed = Filters(dt.date.min, dt.date.min, allowed=allowed).allowed  # normalised; a bare string refused
    mine = "、".join(allowed) or "—"
    community = (community or "").strip() or None
    if community is not None and community not in allowed:
        raise BriefingError(
            "scope",
            f"您的账号只能查看以下社区的简报：{mine}",
            f"your account can only see the briefings of: {', '.join(allowed) or '—'}",
        )
    everyone = set(kpi.scope_options(con).communities["community"])
    if everyone <= set(allowed):
        return None
    if community is None:
        raise BriefingError(
            "scope",
            f"您的账号不能查看全街道简报，请选择社区：{mine}",
            f"your account cannot see the whole-street briefing; choose a community: {', '.join(allowed) or '—'}",
        )
    return allowed
