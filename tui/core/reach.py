"""Why a connection could not be made: this machine cannot reach the network, or one host
turned it away (docs/ARCHITECTURE.md, "Offline"). Only the first marks ytplay offline; the
second is a transient failure of that source alone.

- Unreachable: a name that does not resolve (`socket.gaierror`), no route to the network
  or the host (ENETUNREACH, EHOSTUNREACH, ENETDOWN), a connect that timed out.
- Refused: the host answered — nothing listens on that port (ECONNREFUSED), or it reset or
  aborted the connection as it was made. A stopped local server says this, not a network
  that is down. A refusal anywhere under the error wins: with several addresses tried, one
  that answered proves the network is there.
- Anything else (a TLS handshake, a proxy) is that source's failure too: one unknown error
  must not pass over every item of the queue.

Pure: reads the standard library's exceptions that httpx and yt-dlp carry under their own
(and, for yt-dlp's backends that keep none, its message); no I/O."""

from __future__ import annotations

import errno
import re
import socket
from typing import Callable, Iterable

from .failures import Network

_ANSWERED = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED})
# ETIMEDOUT: the kernel's own connect timeout (no answer to any SYN).
_NO_WAY = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ETIMEDOUT})
# What resolvers, libcurl and urllib3 say when the chain has lost the OSError itself.
_NO_NETWORK_WORDS = re.compile(
    r"temporary failure in name resolution|name or service not known|nodename nor servname"
    r"|no address associated with hostname|getaddrinfo failed|failed to resolve"
    r"|could not resolve host|network is unreachable|no route to host"
    r"|connect(ion)? timed out|connect timeout", re.IGNORECASE)


def causes(error: BaseException, held: Callable[[BaseException], Iterable[object]] = lambda e: (),
           depth: int = 16) -> list[BaseException]:
    """`error` and the exceptions under it, nearest first: those `held` finds in one (where
    a library keeps them: yt-dlp's `exc_info`), `__cause__`, `__context__` and the members
    of an exception group (anyio's "All connection attempts failed" holds one per address)."""
    seen: list[BaseException] = []
    todo: list[object] = [error]
    while todo and len(seen) < depth:
        e = todo.pop(0)
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [*held(e), e.__cause__, e.__context__]
        if isinstance(e, BaseExceptionGroup):
            todo += list(e.exceptions)
    return seen


def connect_failure(chain: Iterable[BaseException], *, timed_out: bool = False,
                    message: str = "") -> Network:
    """How a connection that could not be made failed: `Network.UNREACHABLE` or
    `Network.CONNECT`. `chain`: the error and those under it; `timed_out`: the connect
    itself timed out; `message`: the library's words, read only when no OSError in the
    chain says which."""
    errors = [e for e in chain if isinstance(e, OSError)]
    if any(not isinstance(e, socket.gaierror) and e.errno in _ANSWERED for e in errors):
        return Network.CONNECT
    if any(isinstance(e, socket.gaierror) or e.errno in _NO_WAY for e in errors):
        return Network.UNREACHABLE
    if timed_out:
        return Network.UNREACHABLE
    if not any(e.errno is not None for e in errors) and _NO_NETWORK_WORDS.search(message):
        return Network.UNREACHABLE
    return Network.CONNECT
