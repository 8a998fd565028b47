"""The services ytplay knows, by name (docs/ARCHITECTURE.md, "Session manager" and "OAuth2
services"): each session-protocol service's client, tokens and catalogue, each OAuth2
service's client, tokens and media origins; which one a reference belongs to, the source
that opens it, and searches of their libraries."""

from __future__ import annotations

import os.path
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from tui.core.events import SessionEvent
from tui.core.leases import RefreshRule
from tui.core.m3u import Entry
from tui.core.origins import origin
from tui.core.refs import Ref, RefKind, parse_ref
from tui.core.retry import RetryBudget
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier
from tui.session.services import OAuth2Client, PasswordSource, SessionApiClient, TokenManager
from tui.session.store import TokenStore

from ._oauth2_services import BearerUrlSource, DeviceFlow, OAuth2Service, login_grant
from ._sources import ServiceSource, StreamSource

if TYPE_CHECKING:
    import httpx


@dataclass
class SessionService:
    client: SessionApiClient
    tokens: TokenManager
    bearer_origins: frozenset[str]    # where its bearer token may go with a media request
    catalogue: dict[str, dict[str, object]] = field(default_factory=dict)


class ServiceRegistry(Mapping[str, SessionService]):
    """The session-protocol services by name; the OAuth2 ones in `oauth2`."""

    def __init__(self, http: httpx.AsyncClient, *, scheduler: LeaseScheduler,
                 retrier: Retrier, book: LeaseBook, rule: RefreshRule, rng: random.Random,
                 limit: RetryBudget, emit: Callable[[SessionEvent], None],
                 token_store: TokenStore | None, device_id: str) -> None:
        """What every service's tokens share: the one scheduler, retrier, lease book,
        refresh rule and rate limit of renewals ahead of expiry."""
        self.http = http
        self.scheduler = scheduler
        self.retrier = retrier
        self.book = book
        self.rule = rule
        self.rng = rng
        self.limit = limit
        self.emit = emit
        self.token_store = token_store
        self.device_id = device_id
        self._session: dict[str, SessionService] = {}
        # OAuth2 services: their bearer goes with plain URLs under their media origins.
        self.oauth2: dict[str, OAuth2Service] = {}

    def __getitem__(self, name: str) -> SessionService:
        return self._session[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._session)

    def __len__(self) -> int:
        return len(self._session)

    def add(self, name: str, base_url: str, *, client_id: str, username: str,
            password: PasswordSource, token_store: TokenStore | None = None,
            media_origins: Iterable[str] = ()) -> None:
        """`media_origins`: besides the service's own origin, where its media may be
        fetched with its bearer token."""
        store = token_store or self.token_store
        if store is None:
            raise ValueError("a service needs a token store")
        client = SessionApiClient(base_url, client_id, self.http, warn=self._warn(name))
        tokens = TokenManager(name, client, store, username=username, password=password,
                              scheduler=self.scheduler, retrier=self.retrier, book=self.book,
                              rule=self.rule, rng=self.rng, limit=self.limit)
        origins = frozenset(origin(u) for u in (base_url, *media_origins))
        self._session[name] = SessionService(client, tokens, origins)

    def add_oauth2(self, name: str, *, token_url: str, client_id: str,
                   media_origins: Iterable[str], grant: str,
                   secret_env: str | None = None, scopes: Iterable[str] = (),
                   device_url: str | None = None, username: str = "",
                   password: PasswordSource | None = None,
                   seed: Callable[[], str | None] = lambda: None,
                   device: DeviceFlow | None = None,
                   token_store: TokenStore | None = None) -> None:
        """A standard OAuth 2.0 server's service (_oauth2_services.py): URLs under
        `media_origins` get its bearer token, no other URL ever does."""
        store = token_store or self.token_store
        if store is None:
            raise ValueError("a service needs a token store")
        client = OAuth2Client(token_url, self.http, client_id=client_id, secret_env=secret_env,
                              scopes=scopes, device_url=device_url, warn=self._warn(name))

        async def no_password() -> str | None:
            return None
        tokens = TokenManager(name, client, store, username=username,
                              password=password or no_password, scheduler=self.scheduler,
                              retrier=self.retrier, book=self.book, rule=self.rule,
                              rng=self.rng, limit=self.limit,
                              login=login_grant(name, client, grant, self.retrier, seed=seed,
                                                device=device))
        self.oauth2[name] = OAuth2Service(name, client, tokens,
                                          frozenset(origin(u) for u in media_origins))

    def _warn(self, name: str) -> Callable[[str], None]:
        return lambda text: self.emit(SessionEvent(f"service · {name}", "odd answer",
                                                   error=text))

    def remove(self, names: set[str]) -> None:
        """Forget services; what is playing from one plays on until it ends."""
        for name in names:
            self._session.pop(name, None)
            self.oauth2.pop(name, None)

    def reconfigure(self, rule: RefreshRule) -> None:
        """A new refresh rule for every service's tokens, from now on."""
        self.rule = rule
        for svc in [*self._session.values(), *self.oauth2.values()]:
            svc.tokens.rule = rule

    # --- references -----------------------------------------------------------------------

    def parse(self, ref: str) -> Ref:
        return parse_ref(ref, frozenset(self._session), os.path.exists)

    def covering(self, url: str) -> OAuth2Service | None:
        """The OAuth2 service whose media origins hold `url`, if any."""
        return next((s for s in self.oauth2.values() if s.covers(url)), None)

    def source(self, parsed: Ref) -> StreamSource | None:
        """What opens `parsed` when a service does: a playback session at its service, or a
        URL with an OAuth2 service's bearer; None for yt-dlp's references and files."""
        if parsed.kind is RefKind.SERVICE:
            assert parsed.service is not None and parsed.media_id is not None
            svc = self._session[parsed.service]
            return ServiceSource(parsed.service, svc.client, svc.tokens, parsed.media_id,
                                 self.device_id, svc.catalogue, svc.bearer_origins)
        if parsed.kind is RefKind.URL and (bearer := self.covering(parsed.text)) is not None:
            return BearerUrlSource(bearer, parsed.text)
        return None

    async def search(self, query: str) -> list[Entry]:
        """Items of every service's library whose title or artist contains `query`."""
        needle = query.casefold().strip()
        found: list[Entry] = []
        for name, svc in list(self._session.items()):
            if not svc.catalogue:
                items = await svc.tokens.authorized(f"library · {name}", svc.client.library)
                svc.catalogue.update({str(i["id"]): i for i in items})
            for media_id, item in svc.catalogue.items():
                title, artist = str(item.get("title") or ""), str(item.get("artist") or "")
                if needle in f"{title}\n{artist}".casefold():
                    duration = item.get("duration")
                    found.append(Entry(f"{name}:{media_id}", title or None, artist or None,
                                       float(duration) if isinstance(duration, (int, float)) else None))
        return found
