"""The dashboard: `streamlit run app.py` (warehouse from $GOV_DB or data/governance.duckdb).

Every run: navigation → sidebar filters (synced with the URL) → header → the page (see `ui.shell`).
"""

from __future__ import annotations

# Import the heavy libraries before any page runs: concurrent first runs of
# several sessions could otherwise see a partially initialised module.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401

import kpi  # noqa: F401
from ui import shell

shell.run()
