"""The second composition of ytplay's session, with no terminal and no player: the resolver
(yt-dlp in its own process), the services of the config with their tokens, the media cache,
the session manager and the proxy's relay, joined as tui/factory.py joins them for the app,
with `ytplay serve`'s server standing where the loopback proxy's server stands. Logins have
no dialog here: a password comes from `password_env`, an OAuth2 service's tokens from an
earlier login (`ytplay login NAME`, or the app's) or the environment."""

from __future__ import annotations

import logging
import os
from contextlib import AsyncExitStack
from pathlib import Path

from tui.config.paths import media_cache_dir, tokens_file
from tui.config.schema import Config, OAuth2ServiceSection, ServiceSection
from tui.runtime_config import (refresh_rule, retry_budget, retry_policy, ytdlp_fallbacks,
                                ytdlp_options)
from tui.session.cache import CacheTee, MediaCache
from tui.session.proxy import StreamProxy
from tui.session.services import PasswordSource
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

log = logging.getLogger(__name__)


def _env(name: str | None) -> str | None:
    return (os.environ.get(name) or None) if name else None


def _password(name: str | None) -> PasswordSource:
    async def password() -> str | None:
        return _env(name)
    return password


def add_services(session: SessionManager, config: Config) -> None:
    """`[[services]]`, each logging in without asking anyone."""
    for svc in config.services:
        if isinstance(svc, ServiceSection):
            session.add_service(svc.name, svc.base_url, client_id=svc.client_id,
                                username=svc.username, password=_password(svc.password_env),
                                media_origins=svc.media_origins)
        elif isinstance(svc, OAuth2ServiceSection):
            def seed(svc: OAuth2ServiceSection = svc) -> str | None:
                return _env(svc.refresh_token_env)
            session.add_oauth2_service(
                svc.name, token_url=svc.token_url, client_id=svc.client_id,
                media_origins=svc.media_origins, grant=svc.grant,
                secret_env=svc.client_secret_env, scopes=svc.scopes,
                device_url=svc.device_url, username=svc.username or "",
                password=_password(svc.password_env), seed=seed)


async def session_for(config: Config,
                      resources: AsyncExitStack) -> tuple[SessionManager, StreamProxy]:
    """The session manager and the relay that answers for its streams, each resource's end
    pushed onto `resources`; the caller joins a `Relay` (`session.relay`) to serve them."""
    from tui.adapters.tags import MutagenTagReader
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    resolver = YtDlpResolver(options=ytdlp_options(config), tags=MutagenTagReader(),
                             fallbacks=ytdlp_fallbacks(config))
    resources.callback(resolver.close)
    # What the session says (each renewal, retry and recovery) goes to the log: it logs it.
    session = SessionManager(resolver, token_store=TokenStore(tokens_file()),
                             policy=retry_policy(config), rule=refresh_rule(config),
                             budget=retry_budget(config))
    resources.push_async_callback(session.aclose)
    add_services(session, config)
    proxy = StreamProxy(session, session.retrier, session.http)
    if config.cache.enabled:
        root = Path(config.cache.dir).expanduser() if config.cache.dir else media_cache_dir()
        cache = MediaCache(root, config.cache.max_bytes, notify=log.warning)
        resources.callback(cache.close)
        await cache.ready()
        session.cache = cache
        proxy.tee = CacheTee(cache, session.ref_of)  # what is relayed is kept, and answered
    return session, proxy
