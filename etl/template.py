"""Ledger templates: one .xlsx per kind, generated from `etl.contract` (never written by hand).

Each template holds
- the ledger sheet (named after the kind, e.g. 活动台账): the header row (required headers bold on an orange
  fill, optional ones on a blue fill, each with a comment saying 必填/选填 and what it means), one example row
  whose first free-text cell starts with `contract.EXAMPLE_MARK` (the loader skips it), drop-down lists for
  every vocabulary column and for 社区/小区 from the current rosters, date columns formatted yyyy-mm-dd and
  text columns formatted as text for `TEMPLATE_ROWS` rows;
- 填表说明: what each column means, its format and the rules that reject a row — the reasons come from the
  loader's own rules (`etl.loader._rules`), so the sheet says exactly what the loader does;
- 下拉选项 (hidden): the lists the drop-downs read.

No cell of 填表说明 or 下拉选项 is a ledger header, so the loader skips both sheets (reported as not a ledger).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from etl import contract, loader, warehouse
from etl.contract import KINDS, LOAD_ORDER, Field, Kind

TEMPLATE_ROWS = 300  # rows below the header that get the drop-downs and the date/text formats
GUIDE_SHEET = "填表说明"
LISTS_SHEET = "下拉选项"
REQUIRED_FILL = "F8CBAD"
OPTIONAL_FILL = "DDEBF7"
EXAMPLE_COLOUR = "808080"

# The example row of each kind (one realistic row; the mark goes into `example_column`).
EXAMPLES: dict[str, dict[str, object]] = {
    "communities": {"street": "沌阳街道", "community": "南湾社区", "households": 5017, "founded": 2015},
    "compounds": {"community": "南湾社区", "compound": "东风凤凰城", "households": 2000},
    "activities": {
        "date": dt.date(2024, 5, 10), "community": "南湾社区", "pillar": "联动联建", "activity_type": "烹饪教学",
        "participants": 30, "activity_id": "HD-2024-001", "compound": "东风凤凰城", "title": "邻里厨艺分享会",
        "partner": "区图书馆", "services": 30, "volunteers": 5, "households_visited": 0, "note": "",
    },
    "cases": {
        "case_id": "SQ-2024-001", "kind": "矛盾纠纷", "category": "邻里纠纷", "community": "南湾社区",
        "opened_on": dt.date(2024, 5, 6), "compound": "东风凤凰城", "source": "网格员上报",
        "closed_on": dt.date(2024, 5, 8), "status": "已办结", "outcome": "调解成功", "satisfaction": 5,
        "summary": "楼上漏水引发邻里矛盾，经调解达成维修协议",
    },
    "volunteers": {"volunteer_id": "V0001", "community": "南湾社区", "joined_on": dt.date(2022, 1, 5),
                   "party_member": "是", "team": "便民服务队"},
    "volunteer_hours": {"volunteer_id": "V0001", "date": dt.date(2024, 5, 10), "hours": 2.5, "points": 25,
                        "activity_id": "HD-2024-001", "service": "协助烹饪教学"},
    "redemptions": {"volunteer_id": "V0001", "date": dt.date(2024, 6, 1), "points": 50, "item": "洗衣液"},
}

FORMAT_TEXT = {
    "text": "文字",
    "date": "日期，如 2024-05-10（也可 2024/5/10、2024年5月10日、Excel 日期）",
    "count": "整数，如 30（可带单位，如 30人）",
    "number": "数字，可有小数，如 2.5",
    "year": "四位年份，如 2015",
    "bool": "是 / 否（从下拉列表选择）",
}


def kind_by_key(key: str) -> Kind:
    """A kind by its English key or Chinese name; KeyError naming the choices."""
    for kind in KINDS:
        if key in (kind.name, kind.zh):
            return kind
    raise KeyError(f"未知的台账种类 / unknown ledger kind {key!r}; 可选 / one of: "
                   + ", ".join(f"{k.name} {k.zh}" for k in KINDS))


def template_file_name(kind: Kind) -> str:
    return f"{kind.zh}_模板_{kind.name}.xlsx"


def rosters_from_warehouse(db_path: Path | str) -> dict | None:
    """{"communities": [name, …], "compounds": [(community, compound), …]} of the warehouse, or None without one."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    con = warehouse.open_read_only(db_path)
    try:
        communities = [r[0] for r in con.execute("SELECT name FROM communities ORDER BY name").fetchall()]
        compounds = [tuple(r) for r in con.execute("SELECT community, name FROM compounds ORDER BY 1, 2").fetchall()]
    finally:
        con.close()
    return {"communities": communities, "compounds": compounds}


def _roster_lists(rosters: dict | None) -> tuple[list[str], list[str], list[tuple[str | None, str]]]:
    """(communities, compound names, (community, compound) pairs) from a rosters dict."""
    rosters = rosters or {}
    communities = [str(c) for c in rosters.get("communities") or []]
    pairs: list[tuple[str | None, str]] = []
    for c in rosters.get("compounds") or []:
        pairs.append((str(c[0]), str(c[1])) if isinstance(c, (tuple, list)) else (None, str(c)))
    names = list(dict.fromkeys(name for _, name in pairs))
    return communities, names, pairs


def _dropdown_fields(kind: Kind) -> dict[str, str]:
    """field name → which list its drop-down offers (a vocabulary field name, 'community' or 'compound')."""
    out = {f.name: f.name for f in kind.fields if f.name in contract.VOCABULARIES}
    if kind.name != "communities" and any(f.name == "community" for f in kind.fields):
        out["community"] = "community"  # the communities roster defines the names: no drop-down there
    if kind.name != "compounds" and any(f.name == "compound" for f in kind.fields):
        out["compound"] = "compound"
    return out


def example_column(kind: Kind) -> Field:
    """The column whose example cell carries the mark: the first text column without a drop-down."""
    lists = _dropdown_fields(kind)
    return next(f for f in kind.fields if f.type == "text" and f.name not in lists)


def _example_row(kind: Kind, rosters: dict | None) -> dict[str, object]:
    row = dict(EXAMPLES[kind.name])
    communities, _, pairs = _roster_lists(rosters)
    if communities and "community" in row and kind.name != "communities":
        row["community"] = communities[0]
        mine = [name for c, name in pairs if c == communities[0]]
        if "compound" in row and kind.name != "compounds":
            row["compound"] = mine[0] if mine else ""
    marked = example_column(kind)
    row[marked.name] = contract.EXAMPLE_MARK + str(row[marked.name])
    return row


def _rule_texts(kind: Kind) -> dict[str, list[str]]:
    """field name → the Chinese reasons of the loader's rules on it (what rejects a row)."""
    present = {f.name for f in kind.fields}
    out: dict[str, list[str]] = {}
    for rule in loader._rules(kind, present, dt.date.today()):
        zh = re.split(r"\s*/ ", rule.reason, maxsplit=1)[0]
        if rule.field in contract.VOCABULARIES and "不在取值范围内" in zh:
            zh = f"{zh}（可填：{'、'.join(contract.VOCABULARIES[rule.field])}）"
        texts = out.setdefault(rule.field or "", [])
        if zh not in texts:
            texts.append(zh)
    return out


def _format_text(kind: Kind, f: Field, lists: dict[str, str]) -> str:
    if f.name in contract.VOCABULARIES and f.type != "bool":
        text = "从下拉列表选择：" + "、".join(contract.VOCABULARIES[f.name])
        if f.name == "pillar":
            text += "（也接受“党建+”前缀，如 党建+联动联建）"
        return text
    if lists.get(f.name) == "community":
        return "从下拉列表选择（社区名册中的社区）"
    if lists.get(f.name) == "compound":
        return "从下拉列表选择（该社区小区名册中的小区）"
    text = "整数 1–5" if f.name == "satisfaction" else FORMAT_TEXT[f.type]
    if f.name in contract.FREE_TEXT_FIELDS:
        text += "；其中的手机号、身份证号导入时自动打码"
    return text


def _column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


def template_bytes(kind_name: str, rosters: dict | None = None) -> bytes:
    """The .xlsx template of a ledger kind (English key or Chinese name); `rosters` as `rosters_from_warehouse`."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = kind_by_key(kind_name)
    required = {f.name for f in kind.required}
    lists = _dropdown_fields(kind)
    communities, compound_names, _ = _roster_lists(rosters)
    wb = Workbook()
    ws = wb.active
    ws.title = kind.zh
    guide = wb.create_sheet(GUIDE_SHEET)
    hidden = wb.create_sheet(LISTS_SHEET)
    hidden.sheet_state = "hidden"

    # the lists the drop-downs read, one per column of the hidden sheet (row 1 names it, values from row 2)
    list_values = {name: list(values) for name, values in contract.VOCABULARIES.items()}
    list_values["community"] = communities
    list_values["compound"] = compound_names
    ranges: dict[str, str] = {}
    col = 0
    for field_name in dict.fromkeys(lists.values()):
        values = list_values[field_name]
        if not values:
            continue  # no roster yet: the column is free text
        col += 1
        letter = _column_letter(col)
        zh = next(f.zh for f in kind.fields if f.name == field_name)
        hidden.cell(row=1, column=col, value=f"{zh}（下拉选项）")
        for i, v in enumerate(values, start=2):
            hidden.cell(row=i, column=col, value=v).data_type = "s"
        ranges[field_name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"

    # the header row
    bold = Font(bold=True)
    for j, f in enumerate(kind.fields, start=1):
        cell = ws.cell(row=1, column=j, value=f.zh)
        need = f.name in required
        cell.font = bold if need else Font(bold=False)
        cell.fill = PatternFill("solid", fgColor=REQUIRED_FILL if need else OPTIONAL_FILL)
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(f"{'必填' if need else '选填'}：{contract.field_help(kind, f)}", "台账模板")
        ws.column_dimensions[_column_letter(j)].width = max(12, 2 * len(f.zh) + 4)
    ws.freeze_panes = "A2"

    # the example row
    example = _example_row(kind, rosters)
    grey = Font(italic=True, color=EXAMPLE_COLOUR)
    for j, f in enumerate(kind.fields, start=1):
        value = example.get(f.name)
        cell = ws.cell(row=2, column=j, value=None if value == "" else value)
        cell.font = grey
    # formats and drop-downs for the rows a clerk fills in
    last = TEMPLATE_ROWS + 1
    for j, f in enumerate(kind.fields, start=1):
        letter = _column_letter(j)
        number_format = {"date": "yyyy-mm-dd", "text": "@"}.get(f.type)
        if number_format:
            for r in range(2, last + 1):
                ws.cell(row=r, column=j).number_format = number_format
        source = ranges.get(lists.get(f.name, ""))
        if source:
            roster = lists[f.name] in ("community", "compound")
            dv = DataValidation(
                type="list", formula1=source, allow_blank=True, showDropDown=False, showErrorMessage=True,
                errorStyle="warning" if roster else "stop",
                errorTitle=f"{f.zh}",
                error=(f"{f.zh}不在名册中，导入时这一行会被拒收 / not in the roster" if roster
                       else f"请从下拉列表选择{f.zh} / choose a value from the list"),
            )
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)

    if not ranges:
        wb.remove(hidden)  # no drop-downs in this kind
    _write_guide(guide, kind, lists)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_guide(ws, kind: Kind, lists: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    required = {f.name for f in kind.required}
    rules = _rule_texts(kind)
    marked = example_column(kind)
    lines = [
        f"{kind.zh}（{kind.name}）填表说明",
        f"1. 请在「{kind.zh}」工作表第 3 行起逐行填写，每行一条记录；第 1 行是表头，请勿修改表头文字。",
        f"2. 第 2 行是示例行（「{marked.zh}」一格以“{contract.EXAMPLE_MARK}”开头），导入时自动跳过，可保留也可删除；"
        f"自己填写的行不要以“{contract.EXAMPLE_MARK}”开头。",
        "3. 橙色表头为必填列，蓝色表头为选填列；带下拉箭头的列请从列表中选择。",
        "4. 不要增加姓名、电话、身份证号、住址等个人信息列：这类列导入时会被删除。",
        "5. 一行有下表“拒收规则”中的任何一种情况，这一行就不会导入（其他行照常导入），预览中会列出每一处问题；"
        "可下载标出问题的文件副本，改正后重新上传。",
    ]
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=(i == 1), size=14 if i == 1 else 11)
    head = ["列名 column", "必填/选填", "含义", "格式", "拒收规则（出现以下情况这一行不会导入）"]
    top = len(lines) + 2
    fill = PatternFill("solid", fgColor="D9D9D9")
    for j, text in enumerate(head, start=1):
        cell = ws.cell(row=top, column=j, value=text)
        cell.font = Font(bold=True)
        cell.fill = fill
    for i, f in enumerate(kind.fields, start=top + 1):
        values = [
            f"{f.zh}（{f.name}）",
            "必填" if f.name in required else "选填",
            contract.field_help(kind, f),
            _format_text(kind, f, lists),
            "；".join(rules.get(f.name, [])) or "—",
        ]
        for j, v in enumerate(values, start=1):
            ws.cell(row=i, column=j, value=v).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (20, 10, 36, 40, 60), strict=True):
        ws.column_dimensions[letter].width = width


def write_templates(key: str, out_dir: Path | str, db_path: Path | str | None = None) -> list[Path]:
    """Write the template of a kind (or of every kind: `all`) into out_dir; rosters from db_path if it exists."""
    kinds = [kind_by_key(k) for k in LOAD_ORDER] if key == "all" else [kind_by_key(key)]
    rosters = rosters_from_warehouse(db_path) if db_path is not None else None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        path = out_dir / template_file_name(kind)
        path.write_bytes(template_bytes(kind.name, rosters))
        written.append(path)
    return written
