"""Shared fixtures. Every warehouse is built by the test session itself, in a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _targets():
    from kpi.targets import load_targets

    return load_targets(ROOT / "data" / "targets.toml")


TARGETS = _targets()  # the targets file the app uses by default; KPI calls that need targets get these


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory):
    """The default demo (python -m etl demo), built once per test session: (LoadReport, warehouse, ledgers).

    Read-only for tests: a test that writes must copy it first.
    """
    from demo import build_demo

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "governance.duckdb"
    report = build_demo(db, out_dir=folder / "ledgers")
    assert report.exit_code == 0, [(f.file_name, f.status, f.messages) for f in report.files]
    return report, db, folder / "ledgers"


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs two workers), every real-browser test runs on the same worker, one
    after another: several browser tests at once on two cores make each other flaky."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif item.get_closest_marker("spark"):  # one SparkSession (~8 s to start) serves them all
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session", autouse=True)
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The account store every app test uses ($GOV_ACCOUNTS): one account per role (tests.ui_helpers.ACCOUNTS),
    so AppTest sessions and test servers can sign in."""
    from tests.ui_helpers import create_test_accounts

    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    create_test_accounts(path)
    saved = os.environ.get("GOV_ACCOUNTS")
    os.environ["GOV_ACCOUNTS"] = str(path)
    yield path
    if saved is None:
        os.environ.pop("GOV_ACCOUNTS", None)
    else:
        os.environ["GOV_ACCOUNTS"] = saved


@pytest.fixture(scope="session")
def demo_db(demo_build) -> Path:
    """The default demo warehouse (read-only for tests: a test that writes must copy it first)."""
    return demo_build[1]


@pytest.fixture(scope="module")
def con(demo_db: Path):
    """A read-only connection to the demo warehouse."""
    from etl.warehouse import open_read_only

    c = open_read_only(demo_db)
    yield c
    c.close()


@pytest.fixture(scope="session")
def demo_lake(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse published as a Parquet lake (`python -m etl lake`), once per test session."""
    from etl.lake import publish_lake

    out = tmp_path_factory.mktemp("lake") / "lake"
    publish_lake(demo_db, out)
    return out


def java_missing() -> bool:
    import shutil

    return shutil.which("java") is None and not os.environ.get("JAVA_HOME")


@pytest.fixture(scope="session")
def spark_con(demo_lake: Path):
    """The demo lake through Spark (`engines.connect('spark')`, local[2]), one SparkSession per test worker."""
    if java_missing():
        pytest.skip("java not found: Spark needs a Java runtime (.ci/run installs openjdk-17-jre-headless)")
    import engines

    con = engines.connect("spark", lake=demo_lake, master="local[2]")
    yield con
    con.close()


@pytest.fixture()
def downloads(monkeypatch: pytest.MonkeyPatch):
    """Every frame a page hands to its download buttons (key → frame), recorded instead of drawn."""
    from tests.domain_page_helpers import record_downloads

    return record_downloads(monkeypatch)


@pytest.fixture()
def gov_db_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app (GOV_DB) at the demo warehouse."""
    monkeypatch.setenv("GOV_DB", str(demo_db))
    return demo_db


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`); skipped when it is missing."""
    from tests.ui_helpers import CHROMIUM_ARGS

    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found at /usr/bin/chromium: install Debian's chromium package to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(demo_db: Path):
    """A fresh `streamlit run app.py` on the demo warehouse for each test module; yields its URL."""
    from tests.ui_helpers import streamlit_server

    with streamlit_server(demo_db) as url:
        yield url


def chromium_path() -> str | None:
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(p):
            return p
    return None
