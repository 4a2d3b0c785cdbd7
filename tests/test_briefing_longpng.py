"""The 长图 (`--formats longpng`): one portrait image 1080 px wide for a phone, as tall as its content.

The layout (height, font sizes, texts) is checked on the plotly figure without a browser; the rendered PNG
(width, height, size under 2 MB, text chunks) through the system Chromium, skipped with a message without it.
In the demo, 南湾社区 has one warning in 2026Q3 and none in 2026Q2 (same four compounds); 2024Q1 南湾社区 had 187
activities and 3,956 participations (the figures the page tests read in the narrative too).
"""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from PIL import Image

import kpi
from briefing import build, exports, longimage, render
from briefing.__main__ import main
from tests.conftest import TARGETS

needs_chromium = pytest.mark.skipif(
    not render.available(),
    reason="Chromium not found (/usr/bin/chromium): install Debian's chromium to render the 长图",
)


@pytest.fixture(scope="module")
def briefings(con):
    cases = {"nanwan": ("2024Q1", "南湾社区"), "warned": ("2026Q3", "南湾社区"), "calm": ("2026Q2", "南湾社区"),
             "street": ("2026Q3", None)}
    return {k: build(con, q, c, targets=TARGETS) for k, (q, c) in cases.items()}


def _texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _font_sizes(node, key: str = "") -> list[float]:
    """Every font size in a figure's JSON (layout without its template defaults, and traces), and every inline
    `font-size:NNpx` of a text."""
    out: list[float] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "template":
                continue
            if k.endswith("font") and isinstance(v, dict) and v.get("size") is not None:
                out.append(float(v["size"]))
            out += _font_sizes(v, k)
    elif isinstance(node, list | tuple):
        for v in node:
            out += _font_sizes(v, key)
    elif isinstance(node, str):
        out += [float(x) for x in re.findall(r"font-size:\s*(\d+(?:\.\d+)?)px", node)]
    return out


def test_demo_quarters_have_the_warnings_the_tests_rely_on(briefings):
    assert len(briefings["warned"].warnings) == 1
    assert briefings["calm"].warnings.empty
    assert briefings["warned"].warning_counts() == (0, 1) and briefings["calm"].warning_counts() == (0, 0)
    assert briefings["street"].warning_counts() == (0, 3)  # 南湾社区 once, 枫林社区（演示） twice


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_width_and_no_text_under_28_px(briefings, lang):
    for b in briefings.values():
        fig = longimage.figure(b, lang)
        assert fig.layout.width == 1080
        sizes = _font_sizes(fig.to_plotly_json())
        assert len(sizes) > 50
        assert min(sizes) >= 28, sorted(sizes)[:5]
        assert fig.layout.height == longimage.height(b, lang)


def test_height_grows_with_the_content(briefings):
    warned, calm = briefings["warned"], briefings["calm"]
    assert longimage.height(warned) > longimage.height(calm)
    # the same briefing without its warning: shorter by at least the warning's lines less the "no warnings" line
    quiet = dataclasses.replace(warned, warnings=warned.warnings.iloc[:0], _narrative={})
    assert longimage.height(quiet) < longimage.height(warned)
    # the street ranks six communities in its chart (the community chart shows its four compounds)
    assert longimage.height(briefings["street"]) > longimage.height(calm)


def test_content_in_chinese(briefings):
    b = briefings["nanwan"]
    text = "\n".join(_texts(longimage.figure(b, "zh")))
    for part in ("沌阳街道南湾社区 2024年第一季度", "范围", "2024Q1", "演示数据", "核心指标", "预警提示",
                 "本季度未触发预警。", "活动开展（按板块）", "诉求办理", "志愿服务积分", "各小区情况", "本季度综述",
                 "数据截至 2026-09-30", "<b>187</b>", "<b>3,956</b>", "环比", "同比"):
        assert part in text, part
    # the order on the page: title, tiles, warnings, charts, narrative, freshness
    ys = {k: min(a.y for a in longimage.figure(b, "zh").layout.annotations if k in a.text)
          for k in ("核心指标", "预警提示", "诉求办理", "本季度综述", "数据截至")}
    assert ys["核心指标"] > ys["预警提示"] > ys["诉求办理"] > ys["本季度综述"] > ys["数据截至"]


def test_content_in_english(briefings):
    text = "\n".join(_texts(longimage.figure(briefings["warned"], "en")))
    for part in ("Q3 2026", "DEMO DATA", "Headline KPIs", "Warnings (0 red · 1 yellow)", "[Yellow warning]",
                 "Summary", "Data as of 2026-09-30", "QoQ", "YoY"):
        assert part in text, part


def test_ledger_text_is_escaped(briefings):
    b = briefings["nanwan"]
    hostile = "<b>x</b>&%{y}社区"
    scope = dataclasses.replace(b.meta.scope, community=hostile)
    evil = dataclasses.replace(b, meta=dataclasses.replace(b.meta, scope=scope), _narrative={})
    text = "\n".join(_texts(longimage.figure(evil, "zh")))
    assert "&lt;b&gt;x&lt;/b&gt;&amp;&#37;{y}社区" in text
    assert "<b>x</b>" not in text and "%{y}" not in text


def test_file_name_and_formats(briefings):
    b = briefings["nanwan"]
    assert exports.file_name(b, "longpng", "zh") == "季度简报_南湾社区_2024Q1_演示数据_长图.png"
    assert exports.file_name(b, "longpng", "en") == "Quarterly_briefing_南湾社区_2024Q1_demo_long.png"
    assert exports.parse_formats("longpng") == ["longpng"]
    assert "longpng" in exports.NEEDS_BROWSER and exports.MIME["longpng"] == "image/png"


def test_optimise_quantises_only_over_the_limit():
    import numpy as np

    rng = np.random.default_rng(1)
    noise = Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8))
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    raw = buf.getvalue()
    kept = Image.open(io.BytesIO(longimage.optimise(raw)))
    assert kept.mode == "RGB"
    small = longimage.optimise(raw, limit=len(raw) // 2)
    assert Image.open(io.BytesIO(small)).mode == "P" and len(small) < len(raw)


# ---------------------------------------------------------------- rendered

@needs_chromium
def test_cli_writes_a_1080_wide_image_under_2_mb(demo_db, tmp_path, capsys):
    rc = main(["--quarter", "2024Q1", "--community", "南湾社区", "--formats", "longpng", "--out", str(tmp_path),
               "--db", str(demo_db)])
    out = capsys.readouterr()
    assert rc == 0, out.err
    files = list(tmp_path.iterdir())
    assert [p.name for p in files] == ["季度简报_南湾社区_2024Q1_演示数据_长图.png"]
    data = files[0].read_bytes()
    assert len(data) < 2 * 1024 * 1024
    im = Image.open(io.BytesIO(data))
    im.load()
    b = build_for_cli(demo_db)
    assert im.size == (1080, longimage.height(b, "zh"))
    assert im.size[1] > 3000  # a long image
    assert im.text["Quarter"] == "2024Q1" and im.text["Dataset"] == "演示数据"
    assert "longpng" in out.out


def build_for_cli(demo_db):
    from etl.warehouse import open_read_only

    con = open_read_only(demo_db)
    try:
        return build(con, "2024Q1", "南湾社区", targets=kpi.load_targets())
    finally:
        con.close()


@needs_chromium
def test_rendered_heights_follow_the_warnings(briefings):
    imgs = {k: Image.open(io.BytesIO(exports.export_bytes(briefings[k], ["longpng"], "en")["longpng"]))
            for k in ("warned", "calm")}
    assert imgs["warned"].size[0] == imgs["calm"].size[0] == 1080
    assert imgs["warned"].size[1] > imgs["calm"].size[1]
    # the title band is 党建 red from the top edge, and the page is not blank below it
    import numpy as np

    a = np.asarray(imgs["calm"].convert("RGB")).astype(int)
    band = a[5:60, 5:1075]
    assert ((band[..., 0] > 150) & (band[..., 1] < 80)).mean() > 0.9
    assert len(np.unique(a.reshape(-1, 3)[::101], axis=0)) > 50


def test_a_community_viewers_long_image_names_no_other_community(con):
    """The 长图 of a restricted viewer is built from its own briefing (`build(..., allowed=)`): the street's
    warnings name 枫林社区（演示） twice in 2026Q3, this one must not."""
    import json

    mine = build(con, "2026Q3", "南湾社区", targets=TARGETS, allowed=("南湾社区",))
    for lang in ("zh", "en"):
        blob = json.dumps(longimage.figure(mine, lang).to_plotly_json(), ensure_ascii=False, default=str)
        assert "南湾社区" in blob
        for other in ("枫林社区", "凤亭社区", "兴城社区", "车城社区", "新城社区"):
            assert other not in blob, other


def test_a_large_street_shows_its_highest_and_lowest_fifteen(briefings):
    """200 communities must not make a 15,000-px chart: the scope chart keeps the 15 highest and 15 lowest."""
    import pandas as pd

    b = briefings["street"]
    base = b.scorecard.iloc[[0]]
    rows = pd.concat([base.assign(community=f"社区{i:03d}", score=i / 100) for i in range(200)], ignore_index=True)
    big = dataclasses.replace(b, scorecard=rows)
    fig = longimage.figure(big, "zh")
    bars = [tr for tr in fig.data if tr.type == "bar" and tr.orientation == "h"]
    assert len(bars) == 1 and len(bars[0].y) == 30
    names = set(bars[0].y)
    assert {"社区199", "社区185", "社区014", "社区000"} <= names and not {"社区184", "社区015"} & names
    assert any("（最高、最低各 15 个，共 200 个）" in a.text for a in fig.layout.annotations)
    assert longimage.height(big) < longimage.height(b) + 30 * 74
