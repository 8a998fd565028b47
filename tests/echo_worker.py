"""A worker for the pipe's own tests (tests/test_ytdlp_worker.py), run by WorkerProcess as
`python -m tests.echo_worker`: `echo` answers with the text it was given, having first
printed a line to standard output and one to standard error, each with a secret in it, as a
library might."""

from __future__ import annotations

import sys
from typing import Any

from tui.adapters.worker_process import Answer, serve, take_stdio


def echo(request: dict[str, Any]) -> Answer:
    print(f"printed: https://h/v?sig=SECRET1&text={request['text']}")
    print("written: Authorization: Bearer SECRET2", file=sys.stderr)
    return {"ok": request["text"]}


if __name__ == "__main__":
    serve(take_stdio(), {"echo": echo}, threads=1)
