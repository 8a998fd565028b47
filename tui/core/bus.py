"""One way for events to flow up: the session publishes, the UI and MPRIS subscribe.

Everything is published and delivered on the asyncio loop, in order; a subscriber that
raises is logged and the others still hear the event.
"""

from __future__ import annotations

import logging
from typing import Callable

from .events import BusEvent

log = logging.getLogger(__name__)

Subscriber = Callable[[BusEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Hear every event from now on; returns the call that stops it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)
        return unsubscribe

    def publish(self, event: BusEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # one broken subscriber must not silence the rest
                log.exception("event subscriber failed on %s", type(event).__name__)
