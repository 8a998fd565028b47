"""HLS playlists as the relay reads and rewrites them (tui/core/hls.py): pure, no I/O."""

from __future__ import annotations

import re

import pytest

from tui.core.expiry import parse_url_expiry
from tui.core.hls import (LIVE_EDGE_SEGMENTS, PlaylistError, choose_variant, expiry,
                          for_player, is_master, parse_master, parse_media)

BASE = "https://cdn.example/v/abc/audio.m3u8?token=t"

VOD = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-PLAYLIST-TYPE:VOD
#EXTINF:2.000,
seg10.ts?expire=1800000100&sig=a
#EXT-X-DISCONTINUITY
#EXTINF:1.500,
/abs/seg11.ts?expire=1800000050&sig=b
#EXT-X-KEY:METHOD=AES-128,URI="key.bin"
#EXTINF:2.000,title
https://other.example/seg12.aac
#EXT-X-ENDLIST
"""


def _live(first: int, count: int) -> str:
    body = "".join(f"#EXTINF:1.0,\n{n}.ts?expire=1800000000&sig=s{n}\n"
                   for n in range(first, first + count))
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:{first}\n{body}"


def test_segments_are_numbered_from_the_media_sequence_with_absolute_uris() -> None:
    p = parse_media(VOD, BASE)
    assert [s.seq for s in p.segments] == [10, 11, 12]
    assert p.segments[0].uri == "https://cdn.example/v/abc/seg10.ts?expire=1800000100&sig=a"
    assert p.segments[1].uri == "https://cdn.example/abs/seg11.ts?expire=1800000050&sig=b"
    assert p.segments[2].uri == "https://other.example/seg12.aac"
    assert [s.duration for s in p.segments] == [2.0, 1.5, 2.0]
    assert p.ended and not p.live
    assert p.segment(11) is p.segments[1] and p.segment(9) is None and p.segment(13) is None


def test_segment_tags_stay_with_their_segment_and_their_uris_become_absolute() -> None:
    p = parse_media(VOD, BASE)
    assert p.segments[1].tags == ("#EXT-X-DISCONTINUITY",)
    assert p.segments[2].tags == ('#EXT-X-KEY:METHOD=AES-128,URI="https://cdn.example/v/abc/key.bin"',)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in p.header and "#EXT-X-TARGETDURATION:2" in p.header


def test_the_player_gets_stable_names_and_the_same_segments() -> None:
    p = parse_media(VOD, BASE)
    text = for_player(p, lambda s: f"{s.seq}.{s.extension}")
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    assert [line for line in lines if not line.startswith("#")] == ["10.ts", "11.ts", "12.aac"]
    assert "#EXT-X-MEDIA-SEQUENCE:10" in lines
    assert not [s.uri for s in p.segments if s.uri in text]  # no upstream segment URL
    # What libmpv is given reads back as the same segments.
    again = parse_media(text, "http://127.0.0.1:1/s/k/index.m3u8")
    assert [(s.seq, s.duration, s.tags) for s in again.segments] == \
        [(s.seq, s.duration, s.tags) for s in p.segments]


def test_a_live_playlist_is_offered_from_its_edge() -> None:
    p = parse_media(_live(100, 6), BASE)
    assert p.live
    text = for_player(p, lambda s: f"{s.seq}.ts")
    offered = [line for line in text.splitlines() if not line.startswith("#")]
    assert offered == [f"{n}.ts" for n in range(106 - LIVE_EDGE_SEGMENTS, 106)]
    assert f"#EXT-X-MEDIA-SEQUENCE:{106 - LIVE_EDGE_SEGMENTS}" in text
    assert "#EXT-X-ENDLIST" not in text


def test_cutting_a_live_playlist_keeps_the_discontinuity_count() -> None:
    text = _live(0, 6).replace("#EXTINF:1.0,\n1.ts", "#EXT-X-DISCONTINUITY\n#EXTINF:1.0,\n1.ts")
    out = for_player(parse_media(text, BASE), lambda s: f"{s.seq}.ts")
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in out


def test_byte_ranges_follow_on_from_the_previous_range_of_the_same_uri() -> None:
    text = ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@0\nall.ts\n"
            "#EXTINF:2,\n#EXT-X-BYTERANGE:500\nall.ts\n#EXT-X-ENDLIST\n")
    p = parse_media(text, BASE)
    assert [s.byterange for s in p.segments] == [(0, 1000), (1000, 500)]
    assert all("BYTERANGE" not in tag for s in p.segments for tag in s.tags)


def test_the_earliest_segment_expiry_is_the_playlists() -> None:
    assert expiry(parse_media(VOD, BASE), parse_url_expiry) == 1800000050
    assert expiry(parse_media(VOD.replace("expire", "x"), BASE), parse_url_expiry) is None


MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=1280x720
video/720.m3u8?sig=v
#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.5"
audio/low.m3u8?sig=l
#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"
audio/high.m3u8?sig=h
"""


def test_audio_plays_the_best_audio_only_variant_video_the_best() -> None:
    assert is_master(MASTER) and not is_master(VOD)
    variants = parse_master(MASTER, "https://cdn.example/m/master.m3u8")
    assert choose_variant(variants).uri == "https://cdn.example/m/audio/high.m3u8?sig=h"
    assert choose_variant(variants, video=True).uri == "https://cdn.example/m/video/720.m3u8?sig=v"
    # No audio-only variant: the best there is.
    no_codecs = MASTER.replace(',CODECS="mp4a.40.5"', "").replace(',CODECS="mp4a.40.2"\n', "\n")
    assert choose_variant(parse_master(no_codecs, BASE)).bandwidth == 2000000


@pytest.mark.parametrize("text", [
    "", "<html>not a playlist</html>", "#EXTM3U\nseg.ts\n",            # no #EXTINF
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:x\n", "#EXTM3U\n#EXTINF:abc,\na.ts\n",
    "#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:12\na.ts\n",                # no offset to follow
    # Hostile: digits str.isdigit() takes and int() does not (a ValueError, not a
    # PlaylistError: the proxy answered 500 with a traceback), a sequence number no
    # segment name can carry, durations that are negative or not numbers at all.
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:\u00b2\n#EXTINF:1,\na.ts\n",
    "#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:\u00b3@0\na.ts\n",
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:" + "9" * 40 + "\n#EXTINF:1,\na.ts\n",
    "#EXTM3U\n#EXTINF:-5,\na.ts\n", "#EXTM3U\n#EXTINF:nan,\na.ts\n",
    "#EXTM3U\n#EXTINF:inf,\na.ts\n", "#EXTM3U\n#EXTINF:1e309,\na.ts\n",
])
def test_what_is_not_a_relayable_playlist_says_so(text: str) -> None:
    with pytest.raises(PlaylistError):
        parse_media(text, BASE)


def test_a_master_without_variants_says_so() -> None:
    with pytest.raises(PlaylistError):
        parse_master("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", BASE)


def test_odd_digits_where_a_number_is_optional_count_as_none() -> None:
    variants = parse_master("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=\u00b2\na.m3u8\n", BASE)
    assert [v.bandwidth for v in variants] == [0]
    text = "#EXTM3U\n#EXT-X-DISCONTINUITY-SEQUENCE:\u00b9\n#EXTINF:1,\na.ts\n"
    assert parse_media(text, BASE).discontinuity_seq == 0


@pytest.mark.parametrize("uri, ext", [
    ("seg/1.ts?sig=x", "ts"), ("seg/1.M4S", "m4s"), ("seg/1", "ts"), ("seg/1.toolong", "ts"),
    # str.isalnum() takes these; the proxy's route ([a-z0-9]{1,5}) does not: every segment
    # named so was answered 404
    ("seg/1.\uff54\uff53", "ts"), ("seg/1.\u00b2", "ts"),
])
def test_a_segment_is_named_by_an_extension_the_proxy_routes(uri: str, ext: str) -> None:
    text = f"#EXTM3U\n#EXTINF:1,\n{uri}\n#EXT-X-ENDLIST\n"
    [segment] = parse_media(text, BASE).segments
    assert segment.extension == ext
    assert re.fullmatch(r"[a-z0-9]{1,5}", segment.extension)
