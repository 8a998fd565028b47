"""Generated blocks in README.md: text between a start and an end marker that a generator
owns, so documentation and code cannot drift apart (a test compares them)."""

from __future__ import annotations

from pathlib import Path


def rewrite_block(readme: Path, start: str, end: str, body: str) -> bool:
    """Replace what lies between `start` and `end` with `body`; True when the file changed."""
    text = readme.read_text("utf-8")
    head, found, rest = text.partition(start)
    if not found:
        raise ValueError(f"{readme} has no marker {start!r}")
    _, _, tail = rest.partition(end)
    new = f"{head}{start}\n{body}{end}{tail}"
    if new != text:
        readme.write_text(new, "utf-8")
    return new != text


def block(start: str, end: str, body: str) -> str:
    return f"{start}\n{body}{end}"
