"""Small ledger files built in code for loader tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

COMMUNITIES = [
    ["街道", "社区", "户数", "成立年份"],
    ["沌阳街道", "南湾社区", "5017", "2021"],
    ["沌阳街道", "凤亭社区", "3000", "2015"],
]
COMPOUNDS = [
    ["社区", "小区", "户数"],
    ["南湾社区", "东风凤凰城", "2000"],
    ["南湾社区", "南湾一区", "3017"],
    ["凤亭社区", "凤亭一区", "3000"],
]
VOLUNTEERS = [
    ["志愿者编号", "社区", "加入日期", "是否党员", "服务队"],
    ["V001", "南湾社区", "2022-01-05", "是", "能工巧匠红色服务队"],
    ["V002", "南湾社区", "2022-03-01", "否", "便民服务队"],
    ["V003", "凤亭社区", "2023-06-01", "1", "平安巡逻队"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", above: list[list[str]] | None = None) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in (above or []) + rows:
        w.writerow(r)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], title: str | None = None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        offset = 0
        if title:
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(rows[0]), 2))
            ws.append(["填报单位：南湾社区", None, "填报日期：2024-03-01"])
            offset = 2
        for r in rows:
            ws.append(r)
        del offset
    wb.save(path)
    return path


def write_rosters(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(folder / "a.csv", COMMUNITIES),
        write_csv(folder / "b.csv", COMPOUNDS),
        write_csv(folder / "c.csv", VOLUNTEERS),
    ]


def second_version(src: Path, folder: Path, key: str, changes: dict[str, str], key_column: str = "编号") -> Path:
    """A later version of the CSV ledger `src` under the same file name in `folder`: the row whose `key_column` is
    `key` gets `changes` (header → new text), every other row is as it was."""
    text = src.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    found = 0
    for r in rows[1:]:
        if r and r[head.index(key_column)] == key:
            for col, value in changes.items():
                r[head.index(col)] = value
            found += 1
    if found != 1:
        raise ValueError(f"{key!r} is in {found} rows of {src.name}")
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / src.name, rows)
