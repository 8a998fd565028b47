"""A download in a process of its own, for test_downloads.py beside it to kill with SIGKILL:
`python download_worker.py BASE_URL CACHE_DIR REF` keeps REF from the demo service at
BASE_URL in the media cache at CACHE_DIR (resuming what a killed run left there, as ytplay
does at start) and prints "done" or "failed: reason"."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.factory import make_session
from tui.session.cache import MediaCache
from tui.session.downloads import Downloads, DownloadState
from tui.session.store import TokenStore


async def main(base_url: str, root: Path, ref: str) -> int:
    resolver = YtDlpResolver()
    cache = MediaCache(root, 1 << 30)
    tokens = TokenStore(Path(tempfile.mkdtemp()) / "tokens.json")
    session = make_session(resolver, token_store=tokens, cache=cache)

    async def password() -> str:
        return "demo"
    session.add_service("demo", base_url, client_id="ytplay", username="demo",
                        password=password)
    downloads = Downloads(session, cache)
    try:
        await downloads.resume()           # a pinned entry left by a killed run goes on
        if downloads.get(ref) is None:
            downloads.keep(ref)
        d = await downloads.wait(ref)
        print("done" if d.state is DownloadState.DONE else f"failed: {d.reason}", flush=True)
        return 0 if d.state is DownloadState.DONE else 1
    finally:
        await downloads.aclose()
        await session.aclose()
        cache.close()
        resolver.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])))
