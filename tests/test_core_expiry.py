from __future__ import annotations

import calendar

import pytest

from tui.core.expiry import parse_url_expiry


@pytest.mark.parametrize("url, expected", [
    ("https://r1.googlevideo.com/videoplayback?expire=1795367789&ei=x&sig=abc", 1795367789),
    ("https://d1.cloudfront.net/a.mp4?Expires=1700000000&Signature=x&Key-Pair-Id=K", 1700000000),
    ("https://cdn.example/x.m4a?exp=1700000123&token=abc", 1700000123),
    ("https://cdn.example/x?hdnts=exp=1700000456~acl=/*~hmac=ff", 1700000456),
    ("https://r1.googlevideo.com/videoplayback/expire/1795367790/ei/x/sig/abc", 1795367790),
])
def test_absolute_expiry_forms(url: str, expected: int) -> None:
    assert parse_url_expiry(url) == expected


def test_aws_sigv4_is_date_plus_lifetime() -> None:
    url = ("https://b.s3.amazonaws.com/k.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Date=20261122T100000Z&X-Amz-Expires=3600&X-Amz-Signature=ab")
    assert parse_url_expiry(url) == calendar.timegm((2026, 11, 22, 10, 0, 0)) + 3600


def test_google_v4_is_date_plus_lifetime() -> None:
    url = "https://storage.googleapis.com/b/o?X-Goog-Date=20261122T000000Z&X-Goog-Expires=60"
    assert parse_url_expiry(url) == calendar.timegm((2026, 11, 22, 0, 0, 0)) + 60


@pytest.mark.parametrize("url", [
    "https://example.com/a.mp3",
    "https://example.com/a.mp3?expire=soon",
    "https://example.com/a.mp3?expire=12",          # not a plausible Unix time
    "https://example.com/a.mp3?X-Amz-Date=garbage&X-Amz-Expires=60",
])
def test_no_readable_expiry(url: str) -> None:
    assert parse_url_expiry(url) is None


def test_a_cached_answer_tells_the_time_by_its_date_and_age() -> None:
    from email.utils import formatdate

    from tui.core.expiry import server_clock_offset

    now = 1_800_000_000.0
    made = formatdate(now - 400, usegmt=True)       # kept by a cache for 100 s, made by a
    assert server_clock_offset(made, now, "100") == -300.0   # server 5 min behind
    assert server_clock_offset(made, now) == -400.0
    assert server_clock_offset(made, now, "soon") == -400.0  # an Age that is no number
    assert server_clock_offset(made, now, "9" * 40) == -400.0
