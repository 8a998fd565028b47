"""Untrusted text (titles, artists, references, server messages, error texts) on its way
into a widget. Every widget that shows such text goes through here, whatever path the
text came by (see tui/core/sanitize.py for why display cleans even what a boundary
already cleaned):

- cleaned of anything a terminal would act on (`printable`: escape sequences, controls,
  bidi overrides, zero-width characters);
- handed over as a rich `Text`, never as a string, because Textual reads strings in
  Static, DataTable cells, notifications and border titles as markup, and "[bold red]"
  in a title must show as typed;
- measured in terminal cells, never with len(): a CJK character or an emoji takes two
  cells, a combining accent none. rich's cell functions are the measure Textual lays out
  with, so rows cut with them line up with everything else on screen.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from tui.core.sanitize import printable

ELLIPSIS = "…"


def plain(text: str | None, style: str = "") -> Text:
    """`text` as it reads: nothing a terminal acts on, brackets as typed."""
    return Text(printable(text or ""), style=style)


def fit(text: str, width: int) -> str:
    """`text`, cleaned, in at most `width` cells; cut with … when it is longer."""
    text = printable(text)
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    # set_cell_size pads with a space where a two-cell character would straddle the cut.
    return set_cell_size(text, width - 1).rstrip(" ") + ELLIPSIS


def pad(text: str, width: int) -> str:
    """`text` fitted into exactly `width` cells (padded with spaces on the right)."""
    return set_cell_size(fit(text, width), max(0, width))
