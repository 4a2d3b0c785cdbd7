"""KPI figures recomputed with plain SQL straight from the warehouse's raw tables, for one community.

Written from the definition texts in kpi/catalogue.py, independently of the
queries in kpi/: the page tests compare the cards a person sees with these.
"""

from __future__ import annotations

from datetime import date

from kpi.targets import Targets


def raw_figures(con, start: date, end: date, community: str, targets: Targets) -> dict[str, float | None]:
    """kpi_id → value for [start, end] and one community (None = no data)."""
    cur = con.cursor()

    def one(sql: str, *params):
        return cur.execute(sql, list(params)).fetchone()

    def pct(num, den):
        return None if not den else 100.0 * num / den

    out: dict[str, float | None] = {}
    (households,) = one("SELECT households FROM communities WHERE name = ?", community)

    # activities of the community in the period
    act = "FROM activities WHERE community = ? AND date BETWEEN ? AND ?"
    n, people, partnered, partners, vols = one(
        "SELECT count(*), coalesce(sum(participants), 0), count(*) FILTER (WHERE trim(coalesce(partner, '')) <> ''),"
        " count(DISTINCT trim(partner)) FILTER (WHERE trim(coalesce(partner, '')) <> ''),"
        f" coalesce(sum(coalesce(volunteers, 0)), 0) {act}", community, start, end)
    out["activities"], out["participants"] = float(n), float(people)
    out["participants_per_100_households"] = pct(people, households)
    out["partner_activities"], out["active_partners"] = float(partnered), float(partners)
    out["volunteer_participations"] = float(vols)
    (visited,) = one(f"SELECT coalesce(sum(households_visited), 0) {act} AND activity_type = '敲门入户'",
                     community, start, end)
    out["visit_coverage"] = pct(visited, households)

    # resident requests (居民诉求); 已转办 counts in 受理数 only
    req = "FROM cases WHERE kind = '居民诉求' AND community = ?"
    kept = f"{req} AND status <> '已转办'"
    (out["cases_opened"],) = one(f"SELECT count(*)::DOUBLE {req} AND opened_on BETWEEN ? AND ?", community, start, end)
    opened, closed_by_end = one(
        f"SELECT count(*), count(*) FILTER (WHERE closed_on <= ?) {kept} AND opened_on BETWEEN ? AND ?",
        end, community, start, end)
    out["closure_rate"] = pct(closed_by_end, opened)
    closed = cur.execute(
        f"SELECT category, date_diff('day', opened_on, closed_on), satisfaction {kept} AND closed_on BETWEEN ? AND ?",
        [community, start, end]).fetchall()
    days = sorted(d for _, d, _ in closed)
    out["cases_closed"] = float(len(closed))
    out["resolution_days_median"] = _quantile(days, 0.5)
    out["resolution_days_p90"] = _quantile(days, 0.9)
    out["on_time_rate"] = pct(sum(d <= targets.sla_days.get(cat, targets.sla_default_days) for cat, d, _ in closed), len(closed))
    rated = [s for _, _, s in closed if s is not None]
    out["satisfaction_rate"] = pct(sum(s >= 4 for s in rated), len(rated))
    backlog = cur.execute(
        f"SELECT category, date_diff('day', opened_on, ?::DATE) {kept} AND opened_on <= ?"
        " AND (closed_on IS NULL OR closed_on > ?)", [end, community, end, end]).fetchall()
    out["open_backlog"] = float(len(backlog))
    out["overdue_backlog"] = float(sum(age > targets.sla_days.get(cat, targets.sla_default_days) for cat, age in backlog))

    # disputes and hazards
    ok, with_outcome = one(
        "SELECT count(*) FILTER (WHERE outcome = '调解成功'), count(*) FROM cases WHERE kind = '矛盾纠纷'"
        " AND community = ? AND closed_on BETWEEN ? AND ? AND outcome IS NOT NULL", community, start, end)
    out["mediation_success_rate"] = pct(ok, with_outcome)
    found, fixed = one(
        "SELECT count(*), count(*) FILTER (WHERE closed_on <= ?) FROM cases WHERE kind = '安全隐患'"
        " AND status <> '已转办' AND community = ? AND opened_on BETWEEN ? AND ?", end, community, start, end)
    out["hazard_fix_rate"] = pct(fixed, found)

    # volunteers of the community with a record of more than 0 hours in the period
    (active,) = one(
        "SELECT count(DISTINCT h.volunteer_id) FROM volunteer_hours h JOIN volunteers v USING (volunteer_id)"
        " WHERE v.community = ? AND h.date BETWEEN ? AND ? AND h.hours > 0", community, start, end)
    out["active_volunteers"] = float(active)
    cur.close()
    return out


def _quantile(xs: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, DuckDB's quantile_cont)."""
    if not xs:
        return None
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))
