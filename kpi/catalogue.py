"""The KPI catalogue: every KPI defined once, in display order.

The 指标说明 page and the briefing are generated from these objects, so the
definition texts here are the binding definitions; the query functions in the
domain modules implement exactly what is written here (and tests check them
against an independent pandas implementation).

Conventions that hold for every KPI:

- Percentages are stored as 0–100 (unit ``%``), never as fractions.
- ``kind`` says how an empty scope reads: ``count`` (counts and sums) is 0
  when nothing matches; ``ratio`` is None when its denominator is 0;
  ``statistic`` (median, 90th percentile) is None when there are no rows.
- ``pillar`` is the 党建+ pillar a KPI belongs to, or None when it spans all
  pillars. When the filter selects pillars and a KPI's pillar is not among
  them, the KPI is out of scope and reads None. Activity rows are in addition
  always filtered by the pillar filter; case and volunteer rows are not.
- Cases with status 已转办 (transferred elsewhere) count in 受理数 and in the
  dispute referral figures only; every other case KPI leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]
Kind = Literal["count", "ratio", "statistic"]

# Domain id → (Chinese, English) label, in display order.
DOMAINS: dict[str, tuple[str, str]] = {
    "engagement": ("居民参与", "Engagement"),
    "issues": ("诉求办理", "Issue resolution"),
    "disputes": ("矛盾纠纷", "Disputes"),
    "safety": ("平安建设", "Safety"),
    "services": ("便民服务", "Services"),
    "volunteers": ("志愿服务", "Volunteers"),
}

# Which contract pillar a domain's case / volunteer data belongs to.
PILLAR_OF_CASE_KIND = {"居民诉求": "居民自治", "矛盾纠纷": "社会治理", "安全隐患": "社会治理"}
VOLUNTEER_PILLAR = "志愿服务"

SOURCES = ("activities", "居民诉求", "矛盾纠纷", "安全隐患", "volunteers")
_DOMAIN_SOURCE = {
    "engagement": "activities", "issues": "居民诉求", "disputes": "矛盾纠纷", "safety": "安全隐患",
    "services": "activities", "volunteers": "volunteers",
}


@dataclass(frozen=True)
class KPI:
    id: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    definition_zh: str
    definition_en: str
    formula: str
    direction: Direction  # which way is better
    domain: str  # key of DOMAINS
    kind: Kind
    pillar: str | None = None  # None = spans pillars (see module docstring)
    default_target: float | None = None  # None = previous four periods' average
    headline: bool = False  # shown as an overview card
    scorecard: bool = False  # part of the community scorecard (and its warnings)
    decimals: int = 0  # suggested display precision
    # The ledger the KPI is computed from: activities | 居民诉求 | 矛盾纠纷 | 安全隐患 | volunteers.
    # Defaults from the domain; used e.g. to skip baseline periods before that ledger's data begins.
    source: str = ""

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"{self.id}: unknown domain {self.domain!r}")
        if not self.source:
            object.__setattr__(self, "source", _DOMAIN_SOURCE[self.domain])
        if self.source not in SOURCES:
            raise ValueError(f"{self.id}: unknown source {self.source!r}")

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def is_percent(self) -> bool:
        return self.unit_en == "%"


_H = "higher"
_L = "lower"
_ISSUE = "居民自治"
_SAFE = "社会治理"
_VOL = "志愿服务"

_ALL: tuple[KPI, ...] = (
    # ------------------------------------------------------------------ engagement
    KPI(
        "activities", "活动场次", "Activities", "场次", "activities",
        "期内开展的活动场次，即活动台账中日期在期内的行数（按社区、小区、板块筛选）。",
        "Number of activities dated in the period (rows of the activity ledger in scope).",
        "count(activities where date in period)", _H, "engagement", "count", headline=True,
    ),
    KPI(
        "participants", "参与人次", "Participations", "人次", "participations",
        "期内活动参与人数之和（同一居民多次参加按多人次计）。",
        "Sum of participants over the activities in the period (one resident attending twice counts twice).",
        "sum(activities.participants where date in period)", _H, "engagement", "count", headline=True,
    ),
    KPI(
        "participants_per_100_households", "每百户参与人次", "Participations per 100 households",
        "人次/百户", "per 100 households",
        "参与人次 ÷ 范围内户数 × 100；户数取社区名册户数，筛选了小区时取所选小区（小区名册）户数之和；户数为 0 时无数据。",
        "Participations × 100 ÷ households in scope: community households from the community register, or the "
        "selected compounds' households when compounds are filtered; no data when there are no households.",
        "100 × participants ÷ households_in_scope", _H, "engagement", "ratio", scorecard=True,
        decimals=1,
    ),
    KPI(
        "partner_activities", "共建活动场次", "Partner activities", "场次", "activities",
        "期内填写了共建单位的活动场次。",
        "Activities in the period with a co-building partner (共建单位) recorded.",
        "count(activities where partner not empty)", _H, "engagement", "count", scorecard=True,
    ),
    KPI(
        "active_partners", "活跃共建单位数", "Active partners", "个", "partners",
        "期内至少参与一场活动的不同共建单位个数（按名称去重；全范围合计时跨社区去重）。",
        "Distinct partners with at least one activity in the period (by name; de-duplicated across communities "
        "for the whole scope).",
        "count(distinct activities.partner)", _H, "engagement", "count",
    ),
    KPI(
        "volunteer_participations", "志愿者参与人次", "Volunteer participations", "人次", "participations",
        "期内活动台账“志愿者人数”之和（未填按 0 计）。",
        "Sum of the volunteers column over the activities in the period (blank counts as 0).",
        "sum(activities.volunteers)", _H, "engagement", "count",
    ),
    # ------------------------------------------------------------------ issues (居民诉求)
    KPI(
        "cases_opened", "受理数", "Cases opened", "件", "cases",
        "期内登记的居民诉求件数（含已转办）。",
        "Resident requests (居民诉求) registered in the period, including those later transferred (已转办).",
        "count(cases kind=居民诉求 where opened_on in period)", _H, "issues", "count", pillar=_ISSUE,
    ),
    KPI(
        "cases_closed", "办结数", "Cases closed", "件", "cases",
        "办结日期在期内的居民诉求件数（不含已转办）。",
        "Resident requests whose closing date falls in the period (transferred cases excluded).",
        "count(closed_on in period, status ≠ 已转办)", _H, "issues", "count", pillar=_ISSUE,
    ),
    KPI(
        "closure_rate", "办结率", "Closure rate", "%", "%",
        "期内登记（不含已转办）的居民诉求中，截至期末已办结（办结日期不晚于期末）的比例。",
        "Of the resident requests registered in the period (transferred excluded), the share closed by the "
        "period's end (closed_on ≤ end).",
        "count(opened in period, closed_on ≤ end) ÷ count(opened in period), status ≠ 已转办", _H, "issues",
        "ratio", pillar=_ISSUE, default_target=90.0, headline=True, scorecard=True, decimals=1,
    ),
    KPI(
        "resolution_days_median", "办结天数中位数", "Median days to close", "天", "days",
        "期内办结（不含已转办）的居民诉求，从登记到办结天数的中位数。",
        "Median of closed_on − opened_on (days) over resident requests closed in the period (transferred "
        "excluded).",
        "median(closed_on − opened_on) over closed in period", _L, "issues", "statistic", pillar=_ISSUE,
        decimals=1,
    ),
    KPI(
        "resolution_days_p90", "办结天数90分位", "Days to close, 90th percentile", "天", "days",
        "期内办结（不含已转办）的居民诉求，办结天数的第 90 百分位数（线性插值）。",
        "90th percentile (linear interpolation) of days to close over resident requests closed in the period.",
        "quantile_cont(closed_on − opened_on, 0.9) over closed in period", _L, "issues", "statistic",
        pillar=_ISSUE, decimals=1,
    ),
    KPI(
        "open_backlog", "在办积案", "Open backlog", "件", "cases",
        "期末仍在办理的居民诉求：登记日期不晚于期末，且未办结或办结日期晚于期末（按日期判断，不看当前状态；不含已转办）。",
        "Resident requests open at the period's end: opened_on ≤ end and (no closed_on or closed_on > end), "
        "judged by dates not by current status; transferred cases excluded.",
        "count(opened_on ≤ end and (closed_on is null or closed_on > end)), status ≠ 已转办", _L, "issues",
        "count", pillar=_ISSUE, default_target=None,
    ),
    KPI(
        "overdue_backlog", "超期积案", "Overdue backlog", "件", "cases",
        "在办积案中，截至期末已登记天数超过办理时限的件数；时限按诉求分类在 data/targets.toml 中设定，默认 30 天。",
        "Open-backlog cases older than their category's time limit at the period's end (end − opened_on > SLA "
        "days; SLA per category in data/targets.toml, default 30).",
        "count(open at end and end − opened_on > sla_days(category))", _L, "issues", "count", pillar=_ISSUE,
        default_target=0.0,
    ),
    KPI(
        "on_time_rate", "按时办结率", "On-time closure rate", "%", "%",
        "期内办结（不含已转办）的居民诉求中，办结天数不超过该分类办理时限的比例。",
        "Of the resident requests closed in the period (transferred excluded), the share closed within their "
        "category's time limit (closed_on − opened_on ≤ SLA days).",
        "count(closed in period, days ≤ sla) ÷ count(closed in period)", _H, "issues", "ratio", pillar=_ISSUE,
        default_target=90.0, scorecard=True, decimals=1,
    ),
    KPI(
        "satisfaction_rate", "满意率", "Satisfaction rate", "%", "%",
        "期内办结（不含已转办）且有满意度评价的居民诉求中，评价为 4 或 5 分的比例；未评价的不计入分母。",
        "Of the resident requests closed in the period (transferred excluded) that have a satisfaction rating, "
        "the share rated 4 or 5; unrated cases are left out of the denominator.",
        "count(satisfaction ≥ 4) ÷ count(satisfaction not null), closed in period", _H, "issues", "ratio",
        pillar=_ISSUE, default_target=90.0, headline=True, scorecard=True, decimals=1,
    ),
    # ------------------------------------------------------------------ disputes (矛盾纠纷)
    KPI(
        "disputes_handled", "排查化解数", "Disputes identified", "件", "cases",
        "期内排查登记的矛盾纠纷件数（按登记日期计，无论是否已化解；化解成效见调解成功率）。",
        "Disputes identified and registered in the period (by opened_on, whatever their outcome; see the "
        "mediation success rate for results).",
        "count(cases kind=矛盾纠纷 where opened_on in period)", _H, "disputes", "count", pillar=_SAFE,
    ),
    KPI(
        "mediation_success_rate", "调解成功率", "Mediation success rate", "%", "%",
        "办结日期在期内且填写了调解结果的矛盾纠纷中（含转交，不论状态），结果为“调解成功”的比例。",
        "Of the disputes closed in the period with an outcome recorded (调解成功, 调解不成功 or 转交; any "
        "status), the share with outcome 调解成功.",
        "count(outcome = 调解成功) ÷ count(outcome not null), closed_on in period", _H, "disputes", "ratio",
        pillar=_SAFE, default_target=95.0, headline=True, scorecard=True, decimals=1,
    ),
    KPI(
        "disputes_referred", "转交数", "Disputes referred", "件", "cases",
        "期内转交的矛盾纠纷件数：调解结果为“转交”或状态为“已转办”，按办结日期计（无办结日期时按登记日期）。",
        "Disputes referred elsewhere (outcome 转交 or status 已转办), dated by closed_on, or by opened_on when "
        "there is no closed_on.",
        "count(outcome = 转交 or status = 已转办, coalesce(closed_on, opened_on) in period)", _L, "disputes",
        "count", pillar=_SAFE,
    ),
    KPI(
        "dispute_days_median", "化解天数中位数", "Median days to resolve", "天", "days",
        "办结日期在期内、未转交（结果不是“转交”且状态不是“已转办”）的矛盾纠纷，从登记到办结天数的中位数。",
        "Median days from opened_on to closed_on over disputes closed in the period that were not referred "
        "(outcome ≠ 转交 and status ≠ 已转办).",
        "median(closed_on − opened_on) over closed in period, not referred", _L, "disputes", "statistic",
        pillar=_SAFE, decimals=1,
    ),
    # ------------------------------------------------------------------ safety (安全隐患 + 敲门入户)
    KPI(
        "hazards_found", "隐患发现数", "Hazards found", "处", "hazards",
        "期内排查登记的安全隐患数（含已转办）。",
        "Safety hazards (安全隐患) registered in the period, including transferred ones.",
        "count(cases kind=安全隐患 where opened_on in period)", _H, "safety", "count", pillar=_SAFE,
    ),
    KPI(
        "hazard_fix_rate", "隐患整改率", "Hazard fix rate", "%", "%",
        "期内发现（不含已转办）的安全隐患中，截至期末已整改（办结日期不晚于期末）的比例。",
        "Of the hazards registered in the period (transferred excluded), the share fixed (closed) by the "
        "period's end.",
        "count(opened in period, closed_on ≤ end) ÷ count(opened in period), status ≠ 已转办", _H, "safety",
        "ratio", pillar=_SAFE, default_target=95.0, headline=True, scorecard=True, decimals=1,
    ),
    KPI(
        "hazard_fix_days_median", "整改天数中位数", "Median days to fix", "天", "days",
        "期内整改完成（办结日期在期内，不含已转办）的安全隐患，从发现到整改天数的中位数。",
        "Median days from opened_on to closed_on over hazards closed in the period (transferred excluded).",
        "median(closed_on − opened_on) over hazards closed in period", _L, "safety", "statistic", pillar=_SAFE,
        decimals=1,
    ),
    KPI(
        "visit_coverage", "入户走访覆盖率", "Door-to-door visit coverage", "%", "%",
        "期内“敲门入户”类活动的入户户数之和 ÷ 范围内户数 × 100。台账不记录具体住户，重复走访按次累计，"
        "故跨越多轮走访的期间可超过 100%。",
        "Sum of households_visited over 敲门入户 activities in the period × 100 ÷ households in scope. The "
        "ledger does not identify households, so repeat visits add up and a period spanning several visiting "
        "rounds can exceed 100%.",
        "100 × sum(households_visited where activity_type = 敲门入户) ÷ households_in_scope", _H, "safety",
        "ratio", pillar=_SAFE, headline=True, scorecard=True, decimals=1, source="activities",
    ),
    # ------------------------------------------------------------------ services
    KPI(
        "convenience_services", "便民服务人次", "Convenience services", "人次", "services",
        "期内“志愿服务”板块活动的服务人次之和（铲刀磨剪、缝纫修鞋、理发等；按活动类型细分见便民服务页）。",
        "Sum of the services column over activities of the 志愿服务 pillar in the period (knife sharpening, "
        "mending, haircuts and the like; broken down by activity type on the services page).",
        "sum(activities.services where pillar = 志愿服务)", _H, "services", "count", pillar=_VOL, scorecard=True,
    ),
    KPI(
        "home_repairs", "上门维修次数", "Home repair visits", "次", "visits",
        "期内为独居、空巢老人上门维修的次数：活动类型为“水电燃气维修”或“安装晾衣架”的活动场次（每行计一次）。",
        "Home repair visits for elderly people living alone or in empty-nest households: activities of type "
        "水电燃气维修 or 安装晾衣架 in the period (one ledger row = one visit).",
        "count(activities where activity_type in (水电燃气维修, 安装晾衣架))", _H, "services", "count",
    ),
    # ------------------------------------------------------------------ volunteers
    KPI(
        "registered_volunteers", "注册志愿者", "Registered volunteers", "人", "people",
        "截至期末已加入的志愿者人数（加入日期不晚于期末；未填加入日期视为已加入）。",
        "Volunteers who had joined by the period's end (joined_on ≤ end; a blank joined_on counts as joined).",
        "count(volunteers where joined_on is null or joined_on ≤ end)", _H, "volunteers", "count", pillar=_VOL,
    ),
    KPI(
        "active_volunteers", "活跃志愿者", "Active volunteers", "人", "people",
        "期内至少有一条服务时长大于 0 的服务记录的不同志愿者人数。",
        "Distinct volunteers with at least one service record of more than 0 hours in the period.",
        "count(distinct volunteer_id in volunteer_hours where date in period and hours > 0)", _H, "volunteers",
        "count", pillar=_VOL, headline=True,
    ),
    KPI(
        "active_rate", "活跃率", "Active rate", "%", "%",
        "截至期末的注册志愿者中，期内活跃的比例。",
        "Of the volunteers registered by the period's end, the share active in the period.",
        "count(active ∩ registered) ÷ count(registered)", _H, "volunteers", "ratio", pillar=_VOL, scorecard=True,
        decimals=1,
    ),
    KPI(
        "service_hours", "服务时长", "Service hours", "小时", "hours",
        "期内志愿服务记录的时长之和。",
        "Sum of hours over the volunteer service records in the period.",
        "sum(volunteer_hours.hours where date in period)", _H, "volunteers", "count", pillar=_VOL, scorecard=True,
        decimals=1,
    ),
    KPI(
        "points_awarded", "积分发放", "Points awarded", "分", "points",
        "期内志愿服务记录发放的积分之和。",
        "Sum of points awarded by the volunteer service records in the period.",
        "sum(volunteer_hours.points where date in period)", _H, "volunteers", "count", pillar=_VOL, decimals=1,
    ),
    KPI(
        "points_redeemed", "积分兑换", "Points redeemed", "分", "points",
        "期内在“爱心货柜”兑换掉的积分之和。",
        "Sum of points redeemed (爱心货柜) in the period.",
        "sum(redemptions.points where date in period)", _H, "volunteers", "count", pillar=_VOL, decimals=1,
    ),
    KPI(
        "points_balance", "积分结余", "Points balance", "分", "points",
        "截至期末累计发放积分减去累计兑换积分（含期初以前的全部记录）。",
        "Points awarded minus points redeemed, over all records up to the period's end.",
        "sum(points awarded, date ≤ end) − sum(points redeemed, date ≤ end)", _H, "volunteers", "count",
        pillar=_VOL, decimals=1,
    ),
    KPI(
        "retention_rate", "季度留存率", "Retention rate", "%", "%",
        "上一期（等长的前一期间；所选期间为季度时即上一季度）活跃的志愿者中，本期再次活跃的比例。",
        "Of the volunteers active in the previous period of equal length (the previous quarter when the period "
        "is a quarter), the share active again in this period.",
        "count(active in previous ∩ active now) ÷ count(active in previous)", _H, "volunteers", "ratio",
        pillar=_VOL, scorecard=True, decimals=1,
    ),
    KPI(
        "party_share", "党员占比", "Party-member share", "%", "%",
        "期内活跃志愿者中党员的比例（未填是否党员的按非党员计）。",
        "Share of party members among the volunteers active in the period (a blank party_member counts as "
        "not a member).",
        "count(active and party_member) ÷ count(active)", _H, "volunteers", "ratio", pillar=_VOL, decimals=1,
    ),
)

CATALOGUE: dict[str, KPI] = {k.id: k for k in _ALL}


def kpis_for(domain: str) -> list[KPI]:
    """The KPIs of one domain, in display order."""
    if domain not in DOMAINS:
        raise KeyError(f"unknown domain {domain!r}; one of {list(DOMAINS)}")
    return [k for k in CATALOGUE.values() if k.domain == domain]


def headline_ids() -> list[str]:
    return [k.id for k in CATALOGUE.values() if k.headline]


def scorecard_ids() -> list[str]:
    return [k.id for k in CATALOGUE.values() if k.scorecard]


def get(kpi_id: str) -> KPI:
    try:
        return CATALOGUE[kpi_id]
    except KeyError:
        raise KeyError(f"unknown KPI id {kpi_id!r}") from None

