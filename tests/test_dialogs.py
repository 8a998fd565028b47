"""Every dialog at 80×24, the size most terminals open at: its keys said whole, wrapped
to the dialog's width, and its field on screen however long what it shows is (a server's
reason, sixty saved playlists), never cut at the screen's edge."""

from __future__ import annotations

import time
from typing import Callable

import pytest
from textual.screen import Screen
from textual.widget import Widget

from tests.idle_app import demo_items, demo_leases, idle_app
from tui.session.store import Played

LONG_REASON = "the service said: " + "the refresh token was refused " * 30
SIXTY = "saved: " + ", ".join(f"road-trip-{i:02d}" for i in range(60))


async def _nothing(_answer: str) -> str | None:
    return None


def _dialogs() -> dict[str, tuple[Callable[[], Screen[object]], str, str, str | None]]:
    """name: (the dialog, its first line's widget, its keys' widget, its field's widget)."""
    from tui.ui.screens.add import AddScreen
    from tui.ui.screens.config_conflict import ConfigConflict
    from tui.ui.screens.device_login import DeviceLoginScreen
    from tui.ui.screens.discard_edits import DiscardEdits
    from tui.ui.screens.history import HistoryScreen
    from tui.ui.screens.login import LoginScreen
    from tui.ui.screens.prompt import PromptScreen
    from tui.ui.screens.search import SearchScreen

    played = [Played("demo:t1", "Low Tide", "Demo Ensemble", 184.0, time.time())]
    return {
        "add": (lambda: AddScreen(False, lambda _t: None), "#add-title", "#add-hint",
                "#add-refs"),
        "conflict": (lambda: ConfigConflict("config.toml", "a = 1\n" * 40, "a = 2\n" * 40,
                                            "a = 3\n" * 40),
                     "#conflict-title", "#conflict-hint", None),
        "device login": (lambda: DeviceLoginScreen("files"), "#device-title", "#device-hint",
                         None),
        "discard edits": (DiscardEdits, "#discard-title", "#discard-hint", None),
        "history": (lambda: HistoryScreen(played * 40), "#history-title", "#history-hint",
                    None),
        "login": (lambda: LoginScreen("demo", "demo", LONG_REASON), "#login-title",
                  "#login-hint", "#password"),
        "prompt": (lambda: PromptScreen("Open a playlist", "a name", _nothing, SIXTY),
                   "#prompt-title", "#prompt-hint", "#prompt-input"),
        "search": (lambda: SearchScreen({"demo": _nothing}, lambda _e: None),  # type: ignore[dict-item]
                   "#search-query", "#search-status", "#search-query"),
    }


def _drawn(app, widget: Widget) -> list[str]:
    """The words drawn where `widget` is on screen, one line after the other."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    r = widget.region
    return " ".join(line[r.x:r.right] for line in lines[r.y:r.bottom]).split()


def _on_screen(app, widget: Widget) -> bool:
    r, screen = widget.region, app.screen.region
    return r.height > 0 and screen.contains_region(r)


@pytest.mark.parametrize("name", list(_dialogs()))
async def test_a_dialog_at_80x24_says_its_keys_whole(name: str) -> None:
    make, first_id, hint_id, field_id = _dialogs()[name]
    app = idle_app(demo_items(), demo_leases())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(make())
        await pilot.pause()
        hint = app.screen.query_one(hint_id)
        said = str(hint.render()).split()
        assert "escape" in said, (name, said)                   # the keys, not something else
        assert _drawn(app, hint) == said, name                  # whole, wrapped
        for part in (first_id, hint_id, field_id):              # top to bottom on screen
            if part is not None:
                assert _on_screen(app, app.screen.query_one(part)), (name, part)
