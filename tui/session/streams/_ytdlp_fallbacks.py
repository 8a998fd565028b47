"""A fresh yt-dlp URL refused (403) at its first request, before anything played: the way
it was resolved does not work for it (a player client the site refuses, a format), so it
is resolved again with the next of `[ytdlp] fallbacks`, once each. When they are used up,
or one cannot resolve the item at all, the item itself has failed (docs/FAULTS.md, "When
yt-dlp fails")."""

from __future__ import annotations

from typing import Callable

from tui.core.errors import ResolveError, ServiceError
from tui.core.events import SessionEvent
from tui.core.failures import Failure, FailureClass
from tui.core.leases import LeaseState

from ._sources import ResolverSource, Stream

Emit = Callable[[SessionEvent], None]
# Updates the stream's lease in the Session panel (LeaseBook.update for its key).
Note = Callable[..., None]


class FallbacksUsedUp(ServiceError):
    """Refused with the options and with every fallback: the item cannot play."""


def item_fault(error: BaseException) -> bool:
    """Whether a fallback's failure is the item's own (it fails, rather than holds)."""
    if isinstance(error, FallbacksUsedUp):
        return True
    return isinstance(error, ResolveError) and not getattr(error, "transient", False)


def in_use(source: ResolverSource) -> str:
    """What the Session panel says of a stream resolved with a fallback."""
    n = source.fallback
    return f"403 on first request; fallback {n}/{len(source.fallbacks)}: {source.fallbacks[n - 1]}"


async def next_fallback(source: ResolverSource, resource: str, emit: Emit,
                        note: Note) -> Stream:
    """The stream resolved with the next fallback, said in the retry log and on the
    lease; FallbacksUsedUp when none is left."""
    n, total = source.fallback + 1, len(source.fallbacks)
    if n > total:
        why = (f"the site refused the stream (403 on its first request) with the options "
               f"and with each of the {total} fallback(s)")
        emit(SessionEvent(resource, "gave up", FailureClass.DETERMINISTIC.value, error=why))
        raise FallbacksUsedUp(why, Failure(status=403))
    said = f"403 on first request; retrying with fallback {n}/{total}: {source.fallbacks[n - 1]}"
    note(state=LeaseState.REFRESHING, last_error=said)
    emit(SessionEvent(resource, said, FailureClass.EXPIRED.value))
    stream, _label = await source.fall_back()
    emit(SessionEvent(resource, f"resolved with fallback {n}/{total}"))
    return stream
