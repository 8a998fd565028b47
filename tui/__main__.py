"""`ytplay`: parse the command line, load the config, set up logging, build everything,
run the UI. `ytplay config …` manages the config file instead."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from tui import cli


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["config"]:
        from tui.config_cli import run

        return run(cli.config_parser().parse_args(argv[1:]))
    args = cli.parser().parse_args(argv)

    from tui.config.paths import config_file, log_dir
    from tui.core.errors import YtplayError
    from tui.logsetup import divert_native_stderr, setup_logging
    from tui.runtime_config import load_config

    path = Path(args.config) if args.config else config_file()
    try:
        config = load_config(path)
    except YtplayError as e:
        print(f"ytplay: the config file has errors:\n{e}\n"
              f"Fix them with: ytplay config edit{f' --config {path}' if args.config else ''}",
              file=sys.stderr)
        return 2
    setup_logging(Path(config.log.file) if config.log.file else log_dir() / "ytplay.log",
                  config.log.level.upper())
    with ExitStack() as resources:
        try:
            if sys.stderr.isatty():
                resources.callback(divert_native_stderr(log_dir() / "native-stderr.log"))
            from tui.factory import build

            app = build(args, config, path, resources)
        except YtplayError as e:
            print(f"ytplay: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
