"""The session panel, the retry log and the status line, live, through Pilot."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Recorder
from tui.core.events import Level
from tui.core.nowplaying import PlayState
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.store import TokenStore
from tui.ui.app import YtplayApp
from tui.ui.widgets.retry_log import RetryLog
from tui.ui.widgets.session_panel import SHORT_KINDS, SessionPanel


def _rows(panel: SessionPanel) -> dict[str, tuple[str, ...]]:
    """The panel's rows by kind and owner, the kind named in full where it is shortened."""
    panel.refresh_rows()
    full = {short: kind.value for kind, short in SHORT_KINDS.items()}
    rows = [tuple(str(c).split("\n")[0].strip() for c in panel.get_row_at(i))  # its first
            for i in range(panel.row_count)]                                    # line, unpadded
    return {f"{full.get(r[0], r[0])}|{r[1]}": r for r in rows}


async def test_panels_show_a_refresh_and_a_retry(demo_options: DemoOptions, player, resolver,
                                                 tmp_path: Path) -> None:
    demo_options.token_ttl = 600  # only the stream URL expires during this test, so the
    demo_options.url_ttl = 4      # 503 burst below meets the stream's refresh
    with DemoService(demo_options) as demo:
        session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password)
        pb = Playback(player, session)
        pb.queue.add(["demo:t1"])
        app = YtplayApp(pb, play_index=0)
        async with app.run_test(size=(140, 40)) as pilot:
            tap = Recorder(pb.bus)
            await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
            entry = pb.transport.current
            panel = app.query_one(SessionPanel)
            rows = _rows(panel)
            assert {"access token|demo", "refresh token|demo", "stream URL|Low Tide",
                    "playback session|Low Tide"} <= set(rows)
            assert rows["access token|demo"][3].endswith("s")   # counting down

            # Refresh ahead of expiry, on its own, shown as it happens.
            await tap.wait_for(lambda: any(e.resource == "stream URL · Low Tide" and
                                           e.action == "refreshed" for e in tap.session_events))
            await pilot.pause()
            log = app.query_one(RetryLog)
            assert any(ev.action == "refreshed" for _, ev in log.events)

            # The next refresh meets two 503s: retrying, attempt n of N, next retry in s.
            demo.options.fail_next = 2
            await tap.wait_for(lambda: any(e.action == "retrying" and
                                           e.resource.startswith("playback session")
                                           for e in tap.session_events))
            await pilot.pause()
            row = _rows(panel)["stream URL|Low Tide"]
            assert "retrying" in row[2] and row[4].startswith("2/4 in ") and row[4].endswith("s")
            assert "503" in row[5]
            assert "attempt 2/4" in app.query_one("#now-playing").now.status
            assert any(ev.action == "retrying" for _, ev in log.events)
            # ... and recovers: the status line clears, playback never stopped.
            await tap.wait_for(lambda: tap.now.status == "" and tap.session_events[-1].action
                               == "refreshed", timeout=20)
            assert pb.transport.current == entry  # the same load throughout: never reloaded
            assert not [e for e in tap.logs if e.level is Level.ERROR]
