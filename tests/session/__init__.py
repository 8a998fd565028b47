"""The session's tests, a folder per room of tui/session (docs/ARCHITECTURE.md, "The
session's rooms"), each holding the tests of what that room does: `pytest tests/session/cache`
runs the media cache's. A test drives a room through its face, through the rooms above it
when it plays end to end (playback's tests open streams through the real session manager),
and reaches into a room's private modules only for what the room keeps to itself (a limit,
a helper of its own)."""
