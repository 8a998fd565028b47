"""HLS playlists (RFC 8216) as far as the stream proxy relays them: a master playlist's
variants, a media playlist's segments by media sequence number, and the media playlist
rewritten so that every segment is fetched from the proxy under a name that never changes
(its sequence number) while its upstream URL is re-signed underneath.

Hand-written rather than the `m3u8` package from PyPI: the core is stdlib only (the layer
contract), and relaying needs a small part of the format — segments, their sequence numbers
and byte ranges, and the tags to carry over unchanged — where a full object model would
have to be rendered back to text with its own ideas of what to keep.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin, urlsplit

# Tags of the playlist as a whole; every other tag belongs to the segment that follows it.
_PLAYLIST_TAGS = ("#EXT-X-VERSION", "#EXT-X-TARGETDURATION", "#EXT-X-PLAYLIST-TYPE",
                  "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-START", "#EXT-X-ALLOW-CACHE",
                  "#EXT-X-SERVER-CONTROL", "#EXT-X-PART-INF")
_URI_ATTR = re.compile(r'URI="([^"]*)"')
_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
# A decimal-integer (RFC 8216, 4.2) of ASCII digits (str.isdigit() takes '²', which int()
# refuses), short enough to name a segment by: the proxy's route takes 15 digits.
_INTEGER = re.compile(r"[0-9]{1,15}")

# How many segments from the end a relayed live playlist offers: where a player starts a
# live stream, and where it lands when it must skip segments that left the window.
LIVE_EDGE_SEGMENTS = 3


class PlaylistError(ValueError):
    """Not an HLS playlist ytplay can relay."""


@dataclass(frozen=True)
class Variant:
    uri: str                # absolute
    bandwidth: int
    codecs: str

    @property
    def audio_only(self) -> bool:
        return bool(self.codecs) and all(c.strip().startswith(("mp4a", "ac-3", "ec-3", "opus",
                                                               "flac", "mp3"))
                                         for c in self.codecs.split(","))


@dataclass(frozen=True)
class Segment:
    seq: int
    uri: str                            # absolute
    duration: float
    tags: tuple[str, ...] = ()          # tags before its #EXTINF, URIs made absolute
    byterange: tuple[int, int] | None = None   # (offset, length)

    @property
    def extension(self) -> str:
        """The file name extension to name it by (players check it): `ts` when none."""
        name = urlsplit(self.uri).path.rsplit("/", 1)[-1]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        # ASCII: the proxy routes [a-z0-9]{1,5} (str.isalnum() takes 'ｔｓ' and '²')
        return ext if ext.isascii() and ext.isalnum() and len(ext) <= 5 else "ts"


@dataclass(frozen=True)
class MediaPlaylist:
    header: tuple[str, ...]
    segments: tuple[Segment, ...]
    ended: bool
    discontinuity_seq: int = 0

    @property
    def live(self) -> bool:
        return not self.ended

    def segment(self, seq: int) -> Segment | None:
        if not self.segments:
            return None
        index = seq - self.segments[0].seq
        return self.segments[index] if 0 <= index < len(self.segments) else None


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("not an HLS playlist (no #EXTM3U)")
    return [line for line in lines[1:] if line]


def _integer(value: str) -> int | None:
    return int(value) if _INTEGER.fullmatch(value) else None


def is_master(text: str) -> bool:
    return "#EXT-X-STREAM-INF:" in text


def _absolute_uris(tag: str, base: str) -> str:
    return _URI_ATTR.sub(lambda m: f'URI="{urljoin(base, m.group(1))}"', tag)


def parse_master(text: str, base: str) -> list[Variant]:
    variants: list[Variant] = []
    attrs: dict[str, str] | None = None
    for line in _lines(text):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = {k: v.strip('"') for k, v in _ATTR.findall(line.split(":", 1)[1])}
        elif not line.startswith("#") and attrs is not None:
            variants.append(Variant(urljoin(base, line),
                                    _integer(attrs.get("BANDWIDTH", "")) or 0,
                                    attrs.get("CODECS", "")))
            attrs = None
    if not variants:
        raise PlaylistError("a master playlist with no variants")
    return variants


def choose_variant(variants: list[Variant], *, video: bool = False) -> Variant:
    """The variant to play: for audio, the best audio-only one when there is one; else the
    highest bandwidth."""
    pool = [v for v in variants if v.audio_only] if not video else []
    return max(pool or variants, key=lambda v: v.bandwidth)


def _byterange(value: str, previous_end: int | None) -> tuple[int, int]:
    length, _, offset = value.partition("@")
    size, at = _integer(length), _integer(offset) if offset else previous_end
    if size is None or (offset and at is None):
        raise PlaylistError(f"a bad #EXT-X-BYTERANGE: {value[:40]}")
    if at is None:
        raise PlaylistError("#EXT-X-BYTERANGE without an offset after no range")
    return at, size


def parse_media(text: str, base: str) -> MediaPlaylist:
    """A media playlist; URIs are resolved against `base`, the playlist's own URL."""
    header: list[str] = []
    segments: list[Segment] = []
    pending: list[str] = []
    seq, disc_seq, ended = 0, 0, False
    duration: float | None = None
    byterange: tuple[int, int] | None = None
    range_end: dict[str, int] = {}
    for line in _lines(text):
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            number = _integer(line.split(":", 1)[1])
            if number is None:
                raise PlaylistError("a bad #EXT-X-MEDIA-SEQUENCE")
            seq = number
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            disc_seq = _integer(line.split(":", 1)[1]) or 0
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith(_PLAYLIST_TAGS):
            header.append(line)
        elif line.startswith("#EXTINF:"):
            try:
                duration = float(line.split(":", 1)[1].split(",", 1)[0])
            except ValueError:
                raise PlaylistError("a bad #EXTINF") from None
            if not (math.isfinite(duration) and duration >= 0):
                raise PlaylistError("a bad #EXTINF")  # handed to libmpv as it is
        elif line.startswith("#EXT-X-BYTERANGE:"):
            pending.append(line)  # its offset may depend on the URI that follows
        elif line.startswith("#"):
            pending.append(_absolute_uris(line, base))
        else:
            if duration is None:
                raise PlaylistError("a segment without #EXTINF")
            uri = urljoin(base, line)
            tags = []
            for tag in pending:
                if tag.startswith("#EXT-X-BYTERANGE:"):
                    byterange = _byterange(tag.split(":", 1)[1], range_end.get(uri))
                    range_end[uri] = byterange[0] + byterange[1]
                else:
                    tags.append(tag)
            segments.append(Segment(seq, uri, duration, tuple(tags), byterange))
            seq, duration, byterange, pending = seq + 1, None, None, []
    return MediaPlaylist(tuple(header), tuple(segments), ended, disc_seq)


def for_player(playlist: MediaPlaylist, name: Callable[[Segment], str]) -> str:
    """The playlist libmpv is given: each segment's URI replaced by `name(segment)`, and a
    live playlist cut to its last few segments, so that a player that starts, or falls
    behind the window and skips ahead, lands at the live edge."""
    segments = playlist.segments
    disc_seq = playlist.discontinuity_seq
    if playlist.live and len(segments) > LIVE_EDGE_SEGMENTS:
        dropped = segments[:-LIVE_EDGE_SEGMENTS]
        disc_seq += sum("#EXT-X-DISCONTINUITY" in s.tags for s in dropped)
        segments = segments[-LIVE_EDGE_SEGMENTS:]
    out = ["#EXTM3U", *playlist.header]
    out.append(f"#EXT-X-MEDIA-SEQUENCE:{segments[0].seq if segments else 0}")
    if disc_seq:
        out.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{disc_seq}")
    for s in segments:
        out += s.tags
        out.append(f"#EXTINF:{s.duration:.3f},")
        out.append(name(s))
    if playlist.ended:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


def expiry(playlist: MediaPlaylist, parse: Callable[[str], float | None]) -> float | None:
    """When the earliest of its segment URLs expires (by `parse`, e.g.
    tui.core.expiry.parse_url_expiry), or None when they name no expiry."""
    times = [t for t in (parse(s.uri) for s in playlist.segments) if t is not None]
    return min(times) if times else None
