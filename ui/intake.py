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


def confirm(staged: Staged):
    """确认入库: load the staged files through the loader (waits for a load in progress), as the signed-in
    clerk, within their communities; every batch goes to the audit trail."""
    v = session.viewer()
    report = _intake.load_uploads(list(staged.paths), db_path(), names=list(staged.names), loaded_by=v.name,
                                  allowed=_allowed())
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
