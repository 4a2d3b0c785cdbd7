"""Wording and number formatting of the briefing products (zh / en). No Streamlit.

The briefing is also produced outside Streamlit (CLI, cron), and the `ui`
package imports Streamlit on import, so the formatting rules of `ui.format`
are mirrored here (a test checks that both print the same): counts with
thousands separators ("1,172"), Chinese 万/亿 from 10,000 on ("2.87万"),
percentages with one decimal, changes of a percentage in percentage points,
scores ×100, timestamps in Beijing time. KPI names, units and definitions come
from the catalogue. The wording that only the briefing uses (section titles,
table headers, the narrative's phrases) is in `_T` below.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

from kpi.catalogue import CATALOGUE, KPI

LANGS = ("zh", "en")
DASH = "—"
BEIJING = timezone(timedelta(hours=8), "北京时间")
PILLAR_EN = {  # as ui.labels.PILLAR_EN
    "联动联建": "Joint building",
    "居民自治": "Resident self-governance",
    "志愿服务": "Volunteer service",
    "社会治理": "Social governance",
}

_T: dict[str, tuple[str, str]] = {
    # titles and meta
    "product": ("党建+社区治理季度简报", "Party-building+ community governance — quarterly briefing"),
    "whole_street": ("全街道", "whole street"),
    "period": ("统计期间", "Period"),
    "to": ("至", "to"),
    "freshness": ("数据截至", "Data as of"),
    "loaded_at": ("最近导入", "last load"),
    "beijing": ("（北京时间）", " (Beijing time)"),
    "generated": ("生成时间", "Generated"),
    "data_version": ("数据版本", "Data version"),
    "targets_version": ("目标值版本", "Targets version"),
    "demo": ("演示数据", "DEMO DATA"),
    "demo_note": ("本简报基于演示数据生成，数字不代表真实情况。",
                  "This briefing was generated from demo data; the figures are not real."),
    "incomplete": ("本季度尚未结束，数据截至", "The quarter is not over; data up to"),
    "scope": ("范围", "Scope"),
    "quarter": ("季度", "Quarter"),
    "source": ("数据来源：社区台账汇总（党建+治理数据仓库）；指标口径见“指标说明”。",
               "Source: community ledgers (governance warehouse); KPI definitions on the “Definitions” sheet."),
    "page": ("第 {n} 页 / 共 {total} 页", "Page {n} of {total}"),
    # sections
    "sec_tiles": ("核心指标", "Headline KPIs"),
    "sec_trend": ("活动开展（按板块）", "Activities by pillar"),
    "sec_issues": ("诉求办理", "Issue resolution"),
    "sec_volunteers": ("志愿服务积分", "Volunteer points"),
    "sec_scorecard": ("社区综合评分", "Community scorecard"),
    "sec_compounds": ("各小区情况", "Compounds"),
    "sec_warnings": ("预警提示", "Warnings"),
    "sec_narrative": ("本季度综述", "Summary"),
    "sec_kpis": ("指标明细", "All KPIs"),
    "sec_about": ("说明与指标口径", "About & definitions"),
    # tiles
    "qoq": ("环比", "QoQ"),
    "yoy": ("同比", "YoY"),
    "no_data": ("无数据", "no data"),
    "no_change": ("持平", "unchanged"),
    "pp": ("个百分点", " pp"),
    # charts
    "activities": ("活动场次", "Activities"),
    "participants": ("参与人次", "Participations"),
    "cases_opened": ("受理数", "Opened"),
    "cases_closed": ("办结数", "Closed"),
    "closure_rate": ("办结率(%)", "Closure rate (%)"),
    "points_awarded": ("积分发放", "Points awarded"),
    "points_redeemed": ("积分兑换", "Points redeemed"),
    "active_volunteers": ("活跃志愿者(人)", "Active volunteers"),
    "score": ("综合得分", "Governance score"),
    "target_line": ("达标线 1.0", "on target = 1.0"),
    "per_100": ("每百户参与人次", "Participations per 100 households"),
    "this_quarter": ("本季度", "this quarter"),
    "no_volunteer_data": ("期内无志愿服务记录", "No volunteer records in this period"),
    "no_warnings": ("本季度未触发预警。", "No warnings fired this quarter."),
    "more_warnings": ("另有 {n} 条预警，见附表。", "{n} more warnings in the appendix."),
    "red": ("红色预警", "Red warning"),
    "yellow": ("黄色预警", "Yellow warning"),
    # tables
    "col_kpi": ("指标", "KPI"),
    "col_id": ("指标编号", "KPI id"),
    "col_value": ("本季度", "This quarter"),
    "col_unit": ("单位", "Unit"),
    "col_previous": ("上季度", "Previous quarter"),
    "col_qoq": ("环比变化", "QoQ change"),
    "col_year_ago": ("去年同期", "Same quarter last year"),
    "col_yoy": ("同比变化", "YoY change"),
    "col_qoq_delta": ("较上季度增减", "Δ vs previous"),
    "col_yoy_delta": ("较去年同期增减", "Δ vs year ago"),
    "col_definition": ("口径", "Definition"),
    "col_formula": ("计算方法", "Formula"),
    "col_direction": ("方向", "Direction"),
    "col_domain": ("领域", "Domain"),
    "higher": ("越高越好", "higher is better"),
    "lower": ("越低越好", "lower is better"),
    "col_community": ("社区", "Community"),
    "col_compound": ("小区", "Compound"),
    "col_households": ("户数", "Households"),
    "col_rank": ("排名", "Rank"),
    "col_score": ("综合得分", "Score"),
    "col_warnings": ("预警数", "Warnings"),
    "col_red": ("红色预警数", "Red warnings"),
    "col_level": ("级别", "Level"),
    "col_baseline": ("前四季度均值", "Baseline (previous 4 quarters)"),
    "col_change": ("变化", "Change"),
    "col_month": ("月份", "Month"),
    "col_pillar": ("板块", "Pillar"),
    "col_quarter": ("季度", "Quarter"),
    "col_sentence": ("内容", "Text"),
    "col_section": ("部分", "Section"),
    "col_item": ("项目", "Item"),
    "no_chart": ("（图表需用 Chromium 渲染，本机未找到 Chromium）", "(charts are rendered with Chromium, which was not found)"),
    "score_note": ("综合得分 = 各评分指标“实际值÷目标值”的平均 ×100（越低越好的指标取倒数），100 为恰好达标，单项封顶 200。",
                   "Score = mean over scorecard KPIs of value ÷ target (inverted when lower is better) ×100; "
                   "100 = on target, each KPI capped at 200."),
    "notes_numbers": ("本页数字均由指标层计算，可直接编辑文字。",
                      "Every number on this slide comes from the KPI layer; the text is editable."),
}


def t(key: str, lang: str = "zh", **kw) -> str:
    s = _T[key][0 if lang == "zh" else 1]
    return s.format(**kw) if kw else s


def pillar_label(pillar: str, lang: str = "zh") -> str:
    """“党建+联动联建” / “Joint building”."""
    return f"党建+{pillar}" if lang == "zh" else PILLAR_EN.get(pillar, pillar)


def pillar_name(pillar: str, lang: str = "zh") -> str:
    return PILLAR_EN.get(pillar, pillar) if lang == "en" else pillar


def _kpi(k: KPI | str) -> KPI:
    return CATALOGUE[k] if isinstance(k, str) else k


def kpi_name(k: KPI | str, lang: str = "zh") -> str:
    return _kpi(k).name_en if lang == "en" else _kpi(k).name_zh


def kpi_unit(k: KPI | str, lang: str = "zh") -> str:
    return _kpi(k).unit_en if lang == "en" else _kpi(k).unit_zh


def kpi_definition(k: KPI | str, lang: str = "zh") -> str:
    return _kpi(k).definition_en if lang == "en" else _kpi(k).definition_zh


def unit_text(k: KPI | str, lang: str = "zh") -> str:
    return "%" if _kpi(k).is_percent else kpi_unit(k, lang)


def quarter_label(year: int, q: int, lang: str = "zh") -> str:
    return f"Q{q} {year}" if lang == "en" else f"{year}年第{'一二三四'[q - 1]}季度"


# ---------------------------------------------------------------- numbers (as ui.format)

def missing(v: object) -> bool:
    if v is None:
        return True
    try:
        return math.isnan(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt_number(v, decimals: int = 0, lang: str = "zh", large: bool = True) -> str:
    """A plain number; Chinese 万/亿 from 10,000 on (two decimals, trailing zeros dropped)."""
    if missing(v):
        return DASH
    x = float(v)
    if large and lang != "en" and abs(x) >= 10_000:
        if abs(x) >= 100_000_000:
            return f"{_trim(f'{x / 100_000_000:.2f}')}亿"
        return f"{_trim(f'{x / 10_000:.2f}')}万"
    s = f"{x:,.{decimals}f}"
    if s.startswith("-") and float(s[1:].replace(",", "")) == 0:
        s = s[1:]
    return s


def _decimals(k: KPI) -> int:
    return max(k.decimals, 1) if k.is_percent else k.decimals


def fmt_value(k: KPI | str, v, lang: str = "zh", unit: bool = True) -> str:
    """A KPI value as the dashboard shows it ("84.7%", "1,172场次", "2.87万人次", "—").

    `unit=False` leaves out the unit (a % stays: it is part of the number).
    """
    k = _kpi(k)
    if missing(v):
        return DASH
    if k.is_percent:
        return f"{float(v):.{_decimals(k)}f}%"
    s = fmt_number(v, _decimals(k), lang)
    if unit:
        u = kpi_unit(k, lang)
        s = f"{s} {u}" if lang == "en" else f"{s}{u}"
    return s


def _signed(x: float, decimals: int) -> str:
    s = f"{abs(x):,.{decimals}f}"
    if float(s.replace(",", "")) == 0:
        return s
    return ("+" if x > 0 else "-") + s


def fmt_pct(change, lang: str = "zh", signed: bool = True) -> str:
    """A relative change (a fraction): 0.326 → "+32.6%" (unsigned: "32.6%")."""
    if missing(change):
        return DASH
    s = _signed(float(change) * 100, 1) + "%"
    return s if signed else s.lstrip("+-")


def fmt_pp(delta, lang: str = "zh", signed: bool = True, decimals: int = 1) -> str:
    """A difference of two percentages in percentage points: "+3.4个百分点" / "3.4 pp"."""
    if missing(delta):
        return DASH
    s = _signed(float(delta), decimals) + t("pp", lang)
    return s if signed else s.lstrip("+-")


def fmt_change(k: KPI | str, change, delta, lang: str = "zh") -> str:
    """A KPI's change against a base: points for % KPIs, else relative %; the absolute
    difference when the base is 0; "—" when there is nothing to compare (as ui.format.fmt_change)."""
    k = _kpi(k)
    if missing(delta):
        return DASH
    if k.is_percent:
        return fmt_pp(delta, lang, decimals=_decimals(k))
    if not missing(change):
        return fmt_pct(change, lang)
    return _signed(float(delta), _decimals(k))


def fmt_score(score) -> str:
    """A scorecard score (1.0 = on target) ×100, one decimal."""
    if missing(score):
        return DASH
    return f"{float(score) * 100:.1f}"


def fmt_timestamp(ts: datetime | None, lang: str = "zh") -> str:
    """A timestamp (naive = UTC, as the warehouse stores it) in Beijing time: 2026-11-28 10:38."""
    if ts is None:
        return DASH
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def fmt_date(d: date | None) -> str:
    return DASH if d is None else d.isoformat()
