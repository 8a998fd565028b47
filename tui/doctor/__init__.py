"""`ytplay doctor`: checks what ytplay depends on — libmpv, yt-dlp and a JavaScript runtime
for it, the audio output, the session bus, the config, each service, the folders it
writes in — and prints one line each: ok, warning or error, with the command that fixes
it. Exit status 1 when any line is an error, else 0.

One module per kind of check; `runner` runs them at once, each with a deadline."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

from .report import Level, Line
from .runner import Job, run as run_jobs


def run(args: argparse.Namespace) -> int:
    from tui.config.paths import locate_config
    from tui.config_cli import hint
    from tui.logsetup import divert_native_stderr
    from tui.runtime_config import ytdlp_options

    from . import desktop, files, player, services, ytdlp

    where = locate_config(args.config)
    edit = hint("edit", where)
    colour = sys.stdout.isatty()

    def show(line: Line) -> None:
        print(line.render(colour), flush=True)

    config, config_lines = files.read_config(where, edit)
    for line in config_lines:
        show(line)
    pb = config.playback
    ao = args.ao or (None if pb.audio_output == "auto" else pb.audio_output)
    device = None if pb.audio_device == "auto" else pb.audio_device
    jobs = [
        Job("libmpv", player.check_libmpv),
        Job("yt-dlp", ytdlp.check_version),
        Job("JavaScript runtime", partial(ytdlp.check_js_runtime, ytdlp_options(config))),
        Job("audio output", partial(player.check_audio, ao, device, edit)),
        Job("media keys (D-Bus)", partial(desktop.check_session_bus, config.ui.mpris)),
        *(Job(f"service {svc.name}", partial(services.check_service, svc, edit))
          for svc in config.services),
        Job("folders", partial(files.check_folders, config, edit)),
    ]
    # ALSA, JACK and PipeWire write to fd 2 when libmpv probes for sound: not ours to show.
    restore = divert_native_stderr(Path(os.devnull))
    try:
        lines = config_lines + run_jobs(jobs, show)
    except KeyboardInterrupt:
        return 130
    finally:
        restore()
    errors = sum(line.level is Level.ERROR for line in lines)
    warnings = sum(line.level is Level.WARNING for line in lines)
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0

