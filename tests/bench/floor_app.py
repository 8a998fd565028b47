"""The floor of the playing benchmark: a bare Textual app whose only other work is
python-mpv playing the file named on its command line, a second shown as it passes. No
Python program that draws with Textual and plays through libmpv costs less; the issue's
memory targets leave ~10 MiB above it for everything else ytplay holds."""

from __future__ import annotations

import sys
from typing import Any

import mpv
from textual.app import App, ComposeResult
from textual.widgets import Static


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("", id="shown")

    def on_mount(self) -> None:
        self.second: int | None = None
        self.player = mpv.MPV(ao="null", vo="null", video="no", terminal=False,
                              input_default_bindings=False)
        self.player.observe_property("time-pos", self.tick)
        self.player.play(sys.argv[1])

    def tick(self, _name: str, value: Any) -> None:  # on python-mpv's event thread
        if value is not None and int(value) != self.second:
            self.second = int(value)
            self.call_from_thread(self.query_one("#shown", Static).update,
                                  f"▶ playing {self.second} s")


if __name__ == "__main__":
    Floor().run()
