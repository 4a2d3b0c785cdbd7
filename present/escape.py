"""The one escaping of data for the two markups a value can meet on screen: Streamlit markdown and plotly text.

Ledger values (community, compound, category, partner, activity-type names, …)
and URL parameter values are data: they must never become a link, an image
(which the browser fetches), a heading, a list, a Streamlit directive
(`:red[…]`, `:material/…:`), HTML or LaTeX.

- `markdown(text)`: for anything that reaches `st.markdown`, `st.caption`,
  `st.warning` / `st.info` / …, widget labels, button labels and `help=`
  tooltips. Every ASCII punctuation character is backslash-escaped (CommonMark
  lets any ASCII punctuation be escaped, and it then renders as itself, so the
  visible text is unchanged), and line breaks, tabs and control characters
  become a space, so a value stays inside its line.
- `chart(text, limit=40)`: for plotly labels, legends, hovers, annotations and
  colorbar titles. Plotly reads a small HTML subset (`<a href>`, `<span
  style>`, `<b>`, `<br>`) and `%{…}` placeholders in hover / text templates: `<`
  `>` `&` become entities and `%` becomes `&#37;` (plotly turns entities back
  into characters when it draws the text, after it has looked for tags and
  placeholders). Line breaks become spaces, and a name longer than `limit`
  characters is cut with "…" (a 10,000-character name must not squash a
  chart); `limit=None` keeps the whole text (sentences that are wrapped
  elsewhere).

- `chat(text)`: for the markdown of work-chat group robots (企业微信 / 钉钉, `briefing.delivery`). Their
  markdown is not CommonMark and a backslash escape is not reliably honoured (it may show, or not protect),
  so every character that could start markup there (`[ ] ( ) < > * _ # ` ! | ~ > $ &` …) becomes its
  full-width look-alike (`［`, `＜`, `＊` …): the text reads the same and can never be a link, an image, a
  `<font>` tag, a heading or an @mention. Line breaks become spaces; long names are cut like `chart`.

Other markups escape with their own rules: the PDF's ReportLab paragraphs use
`xml.sax.saxutils.escape` (`briefing/pdf.py`); spreadsheets neutralise
formulas with `present.spreadsheet.neutralise_value`; PPTX text and `st.text`
/ `st.dataframe` cells are plain text.
"""

from __future__ import annotations

import html
import re
import string

ELLIPSIS = "…"
CHART_LIMIT = 40

# line breaks, tabs, other C0 / C1 controls, line / paragraph separators → one space
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# every ASCII punctuation character (CommonMark: "any ASCII punctuation character may be backslash-escaped")
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def _one_line(text: object) -> str:
    return _BREAKS.sub(" ", "" if text is None else str(text))


def markdown(text: object) -> str:
    """`text` as literal text inside Streamlit markdown: ASCII punctuation backslash-escaped, breaks → spaces.

    `markdown("[点此](http://evil)")` renders as the characters `[点此](http://evil)`, never a link.
    """
    return _MD_SPECIAL.sub(r"\\\1", _one_line(text))


def cut(text: object, limit: int | None = CHART_LIMIT) -> str:
    """One line of `text`, at most `limit` characters (the last one "…" when cut); no escaping."""
    s = _one_line(text)
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return s


def chart(text: object, limit: int | None = CHART_LIMIT) -> str:
    """`text` as literal text in a plotly label, legend, hover or annotation: one line, cut to `limit` characters
    with "…", `<` `>` `&` as entities and `%` as `&#37;` (no `%{…}` placeholder)."""
    return html.escape(cut(text, limit), quote=False).replace("%", "&#37;")


# the ASCII characters that can start markup in a work-chat robot's markdown → their full-width forms
_CHAT = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "[]()<>*_#`!|~$&@\\{}+-=:;\"'%^"})


def chat(text: object, limit: int | None = CHART_LIMIT) -> str:
    """`text` as literal text in a 企业微信 / 钉钉 robot's markdown: one line, cut to `limit` characters with "…",
    every markup-starting ASCII character replaced by its full-width form (`<` → `＜`, `[` → `［`, `@` → `＠`)."""
    return cut(text, limit).translate(_CHAT)
