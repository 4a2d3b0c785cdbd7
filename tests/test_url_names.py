"""Any community / compound name round-trips through a copied link (ui.state: to_query → URL → parse_query)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from ui.state import Choices, ViewState, parse_query, query_string, to_query

NAMES = ("甲,乙社区", "丙，丁社区", "A&B社区", "x=y社区", "#1社区", "100%社区", "南湾 社区", "🏠社区", "南湾社区",
         "[点此](http://evil)", "凤亭社区（演示）")
COMPOUNDS = {"甲,乙社区": ("一期,二期",), "丙，丁社区": ("三期，四期",), "A&B社区": ("a&b=c#d%20",),
             "南湾社区": ("东风凤凰城",)}
CHOICES = Choices(NAMES, COMPOUNDS, ("联动联建", "居民自治", "志愿服务", "社会治理"), date(2026, 11, 28))


def _view(communities=(), compounds=()) -> ViewState:
    return ViewState(date(2024, 1, 1), date(2024, 3, 31), "2024Q1", tuple(communities), tuple(compounds))


def _through_a_link(view: ViewState) -> tuple[ViewState, list]:
    """The view as a copied link gives it back: query string → what Streamlit hands the app → parse_query."""
    qs = query_string(view)
    params = parse_qs(urlsplit("http://h/" + qs).query, keep_blank_values=True)
    return parse_query(params, CHOICES)


def test_every_name_round_trips_alone_and_together():
    for name in NAMES:
        others = [] if name == "南湾社区" else [_view([name, "南湾社区"]), _view(["南湾社区", name])]
        for v in (_view([name]), *others):
            assert parse_query(to_query(v), CHOICES) == (v, [])
            assert _through_a_link(v) == (v, [])
    v = _view(NAMES)
    assert _through_a_link(v) == (v, [])


def test_compounds_with_commas_and_url_characters_round_trip():
    v = _view(["甲,乙社区", "丙，丁社区", "A&B社区"], ["一期,二期", "三期，四期", "a&b=c#d%20"])
    assert to_query(v)["compound"] == ["一期,二期", "三期，四期", "a&b=c#d%20"]
    assert _through_a_link(v) == (v, [])


def test_the_written_form_is_one_parameter_per_name():
    qs = query_string(_view(["甲,乙社区", "A&B社区"]))
    assert qs == "?period=2024Q1&community=%E7%94%B2%2C%E4%B9%99%E7%A4%BE%E5%8C%BA&community=A%26B%E7%A4%BE%E5%8C%BA"


def test_legacy_comma_lists_still_read():
    view, notes = parse_query({"community": "南湾社区,凤亭社区（演示）"}, CHOICES)
    assert view.communities == ("南湾社区", "凤亭社区（演示）") and notes == []
    view, notes = parse_query({"community": "南湾社区，🏠社区"}, CHOICES)
    assert view.communities == ("南湾社区", "🏠社区") and notes == []
    # a known name is taken whole, even though its parts would be names too
    view, _ = parse_query({"community": "甲,乙社区"}, CHOICES)
    assert view.communities == ("甲,乙社区",)
    view, notes = parse_query({"community": "甲,南湾社区"}, CHOICES)
    assert view.communities == ("南湾社区",) and [n.value for n in notes] == ["甲"]
