"""Cached, read-only access to the warehouse for the UI.

- One read-only DuckDB connection per warehouse version (`etl.warehouse.Readers`):
  when a load replaces the file, the next read opens the new version, and the
  old connection is closed once no read holds it, so a publish never breaks a
  read in progress.
- `query(fn, *args, **kwargs)` runs a `kpi` function as `fn(con, *args, **kwargs)`
  through `st.cache_data`, keyed by the function, its arguments (Filters etc.),
  the warehouse path, the data version and the targets file's version — so a
  new load or an edited targets file shows up on the next rerun, no restart.
  A function that takes `targets` gets the targets file (`targets()`, read once
  per version) unless the caller passes them. Each kpi function opens its own
  cursor on the shared connection.
- `briefing(quarter, community)` and `briefing_canvas(...)`: the quarterly
  briefing (`briefing.model.build`) and its rendered canvas, cached the same way.
- The engine (`engines`, chosen by GOV_ENGINE before `make run`): `duckdb` reads the warehouse through the
  Readers pool above; `duckdb-lake` and `spark` read the Parquet lake at GOV_LAKE through one connection per
  lake manifest (`_lake_connection`, shared by every session; Spark's one SparkSession per server process is
  started by the first read), and the cache key is the manifest's data version instead of the file's.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

import engines
from etl.warehouse import Readers, data_version, default_db_path
from kpi.targets import default_targets_path, load_targets

_LOG = logging.getLogger(__name__)


def db_path() -> Path:
    return default_db_path()


def on_lake() -> bool:
    """True when the engine reads the Parquet lake (GOV_ENGINE=duckdb-lake or spark), not the warehouse file."""
    return engines.engine_name() != "duckdb"


def source() -> str:
    """What the reads read: the warehouse file, or the lake directory on the lake engines."""
    return str(engines.lake_dir()) if on_lake() else str(db_path())


def version() -> str:
    """The data version ('missing' when there is no warehouse file): the file's, or the lake manifest's."""
    return engines.lake_version(engines.lake_dir()) if on_lake() else data_version(db_path())


def source_problem() -> str | None:
    """Why there is nothing to read, or None: 'missing.engine' (GOV_ENGINE names no engine), 'missing.warehouse'
    (no warehouse file), 'missing.lake' (GOV_LAKE unset, or no published lake there). The viewer gets only the
    wording of that label, never a server path or a setting's value; the detail goes to the server's log."""
    try:
        lake = on_lake()
    except engines.EngineError as e:
        _LOG.error("%s", e.en)
        return "missing.engine"
    if not lake:
        if db_path().exists():
            return None
        _LOG.error("no warehouse file at %s", db_path())
        return "missing.warehouse"
    try:
        if engines.lake_version(engines.lake_dir()) != "missing":
            return None
        _LOG.error("no published lake at %s", engines.lake_dir())
    except engines.EngineError as e:
        _LOG.error("%s", e.en)
    return "missing.lake"


@st.cache_resource(max_entries=4, show_spinner=False)
def _upgraded(path: str, version: str) -> bool:  # noqa: ARG001 - version is the cache key
    from etl.warehouse import upgrade_schema

    return upgrade_schema(path)


def ensure_current_schema() -> None:
    """Once per warehouse version and server: a warehouse written by an older version of the code gets the
    current tables and columns (the loader's own migration), so every page can read it before the next load.
    (The lake engines read what `python -m etl lake` published from an upgraded warehouse.)"""
    if not on_lake():
        _upgraded(str(db_path()), version())


def targets_version() -> str:
    """Changes whenever the targets file is edited (or appears / disappears)."""
    p = default_targets_path()
    try:
        s = p.stat()
    except FileNotFoundError:
        return f"{p}:none"
    return f"{p}:{s.st_mtime_ns}:{s.st_size}"


_READERS = Readers()  # one pool per server process: every session's reads share it


def _resolve(name: str):
    module, _, attr = name.rpartition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


RETRIES = 3


def on_current_version(read, path: str, version: str):  # noqa: ARG001 - `version` is the caller's cache key
    """`read(con)` on the warehouse's current version (`etl.warehouse.Readers`): a load publishing meanwhile
    never closes the connection under this read, which finishes on the version it started on; the next read
    sees the new one. A DuckDB error on a connection is retried (up to RETRIES) only if the file changed
    meanwhile; otherwise it is a real error and is raised. On the lake engines: `read(con)` on the connection
    for the lake's current manifest (`path` is the lake)."""
    if on_lake():
        return read(_lake_connection(engines.engine_name(), path, version, engines.spark_master()))
    for attempt in range(RETRIES):
        with _READERS.reading(path) as (con, current):
            try:
                return read(con)
            except duckdb.Error:
                if data_version(path) == current or attempt == RETRIES - 1:
                    raise
    raise AssertionError("unreachable")


@st.cache_resource(max_entries=2, show_spinner=False)
def _lake_connection(engine: str, lake: str, version: str, master: str):  # noqa: ARG001 - version: cache key
    """One connection per lake manifest (and engine), shared by every session of this server process."""
    return engines.connect(engine, lake=lake, master=master)


def _takes_targets(fn) -> bool:
    try:
        return "targets" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@st.cache_data(max_entries=512, ttl=6 * 3600, show_spinner=False)
def _cached(name: str, path: str, version: str, targets_token: str, args: tuple, kwargs: tuple):
    fn = _resolve(name)
    kw = dict(kwargs)
    if "targets" not in kw and _takes_targets(fn):
        kw["targets"] = _targets(targets_token)
    return on_current_version(lambda con: fn(con, *args, **kw), path, version)


def query(fn, *args, **kwargs):
    """`fn(con, *args, **kwargs)` — a module-level function (normally from `kpi`) — cached (see module docstring).

    Arguments must be hashable by Streamlit (Filters, tuples, lists, str …).
    The result is a copy: callers may modify it.
    """
    name = f"{fn.__module__}:{fn.__qualname__}"
    if fn.__module__ in (None, "__main__") or "<" in fn.__qualname__:
        # the cache re-imports the function by name: it must live at the top level of an importable module
        raise ValueError(f"ui.query needs a module-level function of an importable module (kpi, briefing …), "
                         f"not {name!r}")
    return _cached(name, source(), version(), targets_version(), args, tuple(sorted(kwargs.items())))


@st.cache_data(max_entries=8, show_spinner=False)
def _targets(token: str):  # noqa: ARG001 - token is the cache key
    return load_targets()


def targets():
    """The targets file in use (`kpi.load_targets()`), cached by the file's version. May raise TargetsError."""
    return _targets(targets_version())


# ---------------------------------------------------------------------- the quarterly briefing

@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def _briefing(quarter: str, community: str | None, allowed: tuple[str, ...] | None, path: str, version: str,
              targets_token: str):
    from briefing import model

    targets = _targets(targets_token)
    return on_current_version(lambda con: model.build(con, quarter, community, targets=targets, allowed=allowed),
                              path, version)


def briefing(quarter: str, community: str | None, allowed: tuple[str, ...] | None):
    """`briefing.model.build` for a quarter and scope within the viewer's `allowed` communities, cached by data
    and targets version (BriefingError passes, e.g. code 'scope' for a community outside `allowed`)."""
    return _briefing(quarter, community, allowed, source(), version(), targets_version())


@st.cache_data(max_entries=64, ttl=6 * 3600, show_spinner=False)
def _briefing_canvas(quarter: str, community: str | None, allowed: tuple[str, ...] | None, lang: str, path: str,
                     version: str, targets_token: str):
    from briefing import exports

    return exports.png_bytes(_briefing(quarter, community, allowed, path, version, targets_token), lang)


def briefing_canvas(quarter: str, community: str | None, allowed: tuple[str, ...] | None, lang: str) -> bytes:
    """The briefing's 1920×1080 canvas as PNG (needs Chromium: `briefing.render.available()`), cached."""
    return _briefing_canvas(quarter, community, allowed, lang, source(), version(), targets_version())


@st.cache_data(max_entries=32, ttl=6 * 3600, show_spinner=False)
def _briefing_long(quarter: str, community: str | None, allowed: tuple[str, ...] | None, lang: str, path: str,
                   version: str, targets_token: str):
    from briefing import exports

    b = _briefing(quarter, community, allowed, path, version, targets_token)
    return exports.export_bytes(b, ["longpng"], lang)["longpng"]


def briefing_long(quarter: str, community: str | None, allowed: tuple[str, ...] | None, lang: str) -> bytes:
    """The briefing's 长图 (1080 px wide, for phones; needs Chromium) as PNG, cached (the page's preview)."""
    return _briefing_long(quarter, community, allowed, lang, source(), version(), targets_version())
