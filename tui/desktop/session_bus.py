"""Whether this session has a D-Bus session bus to look for, known without dbus-fast:
over ssh, in a container or a service there is none, and MPRIS need not load (~2.7 MiB
and 30 modules kept for the whole run) to find that out."""

from __future__ import annotations

import os


def present() -> bool:
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) or os.path.exists(
        f"/run/user/{os.getuid()}/bus")
