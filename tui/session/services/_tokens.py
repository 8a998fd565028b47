"""Access and refresh tokens for one service: refreshed ahead of expiry, single-flight, with
the rotated refresh token on disk before the new access token is used (docs/PROTOCOL.md,
"Tokens")."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Awaitable, Callable, TypeVar

from tui.core.errors import LoginRequired, ServiceError, told_without
from tui.core.events import SessionEvent
from tui.core.expiry import clock_note
from tui.core.failures import FailureClass, Network
from tui.core.leases import Lease, LeaseKind, LeaseState, RefreshRule
from tui.core.redact import redact
from tui.core.retry import RetryBudget
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier
from tui.session.store import TokenStore

from ._protocol_client import SessionApiClient, TokenSet

T = TypeVar("T")
PasswordSource = Callable[[], Awaitable[str | None]]
# A login other than the password grant (an OAuth2 service's:
# tui/session/streams/_oauth2_services.py).
LoginGrant = Callable[[], Awaitable[TokenSet]]


class _Ambiguous(Exception):
    """A refresh grant whose fate is unknown (timed out, or the answer was lost): the server
    may have rotated the token, so the same token must not simply be sent again."""


class TokenManager:
    def __init__(self, name: str, client: SessionApiClient, store: TokenStore, *,
                 username: str, password: PasswordSource, scheduler: LeaseScheduler,
                 retrier: Retrier, book: LeaseBook, rule: RefreshRule | None = None,
                 rng: random.Random | None = None, limit: RetryBudget | None = None,
                 login: LoginGrant | None = None) -> None:
        self.name = name
        self.client = client
        self.store = store
        self.username = username
        self.password = password
        self.scheduler = scheduler
        self.retrier = retrier
        self.book = book
        self.rule = rule or RefreshRule()
        self.rng = rng or random.Random()
        self.limit = limit                      # the rate limit on renewals ahead of expiry
        self.login = login                      # instead of the password grant, when set
        self.access: str | None = None
        self.expires_at = 0.0                   # wall clock
        self._obtained = float("-inf")          # monotonic, when the access token came
        self._stale = 0                         # tokens in a row that arrived expired
        self.users = 0                          # open items that need this service's tokens
        self.grants = 0                         # token requests made, for tests and panels
        self._inflight: asyncio.Future[str] | None = None
        self._resource = f"access token · {name}"
        self._key = f"token:{name}"

    # --- who needs the tokens -------------------------------------------------------------

    def acquire(self) -> None:
        self.users += 1
        if self.users == 1 and self.access is not None:
            self._schedule()

    def release(self) -> None:
        self.users = max(0, self.users - 1)
        if self.users == 0:
            self.scheduler.cancel(self._key)  # nothing needs it: no refresh-ahead

    # --- tokens ---------------------------------------------------------------------------

    def _valid(self) -> bool:
        # A token that arrived already expired (a server clock off ours makes every token
        # look so) is used for a little while all the same: asking again at once would loop.
        stale_but_new = self._stale and time.monotonic() - self._obtained < self.rule.min_gap
        return self.access is not None and (stale_but_new or time.time() < self.expires_at - 1.0)

    async def token(self) -> str:
        if self._valid():
            assert self.access is not None
            return self.access
        return await self.refresh()

    async def refresh(self, rejected: str | None = None) -> str:
        """A fresh access token. Any number of concurrent callers share one request; a
        caller whose token was rejected gets the newer one if someone already refreshed."""
        if rejected is not None and self.access != rejected and self._valid():
            assert self.access is not None
            return self.access
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._refresh())
            self._inflight.add_done_callback(self._clear_inflight)
        return await asyncio.shield(self._inflight)

    def _clear_inflight(self, future: asyncio.Future[str]) -> None:
        self._inflight = None
        if not future.cancelled():
            future.exception()  # retrieved here; the awaiting callers get it too

    async def authorized(self, resource: str, call: Callable[[str], Awaitable[T]],
                         on_retry: Callable[[int, float, str], None] | None = None) -> T:
        """`call(token)` with transient retries; a 401 refreshes the token once and replays
        once. A second 401 is raised, never looped on."""
        token = await self.token()
        try:
            return await self.retrier.run(resource, lambda: call(token), on_retry)
        except ServiceError as e:
            if e.failure_class is not FailureClass.AUTH:
                raise
            self.retrier.emit(SessionEvent(resource, "refreshing token", "auth",
                                           error=redact(str(e))))
        fresh = await self.refresh(rejected=token)
        return await self.retrier.run(resource, lambda: call(fresh), on_retry)

    # --- the refresh itself ---------------------------------------------------------------

    async def _refresh(self) -> str:
        self._show(LeaseState.REFRESHING)
        self.retrier.emit(SessionEvent(self._resource, "refreshing"))
        try:
            tokens = await self._obtain()
        except Exception as e:
            said = redact(told_without(e, self._resource))
            self._show(LeaseState.FAILED, error=said)
            self.retrier.emit(SessionEvent(self._resource, "failed", error=said))
            raise
        if tokens.refresh_token:
            # Stored before the access token is used: a crash now still leaves us the only
            # refresh token the server will accept.
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.store.save, self.name, tokens.refresh_token)
        self.access, self.expires_at = tokens.access_token, tokens.expires_at
        self._obtained = time.monotonic()
        self._stale = self._stale + 1 if self.expires_at <= time.time() else 0
        self._show(LeaseState.FRESH)
        if tokens.refresh_token:  # none with client credentials: no row for what is not there
            self.book.put(f"{self._key}:refresh",
                          Lease(LeaseKind.REFRESH_TOKEN, self.name, None))
        self.retrier.emit(SessionEvent(self._resource, "refreshed"))
        if self.users:
            self._schedule()
        return tokens.access_token

    async def _obtain(self) -> TokenSet:
        stored = self.store.load(self.name)
        if stored:
            try:
                return await self._refresh_grant(stored)
            except _Ambiguous:
                # Re-check what is stored before anything else: if another refresh already
                # rotated the token, use the newer one; otherwise the server may or may not
                # have consumed ours, and one more try tells (reuse ends in invalid_grant,
                # and then a fresh login below).
                again = self.store.load(self.name) or stored
                try:
                    return await self._refresh_grant(again)
                except (_Ambiguous, ServiceError):
                    pass
            except ServiceError as e:
                if e.failure_class is not FailureClass.DETERMINISTIC:
                    raise
            # Off the loop: the store fsyncs.
            await asyncio.get_running_loop().run_in_executor(None, self.store.save, self.name, None)
            self.retrier.emit(SessionEvent(f"refresh token · {self.name}", "rejected",
                                           "deterministic", error="logging in again"))
        return await self._login()

    async def _refresh_grant(self, refresh_token: str) -> TokenSet:
        async def once() -> TokenSet:
            self.grants += 1
            try:
                return await self.client.refresh_grant(refresh_token)
            except ServiceError as e:
                if e.failure.network in (Network.TIMEOUT, Network.READ):
                    raise _Ambiguous(str(e)) from None
                raise
        return await self.retrier.run(self._resource, once)

    async def _login(self) -> TokenSet:
        if self.login is not None:
            return await self.login()
        password = await self.password()
        if password is None:
            raise LoginRequired(f"{self.name}: log in to continue")

        async def once() -> TokenSet:
            self.grants += 1
            return await self.client.password_grant(self.username, password)
        try:
            return await self.retrier.run(self._resource, once)
        except ServiceError as e:
            if e.failure.code == "unsafe_redirect":
                raise LoginRequired(f"{self.name}: {e}") from None
            if e.failure_class is FailureClass.DETERMINISTIC:
                raise LoginRequired(f"{self.name}: the service refused the login "
                                    f"({e.failure.code or e.failure.status})") from None
            raise

    # --- refresh-ahead and the panel ------------------------------------------------------

    def _schedule(self) -> None:
        now_wall, now_mono = time.time(), self.scheduler.now()
        if self._stale:  # arrived expired: back off, doubling, instead of looping
            at = now_mono + self.rule.stale_gap(self._stale)
        else:
            expires_mono = now_mono + (self.expires_at - now_wall)
            at = self.rule.refresh_at(now_mono, expires_mono, self.rng.random())
        self.scheduler.schedule(self._key, at, self._refresh_ahead)

    def _refresh_ahead(self) -> None:
        if self.limit is not None and not self.limit.try_spend():
            self.scheduler.schedule(self._key, self.scheduler.now() + 1 / self.limit.per_second,
                                    self._refresh_ahead)
            return
        task = asyncio.ensure_future(self.refresh())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _show(self, state: LeaseState, error: str | None = None) -> None:
        if self.book.get(self._key) is None:
            self.book.put(self._key, Lease(LeaseKind.ACCESS_TOKEN, self.name, None))
        fields: dict[str, object] = {"state": state, "last_error": error}
        if state is LeaseState.FRESH:
            fields["expires_at"] = self.expires_at
            note = clock_note(self.client.clock_offset)
            fields["last_error"] = note or ("arrived already expired" if self._stale else None)
        self.book.update(self._key, **fields)
