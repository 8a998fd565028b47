"""The config editor's text: Textual's code editor, taking keys in the order typed
(tui/ui/widgets/text_field.py). Loaded only with the editor: TextArea brings tree-sitter."""

from __future__ import annotations

from textual.widgets import TextArea

from .text_field import KeysInOrder


class CodeEditor(KeysInOrder, TextArea):
    """A TextArea for code (`CodeEditor.code_editor(text, language=...)`)."""
