"""The leases the session panel shows, keyed by a stable name, with one change callback."""

from __future__ import annotations

import dataclasses
from typing import Callable

from tui.core.leases import Lease


class LeaseBook:
    def __init__(self) -> None:
        self._leases: dict[str, Lease] = {}
        self.on_change: Callable[[], None] = lambda: None

    def values(self) -> list[Lease]:
        return list(self._leases.values())

    def get(self, key: str) -> Lease | None:
        return self._leases.get(key)

    def put(self, key: str, lease: Lease) -> None:
        self._leases[key] = lease
        self.on_change()

    def update(self, key: str, **fields: object) -> None:
        lease = self._leases.get(key)
        if lease is not None:
            self._leases[key] = dataclasses.replace(lease, **fields)  # type: ignore[arg-type]
            self.on_change()

    def drop(self, key: str) -> None:
        if self._leases.pop(key, None) is not None:
            self.on_change()
