"""The current item's cover art, drawn with textual-image (kitty graphics, sixel or coloured
half-blocks, as the terminal can). The picture is found by the session (fetched, cached on
disk, or taken out of a local file) and opened off the UI loop; this widget only shows it.
Whether it shows at all is the Now Playing panel's call: it has room or it has not."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from textual import work
from textual.message import Message
from textual.widget import Widget

from tui.ui import graphics
from tui.ui.css import sibling_css

log = logging.getLogger(__name__)

# The session's cover store: a cover reference in, the image file out (None: there is none).
CoverFetch = Callable[[str], Awaitable[Path | None]]
PIXELS = 320  # the picture is scaled to this many pixels a side, at most, before drawing


def _open(path: Path) -> Any:
    """The image at `path`, decoded and scaled down (on a worker thread); None when it is
    not one Pillow reads."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.draft("RGB", (PIXELS, PIXELS))  # JPEG: decode at a reduced size
            picture = image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as e:
        log.info("cover %s unreadable: %s", path, e)
        return None
    picture.thumbnail((PIXELS, PIXELS))
    return picture


class CoverArt(Widget):
    DEFAULT_CSS = sibling_css(__file__)

    class Changed(Message):
        """A picture came or went."""

    def __init__(self, fetch: CoverFetch | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch
        self._source: str | None = None
        self.picture: Any = None  # the PIL image shown, when there is one

    @property
    def aspect(self) -> float:
        """Width over height of the picture (1 without one)."""
        if self.picture is None or not self.picture.height:
            return 1.0
        return self.picture.width / self.picture.height

    def show(self, source: str | None) -> None:
        """Show the cover `source` names (QueueItem.cover); None for none."""
        if source == self._source:
            return
        self._source = source
        if source is None or self._fetch is None:
            self._set(None)
        else:
            self._load(source)

    def reload(self) -> None:
        """Fetch the cover shown again (the store that finds covers may have come since)."""
        source, self._source = self._source, None
        self.show(source)

    @work(exclusive=True, group="cover")
    async def _load(self, source: str) -> None:
        assert self._fetch is not None
        path = await self._fetch(source)
        picture = await asyncio.to_thread(_open, path) if path is not None else None
        if picture is not None:
            # textual-image (and Pillow) are loaded with the first picture to show: a run
            # that shows none (local files without one, covers off) never holds them.
            await asyncio.to_thread(graphics.load)
        if source == self._source:
            self._set(picture)

    def _set(self, picture: Any) -> None:
        if picture is None and self.picture is None:
            return
        image_class = graphics.image_class() if picture is not None else None
        self.picture = picture if image_class is not None else None
        shown = list(self.query(".cover-image"))
        if self.picture is None:
            for widget in shown:
                widget.remove()
        elif shown:
            shown[0].image = self.picture  # type: ignore[attr-defined]
        else:
            self.mount(image_class(self.picture, classes="cover-image"))
        self.post_message(self.Changed())
