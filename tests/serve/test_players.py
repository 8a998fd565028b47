"""Real players on `ytplay serve` URLs: Debian's MPD (driven by mpc, with a private config: a
null output, its own folders and port) and plain mpv. The demo's tokens and URLs expire
within seconds and its media comes at a little more than the speed it plays at, so a player
never holds much of it ahead: every pause outlives a URL and every seek goes past what was
fetched."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tui.demo.catalog import BY_ID
from tui.demo.media import media_file
from tui.demo.service import DemoService

from .conftest import Serve, free_port, listening, wait_until, ytplay


class Mpd:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.playlists = folder / "playlists"
        music = folder / "music"
        for path in (self.playlists, music):
            path.mkdir(parents=True)
        self.config = folder / "mpd.conf"
        self.config.write_text(f"""
music_directory "{music}"
playlist_directory "{self.playlists}"
db_file "{folder / 'db'}"
log_file "{folder / 'log'}"
pid_file "{folder / 'pid'}"
bind_to_address "127.0.0.1"
port "{self.port}"
zeroconf_enabled "no"
audio_output {{
  type "null"
  name "null"
}}
""")
        self.process = subprocess.Popen(["mpd", "--no-daemon", str(self.config)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until(lambda: listening(self.port), "MPD to listen")

    def __call__(self, *args: str) -> str:
        r = subprocess.run(["mpc", "-q", "-p", str(self.port), *args], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def status(self) -> str:
        return subprocess.run(["mpc", "-p", str(self.port), "status"], capture_output=True,
                              text=True, timeout=30).stdout

    def elapsed(self) -> float:
        """Seconds played of the current song ('[playing] #1/2   0:42/3:04 (22%)')."""
        m = re.search(r"\[(?:playing|paused)\] #\d+/\d+ +(\d+):(\d\d)", self.status())
        return int(m.group(1)) * 60 + int(m.group(2)) if m else -1.0

    def playing_past(self, seconds: float) -> bool:
        return "[playing]" in self.status() and self.elapsed() >= seconds

    def current(self) -> str:
        return self("current")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture
def mpd(tmp_path: Path) -> Iterator[Mpd]:
    player = Mpd(tmp_path / "mpd")
    yield player
    player.close()


def test_mpd_plays_through_expiry_a_long_pause_a_seek_next_and_a_restart(
        quick_demo: DemoService, serve_of, mpd: Mpd) -> None:
    quick_demo.options.drop_rate = 0.2  # a fifth of the media answers cut after 256 KiB
    serve: Serve = serve_of(quick_demo)
    serve.start()
    # Exported into MPD's playlist folder: the titles in #EXTINF, URLs MPD can seek in.
    made = ytplay(serve.config, "export", "--m3u", str(mpd.playlists / "trip.m3u"),
                  "demo:t1", quick_demo.watch_url("t2"))
    assert made.returncode == 0, made.stderr
    mpd("load", "trip")
    mpd("play")
    wait_until(lambda: mpd.playing_past(2), "MPD to play the first item")
    assert mpd.current() == "Demo Ensemble - Low Tide"

    mpd("pause")
    paused = quick_demo.state.counts["session:heartbeat"]
    # Longer than a URL lives: heartbeats renewed it twice (one every 4 s, URLs live 8 s).
    wait_until(lambda: quick_demo.state.counts["session:heartbeat"] >= paused + 3,
               "the URL in use to be renewed while paused", timeout=40)
    at = mpd.elapsed()
    mpd("play")
    wait_until(lambda: mpd.playing_past(at + 1), "MPD to play on after the pause")

    asked = len(quick_demo.state.media_ranges)
    mpd("seek", "2:00")  # minutes ahead of what came at 60 kB/s
    wait_until(lambda: mpd.playing_past(122), "MPD to play on from 2:00")
    offsets = [int(r[6:].split("-")[0]) for r in quick_demo.state.media_ranges[asked:] if r]
    assert any(o >= 120 * 44100 for o in offsets), offsets
    assert quick_demo.state.counts["token:refresh_token"] >= 1  # tokens expired meanwhile

    mpd("next")
    wait_until(lambda: "Copper Lanterns" in mpd.current() and mpd.playing_past(2),
               "MPD to play the second item, from a yt-dlp page")

    # Added by URL, no playlist: the title comes in the stream (ICY), the service names it.
    [icy] = serve.url("demo:t3")
    mpd("clear")
    mpd("add", icy)
    mpd("play")
    wait_until(lambda: "Mara Okafor - Night Bus" in mpd.current(), "the ICY title in MPD")
    assert mpd.current() == "demo: Mara Okafor - Night Bus"

    status, _ = serve.stop()
    assert status == 0
    mpd("stop")
    serve.start()
    assert serve.url("demo:t3") == [icy]  # the same URL after a restart
    mpd("play")
    wait_until(lambda: mpd.playing_past(2), "MPD to play the same URL after the restart")

    # Anything else than the secret: 404 (tests/serve/test_serve_http.py: at no cost).
    base, secret, item = icy.rsplit("/", 2)
    mpd("clear")
    mpd("add", f"{base}/{secret[::-1]}/{item}")
    subprocess.run(["mpc", "-q", "-p", str(mpd.port), "play"], capture_output=True, timeout=30)
    wait_until(lambda: "404" in mpd.status(), "MPD to say the server answered 404")


def test_mpv_plays_a_served_url_from_a_seek(quick_demo: DemoService, serve_of,
                                            tmp_path: Path) -> None:
    """mpv asks for ICY on every request and seeks by range: it shows the title, and what it
    plays from 1:40 is the track's own samples, the metadata taken out."""
    serve: Serve = serve_of(quick_demo)
    serve.start()
    [url] = serve.url(quick_demo.watch_url("t5"))
    out = tmp_path / "out.pcm"
    r = subprocess.run(["mpv", "--no-config", "--no-video", "--ao=pcm",
                        f"--ao-pcm-file={out}", "--ao-pcm-waveheader=no", "--start=100",
                        "--length=2", "--term-playing-msg=title: ${media-title}", url],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "title: Iven Holt - Glass Orchard" in r.stdout
    wav = media_file(quick_demo.options.media_dir, BY_ID["t5"]).read_bytes()
    played = out.read_bytes()
    assert len(played) > 80_000 and played[2000:80_000] in wav
    assert any(r and int(r[6:].split("-")[0]) > 90 * 44100
               for r in quick_demo.state.media_ranges)
    with httpx.Client() as http:  # and the item is let go of only LINGER after
        assert http.head(url).status_code == 200
    assert serve.stop()[0] == 0
