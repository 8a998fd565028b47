"""A changed config applied to a running ytplay (tui/runtime_config.py ConfigHost.apply):
every setting changed is said to have applied or to need a restart, and the README's
"(restart)" marks say the same. MPRIS turned off and on: tests/test_mpris.py."""

from __future__ import annotations

from pathlib import Path

import msgspec

from tests.idle_app import IdlePlayer, NoResolver
from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.config.defaults import default_text
from tui.config.schema import NEEDS_RESTART, Config
from tui.config.validate import load_text
from tui.runtime_config import ConfigHost, live
from tui.session.playback import Playback
from tui.session.streams import SessionManager


def every_setting() -> list[str]:
    """The path of each option, an entry of each free-form table, and [[services]]."""
    paths = []
    for info in msgspec.structs.fields(Config):
        name, model = info.name, info.type
        if isinstance(model, type) and issubclass(model, msgspec.Struct):
            paths += [f"{name}.{field}" for field in model.__struct_fields__]
        elif name == "services":
            paths.append(name)
        else:
            paths.append(f"{name}.an-entry")
    return paths


def test_the_readme_says_restart_where_live_reload_does() -> None:
    """schema.NEEDS_RESTART marks the README's options "(restart)"; ConfigHost says
    "needs a restart" for what is not live. The two agree for every setting."""
    for path in every_setting():
        documented = path in NEEDS_RESTART or path.split(".")[0] in NEEDS_RESTART
        assert documented == (not live(path)), path


class Switch:
    def __init__(self) -> None:
        self.turned: list[bool] = []

    def turn(self, on: bool) -> None:
        self.turned.append(on)


async def test_each_setting_changed_is_said_applied_or_needing_a_restart(
        tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    old = load_text(path, default_text())
    playback = Playback(IdlePlayer(), SessionManager(NoResolver()))  # type: ignore[arg-type]
    resolver = YtDlpResolver()
    mpris = Switch()
    host = ConfigHost(path, old, playback, resolver, lambda services: None, mpris)
    changed = (default_text()
               .replace("attempts = 4", "attempts = 6")
               .replace("mpris = true", "mpris = false")
               .replace('level = "info"', 'level = "debug"')
               .replace('max_size = "4GB"', 'max_size = "1GB"')
               .replace("[keys]\n", '[keys]\nnext = "x"\n')
               .replace("[mpv]\n", '[mpv]\ncache = "no"\n')
               .replace("[ytdlp.extra]\n", '[ytdlp.extra]\nsocket_timeout = 5\n'))
    try:
        notes = host.apply(load_text(path, changed))
    finally:
        resolver.close()
    assert notes == ["applied: retry.attempts, ytdlp.extra, keys.next, ui.mpris",
                     "needs a restart: mpv.cache, log.level, cache.max_size"]
    assert playback.session.policy.attempts == 6 and mpris.turned == [False]
    assert host.apply(host.config) == []  # nothing changed, nothing said
