"""The D-Bus session bus, which carries media keys, status bars and playerctl (MPRIS)."""

from __future__ import annotations

import asyncio
import os

from .report import Line, ok, warning

WHAT = "media keys (D-Bus)"
FIX = "run ytplay inside a desktop session, or under one: dbus-run-session -- ytplay"


async def _connect() -> str:
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SESSION).connect(), 5.0)
    try:
        return bus.unique_name or "connected"
    finally:
        bus.disconnect()


def check_session_bus(enabled: bool) -> list[Line]:
    if not enabled:
        return [ok(WHAT, "off ([ui] mpris = false)")]
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address and not os.environ.get("XDG_RUNTIME_DIR"):
        return [warning(WHAT, "no session bus: DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR "
                        "are not set, so media keys and playerctl will not reach ytplay", FIX)]
    try:
        name = asyncio.run(_connect())
    except Exception as e:  # dbus-fast raises many kinds: each one says why
        reason = str(e) or type(e).__name__
        return [warning(WHAT, f"the session bus cannot be reached ({reason}): media keys "
                        "and playerctl will not reach ytplay", FIX)]
    return [ok(WHAT, f"session bus reachable ({name})")]
