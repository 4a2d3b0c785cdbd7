"""数据上报 (intake) for the Streamlit page: templates, staged uploads, the preview, the highlighted copy and 确认入库.

Every step is `etl`'s (the one writer): `etl.template` makes the templates, `etl.loader.preview_paths` is a
dry run of the real load, `etl.annotate` makes the highlighted copy, `etl.intake.load_uploads` publishes.
This module only keeps the uploaded files of a session on disk between reruns, passes the signed-in
clerk's name and scope down, and records each load in the audit trail.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from etl import annotate as _annotate
from etl import intake as _intake
from etl import loader as _loader
from etl import template as _template
from etl.loader import WithdrawRefused  # noqa: F401  (raised by `withdraw`; pages catch it from here)
from ui import session
from ui.data import db_path

_STAGE = "_intake_stage"


@dataclass(frozen=True)
class Staged:
    """The uploaded files of this session, saved on the server: paths (temp names) and the clerk's names."""

    folder: str
    paths: tuple[str, ...]
    names: tuple[str, ...]
    digest: str  # of every file's bytes: a new upload set gets a new preview


def kind_names(lang: str) -> dict[str, str]:
    """The seven ledger kinds in load order: key → name in the viewer's language (社区名册 / communities)."""
    from etl.contract import KINDS

    return {k.name: k.zh if lang == "zh" else k.name.replace("_", " ") for k in KINDS}


def max_upload_mb() -> int:
    return _intake.MAX_UPLOAD_BYTES // (1024 * 1024)


def template(kind: str, communities: tuple[str, ...], compounds: tuple[tuple[str, str], ...]) -> bytes:
    """The .xlsx template of a ledger kind with the viewer's communities and compounds as drop-downs."""
    return _template.template_bytes(kind, {"communities": list(communities), "compounds": list(compounds)})


def template_name(kind: str) -> str:
    return _template.template_file_name(_template.kind_by_key(kind))


def stage(files) -> Staged | None:
    """Save the uploaded files (st.file_uploader's) under a folder of this session; None without files."""
    if not files:
        clear()
        return None
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode("utf-8"))
        h.update(f.getbuffer())
    digest = h.hexdigest()
    old = st.session_state.get(_STAGE)
    if old is not None and old.digest == digest:
        return old
    clear()
    folder = tempfile.mkdtemp(prefix="intake-")
    paths = []
    for n, f in enumerate(files):
        suffix = Path(f.name).suffix.lower()
        p = Path(folder) / f"upload-{n}{suffix}"
        p.write_bytes(f.getbuffer())
        paths.append(str(p))
    staged = Staged(folder, tuple(paths), tuple(f.name for f in files), digest)
    st.session_state[_STAGE] = staged
    return staged


def clear() -> None:
    old = st.session_state.pop(_STAGE, None)
    if old is not None:
        shutil.rmtree(old.folder, ignore_errors=True)


def _allowed() -> tuple[str, ...] | None:
    v = session.viewer()
    return None if v.role == "admin" else v.communities


@st.cache_data(max_entries=16, show_spinner=False)
def _preview(digest: str, paths: tuple[str, ...], names: tuple[str, ...], allowed, version: str):  # noqa: ARG001
    return _loader.preview_paths(list(paths), db_path(), names=list(names), allowed=allowed)


def preview(staged: Staged):
    """What loading the staged files would do (`etl.loader.preview_paths`), for the viewer's communities."""
    from ui.data import version

    return _preview(staged.digest, staged.paths, staged.names, _allowed(), version())


def annotated(staged: Staged, name: str, rejects) -> bytes:
    """The clerk's own workbook with every rejected cell highlighted and a 问题说明 column."""
    path = staged.paths[staged.names.index(name)]
    return _annotate.annotated_copy(Path(path), [r for r in rejects if r.file_name == name], name=name)


def confirm(staged: Staged, progress=None):
    """确认入库: load the staged files through the loader (waits for a load in progress), as the signed-in
    clerk, within their communities; every batch goes to the audit trail. `progress(message)` hears the
    loader's stages (large files report theirs)."""
    v = session.viewer()
    report = _intake.load_uploads(list(staged.paths), db_path(), names=list(staged.names), loaded_by=v.name,
                                  allowed=_allowed(), progress=progress)
    for f in report.files:
        session.record("load", f.file_name, {"kind": f.kind, "status": f.status, "rows_loaded": f.rows_loaded,
                                             "rows_rejected": f.rows_rejected, "batches": list(f.batch_ids)})
    clear()
    return report


def withdraw(batch_id: str):
    """撤回本次导入 (administrators): `etl.loader.withdraw`, recorded in the audit trail. Raises
    `etl.loader.WithdrawRefused` (a bilingual message) when the batch cannot be withdrawn."""
    v = session.viewer()
    if not v.is_admin:
        raise PermissionError("withdrawing a batch is for administrators")
    report = _loader.withdraw(db_path(), batch_id, by=v.name)
    session.record("withdraw", batch_id, {"withdrawal": report.batch_id, "action": report.action,
                                          "rows_removed": report.rows_removed, "rows_restored": report.rows_restored})
    return report


# ---------------------------------------------------------------------- mapping a foreign export


def unrecognised(preview) -> list[str]:
    """The clerk's names of files whose header row is no ledger (and no saved profile's): candidates for mapping."""
    return [s.file_name for s in preview.sheets if s.kind is None and any("无法识别表头" in m for m in s.messages)]


@st.cache_data(max_entries=16, show_spinner=False)
def _file_columns(path: str, limit: int = 5000) -> tuple[list[str], dict[str, list[str]]]:
    from etl.readers import read_ledger

    _, sheets = read_ledger(Path(path))
    for sheet in sheets:
        for i, row in enumerate(sheet.preview):
            if sum(bool(c.strip()) for c in row) >= 2:  # the first row with at least two cells: the header row
                names = [f"c{j}" for j in range(len(row))]
                table, _ = sheet.data(i, names)
                table = table.slice(0, limit)
                values = {h: sorted({v for v in table[f"c{j}"].to_pylist() if v and v.strip()})[:200]
                          for j, h in enumerate(row) if h.strip()}
                return [h for h in row if h.strip()], values
    return [], {}


def file_columns(staged: Staged, name: str) -> tuple[list[str], dict[str, list[str]]]:
    """A file's header row and, per header, its distinct values (first rows) — for the mapping editor."""
    return _file_columns(staged.paths[staged.names.index(name)])


def kind_fields(kind: str):
    """The contract fields of a kind: (name, Chinese header, required, vocabulary or None, is a date)."""
    from etl.contract import KIND_BY_NAME
    from etl.mapping import VOCABULARIES

    k = KIND_BY_NAME[kind]
    return [(f.name, f.zh, f in k.required, VOCABULARIES.get(f.name), f.type == "date") for f in k.fields]


def profile_toml(name: str, kind: str, columns: dict, constants: dict, values: dict, skip: dict, dates: dict,
                 headers: list[str]) -> str:
    """A mapping profile (etl.mapping) as TOML, checked (raises etl.mapping.ProfileError, bilingual)."""
    from etl.mapping import Profile, profile_to_toml, validate

    profile = validate(Profile(name=name, kind=kind, columns=columns, constants=constants, values=values,
                               skip=skip, dates=dates, headers=headers))
    return profile_to_toml(profile)


def save_profile(toml_text: str) -> Path:
    """Save a profile under data/mappings/ (`$GOV_MAPPINGS`): a later file with the same header set is mapped
    by it automatically, on the page and by `python -m etl load`."""
    from etl.mapping import load_profile, mappings_folder

    profile = load_profile(toml_text)
    folder = mappings_folder()
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in profile.name).strip("_") or "profile"
    path = folder / f"{safe}.toml"
    path.write_text(toml_text, encoding="utf-8")
    session.record("mapping_saved", profile.name, {"kind": profile.kind, "file": path.name})
    return path


def preview_mapped(staged: Staged, toml_text: str):
    """The preview with a mapping profile applied to the files."""
    from ui.data import version

    return _preview_mapped(staged.digest, staged.paths, staged.names, _allowed(), version(), toml_text)


@st.cache_data(max_entries=16, show_spinner=False)
def _preview_mapped(digest, paths, names, allowed, version, toml_text):  # noqa: ARG001
    from etl.mapping import load_profile

    return _loader.preview_paths(list(paths), db_path(), names=list(names), allowed=allowed,
                                 mapping=load_profile(toml_text))


def confirm_mapped(staged: Staged, toml_text: str, progress=None):
    from etl.mapping import load_profile

    v = session.viewer()
    report = _intake.load_uploads(list(staged.paths), db_path(), names=list(staged.names), loaded_by=v.name,
                                  allowed=_allowed(), mapping=load_profile(toml_text), progress=progress)
    for f in report.files:
        session.record("load", f.file_name, {"kind": f.kind, "status": f.status, "rows_loaded": f.rows_loaded,
                                             "rows_rejected": f.rows_rejected, "profile": f.profile,
                                             "batches": list(f.batch_ids)})
    clear()
    return report
