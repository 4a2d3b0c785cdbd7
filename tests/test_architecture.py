"""The import graph, derived from the code, against the table in docs/architecture.md; Streamlit-free layers."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROJECT = ("etl", "demo", "kpi", "present", "briefing", "ui", "pages", "bench", "tests", "app", "auth")
CHECKED = ("etl", "demo", "kpi", "present", "briefing", "ui", "pages", "bench", "app", "auth")
STREAMLIT_OK = ("ui", "pages", "app", "bench")  # bench drives pages through AppTest


def allowed_table() -> dict[str, set[str]]:
    """`docs/architecture.md`'s table: row (package, or module file like etl/__main__.py) → allowed imports."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## Who may import whom", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        rows[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[2]))
    return rows


def imports_of(path: Path) -> set[str]:
    """Every project module a file imports (relative imports resolved against its package).

    `from etl import warehouse` counts as importing `etl.warehouse`; `from etl.contract import PILLARS` as
    `etl.contract` (a name that is not a module stands for its module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*sub.split("."))).is_dir()
                out.add(sub if is_module else mod)
    return {m for m in out if m.split(".")[0] in PROJECT or m.split(".")[0] == "streamlit"}


def source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for pkg in CHECKED:
        if (ROOT / pkg).is_dir():
            files += sorted((ROOT / pkg).rglob("*.py"))
    return files


def row_for(path: Path, table: dict[str, set[str]]) -> tuple[str, set[str]]:
    rel = path.relative_to(ROOT).as_posix()
    if rel in table:
        return rel, table[rel]
    top = rel.split("/")[0]
    key = "app.py" if rel == "app.py" else top
    assert key in table, f"{rel}: no row for {key!r} in docs/architecture.md"
    return key, table[key]


def permitted(module: str, allowed: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def test_the_table_has_a_row_for_every_layer():
    table = allowed_table()
    for key in ("etl", "demo", "kpi", "present", "briefing", "ui", "pages", "app.py", "auth"):
        assert key in table, key


def test_import_graph_matches_the_architecture_document():
    table = allowed_table()
    bad = []
    for f in source_files():
        key, allowed = row_for(f, table)
        own = f.relative_to(ROOT).parts[0].removesuffix(".py")
        for m in sorted(imports_of(f)):
            top = m.split(".")[0]
            if top == "streamlit":
                if own not in STREAMLIT_OK:
                    bad.append(f"{f.relative_to(ROOT)} imports streamlit")
                continue
            if permitted(m, allowed):
                continue
            bad.append(f"{f.relative_to(ROOT)} ({key}) imports {m}")
    assert not bad, "edges docs/architecture.md does not allow:\n" + "\n".join(bad)


def test_briefing_imports_nothing_from_ui():
    for f in (ROOT / "briefing").rglob("*.py"):
        assert not any(m.split(".")[0] == "ui" for m in imports_of(f)), f


def test_a_forbidden_edge_is_caught(tmp_path):
    """The checker itself: a kpi module importing ui would be reported."""
    f = ROOT / "kpi" / "_probe_for_test.py"
    f.write_text("from ui import data\n", encoding="utf-8")
    try:
        key, allowed = row_for(f, allowed_table())
        assert key == "kpi"
        assert not all(permitted(m, allowed) for m in imports_of(f) if m.split(".")[0] == "ui")
    finally:
        f.unlink()


def test_presentation_and_briefing_work_where_streamlit_cannot_be_imported(tmp_path):
    """`present`, `briefing` and `kpi` import and run in an environment where importing streamlit raises."""
    blocker = tmp_path / "streamlit.py"
    blocker.write_text("raise ImportError('streamlit is not available here')\n", encoding="utf-8")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import kpi, kpi.calendar, present, present.labels, present.format, present.charts, present.spreadsheet\n"
        "import briefing, briefing.model, briefing.narrative, briefing.figures, briefing.exports, briefing.__main__\n"
        "from present.format import fmt_kpi\n"
        "assert fmt_kpi('closure_rate', 84.73) == '84.7%'\n"
        "try:\n"
        "    import streamlit\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('the blocker did not block')\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
