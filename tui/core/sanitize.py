"""Text from outside (titles and artists from yt-dlp, services and M3U files, server
messages, error texts) made safe to put on a terminal.

Where it is used, and why twice: at the boundaries where such text enters a file format of
ours (M3U reading and writing, `tui/core/m3u.py`), and again at display time in every
widget and in MPRIS (`tui/ui/untrusted.py`, `tui/desktop/mpris.py`). The display pass is
the one that cannot be skipped: it sees every string whatever path it came by — the
resolver, a service, a queue.json or history.jsonl written before this existed — so no
boundary that forgets to clean (or a new one) can let an escape sequence reach the
terminal. Cleaning at the boundaries as well keeps stored and exported text clean for
other programs. `printable` is idempotent, so cleaning twice costs nothing but time.
"""

from __future__ import annotations

import re
import unicodedata

# Escape sequences are removed whole, payload included, so `ESC]0;pwned BEL` (set the
# window title) leaves nothing behind rather than a stray "]0;pwned". Both the 7-bit
# (ESC-prefixed) and the 8-bit C1 introducers are recognised; a string command (OSC, DCS,
# SOS, PM, APC) counts only when terminated (BEL, ST): an unterminated one loses its
# introducer below and the rest shows as plain text, which is harmless.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"       # CSI: colours, cursor moves
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])"                  # OSC, DCS, SOS, PM, APC …
    r"[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"                      # … up to BEL or ST
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"                              # two-character sequences
)

# Categories a terminal must not be handed: Cc controls (C0, DEL, C1), Cf format characters
# (bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069, the marks
# U+200E/U+200F, zero-width space and joiners, BOM, soft hyphen, tag characters), Cs lone
# surrogates (cannot be encoded: writing one would raise), Zl/Zp line and paragraph
# separators. Cf goes entirely because each of them either reorders what the user sees
# (bidi spoofing) or occupies a width that the terminal and the cell measure may disagree
# on (a ZWJ emoji sequence is 2 cells to rich and 6 to many terminals).
_DROP = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _clean(char: str) -> str:
    if unicodedata.category(char) not in _DROP:
        return char
    # Line breaks and tabs separate words: a space keeps "Side A\nSide B" readable and
    # never lets the text start a new line (or a new M3U entry).
    return " " if char.isspace() else ""


def printable(text: str) -> str:
    """`text` without escape sequences, control, format (bidi, zero-width), surrogate or
    line-separator characters. Text that has none of these comes back unchanged."""
    if text.isprintable():  # the common case, in C: nothing of the above is in it
        return text
    return "".join(_clean(c) for c in _ESCAPES.sub("", text))

