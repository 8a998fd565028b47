"""Untrusted text on screen (issue 10): titles, artists, server messages and error texts
never write to the terminal, never turn into markup, never break the queue's columns; an
M3U export cannot be made to grow extra entries."""

from __future__ import annotations

import math
import time
import unicodedata
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import AsyncIterator

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import DataTable, Input

from tests.helpers import until
from tui.core.events import Level, LogEvent, SessionEvent
from tui.core.leases import Lease, LeaseKind, LeaseState
from tui.core.m3u import M3UError, format_m3u, parse_m3u
from tui.core.models import ItemStatus, QueueItem
from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.queue import Queue
from tui.core.sanitize import printable
from tui.core.timefmt import clock
from tui.session.playback import Playback
from tui.session.store import Played
from tui.ui.app import YtplayApp
from tui.ui.screens.history import HistoryScreen
from tui.ui.screens.login import LoginScreen
from tui.ui.screens.search import SearchScreen
from tui.ui.widgets.event_log import EventLog
from tui.ui.widgets.now_playing import NowPlayingPanel, NowPlayingText
from tui.ui.widgets.queue_view import QueueView
from tui.ui.widgets.retry_log import RetryLog
from tui.ui.widgets.session_panel import SessionPanel

# Sets the window title, then turns the text red; the brackets must show as typed.
PWNED = "\x1b]0;pwned\x07\x1b[31mRed[bold]x[/bold]"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CJK = "東京の夜🎵雨の中を歩く 長い長い題名🔥👨\u200d👩\u200d👧 周杰倫"
FORBIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
HOSTILE_FRAGMENTS = ["\x1b[31m", "\x1b]0;pwned\x07", "\x1b]2;t\x1b\\", "\x9b2J", "\x9d0;x\x9c",
                     "\x1bP+q\x1b\\", "\x1bc", "\x1b(0", "\x1b", "\x7f", "\x85", "\u2028",
                     "\u2029", "\r\n", "\t", "\x00", "\u200b", "\u200d", "\ufeff", "\u00ad",
                     *BIDI, "[bold red]", "[/]", "[@click=app.quit]", "\\["]


def forbidden(text: str) -> list[str]:
    """The characters of `text` that must not reach a terminal."""
    return [c for c in text if unicodedata.category(c) in FORBIDDEN]


# Every code point, surrogates included (hypothesis leaves them out unless asked), mixed
# with whole escape sequences, which random characters would almost never spell.
any_char = st.characters(exclude_categories=())
hostile_text = st.lists(st.one_of(st.text(any_char, max_size=8),
                                  st.sampled_from(HOSTILE_FRAGMENTS))).map("".join)
clean_text = st.text(st.characters(exclude_categories=tuple(FORBIDDEN)))


# --- the sanitiser ------------------------------------------------------------------------

@given(hostile_text)
@example(PWNED)
def test_printable_leaves_no_control_bidi_or_separator(text: str) -> None:
    out = printable(text)
    assert not forbidden(out)
    out.encode("utf-8")  # no lone surrogate left to make the terminal write fail


@given(clean_text)
@example("Ünïcödé 東京 🎵 مرحبا שלום e\u0301 [bold]x[/bold] \u00a0\u3000")
def test_printable_text_passes_unchanged(text: str) -> None:
    assert printable(text) == text


@given(hostile_text)
def test_printable_is_idempotent(text: str) -> None:
    once = printable(text)
    assert printable(once) == once


def test_escape_sequences_go_whole_and_line_breaks_become_spaces() -> None:
    assert printable(PWNED) == "Red[bold]x[/bold]"
    assert printable("Side A\nSide B\u2028C\x85D\tE") == "Side A Side B C D E"
    assert printable("\u202eevil\u202c txt\u200b") == "evil txt"
    assert printable("\x9b31mred\x9d0;title\x9c!") == "red!"
    assert printable("unterminated \x1b]0;title") == "unterminated 0;title"  # shown, inert


# --- M3U export -----------------------------------------------------------------------------

def writable(ref: str) -> bool:
    """What an M3U line can carry unchanged: one line, no surrounding blanks, not a
    comment. (The writer refuses anything else: see format_m3u.)"""
    return (bool(ref) and ref == ref.strip() and not ref.startswith(("#", "\ufeff"))
            and not any(unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"} for c in ref))


durations = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
items = st.lists(st.builds(QueueItem, ref=st.one_of(hostile_text, clean_text),
                           title=st.one_of(st.none(), hostile_text),
                           artist=st.one_of(st.none(), hostile_text), duration=durations),
                 max_size=8)


@settings(max_examples=300)
@given(items)
@example([QueueItem("https://a/1", title="x\n#EXTINF:1,evil\nhttps://evil/\rhttps://evil/2"
                                         "\u2028https://evil/3\x85\x0bhttps://evil/4",
                    artist="y\r\nz", duration=math.nan)])
def test_m3u_round_trip_keeps_the_entries_and_their_refs(queue: list[QueueItem]) -> None:
    if not all(writable(i.ref) for i in queue):
        try:
            format_m3u(queue)
        except M3UError:
            return  # refused, never written wrong
        raise AssertionError("an unwritable reference was written")
    text = format_m3u(queue)
    text.encode("utf-8")  # what atomic_write will do with it
    back = parse_m3u(text)
    assert [e.ref for e in back] == [i.ref for i in queue]
    for entry in back:
        assert not forbidden(entry.title or "") and not forbidden(entry.artist or "")
        assert entry.duration is None or math.isfinite(entry.duration)


def test_m3u_refuses_a_reference_that_would_make_an_entry() -> None:
    bad = QueueItem("https://a/1\nhttps://evil/2", title="t")
    try:
        format_m3u([QueueItem("https://ok/"), bad])
    except M3UError as e:
        assert "entry 2" in str(e)
    else:
        raise AssertionError("written")


def test_m3u_reading_splits_lines_only_at_line_ends() -> None:
    # A file another program wrote: U+2028, NEL, VT and FF inside a title are not line
    # ends, so they cannot start an entry of their own.
    text = ("#EXTM3U\n#EXTINF:10,A - T\u2028https://evil/1\x85https://evil/2\x0bx\x0cy\r\n"
            "https://ok/1\r#EXTINF:5,\x1b]0;pwned\x07Song\nhttps://ok/2\n")
    entries = parse_m3u(text)
    assert [e.ref for e in entries] == ["https://ok/1", "https://ok/2"]
    assert entries[1].title == "Song"
    assert not forbidden(entries[0].title or "")


# --- on screen ------------------------------------------------------------------------------

ROWS = [
    QueueItem("https://example.invalid/pwned", title=PWNED, artist="\x1b[2J" + BIDI + "Evil",
              duration=61.0),
    QueueItem("https://example.invalid/cjk", title=CJK * 3, artist="周杰倫 🎤 Jay Chou",
              duration=3725.0),
    QueueItem("https://example.invalid/rtl", title="שלום\u200b\u200fעולם مرحبا\u2028x",
              duration=5.0),
    QueueItem("x:\x1b[5mf", status=ItemStatus.FAILED,
              reason="\x1b]0;owned\x07[red]403[/red] 東京", duration=7.0),
    QueueItem("https://example.invalid/plain", title="Plain", artist="Band", duration=200.0),
]


def lines(widget: Widget) -> list[str]:
    """What `widget` draws, line by line: the strips a terminal would be sent."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def assert_safe(text: str) -> None:
    """Each line drawn: the line ends between them are ours."""
    for line in text.split("\n"):
        assert not forbidden(line), f"reaches the terminal: {forbidden(line)!r} in {line!r}"


@asynccontextmanager
async def app_with(player, session, rows: list[QueueItem]
                   ) -> AsyncIterator[tuple[YtplayApp, object, Playback]]:
    pb = Playback(player, session)
    pb.queue.extend(QueueItem(i.ref, i.title, i.artist, i.duration, i.status, i.reason)
                    for i in rows)
    app = YtplayApp(pb)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.pause()
        yield app, pilot, pb


async def test_queue_rows_keep_their_columns_and_send_no_escapes(player, session) -> None:
    async with app_with(player, session, ROWS) as (app, pilot, pb):
        view = app.query_one(QueueView)
        width = view.row_width  # the content less the scrollbar's room
        for y, item in enumerate(pb.queue):
            strip = view.render_line(y)
            assert not forbidden(strip.text), strip.text
            assert cell_len(strip.text) == width, (y, strip.text)
            shown = strip.crop(0, width).text  # what fits on the screen
            assert shown.endswith(f"  {clock(item.duration)}"), (y, shown)
        assert "Red[bold]x[/bold]" in view.render_line(0).text  # brackets shown as typed
        assert "[red]403[/red]" in view.render_line(3).text


async def test_queue_columns_line_up_at_any_width(player, session) -> None:
    async with app_with(player, session, ROWS) as (app, pilot, pb):
        view = app.query_one(QueueView)
        for width in (60, 33, 17, 9):
            await pilot.resize_terminal(width + 2, 30)  # the border takes two
            await pilot.pause()
            for y, item in enumerate(pb.queue):
                text = view.render_line(y).text
                assert cell_len(text) == view.row_width, (width, y, text)


async def test_panels_and_screens_show_untrusted_text_literally(player, session) -> None:
    async with app_with(player, session, ROWS) as (app, pilot, pb):
        panel = app.query_one(NowPlayingPanel)
        panel.now = NowPlaying(state=PlayState.HOLDING, index=0, title=PWNED + CJK * 4,
                               artist=PWNED, position=1.0, duration=61.0, status=PWNED)
        pb.session.book.put("x", Lease(LeaseKind.STREAM_URL, PWNED, time.time() + 60,
                                       state=LeaseState.RETRYING, last_error=PWNED))
        app.query_one(SessionPanel).refresh_rows()
        app.query_one(EventLog).add(LogEvent(Level.ERROR, PWNED))
        app.query_one(RetryLog).add(SessionEvent(PWNED, "retrying", error=PWNED))
        await pilot.pause()
        text = panel.query_one(NowPlayingText)  # the panel's words, beside its cover
        for widget in (text, app.query_one(SessionPanel), app.query_one(EventLog),
                       app.query_one(RetryLog)):
            drawn = "\n".join(lines(widget))
            assert_safe(drawn)
            assert "Red[bold]x" in drawn, (type(widget).__name__, drawn)
        # The title stays on its line: the position and duration are still on screen.
        assert any(line.rstrip().endswith("0:01 / 1:01") for line in lines(text)), lines(text)


async def test_history_search_and_login_show_untrusted_text_literally(player, session) -> None:
    async with app_with(player, session, []) as (app, pilot, pb):
        played = [Played("https://example.invalid/\x1b[2Jh", PWNED, "[b]A[/b]" + BIDI, 61.0,
                         time.time())]
        app.push_screen(HistoryScreen(played))
        await pilot.pause()
        drawn = "\n".join(lines(app.screen.query_one(DataTable)))
        assert_safe(drawn)
        assert "Red[bold]x[/bold]" in drawn and "[b]A[/b]" in drawn
        app.pop_screen()

        async def search(query: str):
            from tui.core.m3u import Entry
            return [Entry("https://example.invalid/s", PWNED, "[i]B[/i]\u202e", 5.0)]
        app.push_screen(SearchScreen({"lib": search}, add=lambda entry: None))
        await pilot.pause()
        app.screen.query_one(Input).value = "x"
        await pilot.press("enter")
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.pause()
        drawn = "\n".join(lines(table))
        assert_safe(drawn)
        assert "Red[bold]x[/bold]" in drawn and "[i]B[/i]" in drawn
        await pilot.press("enter")  # adds it, and says so in a toast
        await until(pilot, lambda: bool(app.screen.query("Toast")))
        toasts = list(app.screen.query("Toast"))
        drawn = "\n".join(line for t in toasts for line in lines(t))
        assert_safe(drawn)
        assert "Red[bold]x[/bold]" in drawn, drawn
        app.pop_screen()

        app.push_screen(LoginScreen("demo", "[b]me[/b]", reason=PWNED))
        await pilot.pause()
        drawn = "\n".join(line for w in app.screen.query("Static") for line in lines(w))
        assert_safe(drawn)
        assert "Red[bold]x[/bold]" in drawn and "[b]me[/b]" in drawn


def test_mpris_metadata_has_no_control_characters() -> None:
    from tui.desktop.mpris import Player

    item = QueueItem("https://example.invalid/\x1b[2J\u202e", title=PWNED, artist=PWNED,
                     duration=61.0)
    fake = SimpleNamespace(queue=Queue([item], current=0),
                           now=NowPlaying(title=PWNED, artist="\x1b[31m" + BIDI + "Art"))
    meta = Player(fake)._metadata()  # type: ignore[arg-type]
    assert meta["xesam:title"].value == "Red[bold]x[/bold]"
    assert meta["xesam:artist"].value == ["Art"]
    assert not forbidden(meta["xesam:url"].value)
