"""Text fields that take keys in the order typed, however the terminal hands them over.

Textual hands each key to the focused widget's queue. A text field types a character as it
handles the key, but a key it is bound to (backspace, ←, enter, escape, ctrl+s) bubbles up
through its parents' queues and the binding is carried out when the app gets to it: after
the keys that followed it. Typed in one chunk (a fast typist, keys batched over ssh),
backspace x y z typed xyz and then deleted it; ← ← ← X put the X where the caret was
before the arrows. Here a field carries out its bindings (and its screen's and the app's,
as Textual would look them up) as it handles each key, in its own queue's order."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class KeysInOrder:
    """Mixed into a Textual text widget, before the widget's class."""

    async def _on_key(self, event: events.Key) -> None:
        widget = self  # a Widget once mixed in
        app = widget.app  # type: ignore[attr-defined]
        if app.focused is not widget:
            # Handed here before the focus moved on (enter in the filter): the app reads it
            # again, against the focus of now, as if typed after that move. (Not while the
            # app ends: its screens are going, and the key with them.)
            event.stop()
            event.prevent_default()
            if app.is_running:
                app.post_message(events.Key(event.key, event.character))
            return
        active = widget.screen.active_bindings.get(event.key)  # type: ignore[attr-defined]
        # Priority bindings were tried as the app read the key; a disabled one does nothing
        # in Textual either. Else the widget's own handler runs next: it types the key.
        if active is None or active.binding.priority or not active.enabled:
            return
        event.stop()
        event.prevent_default()  # the widget's own handler, and the lookup as it bubbles
        await app.run_action(active.binding.action, active.node)


class TextField(KeysInOrder, Input):
    """A one-line text field."""
