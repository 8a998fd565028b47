"""The pipe between ytplay and a worker process (tui/adapters/worker_process.py), with a
worker made for it (tests/echo_worker.py); yt-dlp's own: tests/test_ytdlp_worker.py."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tui.adapters.worker_process import WorkerProcess


async def test_what_a_worker_prints_goes_to_the_log_redacted_and_answers_stay_whole(
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    """Standard output and standard error of the process are ytplay's log's, never the
    terminal's; a line printed to standard output is not taken for an answer."""
    log = logging.getLogger("tests.echo_worker")
    worker = WorkerProcess("tests.echo_worker", name="echo", log=log, idle=30)
    try:
        with caplog.at_level(logging.INFO, logger="tests.echo_worker"):
            answers = [await asyncio.wrap_future(worker.submit({"op": "echo", "text": t}))
                       for t in ("one", "two")]
            assert answers == [{"ok": "one"}, {"ok": "two"}]
            # Answered after what "two" wrote was read (one thread reads both pipes).
            unknown = await asyncio.wrap_future(worker.submit({"op": "nothing-such"}))
            assert "no such request" in unknown["error"]["message"]
    finally:
        worker.close()
    said = [r.getMessage() for r in caplog.records]
    assert "echo: printed: https://h/v?sig=***&text=two" in said, said
    assert any(line.startswith("echo: written: Authorization:") for line in said), said
    assert not any("SECRET" in line for line in said), said
    terminal = capfd.readouterr()
    assert "printed" not in terminal.out + terminal.err
