"""Real yt-dlp, in-process, against the demo service's pages."""

from __future__ import annotations

import time

import pytest

from tui.core.errors import ResolveError
from tui.demo.catalog import LIVE_ID, LIVE_TITLE
from tui.demo.service import DemoService


async def test_resolves_watch_page(demo: DemoService, resolver) -> None:
    info = await resolver.resolve(demo.watch_url("t3"))
    assert (info.title, info.artist, info.duration) == ("Night Bus", "Mara Okafor", 203.0)
    assert info.url.startswith(f"{demo.base_url}/media/t3.wav?expire=")
    assert "#" not in info.url  # yt-dlp's smuggled data must not reach the player
    assert info.expires_at is not None
    assert abs(info.expires_at - (time.time() + demo.options.url_ttl)) < 5
    assert info.headers.get("Referer") == demo.watch_url("t3")


async def test_a_live_streams_title_carries_no_date(demo: DemoService, resolver) -> None:
    """yt-dlp appends the date and time of the resolve to a live stream's `title` (for file
    names): the item is titled as its page says, when it is added and when it plays."""
    url = demo.hls_url(LIVE_ID)
    [entry] = await resolver.expand(url)
    info = await resolver.resolve(url)
    assert (entry.title, info.title) == (LIVE_TITLE, LIVE_TITLE)


async def test_local_file_needs_no_yt_dlp(tmp_path, resolver) -> None:
    f = tmp_path / "a song.wav"
    f.write_bytes(b"RIFF")
    info = await resolver.resolve(str(f))
    assert (info.url, info.title, info.expires_at) == (str(f), "a song.wav", None)


@pytest.mark.parametrize("path", ["/watch/nope", "/nothing-here"])
async def test_unresolvable_gives_a_reason(demo: DemoService, resolver, path: str) -> None:
    with pytest.raises(ResolveError) as e:
        await resolver.resolve(demo.base_url + path)
    assert "404" in str(e.value) and "ERROR" not in str(e.value)


async def test_yt_dlps_lines_in_the_log_carry_no_colour_codes_on_a_terminal(
        demo: DemoService, resolver, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Run in a terminal, yt-dlp colours what it says (ERROR: in red): in the log file those
    would be escape codes around the words."""
    import io
    import logging
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    with caplog.at_level(logging.DEBUG, logger="tui.adapters.ytdlp_resolver"):
        with pytest.raises(ResolveError):
            await resolver.resolve(demo.base_url + "/nothing-here")
    said = [r.getMessage() for r in caplog.records if "yt-dlp:" in r.getMessage()]
    assert any("404" in line for line in said)
    assert not any("\x1b[" in line for line in said), said
