"""The catalogue: complete, well-formed, every KPI computed; importing kpi does not import Streamlit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from etl.contract import PILLARS
from kpi.catalogue import CATALOGUE, DOMAINS, KPI, headline_ids, kpis_for, scorecard_ids
from kpi.engine import registered

ROOT = Path(__file__).resolve().parents[1]

REQUIRED = {
    "engagement": ["活动场次", "参与人次", "每百户参与人次", "共建活动场次", "活跃共建单位数", "志愿者参与人次"],
    "issues": ["受理数", "办结数", "办结率", "办结天数中位数", "办结天数90分位", "在办积案", "超期积案", "按时办结率",
               "满意率"],
    "disputes": ["排查化解数", "调解成功率", "转交数", "化解天数中位数"],
    "safety": ["隐患发现数", "隐患整改率", "整改天数中位数", "入户走访覆盖率"],
    "services": ["便民服务人次", "上门维修次数"],
    "volunteers": ["注册志愿者", "活跃志愿者", "活跃率", "服务时长", "积分发放", "积分兑换", "积分结余", "季度留存率",
                   "党员占比"],
}


def test_required_kpis_present_in_their_domains():
    for domain, names in REQUIRED.items():
        have = [k.name_zh for k in kpis_for(domain)]
        for n in names:
            assert n in have, (domain, n)


@pytest.mark.parametrize("k", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_kpi_well_formed(k: KPI):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", k.id)
    assert k.name_zh and k.name_en and k.unit_zh and k.unit_en and k.formula
    assert k.definition_zh.endswith("。") and k.definition_en.endswith(".")
    assert k.direction in ("higher", "lower")
    assert k.kind in ("count", "ratio", "statistic")
    assert k.pillar is None or k.pillar in PILLARS
    assert k.default_target is None or isinstance(k.default_target, float)
    if k.kind == "ratio" and k.unit_en == "%":
        assert k.decimals == 1
    assert k.id in registered(), "no compute function"


def test_catalogue_order_and_helpers():
    domains = [k.domain for k in CATALOGUE.values()]
    assert domains == sorted(domains, key=list(DOMAINS).index)  # grouped in domain display order
    assert set(registered()) == set(CATALOGUE)
    assert 4 <= len(headline_ids()) <= 10 and len(scorecard_ids()) >= 6
    assert {CATALOGUE[i].domain for i in scorecard_ids()} == set(DOMAINS)
    with pytest.raises(KeyError):
        kpis_for("nope")


def test_importing_kpi_does_not_import_streamlit():
    code = "import kpi, kpi.scorecard, kpi.series, sys; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)

