"""The config file's schema: every option, its type, range, default and meaning. The default
file, `ytplay config show`, the README's option list and validation all come from here.

Each table is a msgspec Struct; an option's meaning and constraints are in its annotation's
`msgspec.Meta` (description, ge/gt/le, pattern, min_length; extra "means" says a pattern in
words, extra "check" is a function that raises ValueError for a value it refuses). A table's
`__post_init__` makes the checks that involve several of its options. tui/config/convert.py
reads all this to check a file and report every error, not only the first.

msgspec, not pydantic: it is loaded at start anyway (tui/session/store/_read_back.py), and the
config is kept checked for the whole run (start, live reload, the in-app editor), where
pydantic and its models cost ~12 MiB of a process that should cost what mpv costs."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, field

from tui.core.ranges import parse_size

from .ui_names import THEMES

Scalar = str | int | float | bool


def _pattern(regex: str, means: str) -> Meta:
    """A string's pattern, and what it asks for in words: an error says "must be <means>".
    Patterns end with \\Z, not $: $ would let a trailing newline through."""
    return Meta(pattern=regex, extra={"means": means})


Name = Annotated[str, _pattern(r"^[A-Za-z][A-Za-z0-9_-]*\Z",
                               "a name: a letter, then letters, digits, _ or -")]
HttpUrl = Annotated[str, _pattern(r"^https?://", "an http:// or https:// URL")]
Origin = Annotated[str, _pattern(r"^https?://[^/?#@\s]+/?\Z",
                                 "an origin: http(s)://host[:port], no path")]
EnvName = Annotated[str, _pattern(r"^[A-Za-z_][A-Za-z0-9_]*\Z", "an environment "
                                  "variable's name: letters, digits and _, not first a digit")]
Scope = Annotated[str, _pattern(r"^[!#-\[\]-~]+\Z", "a scope: printable ASCII, no space, "
                                '" or \\')]
NonEmpty = Annotated[str, Meta(min_length=1)]
Grant = Literal["device_code", "password", "client_credentials", "refresh_token"]


class Section(msgspec.Struct, forbid_unknown_fields=True):
    """A table of the file: a key it does not know is an error (a typo would otherwise be
    silently ignored)."""


class PlaybackSection(Section):
    """How libmpv plays."""

    audio_output: Annotated[str, Meta(description='libmpv audio output; "auto" lets libmpv '
                                      'choose and falls back to silence when no device '
                                      'works, "null" plays silently')] = "auto"
    audio_device: Annotated[str, Meta(description='libmpv audio device, e.g. '
                                      '"alsa/hdmi"')] = "auto"
    volume: Annotated[int, Meta(ge=0, le=130, description="volume at start, 0-130")] = 100
    video: Annotated[bool, Meta(description="open a video window when a display "
                                "exists")] = False
    resume_threshold: Annotated[int, Meta(ge=0, le=86400, description="items longer than "
                                          "this many seconds remember where you left "
                                          "them")] = 600
    resolve_ahead: Annotated[int, Meta(ge=0, le=20, description="items after the current "
                                       "one that yt-dlp resolves in the background, so the "
                                       "next starts at once")] = 3
    gapless: Annotated[bool, Meta(description="hand the next item to libmpv while this one "
                                  "plays: it opens it early and moves on without a "
                                  "gap")] = True


class RetrySection(Section):
    """Transient failures: exponential backoff with full jitter, within a global budget."""

    attempts: Annotated[int, Meta(ge=1, le=20, description="tries in all, the first "
                                  "included")] = 4
    base: Annotated[float, Meta(gt=0, le=60, description="seconds, the first backoff "
                                "ceiling")] = 0.5
    cap: Annotated[float, Meta(gt=0, le=600, description="seconds, the largest "
                               "backoff")] = 8.0
    budget: Annotated[int, Meta(ge=1, le=10000, description="retries all requests together "
                                "may make at once; refilled at budget_refill per "
                                "second")] = 20
    budget_refill: Annotated[float, Meta(ge=0, le=100, description="retries added back to "
                                         "the budget per second")] = 0.5
    retry_after_cap: Annotated[float, Meta(ge=0, le=3600, description="longest Retry-After "
                                           "(seconds) honoured")] = 60.0

    def __post_init__(self) -> None:
        if self.base > self.cap:
            raise ValueError(f"base ({self.base}) must not exceed cap ({self.cap})")


class RefreshSection(Section):
    """When credentials are renewed: a window before they expire."""

    window: Annotated[float, Meta(ge=0, le=86400, description="seconds before expiry to "
                                  "refresh, at least")] = 60.0
    fraction: Annotated[float, Meta(ge=0, le=0.5, description="or this share of the "
                                    "lifetime, whichever is larger (never more than half "
                                    "the lifetime)")] = 0.2
    jitter: Annotated[float, Meta(ge=0, le=0.5, description="up to this share of the window "
                                  "is taken off at random")] = 0.1


class ServiceSection(Section, kw_only=True):  # required fields after kind, which has a default
    """A media service that speaks ytplay's session protocol (docs/PROTOCOL.md)."""

    name: Annotated[Name, Meta(description="used in queue references: name:media_id")]
    kind: Annotated[Literal["session-api"], Meta(description="the protocol")] = "session-api"
    base_url: Annotated[HttpUrl, Meta(description="the service's base URL")]
    client_id: Annotated[NonEmpty, Meta(description="OAuth client id")]
    username: Annotated[NonEmpty, Meta(description="who logs in")]
    password_env: Annotated[str | None, Meta(description="environment variable holding the "
                                             "password; without it a login dialog asks "
                                             "once")] = None
    media_origins: Annotated[list[HttpUrl], Meta(
        description="other origins (https://cdn.example) whose media get the service's "
        "bearer token; its own origin always does, no other ever")] = field(default_factory=list)


class OAuth2ServiceSection(Section, kw_only=True):
    """Media behind a standard OAuth 2.0 server (RFC 6749/6750): plain URLs under
    `media_origins` play through the loopback proxy with the bearer token attached."""

    name: Annotated[Name, Meta(description="names the service in the panels and in "
                               "`ytplay login NAME`")]
    kind: Annotated[Literal["oauth2"], Meta(description="the protocol")]
    token_url: Annotated[HttpUrl, Meta(description="the token endpoint")]
    device_url: Annotated[HttpUrl | None, Meta(description="the device authorization "
                                               'endpoint (RFC 8628); needed for grant = '
                                               '"device_code"')] = None
    client_id: Annotated[NonEmpty, Meta(description="OAuth client id")]
    client_secret_env: Annotated[EnvName | None, Meta(description="environment variable "
                                                      "holding the client secret "
                                                      "(confidential clients only; never "
                                                      "in this file)")] = None
    scopes: Annotated[list[Scope], Meta(description="scopes to ask for")] = \
        field(default_factory=list)
    grant: Annotated[Grant, Meta(description='how to log in: "device_code" (open a URL, '
                                 'enter a code: the dialog or `ytplay login NAME`), '
                                 '"password", "client_credentials" or "refresh_token" (one '
                                 'from refresh_token_env)')] = "device_code"
    username: Annotated[NonEmpty | None, Meta(description='who logs in (grant = '
                                              '"password")')] = None
    password_env: Annotated[EnvName | None, Meta(description='environment variable holding '
                                                 'the password (grant = "password"); '
                                                 'without it a login dialog asks '
                                                 'once')] = None
    refresh_token_env: Annotated[EnvName | None, Meta(description='environment variable '
                                                      'holding a refresh token to start '
                                                      'from (grant = "refresh_token"); '
                                                      'rotated ones are stored')] = None
    media_origins: Annotated[list[Origin], Meta(min_length=1, description="origins "
                                                "(https://media.example) whose URLs get "
                                                "the bearer token; no other ever does")]

    def __post_init__(self) -> None:
        needs = {"device_code": "device_url", "password": "username",
                 "client_credentials": "client_secret_env",
                 "refresh_token": "refresh_token_env"}[self.grant]
        if getattr(self, needs) is None:
            raise ValueError(f'grant = "{self.grant}" needs {needs}')


# A [[services]] table is one of these, by the `kind` it names; one that names none is of
# the kind whose `kind` has a default (the session protocol). tui/config/convert.py tells
# them apart so.
AnyService = ServiceSection | OAuth2ServiceSection
SERVICE_KINDS: dict[str, type[Section]] = {"session-api": ServiceSection,
                                           "oauth2": OAuth2ServiceSection}


class YtdlpFallback(Section):
    """Another way for yt-dlp to resolve, for when a fresh URL is refused at once."""

    extractor_args: Annotated[dict[str, dict[str, list[str]]], Meta(
        description="yt-dlp extractor arguments by extractor, e.g. "
        '{youtube = {player_client = ["web"]}}')] = field(default_factory=dict)
    format: Annotated[str | None, Meta(description="another yt-dlp format selector")] = None


class YtdlpSection(Section):
    """yt-dlp, which resolves URLs."""

    format: Annotated[str, Meta(description="yt-dlp format selector (with playback.video, "
                                '"best" is used)')] = "bestaudio/best"
    cookies_file: Annotated[str, Meta(description="a Netscape cookies file for sites that "
                                      "need a login; empty for none")] = ""
    # Any TOML value: YoutubeDL takes tables (extractor_args, http_headers) and lists too.
    extra: Annotated[dict[str, Any], Meta(
        description="more yt-dlp options (YoutubeDL parameters), passed through as written, "
        "tables too, e.g. extractor_args = {youtube = {player_client = "
        '["web"]}}, http_headers = {"Accept-Language" = "en"}')] = field(default_factory=dict)
    fallbacks: Annotated[list[YtdlpFallback], Meta(
        description="when a freshly resolved URL is refused (403) at its first request, it "
        "is resolved again with the next of these, in order, once each, e.g. "
        '[{extractor_args = {youtube = {player_client = ["web"]}}}, {format = "18"}]; when '
        "all are used up the item fails with the reason")] = field(default_factory=list)


def _theme(name: str) -> None:
    if name not in THEMES:
        close = difflib.get_close_matches(name, THEMES, n=1)
        hint = (f"did you mean {close[0]!r}?" if close else
                f"the themes are {', '.join(THEMES)}")
        raise ValueError(f"not a Textual theme; {hint}")


class UiSection(Section):
    """The screen."""

    theme: Annotated[str, Meta(extra={"check": _theme}, description='a Textual theme, e.g. '
                               '"nord", "gruvbox", "textual-light" (`ytplay config check` '
                               'lists them all)')] = "textual-dark"
    mpris: Annotated[bool, Meta(description="media keys, status bars and playerctl through "
                                "MPRIS on the D-Bus session bus")] = True
    panels: Annotated[list[Literal["session", "events", "retries"]], Meta(
        description='which panels show, of "session", "events", "retries"')] = \
        field(default_factory=lambda: ["session", "events", "retries"])
    cover: Annotated[Literal["auto", "off"], Meta(
        description='cover art in Now Playing: "auto" shows it where there is room (kitty '
        'graphics, sixel or coloured half-blocks, as the terminal can), "off" never')] = "auto"


class CacheSection(Section):
    """The media cache: what plays is kept on disk, so it plays again without the network."""

    enabled: Annotated[bool, Meta(description="keep what plays in the media cache and play "
                                  "cached items from it")] = True
    max_size: Annotated[str | int, Meta(extra={"check": parse_size},  # says what to write
                                        description='the most the cache may hold: "4GB", '
                                        '"500MB" or a number of bytes; the least recently '
                                        "played go first, never what plays or is "
                                        "downloaded")] = "4GB"
    dir: Annotated[str, Meta(description="where the cache lives; empty for the user cache "
                             "directory")] = ""

    @property
    def max_bytes(self) -> int:
        return parse_size(self.max_size)


Listen = Annotated[str, _pattern(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}\Z",
                                 "HOST:PORT, e.g. 127.0.0.1:8766 or [::1]:8766")]
HostName = Annotated[str, _pattern(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\Z",
                                   "a host name or an IPv4 address, e.g. mybox.lan")]


class ServeSection(Section):
    """`ytplay serve`: stable URLs for other players (MPD, VLC, mpv, Kodi); docs/SERVE.md."""

    listen: Annotated[Listen, Meta(description="where it listens, HOST:PORT; an address "
                                   "beyond loopback needs expose = true")] = "127.0.0.1:8766"
    expose: Annotated[bool, Meta(description="allow listening beyond loopback: whoever "
                                 "reaches the port and holds a URL (its secret) plays what "
                                 "your accounts and cookies can, over plain HTTP")] = False
    names: Annotated[list[HostName], Meta(
        description="host names players reach it by, beyond IP addresses and localhost "
        "(requests naming another host are refused, against DNS rebinding); the first is "
        "the host of the URLs `ytplay url` prints")] = field(default_factory=list)
    max_clients: Annotated[int, Meta(ge=1, le=256, description="requests answered at once; "
                                     "past that, 503 with Retry-After")] = 16


class LogSection(Section):
    """The log file."""

    level: Annotated[Literal["debug", "info", "warning", "error"],
                     Meta(description="what is logged")] = "info"
    file: Annotated[str, Meta(description="the log file; empty for the user log "
                              "directory")] = ""


class Config(Section):
    playback: PlaybackSection = field(default_factory=PlaybackSection)
    retry: RetrySection = field(default_factory=RetrySection)
    refresh: RefreshSection = field(default_factory=RefreshSection)
    services: list[AnyService] = field(default_factory=list)
    ytdlp: YtdlpSection = field(default_factory=YtdlpSection)
    mpv: Annotated[dict[str, Scalar], Meta(description="raw libmpv options, passed through "
                                           "and checked by asking libmpv")] = \
        field(default_factory=dict)
    keys: Annotated[dict[str, str], Meta(description='key bindings by action id, e.g. next = '
                                         '"n,ctrl+right"')] = field(default_factory=dict)
    ui: UiSection = field(default_factory=UiSection)
    log: LogSection = field(default_factory=LogSection)
    cache: CacheSection = field(default_factory=CacheSection)
    serve: ServeSection = field(default_factory=ServeSection)


SECTIONS: dict[str, type[Section]] = {
    "playback": PlaybackSection, "retry": RetrySection, "refresh": RefreshSection,
    "ytdlp": YtdlpSection, "ui": UiSection, "log": LogSection,
    "cache": CacheSection, "serve": ServeSection,
}
# Changing these while ytplay runs takes a restart: the README marks them so. Live reload
# says the same from its own list (runtime_config.LIVE); tests/test_live_config.py checks
# that the two agree.
NEEDS_RESTART = ("playback.audio_output", "playback.audio_device", "playback.video", "mpv",
                 "log", "cache", "serve")
