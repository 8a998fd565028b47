"""Running a request under the retry policy: transient failures back off with full jitter
within the attempts and the global budget; everything else is the caller's to handle."""

from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable, TypeVar

from tui.core.errors import GaveUp, ServiceError
from tui.core.events import SessionEvent
from tui.core.failures import FailureClass
from tui.core.redact import redact
from tui.core.retry import RetryBudget, RetryPolicy

T = TypeVar("T")
Emit = Callable[[SessionEvent], None]


class Retrier:
    def __init__(self, policy: RetryPolicy, budget: RetryBudget, emit: Emit,
                 rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.policy = policy
        self.budget = budget
        self.emit = emit
        self.rng = rng or random.Random()
        self.sleep = sleep

    async def run(self, resource: str, op: Callable[[], Awaitable[T]],
                  on_retry: Callable[[int, float, str], None] | None = None) -> T:
        """`op()` until it succeeds, retrying only transient failures. Raises the
        ServiceError of a non-transient failure at once, and GaveUp when attempts or the
        budget run out."""
        attempts = self.policy.attempts
        for attempt in range(1, attempts + 1):
            try:
                return await op()
            except ServiceError as e:
                if e.failure_class is not FailureClass.TRANSIENT:
                    raise
                error = redact(str(e))
                if attempt == attempts:
                    self.emit(SessionEvent(resource, "gave up", "transient", attempt, attempts,
                                           error=error))
                    raise GaveUp(f"{resource}: gave up after {attempts} attempts: {error}",
                                 e.failure) from None
                if not self.budget.try_spend():
                    self.emit(SessionEvent(resource, "gave up", "transient", attempt, attempts,
                                           error=f"retry budget exhausted; {error}"))
                    raise GaveUp(f"{resource}: retry budget exhausted: {error}",
                                 e.failure) from None
                delay = self.policy.delay(attempt, self.rng, e.retry_after)
                self.emit(SessionEvent(resource, "retrying", "transient", attempt + 1, attempts,
                                       delay, error))
                if on_retry is not None:
                    on_retry(attempt + 1, delay, error)
                await self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises
