"""`ytplay cache ls | size | clear | verify` as subprocesses, on a cache folder filled by
real downloads from the demo service: what is listed, the sizes, a signed reference shown
redacted, a truncated and a corrupted file found by verify (exit 1) and dropped; clear and
verify refused while a ytplay plays from the cache (exit 3), with the command to run again."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tui import cache_cli
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
import tui.session.cache._files as media_files
from tui.session.cache import ItemMeta, MediaCache
from tui.session.downloads import Downloads, DownloadState
from tui.session.store import TokenStore

SECRET = "s3cr3tT0ken"


def ytplay(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "tui", "cache", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
async def filled(demo_options: DemoOptions, resolver, tmp_path: Path):
    """A cache folder with two downloads (a service item and a web page whose address
    carries a token), and a third cut short and unpinned; and a config naming it."""
    root = tmp_path / "media"
    with DemoService(demo_options) as demo:
        cache = MediaCache(root, 1 << 30)
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                               cache=cache)

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password)
        downloads = Downloads(session, cache)
        page = f"{demo.watch_url('t3')}?token={SECRET}"
        for ref in ("demo:t4", page):
            downloads.keep(ref)
            d = await asyncio.wait_for(downloads.wait(ref), 60)
            assert d.state is DownloadState.DONE, d.reason
        demo.options.media_rate = 1 << 20  # slow enough to stop half-way
        d = downloads.keep("demo:t2")
        while d.done < 1 << 20:
            changed = asyncio.Event()
            downloads.listeners.append(changed.set)
            await asyncio.wait_for(changed.wait(), 30)
            downloads.listeners.remove(changed.set)
        downloads.cancel("demo:t2")
        await downloads.aclose()
        await session.aclose()
        cache.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\ndir = "{root}"\nmax_size = "1GB"\n')
    return config, root, page


@pytest.mark.timeout(180)
async def test_ls_size_clear_verify(filled) -> None:
    config, root, page = filled

    ls = ytplay(config, "ls")
    assert ls.returncode == 0, ls.stderr
    lines = ls.stdout.splitlines()
    assert len(lines) == 3, ls.stdout
    kites = next(line for line in lines if "Paper Kites" in line)
    assert kites.startswith("complete") and "pinned" in kites and "(demo:t4)" in kites
    night = next(line for line in lines if "Night Bus" in line)
    assert "pinned" in night and "token=***" in night
    assert SECRET not in ls.stdout + ls.stderr
    lanterns = next(line for line in lines if "Copper Lanterns" in line)
    assert lanterns.startswith("partial") and "pinned" not in lanterns and " of " in lanterns

    size = ytplay(config, "size")
    assert size.returncode == 0 and "of 1.0 GiB in 3 entries" in size.stdout, size.stdout

    ok = ytplay(config, "verify")
    assert ok.returncode == 0 and "checked 2 complete entries: 0 broken" in ok.stdout, ok.stdout

    # One file cut short, one with a byte changed (same length: only the checksum tells).
    kites_file = media_files.data_path(root, media_files.key_for("demo:t4"))
    with kites_file.open("r+b") as f:
        f.truncate(kites_file.stat().st_size // 2)
    bus_file = media_files.data_path(root, media_files.key_for(page))
    with bus_file.open("r+b") as f:
        f.seek(100_000)
        byte = f.read(1)
        f.seek(100_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    bad = ytplay(config, "verify")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "2 broken" in bad.stdout
    assert "Paper Kites" in bad.stdout and "truncated" in bad.stdout
    assert "Night Bus" in bad.stdout and SECRET not in bad.stdout
    again = ytplay(config, "verify")  # dropped (pinned ones kept, to be fetched again)
    assert again.returncode == 0 and "0 broken" in again.stdout, again.stdout

    cleared = ytplay(config, "clear")
    assert cleared.returncode == 0 and "removed 1 entries; kept 2 pinned" in cleared.stdout
    listed = ytplay(config, "ls").stdout
    assert "Copper Lanterns" not in listed and "Paper Kites" in listed
    everything = ytplay(config, "clear", "--all")
    assert everything.returncode == 0 and "removed 2 entries" in everything.stdout
    assert "empty" in ytplay(config, "ls").stdout


def test_a_config_with_errors_is_one_paragraph(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[cache]\nmax_size = "lots"\n')
    r = ytplay(config, "size")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "not a size" in r.stderr


@pytest.mark.parametrize("action", ["ls", "size", "clear", "verify"])
def test_a_cache_folder_that_is_a_file_is_one_line(tmp_path: Path, action: str) -> None:
    where = tmp_path / "media"
    where.write_text("a file where the cache folder should be")
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\ndir = "{where}"\n')
    r = ytplay(config, action)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    assert str(where) in r.stderr and "not a folder" in r.stderr.lower(), r.stderr
    assert where.read_text() == "a file where the cache folder should be"


@pytest.mark.parametrize("command", [["cache", "ls"], ["cache", "size"], ["config", "path"]])
def test_output_into_a_closed_pipe_is_no_traceback(tmp_path: Path, command: list[str]) -> None:
    """`ytplay cache ls | head -1` closes the pipe early: no traceback on stderr (there was
    one, BrokenPipeError), the status a pipe's reader that left makes (128 + SIGPIPE)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\ndir = "{tmp_path / "media"}"\n')
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        r = subprocess.run([sys.executable, "-m", "tui", *command, "--config", str(config)],
                           stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    finally:
        os.close(write)
    assert r.stderr == "" and r.returncode == 141, (r.returncode, r.stderr)


@pytest.mark.timeout(180)
async def test_clear_and_verify_wait_for_the_ytplay_that_plays_from_the_cache(filled) -> None:
    """A running ytplay holds the cache folder (its entries may be playing or being
    written): `ytplay cache clear` and `verify` say so and remove nothing; `ls` still
    lists; once it has closed the cache, clear works."""
    config, root, _page = filled
    running = MediaCache(root, 1 << 30)  # as the app holds it, from its load to its close
    running.load()
    try:
        before = sorted(p.name for p in root.iterdir())
        for command in (["clear"], ["clear", "--all"], ["verify"]):
            r = ytplay(config, *command)
            # Its own status: not verify's 1 (broken entries found), which it did not look for.
            assert r.returncode == 3, r.stdout + r.stderr
            assert r.stderr.startswith("ytplay: ytplay is running") and "quit it" in r.stderr
            assert "Traceback" not in r.stderr
            # The command to run again is the one that was run, --all and --config kept.
            again = shlex.split(r.stderr.split("`")[1])
            assert again[:2] == ["ytplay", "cache"]
            assert vars(cache_cli.parser().parse_args(again[2:])) == \
                vars(cache_cli.parser().parse_args([*command, "--config", str(config)]))
        assert sorted(p.name for p in root.iterdir()) == before
        assert ytplay(config, "ls").returncode == 0
    finally:
        running.close()
    r = ytplay(config, "clear", "--all")
    assert r.returncode == 0, r.stderr
    assert "removed 3 entries" in r.stdout


@pytest.mark.timeout(180)
async def test_a_failed_download_that_kept_nothing_leaves_no_entry(
        demo_options: DemoOptions, resolver, tmp_path: Path) -> None:
    """Downloads that fail for the item's own reason — HLS and the live station (streams
    that cannot be kept), a page that is gone — leave nothing in `ytplay cache ls` and
    nothing on disk (each left `partial  0 B of ?`). A download asked for offline, which
    fetched nothing yet and goes on at the next start, is listed as what it is: pending."""
    root = tmp_path / "media"
    with DemoService(demo_options) as demo:
        cache = MediaCache(root, 1 << 30)
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                               cache=cache)
        downloads = Downloads(session, cache)
        failing = [demo.hls_url("t4"), demo.hls_url("live"), demo.watch_url("gone")]
        for ref in failing:
            downloads.keep(ref, f"kept as {ref}", ItemMeta(title=f"kept as {ref}"))
        for ref in failing:
            d = await asyncio.wait_for(downloads.wait(ref), 60)
            assert d.state is DownloadState.FAILED, d
        session.connectivity.forced = True  # ytplay --offline: D pins it, fetches nothing
        downloads.keep("demo:t5", "Glass Orchard", ItemMeta(title="Glass Orchard"))
        await downloads.aclose()
        await session.aclose()
        cache.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[cache]\ndir = "{root}"\n')

    ls = ytplay(config, "ls")
    assert ls.returncode == 0, ls.stderr
    [line] = ls.stdout.splitlines()
    assert line.split()[:3] == ["pending", "nothing", "yet"] and "pinned" in line, line
    assert "Glass Orchard" in line and "0 B of ?" not in ls.stdout
    left = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert left == [f"{media_files.key_for('demo:t5')}.json"], left
