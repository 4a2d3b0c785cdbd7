"""A community viewer's briefing (`build(..., allowed=(own,))`) on the demo warehouse.

It shows the same numbers as the unrestricted briefing of that community, its
scorecard holds only its own row with its rank among the street, and neither
the model, the narrative nor the XLSX / PPTX files (scanned down to the
workbooks embedded in the slides' charts) contain another community's name.
"""

from __future__ import annotations

import html
import io
import zipfile

import pandas as pd
import pytest

import kpi
from briefing import BriefingError, build, exports
from tests.conftest import TARGETS

QUARTER = "2025Q2"
ME = "南湾社区"


@pytest.fixture(scope="module")
def others(con) -> list[str]:
    names = list(kpi.scope_options(con).communities["community"])
    assert ME in names and len(names) >= 3
    # "兴城社区（演示）" and its plain name "兴城社区"
    return sorted({n for c in names if c != ME for n in (c, c.split("（")[0])})


@pytest.fixture(scope="module")
def pair(con):
    """(unrestricted briefing of ME, ME's own viewer's briefing)."""
    return (build(con, QUARTER, ME, targets=TARGETS),
            build(con, QUARTER, ME, targets=TARGETS, allowed=(ME,)))


def _strings(obj):
    if isinstance(obj, pd.DataFrame):
        yield from (str(c) for c in obj.columns)
        for col in obj.columns:
            yield from (x for x in obj[col].tolist() if isinstance(x, str))
    elif isinstance(obj, str):
        yield obj


def _leaks(texts, others) -> list[tuple[str, str]]:
    return [(o, t[:120]) for t in texts for o in others if o in t]


def _zip_texts(data: bytes):
    """Every XML / text part of an OOXML file, entities decoded; embedded workbooks opened too."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            part = z.read(name)
            if part[:2] == b"PK":
                yield from _zip_texts(part)
            elif name.endswith((".xml", ".rels", ".txt")):
                yield html.unescape(part.decode("utf-8", errors="replace"))


def test_same_numbers_as_the_unrestricted_briefing_of_the_community(pair):
    full, mine = pair
    for attr in ("kpis", "pillars", "trend", "issues", "volunteers", "compounds", "warnings"):
        pd.testing.assert_frame_equal(getattr(mine, attr), getattr(full, attr), obj=attr)
    assert mine.headline == full.headline
    assert mine.filters.allowed == (ME,) and mine.filters.communities == (ME,)
    for lang in ("zh", "en"):
        assert mine.narrative_text(lang) == full.narrative_text(lang)
    assert mine.meta.communities == full.meta.communities == len(full.scorecard)


def test_scorecard_holds_only_the_own_row_ranked_among_the_street(pair):
    full, mine = pair
    assert list(mine.scorecard["community"]) == [ME]
    own = full.scorecard[full.scorecard["community"] == ME].iloc[0]
    row = mine.scorecard.iloc[0]
    assert row["rank"] == own["rank"] and row["score"] == pytest.approx(own["score"])
    assert list(mine.scorecard.columns) == list(full.scorecard.columns)
    s = mine.standing
    assert (s.community, s.rank, s.communities_ranked) == (ME, int(own["rank"]), len(full.scorecard))
    assert s.street_average_score == pytest.approx(full.scorecard["score"].mean())
    assert mine.communities_ranked == len(full.scorecard)
    assert full.standing is None


def test_no_other_community_name_in_the_model_or_the_narrative(pair, others):
    full, mine = pair
    texts = [s for attr in ("kpis", "pillars", "trend", "issues", "volunteers", "scorecard", "warnings",
                            "compounds") for s in _strings(getattr(mine, attr))]
    texts += [mine.narrative_text(lang) for lang in ("zh", "en")]
    texts += [mine.meta.title(lang) for lang in ("zh", "en")] + [mine.meta.stamp("zh"), mine.meta.file_stem("zh")]
    assert not _leaks(texts, others)
    # the scan finds names where there are some: the unrestricted scorecard lists every community
    assert _leaks(_strings(full.scorecard), others)


def test_no_other_community_name_in_the_xlsx_and_pptx(pair, others):
    full, mine = pair
    files = exports.export_bytes(mine, ["xlsx", "pptx"], "zh")
    for fmt, data in files.items():
        texts = list(_zip_texts(data))
        assert any(ME in t for t in texts), fmt  # the file is about the community
        assert not _leaks(texts, others), fmt
    # the unrestricted community briefing's workbook does list the others (its scorecard sheet)
    assert _leaks(_zip_texts(exports.export_bytes(full, ["xlsx"], "zh")["xlsx"]), others)


def test_other_communities_and_the_whole_street_are_refused(con, others):
    cases = [
        (others[0], (ME,)),  # another community
        ("不存在的社区", (ME,)),  # unknown: the same answer, so nothing is learnt about what exists
        (None, (ME,)),  # the whole street
        (ME, ()),  # a viewer without any community
    ]
    for community, allowed in cases:
        with pytest.raises(BriefingError) as e:
            build(con, QUARTER, community, targets=TARGETS, allowed=allowed)
        err = e.value
        assert err.code == "scope", (community, allowed)
        assert err.message("zh") and err.message("en") and err.message("zh") != err.message("en")
        assert not _leaks([err.message("zh"), err.message("en")], [o for o in others if o != community])


def test_a_viewer_allowed_every_community_gets_the_unrestricted_briefing(con):
    everyone = tuple(kpi.scope_options(con).communities["community"])
    street = build(con, QUARTER, None, targets=TARGETS, allowed=everyone)
    plain = build(con, QUARTER, None, targets=TARGETS)
    pd.testing.assert_frame_equal(street.scorecard, plain.scorecard)
    assert street.narrative_text("zh") == plain.narrative_text("zh") and street.standing is None
