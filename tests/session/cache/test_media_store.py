"""The media cache's store (tui/session/cache/_media_cache.py) on real files in a temp dir:
ranges written on its thread and read back, the metadata surviving a restart, completion
with a checksum, broken files noticed, the cap, pins, and a disk that will not take writes."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

import tui.session.cache._files as media_files
from tui.session.cache import CacheState, ItemMeta, MediaCache

BODY = os.urandom(300_000)
REF = "demo:t1"


def _store(root: Path, cap: int = 10 << 20, **kw) -> MediaCache:
    cache = MediaCache(root, cap, **kw)
    cache.load()
    return cache


async def _write(cache: MediaCache, ref: str, start: int, end: int, body: bytes = BODY,
                 **kw) -> None:
    w = cache.writer(ref, start, length=len(body), content_type="audio/wav", **kw)
    assert w is not None
    for at in range(start, end, 65536):
        w.write(body[at:min(end, at + 65536)])
    w.close()
    await asyncio.to_thread(cache.flush_now)


async def test_ranges_fill_in_and_complete_then_survive_a_restart(tmp_path) -> None:
    cache = _store(tmp_path)
    cache.describe(REF, ItemMeta(title="Low Tide", artist="Demo", duration=12.0))
    await _write(cache, REF, 100_000, 200_000)
    info = cache.lookup(REF)
    assert info.state is CacheState.PARTIAL and info.cached == 100_000
    assert info.share == pytest.approx(1 / 3)
    assert cache.run_end(REF, 150_000) == 200_000 and cache.run_end(REF, 50) == 50
    assert await cache.read(REF, 100_000, 10) == BODY[100_000:100_010]
    assert await cache.playable(REF) is None
    await _write(cache, REF, 0, len(BODY))
    assert cache.lookup(REF).state is CacheState.COMPLETE
    cache.close()

    again = _store(tmp_path)
    info = again.lookup(REF)
    assert info.state is CacheState.COMPLETE and info.length == len(BODY)
    assert info.meta.title == "Low Tide" and info.content_type == "audio/wav"
    assert await again.playable(REF) is not None
    record = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert record["checksum"] == "sha256:" + hashlib.sha256(BODY).hexdigest()
    assert REF not in next(tmp_path.glob("*.media")).name  # named by a hash
    again.close()


async def test_a_source_checksum_that_does_not_match_drops_the_entry(tmp_path) -> None:
    cache = _store(tmp_path)
    await _write(cache, REF, 0, len(BODY), checksum="sha256:" + "0" * 64)
    assert cache.lookup(REF).state is CacheState.ABSENT
    assert not list(tmp_path.glob("*.media"))
    await _write(cache, REF, 0, len(BODY),
                 checksum="sha256:" + hashlib.sha256(BODY).hexdigest())
    assert cache.lookup(REF).state is CacheState.COMPLETE
    cache.close()


@pytest.mark.parametrize("damage", ["truncate", "flip"])
async def test_a_broken_complete_file_is_noticed_on_open_and_dropped(tmp_path, damage) -> None:
    cache = _store(tmp_path)
    await _write(cache, REF, 0, len(BODY))
    cache.close()
    data = media_files.data_path(tmp_path, media_files.key_for(REF))
    if damage == "truncate":
        os.truncate(data, len(BODY) // 2)
    else:
        raw = bytearray(data.read_bytes())
        raw[1234] ^= 0xFF
        data.write_bytes(bytes(raw))
    again = _store(tmp_path)
    assert await again.playable(REF) is None
    assert again.lookup(REF).state is not CacheState.COMPLETE
    again.close()


async def test_the_cap_evicts_least_recently_used_never_held_or_pinned(tmp_path) -> None:
    cache = _store(tmp_path, cap=700_000)
    for ref in ("a", "b"):
        await _write(cache, ref, 0, len(BODY))
    cache.pin("a")
    cache.hold("b")  # playing
    await _write(cache, "c", 0, len(BODY))
    # Nothing may go: "c" is cached only as far as it fits.
    assert cache.lookup("a").state is CacheState.COMPLETE
    assert cache.lookup("b").state is CacheState.COMPLETE
    assert cache.lookup("c").state is CacheState.PARTIAL
    assert cache.size() <= 700_000
    cache.release("b")  # it stopped playing: the least recently used may go now
    await _write(cache, "d", 0, len(BODY))
    states = {r: cache.lookup(r).state for r in "abcd"}
    assert states == {"a": CacheState.COMPLETE, "b": CacheState.ABSENT,
                      "c": CacheState.PARTIAL, "d": CacheState.COMPLETE}
    assert cache.size() <= 700_000
    assert len(list(tmp_path.glob("*.media"))) == 3
    cache.close()


async def test_a_disk_that_refuses_writes_is_bypassed_with_one_notice(tmp_path, monkeypatch) -> None:
    notices: list[str] = []
    cache = _store(tmp_path, notify=notices.append)

    def full(fd, offset, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(media_files, "write_at", full)
    await _write(cache, REF, 0, len(BODY))
    await asyncio.sleep(0)  # the notice is handed to the loop with call_soon_threadsafe
    assert cache.writer("other", 0, length=10) is None
    assert len(notices) == 1 and "No space left" in notices[0]
    assert cache.lookup(REF).state is CacheState.ABSENT
    cache.close()


async def test_unreadable_metadata_and_orphans_are_removed_at_load(tmp_path) -> None:
    key = media_files.key_for(REF)
    (tmp_path / f"{key}.json").write_text('{"ref": 5}')
    (tmp_path / f"{key}.media").write_bytes(b"x" * 10)
    (tmp_path / "feed.media").write_bytes(b"y")
    cache = MediaCache(tmp_path, 1 << 20)
    removed = cache.load()
    # Nothing left but the lock a running ytplay holds on the folder.
    assert len(removed) == 2
    assert [p.name for p in tmp_path.iterdir()] == [media_files.IN_USE]
    cache.close()


async def test_a_changed_source_file_drops_what_was_cached_of_the_old(tmp_path) -> None:
    cache = _store(tmp_path)
    cache.pin(REF)
    await _write(cache, REF, 0, 100_000, etag='"v1"')
    assert cache.lookup(REF).cached == 100_000
    newer = os.urandom(len(BODY))
    await _write(cache, REF, 200_000, 250_000, body=newer, etag='"v2"')
    info = cache.lookup(REF)
    assert info.cached == 50_000 and info.pinned  # the old bytes gone, the pin kept
    assert await cache.read(REF, 200_000, 10) == newer[200_000:200_010]
    cache.close()


async def test_an_unpinned_changed_file_is_cached_anew_and_sizes_add_up(tmp_path) -> None:
    cache = _store(tmp_path)
    await _write(cache, REF, 0, 100_000, etag='"v1"')
    await _write(cache, "other", 0, 30_000)
    newer = os.urandom(len(BODY))
    await _write(cache, REF, 0, len(BODY), body=newer, etag='"v2"')
    assert cache.lookup(REF).state is CacheState.COMPLETE
    assert await cache.read(REF, 0, 100) == newer[:100]
    assert cache.size() == len(BODY) + 30_000
    assert sorted(cache.clear_now()) == sorted([REF, "other"])
    assert cache.size() == 0 and not list(tmp_path.glob("*.media"))
    cache.close()


async def test_a_cache_folder_that_cannot_be_read_turns_the_cache_off_with_one_notice(
        tmp_path) -> None:
    notices: list[str] = []
    root = tmp_path / "not-a-folder"
    root.write_text("a file where the folder should be")
    cache = MediaCache(root, 1 << 20, notify=notices.append)
    assert await cache.ready() == []
    assert await cache.playable(REF) is None
    assert cache.writer(REF, 0, length=10) is None
    await asyncio.sleep(0)  # the notice is handed to the loop with call_soon_threadsafe
    assert len(notices) == 1 and "cannot read" in notices[0]
    cache.close()


async def test_folders_named_like_cache_files_are_left_alone(tmp_path) -> None:
    """Not ours (a cache file is never a folder): read past, neither removed nor fatal."""
    cache = _store(tmp_path)
    await _write(cache, REF, 0, len(BODY))
    cache.close()
    (tmp_path / f"{'a' * 40}.json").mkdir()
    (tmp_path / f"{'b' * 40}.media").mkdir()
    (tmp_path / f"{'b' * 40}.json").write_text("{}")  # broken: its entry is dropped
    notices: list[str] = []
    cache = MediaCache(tmp_path, 1 << 20, notify=notices.append)
    assert cache.load() == [f"{'b' * 40}.json (ValidationError)"]
    assert cache.enabled and cache.lookup(REF).state is CacheState.COMPLETE
    assert (tmp_path / f"{'a' * 40}.json").is_dir() and (tmp_path / f"{'b' * 40}.media").is_dir()
    await asyncio.sleep(0)
    assert notices == []
    cache.close()


@pytest.mark.parametrize("ranges", [[[500, 100]], [[0, 1000], [1000, 5000]]])
async def test_metadata_with_a_range_that_is_no_span_is_removed_at_load(tmp_path,
                                                                        ranges) -> None:
    """A range backwards, or past the file's length (a hand edit, another program): that
    entry is dropped like any metadata that does not fit (a backwards one raised out of
    the load: a traceback from `ytplay cache`, no cache at all in the app; one past the
    length was listed as "5000 B of 1000 B")."""
    cache = _store(tmp_path)
    await _write(cache, "other", 0, len(BODY))
    cache.close()
    key = media_files.key_for(REF)
    (tmp_path / f"{key}.media").write_bytes(BODY[:1000])
    (tmp_path / f"{key}.json").write_text(json.dumps({"ref": REF, "length": 1000,
                                                      "ranges": ranges}))
    cache = MediaCache(tmp_path, 1 << 20)
    assert cache.load() == [f"{key}.json (ValueError)"]
    assert cache.lookup(REF).state is CacheState.ABSENT
    assert cache.lookup("other").state is CacheState.COMPLETE
    cache.close()
