"""Each role sees exactly its scope, on every page, in downloads and in the briefing (AppTest); and random URL
parameters never widen a community viewer's scope (property test through the URL parser into kpi)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpi
from tests.conftest import TARGETS
from tests.ui_helpers import all_text, app_env, assert_clean, header_scope, run_app  # noqa: F401

NANWAN = "南湾社区"
PAGES = ["pages/overview.py", "pages/engagement.py", "pages/issues.py", "pages/disputes_safety.py",
         "pages/services.py", "pages/volunteers.py", "pages/briefing.py", "pages/kpi_catalogue.py",
         "pages/explore.py"]


@pytest.fixture(scope="module")
def others(demo_db) -> list[str]:
    """Every community of the demo but 南湾社区."""
    from etl.warehouse import open_read_only

    con = open_read_only(demo_db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM communities ORDER BY name").fetchall()]
    finally:
        con.close()
    assert NANWAN in names and len(names) == 6
    return [n for n in names if n != NANWAN]


def _all_strings(at) -> str:
    """Everything a viewer can read: texts, metric labels, table cells, chart data, widget options."""
    parts = [all_text(at)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for df in at.dataframe:
        parts.append(df.value.to_csv() if isinstance(df.value, pd.DataFrame) else str(df.value))
    for chart in at.get("plotly_chart"):
        parts.append(str(chart.proto.spec))
    for box in (*at.selectbox, *at.multiselect):
        parts.append(" ".join(map(str, box.options)))
    return "\n".join(parts)


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("role", ["community", "clerk"])
@pytest.mark.parametrize("page", PAGES)
def test_a_community_viewer_never_sees_another_community(role, page, others, downloads):
    at = run_app(role=role, page=page, query={"period": "2024Q1"})
    assert_clean(at)
    text = _all_strings(at)
    leaked = [c for c in others if c in text]
    assert not leaked, (page, leaked)
    for key, frame in downloads.items():
        csv = frame.to_csv()
        assert not [c for c in others if c in csv], (page, key)


@pytest.mark.usefixtures("app_env")
def test_a_community_viewer_sees_its_own_numbers_and_its_rank(con):
    at = run_app(role="community", query={"period": "2024Q1"})
    assert_clean(at)
    own = kpi.values(con, kpi.Filters(date(2024, 1, 1), date(2024, 3, 31), communities=(NANWAN,)),
                     ["activities"], targets=TARGETS)["value"].iloc[0]
    assert own == 187  # the article's quarter: 187 activities in 南湾社区 (tests/test_page_engagement.py)
    assert {m.label: m.value for m in at.metric}["活动场次"] == "187"
    scorecard = at.dataframe[0].value
    assert list(scorecard["community"]) == [NANWAN]
    place = kpi.scorecard.standing(con, kpi.Filters(date(2024, 1, 1), date(2024, 3, 31)), TARGETS, NANWAN)
    caption = next(c.value for c in at.caption if "本社区综合得分" in c.value)
    assert f"排名第 {place.rank}" in caption and f"{place.communities_ranked}个社区" in caption
    assert at.sidebar.multiselect[0].options == [NANWAN]  # the community filter offers only its own
    assert header_scope(at) == "沌阳街道 · 南湾社区 · 2024年第一季度"  # not "全部社区（1个）"


@pytest.mark.usefixtures("app_env")
def test_a_link_to_another_community_falls_back_with_a_note(others):
    at = run_app(role="community", query={"community": others[0], "period": "2024Q1"})
    assert_clean(at)
    notes = "\n".join(w.value for w in at.warning)
    assert "不在您的查看范围内" in notes
    assert {m.label: m.value for m in at.metric}["活动场次"] == "187"  # still 南湾社区's own figures


@pytest.mark.usefixtures("app_env")
def test_leaders_and_admins_see_every_community(others):
    for role in ("leader", "admin"):
        at = run_app(role=role, query={"period": "2024Q1"})
        scorecard = at.dataframe[0].value
        assert set(scorecard["community"]) == {NANWAN, *others}, role


@pytest.mark.usefixtures("app_env")
def test_the_community_viewers_briefing_and_its_exports_hold_no_other_name(others):
    at = run_app(role="community", page="pages/briefing.py", query={"period": "2024Q1"})
    assert_clean(at)
    assert at.selectbox(key="briefing_scope").options == [NANWAN]  # no 全街道 either
    import ui.data
    from briefing import exports

    b = ui.data.briefing("2024Q1", NANWAN, (NANWAN,))
    files = exports.export_bytes(b, ["xlsx", "pptx"], "zh")
    for fmt, data in files.items():
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        assert not [c for c in others if c in xml], fmt


# ---------------------------------------------------------------------- random URLs into kpi


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_url_widens_a_community_viewers_scope(con, data):
    from ui.state import Choices, parse_query

    opts_all = kpi.scope_options(con)
    everyone = list(opts_all.communities["community"])
    opts = kpi.scope_options(con, allowed=(NANWAN,))
    choices = Choices.from_scope(opts, date(2026, 11, 28))
    name = st.sampled_from([*everyone, "", "junk", ",".join(everyone), "南湾社区,凤亭社区（演示）"])
    params = {
        "community": data.draw(st.lists(name, max_size=3)),
        "compound": data.draw(st.lists(st.sampled_from([*opts_all.compounds["compound"], "x"]), max_size=2)),
        "period": data.draw(st.sampled_from(["2024Q1", "2023Q4", "last_quarter", "custom", "junk"])),
        "start": data.draw(st.sampled_from(["2023-01-01", "2024-02-29", "x"])),
        "end": data.draw(st.sampled_from(["2024-03-31", "2026-09-30", "2023-01-01"])),
    }
    view, _ = parse_query(params, choices, restricted=True)
    from dataclasses import replace

    f = replace(view, allowed=(NANWAN,)).filters
    by_comm = kpi.values(con, f, ["activities", "cases_opened", "active_volunteers"], by="community",
                         targets=TARGETS)
    assert set(by_comm["community"]) <= {NANWAN}
    whole = kpi.values(con, f, ["activities"], targets=TARGETS)["value"].iloc[0]
    own = kpi.values(con, replace(f, communities=(NANWAN,), allowed=None), ["activities"],
                     targets=TARGETS)["value"].iloc[0]
    if not f.compounds:
        assert whole == own  # the whole scope is exactly 南湾社区's, whatever the URL said
