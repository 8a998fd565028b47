"""`ytplay serve` over HTTP, as a player's requests reach it: Range and HEAD, ICY metadata,
what a wrong secret or Host gets (and costs), the cap, what never leaves it; `ytplay url`
and `ytplay export` as commands; the process started and ended as a service is."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tui.config.paths import data_dir, log_dir
from tui.core.models import QueueItem
from tui.core.queue import Queue
from tui.demo.catalog import BY_ID
from tui.demo.media import media_file
from tui.demo.service import DemoService
from tui.session.store import Playlists, QueueStore

from .conftest import PASSWORD_ENV, Serve, free_port, wait_until, write_config, ytplay


def _unicy(body: bytes, metaint: int) -> tuple[bytes, list[bytes]]:
    """The media in an ICY body, and its metadata blocks (the empty ones left out)."""
    media, blocks, at = bytearray(), [], 0
    while at < len(body):
        media += body[at:at + metaint]
        at += metaint
        if at >= len(body):
            break
        size = body[at] * 16
        if size:
            blocks.append(body[at + 1:at + 1 + size].rstrip(b"\0"))
        at += 1 + size
    return bytes(media), blocks


def test_a_served_url_answers_range_head_and_icy(demo: DemoService, serve_of) -> None:
    serve: Serve = serve_of(demo)
    serve.start()
    [plain] = serve.url("demo:t1")
    [seekable] = serve.url("demo:t1", seekable=True)
    wav = media_file(demo.options.media_dir, BY_ID["t1"]).read_bytes()
    with httpx.Client(timeout=30) as http:
        head = http.head(plain)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) == len(wav)
        assert head.headers["Accept-Ranges"] == "bytes"

        part = http.get(plain, headers={"Range": "bytes=100000-100999"})
        assert part.status_code == 206 and part.content == wav[100000:101000]
        assert part.headers["Content-Range"] == f"bytes 100000-100999/{len(wav)}"

        with http.stream("GET", plain, headers={"Icy-MetaData": "1"}) as icy:
            assert icy.headers["icy-name"] == "demo"
            metaint = int(icy.headers["icy-metaint"])
            body = b"".join(icy.iter_bytes())
        media, blocks = _unicy(body, metaint)
        assert media == wav and blocks == [b"StreamTitle='Demo Ensemble - Low Tide';"]

        # A seek that asks for it gets it too (mpv's libavformat would take blocks out of
        # plain bytes), counted from its first byte, with the media's Content-Range.
        seek = http.get(plain, headers={"Icy-MetaData": "1", "Range": "bytes=5000000-"})
        assert seek.status_code == 206 and "icy-metaint" in seek.headers
        assert seek.headers["Content-Range"] == f"bytes 5000000-{len(wav) - 1}/{len(wav)}"
        assert _unicy(seek.content, metaint) == (wav[5000000:], [blocks[0]])
        # ?icy=0 never carries it: MPD and VLC seek in it.
        never = http.get(seekable, headers={"Icy-MetaData": "1"})
        assert "icy-metaint" not in never.headers and never.content == wav
    assert serve.stop()[0] == 0


def test_a_wrong_secret_or_host_costs_nothing_upstream(demo: DemoService, serve_of) -> None:
    serve: Serve = serve_of(demo)
    serve.start()
    [good] = serve.url("demo:t2")
    base, secret, item = good.rsplit("/", 2)
    with httpx.Client(timeout=30) as http:
        before = sum(demo.state.counts.values())
        for url in (f"{base}/{'x' * len(secret)}/{item}", f"{base}/{item}",
                    f"{base}/{secret}/AAAAAAAAAAAAAAAAAAAAAA", f"{base}/{secret}"):
            answer = http.get(url)
            assert answer.status_code == 404 and answer.text.strip() in ("404 Not Found",
                                                                       "404: Not Found")
        # A page elsewhere that makes a browser ask (DNS rebinding) names its own host.
        rebound = http.get(good, headers={"Host": f"evil.example:{serve.port}"})
        assert rebound.status_code == 421
        assert sum(demo.state.counts.values()) == before
        assert http.get(good, headers={"Host": f"localhost:{serve.port}"}).status_code == 200
    serve.stop()


def test_past_the_cap_a_player_is_told_to_come_back(media_dir: Path, serve_of) -> None:
    from tui.demo.options import DemoOptions

    with DemoService(DemoOptions(media_dir=media_dir, media_rate=20_000)) as demo:
        serve: Serve = serve_of(demo, extra="max_clients = 1")
        serve.start()
        [slow, other] = serve.url("demo:t3", "demo:t4")
        with httpx.Client(timeout=30) as http, http.stream("GET", slow) as held:
            body = held.iter_raw(1024)
            next(body)  # one request under way, its body coming slowly
            busy = http.get(other)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        wait_until(lambda: httpx.head(other).status_code == 200, "the slot to be free again")
        serve.stop()


def test_nothing_of_an_upstream_credential_leaves_it(quick_demo: DemoService, serve_of) -> None:
    """Played through token and URL renewals and a URL refused: the answers, the log."""
    serve: Serve = serve_of(quick_demo)
    serve.start()
    [url] = serve.url("demo:t4")
    secret = url.rsplit("/", 2)[1]
    with httpx.Client(timeout=60) as http:
        with http.stream("GET", url) as first:
            got = 0
            for chunk in first.iter_raw():
                got += len(chunk)
                if got > 200_000:
                    break
        wait_until(lambda: quick_demo.state.counts["token:refresh_token"] >= 1,
                   "an access token renewed", timeout=30)
        quick_demo.state.revoke_urls()  # the URL in use is refused from now on
        with http.stream("GET", url, headers={"Range": "bytes=3000000-"}) as after:
            assert after.status_code == 206
            assert len(next(after.iter_raw(100_000))) == 100_000
            texts = [str(after.headers)]
    status, said = serve.stop()
    assert status == 0
    log = (log_dir() / "serve.log").read_text()
    assert "serving Paper Kites" in log
    for text in (log, said, *texts):
        assert secret not in text
        assert "Bearer ey" not in text and "sig=" not in text.replace("sig=***", "")


def test_ytplay_url_is_computed_the_same_every_time(tmp_path: Path, demo: DemoService) -> None:
    config = write_config(tmp_path / "config.toml", demo, 8766)
    (tmp_path / "song.mp3").write_bytes(b"")
    first = subprocess.run([sys.executable, "-m", "tui", "url", "demo:t1", "song.mp3",
                            "https://example.com/watch?v=abc&sig=SECRETSIG", "--config",
                            str(config)], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = ytplay(config, "url", "demo:t1")
    urls = first.stdout.split()
    assert again.stdout.split() == urls[:1] and len(set(urls)) == 3
    assert all(u.startswith("http://127.0.0.1:8766/") for u in urls)
    assert "SECRETSIG" not in first.stdout and "example.com" not in first.stdout
    for name in ("serve-secret", "served.json"):
        assert stat.S_IMODE((data_dir() / name).stat().st_mode) == 0o600
    assert str(tmp_path / "song.mp3") in (data_dir() / "served.json").read_text()
    seekable = ytplay(config, "url", "--seekable", "demo:t1").stdout.strip()
    assert seekable == urls[0] + "?icy=0"
    wrong = ytplay(config, "url", "doctr")
    assert wrong.returncode == 2 and "doctr" in wrong.stderr and wrong.stdout == ""
    assert "whether or not" in ytplay(config, "url", "--help").stdout


def test_export_writes_titles_durations_and_served_urls(tmp_path: Path, demo: DemoService,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "config.toml", demo, 8766)
    monkeypatch.setenv(PASSWORD_ENV, "demo")
    out = tmp_path / "mpd" / "road.m3u"
    made = ytplay(config, "export", "--m3u", str(out), "demo:t2", demo.watch_url("t5"))
    assert made.returncode == 0, made.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "#EXTM3U"
    assert lines[1] == "#EXTINF:152,The Signal Path - Copper Lanterns"
    assert lines[3].startswith("#EXTINF:222,") and "Glass Orchard" in lines[3]
    assert lines[2] == ytplay(config, "url", "--seekable", "demo:t2").stdout.strip()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # its URLs carry the secret

    queue = Queue()
    queue.extend([QueueItem(ref="demo:t3", title="Night Bus", artist="Mara Okafor",
                            duration=203.0)])
    QueueStore(data_dir() / "queue.json").save(queue, 0.0)
    assert ytplay(config, "export", "--m3u", str(out), "--queue").returncode == 0
    assert out.read_text().splitlines()[1] == "#EXTINF:203,Mara Okafor - Night Bus"

    Playlists(data_dir() / "playlists").save("trip", [QueueItem(ref="demo:t6", title="Rust")])
    assert ytplay(config, "export", "--m3u", str(out), "--playlist", "trip").returncode == 0
    assert out.read_text().splitlines()[1] == "#EXTINF:-1,Rust"
    nothing = ytplay(config, "export", "--m3u", str(out))
    assert nothing.returncode == 2 and "nothing to export" in nothing.stderr


def test_beyond_loopback_it_asks_to_be_told(tmp_path: Path, demo: DemoService) -> None:
    config = write_config(tmp_path / "config.toml", demo, free_port())
    r = ytplay(config, "serve", "--listen", f"0.0.0.0:{free_port()}")
    assert r.returncode == 2
    assert "--expose" in r.stderr and "plays whatever your accounts" in r.stderr


SERVE_AND_LOOK = """
import os, signal, socket, sys, threading, time
from tui.__main__ import main

def look():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", int(sys.argv[2]))) == 0:
                break
        time.sleep(0.05)
    print(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich", "mpv")
                 or m.startswith("tui.ui")), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=look, daemon=True).start()
sys.exit(main(["serve", "--config", sys.argv[1]]))
"""


def test_it_runs_without_textual_and_ends_on_sigterm(tmp_path: Path, demo: DemoService) -> None:
    port = free_port()
    config = write_config(tmp_path / "config.toml", demo, port)
    r = subprocess.run([sys.executable, "-c", SERVE_AND_LOOK, str(config), str(port)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    assert f"listening on 127.0.0.1:{port}" in r.stderr
    assert "ending: a signal asked it to" in (log_dir() / "serve.log").read_text()


def test_ctrl_c_ends_it_cleanly(demo: DemoService, serve_of) -> None:
    serve: Serve = serve_of(demo)
    serve.start()
    assert serve.process is not None
    serve.process.send_signal(signal.SIGINT)
    assert serve.process.wait(timeout=15) == 0
    serve.process = None
