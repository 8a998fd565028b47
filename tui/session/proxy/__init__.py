"""The loopback stream proxy that libmpv reads from (docs/ARCHITECTURE.md, "The loopback
stream proxy" and "HLS through the proxy"): each request relayed to its stream's current
URL, and re-issued from the byte it reached when that URL or token expires; HLS playlist by
playlist and segment by segment; a guard on its connections. It knows nothing of who owns
the streams: it asks through `UpstreamProvider` and is asked through `Relay`, its two ports
(`Upstream` is where a stream's bytes come from now), and the composition root joins
`StreamProxy` to the session manager. Another front end that takes requests in itself
(`ytplay serve`) has them answered by `StreamProxy.answer`, through its own
`tui.core.exchange.Exchange`, whose answers it may shape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._hosts import host_and_port
    from ._ports import Relay, Upstream, UpstreamProvider
    from ._stream_proxy import StreamProxy

__all__, __getattr__ = face(__name__, {
    "_hosts": ("host_and_port",),
    "_ports": ("Relay", "Upstream", "UpstreamProvider"),
    "_stream_proxy": ("StreamProxy",),
})
