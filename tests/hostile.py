"""A hostile warehouse: every name a ledger can carry tries to act as markdown, HTML, a formula or a terminal code.

`build(folder, port)` writes small CSV ledgers (communities, compounds, activities, cases, volunteers, hours,
redemptions; 2025-01 … 2026-09) into `folder` and loads them with `etl.loader.load_paths` — the real path a
clerk's file takes. `port` is where a test serves the image address (`![i](http://127.0.0.1:PORT/x.png)`) to
count requests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LINK = "[点此查看](http://evil)"  # a known community (the URL note test uses another, unknown, link)
NEWLINE_HEADING = "南湾\n# X"
ANCHOR = "<a href=http://evil>x</a>"
BIG = "<span style=font-size:60px>BIG</span>"
DIRECTIVE = ":red[x]"
FORMULA = '=HYPERLINK("http://x","y")'
LONG = "很长的名字" * 2000  # 10,000 characters
ZERO_WIDTH = "南\u200b湾社区"  # loads as 南湾社区
COMMA = "甲,乙社区"
FULLWIDTH_COMMA = "丙，丁社区"
STREET = "沌阳街道"


@dataclass(frozen=True)
class Names:
    port: int

    @property
    def image(self) -> str:
        return f"![i](http://127.0.0.1:{self.port}/x.png)"

    def img(self, tag: str) -> str:
        return f"![{tag}](http://127.0.0.1:{self.port}/{tag}.png)"

    @property
    def communities(self) -> list[str]:
        """As written in the ledger (the zero-width one loads as 南湾社区)."""
        return [self.image, LINK, NEWLINE_HEADING, ANCHOR, BIG, DIRECTIVE, FORMULA, LONG, ZERO_WIDTH, COMMA,
                FULLWIDTH_COMMA]

    @property
    def loaded_communities(self) -> list[str]:
        return [c.replace("\u200b", "") for c in self.communities]

    @property
    def compounds(self) -> list[str]:
        """One per community, in the same order."""
        return [self.img("c"), "[小区](http://evil)", "小区\n# X", "<a href=http://evil>小区</a>",
                "<span style=font-size:60px>BIG小区</span>", ":red[小区]", '=HYPERLINK("http://x","c")',
                "很长的小区" * 2000, "东风\u200b凤凰城", "一期,二期", "三期，四期"]

    @property
    def categories(self) -> list[tuple[str, str]]:
        return [("居民诉求", BIG), ("居民诉求", self.img("k")), ("矛盾纠纷", ANCHOR), ("矛盾纠纷", "分类\n# X"),
                ("安全隐患", '=HYPERLINK("http://x","k")'), ("安全隐患", ":red[隐患]")]

    @property
    def partners(self) -> list[str]:
        return [ANCHOR, BIG, self.img("p"), '=HYPERLINK("http://x","p")', "[共建](http://evil)", "很长的单位" * 2000]

    @property
    def activity_types(self) -> list[tuple[str, str]]:
        return [("联动联建", ":red[类型]"), ("居民自治", "[类型](http://evil)"), ("志愿服务", "类型\n# X"),
                ("社会治理", "<span style=font-size:60px>类型</span>"), ("联动联建", self.img("t")),
                ("志愿服务", '=HYPERLINK("http://x","t")')]

    @property
    def teams(self) -> list[str]:
        return ["<a href=http://evil>队</a>", self.img("team"), "队\n# X", "=1+1"]

    @property
    def items(self) -> list[str]:
        return ["<span style=font-size:60px>物品</span>", "=HYPERLINK(\"http://x\",\"i\")", self.img("item")]


def _csv(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def write_ledgers(folder: Path, names: Names, seed: int = 9) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    comms, cmps = names.communities, names.compounds
    months = _months(dt.date(2025, 1, 1), dt.date(2026, 9, 1))
    files = [
        _csv(folder / "communities.csv", [["街道", "社区", "户数", "成立年份"]]
             + [[STREET, c, 1000 + 250 * i, 2015] for i, c in enumerate(comms)]),
        _csv(folder / "compounds.csv", [["社区", "小区", "户数"]]
             + [[c, x, 500 + 100 * i] for i, (c, x) in enumerate(zip(comms, cmps, strict=True))]),
    ]
    acts = [["活动编号", "日期", "社区", "小区", "板块", "活动类型", "活动名称", "共建单位", "参与人数", "服务人次",
             "志愿者人数"]]
    cases = [["编号", "类别", "分类", "社区", "小区", "登记日期", "办结日期", "状态", "调解结果", "满意度"]]
    vols = [["志愿者编号", "社区", "加入日期", "是否党员", "服务队"]]
    hours = [["志愿者编号", "日期", "时长", "积分", "活动编号", "服务内容"]]
    reds = [["志愿者编号", "日期", "兑换积分", "兑换物品"]]
    n_act = n_case = 0
    for i, (c, x) in enumerate(zip(comms, cmps, strict=True)):
        for v in range(3):
            vols.append([f"V{i:02d}{v}", c, "2024-06-01", "是" if v == 0 else "否", names.teams[(i + v) % 4]])
        for m in months:
            # the last quarter swings hard for some communities, so that warnings fire and name them
            swing = 0.2 if (m >= dt.date(2026, 7, 1) and i % 2 == 0) else 3.0 if m >= dt.date(2026, 7, 1) else 1.0
            for _ in range(max(1, int(rng.integers(2, 6) * swing))):
                n_act += 1
                pillar, typ = names.activity_types[int(rng.integers(0, len(names.activity_types)))]
                day = m + dt.timedelta(days=int(rng.integers(0, 27)))
                acts.append([f"A{n_act:05d}", day.isoformat(), c, x, pillar, typ, f"活动{typ}",
                             names.partners[int(rng.integers(0, len(names.partners)))],
                             int(rng.integers(5, 60)), int(rng.integers(0, 30)), int(rng.integers(1, 8))])
            for _ in range(max(1, int(rng.integers(1, 5) * swing))):
                n_case += 1
                kind, cat = names.categories[int(rng.integers(0, len(names.categories)))]
                opened = m + dt.timedelta(days=int(rng.integers(0, 20)))
                done = rng.random() < 0.7
                closed = opened + dt.timedelta(days=int(rng.integers(1, 40))) if done else None
                if closed and closed > dt.date(2026, 9, 30):
                    closed, done = None, False
                outcome = ("调解成功" if rng.random() < 0.7 else "调解不成功") if kind == "矛盾纠纷" and done else ""
                cases.append([f"K{n_case:05d}", kind, cat, c, x, opened.isoformat(),
                              closed.isoformat() if closed else "", "已办结" if done else "办理中", outcome,
                              int(rng.integers(3, 6)) if done else ""])
            for v in range(3):
                hours.append([f"V{i:02d}{v}", (m + dt.timedelta(days=3 + v)).isoformat(), 2.5, 25, "",
                              names.teams[v]])
            if m.month % 3 == 0:
                reds.append([f"V{i:02d}0", (m + dt.timedelta(days=10)).isoformat(), 20,
                             names.items[i % len(names.items)]])
    files += [
        _csv(folder / "activities.csv", acts), _csv(folder / "cases.csv", cases),
        _csv(folder / "volunteers.csv", vols), _csv(folder / "hours.csv", hours),
        _csv(folder / "redemptions.csv", reds),
    ]
    return files


def build(folder: Path, port: int) -> tuple[Path, Names]:
    """The hostile warehouse `folder/hostile.duckdb` (loaded from ledgers in `folder/ledgers`) and its names."""
    from etl.loader import load_paths

    names = Names(port)
    files = write_ledgers(folder / "ledgers", names)
    db = folder / "hostile.duckdb"
    report = load_paths(files, db, fresh=True)
    assert report.exit_code in (0, 1), [(f.file_name, f.status, f.messages) for f in report.files]
    return db, names
