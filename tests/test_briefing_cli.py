"""`python -m briefing`: the files a cron job gets, and clear bilingual errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from briefing.__main__ import main
from etl.warehouse import open_read_only
from tests.conftest import ROOT


def run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        rc = main(args)
    except SystemExit as e:  # argparse
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["--quarter", "2024Q5"], "无法识别的季度", "unknown quarter"),
        (["--quarter", "2024年一季度"], "无法识别的季度", "write it like 2024Q1"),
        (["--quarter", "2024Q1", "--community", "北湾社区"], "未知的社区", "unknown community"),
        (["--quarter", "2030Q1"], "没有数据", "no data"),
        (["--quarter", "2021Q1", "--community", "南湾社区"], "没有数据", "no data"),
        (["--quarter", "2024Q1", "--formats", "png,doc"], "未知的格式", "unknown format"),
        (["--quarter", "2024Q1", "--lang", "fr"], "参数错误", "argument error"),
    ],
    ids=["bad-quarter", "chinese-quarter", "unknown-community", "future-quarter", "before-data", "bad-format",
         "bad-lang"],
)
def test_errors_exit_2_with_a_message_in_both_languages(demo_db, tmp_path, capsys, args, zh, en):
    rc, out, err = run([*args, "--out", str(tmp_path / "out"), "--db", str(demo_db)], capsys)
    assert rc == 2
    assert zh in err and en in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_warehouse_and_missing_arguments(tmp_path, capsys):
    rc, _, err = run(["--quarter", "2024Q1", "--out", str(tmp_path), "--db", str(tmp_path / "none.duckdb")], capsys)
    assert rc == 2 and "仓库文件不存在" in err and "warehouse not found" in err
    rc, _, err = run(["--out", str(tmp_path)], capsys)
    assert rc == 2 and "--quarter" in err


def test_writes_the_requested_files(demo_db, tmp_path, capsys):
    from openpyxl import load_workbook

    rc, out, err = run(["--quarter", "2024Q1", "--community", "南湾社区", "--out", str(tmp_path), "--formats",
                        "xlsx", "--db", str(demo_db)], capsys)
    assert rc == 0, err
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["季度简报_南湾社区_2024Q1_演示数据.xlsx"]
    assert "沌阳街道南湾社区" in out and "演示数据" in out
    wb = load_workbook(tmp_path / files[0])
    assert "2024Q1" in str(wb.worksheets[0]["B5"].value)


def test_module_entry_point_in_a_fresh_process(demo_db, tmp_path):
    """What cron runs; English; the PNG needs no browser session (server-side Chromium) when there is one."""
    formats = "xlsx"
    r = subprocess.run(
        [sys.executable, "-m", "briefing", "--quarter", "2026Q3", "--out", str(tmp_path), "--formats", formats,
         "--db", str(demo_db), "--lang", "en"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "Quarterly_briefing_沌阳街道_2026Q3_demo.xlsx").exists()  # named in the briefing's language
    assert "DEMO DATA" in r.stdout


def test_without_chromium_png_and_pdf_fail_clearly_and_the_rest_is_written(demo_db, tmp_path):
    env = {**os.environ, "GOV_CHROMIUM": str(tmp_path / "no-such-browser")}
    r = subprocess.run(
        [sys.executable, "-m", "briefing", "--quarter", "2024Q1", "--out", str(tmp_path / "out"), "--formats",
         "png,pptx,xlsx", "--db", str(demo_db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )
    assert r.returncode == 1
    assert "未找到 Chromium" in r.stderr and "no Chromium found" in r.stderr
    names = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert names == [".pptx", ".xlsx"]


def test_pptx_needs_no_browser(demo_db, tmp_path):
    """The PPTX's charts are native PowerPoint charts: without Chromium it is still written, exit 0."""
    from pptx import Presentation

    env = {**os.environ, "GOV_CHROMIUM": str(tmp_path / "no-such-browser")}
    r = subprocess.run(
        [sys.executable, "-m", "briefing", "--quarter", "2024Q1", "--community", "南湾社区", "--out",
         str(tmp_path / "out"), "--formats", "pptx", "--db", str(demo_db)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )
    assert r.returncode == 0, r.stderr
    (path,) = (tmp_path / "out").iterdir()
    prs = Presentation(str(path))
    assert sum(1 for s in prs.slides for sh in s.shapes if sh.has_chart) >= 4


def test_all_communities_is_the_street_and_every_community(demo_db, demo_lake, tmp_path, capsys):
    """The quarter-end batch, on the warehouse and on the lake read by DuckDB: the same files."""
    from openpyxl import load_workbook

    wh = open_read_only(demo_db)
    communities, street = wh.execute("SELECT list(name ORDER BY name), any_value(street) FROM communities").fetchone()
    wh.close()
    want = sorted(f"季度简报_{c}_2024Q1_演示数据.xlsx" for c in [street, *communities])
    cells = {}
    for engine, where in (("duckdb", ["--db", str(demo_db)]), ("duckdb-lake", ["--lake", str(demo_lake)])):
        out = tmp_path / engine
        rc, stdout, err = run(["--quarter", "2024Q1", "--all-communities", "--out", str(out), "--formats", "xlsx",
                               "--engine", engine, *where], capsys)
        assert rc == 0, err
        assert sorted(p.name for p in out.iterdir()) == want
        assert f"[1/{len(want)}] 全街道 whole street" in stdout and f"共 {len(want)} 份简报" in stdout
        ws = load_workbook(out / "季度简报_南湾社区_2024Q1_演示数据.xlsx").worksheets[0]
        # every cell but the time the file was generated (two runs may straddle a minute)
        cells[engine] = [[c.value for c in row] for row in ws.iter_rows() if row[0].value != "生成时间"]
    assert len(cells["duckdb"]) > 20
    assert cells["duckdb"] == cells["duckdb-lake"]


def test_engine_errors_exit_2_in_both_languages(demo_db, tmp_path, capsys):
    rc, _, err = run(["--quarter", "2024Q1", "--out", str(tmp_path), "--engine", "oracle"], capsys)
    assert rc == 2 and "未知的查询引擎" in err and "unknown engine" in err and "Traceback" not in err
    rc, _, err = run(["--quarter", "2024Q1", "--out", str(tmp_path), "--engine", "spark", "--lake",
                      str(tmp_path / "nolake")], capsys)
    assert rc == 2 and "_manifest.json" in err
    rc, _, err = run(["--quarter", "2024Q1", "--community", "南湾社区", "--all-communities", "--out", str(tmp_path)],
                     capsys)
    assert rc == 2 and "参数错误" in err
