"""scope_options() for the filter widgets and header; SQL parameters are always bound."""

from __future__ import annotations

from datetime import date, datetime

import kpi
from kpi import Filters
from kpi.scorecard import evaluate
from kpi.series import monthly_by_pillar
from kpi.services import services_by_type
from kpi.targets import Targets
from tests.factories import random_warehouse, tiny_warehouse


def test_scope_options():
    w = random_warehouse(3, communities=3, activities=100, cases=50, volunteers=10, hours=50)
    o = kpi.scope_options(w.con)
    assert list(o.communities.columns) == ["community", "street", "households"]
    assert set(o.communities["community"]) == set(w.frames["communities"]["name"])
    assert list(o.compounds.columns) == ["community", "compound", "households"]
    assert set(o.pillars) <= {"联动联建", "居民自治", "志愿服务", "社会治理"}
    assert o.min_date == w.frames["activities"]["date"].min().date() or o.min_date < date(2023, 1, 5)
    assert o.last_load_at == datetime(2024, 3, 2, 9)  # 'refused' batches do not count
    assert o.dataset == "test"
    c = o.communities["community"].iloc[0]
    assert o.compounds_of(c) == sorted(w.frames["compounds"].query("community == @c")["name"])


def test_scope_options_on_an_empty_warehouse():
    o = kpi.scope_options(tiny_warehouse().con)
    assert o.communities.empty and o.pillars == () and o.min_date is None and o.last_load_at is None
    assert o.dataset is None


class Recorder:
    """A connection stand-in that records every statement sent through its cursors."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def cursor(self):
        rec, real = self, self.con.cursor()

        class Cur:
            def execute(self, sql, params=None):
                rec.statements.append(sql)
                return real.execute(sql, params) if params is not None else real.execute(sql)

            def close(self):
                real.close()

        return Cur()


def test_filter_values_never_reach_the_sql_text():
    odd = ["O'Brien社区", "百分%社区", "$1社区", "?; DROP TABLE cases; --"]
    comms = [{"name": n, "street": "沌阳街道", "households": 10} for n in odd]
    w = tiny_warehouse(
        communities=comms,
        compounds=[{"community": odd[0], "name": "小区'1", "households": 5}],
        activities=[{"date": "2024-01-05", "community": n, "compound": ("小区'1" if i == 0 else None),
                     "participants": i + 1} for i, n in enumerate(odd)],
        cases=[{"opened_on": "2024-01-05", "community": odd[1]}],
    )
    rec = Recorder(w.con)
    t = Targets(sla_days={"晾'晒": 3})
    for f in (Filters(date(2024, 1, 1), date(2024, 3, 31), communities=tuple(odd)),
              Filters(date(2024, 1, 1), date(2024, 3, 31), compounds=("小区'1",), pillars=("居民自治",))):
        kpi.values(rec, f, targets=t)
        kpi.values(rec, f, by="community", targets=t)
        kpi.compare(rec, f, targets=t)
        evaluate(rec, f, t)
        monthly_by_pillar(rec, f)
        services_by_type(rec, f)
    assert rec.statements
    for sql in rec.statements:
        for value in [*odd, "小区'1", "晾'晒", "2024-01-01", "2024-03-31"]:
            assert value not in sql
    f = Filters(date(2024, 1, 1), date(2024, 3, 31), communities=tuple(odd))
    assert kpi.value(w.con, f, "activities") == 4
    assert kpi.value(w.con, f, "participants") == 10
    f = Filters(date(2024, 1, 1), date(2024, 3, 31), compounds=("小区'1",))
    assert kpi.value(w.con, f, "participants") == 1
    assert w.con.execute("SELECT count(*) FROM cases").fetchone()[0] == 1


def test_one_connection_serves_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    w = random_warehouse(21, communities=3, activities=300, cases=300, volunteers=20, hours=300)
    t = Targets()
    fs = [Filters(date(2024, m, 1), date(2024, m + 2, 28)) for m in (1, 4, 7, 10)] * 3
    serial = [kpi.values(w.con, f, targets=t) for f in fs]
    with ThreadPoolExecutor(4) as ex:
        parallel = list(ex.map(lambda f: kpi.values(w.con, f, targets=t), fs))
    for a, b in zip(serial, parallel, strict=True):
        assert a.equals(b)
