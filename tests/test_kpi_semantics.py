"""The definitions' open choices, each pinned down on a hand-written warehouse."""

from __future__ import annotations

from datetime import date

import pytest

import kpi
from kpi import Filters
from kpi.targets import Targets
from tests.factories import tiny_warehouse

T = Targets(sla_default_days=30, sla_days={"房屋漏水": 45})
Q1 = Filters(date(2024, 1, 1), date(2024, 3, 31))
Q2 = Filters(date(2024, 4, 1), date(2024, 6, 30))
COMMS = [{"name": "南湾社区", "street": "沌阳街道", "households": 5017},
         {"name": "新城社区", "street": "沌阳街道", "households": 1000}]
COMPOUNDS = [{"community": "南湾社区", "name": "东风凤凰城", "households": 3000},
             {"community": "南湾社区", "name": "南湾新苑", "households": 2017},
             {"community": "新城社区", "name": "东风凤凰城", "households": 400}]


def vals(w, f, ids=None, by=None) -> dict:
    df = kpi.values(w.con, f, ids, by=by, targets=T)
    if by:
        return {(c, k): (None if v != v else v) for c, k, v in zip(df["community"], df["kpi_id"], df["value"],
                                                                   strict=True)}
    return {k: (None if v != v else v) for k, v in zip(df["kpi_id"], df["value"], strict=True)}


def case(opened, closed=None, status=None, **kw):
    status = status or ("已办结" if closed else "办理中")
    return {"opened_on": opened, "closed_on": closed, "status": status, "community": "南湾社区", **kw}


# ---------------------------------------------------------------- issues
def test_open_at_period_end_is_judged_by_dates_not_current_status():
    w = tiny_warehouse(communities=COMMS, cases=[case("2024-01-10", "2024-05-01")])
    q1, q2 = vals(w, Q1), vals(w, Q2)
    assert q1["open_backlog"] == 1  # 已办结 now, but open on 2024-03-31
    assert q1["closure_rate"] == 0.0  # opened in Q1, not closed by Q1's end
    assert q1["cases_closed"] == 0
    assert q2["open_backlog"] == 0 and q2["cases_closed"] == 1
    assert q2["closure_rate"] is None  # nothing opened in Q2: no data, not 0%
    assert q2["resolution_days_median"] == (date(2024, 5, 1) - date(2024, 1, 10)).days


def test_transferred_cases_count_in_cases_opened_only():
    w = tiny_warehouse(communities=COMMS, cases=[
        case("2024-01-05", status="已转办"),
        case("2024-01-06", "2024-01-20", status="已转办"),
        case("2024-01-07", "2024-01-10"),
    ])
    v = vals(w, Q1)
    assert v["cases_opened"] == 3
    assert v["cases_closed"] == 1
    assert v["closure_rate"] == 100.0
    assert v["open_backlog"] == 0
    assert v["resolution_days_median"] == 3


def test_overdue_backlog_uses_sla_per_category_and_is_strictly_older():
    end = Q1.end
    w = tiny_warehouse(communities=COMMS, cases=[
        case("2024-02-20", category="晾晒"),  # 40 days at end > 30 → overdue
        case("2024-02-20", category="房屋漏水"),  # 40 days ≤ 45 → not overdue
        case("2024-03-01", category="晾晒"),  # exactly 30 days → not overdue
        case("2024-02-15", "2024-04-02", category="晾晒"),  # 45 days, open at end, closed later → overdue
    ])
    assert (end - date(2024, 3, 1)).days == 30
    v = vals(w, Q1)
    assert v["open_backlog"] == 4
    assert v["overdue_backlog"] == 2
    strict = Targets(sla_default_days=10)
    df = kpi.values(w.con, Q1, ["overdue_backlog"], targets=strict)
    assert df["value"].iloc[0] == 4


def test_on_time_rate_boundary_and_satisfaction_counts_rated_only():
    w = tiny_warehouse(communities=COMMS, cases=[
        case("2024-01-01", "2024-01-31", satisfaction=5),  # 30 days = SLA → on time
        case("2024-01-01", "2024-02-01", satisfaction=3),  # 31 days → late
        case("2024-01-01", "2024-02-10", category="房屋漏水", satisfaction=4),  # 40 ≤ 45 → on time
        case("2024-01-01", "2024-01-02"),  # unrated
    ])
    v = vals(w, Q1)
    assert v["on_time_rate"] == pytest.approx(75.0)
    assert v["satisfaction_rate"] == pytest.approx(200 / 3)
    assert v["resolution_days_p90"] == pytest.approx(37.3)  # linear interpolation over 1, 30, 31, 40


# ---------------------------------------------------------------- disputes and hazards
def test_dispute_definitions():
    d = {"kind": "矛盾纠纷", "category": "邻里纠纷"}
    w = tiny_warehouse(communities=COMMS, cases=[
        case("2024-01-02", "2024-01-12", outcome="调解成功", **d),  # 10 days
        case("2024-01-02", "2024-01-22", outcome="调解不成功", **d),  # 20 days
        case("2024-01-02", "2024-01-05", outcome="转交", **d),  # referred on 01-05
        case("2023-12-20", None, status="已转办", outcome=None, **d),  # referred, dated by opened_on (Q4)
        case("2024-02-01", "2024-02-03", status="已转办", **d),  # referred, dated 02-03
        case("2024-03-01", "2024-03-31", **d),  # closed, no outcome: not in the success rate
        case("2024-03-25", **d),  # open
    ])
    v = vals(w, Q1)
    assert v["disputes_handled"] == 6
    assert v["mediation_success_rate"] == pytest.approx(100 / 3)  # 1 of 3 with outcome (转交 counts)
    assert v["disputes_referred"] == 2
    assert v["dispute_days_median"] == 20  # 10, 20, 30 — referred ones left out
    q4 = vals(w, Filters(date(2023, 10, 1), date(2023, 12, 31)))
    assert q4["disputes_referred"] == 1


def test_hazard_fix_rate_and_days():
    h = {"kind": "安全隐患", "category": "燃气隐患"}
    w = tiny_warehouse(communities=COMMS, cases=[
        case("2024-01-02", "2024-01-04", **h),
        case("2024-03-30", "2024-04-02", **h),  # fixed after the end
        case("2024-02-01", status="已转办", **h),
        case("2023-12-30", "2024-01-09", **h),  # found last year, fixed in Q1
    ])
    v = vals(w, Q1)
    assert v["hazards_found"] == 3
    assert v["hazard_fix_rate"] == 50.0
    assert v["hazard_fix_days_median"] == pytest.approx(6.0)  # 2 and 10 days


# ---------------------------------------------------------------- empty scopes
def test_empty_scope_counts_zero_ratios_and_statistics_none():
    w = tiny_warehouse(communities=COMMS)
    v = vals(w, Q1)
    per_household = {"participants_per_100_households", "visit_coverage"}  # denominator: households > 0
    for k, kp in kpi.CATALOGUE.items():
        if kp.kind == "count" or k in per_household:
            assert v[k] == 0, k
        else:
            assert v[k] is None, k


def test_no_communities_at_all_and_unknown_community():
    w = tiny_warehouse()
    v = vals(w, Q1)
    assert v["activities"] == 0 and v["participants_per_100_households"] is None
    w = tiny_warehouse(communities=COMMS, activities=[{"date": "2024-01-05", "community": "南湾社区",
                                                       "participants": 9}])
    v = vals(w, Filters(Q1.start, Q1.end, communities=("没有这个社区",)))
    assert v["activities"] == 0 and v["visit_coverage"] is None
    assert kpi.values(w.con, Filters(Q1.start, Q1.end, communities=("没有这个社区",)), by="community",
                      targets=T).empty


def test_zero_households_give_no_per_household_ratio():
    w = tiny_warehouse(
        communities=[{"name": "空社区", "street": "沌阳街道", "households": 0}],
        activities=[{"date": "2024-01-05", "community": "空社区", "participants": 9, "activity_type": "敲门入户",
                     "pillar": "社会治理", "households_visited": 3}],
    )
    v = vals(w, Q1)
    assert v["participants"] == 9
    assert v["participants_per_100_households"] is None and v["visit_coverage"] is None


# ---------------------------------------------------------------- pillar rule
def _mixed():
    return tiny_warehouse(
        communities=COMMS,
        activities=[
            {"date": "2024-01-05", "community": "南湾社区", "pillar": "联动联建", "activity_type": "水电燃气维修",
             "participants": 2, "partner": "薛锋综合"},
            {"date": "2024-01-06", "community": "南湾社区", "pillar": "志愿服务", "activity_type": "理发",
             "participants": 30, "services": 28},
            {"date": "2024-01-07", "community": "南湾社区", "pillar": "社会治理", "activity_type": "敲门入户",
             "participants": 10, "households_visited": 500},
        ],
        cases=[case("2024-01-02", "2024-01-05")],
        volunteers=[{"volunteer_id": "v1", "community": "南湾社区"}],
        volunteer_hours=[{"volunteer_id": "v1", "date": "2024-01-06", "hours": 2.0, "points": 4}],
    )


def test_pillar_filter_rows_and_out_of_scope_kpis():
    w = _mixed()
    v = vals(w, Filters(Q1.start, Q1.end, pillars=("联动联建",)))
    assert v["activities"] == 1 and v["participants"] == 2 and v["partner_activities"] == 1
    assert v["home_repairs"] == 1  # spans pillars: rows filtered, still in scope
    for k in ("cases_opened", "closure_rate", "disputes_handled", "hazards_found", "visit_coverage",
              "convenience_services", "registered_volunteers", "service_hours"):
        assert v[k] is None, k  # their pillar is not selected: out of scope, not 0
    v = vals(w, Filters(Q1.start, Q1.end, pillars=("居民自治",)))
    assert v["cases_opened"] == 1 and v["closure_rate"] == 100.0 and v["activities"] == 0
    assert v["service_hours"] is None
    v = vals(w, Filters(Q1.start, Q1.end, pillars=("志愿服务",)))
    assert v["convenience_services"] == 28 and v["service_hours"] == 2.0 and v["cases_opened"] is None
    v = vals(w, Filters(Q1.start, Q1.end, pillars=("社会治理",)))
    assert v["visit_coverage"] == pytest.approx(100 * 500 / 6017) and v["hazards_found"] == 0
    assert v["home_repairs"] == 0
    v = vals(w, Q1)  # no pillar selected: everything
    assert v["activities"] == 3 and v["convenience_services"] == 28 and v["cases_opened"] == 1


# ---------------------------------------------------------------- compound rule
def test_compound_filter():
    w = tiny_warehouse(
        communities=COMMS, compounds=COMPOUNDS,
        activities=[
            {"date": "2024-01-05", "community": "南湾社区", "compound": "东风凤凰城", "participants": 30},
            {"date": "2024-01-05", "community": "南湾社区", "compound": None, "participants": 100},
            {"date": "2024-01-05", "community": "新城社区", "compound": "东风凤凰城", "participants": 4},
            {"date": "2024-01-05", "community": "南湾社区", "compound": "南湾新苑", "participants": 7},
        ],
        volunteers=[{"volunteer_id": "a", "community": "南湾社区"}, {"volunteer_id": "b", "community": "新城社区"}],
    )
    f = Filters(Q1.start, Q1.end, compounds=("东风凤凰城",))
    v = vals(w, f)
    assert v["activities"] == 2 and v["participants"] == 34
    assert v["participants_per_100_households"] == pytest.approx(100 * 34 / 3400)
    assert v["registered_volunteers"] == 2  # both communities contain 东风凤凰城
    f = Filters(Q1.start, Q1.end, communities=("南湾社区",), compounds=("东风凤凰城",))
    v = vals(w, f)
    assert v["participants"] == 30 and v["participants_per_100_households"] == pytest.approx(1.0)
    assert v["registered_volunteers"] == 1
    f = Filters(Q1.start, Q1.end, compounds=("南湾新苑",))
    by = vals(w, f, ["participants", "registered_volunteers"], by="community")
    assert by == {("南湾社区", "participants"): 7, ("南湾社区", "registered_volunteers"): 1}


# ---------------------------------------------------------------- volunteers
def test_volunteer_definitions():
    w = tiny_warehouse(
        communities=COMMS,
        volunteers=[
            {"volunteer_id": "a", "community": "南湾社区", "joined_on": None, "party_member": True},
            {"volunteer_id": "b", "community": "南湾社区", "joined_on": "2024-02-01", "party_member": None},
            {"volunteer_id": "c", "community": "南湾社区", "joined_on": "2024-05-01", "party_member": True},
            {"volunteer_id": "d", "community": "新城社区", "joined_on": "2023-01-01", "party_member": False},
        ],
        volunteer_hours=[
            {"volunteer_id": "a", "date": "2023-11-01", "hours": 2, "points": 10},  # previous quarter
            {"volunteer_id": "d", "date": "2023-12-01", "hours": 1, "points": 5},  # previous quarter
            {"volunteer_id": "a", "date": "2024-01-15", "hours": 3, "points": 6},
            {"volunteer_id": "b", "date": "2024-02-15", "hours": 1.5, "points": None},
            {"volunteer_id": "c", "date": "2024-03-15", "hours": 2, "points": 4},  # active before joining
            {"volunteer_id": "d", "date": "2024-03-20", "hours": 0, "points": 1},  # 0 hours: not active
            {"volunteer_id": "ghost", "date": "2024-03-20", "hours": 9, "points": 9},  # unknown: left out
        ],
        redemptions=[
            {"volunteer_id": "a", "date": "2023-12-24", "points": 3},
            {"volunteer_id": "a", "date": "2024-03-01", "points": 5},
            {"volunteer_id": "d", "date": "2024-04-01", "points": 1},
        ],
    )
    v = vals(w, Q1)
    assert v["registered_volunteers"] == 3  # a (no date), b, d; c joins in May
    assert v["active_volunteers"] == 3  # a, b, c
    assert v["active_rate"] == pytest.approx(100 * 2 / 3)  # a, b among registered a, b, d
    assert v["service_hours"] == pytest.approx(6.5)
    assert v["points_awarded"] == 11
    assert v["points_redeemed"] == 5
    assert v["points_balance"] == (10 + 5 + 6 + 4 + 1) - (3 + 5)
    assert v["retention_rate"] == 50.0  # a and d active in Q4; a again in Q1
    assert v["party_share"] == pytest.approx(100 * 2 / 3)  # a, c; b unknown counts as not a member
    by = vals(w, Q1, ["active_volunteers", "retention_rate"], by="community")
    assert by[("新城社区", "active_volunteers")] == 0 and by[("新城社区", "retention_rate")] == 0.0


# ---------------------------------------------------------------- engagement
def test_partners_distinct_across_scope_and_blank_partners_ignored():
    w = tiny_warehouse(communities=COMMS, activities=[
        {"date": "2024-01-05", "community": "南湾社区", "partner": "薛锋综合", "volunteers": 3},
        {"date": "2024-01-06", "community": "新城社区", "partner": " 薛锋综合 "},
        {"date": "2024-01-07", "community": "新城社区", "partner": "  "},
        {"date": "2024-01-08", "community": "新城社区", "partner": "武汉商学院体育学院", "volunteers": 2},
    ])
    v = vals(w, Q1)
    assert v["partner_activities"] == 3 and v["active_partners"] == 2 and v["volunteer_participations"] == 5
    by = vals(w, Q1, ["active_partners"], by="community")
    assert by == {("南湾社区", "active_partners"): 1, ("新城社区", "active_partners"): 2}


def test_by_community_lists_communities_without_rows():
    w = tiny_warehouse(communities=COMMS, activities=[{"date": "2024-01-05", "community": "南湾社区",
                                                       "participants": 3}])
    by = vals(w, Q1, ["activities", "closure_rate"], by="community")
    assert by[("新城社区", "activities")] == 0 and by[("新城社区", "closure_rate")] is None
