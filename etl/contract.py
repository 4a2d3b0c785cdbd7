"""The ledger data contract (docs/data-contract.md is its prose twin).

Each ledger kind has required and optional fields; each field has a Chinese
header (canonical) and an English alias. The loader recognises a file's kind
from its header row, never from its file name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # warehouse column / English alias
    zh: str  # canonical Chinese header
    type: str  # text | date | count | number | bool | year
    aliases: tuple[str, ...] = ()  # further accepted headers


@dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    table: str
    required: tuple[Field, ...]
    optional: tuple[Field, ...] = ()
    id_field: str | None = None  # business key repeated rows are checked on

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.required + self.optional


def F(name: str, zh: str, type: str = "text", *aliases: str) -> Field:
    return Field(name, zh, type, aliases)


KINDS: tuple[Kind, ...] = (
    Kind(
        "communities", "社区名册", "communities",
        required=(F("street", "街道"), F("community", "社区"), F("households", "户数", "count")),
        optional=(F("founded", "成立年份", "year"),),
    ),
    Kind(
        "compounds", "小区名册", "compounds",
        required=(F("community", "社区"), F("compound", "小区"), F("households", "户数", "count")),
    ),
    Kind(
        "activities", "活动台账", "activities",
        required=(
            F("date", "日期", "date"), F("community", "社区"), F("pillar", "板块"),
            F("activity_type", "活动类型"), F("participants", "参与人数", "count"),
        ),
        optional=(
            F("activity_id", "活动编号"), F("compound", "小区"), F("title", "活动名称"),
            F("partner", "共建单位"), F("services", "服务人次", "count"),
            F("volunteers", "志愿者人数", "count"), F("households_visited", "入户户数", "count"),
            F("note", "备注"),
        ),
        id_field="activity_id",
    ),
    Kind(
        "cases", "诉求与纠纷台账", "cases",
        required=(
            F("case_id", "编号"), F("kind", "类别"), F("category", "分类"),
            F("community", "社区"), F("opened_on", "登记日期", "date"),
        ),
        optional=(
            F("compound", "小区"), F("source", "来源"), F("closed_on", "办结日期", "date"),
            F("status", "状态"), F("outcome", "调解结果"), F("satisfaction", "满意度", "count"),
            F("summary", "诉求内容"),
        ),
        id_field="case_id",
    ),
    Kind(
        "volunteers", "志愿者名册", "volunteers",
        required=(F("volunteer_id", "志愿者编号"), F("community", "社区")),
        optional=(F("joined_on", "加入日期", "date"), F("party_member", "是否党员", "bool"), F("team", "服务队")),
        id_field="volunteer_id",
    ),
    Kind(
        "volunteer_hours", "志愿服务记录", "volunteer_hours",
        required=(F("volunteer_id", "志愿者编号"), F("date", "日期", "date"), F("hours", "时长", "number")),
        optional=(F("points", "积分", "number"), F("activity_id", "活动编号"), F("service", "服务内容")),
    ),
    Kind(
        "redemptions", "积分兑换", "redemptions",
        required=(F("volunteer_id", "志愿者编号"), F("date", "日期", "date"), F("points", "兑换积分", "number")),
        optional=(F("item", "兑换物品"),),
    ),
)
KIND_BY_NAME = {k.name: k for k in KINDS}

# Load order: reference kinds before the facts that cite them.
LOAD_ORDER = ("communities", "compounds", "volunteers", "activities", "cases", "volunteer_hours", "redemptions")

PILLARS = ("联动联建", "居民自治", "志愿服务", "社会治理")
CASE_KINDS = ("居民诉求", "矛盾纠纷", "安全隐患")
STATUSES = ("已办结", "办理中", "已转办")
OUTCOMES = ("调解成功", "调解不成功", "转交")
TRUE_WORDS = ("是", "true", "1", "y", "yes")
FALSE_WORDS = ("否", "false", "0", "n", "no")

EARLIEST_DATE = "2000-01-01"

# Headers that carry personal data: a header containing any of these is
# dropped on read and reported as dropped.
PERSONAL_HEADER_WORDS = (
    "姓名", "名字", "联系人", "联系电话", "电话", "手机", "身份证", "证件号",
    "住址", "地址", "门牌", "name", "phone", "mobile", "tel", "idcard", "id_card", "id_number", "address",
)
# Headers that are allowed despite containing a word above.
PERSONAL_HEADER_EXCEPTIONS = ("活动名称", "title")

# Free-text fields in which phone and ID numbers are masked.
FREE_TEXT_FIELDS = ("summary", "note", "title", "service", "item")


def normalise_header(text: object) -> str:
    """Full-width to half-width, spaces removed, lower-case (for English aliases)."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s)
    return s.lower()


def header_index(kind: Kind) -> dict[str, Field]:
    """Normalised header text → field, for every accepted spelling."""
    out: dict[str, Field] = {}
    for f in kind.fields:
        for h in (f.zh, f.name, *f.aliases):
            out[normalise_header(h)] = f
    return out


def is_personal_header(text: str) -> bool:
    h = normalise_header(text)
    if not h or h in {normalise_header(x) for x in PERSONAL_HEADER_EXCEPTIONS}:
        return False
    return any(w in h for w in PERSONAL_HEADER_WORDS)


# --- templates (etl/template.py) and the example row ------------------------

# A row is an example row, skipped by the loader (counted, never rejected), when one of its ledger
# cells starts with this mark. The templates write it into the first free-text column of their example row.
EXAMPLE_MARK = "【示例】"

# The closed vocabulary of each field that has one (the templates offer them as drop-downs).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "pillar": PILLARS,
    "kind": CASE_KINDS,
    "status": STATUSES,
    "outcome": OUTCOMES,
    "party_member": ("是", "否"),
}

# What each field means, for the templates' 填表说明 sheet: by field name, or "kind.field" where a field
# means something particular in one kind.
FIELD_HELP: dict[str, str] = {
    "street": "社区所属的街道名称",
    "community": "社区全称，与社区名册一致（如 南湾社区）",
    "communities.community": "社区全称；名册中每个社区一行，其他台账的社区必须与这里一致",
    "households": "户数",
    "communities.households": "社区的总户数",
    "compounds.households": "小区的户数",
    "founded": "社区成立的年份（如 2015）",
    "compound": "小区名称，须属于该行的社区（见小区名册）",
    "compounds.compound": "小区名称；其他台账的小区必须与这里一致",
    "date": "日期",
    "activities.date": "活动举办的日期",
    "volunteer_hours.date": "志愿服务的日期",
    "redemptions.date": "积分兑换的日期",
    "pillar": "活动所属的党建引领板块",
    "activity_type": "活动类型（如 烹饪教学、议事协商会）",
    "participants": "参与活动的人数",
    "activity_id": "活动的编号，今后修改这一行时靠它找到原行（建议填写）",
    "volunteer_hours.activity_id": "所服务活动的活动编号（可空）",
    "title": "活动名称",
    "partner": "共建单位名称",
    "services": "提供服务的人次",
    "volunteers": "参与活动的志愿者人数",
    "households_visited": "入户走访的户数",
    "note": "备注",
    "case_id": "诉求或纠纷的编号，今后修改这一行时靠它找到原行",
    "kind": "登记的类别",
    "category": "具体分类（如 物业管理、邻里纠纷）",
    "opened_on": "登记受理的日期",
    "source": "来源渠道（如 12345热线、网格员上报）",
    "closed_on": "办结的日期（未办结的空着）",
    "status": "办理状态；空着时：有办结日期视为已办结，否则视为办理中",
    "outcome": "矛盾纠纷的调解结果（只有类别为矛盾纠纷的填写）",
    "satisfaction": "群众满意度评分，1 至 5 分",
    "summary": "诉求内容摘要",
    "volunteer_id": "志愿者编号，与志愿者名册一致",
    "volunteers.volunteer_id": "志愿者编号；服务记录和积分兑换的编号必须与这里一致",
    "joined_on": "加入志愿者队伍的日期",
    "party_member": "是否中共党员",
    "team": "所属服务队",
    "hours": "服务时长（小时，可有小数）",
    "points": "获得的积分（可有小数）",
    "redemptions.points": "兑换使用的积分（可有小数）",
    "service": "服务内容",
    "item": "兑换的物品",
}


def field_help(kind: Kind, f: Field) -> str:
    """What the field means in this kind (FIELD_HELP)."""
    return FIELD_HELP.get(f"{kind.name}.{f.name}") or FIELD_HELP.get(f.name, "")
