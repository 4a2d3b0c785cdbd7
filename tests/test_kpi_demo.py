"""The KPI layer on the real demo warehouse (conftest.demo_db), opened read-only as the app does."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

import kpi
from etl.warehouse import open_read_only
from kpi import Filters
from kpi.scorecard import evaluate
from kpi.series import monthly_by_pillar
from kpi.targets import load_targets
from tests.factories import reference


@pytest.fixture(scope="module")
def demo(demo_db):
    con = open_read_only(demo_db)
    yield con
    con.close()


def _frames(con) -> dict[str, pd.DataFrame]:
    out = {}
    for t in ("communities", "compounds", "activities", "cases", "volunteers", "volunteer_hours", "redemptions"):
        df = con.execute(f"SELECT * FROM {t}").df()
        for c in ("date", "opened_on", "closed_on", "joined_on"):
            if c in df:
                df[c] = pd.to_datetime(df[c])
        out[t] = df
    return out


def test_demo_kpis_match_pandas_and_overview_runs(demo):
    opts = kpi.scope_options(demo)
    assert opts.dataset == "demo"
    nanwan = opts.communities.set_index("community").loc["南湾社区"]
    assert nanwan["households"] == 5017
    t = load_targets()
    f = Filters(date(2024, 1, 1), date(2024, 3, 31))
    frames = _frames(demo)
    for ff in (f, Filters(f.start, f.end, communities=("南湾社区",)),
               Filters(f.start, f.end, compounds=tuple(opts.compounds_of("南湾社区")[:1]), pillars=("社会治理",))):
        got = kpi.values(demo, ff, targets=t).set_index("kpi_id")["value"]
        want = reference(frames, ff, t)
        for kid, v in want.items():
            g = got[kid]
            assert (v is None and math.isnan(g)) or math.isclose(g, v, rel_tol=1e-9, abs_tol=1e-9), (ff, kid, g, v)
    ev = evaluate(demo, f, t)
    assert len(ev.table) == len(opts.communities)
    assert ev.table["score"].between(0, 2).all() and (ev.table["kpis_scored"] > 0).all()
    trend = monthly_by_pillar(demo, Filters(date(2023, 4, 1), date(2024, 3, 31)))
    assert len(trend) == 12 * len(opts.pillars) and trend["activities"].sum() > 0
