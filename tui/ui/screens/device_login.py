"""The device login (RFC 8628): "open this URL and enter ABCD-EFGH" while the session polls
the server; escape cancels. Every text here but ours is the server's: untrusted."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, TypeVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.session.services import DeviceCode, DeviceLoginFailed
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

T = TypeVar("T")


class DeviceLoginScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self.code: DeviceCode | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="device-login"):
            yield Static(plain(f"Log in to {self.service}"), id="device-title")
            yield Static("asking the server for a code…", id="device-where")
            yield Static("", id="device-code")
            yield Static("", id="device-complete")
            yield Static("waiting for you to approve · escape cancels", id="device-hint")

    def on_mount(self) -> None:
        self._draw()

    def show_code(self, code: DeviceCode) -> None:
        """The server's code, as soon as it is known (before or after the screen mounts)."""
        self.code = code
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        if self.code is None:
            return
        self.query_one("#device-where", Static).update(
            plain(f"Open {self.code.verification_uri} and enter"))
        self.query_one("#device-code", Static).update(plain(self.code.user_code))
        if self.code.verification_uri_complete:
            self.query_one("#device-complete", Static).update(
                plain(f"or open {self.code.verification_uri_complete}"))

    def action_cancel(self) -> None:
        self.dismiss(None)


async def run_device_login(app: App[object], service: str,
                           flow: Callable[[Callable[[DeviceCode], None]], Awaitable[T]]) -> T:
    """`flow(show)` (tui.session.services.device_login) with the dialog up; escape cancels
    it, and the dialog goes when the flow ends, however it ends."""
    screen = DeviceLoginScreen(service)
    task = asyncio.ensure_future(flow(screen.show_code))
    app.push_screen(screen, lambda _result: task.cancel())
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if task.cancelled() and not (current is not None and current.cancelling()):
            raise DeviceLoginFailed(f"{service}: the login was cancelled; press space to "
                                    "log in again") from None
        raise
    finally:
        if app.screen is screen:
            screen.dismiss(None)
