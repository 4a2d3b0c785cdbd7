"""python -m etl: exit codes and what a clerk sees."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from etl import contract
from tests.ledgers import write_csv, write_rosters

ROOT = Path(__file__).resolve().parent.parent


def etl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_load_exit_codes(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    rosters = write_rosters(tmp_path / "rosters")
    ok = etl("--db", str(db), "load", str(tmp_path / "rosters"))
    assert ok.returncode == 0, ok.stderr
    assert "3 个文件" in ok.stdout and "a.csv" in ok.stderr  # progress goes to stderr

    rows = [["日期", "社区", "板块", "活动类型", "参与人数"]] + [
        ["2024-02-01", "南湾社区", "志愿服务", "理发", str(-i)] for i in range(1, 26)
    ]
    partial = etl("load", str(write_csv(tmp_path / "neg.csv", rows)), "--db", str(db))
    assert partial.returncode == 1
    listed = re.findall(r"第(\d+)行", partial.stdout)
    assert listed[:2] == ["2", "3"] and len(listed) == 20  # the first 20 on screen
    assert "拒收 25 行" in partial.stdout

    refused = etl("--db", str(db), "load", str(write_csv(tmp_path / "x.csv", [["甲", "乙"], ["1", "2"]])))
    assert refused.returncode == 2
    assert "x.csv" in refused.stdout and "header row not recognised" in refused.stdout

    assert etl("--db", str(db), "load").returncode == 2  # usage error
    assert etl("--db", str(db), "frobnicate").returncode == 2
    del rosters


def test_status(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write_rosters(tmp_path / "r")
    etl("--db", str(db), "load", str(tmp_path / "r"))
    out = etl("--db", str(db), "status")
    assert out.returncode == 0
    assert re.search(r"communities\s+2", out.stdout) and re.search(r"volunteers\s+3", out.stdout)
    assert "a.csv" in out.stdout and "拒收记录 / rejects: 0" in out.stdout
    assert etl("--db", str(tmp_path / "none.duckdb"), "status").returncode == 2


def test_contract_doc_matches_code() -> None:
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for kind in contract.KINDS:
        line = next(x for x in doc.splitlines() if x.startswith(f"| {kind.name} {kind.zh} |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == ", ".join(f"{f.zh} {f.name}" for f in kind.required), kind.name
        assert cells[2] == ", ".join(f"{f.zh} {f.name}" for f in kind.optional), kind.name
    for words in (contract.PILLARS, contract.CASE_KINDS, contract.STATUSES, contract.OUTCOMES):
        assert ", ".join(words) in doc
    for word in contract.PERSONAL_HEADER_WORDS:
        assert word in doc


def test_every_command_shows_db_in_its_help() -> None:
    for command in ("load", "status", "demo"):
        out = etl(command, "--help")
        assert out.returncode == 0 and "--db" in out.stdout and "warehouse file" in out.stdout, command
    demo_help = etl("demo", "--help").stdout
    for option, zh in (("--communities", "社区个数"), ("--years", "年数"), ("--seed", "随机种子")):
        assert option in demo_help and zh in demo_help


def test_db_before_or_after_the_command(tmp_path: Path) -> None:
    write_rosters(tmp_path / "r")
    before, after = tmp_path / "before.duckdb", tmp_path / "after.duckdb"
    assert etl("--db", str(before), "load", str(tmp_path / "r")).returncode == 0
    assert etl("load", str(tmp_path / "r"), "--db", str(after)).returncode == 0
    assert before.exists() and after.exists()
    assert f"仓库 / warehouse: {after}" in etl("status", "--db", str(after)).stdout


def _tree(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")} if folder.exists() else {}


def test_demo_writes_its_ledgers_beside_the_warehouse(tmp_path: Path) -> None:
    repo_demo = ROOT / "data" / "demo"
    seen = _tree(repo_demo)
    db = tmp_path / "w" / "x.duckdb"
    out = etl("--db", str(db), "demo", "--communities", "1", "--years", "1")
    assert out.returncode == 0, out.stderr
    ledgers = sorted(p.name for p in (tmp_path / "w" / "x-ledgers").iterdir())
    assert "沌阳街道社区名册（演示）.xlsx" in ledgers and len(ledgers) >= 8
    assert _tree(repo_demo) == seen  # the repository's data/demo/ is not touched


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_status_in_beijing_time_chinese_aligned_with_refusals(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "w.duckdb"
    write_rosters(tmp_path / "r")
    acts = write_csv(tmp_path / "活动台账.csv", [["日期", "社区", "板块", "活动类型", "参与人数"],
                                                ["2024-02-01", "南湾社区", "文化", "理发", "5"],
                                                ["2024-02-01", "南湾社区", "志愿服务", "理发", "5"]])
    (tmp_path / "照片.csv").write_bytes(bytes(range(256)))
    assert etl("--db", str(db), "load", str(tmp_path / "r"), str(acts), str(tmp_path / "照片.csv")).returncode == 2
    con = duckdb.connect(str(db))  # pin the load times (stored as naive UTC) to known values
    con.execute("UPDATE load_batches SET loaded_at = TIMESTAMP '2024-02-23 17:05:00'")
    con.execute("UPDATE meta SET value = '2024-02-23T17:05:00' WHERE key = 'last_load_at'")
    con.close()
    out = etl("--db", str(db), "status").stdout
    assert "最近导入 / last load (北京时间 Beijing time, UTC+8): 2024-02-24 01:05" in out
    batch_lines = [x for x in out.splitlines() if x.startswith("  2024-02-24 01:05")]
    assert len(batch_lines) == 4  # a.csv, b.csv, c.csv, 活动台账.csv
    assert any("活动台账.csv" in x and "已入库，部分行被拒收 loaded with rejects" in x for x in batch_lines)
    assert any("a.csv" in x and "社区名册 communities" in x and "已入库 loaded" in x for x in batch_lines)
    assert "loaded_with_rejects" not in out and "(UTC)" not in out
    # columns line up on screen: the status column starts at the same display column in every batch row
    starts = {_display_width(x[: x.index("已入库")]) for x in batch_lines if "已入库" in x}
    assert len(starts) == 1
    refused = [x for x in out.splitlines() if "照片.csv" in x]
    assert len(refused) == 1 and "not a CSV text file" in refused[0]
    assert "整份拒收的文件 / refused files (1;" in out
    assert "数据集 / dataset: 真实台账 real ledgers" in out


def test_real_ledgers_loaded_into_the_demo_make_it_mixed(demo_db: Path, tmp_path: Path) -> None:
    import shutil

    from etl.warehouse import open_read_only

    db = tmp_path / "w.duckdb"
    shutil.copy(demo_db, db)
    assert "数据集 / dataset: 演示数据 demo" in etl("--db", str(db), "status").stdout
    roster = write_csv(tmp_path / "我们的社区名册.csv", [["街道", "社区", "户数"], ["沌阳街道", "测试社区", "1200"]])
    assert etl("--db", str(db), "load", str(roster)).returncode == 0
    con = open_read_only(db)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone() == ("mixed",)
    finally:
        con.close()
    out = etl("--db", str(db), "status").stdout
    assert "演示数据与真实台账混合 mixed" in out and "数据集 / dataset: 演示数据 demo" not in out
