"""present.escape: data as literal text in Streamlit markdown and in plotly text; the render functions use it."""

from __future__ import annotations

import json

import pandas as pd

from present import charts
from present.escape import chart, chat, cut, markdown

LONG = "很长的名字" * 2000


def test_markdown_escapes_every_construct_a_value_could_open():
    assert markdown("![i](http://127.0.0.1:8000/x.png)") == r"\!\[i\]\(http\:\/\/127\.0\.0\.1\:8000\/x\.png\)"
    assert markdown("[请点此重新登录](http://evil)") == r"\[请点此重新登录\]\(http\:\/\/evil\)"
    assert markdown("南湾\n# X") == r"南湾 \# X"
    assert markdown("a\r\n- b") == r"a \- b"
    assert markdown("<a href=http://evil>x</a>") == r"\<a href\=http\:\/\/evil\>x\<\/a\>"
    assert markdown(":red[x]") == r"\:red\[x\]"
    assert markdown(":material/home:") == r"\:material\/home\:"
    assert markdown("$x^2$") == r"\$x\^2\$"
    assert markdown("**b** _i_ ~s~ `c` | t") == r"\*\*b\*\* \_i\_ \~s\~ \`c\` \| t"
    assert markdown("1. a") == r"1\. a"
    assert markdown("&lt;") == r"\&lt\;"
    assert markdown("C:\\dir") == r"C\:\\dir"
    assert markdown("南湾社区") == "南湾社区"  # CJK text and full-width punctuation untouched
    assert markdown("凤亭社区（演示）·一期，二期") == "凤亭社区（演示）·一期，二期"
    assert markdown(None) == ""
    assert markdown(3.5) == r"3\.5"


def test_chart_escapes_tags_entities_and_placeholders():
    assert chart("<a href=http://evil>x</a>") == "&lt;a href=http://evil&gt;x&lt;/a&gt;"
    assert chart("<span style=font-size:60px>BIG</span>") == "&lt;span style=font-size:60px&gt;BIG&lt;/span&gt;"
    assert chart("A&B") == "A&amp;B"
    assert chart("%{customdata[0]}") == "&#37;{customdata[0]}"
    assert chart("比率（%）") == "比率（&#37;）"
    assert chart("南湾\n# X") == "南湾 # X"
    assert chart("a<br>b") == "a&lt;br&gt;b"
    assert chart("南湾社区") == "南湾社区"


def test_chart_cuts_long_names_with_an_ellipsis():
    assert chart(LONG) == "很长的名字" * 7 + "很长的名…"
    assert len(chart(LONG)) == 40
    assert chart("x" * 40) == "x" * 40
    assert chart("x" * 41) == "x" * 39 + "…"
    assert chart(LONG, limit=None) == LONG
    assert cut("<b>" * 20, 10) == "<b><b><b>…"  # cut first, then escape: entities are never split
    assert chart("<b>" * 20, 10) == "&lt;b&gt;&lt;b&gt;&lt;b&gt;…"


def _texts(fig) -> str:
    spec = fig.to_plotly_json()
    for trace in spec["data"]:
        trace.pop("customdata", None)  # raw click values, never drawn
    return json.dumps(spec, ensure_ascii=False)


def test_rank_bar_labels_and_hovers_are_text():
    df = pd.DataFrame({"partner": ["<a href=http://evil>x</a>", "%{customdata[0]}", LONG, LONG + "2"],
                       "activities": [3, 2, 1, 1]})
    fig = charts.render_rank_bar(df, "partner", "activities", value_title="场次")
    text = _texts(fig)
    assert "<a href" not in text and LONG not in text
    assert list(fig.data[0].y) == [
        "很长的名字" * 7 + "很长的名…", "很长的名字" * 7 + "很长的名… (2)", "&#37;{customdata[0]}",
        "&lt;a href=http://evil&gt;x&lt;/a&gt;",
    ]
    assert [c[0] for c in fig.data[0].customdata] == [LONG, LONG + "2", "%{customdata[0]}",
                                                      "<a href=http://evil>x</a>"]  # clicks keep raw values


def test_stacked_bars_legend_and_hover_are_text():
    df = pd.DataFrame({"partner": ["<span style=font-size:60px>BIG</span>", "p2"],
                       "activity_type": ["%{customdata[0]}", "<a href=http://evil>t</a>"], "activities": [1, 2]})
    fig = charts.render_stack_pick(df, "partner", "activity_type", "activities", horizontal=True)
    assert [t.name for t in fig.data] == ["&#37;{customdata[0]}", "&lt;a href=http://evil&gt;t&lt;/a&gt;"]
    assert fig.data[0].hovertemplate == "&#37;{customdata[0]}<br>%{y}: %{x:,}<extra></extra>"
    assert "<span style=font-size:60px>" not in _texts(fig)


def test_heatmap_rows_and_scope_subtitle_are_text():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-07-01"]),
                       "compound": ["<a href=http://evil>c</a>", "![c](http://h/c.png)"],
                       "community": ["A", "B"], "v": [1.0, 2.0]})
    fig = charts.render_heatmap(df, "month", "compound", "v", group="community")
    charts.with_title(fig, "热力图", "沌阳街道 · <span style=font-size:60px>BIG</span> · " + LONG)
    text = _texts(fig)
    assert "<a href" not in text and "<span style=font-size:60px>" not in text and LONG not in text
    assert list(fig.data[0].y) == ["&lt;a href=http://evil&gt;c&lt;/a&gt;", "![c](http://h/c.png)"]
    lines = fig.layout.title.subtitle.text.split("<br>")  # the subtitle's lines (present.charts.subtitle_lines)
    assert lines[:2] == ["沌阳街道", "&lt;span style=font-size:60px&gt;BIG&lt;/span&gt;"]
    assert lines[-1].endswith("…") and all("<" not in line for line in lines)


def test_monthly_lines_per_community_are_text():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-07-01"] * 2), "community": ["<a href=x>a</a>", LONG],
                       "kpi_id": ["closure_rate"] * 2, "value": [50.0, 60.0]})
    fig = charts.render_monthly_kpi(df, ["closure_rate"])
    assert [t.name for t in fig.data] == ["&lt;a href=x&gt;a&lt;/a&gt;", "很长的名字" * 7 + "很长的名…"]


def test_chat_makes_work_chat_markup_plain_full_width_text():
    assert chat("[点此](http://evil)") == "［点此］（http：//evil）"
    assert chat("![i](http://x/y.png)") == "！［i］（http：//x/y.png）"
    assert chat("<font color=red>@all</font>") == "＜font color＝red＞＠all＜/font＞"
    assert chat("南湾\n# X **b** `c`") == "南湾 ＃ X ＊＊b＊＊ ｀c｀"
    assert chat("凤亭社区（演示）·一期") == "凤亭社区（演示）·一期"  # CJK text untouched
    assert chat(LONG) == LONG[:39] + "…"
    assert chat(None) == ""
