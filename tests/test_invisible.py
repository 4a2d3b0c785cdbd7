"""Zero-width and control characters: gone from every cell on load, shown as codes (never obeyed) on the console."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb

from etl.console import terminal_text
from etl.loader import load_paths
from etl.readers import normalise_whitespace, normalise_whitespace_bytes
from tests.ledgers import write_csv, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)


def test_text_normalisation_literal_cases():
    assert normalise_whitespace("南\u200b湾社区") == "南湾社区"
    assert normalise_whitespace("\ufeff南\u200c湾\u200d社\u2060区") == "南湾社区"
    assert normalise_whitespace("东风\u202e凤凰城\u2066\u2069\u200e\u200f") == "东风凤凰城"
    assert normalise_whitespace("a\x1b[31mb\x07c\x00d\x7fe\x85f\x9bg") == "a[31mbcdefg"
    assert normalise_whitespace("a\tb\u3000c") == "a b c"
    assert normalise_whitespace("第一行\n第二行\r\n") == "第一行\n第二行\r\n"  # line breaks in a cell stay
    assert normalise_whitespace("南湾社区 · 一期") == "南湾社区 · 一期"


def test_byte_normalisation_matches_the_text_one():
    for s in ("南\u200b湾社区", "\ufeff南\u200c湾\u200d社\u2060区", "东风\u202e凤凰城\u2066\u2069\u200e\u200f",
              "a\x1b[31mb\x07c\x00d\x7fe\x85f\x9bg", "a\tb\u3000c", "第一行\n第二行\r\n", "南湾社区 · 一期·—“”…"):
        assert normalise_whitespace_bytes(s.encode("utf-8")).decode("utf-8") == normalise_whitespace(s)


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _ledgers(folder: Path, encoding: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(folder / "c.csv", [["街道", "社\u200b区", "户数"], ["沌阳街道", "南\u200b湾社区", "5017"],
                                     ["沌阳街道", "凤亭社区\u2060", "3000"]], encoding=encoding),
        write_csv(folder / "a.csv", [["日期", "社区", "板块", "活动类型", "参与人数", "活动名称"],
                                     ["2024-02-01", "\u200b南湾社区", "志愿服务", "理\u200d发", "12",
                                      "义剪\x1b[2J\x1b]8;;http://evil\x07点此\x1b]8;;\x07"]], encoding=encoding),
    ]


def test_csv_in_utf8_and_gbk_loads_without_invisible_characters(tmp_path: Path):
    for encoding in ("utf-8", "utf-8-sig"):
        db = tmp_path / f"{encoding}.duckdb"
        report = load_paths(_ledgers(tmp_path / encoding, encoding), db, today=TODAY)
        assert report.exit_code == 0, [(f.file_name, f.messages) for f in report.files]
        assert sorted(_rows(db, "SELECT name FROM communities")) == [("凤亭社区",), ("南湾社区",)]
        assert _rows(db, "SELECT community, activity_type, title FROM activities") == [
            ("南湾社区", "理发", "义剪[2J]8;;http://evil点此]8;;")]
    # GBK cannot encode zero-width characters: a GBK ledger carries control characters only
    db = tmp_path / "gbk.duckdb"
    (tmp_path / "gbk").mkdir()
    ledger = write_csv(tmp_path / "gbk" / "c.csv", [["街道", "社区", "户数"], ["沌阳街道", "南湾\x1b社区", "1"]],
                       encoding="gbk")
    assert load_paths([ledger], db, today=TODAY).exit_code == 0
    assert _rows(db, "SELECT name FROM communities") == [("南湾社区",)]


def test_workbook_cells_and_headers_lose_invisible_characters(tmp_path: Path):
    path = write_xlsx(tmp_path / "r.xlsx", {"社区": [["街道", "社\u200b区", "户数"], ["沌阳街道", "南\u200b湾社区", 5017]],
                                            "小区": [["社区", "小区", "户数"], ["南湾社区\ufeff", "东风\u200c凤凰城", 100]]})
    db = tmp_path / "w.duckdb"
    assert load_paths([path], db, today=TODAY).exit_code == 0
    assert _rows(db, "SELECT name FROM communities") == [("南湾社区",)]
    assert _rows(db, "SELECT community, name FROM compounds") == [("南湾社区", "东风凤凰城")]


def test_terminal_text_shows_codes_instead_of_obeying_them():
    assert terminal_text("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert terminal_text("\x1b]8;;http://evil\x07点此\x1b]8;;\x07") == "\\x1b]8;;http://evil\\x07点此\\x1b]8;;\\x07"
    assert terminal_text("覆盖\r前面") == "覆盖\\x0d前面"
    assert terminal_text("\x9b31m") == "\\x9b31m"
    assert terminal_text("abc\u202edef") == "abc\\u202edef"
    assert terminal_text("两行\n文字\t制表") == "两行\n文字\\x09制表"
    assert terminal_text("南湾社区 · 一期") == "南湾社区 · 一期"


def test_cli_never_echoes_an_escape_sequence_from_a_file_name_or_header(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "evil\x1b[2J\x1b]0;pwned\x07.csv", [["\x1b[31m甲", "乙\x9b1m"], ["1", "2"]])
    db = tmp_path / "w.duckdb"
    out = subprocess.run([sys.executable, "-m", "etl", "--db", str(db), "load", str(folder)], cwd=ROOT,
                         capture_output=True, timeout=120)
    assert out.returncode == 2
    both = out.stdout + out.stderr
    assert b"\x1b" not in both and b"\x07" not in both and "\x9b".encode() not in both
    assert b"evil\\x1b[2J\\x1b]0;pwned\\x07.csv" in out.stdout
    status = subprocess.run([sys.executable, "-m", "etl", "--db", str(db), "status"], cwd=ROOT,
                            capture_output=True, timeout=120)
    assert b"\x1b" not in status.stdout + status.stderr
