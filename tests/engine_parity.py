"""The parity workload: every catalogue KPI and every series the pages call, for several scopes and periods,
run on one engine's connection; and the comparison of two engines' results (counts exactly, rates to 1e-9).

Generic over the code it checks: the KPIs are `kpi.catalogue.CATALOGUE`; the series are every `query(module.fn, …)`
call in pages/ and ui/ (`page_series()`, read from the source), each called as `fn(con, filters)` (plus targets
when it takes them) unless `VARIANTS` says how else; a page series that cannot be called that way fails the test
until it is listed there.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pandas as pd

import kpi
from kpi.catalogue import CATALOGUE
from kpi.explore import Question
from kpi.filters import Filters
from tests.conftest import ROOT, TARGETS

NANWAN = "南湾社区"
OTHER = "枫林社区（演示）"

# (name, filters): a quarter, a month, a custom range, a period with no data; whole street, one community, a
# viewer's allowed subset, a compound + pillar filter
SCOPES = [
    ("street 2024Q1", Filters(date(2024, 1, 1), date(2024, 3, 31))),
    ("community month", Filters(date(2024, 5, 1), date(2024, 5, 31), communities=(NANWAN,))),
    ("allowed custom", Filters(date(2023, 11, 15), date(2024, 2, 10), allowed=(NANWAN, OTHER))),
    ("compound+pillar", Filters(date(2025, 4, 1), date(2025, 6, 30), compounds=("南湾新苑", "湾畔花园"),
                                pillars=("志愿服务", "居民自治"))),
    ("no data", Filters(date(2010, 1, 1), date(2010, 3, 31))),
]

# module → the kpi module a page's name refers to
MODULES = {"kpi": "kpi", "series": "kpi.series", "scorecard": "kpi.scorecard", "engagement": "kpi.engagement",
           "issues": "kpi.issues", "disputes": "kpi.disputes", "safety": "kpi.safety", "services": "kpi.services",
           "volunteers": "kpi.volunteers", "submissions": "kpi.submissions", "explore": "kpi.explore"}

ALL_IDS = list(CATALOGUE)


def _variants(f: Filters) -> dict[str, list[tuple[tuple, dict]]]:
    """How to call the page series that are not `fn(con, filters[, targets=])` (args, kwargs)."""
    allowed = f.allowed
    return {
        "kpi.compare": [((f,), {"ids": ALL_IDS, "targets": TARGETS}),
                        ((f,), {"ids": ALL_IDS, "by": "community", "targets": TARGETS})],
        "kpi.scope_options": [((), {"allowed": allowed})],
        "kpi.series.monthly": [((f, ALL_IDS), {"targets": TARGETS})],
        "kpi.scorecard.standing": [((f,), {"targets": TARGETS, "community": NANWAN})],
        "kpi.issues.breakdown": [((f,), {"by": by, "targets": TARGETS}) for by in ("category", "source")],
        "kpi.issues.case_list": [((f,), {"which": w, "targets": TARGETS})
                                 for w in ("overdue", "open", "opened", "closed")],
        "kpi.services.services_monthly": [((f,), {"kind": k}) for k in (None, "convenience", "repair")],
        "kpi.submissions.submissions": [((allowed, date(2024, 6, 20)), {"deadline_day": 10})],
        "kpi.submissions.load_history": [((), {"allowed": allowed, "limit": 200})],
        "kpi.explore.answer": [((q, f), {"targets": TARGETS}) for q in EXPLORE_QUESTIONS],
        "kpi.explore.rows": [((Question("activities", keywords=("议事",)), f), {"page": 1, "page_size": 20})],
        "kpi.explore.options": [((t,), {"allowed": allowed}) for t in ("cases", "volunteer_hours", "redemptions")],
    }


EXPLORE_QUESTIONS = (  # the explorer's shapes: ungrouped, time, category, two dimensions, each ledger, a KPI measure
    Question("cases", choices=(("category", ("停车管理", "人车分流")),), group=("month",)),
    Question("activities", group=("partner", "quarter"), measure="sum:participants", keywords=("活动",)),
    Question("cases", measure="satisfaction_rate", group=("community",)),
    Question("cases", measure="resolution_days_p90", ranges=(("closed_on", date(2024, 1, 1), None),)),
    Question("volunteer_hours", group=("year", "team"), measure="sum:hours"),
    Question("redemptions", group=("item",), measure="sum:points"),
    Question("volunteers", group=("team",)),
)


def page_series() -> list[str]:
    """'module:function' of every `query(x.fn, …)` call in pages/ and ui/ whose `x` is a kpi module."""
    found = set()
    for path in sorted([*ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("ui").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Attribute)):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name != "query":
                continue
            parts = []
            target = node.args[0]
            while isinstance(target, ast.Attribute):
                parts.insert(0, target.attr)
                target = target.value
            if isinstance(target, ast.Name):
                parts.insert(0, target.id)
            if parts[0] in MODULES:
                module = MODULES[parts[0]] if len(parts) == 2 else ".".join([MODULES[parts[0]], *parts[1:-1]])
                found.add(f"{module}:{parts[-1]}")
    return sorted(found)


def _resolve(name: str):
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


KPI_CALLS = ("kpi.compare", "kpi.value")


def calls(f: Filters, series: bool = True) -> list[tuple[str, object, tuple, dict]]:
    """(label, fn, args, kwargs) for one scope: every KPI through compare (whole scope and by community) and
    value; with `series`, every page series too."""
    out = []
    variants = _variants(f)
    names = page_series() if series else ["kpi:compare"]
    for name in names:
        fn = _resolve(name)
        key = name.replace(":", ".")
        if key in variants:
            for i, (args, kwargs) in enumerate(variants[key]):
                out.append((f"{key}#{i}", fn, args, kwargs))
        else:
            kwargs = {"targets": TARGETS} if "targets" in inspect.signature(fn).parameters else {}
            out.append((key, fn, (f,), kwargs))
    for name, args, kwargs in (("kpi.value", (f, "closure_rate"), {"targets": TARGETS}),
                               ("kpi.value", (f, "activities"), {})):
        out.append((f"{name}({args[1]})", getattr(kpi, name.split(".")[1]), args, kwargs))
    return out


def run_all(con, scopes=SCOPES, threads: int = 1, series_scopes: set[str] | None = None) -> dict[str, object]:
    """label → result (or the exception's text) for every call of every scope on this connection.

    `threads` > 1 runs the calls concurrently (each kpi function opens its own cursor), as the dashboard's
    sessions do: Spark's per-statement overhead is mostly planning and scheduling, which overlap. With
    `series_scopes`, the page series run only for the scopes named there (the KPIs for every scope)."""
    jobs = [(f"{scope} | {label}", fn, args, kwargs) for scope, f in scopes
            for label, fn, args, kwargs in calls(f, series_scopes is None or scope in series_scopes)]
    assert len({j[0] for j in jobs}) == len(jobs), "two calls with one label"

    def one(job):
        key, fn, args, kwargs = job
        try:
            return key, fn(con, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - an engine's error is a parity failure, reported with its call
            return key, RuntimeError(f"{type(e).__name__}: {e}"[:2000])

    if threads <= 1:
        return dict(map(one, jobs))
    with ThreadPoolExecutor(threads) as pool:
        return dict(pool.map(one, jobs))


def _is_null(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _same_scalar(a, b) -> bool:
    if _is_null(a) or _is_null(b):
        return _is_null(a) and _is_null(b)
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return bool(a == b) and type(a) is type(b) or (isinstance(a, (int, np.integer)) and isinstance(
        b, (int, np.integer)) and int(a) == int(b))


def differences(a, b, where: str = "") -> list[str]:
    """Where `b` differs from `a` (empty when equal): frames column by column (names, dtypes, values), counts
    exactly, floats to 1e-9 relative or absolute, NaN = NaN, dataclasses and containers field by field."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return [f"{where}: {a!r} vs {b!r}"]
    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame):
            return [f"{where}: frame vs {type(b).__name__}"]
        if list(a.columns) != list(b.columns):
            return [f"{where}: columns {list(a.columns)} vs {list(b.columns)}"]
        if len(a) != len(b):
            return [f"{where}: {len(a)} rows vs {len(b)}"]
        out = []
        for c in a.columns:
            if a[c].dtype != b[c].dtype:
                out.append(f"{where}.{c}: dtype {a[c].dtype} vs {b[c].dtype}")
                continue
            bad = [i for i, (x, y) in enumerate(zip(a[c].tolist(), b[c].tolist(), strict=True))
                   if not _same_value(x, y)]
            if bad:
                i = bad[0]
                out.append(f"{where}.{c}: {len(bad)} rows differ, first row {i}: {a[c].iloc[i]!r} vs {b[c].iloc[i]!r}")
        return out
    if isinstance(a, pd.Series):
        return differences(a.to_frame(), b.to_frame() if isinstance(b, pd.Series) else b, where)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return [f"{where}: {type(a).__name__} vs {type(b).__name__}"]
        return [d for fld in dataclasses.fields(a)
                for d in differences(getattr(a, fld.name), getattr(b, fld.name), f"{where}.{fld.name}")]
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return [f"{where}: keys differ"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}[{k!r}]")]
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return [f"{where}: {a!r} vs {b!r}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if _same_value(a, b) else [f"{where}: {a!r} vs {b!r}"]


def _same_value(a, b) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        a, b = list(a) if a is not None else a, list(b) if b is not None else b
        return (a is None and b is None) or (a is not None and b is not None and len(a) == len(b) and all(
            _same_value(x, y) for x, y in zip(a, b, strict=True)))
    return _same_scalar(a, b)


def compare_results(reference: dict, other: dict, engine: str) -> list[str]:
    """Every difference of `other` from `reference` over the calls `other` ran (all of them must be there)."""
    missing = set(other) - set(reference)
    assert not missing, missing
    return [d for k in other for d in differences(reference[k], other[k], f"[{engine}] {k}")]
