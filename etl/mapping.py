"""Mapping profiles: load a foreign export (12345 work orders, a volunteer app…) as a contract ledger.

A profile (a TOML file, format in docs/data-contract.md) names the ledger kind, which column of the
file holds each contract field (or one constant value for every row), how the file's values of a
field translate to contract values, which rows to skip, and date formats the standard readers do not
understand. `apply` turns the file's table of strings into contract form (columns named by contract
field); the loader then validates it exactly like a ledger. Everything here is vectorised
(pyarrow.compute): mapping must not slow loading.

Saved profiles live in `data/mappings/*.toml` under the project root (`$GOV_MAPPINGS` moves the
folder); a file whose header row is not a ledger but has a saved profile's header set is mapped
automatically.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from etl import contract, warehouse
from etl.contract import KIND_BY_NAME, KINDS, Kind

MAPPINGS_ENV = "GOV_MAPPINGS"

# Vocabulary fields: a value mapped to one of these must be a contract value.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "pillar": contract.PILLARS,
    "kind": contract.CASE_KINDS,
    "status": contract.STATUSES,
    "outcome": contract.OUTCOMES,
    "party_member": contract.TRUE_WORDS + contract.FALSE_WORDS,
}
_TOP_KEYS = ("name", "kind", "headers", "columns", "constants", "values", "skip", "dates")


class ProfileError(ValueError):
    """A profile that cannot be used (bad TOML, unknown kind or field, …); the message is bilingual."""


@dataclass
class Profile:
    name: str
    kind: str  # the kind's English key (a Chinese name in the file is resolved on load)
    columns: dict[str, str] = field(default_factory=dict)  # contract field → header as written in the file
    constants: dict[str, str] = field(default_factory=dict)  # contract field → value for every row
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {file value → contract value}
    skip: dict[str, list[str]] = field(default_factory=dict)  # header → values whose rows are skipped
    dates: dict[str, list[str]] = field(default_factory=dict)  # field → strptime formats, tried in order
    headers: list[str] = field(default_factory=list)  # the whole header row it was made for (optional)
    source: Path | None = field(default=None, compare=False)  # the file it was read from, if any

    @property
    def kind_spec(self) -> Kind:
        return KIND_BY_NAME[self.kind]

    def named_headers(self) -> list[str]:
        """Every header the profile names (mapped columns, then skip columns), each once."""
        out: list[str] = []
        for h in [*self.columns.values(), *self.skip]:
            if h not in out:
                out.append(h)
        return out


# --- reading and writing profiles ---------------------------------------------

def _kind_of(text: object) -> Kind:
    if isinstance(text, str):
        for k in KINDS:
            if text.strip() in (k.name, k.zh):
                return k
    allowed = "、".join(f"{k.zh}（{k.name}）" for k in KINDS)
    raise ProfileError(f"未知的台账种类“{text}”，应为：{allowed} / unknown kind {text!r}; one of: "
                       + ", ".join(k.name for k in KINDS) + " (or its Chinese name)")


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ProfileError(f"[{key}] 应为一个表 / [{key}] must be a table")
    return value


def _text(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ProfileError(f"{where} 应为文字 / {where} must be a string")
    return str(value)


def _field_names(kind: Kind) -> str:
    return ", ".join(f.name for f in kind.fields)


def validate(profile: Profile) -> Profile:
    """Raise ProfileError (bilingual) for anything that makes the profile unusable; return it otherwise."""
    if not profile.name.strip():
        raise ProfileError("映射方案缺少名称 name / the profile has no name")
    kind = _kind_of(profile.kind)
    profile.kind = kind.name
    fields = {f.name: f for f in kind.fields}
    for section in ("columns", "constants", "values", "dates"):
        unknown = [n for n in getattr(profile, section) if n not in fields]
        if unknown:
            raise ProfileError(
                f"[{section}] 中的字段不属于「{kind.zh}」：{'、'.join(unknown)}（可用：{_field_names(kind)}）/ "
                f"[{section}] names field(s) that {kind.name} does not have: {', '.join(unknown)} "
                f"(fields: {_field_names(kind)})"
            )
    blank = [n for n, h in profile.columns.items() if not h.strip()]
    if blank:
        raise ProfileError(f"[columns] 中的表头为空：{'、'.join(blank)} / [columns] maps field(s) to a blank header: "
                           + ", ".join(blank))
    both = [n for n in profile.columns if n in profile.constants]
    if both:
        raise ProfileError(
            f"字段既映射到列又设为常量：{'、'.join(both)} / field(s) both mapped to a column and given a constant: "
            + ", ".join(both)
        )
    missing = [f for f in kind.required if f.name not in profile.columns and f.name not in profile.constants]
    if missing:
        raise ProfileError(
            f"「{kind.zh}」的必填字段没有映射到列也没有常量：{'、'.join(f'{f.zh} {f.name}' for f in missing)} / "
            f"required field(s) of {kind.name} neither mapped nor constant: " + ", ".join(f.name for f in missing)
        )
    for name, mapping in profile.values.items():
        if name not in profile.columns:
            raise ProfileError(f"[values.{name}]：字段 {name} 没有映射到列 / [values.{name}]: field {name} is not "
                               "mapped to a column")
        vocab = VOCABULARIES.get(name)
        bad = [v for v in mapping.values() if vocab is not None and v != "" and v not in vocab]
        if bad:
            raise ProfileError(
                f"[values.{name}] 的目标值不在取值范围内：{'、'.join(bad)}（应为：{'、'.join(vocab)}）/ "
                f"[values.{name}] maps to value(s) outside the vocabulary: {', '.join(bad)} "
                f"(allowed: {', '.join(vocab)})"
            )
    for name, value in profile.constants.items():
        vocab = VOCABULARIES.get(name)
        if vocab is not None and value not in vocab:
            raise ProfileError(
                f"[constants] {name} = “{value}” 不在取值范围内（应为：{'、'.join(vocab)}）/ constant {name} = "
                f"{value!r} is outside the vocabulary (allowed: {', '.join(vocab)})"
            )
    for name, formats in profile.dates.items():
        if fields[name].type != "date":
            raise ProfileError(f"[dates] {name} 不是日期字段 / [dates] {name} is not a date field")
        if name not in profile.columns:
            raise ProfileError(f"[dates] {name} 没有映射到列 / [dates] {name} is not mapped to a column")
        if not formats or any("%" not in f for f in formats):
            raise ProfileError(
                f"[dates] {name} 应为 strptime 格式的列表，如 [\"%m/%d/%Y %I:%M:%S %p\"] / [dates] {name} must be a "
                "list of strptime formats, e.g. [\"%m/%d/%Y %I:%M:%S %p\"]"
            )
    return profile


def _profile_from_dict(data: dict, source: Path | None) -> Profile:
    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        raise ProfileError(f"未知的项：{'、'.join(unknown)}（可用：{', '.join(_TOP_KEYS)}）/ unknown key(s): "
                           f"{', '.join(unknown)} (allowed: {', '.join(_TOP_KEYS)})")
    if "kind" not in data:
        raise ProfileError("映射方案缺少台账种类 kind / the profile has no kind")
    name = data.get("name", source.stem if source else "")
    columns = {k: _text(v, f"[columns] {k}") for k, v in _table(data, "columns").items()}
    constants = {k: _text(v, f"[constants] {k}") for k, v in _table(data, "constants").items()}
    values: dict[str, dict[str, str]] = {}
    for fname, mapping in _table(data, "values").items():
        if not isinstance(mapping, dict):
            raise ProfileError(f"[values.{fname}] 应为一个表 / [values.{fname}] must be a table")
        values[fname] = {_text(k, f"[values.{fname}]"): _text(v, f"[values.{fname}] {k}") for k, v in mapping.items()}
    skip: dict[str, list[str]] = {}
    for header, vals in _table(data, "skip").items():
        vals = vals if isinstance(vals, list) else [vals]
        skip[header] = [_text(v, f"[skip] {header}") for v in vals]
    dates: dict[str, list[str]] = {}
    for fname, formats in _table(data, "dates").items():
        formats = formats if isinstance(formats, list) else [formats]
        dates[fname] = [_text(v, f"[dates] {fname}") for v in formats]
    headers = data.get("headers", [])
    if not isinstance(headers, list):
        raise ProfileError("headers 应为表头的列表 / headers must be a list of header texts")
    profile = Profile(
        name=_text(name, "name"), kind=_text(data["kind"], "kind"), columns=columns, constants=constants,
        values=values, skip=skip, dates=dates, headers=[_text(h, "headers") for h in headers], source=source,
    )
    return validate(profile)


def load_profile(path_or_toml_text: Path | str) -> Profile:
    """A profile from a TOML file (a Path, or a str naming a file) or from TOML text; ProfileError if unusable."""
    source: Path | None = None
    if isinstance(path_or_toml_text, Path) or ("\n" not in path_or_toml_text and "=" not in path_or_toml_text):
        source = Path(path_or_toml_text)
        try:
            text = source.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ProfileError(f"无法读取映射方案文件 {source} / cannot read the profile file: "
                               f"{exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise ProfileError(f"映射方案文件不是 UTF-8 文本：{source} / the profile file is not UTF-8 text") from exc
    else:
        text = path_or_toml_text
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = f"{source}：" if source else ""
        raise ProfileError(f"{where}映射方案不是有效的 TOML（{exc}）/ the profile is not valid TOML: {exc}") from exc
    try:
        return _profile_from_dict(data, source)
    except ProfileError as exc:
        if source is None:
            raise
        raise ProfileError(f"{source.name}：{exc}") from exc


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_str(text: str) -> str:
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _toml_key(text: str) -> str:
    return text if _BARE_KEY.match(text) else _toml_str(text)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_toml_str(x) for x in items) + "]"


def profile_to_toml(profile: Profile) -> str:
    """The profile as TOML in the documented format; `load_profile` of it gives the same profile."""
    lines = [f"name = {_toml_str(profile.name)}", f"kind = {_toml_str(profile.kind)}"]
    if profile.headers:
        lines.append(f"headers = {_toml_list(profile.headers)}")
    if profile.columns:
        lines += ["", "[columns]", *(f"{_toml_key(k)} = {_toml_str(v)}" for k, v in profile.columns.items())]
    if profile.constants:
        lines += ["", "[constants]", *(f"{_toml_key(k)} = {_toml_str(v)}" for k, v in profile.constants.items())]
    for fname, mapping in profile.values.items():
        lines += ["", f"[values.{_toml_key(fname)}]", *(f"{_toml_key(k)} = {_toml_str(v)}" for k, v in mapping.items())]
    if profile.skip:
        lines += ["", "[skip]", *(f"{_toml_key(k)} = {_toml_list(v)}" for k, v in profile.skip.items())]
    if profile.dates:
        lines += ["", "[dates]", *(f"{_toml_key(k)} = {_toml_list(v)}" for k, v in profile.dates.items())]
    return "\n".join(lines) + "\n"


def mappings_folder() -> Path:
    """Where saved profiles live: `$GOV_MAPPINGS`, else data/mappings under the project root."""
    env = os.environ.get(MAPPINGS_ENV)
    return Path(env) if env else warehouse.project_path("data", "mappings")


def saved_profiles(folder: Path | str | None = None, problems: list[str] | None = None) -> list[Profile]:
    """The profiles saved in `folder` (default `mappings_folder()`), by file name.

    A file that is not a usable profile is left out; its message is appended to `problems` if given.
    """
    where = Path(folder) if folder is not None else mappings_folder()
    if not where.is_dir():
        return []
    out: list[Profile] = []
    for path in sorted(where.glob("*.toml")):
        try:
            out.append(load_profile(path))
        except ProfileError as exc:
            if problems is not None:
                problems.append(str(exc))
    return out


def resolve(mapping: Profile | Path | str, folder: Path | str | None = None) -> Profile:
    """A Profile as given, from a TOML file path, or a saved profile by its name (or file stem)."""
    if isinstance(mapping, Profile):
        return validate(mapping)
    path = Path(mapping)
    if path.is_file():
        return load_profile(path)
    text = str(mapping)
    for profile in saved_profiles(folder):
        if text in (profile.name, profile.source.stem if profile.source else None):
            return profile
    raise ProfileError(
        f"找不到映射方案“{text}”（既不是文件，也不是 {folder or mappings_folder()} 中保存的方案名）/ no profile "
        f"{text!r}: neither a file nor the name of a saved profile in {folder or mappings_folder()}"
    )


# --- matching a file's header row -----------------------------------------------

def _norm(header: str) -> str:
    return contract.normalise_header(header)


def header_positions(headers: list[str]) -> dict[str, int]:
    """Normalised header → position of its first occurrence (blank headers left out)."""
    out: dict[str, int] = {}
    for j, h in enumerate(headers):
        n = _norm(h)
        if n and n not in out:
            out[n] = j
    return out


def missing_headers(profile: Profile, headers: list[str]) -> list[str]:
    """The headers the profile names that the header row lacks (as written in the profile)."""
    present = header_positions(headers)
    return [h for h in profile.named_headers() if _norm(h) not in present]


def check(profile: Profile, headers: list[str]) -> list[str]:
    """Why the file (its header row) cannot be loaded with the profile: bilingual messages, [] if it can."""
    missing = missing_headers(profile, headers)
    if not missing:
        return []
    return [
        f"映射方案“{profile.name}”中的列在文件中找不到：{'、'.join(missing)} / profile {profile.name!r} names "
        f"column(s) the file lacks: {', '.join(missing)}"
    ]


def matches(profile: Profile, headers: list[str]) -> bool:
    """The header row is the one the profile was made for: the same header set when the profile records it,
    else (a hand-written profile without `headers`) a row holding every header the profile names."""
    row = {_norm(h) for h in headers if _norm(h)}
    if profile.headers:
        return row == {_norm(h) for h in profile.headers if _norm(h)}
    return bool(row) and all(_norm(h) in row for h in profile.named_headers())


def matching_profile(headers: list[str], profiles: list[Profile] | None = None) -> Profile | None:
    """The saved profile (or one of `profiles`) for this header row: an exact header set first, then the
    hand-written profile naming the most headers; None if none fits."""
    profiles = saved_profiles() if profiles is None else profiles
    exact = [p for p in profiles if p.headers and matches(p, headers)]
    if exact:
        return exact[0]
    loose = [p for p in profiles if not p.headers and matches(p, headers)]
    return max(loose, key=lambda p: len(p.named_headers()), default=None)


# --- applying a profile to a table ------------------------------------------------

class Applied(NamedTuple):
    table: pa.Table | None  # contract form: one column per mapped or constant field (+ `_row`); None if refused
    skipped: int  # rows left out by [skip]
    problems: list[str]  # why the file cannot be loaded with the profile (then `table` is None)


def personal_fields(profile: Profile) -> list[str]:
    """Fields the profile maps to a personal-data column: dropped whatever the profile says."""
    return [f for f, h in profile.columns.items() if contract.is_personal_header(h)]


def _trimmed(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim_whitespace(col)


def _mapped_values(col: pa.ChunkedArray, mapping: dict[str, str]) -> pa.ChunkedArray:
    """Each value found (trimmed) in `mapping` replaced by its contract value; any other value left as is."""
    keys = pa.array(list(mapping), pa.string())
    targets = pa.array(list(mapping.values()), pa.string())
    idx = pc.index_in(_trimmed(col), value_set=keys)
    return pc.coalesce(pc.take(targets, idx), col)


def _parsed_dates(col: pa.ChunkedArray, formats: list[str]) -> pa.ChunkedArray:
    """ISO date text of the first format that reads each value; a value none reads is left as is."""
    text = _trimmed(col)
    parsed = [pc.strptime(text, format=f, unit="s", error_is_null=True) for f in formats]
    first = pc.coalesce(*parsed) if len(parsed) > 1 else parsed[0]
    # timestamp → date → ISO text: a cast, ten times cheaper than strftime
    return pc.coalesce(pc.cast(pc.cast(first, pa.date32(), safe=False), pa.string()), col)


def apply(profile: Profile, table: pa.Table, headers: list[str]) -> Applied:
    """The file's table of strings in contract form.

    `table`'s first len(headers) columns are the file's columns in header order (any names), plus an
    optional `_row`. Rows whose [skip] column holds a listed value are left out and counted; mapped
    columns are renamed to their contract field, constants added, [values] translated, [dates] parsed
    into ISO dates. Columns the profile does not name and personal-data columns (even when mapped) are
    left out. Validation is the loader's, unchanged.
    """
    problems = check(profile, headers)
    if problems:
        return Applied(None, 0, problems)
    pos = header_positions(headers)
    n_before = table.num_rows
    if profile.skip:
        mask = None
        for header, vals in profile.skip.items():
            hit = pc.is_in(_trimmed(table.column(pos[_norm(header)])), value_set=pa.array(vals, pa.string()))
            hit = pc.fill_null(hit, False)
            mask = hit if mask is None else pc.or_(mask, hit)
        table = table.filter(pc.invert(mask))
    skipped = n_before - table.num_rows
    dropped = set(personal_fields(profile))
    names: list[str] = []
    arrays: list[pa.ChunkedArray | pa.Array] = []
    for f in profile.kind_spec.fields:
        if f.name in profile.columns and f.name not in dropped:
            col = table.column(pos[_norm(profile.columns[f.name])])
            if f.name in profile.values and profile.values[f.name]:
                col = _mapped_values(col, profile.values[f.name])
            if f.name in profile.dates:
                col = _parsed_dates(col, profile.dates[f.name])
        elif f.name in profile.constants:
            col = pa.repeat(pa.scalar(profile.constants[f.name], pa.string()), table.num_rows)
        else:
            continue
        names.append(f.name)
        arrays.append(col)
    if "_row" in table.column_names:
        names.append("_row")
        arrays.append(table.column("_row"))
    return Applied(pa.table(arrays, names=names), skipped, [])


@dataclass
class Choice:
    """What a load maps with: an explicit profile (`load --mapping`), else the saved profiles, read once
    and only when a sheet is not a ledger."""

    explicit: Profile | None = None
    folder: Path | None = None
    _saved: list[Profile] | None = field(default=None, repr=False)

    def saved(self) -> list[Profile]:
        if self._saved is None:
            self._saved = saved_profiles(self.folder)
        return self._saved
