"""志愿积分 under AppTest: default / narrowed / empty scopes, a team click, and no personal data anywhere."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import kpi
from kpi import volunteers
from tests.conftest import TARGETS
from tests.domain_page_helpers import (
    EMPTY_QUERY,
    NANWAN,
    Q3_2026,
    assert_cards,
    assert_empty_scope,
    chip_buttons,
    drill_state,
    open_page,
    row_count,
)
from tests.ui_helpers import all_text, app_env, header_scope  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")
IDS = [k.id for k in kpi.kpis_for("volunteers")]
VOLUNTEER_ID = re.compile(r"\b[A-Z]{2}-V\d{3,}\b")  # the demo ledgers' volunteer ids (NW-V0068 …)




def assert_no_personal_data(at, downloaded) -> None:
    for df in [d.value for d in at.dataframe] + list(downloaded.values()):
        assert "volunteer_id" not in df.columns and "志愿者编号" not in df.columns
        assert not any(VOLUNTEER_ID.search(str(v)) for v in df.astype(str).to_numpy().ravel())
    assert not VOLUNTEER_ID.search(all_text(at))


def test_default_scope(con, downloads):
    at = open_page("volunteers")
    assert_cards(at, con, Q3_2026, IDS)
    summary = volunteers.service_summary(con, Q3_2026)
    assert row_count(at) == len(summary)
    frame = downloads["vol_list_dl"]
    assert len(frame) == len(summary)
    assert abs(frame["服务时长（小时）"].sum() - kpi.value(con, Q3_2026, "service_hours", targets=TARGETS)) < 1e-6
    teams = at.dataframe[0].value
    assert teams["active"].sum() == kpi.value(con, Q3_2026, "active_volunteers", targets=TARGETS)
    assert_no_personal_data(at, downloads)


def test_narrowed(con, downloads):
    f = replace(Q3_2026, communities=(NANWAN,))
    at = open_page("volunteers", query={"community": NANWAN})
    assert header_scope(at).startswith("沌阳街道 · 南湾社区")
    assert_cards(at, con, f, IDS)
    assert row_count(at) == len(volunteers.service_summary(con, f))
    assert_no_personal_data(at, downloads)


def test_empty_scope():
    assert_empty_scope(open_page("volunteers", query=EMPTY_QUERY))


def test_compound_filter_explains_the_volunteer_rule():
    at = open_page("volunteers", query={"community": NANWAN, "compound": "东风凤凰城"})
    assert "志愿者不登记小区" in all_text(at)


def test_a_team_bar_narrows_the_service_records(con, downloads):
    teams = volunteers.teams(con, Q3_2026).dropna(subset=["team"]).set_index("team")
    team = teams.index[0]
    at = open_page("volunteers", state=drill_state("volunteers", Q3_2026, {"team": team}))
    summary = volunteers.service_summary(con, Q3_2026)
    assert row_count(at) == (summary["team"] == team).sum()
    frame = downloads["vol_list_dl"]
    assert set(frame["服务队"]) == {team}
    assert abs(frame["服务时长（小时）"].sum() - teams.loc[team, "hours"]) < 1e-6  # = the team's bar
    assert [c.label for c in chip_buttons(at)] == [f"服务队：{team}"]
