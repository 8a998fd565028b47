"""Config at run time: loading it with libmpv's opinion of the [mpv] options, turning it
into the session's settings, and applying a changed file to a running ytplay."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol

import msgspec

from tui.config import store
from tui.config.schema import Config, YtdlpFallback
from tui.config.validate import Issue, MpvCheck, validate_text
from tui.core.clock import SystemClock
from tui.core.leases import RefreshRule
from tui.core.retry import RetryBudget, RetryPolicy

if TYPE_CHECKING:  # `ytplay` loads the config before anything of the session is needed
    from tui.session.streams import SessionManager
    from tui.session.playback import Playback


def mpv_check() -> MpvCheck:
    """libmpv's own check of raw options, when libmpv can be loaded at all. It is loaded
    (~100 ms) only when there are [mpv] options to check: a config without them is read
    without it, and the player loads it once the first frame is drawn."""
    def check(options: Mapping[str, Any]) -> dict[str, str]:
        try:
            from tui.adapters.mpv_options import check_mpv_options
        except (OSError, ImportError):
            return {}  # reported, with what to install, when the player is built
        return check_mpv_options(options)
    return check


def load_config(path: Path, *, make_folder: bool = True) -> Config:
    return store.load(path, mpv_check(), make_folder=make_folder)


def retry_policy(config: Config) -> RetryPolicy:
    r = config.retry
    return RetryPolicy(base=r.base, cap=r.cap, attempts=r.attempts,
                       retry_after_cap=r.retry_after_cap)


def retry_budget(config: Config) -> RetryBudget:
    return RetryBudget(SystemClock(), capacity=config.retry.budget,
                       per_second=config.retry.budget_refill)


def refresh_rule(config: Config) -> RefreshRule:
    r = config.refresh
    return RefreshRule(min_window=r.window, fraction=r.fraction, jitter=r.jitter)


def ytdlp_options(config: Config) -> dict[str, Any]:
    options: dict[str, Any] = {"format": "best" if config.playback.video else config.ytdlp.format}
    if config.ytdlp.cookies_file:
        options["cookiefile"] = str(Path(config.ytdlp.cookies_file).expanduser())
    options.update(config.ytdlp.extra)
    return options


def ytdlp_fallbacks(config: Config) -> list[dict[str, Any]]:
    """`[ytdlp] fallbacks` as yt-dlp options, in the order they are tried: each with only
    the options it sets (not those left unset or empty, at their defaults)."""
    unset = YtdlpFallback()
    return [{name: value for name, value in msgspec.structs.asdict(f).items()
             if value != getattr(unset, name)} for f in config.ytdlp.fallbacks]


# What applies while ytplay runs, by the path of a setting or of its table; every other
# change waits for a restart and says so. Listed here, not derived, so that a setting added
# to the schema is said to need a restart until something applies it live (and the
# README's "(restart)" marks, schema.NEEDS_RESTART, are checked against this by a test).
LIVE = (
    "retry", "refresh", "services", "ytdlp",                 # the session and the resolver
    "playback.volume", "playback.resume_threshold", "playback.resolve_ahead",
    "playback.gapless",                                      # the playback's settings
    "ui.mpris",                                              # the MPRIS switch
    "ui.theme", "ui.panels", "ui.cover", "keys",             # the screen (ui.starting.Looks)
)


def live(path: str) -> bool:
    """Whether the setting at `path` (`retry.attempts`, `keys.next`) applies at once."""
    return any(path == p or path.startswith(p + ".") for p in LIVE)


def changed_settings(old: Config, new: Config) -> list[str]:
    """The path of each setting that differs: an option (`retry.attempts`), an entry of a
    free-form table (`keys.next`, `mpv.cache`), or `services`."""
    paths: list[str] = []
    for name in Config.__struct_fields__:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if isinstance(a, msgspec.Struct):
            paths += [f"{name}.{f}" for f in a.__struct_fields__
                      if getattr(a, f) != getattr(b, f)]
        elif isinstance(a, dict):
            paths += [f"{name}.{k}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
        else:
            paths.append(name)
    return paths


class Switch(Protocol):
    def turn(self, on: bool) -> None: ...


class ConfigHost:
    """What the UI needs to edit, save and apply the config."""

    def __init__(self, path: Path, config: Config, playback: Playback, resolver: Any,
                 add_services: Any, mpris: Switch) -> None:
        self.path = path
        self.config = config
        self.playback = playback
        self.resolver = resolver
        self._add_services = add_services
        self._mpris = mpris
        self._check = mpv_check()

    @property
    def session(self) -> SessionManager:
        return self.playback.session

    def read(self) -> str:
        return store.read_or_create(self.path)

    def validate(self, text: str) -> tuple[Config | None, list[Issue]]:
        return validate_text(text, self._check)

    def save(self, text: str, expected: str | None = None) -> Config:
        """Replace the file with `text` (which must validate), atomically, keeping a .bak;
        unless it no longer holds `expected` (store.ChangedOnDisk)."""
        return store.replace(self.path, text, self._check, expected=expected)

    def apply(self, new: Config) -> list[str]:
        """Apply what can change while playing (the screen's part is the UI's); say, for
        every setting changed, whether it applied or needs a restart."""
        old, self.config = self.config, new
        changed = changed_settings(old, new)
        sections = {p.split(".")[0] for p in changed}
        if sections & {"retry", "refresh"}:
            self.session.reconfigure(retry_policy(new), refresh_rule(new), retry_budget(new))
        if "playback.volume" in changed:
            self.playback.change_volume(new.playback.volume - self.playback.player.volume)
        settings = self.playback.settings
        settings.resume_threshold = new.playback.resume_threshold
        settings.resolve_ahead = new.playback.resolve_ahead
        settings.gapless = new.playback.gapless
        if "services" in changed:
            self.session.remove_services({s.name for s in old.services}
                                         - {s.name for s in new.services})
            self._add_services([s for s in new.services if s not in old.services])
        if "ytdlp" in sections:
            self.resolver.configure(ytdlp_options(new), ytdlp_fallbacks(new))
        if "ui.mpris" in changed:
            self._mpris.turn(new.ui.mpris)
        applied = [p for p in changed if live(p)]
        restart = [p for p in changed if not live(p)]
        return ([f"applied: {', '.join(applied)}"] if applied else []) + \
            ([f"needs a restart: {', '.join(restart)}"] if restart else [])
