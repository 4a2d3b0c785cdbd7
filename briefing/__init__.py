"""Quarterly briefing (季度简报): model, narrative, figures and exports (PNG, PDF, PPTX, XLSX).

    from briefing import build, export
    b = build(con, "2024Q1", community="南湾社区", targets=kpi.load_targets())  # every number from kpi/
    paths = export(b, out_dir, formats=("png", "pdf", "pptx", "xlsx"), lang="zh")

`python -m briefing --quarter 2024Q1 [--community 南湾社区] --out DIR` does the
same from the command line (for cron). No Streamlit here.
"""

from __future__ import annotations

from .model import Briefing, BriefingError, available_quarters, build, default_quarter, parse_quarter

__all__ = ["Briefing", "BriefingError", "available_quarters", "build", "default_quarter", "export", "parse_quarter"]


def export(*args, **kwargs):
    """See `briefing.exports.export_all`."""
    from .exports import export_all

    return export_all(*args, **kwargs)
