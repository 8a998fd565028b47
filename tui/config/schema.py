"""The config file's schema: every option, its type, range, default and meaning. The default
file, `ytplay config show`, the README's option list and validation all come from here."""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag,
                      model_validator)

from tui.core.ranges import parse_size

from .ui_names import THEMES

Scalar = str | int | float | bool


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class PlaybackSection(Section):
    """How libmpv plays."""

    audio_output: str = Field("auto", description='libmpv audio output; "auto" lets libmpv '
                              'choose and falls back to silence when no device works, "null" '
                              "plays silently")
    audio_device: str = Field("auto", description='libmpv audio device, e.g. "alsa/hdmi"')
    volume: int = Field(100, ge=0, le=130, description="volume at start, 0-130")
    video: bool = Field(False, description="open a video window when a display exists")
    resume_threshold: int = Field(600, ge=0, le=86400, description="items longer than this "
                                  "many seconds remember where you left them")
    resolve_ahead: int = Field(3, ge=0, le=20, description="items after the current one that "
                               "yt-dlp resolves in the background, so the next starts at once")
    gapless: bool = Field(True, description="hand the next item to libmpv while this one "
                          "plays: it opens it early and moves on without a gap")


class RetrySection(Section):
    """Transient failures: exponential backoff with full jitter, within a global budget."""

    attempts: int = Field(4, ge=1, le=20, description="tries in all, the first included")
    base: float = Field(0.5, gt=0, le=60, description="seconds, the first backoff ceiling")
    cap: float = Field(8.0, gt=0, le=600, description="seconds, the largest backoff")
    budget: int = Field(20, ge=1, le=10000, description="retries all requests together may "
                        "make at once; refilled at budget_refill per second")
    budget_refill: float = Field(0.5, ge=0, le=100, description="retries added back to the "
                                 "budget per second")
    retry_after_cap: float = Field(60.0, ge=0, le=3600, description="longest Retry-After "
                                   "(seconds) honoured")

    @model_validator(mode="after")
    def _base_below_cap(self) -> "RetrySection":
        if self.base > self.cap:
            raise ValueError(f"base ({self.base}) must not exceed cap ({self.cap})")
        return self


class RefreshSection(Section):
    """When credentials are renewed: a window before they expire."""

    window: float = Field(60.0, ge=0, le=86400, description="seconds before expiry to "
                          "refresh, at least")
    fraction: float = Field(0.2, ge=0, le=0.5, description="or this share of the lifetime, "
                            "whichever is larger (never more than half the lifetime)")
    jitter: float = Field(0.1, ge=0, le=0.5, description="up to this share of the window is "
                          "taken off at random")


class ServiceSection(Section):
    """A media service that speaks ytplay's session protocol (docs/PROTOCOL.md)."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
                      description="used in queue references: name:media_id")
    kind: Literal["session-api"] = Field("session-api", description="the protocol")
    base_url: str = Field(pattern=r"^https?://", description="the service's base URL")
    client_id: str = Field(min_length=1, description="OAuth client id")
    username: str = Field(min_length=1, description="who logs in")
    password_env: str | None = Field(None, description="environment variable holding the "
                                     "password; without it a login dialog asks once")
    media_origins: list[Annotated[str, StringConstraints(pattern=r"^https?://")]] = Field(
        default_factory=list, description="other origins (https://cdn.example) whose media "
        "get the service's bearer token; its own origin always does, no other ever")


def _origin(text: str) -> str:
    if not re.fullmatch(r"https?://[^/?#@\s]+/?", text):
        raise ValueError("must be an origin: http(s)://host[:port], no path")
    return text


Origin = Annotated[str, AfterValidator(_origin)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Grant = Literal["device_code", "password", "client_credentials", "refresh_token"]


class OAuth2ServiceSection(Section):
    """Media behind a standard OAuth 2.0 server (RFC 6749/6750): plain URLs under
    `media_origins` play through the loopback proxy with the bearer token attached."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
                      description="names the service in the panels and in `ytplay login NAME`")
    kind: Literal["oauth2"] = Field(description="the protocol")
    token_url: str = Field(pattern=r"^https?://", description="the token endpoint")
    device_url: str | None = Field(None, pattern=r"^https?://", description="the device "
                                   'authorization endpoint (RFC 8628); needed for grant = '
                                   '"device_code"')
    client_id: str = Field(min_length=1, description="OAuth client id")
    client_secret_env: EnvName | None = Field(None, description="environment variable holding "
                                              "the client secret (confidential clients only; "
                                              "never in this file)")
    scopes: list[Annotated[str, StringConstraints(pattern=r"^[!#-\[\]-~]+$")]] = Field(
        default_factory=list, description="scopes to ask for")
    grant: Grant = Field("device_code", description='how to log in: "device_code" (open a URL, '
                         'enter a code: the dialog or `ytplay login NAME`), "password", '
                         '"client_credentials" or "refresh_token" (one from refresh_token_env)')
    username: str | None = Field(None, min_length=1, description='who logs in (grant = '
                                 '"password")')
    password_env: EnvName | None = Field(None, description='environment variable holding the '
                                         'password (grant = "password"); without it a login '
                                         'dialog asks once')
    refresh_token_env: EnvName | None = Field(None, description='environment variable holding '
                                              'a refresh token to start from (grant = '
                                              '"refresh_token"); rotated ones are stored')
    media_origins: list[Origin] = Field(min_length=1, description="origins "
                                        "(https://media.example) whose URLs get the bearer "
                                        "token; no other ever does")

    @model_validator(mode="after")
    def _grant_has_what_it_needs(self) -> "OAuth2ServiceSection":
        needs = {"device_code": "device_url", "password": "username",
                 "client_credentials": "client_secret_env",
                 "refresh_token": "refresh_token_env"}[self.grant]
        if getattr(self, needs) is None:
            raise ValueError(f'grant = "{self.grant}" needs {needs}')
        return self


def _service_kind(value: Any) -> str | None:
    """The `kind` a `[[services]]` table names; the session protocol when it names none."""
    if isinstance(value, dict):
        kind = value.get("kind", "session-api")
        return kind if isinstance(kind, str) else repr(kind)
    return getattr(value, "kind", None)


AnyService = Annotated[Union[Annotated[ServiceSection, Tag("session-api")],
                             Annotated[OAuth2ServiceSection, Tag("oauth2")]],
                       Discriminator(_service_kind)]
SERVICE_KINDS: dict[str, type[Section]] = {"session-api": ServiceSection,
                                           "oauth2": OAuth2ServiceSection}


class YtdlpFallback(Section):
    """Another way for yt-dlp to resolve, for when a fresh URL is refused at once."""

    extractor_args: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="yt-dlp extractor arguments by extractor, e.g. "
        '{youtube = {player_client = ["web"]}}')
    format: str | None = Field(None, description="another yt-dlp format selector")


class YtdlpSection(Section):
    """yt-dlp, which resolves URLs."""

    format: str = Field("bestaudio/best", description="yt-dlp format selector (with "
                        "playback.video, \"best\" is used)")
    cookies_file: str = Field("", description="a Netscape cookies file for sites that need a "
                              "login; empty for none")
    # Any TOML value: YoutubeDL takes tables (extractor_args, http_headers) and lists too.
    extra: dict[str, Any] = Field(default_factory=dict, description="more yt-dlp options "
                                  "(YoutubeDL parameters), passed through as written, tables "
                                  'too, e.g. extractor_args = {youtube = {player_client = '
                                  '["web"]}}, http_headers = {"Accept-Language" = "en"}')
    fallbacks: list[YtdlpFallback] = Field(
        default_factory=list, description="when a freshly resolved URL is refused (403) at "
        "its first request, it is resolved again with the next of these, in order, once "
        'each, e.g. [{extractor_args = {youtube = {player_client = ["web"]}}}, {format = '
        '"18"}]; when all are used up the item fails with the reason')


def _theme(name: str) -> str:
    if name not in THEMES:
        close = difflib.get_close_matches(name, THEMES, n=1)
        hint = (f"did you mean {close[0]!r}?" if close else
                f"the themes are {', '.join(THEMES)}")
        raise ValueError(f"not a Textual theme; {hint}")
    return name


class UiSection(Section):
    """The screen."""

    theme: Annotated[str, AfterValidator(_theme)] = Field(
        "textual-dark", description='a Textual theme, e.g. "nord", "gruvbox", '
        '"textual-light" (`ytplay config check` lists them all)')
    mpris: bool = Field(True, description="media keys, status bars and playerctl through MPRIS "
                        "on the D-Bus session bus")
    panels: list[Literal["session", "events", "retries"]] = Field(
        default_factory=lambda: ["session", "events", "retries"],
        description='which panels show, of "session", "events", "retries"')
    cover: Literal["auto", "off"] = Field(
        "auto", description='cover art in Now Playing: "auto" shows it where there is room '
        '(kitty graphics, sixel or coloured half-blocks, as the terminal can), "off" never')


class CacheSection(Section):
    """The media cache: what plays is kept on disk, so it plays again without the network."""

    enabled: bool = Field(True, description="keep what plays in the media cache and play "
                          "cached items from it")
    max_size: str | int = Field("4GB", description='the most the cache may hold: "4GB", '
                                '"500MB" or a number of bytes; the least recently played go '
                                "first, never what plays or is downloaded")
    dir: str = Field("", description="where the cache lives; empty for the user cache "
                     "directory")

    @model_validator(mode="after")
    def _size_reads(self) -> "CacheSection":
        parse_size(self.max_size)  # ValueError says what to write
        return self

    @property
    def max_bytes(self) -> int:
        return parse_size(self.max_size)


class LogSection(Section):
    """The log file."""

    level: Literal["debug", "info", "warning", "error"] = Field("info",
                                                                description="what is logged")
    file: str = Field("", description="the log file; empty for the user log directory")


class Config(Section):
    playback: PlaybackSection = Field(default_factory=PlaybackSection)
    retry: RetrySection = Field(default_factory=RetrySection)
    refresh: RefreshSection = Field(default_factory=RefreshSection)
    services: list[AnyService] = Field(default_factory=list)
    ytdlp: YtdlpSection = Field(default_factory=YtdlpSection)
    mpv: dict[str, Scalar] = Field(default_factory=dict, description="raw libmpv options, "
                                   "passed through and checked by asking libmpv")
    keys: dict[str, str] = Field(default_factory=dict, description="key bindings by action "
                                 'id, e.g. next = "n,ctrl+right"')
    ui: UiSection = Field(default_factory=UiSection)
    log: LogSection = Field(default_factory=LogSection)
    cache: CacheSection = Field(default_factory=CacheSection)



SECTIONS: dict[str, type[Section]] = {
    "playback": PlaybackSection, "retry": RetrySection, "refresh": RefreshSection,
    "ytdlp": YtdlpSection, "ui": UiSection, "log": LogSection,
    "cache": CacheSection,
}
# Changing these while ytplay runs takes a restart: the README marks them so. Live reload
# says the same from its own list (runtime_config.LIVE); tests/test_live_config.py checks
# that the two agree.
NEEDS_RESTART = ("playback.audio_output", "playback.audio_device", "playback.video", "mpv",
                 "log", "cache")
