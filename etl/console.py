"""What the command lines (`python -m etl`, `python -m auth`) write to a terminal: shown, never obeyed, and
aligned for Chinese text.

- `terminal_text`: a file name, sheet, header or cell value holding an escape sequence (ESC [ 2 J clears the
  screen, OSC 8 writes links), a carriage return (overwrites the line) or a bidirectional override is printed
  as its code (\\x1b, \\r, \\u202e). Line feeds stay: messages span lines.
- `display_width` / `aligned`: columns counted as a terminal draws them (CJK characters take two).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_SHOWN_AS_CODE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A}
_SHOWN_AS_CODE.update({c: f"\\u{c:04x}" for c in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A,
                                                    0x202B, 0x202C, 0x202D, 0x202E, 0x2060, 0x2066, 0x2067, 0x2068,
                                                    0x2069, 0xFEFF)})


def terminal_text(text: object) -> str:
    """`text` safe to write to a terminal: control and invisible formatting characters as their codes."""
    return ("" if text is None else str(text)).translate(_SHOWN_AS_CODE)


def display_width(text: str) -> int:
    """Columns the text takes on a terminal: CJK (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def aligned(rows: list[list[object]], right: Iterable[int] = (), indent: str = "  ") -> list[str]:
    """Rows as lines aligned by display width (cells through `terminal_text`); columns in `right` right-aligned."""
    right = set(right)
    cells = [[terminal_text(c) for c in r] for r in rows]  # widths of what is printed
    widths = [max(display_width(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = []
    for r in cells:
        out = []
        for j, cell in enumerate(r):
            pad = " " * (widths[j] - display_width(cell))
            out.append(pad + cell if j in right else cell + pad)
        lines.append(indent + "  ".join(out).rstrip())
    return lines
