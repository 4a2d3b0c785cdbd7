"""KPI layer: every governance KPI defined once, computed over the DuckDB warehouse.

No Streamlit here (a test checks that importing `kpi` does not import it).
Every function takes an open DuckDB connection `con` (e.g. from
`etl.warehouse.open_read_only`) and never opens files itself; each call uses
its own `con.cursor()`, so one connection can serve several threads.
Filter values always reach SQL as bound parameters.

Public API
----------
Catalogue (`kpi.catalogue`)
    `KPI` (frozen dataclass: id, name_zh, name_en, unit_zh, unit_en,
    definition_zh, definition_en, formula, direction 'higher'|'lower', domain,
    kind 'count'|'ratio'|'statistic', pillar, default_target, headline,
    scorecard, decimals, source), `CATALOGUE: dict[str, KPI]` in display order,
    `DOMAINS` (id → (zh, en)), `kpis_for(domain)`, `headline_ids()`,
    `scorecard_ids()`.

Calendar (`kpi.calendar`): months, `Quarter`, `Period` (previous / year earlier), period presets,
`trend_window` (a monthly trend's 13 months; `Filters.trend()`).

One record's story (`kpi.stories`): `case_story`, `activity_story` — fields, days against the time limit,
the changes of each later ledger version (the row history); None outside `allowed`.

Scope (`kpi.filters`, `kpi.scope`)
    `Filters(start, end, communities=(), compounds=(), pillars=(), allowed=None)`.
    `scope_options(con, allowed=None) -> ScopeOptions` (communities[community, street,
    households], compounds[community, compound, households], `compounds_of(c)`,
    pillars present, min_date, max_date, last_load_at = max load_batches.loaded_at
    of successful loads as stored, dataset = meta 'dataset' or None, data_version =
    meta 'data_version', the version the last load gave the warehouse).

The viewer's scope (`Filters.allowed`)
    `allowed` is the communities the viewer may see: None = all, a tuple = only
    these, `()` = none. It is independent of the chosen `communities`: every
    query reads the chosen communities (or all) *that are also allowed*; an
    empty intersection reads nothing, never everything. `f.restricted_to(c)`
    returns a copy narrowed to `c` (intersected with an `allowed` already set);
    `with_period`, `previous_period` and `year_earlier` keep it. Every function
    in this package enforces it in SQL (`kpi._sql.allowed_scope`, added by
    `fact_scope` / `community_scope`; the registers in `kpi.scope`): rows,
    names and figures of other communities never reach a result, whatever
    the other filters say (tests/test_kpi_scope_enforced.py proves it for
    every public query against a warehouse holding only the allowed
    community). `scope_options(con, allowed)` lists only the allowed
    communities, their compounds and their pillars; its dates, load time and
    versions (and `scope.data_starts`, which the scorecard's baseline uses)
    describe the warehouse and are the same for every viewer, so a
    community's numbers do not depend on who looks. A volunteer's hours at
    another community's service activity count for the volunteer's own
    community only (`services.teams`).
    The one exception: `scorecard.standing(con, filters, targets, community)
    -> Standing(community, street, score, rank, communities_ranked,
    street_average_score)` ranks an allowed community among every community
    of its street (computed server-side) and returns only its own score and
    rank and the street's average score (ScopeError for a community outside
    `allowed`).

Values (`kpi.engine`)
    `values(con, filters, ids=None, by=None, targets=None) -> DataFrame`
        columns `[community,] kpi_id, value`; `by=None` → the whole scope,
        `by="community"` → one row per community in scope × KPI (one grouped
        query per domain).
    `value(con, filters, kpi_id, targets=None) -> float | None`.
    `compare(con, filters, ids=None, by=None, targets=None) -> DataFrame`
        columns `[community,] kpi_id, current, previous, year_ago,
        change_vs_previous, change_vs_year_ago, delta_vs_previous,
        delta_vs_year_ago, better_vs_previous, better_vs_year_ago`.
    `compute(con, filters, periods, ids=None, by=None, targets=None)` — the
        multi-period primitive the others use (`period` = index into periods).

Series (`kpi.series`, domain modules)
    `series.monthly_by_pillar(con, filters)` → month, pillar, activities, participants.
    `series.monthly(con, filters, ids, by=None)` → month, [community,] kpi_id, value.
    `services.services_by_type(con, filters)` → activity_type, activities, services.
    Domain pages' series and detail lists live beside their KPIs (each documented there):
    `engagement.by_type/partners/compound_month/activity_list`,
    `issues.breakdown/days_to_close/backlog_aging/case_list`,
    `disputes.breakdown/outcomes/days_histogram/case_list`,
    `safety.hazard_flow/breakdown/fix_days_histogram/hazard_list/coverage_quarters/visit_coverage_by_quarter`,
    `services.service_summary/services_monthly/providers/teams/service_list`,
    `volunteers.redemption_items/teams/retention_cohorts/service_summary`.
    Helpers shared by the modules: `kpi._sql` (Sql, run_on, empty_frame, pillar_excluded, …).

Targets (`kpi.targets`)
    KPIs that need targets or time limits (the scorecard; on-time rate and overdue
    backlog; the issue lists) take `targets` as an argument: `load_targets(path=None)`
    (data/targets.toml, or $GOV_TARGETS) is the one place that reads the file, called
    once by the UI (`ui.data.targets`) and the briefing CLI. Without it those calls
    raise `kpi.engine.TargetsRequired`.

Submissions (`kpi.submissions`; read-only, within `allowed`)
    `submissions(con, filters_or_allowed, today, deadline_day=5)` → 报送情况: community, kind, latest_month,
        due_month, covered, last_loaded_at, loaded_by, file_name, sheet, batch_id, rows_loaded,
        rows_rejected, late (activities or cases not covering the due month).
    `load_history(con, allowed=None, limit=None)` → the load batches, newest first (a viewer with
        `allowed` sees those that touched an allowed community).

Scorecard (`kpi.scorecard`; rules in kpi/scorecard.py's docstring)
    `scorecard(con, filters, targets)` → community, rank, score,
        kpis_scored, warnings, red_warnings, `<id>`, `<id>_score`, `<id>_target`.
    `warnings(con, filters, targets)` → community, kpi_id, value, baseline,
        change, level ('yellow' | 'red').
    `evaluate(con, filters, targets)` → both (and a long `detail`) in one pass.
    All three hold only allowed communities, ranked among those rows;
    `standing(con, filters, targets, community)` gives the street-wide rank.

Conventions
-----------
- Values are floats; percentages are 0–100. "No data" is NaN in frames and
  None from `value()`: a ratio with a zero denominator, a median over no rows,
  or a KPI out of scope under the pillar rule. Counts and sums over a scope
  with no matching rows are 0.
- Pillar rule: activity rows are filtered by the selected pillars; a KPI with a
  pillar (issues → 居民自治; disputes, safety → 社会治理; volunteers and
  便民服务人次 → 志愿服务) is out of scope (None) when pillars are selected
  without its pillar; case and volunteer rows are not otherwise filtered.
- Scope rule: every query is within `Filters.allowed` (above).
- Compound rule: activities and cases by their compound column (rows without
  a compound drop out); households from the selected compounds; volunteer
  KPIs cover the communities that contain a selected compound.
- Periods (`kpi.calendar`): `compare` uses `Filters.previous_period()` / `year_earlier()`; the
  scorecard baseline is the mean over the four previous periods of equal
  length (the previous four quarters for a quarter).

Adding a domain module: write `kpi/<domain>.py` with a function decorated
`@kpi.engine.computes("kpi_id", ...)` (see kpi/engagement.py), add its KPIs to
the catalogue, and import the module below. Domain series functions (for a
domain page) live in the same module.
"""

from __future__ import annotations

# Domain modules register their compute functions on import.
from kpi import disputes, engagement, issues, safety, scorecard, series, services, volunteers  # noqa: F401
from kpi.catalogue import CATALOGUE, DOMAINS, KPI, headline_ids, kpis_for, scorecard_ids
from kpi.engine import compare, compute, value, values
from kpi.filters import Filters
from kpi.scope import ScopeOptions, scope_options
from kpi.targets import Targets, load_targets

__all__ = [
    "CATALOGUE", "DOMAINS", "KPI", "Filters", "ScopeOptions", "Targets", "compare", "compute", "headline_ids",
    "kpis_for", "load_targets", "scope_options", "scorecard_ids", "value", "values",
]
