"""Targets and time limits, from the street office's editable `data/targets.toml`.

File layout (see the file's own Chinese comments)::

    version = "2024.1"          # bump on every edit
    updated = 2024-03-01
    [sla]
    default_days = 30           # time limit for 超期积案 / 按时办结率
    [sla.categories]
    "房屋漏水" = 15
    [targets.closure_rate]
    target = 90                 # % KPIs are written in percent
    [targets.closure_rate.communities]
    "南湾社区" = 95              # per-community override
    [submissions]
    deadline_day = 5            # 报送情况: last month's ledgers are due by this day of the month (1–28)

This module is the one place that reads the targets file (`load_targets`); the
KPI functions take a `Targets` as an argument, and the UI (`ui.data.targets`)
and the briefing CLI load it once and pass it in.

Resolution of a community's target for a KPI: the community override, else
the KPI's `target`, else none is set (the scorecard then uses the average of
the previous four periods). A KPI section without `target` means "use the
baseline". When no targets file exists at all, the catalogue's
`default_target`s and a 30-day time limit apply.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kpi.catalogue import CATALOGUE

DEFAULT_TARGETS_PATH = Path(__file__).resolve().parents[1] / "data" / "targets.toml"
DEFAULT_SLA_DAYS = 30
DEFAULT_DEADLINE_DAY = 5  # kpi.submissions: last month's activities and cases ledgers are due by the 5th
_KPI_KEYS = {"target", "communities", "name", "note"}


class TargetsError(ValueError):
    """The targets file is malformed; the message lists every problem (Chinese / English). `str()` starts with
    the file's path (for the command line and the log); `for_viewer()` names the file only, since a server path
    is never shown in the dashboard."""

    def __init__(self, problems: str, path: Path | str | None = None) -> None:
        super().__init__(f"{path}: {problems}" if path else problems)
        self.problems = problems
        self.path = str(path) if path else None

    def for_viewer(self) -> str:
        return f"{Path(self.path).name}: {self.problems}" if self.path else self.problems


@dataclass(frozen=True)
class Targets:
    version: str = "catalogue"
    updated: date | None = None
    targets: Mapping[str, float] = field(default_factory=dict)  # kpi_id → target
    community_targets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # kpi_id → community → t
    sla_default_days: int = DEFAULT_SLA_DAYS
    sla_days: Mapping[str, int] = field(default_factory=dict)  # case category → days
    path: str | None = None
    submission_deadline_day: int = DEFAULT_DEADLINE_DAY  # [submissions] deadline_day

    def target(self, kpi_id: str, community: str | None = None) -> tuple[float | None, str | None]:
        """(target, source) with source 'community' | 'file' | None (none set → use the baseline)."""
        if community is not None:
            t = self.community_targets.get(kpi_id, {}).get(community)
            if t is not None:
                return float(t), "community"
        t = self.targets.get(kpi_id)
        return (float(t), "file") if t is not None else (None, None)

    def sla_for(self, category: str | None) -> int:
        """The time limit in days of a case category (the `[sla.categories]` entry, else `default_days`): the
        `sla_days` the SQL of kpi/issues.py joins, for one case."""
        return int(self.sla_days.get(category, self.sla_default_days)) if category is not None \
            else int(self.sla_default_days)

    @classmethod
    def from_catalogue(cls) -> Targets:
        return cls(targets={k.id: k.default_target for k in CATALOGUE.values() if k.default_target is not None})


def default_targets_path() -> Path:
    return Path(os.environ.get("GOV_TARGETS") or DEFAULT_TARGETS_PATH)


def load_targets(path: Path | str | None = None) -> Targets:
    """Read and validate the targets file (default: $GOV_TARGETS or data/targets.toml).

    With no path given and no file present, the catalogue defaults apply; an
    explicit path that does not exist raises FileNotFoundError.
    """
    explicit = path is not None
    p = Path(path) if explicit else default_targets_path()
    if not p.exists():
        if explicit:
            raise FileNotFoundError(f"目标值文件不存在 / targets file not found: {p}")
        return Targets.from_catalogue()
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise TargetsError(f"TOML 格式错误 / not valid TOML: {e}", p) from e
    return parse_targets(doc, str(p))


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def parse_targets(doc: dict, path: str | None = None) -> Targets:
    problems: list[str] = []
    unknown_top = set(doc) - {"version", "updated", "sla", "targets", "submissions"}
    if unknown_top:
        problems.append(f"未知的顶层项 / unknown top-level keys: {sorted(unknown_top)}")
    version = doc.get("version")
    if version is None:
        problems.append("缺少 version / missing version")
    updated = doc.get("updated")
    if updated is not None and not isinstance(updated, date):
        problems.append("updated 应为日期，如 2024-03-01 / updated must be a date")
        updated = None

    sla = doc.get("sla", {})
    default_days = sla.get("default_days", DEFAULT_SLA_DAYS)
    if not (isinstance(default_days, int) and not isinstance(default_days, bool) and default_days > 0):
        problems.append("sla.default_days 应为正整数 / must be a positive integer")
        default_days = DEFAULT_SLA_DAYS
    sla_days: dict[str, int] = {}
    for cat, days in sla.get("categories", {}).items():
        if isinstance(days, int) and not isinstance(days, bool) and days > 0:
            sla_days[cat] = days
        else:
            problems.append(f"sla.categories.{cat} 应为正整数天数 / must be a positive integer")
    unknown_sla = set(sla) - {"default_days", "categories"}
    if unknown_sla:
        problems.append(f"[sla] 中未知的项 / unknown keys in [sla]: {sorted(unknown_sla)}")

    submissions = doc.get("submissions", {})
    deadline_day = DEFAULT_DEADLINE_DAY
    if not isinstance(submissions, dict):
        problems.append("[submissions] 应为一节 / must be a table")
    else:
        deadline_day = submissions.get("deadline_day", DEFAULT_DEADLINE_DAY)
        if not (isinstance(deadline_day, int) and not isinstance(deadline_day, bool) and 1 <= deadline_day <= 28):
            problems.append("submissions.deadline_day 应为 1–28 的整数 / must be a whole number from 1 to 28")
            deadline_day = DEFAULT_DEADLINE_DAY
        unknown_sub = set(submissions) - {"deadline_day"}
        if unknown_sub:
            problems.append(f"[submissions] 中未知的项 / unknown keys in [submissions]: {sorted(unknown_sub)}")

    targets: dict[str, float] = {}
    overrides: dict[str, dict[str, float]] = {}
    for kpi_id, section in doc.get("targets", {}).items():
        if kpi_id not in CATALOGUE:
            problems.append(f"未知指标 / unknown KPI id: targets.{kpi_id}")
            continue
        if not isinstance(section, dict):
            problems.append(f"targets.{kpi_id} 应为一节 [targets.{kpi_id}] / must be a table")
            continue
        extra = set(section) - _KPI_KEYS
        if extra:
            problems.append(f"targets.{kpi_id} 中未知的项 / unknown keys: {sorted(extra)}")
        if "target" in section:
            if _number(section["target"]):
                targets[kpi_id] = float(section["target"])
            else:
                problems.append(f"targets.{kpi_id}.target 应为数字 / must be a number")
        for community, t in section.get("communities", {}).items():
            if _number(t):
                overrides.setdefault(kpi_id, {})[community] = float(t)
            else:
                problems.append(f"targets.{kpi_id}.communities.{community} 应为数字 / must be a number")
    if problems:
        raise TargetsError("；".join(problems), path)
    return Targets(str(version), updated, targets, overrides, int(default_days), sla_days, path, int(deadline_day))
