"""yt-dlp's failures, provoked by a real yt-dlp extractor plugin made for the tests
(tests/ytdlp_plugin) against a real site on loopback (tests/misbehaving_site.py), through
the real resolver, session manager, proxy and libmpv (ao=null):
- the item's own faults (private, geo-blocked, login needed, unavailable, unsupported URL)
  fail the item once with the reason in plain words, never retried;
- the network's (HTTP 503) are retried with the retry policy's backoff, then play;
- a fresh URL refused with 403 at its first request is resolved again with the next
  `[ytdlp] fallbacks`, said in the retry log, and plays; with none left the item fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Recorder, counting_player
from tests.misbehaving_site import MisbehavingSite, load_plugin
from tui.core.extraction import (Extraction, ExtractionError, ExtractionFacts,
                                 classify_extraction, reason)
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.retry import RetryPolicy
from tui.factory import make_session
from tui.session.playback import Playback

CLIENT_ARGS = "ytplaymisbehaving"  # the plugin's extractor, as extractor_args names it


@pytest.fixture
async def site(tmp_path: Path):
    load_plugin()
    s = MisbehavingSite(tmp_path)
    await s.start()
    yield s
    await s.stop()


def _resolver(fallbacks: list[dict] = ()):  # type: ignore[assignment]
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    return YtDlpResolver(fallbacks=fallbacks)


@pytest.fixture
async def rigs(site: MisbehavingSite):
    """Builds playback over the real session manager and proxy, libmpv with ao=null, and
    a resolver with the given `[ytdlp] fallbacks`."""
    built: list = []

    def build(fallbacks: list[dict] = ()):  # type: ignore[assignment]
        resolver = _resolver(list(fallbacks))
        session = make_session(resolver, policy=RetryPolicy(base=0.05, cap=0.2))
        player = counting_player([], ao="null")
        pb = Playback(player, session)
        rec = Recorder(pb.bus)
        pb.attach()
        built.append((pb, player, resolver))
        return site, session, pb, rec
    yield build
    for pb, player, resolver in built:
        await pb.aclose()
        player.close()
        resolver.close()


# --- the resolver alone ----------------------------------------------------------------------

DETERMINISTIC = {
    "private": (Extraction.PRIVATE, "private"),
    "geo": (Extraction.GEO_BLOCKED, "not available in this country (geo-blocked)"),
    "login": (Extraction.LOGIN, "needs a login"),
    "unavailable": (Extraction.UNAVAILABLE, "unavailable (removed, or never there)"),
}


@pytest.mark.parametrize("command", sorted(DETERMINISTIC))
async def test_the_items_own_faults_are_classified(site: MisbehavingSite, command: str) -> None:
    kind, words = DETERMINISTIC[command]
    resolver = _resolver()
    try:
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(site.url(command, "a1"))
    finally:
        resolver.close()
    assert e.value.kind is kind and not e.value.transient
    assert str(e.value).startswith(words) and "ERROR" not in str(e.value)


async def test_a_url_no_extractor_supports_is_unsupported(site: MisbehavingSite) -> None:
    resolver = _resolver()
    try:
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(f"http://127.0.0.1:{site.port}/ytplay-test/not-a-page")
    finally:
        resolver.close()
    assert e.value.kind in (Extraction.UNSUPPORTED, Extraction.UNAVAILABLE)
    assert not e.value.transient


async def test_a_format_the_page_does_not_have_is_not_called_unavailable(
        site: MisbehavingSite) -> None:
    """`[ytdlp] format` asking for what the page does not offer: the item is there, so
    "unavailable (removed, or never there)" would send the user looking in the wrong place
    (yt-dlp's "Requested format is not available" matched "is not available")."""
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    resolver = YtDlpResolver(options={"format": "bestvideo[height>9999]"})
    try:
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(site.url("ok", "fmt1"))
    finally:
        resolver.close()
    assert "Requested format is not available" in str(e.value)
    assert e.value.kind is Extraction.FORMAT and not e.value.transient
    assert str(e.value).startswith("no format that [ytdlp] format asks for"), str(e.value)


async def test_tables_in_ytdlp_extra_reach_youtubedl(site: MisbehavingSite,
                                                     tmp_path: Path) -> None:
    """`[ytdlp] extra` passes tables through as YoutubeDL takes them: extractor_args picks
    the player client the site serves (the plugin reads it), http_headers go with the
    stream. The config refused both before (only plain values)."""
    from tui.adapters.ytdlp_resolver import YtDlpResolver
    from tui.config import store
    from tui.runtime_config import ytdlp_options

    path = tmp_path / "config.toml"
    path.write_text(f"""[ytdlp.extra]
extractor_args = {{{CLIENT_ARGS} = {{player_client = ["web"]}}}}
http_headers = {{"X-Ytplay-Test" = "yes"}}
""")
    site.accept_client = "web"
    resolver = YtDlpResolver(options=ytdlp_options(store.load(path)))
    try:
        info = await resolver.resolve(site.url("ok", "t1"))
    finally:
        resolver.close()
    assert info.url.endswith("client=web")
    assert info.headers.get("X-Ytplay-Test") == "yes"


async def test_a_503_is_transient(site: MisbehavingSite) -> None:
    site.failures["b1"] = 1
    resolver = _resolver()
    try:
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(site.url("ok", "b1"))
        assert e.value.transient and e.value.status == 503 and not e.value.unreachable
        assert (await resolver.resolve(site.url("ok", "b1"))).title == "Item b1"
    finally:
        resolver.close()


# --- through the session and libmpv ----------------------------------------------------------

@pytest.mark.timeout(90)
@pytest.mark.parametrize("command", sorted(DETERMINISTIC))
async def test_a_deterministic_failure_fails_the_item_once_and_moves_on(rigs, command: str) -> None:
    site, session, pb, rec = rigs()
    pb.add([site.url(command, "c1"), site.url("ok", "c2")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, timeout=30)
    item = pb.queue[0]
    assert item.status is ItemStatus.FAILED
    assert item.reason is not None and DETERMINISTIC[command][1] in item.reason
    assert site.hits["c1"] == 1  # resolved once: never retried
    assert not any(e.action.startswith("retrying") for e in rec.session_events)


@pytest.mark.timeout(90)
async def test_a_network_failure_is_retried_then_plays(rigs) -> None:
    site, session, pb, rec = rigs()
    site.failures["d1"] = 2
    pb.add([site.url("ok", "d1")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, timeout=30)
    assert site.hits["d1"] == 3
    retries = [e for e in rec.session_events if e.action == "retrying"
               and e.resource.startswith("resolving")]
    assert [(e.attempt, e.failure) for e in retries] == [(2, "transient"), (3, "transient")]
    assert pb.queue[0].status is not ItemStatus.FAILED


@pytest.mark.timeout(90)
async def test_a_network_failure_that_outlasts_the_retries_holds_the_item(rigs) -> None:
    site, session, pb, rec = rigs()
    site.failures["h1"] = 100
    pb.add([site.url("ok", "h1")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.HOLDING, timeout=30)
    assert site.hits["h1"] == session.policy.attempts
    assert "a network or server problem" in (rec.now.status or "")
    assert pb.queue[0].status is not ItemStatus.FAILED  # not the item's fault


@pytest.mark.timeout(90)
async def test_a_403_at_the_first_request_falls_back_and_plays(rigs) -> None:
    site, session, pb, rec = rigs([{"extractor_args": {CLIENT_ARGS: {"player_client": ["tv"]}}},
                                   {"extractor_args": {CLIENT_ARGS: {"player_client": ["web"]}}}])
    site.accept_client = "web"
    pb.add([site.url("ok", "e1")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 0.5, timeout=40)
    said = [e.text for e in rec.session_events]
    assert any("403 on first request; retrying with fallback 1/2: player_client=tv" in t
               for t in said), said
    assert any("403 on first request; retrying with fallback 2/2: player_client=web" in t
               for t in said), said
    assert site.refused[:2] == ["android", "tv"]
    assert site.hits["e1"] == 3  # the options, then each fallback: once each
    lease = next(lease for lease in session.book.values() if "Item e1" in lease.owner)
    assert lease.last_error == "403 on first request; fallback 2/2: player_client=web"


@pytest.mark.timeout(90)
async def test_a_403_with_every_fallback_fails_the_item(rigs) -> None:
    site, session, pb, rec = rigs([{"extractor_args": {CLIENT_ARGS: {"player_client": ["web"]}}}])
    site.accept_client = "nobody"
    pb.add([site.url("ok", "f1")])
    pb.play(0)
    await rec.wait_for(lambda: pb.queue[0].status is ItemStatus.FAILED, timeout=40)
    assert "403 on its first request" in (pb.queue[0].reason or "")
    assert site.hits["f1"] == 2
    assert site.refused == ["android", "web"]
    assert any(e.action == "gave up" and e.failure == "deterministic"
               for e in rec.session_events)


# --- the classification itself (pure) --------------------------------------------------------

@pytest.mark.parametrize(("facts", "kind"), [
    (ExtractionFacts(frozenset({"HTTPError"}), "HTTP Error 429: Too Many Requests", 429),
     Extraction.NETWORK),
    (ExtractionFacts(frozenset({"HTTPError"}), "HTTP Error 502: Bad Gateway: not available",
                     502), Extraction.NETWORK),
    (ExtractionFacts(frozenset({"HTTPError"}), "HTTP Error 404: Not Found", 404),
     Extraction.UNAVAILABLE),
    (ExtractionFacts(frozenset({"TransportError"}), "Read timed out", None, True),
     Extraction.NETWORK),
    (ExtractionFacts(frozenset({"TransportError", "SSLError", "CertificateVerifyError"}),
                     "certificate verify failed", None, True), Extraction.OTHER),
    (ExtractionFacts(frozenset(), "Join this channel to get access to members-only content"),
     Extraction.LOGIN),
    (ExtractionFacts(frozenset({"UnsupportedError"}), "Unsupported URL: https://x"),
     Extraction.UNSUPPORTED),
])
def test_what_yt_dlp_says_is_sorted(facts: ExtractionFacts, kind: Extraction) -> None:
    assert classify_extraction(facts) is kind


def test_the_reason_is_cleaned_and_redacted() -> None:
    said = "Private video \x1b]8;;http://evil\x07x\x1b]8;;\x07 at https://h/v?sig=SECRET123&x=1"
    text = reason(Extraction.PRIVATE, said)
    assert text.startswith("private — ") and "\x1b" not in text and "SECRET123" not in text
