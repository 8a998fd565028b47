from __future__ import annotations

from tui.core.redact import redact, redact_tree, secret_name


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


def test_headers_that_carry_credentials() -> None:
    """As libmpv's http-header-fields lists them, as a line, and as a dict is printed."""
    fields = ("Authorization: Bearer abc.def,Cookie: sid=s3cr3t; theme=dark,X-Api-Key: k3y,"
              "X-Auth-Token: t0k,Proxy-Authorization: Basic cHc=,Accept-Language: en")
    text = redact(fields)
    for secret in ("abc.def", "s3cr3t", "k3y", "t0k", "cHc="):
        assert secret not in text, text
    assert text.endswith(",Accept-Language: en") and text.count("***") == 5
    assert redact("sent Set-Cookie: a=1") == "sent Set-Cookie: ***"
    assert redact("{'Cookie': 'a=1', 'User-Agent': 'me'}") == "{'Cookie': '***', 'User-Agent': 'me'}"


def test_a_setting_named_for_a_credential_and_one_that_names_where_it_is() -> None:
    for name in ("password", "videopassword", "ap_password", "api_key", "X-Api-Key", "apikey",
                 "Authorization", "X-Auth-Token", "client_secret", "Cookie", "cookiesfrombrowser"):
        assert secret_name(name), name
    for name in ("username", "cookies_file", "password_env", "client_secret_env", "token_url",
                 "keys", "geo_bypass", "keepvideo", "author", "http-header-fields"):
        assert not secret_name(name), name


def test_settings_are_redacted_by_name_and_by_what_their_text_holds() -> None:
    settings = {
        "mpv": {"http-header-fields": "Authorization: Bearer abc,X-Trace: 1", "cache": "yes"},
        "ytdlp": {"cookies_file": "~/cookies.txt", "extra": {
            "videopassword": "pw1", "proxy": "http://me:pw2@proxy:3128",
            "http_headers": {"Cookie": "pw3", "Accept": "*/*"}, "cookies": {"a": ["pw4"]}}},
        "services": [{"password_env": "PW", "token_url": "https://auth/token?x=1"}],
        "keys": {"next": "x"}, "empty": {"password": ""},
    }
    shown = redact_tree(settings)
    assert not any(pw in repr(shown) for pw in ("abc", "pw1", "pw2", "pw3", "pw4"))
    assert shown["mpv"] == {"http-header-fields": "Authorization: ***,X-Trace: 1",
                            "cache": "yes"}
    assert shown["ytdlp"]["extra"]["http_headers"] == {"Cookie": "***", "Accept": "*/*"}
    assert shown["ytdlp"]["cookies_file"] == "~/cookies.txt"
    assert shown["services"] == settings["services"] and shown["keys"] == {"next": "x"}
    assert shown["empty"] == {"password": ""}  # none set, and it says so
