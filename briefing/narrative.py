"""The briefing's narrative, generated in Chinese (or English) from the `Briefing`'s numbers.

Every number in a sentence is inserted through `_Builder`, which formats it
with `present.format` (exactly as the dashboard and the rest of the briefing do) and
records it as a `Fact` (where it came from, the raw value, the text it was
printed as). No number is typed into a template: tests extract every number
from the text and check it against the facts, and the facts against the KPI
layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpi.catalogue import CATALOGUE
from present.format import fmt_kpi, fmt_number, fmt_pp, fmt_quarter, fmt_relative, fmt_score, missing
from present.labels import pillar_name, t


@dataclass(frozen=True)
class Fact:
    source: str  # 'kpi' (whole scope) | 'pillar' | 'scorecard' | 'warning'
    key: str  # KPI id, or 'score' / 'rank' / 'communities' / 'warnings'
    column: str  # current | previous | year_ago | change_vs_* | delta_vs_* | baseline | change | value
    value: float
    text: str  # as printed in the sentence
    where: str | None = None  # pillar or community the value is for


@dataclass(frozen=True)
class Sentence:
    section: str  # 'overview' | 'pillar:<name>' | 'scorecard' | 'warning'
    text: str
    facts: tuple[Fact, ...]


class _Builder:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.facts: list[Fact] = []

    def _fact(self, source, key, column, value, text, where=None) -> str:
        self.facts.append(Fact(source, key, column, float(value), text, where))
        return text

    def value(self, row: pd.Series, column: str = "current", source: str = "kpi", where: str | None = None,
              unit: bool | None = None) -> str | None:
        """A KPI value from a compare row ('187场次'; in English without the unit: '187'); None when missing."""
        v = row[column]
        if missing(v):
            return None
        if unit is None:
            unit = self.lang == "zh"
        return self._fact(source, row["kpi_id"], column, v, fmt_kpi(row["kpi_id"], v, self.lang, unit=unit), where)

    def number(self, source: str, key: str, column: str, v, decimals: int = 0, where: str | None = None,
               suffix: str = "") -> str | None:
        if missing(v):
            return None
        return self._fact(source, key, column, v, fmt_number(float(v), decimals, self.lang) + suffix, where)

    def change(self, row: pd.Series, base: str = "year_ago", source: str = "kpi", where: str | None = None
               ) -> str | None:
        """'同比增长32.6%' / '较上季度下降18.5个百分点' / '同比持平'; None when not comparable."""
        kid = row["kpi_id"]
        pct = CATALOGUE[kid].is_percent
        col = f"{'delta' if pct else 'change'}_vs_{'year_ago' if base == 'year_ago' else 'previous'}"
        x = row[col]
        if missing(x):
            return None
        zh = self.lang == "zh"
        shown = abs(float(x)) * (1 if pct else 100)
        if round(shown, 1) == 0:
            if zh:
                return "同比持平" if base == "year_ago" else "与上季度持平"
            return "unchanged on a year earlier" if base == "year_ago" else "unchanged on the previous quarter"
        up = float(x) > 0
        num = fmt_pp(x, self.lang, signed=False) if pct else fmt_relative(x, signed=False)
        self._fact(source, kid, col, abs(float(x)), num, where)
        if zh:
            lead = "同比" if base == "year_ago" else "环比"
            if pct:
                lead = "较去年同期" if base == "year_ago" else "较上季度"
                return f"{lead}{'提高' if up else '下降'}{num}"
            return f"{lead}{'增长' if up else '下降'}{num}"
        when = "year on year" if base == "year_ago" else "on the previous quarter"
        if pct:
            return f"{num} {'higher' if up else 'lower'} than {'a year earlier' if base == 'year_ago' else 'the previous quarter'}"
        return f"{'up' if up else 'down'} {num} {when}"

    def take(self, section: str, text: str) -> Sentence:
        s = Sentence(section, text, tuple(self.facts))
        self.facts = []
        return s


def _join(parts: list[str | None], lang: str, sep_zh: str = "，", sep_en: str = ", ") -> str:
    return (sep_zh if lang == "zh" else sep_en).join(p for p in parts if p)


def _paren(x: str | None, lang: str) -> str:
    if not x:
        return ""
    return f"（{x}）" if lang == "zh" else f" ({x})"


def _end(s: str, lang: str) -> str:
    return s + ("。" if lang == "zh" else ".")


def build_narrative(b, lang: str = "zh") -> list[Sentence]:
    """Sentences in order: overview, one per pillar, scorecard, one per warning (or 'none fired')."""
    out = [_overview(b, lang)]
    for p in b.pillar_names:
        s = _pillar(b, p, lang)
        if s is not None:
            out.append(s)
    sc = _scorecard(b, lang)
    if sc is not None:
        out.append(sc)
    out.extend(_warnings(b, lang))
    return out


def _overview(b, lang: str) -> Sentence:
    B = _Builder(lang)
    zh = lang == "zh"
    act, par = b.row("activities"), b.row("participants")
    per100, partner, partners = b.row("participants_per_100_households"), b.row("partner_activities"), \
        b.row("active_partners")
    a, p = B.value(act), B.value(par)
    a_y, p_y = B.change(act), B.change(par)
    h, pa, pn = B.value(per100, unit=False), B.value(partner), B.value(partners)
    q, scope = fmt_quarter(b.meta.quarter, lang), b.meta.scope.name
    if zh:
        text = f"{q}，{scope}共开展活动{a}{_paren(a_y, lang)}，参与居民{p}{_paren(p_y, lang)}"
        if h:
            text += f"，每百户参与{h}人次"
        text += f"；其中与共建单位联合开展活动{pa}，活跃共建单位{pn}"
    else:
        text = f"In {q}, {scope} held {a} activities{_paren(a_y, lang)} with {p} participations{_paren(p_y, lang)}"
        if h:
            text += f", {h} per hundred households"
        text += f"; {pa} activities were run with co-building partners ({pn} partners active)"
    return B.take("overview", _end(text, lang))


def _pillar(b, pillar: str, lang: str) -> Sentence | None:
    B = _Builder(lang)
    zh = lang == "zh"
    name = t("briefing.pillar", lang, pillar=pillar_name(pillar, lang))
    pa = b.pillar_row(pillar, "activities")
    pp = b.pillar_row(pillar, "participants")
    a = B.value(pa, source="pillar", where=pillar)
    p = B.value(pp, source="pillar", where=pillar)
    p_y = B.change(pp, source="pillar", where=pillar)
    lead = (f"“{name}”板块开展活动{a}，参与{p}{_paren(p_y, lang)}" if zh else
            f"{name}: {a} activities with {p} participations{_paren(p_y, lang)}")
    parts: list[str | None] = []
    if pillar == "联动联建":
        r = B.value(b.row("home_repairs"))
        parts.append(f"其中为独居、空巢老人上门维修{r}" if zh else f"including {r} home repair visits for elderly "
                     "residents living alone")
    elif pillar == "居民自治":
        opened, closed = B.value(b.row("cases_opened")), B.value(b.row("cases_closed"))
        cr_row = b.row("closure_rate")
        cr, cr_q = B.value(cr_row), B.change(cr_row, base="previous")
        ot, sat = B.value(b.row("on_time_rate")), B.value(b.row("satisfaction_rate"))
        back, over = B.value(b.row("open_backlog")), B.value(b.row("overdue_backlog"))
        if zh:
            parts.append(f"受理居民诉求{opened}，办结{closed}")
            parts.append(f"办结率{cr}{_paren(cr_q, lang)}" if cr else None)
            parts.append(f"按时办结率{ot}" if ot else None)
            parts.append(f"满意率{sat}" if sat else None)
            parts.append(f"期末在办{back}，其中超期{over}")
        else:
            parts.append(f"{opened} resident requests opened and {closed} closed")
            parts.append(f"closure rate {cr}{_paren(cr_q, lang)}" if cr else None)
            parts.append(f"on-time rate {ot}" if ot else None)
            parts.append(f"satisfaction {sat}" if sat else None)
            parts.append(f"{back} still open at the quarter's end, {over} of them overdue")
    elif pillar == "志愿服务":
        svc = B.value(b.row("convenience_services"))
        act = B.value(b.row("active_volunteers"))
        rate = B.value(b.row("active_rate"))
        hours, award, redeem = (B.value(b.row(k)) for k in ("service_hours", "points_awarded", "points_redeemed"))
        if zh:
            parts.append(f"提供铲刀磨剪、缝纫修鞋、理发等便民服务{svc}")
            parts.append(f"活跃志愿者{act}" + (f"（活跃率{rate}）" if rate else ""))
            parts.append(f"服务时长{hours}，发放积分{award}，“爱心货柜”兑换积分{redeem}")
        else:
            parts.append(f"{svc} convenience services")
            parts.append(f"{act} active volunteers" + (f" (active rate {rate})" if rate else ""))
            parts.append(f"{hours} service hours, {award} points awarded, {redeem} points redeemed")
    elif pillar == "社会治理":
        cov = B.value(b.row("visit_coverage"))
        disp = B.value(b.row("disputes_handled"))
        med = B.value(b.row("mediation_success_rate"))
        haz = B.value(b.row("hazards_found"))
        fix = B.value(b.row("hazard_fix_rate"))
        if zh:
            parts.append(f"敲门入户走访覆盖率{cov}" if cov else None)
            parts.append(f"排查化解矛盾纠纷{disp}" + (f"，调解成功率{med}" if med else ""))
            parts.append(f"发现安全隐患{haz}" + (f"，整改率{fix}" if fix else ""))
        else:
            parts.append(f"door-to-door visit coverage {cov}" if cov else None)
            parts.append(f"{disp} disputes identified" + (f", mediation success {med}" if med else ""))
            parts.append(f"{haz} safety hazards found" + (f", fix rate {fix}" if fix else ""))
    rest = _join(parts, lang, "；", "; ")
    text = lead + (("；" if zh else "; ") + rest if rest else "")
    return B.take(f"pillar:{pillar}", _end(text, lang))


def _scorecard(b, lang: str) -> Sentence | None:
    B = _Builder(lang)
    zh = lang == "zh"
    sc = b.scorecard.dropna(subset=["score"])
    if sc.empty:
        return None
    if b.meta.scope.community:
        r = b.scorecard_row(b.meta.scope.community)
        if r is None or missing(r["score"]):
            return None
        s = B._fact("scorecard", "score", "score", r["score"], fmt_score(r["score"]), b.meta.scope.community)
        n = B.number("scorecard", "communities", "count", b.communities_ranked, 0)
        k = B.number("scorecard", "rank", "rank", r["rank"], 0, b.meta.scope.community)
        w = B.number("scorecard", "warnings", "warnings", r["warnings"], 0, b.meta.scope.community)
        if zh:
            text = f"{b.meta.scope.community}综合得分{s}，在全街道{n}个社区中排名第{k}，触发预警{w}条"
        else:
            text = f"{b.meta.scope.community} scored {s}, ranking {k} of {n} communities, with {w} warnings"
        return B.take("scorecard", _end(text, lang))
    top, bottom = sc.iloc[0], sc.iloc[-1]
    ts = B._fact("scorecard", "score", "score", top["score"], fmt_score(top["score"]), top["community"])
    bs = B._fact("scorecard", "score", "score", bottom["score"], fmt_score(bottom["score"]), bottom["community"])
    nw = B.number("scorecard", "warnings", "communities_warned", int((b.scorecard["warnings"] > 0).sum()), 0)
    if zh:
        text = f"社区综合评分中，{top['community']}得分最高（{ts}），{bottom['community']}得分最低（{bs}）；{nw}个社区触发预警"
    else:
        text = (f"In the community scorecard {top['community']} scored highest ({ts}) and {bottom['community']} "
                f"lowest ({bs}); {nw} communities triggered warnings")
    return B.take("scorecard", _end(text, lang))


def _warnings(b, lang: str) -> list[Sentence]:
    zh = lang == "zh"
    if b.warnings.empty:
        return [Sentence("warning", t("briefing.no_warnings", lang), ())]
    out = []
    for w in b.warnings.itertuples(index=False):
        B = _Builder(lang)
        k = CATALOGUE[w.kpi_id]
        unit = zh and "/" not in k.unit_zh  # "113.9", not "113.9人次/百户", after the KPI's name
        v = B._fact("warning", w.kpi_id, "value", w.value, fmt_kpi(w.kpi_id, w.value, lang, unit=unit), w.community)
        base = B._fact("warning", w.kpi_id, "baseline", w.baseline,
                       fmt_kpi(w.kpi_id, w.baseline, lang, unit=unit), w.community)
        ch = B._fact("warning", w.kpi_id, "change", abs(w.change), fmt_relative(w.change, signed=False),
                     w.community)
        up = w.change > 0
        level = t(f"briefing.{w.level}", lang)
        if zh:
            text = (f"【{level}】{w.community}{k.name_zh}{v}，较前四个季度均值{base}"
                    f"{'上升' if up else '下降'}{ch}")
        else:
            text = (f"[{level}] {w.community}: {k.name_en} {v}, {'up' if up else 'down'} {ch} on the average "
                    f"of the previous four quarters ({base})")
        out.append(B.take("warning", _end(text, lang)))
    return out
