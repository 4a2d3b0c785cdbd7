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
