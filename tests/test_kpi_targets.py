"""data/targets.toml: the shipped file parses and agrees with the catalogue; mistakes are reported."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from kpi.catalogue import CATALOGUE
from kpi.targets import DEFAULT_TARGETS_PATH, Targets, TargetsError, load_targets


def test_shipped_file_parses_and_matches_catalogue_defaults():
    t = load_targets(DEFAULT_TARGETS_PATH)
    assert t.version and isinstance(t.updated, date)
    assert t.sla_default_days == 30
    for kid, k in CATALOGUE.items():
        assert t.targets.get(kid) == k.default_target, kid
    # every scorecard KPI has a section (so the office sees where to set it)
    text = DEFAULT_TARGETS_PATH.read_text(encoding="utf-8")
    for kid, k in CATALOGUE.items():
        if k.scorecard:
            assert f"[targets.{kid}]" in text, kid
    assert "怎么改" in text  # editing instructions in Chinese


def test_default_load_uses_env_or_falls_back_to_catalogue(tmp_path, monkeypatch):
    monkeypatch.setenv("GOV_TARGETS", str(tmp_path / "missing.toml"))
    t = load_targets()
    assert t.version == "catalogue" and t.targets["closure_rate"] == 90.0 and t.sla_default_days == 30
    with pytest.raises(FileNotFoundError):
        load_targets(tmp_path / "missing.toml")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "targets.toml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_overrides_and_sla(tmp_path):
    p = _write(tmp_path, """
        version = "2024.2"
        updated = 2024-06-01
        [sla]
        default_days = 20
        [sla.categories]
        "房屋漏水" = 60
        [targets.closure_rate]
        name = "办结率"
        target = 85.5
        [targets.closure_rate.communities]
        "南湾社区" = 95
        [targets.visit_coverage]
        name = "no target: use the baseline"
    """)
    t = load_targets(p)
    assert t.version == "2024.2" and t.updated == date(2024, 6, 1)
    assert t.target("closure_rate", "南湾社区") == (95.0, "community")
    assert t.target("closure_rate", "别的社区") == (85.5, "file")
    assert t.target("closure_rate") == (85.5, "file")
    assert t.target("visit_coverage", "南湾社区") == (None, None)
    assert t.sla_days == {"房屋漏水": 60} and t.sla_default_days == 20  # 晾晒 has no limit of its own: 20 days


@pytest.mark.parametrize("body, fragment", [
    ('version = "1"\n[targets.closure_rat]\ntarget = 90\n', "closure_rat"),
    ('version = "1"\n[targets.closure_rate]\ntarget = "九十"\n', "closure_rate.target"),
    ('version = "1"\n[targets.closure_rate]\ntraget = 90\n', "traget"),
    ('version = "1"\n[targets.closure_rate.communities]\n"南湾社区" = "高"\n', "南湾社区"),
    ('version = "1"\n[sla]\ndefault_days = 0\n', "default_days"),
    ('version = "1"\n[sla.categories]\n"晾晒" = 1.5\n', "晾晒"),
    ('[targets.closure_rate]\ntarget = 90\n', "version"),
    ('version = "1"\nupdated = "昨天"\n', "updated"),
    ('version = "1"\ntarget = 3\n', "target"),
    ('version = "1"\n[targets\n', "TOML"),
])
def test_mistakes_are_reported(tmp_path, body, fragment):
    with pytest.raises(TargetsError, match=fragment):
        load_targets(_write(tmp_path, body))


def test_from_catalogue():
    """Without a targets file: the documented catalogue targets, nothing per community, 30-day limits."""
    t = Targets.from_catalogue()
    assert t.target("closure_rate", "南湾社区") == (90.0, "file")
    assert t.target("mediation_success_rate") == (95.0, "file")
    assert t.target("overdue_backlog") == (0.0, "file")
    assert t.target("visit_coverage") == (None, None)  # no target: the scorecard uses the baseline
    assert t.target("participants_per_100_households") == (None, None)
    assert "房屋漏水" not in t.sla_days and t.sla_default_days == 30
