from __future__ import annotations

from tui.core.redact import redact


def test_signatures_and_tokens_in_urls() -> None:
    text = redact("GET http://h/media/t1.wav?expire=1795367789&sig=deadbeef00&x=1 failed")
    assert "deadbeef00" not in text
    assert "expire=1795367789" in text and "x=1" in text


def test_signatures_in_the_path_as_youtube_puts_them() -> None:
    """YouTube's HLS manifests and segments carry their parameters in the path."""
    url = ("https://rr3---sn-a5m.googlevideo.com/videoplayback/id/abc.1/itag/140/expire/"
           "1700000000/sparams/expire,id,itag/sig/AJfQdSswRgIhAKsecret1/lsig/AG3C_secret2/"
           "playlist/index.m3u8/sq/5")
    text = redact(f"403 Forbidden from {url}")
    assert "secret1" not in text and "secret2" not in text, text
    assert "/expire/1700000000/" in text and "/sq/5" in text


def test_bearer_and_jwt() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"
    assert jwt not in redact(f"Authorization: Bearer {jwt}")
    assert jwt not in redact(f"token was {jwt}.")


def test_password_in_form_and_userinfo() -> None:
    assert "hunter2" not in redact("grant_type=password&username=a&password=hunter2")
    assert "hunter2" not in redact("https://alice:hunter2@media.example/x")


def test_proxy_secret_path() -> None:
    secret = "Zk3JqLw9VtA0xYbC8dEfGhIj"
    assert secret not in redact(f"http://127.0.0.1:4000/{secret}/t1")


def test_plain_text_unchanged() -> None:
    assert redact("playing Low Tide at 1:23") == "playing Low Tide at 1:23"
