"""Presentation without Streamlit: the zh/en label table, number and date formats, the plotly look and the pure
`render_*` chart functions, and the spreadsheet writer. Used by `ui/` (the Streamlit layer) and by `briefing/`.

Modules:
- `present.labels`: every UI and briefing text, `t(key, lang, **fmt)`, KPI / pillar / case-kind names.
- `present.format`: numbers (万/亿, %, percentage points), dates, periods and quarters in words, Excel formats.
- `present.charts`: the plotly template, fixed colours (pillars, case kinds, outcomes) and `render_*` functions
  (DataFrame in, `go.Figure` out).
- `present.spreadsheet`: CSV / Excel bytes from a frame, with every text cell neutralised.
- `present.escape`: the one escaping of data: `markdown(text)` for Streamlit markdown, `chart(text, limit)` for
  plotly text (HTML entities, no `%{…}` placeholders, long names cut with "…").

Nothing here imports Streamlit (a test imports this package with Streamlit made unimportable).
"""
