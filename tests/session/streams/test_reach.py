"""Which failed connections say the network is down (tui/core/reach.py): real ones, made on
loopback and by the resolver — a closed port refuses, a name under `.invalid` (RFC 6761) does
not resolve, a listener whose backlog is full never answers the connect — read through the
real httpx and yt-dlp; and the rule itself, over every mix of the standard library's errors
as httpx (anyio: one per address tried) and yt-dlp chain them."""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, strategies as st

from tui.core.errors import ServiceError
from tui.core.extraction import ExtractionError
from tui.core.failures import FailureClass, Network, classify
from tui.core.reach import causes, connect_failure
from tui.session.services import network_failure
from tui.session.streams._connectivity import Connectivity

NOWHERE = "ytplay-test.invalid"  # RFC 6761: resolves nowhere


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback port whose listener never accepts and whose backlog is full: Linux drops
    the next SYN, so a connect there times out as it does to a host that is not there."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    waiting = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        waiting.append(c)
    yield port
    for c in waiting:
        c.close()
    server.close()


@pytest.fixture
def plain_http() -> Iterator[int]:
    """A loopback port that answers every connection in plain HTTP, and so fails a TLS
    handshake."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    done.set()
    server.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way (Linux)
    server.close()
    thread.join(5)


async def _transport_error(url: str, timeout: httpx.Timeout) -> httpx.TransportError:
    async with httpx.AsyncClient(timeout=timeout) as client:
        with pytest.raises(httpx.TransportError) as e:
            await client.get(url)
    return e.value


def _connectivity_after(error: BaseException) -> tuple[bool, bool]:
    """What Connectivity makes of an open that failed with `error`: (taken as the network's,
    offline now)."""
    connectivity = Connectivity()
    return connectivity.failed(error), connectivity.offline


async def test_a_refused_connection_is_the_hosts_answer_not_the_network(
        closed_port: int) -> None:
    e = await _transport_error(f"http://127.0.0.1:{closed_port}/", httpx.Timeout(5))
    failure = network_failure(e)
    assert failure.network is Network.CONNECT
    assert classify(failure) is FailureClass.TRANSIENT  # retried, as that item's failure
    assert _connectivity_after(ServiceError("refused", failure)) == (False, False)


async def test_a_name_that_does_not_resolve_is_the_network() -> None:
    # Time enough for a resolver with no name server to give up on its own (EAI_AGAIN
    # after its retries) rather than be cut short by the connect timeout.
    e = await _transport_error(f"http://{NOWHERE}/", httpx.Timeout(5, connect=60))
    assert any(isinstance(c, socket.gaierror) for c in causes(e))
    failure = network_failure(e)
    assert failure.network is Network.UNREACHABLE
    assert classify(failure) is FailureClass.TRANSIENT
    assert _connectivity_after(ServiceError("no name", failure)) == (True, True)


async def test_a_connect_that_times_out_is_the_network(full_backlog: int) -> None:
    e = await _transport_error(f"http://127.0.0.1:{full_backlog}/",
                               httpx.Timeout(5, connect=0.2))
    assert isinstance(e, httpx.ConnectTimeout)
    assert network_failure(e).network is Network.UNREACHABLE


async def test_a_tls_handshake_that_fails_is_that_hosts_not_the_network(plain_http: int) -> None:
    e = await _transport_error(f"https://127.0.0.1:{plain_http}/", httpx.Timeout(5))
    assert isinstance(e, httpx.ConnectError)
    assert network_failure(e).network is Network.CONNECT


async def test_a_server_that_accepts_then_says_nothing_is_not_the_network() -> None:
    """Connected, then no answer: a read timeout, that server's failure."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        e = await _transport_error(url, httpx.Timeout(0.2, connect=5))
    assert isinstance(e, httpx.ReadTimeout)
    assert network_failure(e).network is Network.TIMEOUT
    assert _connectivity_after(ServiceError("slow", network_failure(e))) == (False, False)


# --- yt-dlp, in-process, through the real resolver -------------------------------------------

async def _resolve_error(url: str, timeout: float = 15) -> ExtractionError:
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    resolver = YtDlpResolver(options={"socket_timeout": timeout})
    try:
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(url)
    finally:
        resolver.close()
    return e.value


async def test_yt_dlp_refused_is_transient_for_the_item_only(closed_port: int) -> None:
    e = await _resolve_error(f"http://127.0.0.1:{closed_port}/watch/x")
    assert e.transient and not e.unreachable
    assert _connectivity_after(e) == (False, False)


async def test_yt_dlp_with_no_name_resolved_is_the_network() -> None:
    e = await _resolve_error(f"http://{NOWHERE}/watch/x")
    assert e.transient and e.unreachable
    assert _connectivity_after(e) == (True, True)


async def test_yt_dlp_whose_connect_times_out_is_the_network(full_backlog: int) -> None:
    e = await _resolve_error(f"http://127.0.0.1:{full_backlog}/watch/x", timeout=0.3)
    assert e.transient and e.unreachable


async def test_yt_dlp_connected_then_told_nothing_is_not_the_network() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        e = await _resolve_error(f"http://127.0.0.1:{server.getsockname()[1]}/watch/x",
                                 timeout=0.3)
    assert e.transient and not e.unreachable


async def test_yt_dlp_whose_tls_handshake_fails_is_not_the_network(plain_http: int) -> None:
    e = await _resolve_error(f"https://127.0.0.1:{plain_http}/watch/x")
    assert not e.unreachable


# --- the rule, over every mix ----------------------------------------------------------------

REFUSALS = [ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
            ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort")]
NO_WAY_OUT = [socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
              socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
              OSError(errno.ENETUNREACH, "Network is unreachable"),
              OSError(errno.EHOSTUNREACH, "No route to host"),
              OSError(errno.ENETDOWN, "Network is down"),
              TimeoutError(errno.ETIMEDOUT, "Connection timed out")]
OTHERS = [OSError(errno.EACCES, "Permission denied"), OSError("All connection attempts failed"),
          TimeoutError("timed out"), ValueError("not an OSError")]
MESSAGES = st.sampled_from(["", "Temporary failure in name resolution", "Connection refused",
                            "Could not resolve host: x", "SSL: WRONG_VERSION_NUMBER"])


def _as_httpx_chains_it(members: list[BaseException]) -> BaseException:
    """The members as anyio raises them under httpx: one per address tried, grouped when
    more than one, under "All connection attempts failed", under the library's own error."""
    cause = members[0] if len(members) == 1 else ExceptionGroup("attempts", members)
    try:
        try:
            raise OSError("All connection attempts failed") from cause
        except OSError as e:
            raise RuntimeError("ConnectError") from e
    except RuntimeError as top:
        return top


@given(st.lists(st.sampled_from(REFUSALS + NO_WAY_OUT + OTHERS), min_size=1, max_size=4),
       st.sampled_from(REFUSALS), st.booleans(), MESSAGES, st.randoms())
def test_a_refusal_anywhere_is_never_the_network(members, refusal, timed_out, message,
                                                 rnd) -> None:
    """One address that refused proves the network is there, whatever the others said."""
    members = [*members, refusal]
    rnd.shuffle(members)
    chain = causes(_as_httpx_chains_it(members))
    assert connect_failure(chain, timed_out=timed_out, message=message) is Network.CONNECT


@given(st.lists(st.sampled_from(NO_WAY_OUT + OTHERS), max_size=3),
       st.sampled_from(NO_WAY_OUT), MESSAGES, st.randoms())
def test_no_name_or_no_route_without_a_refusal_is_the_network(members, no_way, message,
                                                              rnd) -> None:
    members = [*members, no_way]
    rnd.shuffle(members)
    chain = causes(_as_httpx_chains_it(members))
    assert connect_failure(chain, message=message) is Network.UNREACHABLE


@given(st.lists(st.sampled_from(OTHERS), min_size=1, max_size=3))
def test_an_error_that_says_neither_is_that_sources_not_the_networks(members) -> None:
    chain = causes(_as_httpx_chains_it(members))
    assert connect_failure(chain) is Network.CONNECT
    assert connect_failure(chain, timed_out=True) is Network.UNREACHABLE


@pytest.mark.parametrize(("message", "network"), [
    ("Failed to resolve 'x.example' ([Errno -3] Temporary failure in name resolution)",
     Network.UNREACHABLE),
    ("Could not resolve host: x.example", Network.UNREACHABLE),         # libcurl
    ("Connection to x.example timed out. (connect timeout=15)", Network.UNREACHABLE),
    ("Failed to connect to x.example port 80: Couldn't connect to server", Network.CONNECT),
    ("Read timed out. (read timeout=15)", Network.CONNECT),
])
def test_yt_dlp_backends_that_keep_no_oserror_are_read_by_their_words(
        message: str, network: Network) -> None:
    assert connect_failure([RuntimeError(message)], message=message) is network
