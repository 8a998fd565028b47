"""`ytplay`: parse the command line, set up logging, build everything, run the UI."""

from __future__ import annotations

import sys
from contextlib import ExitStack

from tui import cli


def main(argv: list[str] | None = None) -> int:
    args = cli.parser().parse_args(argv)

    from tui.config.paths import log_dir
    from tui.core.errors import YtplayError
    from tui.logsetup import divert_native_stderr, setup_logging

    setup_logging(log_dir() / "ytplay.log")
    with ExitStack() as resources:
        try:
            if sys.stderr.isatty():
                resources.callback(divert_native_stderr(log_dir() / "native-stderr.log"))
            from tui.factory import build

            app = build(args, resources)
        except YtplayError as e:
            print(f"ytplay: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
