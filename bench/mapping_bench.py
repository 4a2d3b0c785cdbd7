"""Mapping must not slow loading: a mapped foreign export against the same rows in contract form.

    .venv/bin/python bench/mapping_bench.py [--rows 100000] [--repeat 3]

Writes the same cases twice as UTF-8 CSV: once as a 12345 hotline work-order export (its own headers,
US date-times '3/5/2024 2:07:00 PM', 处理中/已回退 statuses to translate, a personal-data column, the
case kind a constant of the profile) and once in contract form (编号, 类别, …, ISO dates). Each is loaded
into a fresh warehouse (rosters loaded first, not timed) in a fresh subprocess; best of `--repeat`,
interleaved. Target (issue 10): mapped ≤ 1.5 × contract.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.test_mapping import ISSUE_PROFILE  # noqa: E402  (the issue's profile, written once)

COMMUNITIES = ["南湾社区", "凤亭社区", "枫林社区"]
CATEGORIES = ["噪音扰民", "物业管理", "环境卫生", "停车管理", "房屋漏水"]
SOURCES = ["12345热线", "网络", "来访"]

# The issue's example profile with the summary column (the one tests/test_mapping.py loads 12345 exports with).
PROFILE = ISSUE_PROFILE.replace('community = "所属社区"', 'community = "所属社区"\nsummary   = "诉求摘要"')


def _us(ts: pd.DatetimeIndex) -> pd.Index:
    hour = ts.hour % 12
    hour = np.where(hour == 0, 12, hour)
    ampm = np.where(ts.hour < 12, "AM", "PM")
    return (pd.Index(ts.month.astype(str)) + "/" + ts.day.astype(str) + "/" + ts.year.astype(str) + " "
            + pd.Index(hour.astype(str)) + ":" + ts.strftime("%M:%S") + " " + ampm)


def write_inputs(folder: Path, rows: int) -> tuple[Path, Path, Path, Path]:
    rng = np.random.default_rng(10)
    ref = folder / "ref"
    ref.mkdir()
    (ref / "communities.csv").write_text(
        "街道,社区,户数\n" + "".join(f"沌阳街道,{c},3000\n" for c in COMMUNITIES), encoding="utf-8"
    )
    opened = pd.to_datetime("2021-07-01") + pd.to_timedelta(rng.integers(0, 1900 * 24 * 60, rows), unit="min")
    state = rng.integers(0, 10, rows)  # 0–6 closed, 7–8 open, 9 sent back
    closed = opened + pd.to_timedelta(rng.integers(0, 20, rows), unit="D")  # used where the case is closed
    status_file = np.where(state <= 6, "已办结", np.where(state <= 8, "处理中", "已回退"))
    status_contract = np.where(state <= 6, "已办结", np.where(state <= 8, "办理中", "已转办"))
    ids = [f"GD{i:09d}" for i in range(rows)]
    community = np.array(COMMUNITIES)[rng.integers(0, len(COMMUNITIES), rows)]
    category = np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), rows)]
    source = np.array(SOURCES)[rng.integers(0, len(SOURCES), rows)]
    summary = np.char.add(category.astype(str), "，已多次反映, 希望尽快处理")
    closed_us = np.where(state <= 6, _us(closed), "")
    closed_iso = np.where(state <= 6, closed.strftime("%Y-%m-%d"), "")
    mapped = pd.DataFrame({
        "工单编号": ids, "受理时间": _us(opened), "办结时间": closed_us, "诉求类型": category, "来源渠道": source,
        "办理状态": status_file, "所属社区": community, "诉求摘要": summary,
        "来电人电话": [f"138{i:08d}" for i in range(rows)],
    })
    contract = pd.DataFrame({
        "编号": ids, "类别": "居民诉求", "分类": category, "社区": community, "登记日期": opened.strftime("%Y-%m-%d"),
        "来源": source, "办结日期": closed_iso, "状态": status_contract, "诉求内容": summary,
    })
    mapped_csv, contract_csv = folder / "mapped.csv", folder / "contract.csv"
    mapped.to_csv(mapped_csv, index=False, encoding="utf-8")
    contract.to_csv(contract_csv, index=False, encoding="utf-8")
    profile = folder / "hotline.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    return ref, mapped_csv, contract_csv, profile


CHILD = r"""
import json, sys, time
mode, db, path, ref, profile = sys.argv[1:6]
from etl.loader import load_paths
load_paths([ref], db)  # the roster the cases cite, not timed
t = time.perf_counter()
report = load_paths([path], db, mapping=profile if mode == "mapped" else None)
elapsed = time.perf_counter() - t
f = report.files[0]
assert report.exit_code == 0, [(f.status, f.messages, f.rejects[:3]) for f in report.files]
print(json.dumps({"seconds": elapsed, "loaded": f.rows_loaded, "profile": f.profile}))
"""


def measure(mode: str, path: Path, ref: Path, profile: Path, work: Path, n: int) -> dict:
    db = work / f"{mode}-{n}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(db), str(path), str(ref), str(profile)],
        cwd=ROOT, capture_output=True, text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} load failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ref, mapped, contract, profile = write_inputs(work, args.rows)
        print(f"{args.rows:,} cases; mapped CSV {mapped.stat().st_size / 1e6:.1f} MB, contract CSV "
              f"{contract.stat().st_size / 1e6:.1f} MB; fresh warehouse each, best of {args.repeat}")
        results: dict[str, list[dict]] = {"contract": [], "mapped": []}
        for n in range(args.repeat):  # interleaved so machine noise hits both alike
            results["contract"].append(measure("contract", contract, ref, profile, work, n))
            results["mapped"].append(measure("mapped", mapped, ref, profile, work, n))
    for k, v in results.items():
        assert all(r["loaded"] == args.rows for r in v), (k, v)
    best = {k: min(r["seconds"] for r in v) for k, v in results.items()}
    median = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    print(f"{'':<26}{'best s':>8}{'median s':>10}{'rows/s':>12}")
    for k, label in (("contract", "contract form"), ("mapped", "mapped (profile)")):
        print(f"{label:<26}{best[k]:>8.2f}{median[k]:>10.2f}{args.rows / best[k]:>12,.0f}")
    ratio = best["mapped"] / best["contract"]
    print(f"mapped / contract = {ratio:.2f} (target <= 1.5: {'OK' if ratio <= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
