from __future__ import annotations

import random
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from tests.fakes import FakeClock
from tui.core.failures import Failure, FailureClass, Network, classify
from tui.core.retry import RetryBudget, RetryPolicy, parse_retry_after


def test_delays_stay_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    assert [policy.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    for n in range(1, 10):
        for _ in range(200):
            assert 0.0 <= policy.delay(n, rng) <= policy.ceiling(n)


def test_full_jitter_is_uniform_over_the_ceiling() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    rng = random.Random(1234)
    samples = [policy.delay(4, rng) for _ in range(20_000)]  # ceiling 8 s
    bins = [0] * 8
    for s in samples:
        bins[min(7, int(s))] += 1
    expected = len(samples) / 8
    chi2 = sum((b - expected) ** 2 / expected for b in bins)
    assert chi2 < 24.3  # chi-square, 7 degrees of freedom, p = 0.001
    assert 3.8 < sum(samples) / len(samples) < 4.2


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    policy = RetryPolicy(retry_after_cap=30)
    rng = random.Random(0)
    assert policy.delay(1, rng, retry_after=5.0) == 5.0
    assert policy.delay(1, rng, retry_after=3600.0) == 30.0
    assert policy.delay(1, rng, retry_after=0.0) <= 0.5


def test_parse_retry_after_both_forms() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("120", now) == 120.0
    date = format_datetime(datetime.fromtimestamp(now + 90, timezone.utc), usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(90.0)
    past = format_datetime(datetime.fromtimestamp(now - 90, timezone.utc), usegmt=True)
    assert parse_retry_after(past, now) == 0.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None


def test_budget_runs_out_and_refills() -> None:
    clock = FakeClock()
    budget = RetryBudget(clock, capacity=3, per_second=0.5)
    assert [budget.try_spend() for _ in range(4)] == [True, True, True, False]
    clock.advance(1.0)
    assert not budget.try_spend()  # half a token
    clock.advance(1.0)
    assert budget.try_spend()
    clock.advance(3600)
    assert budget.available == 3


@pytest.mark.parametrize("failure, cls", [
    (Failure(network=Network.CONNECT), FailureClass.TRANSIENT),
    (Failure(network=Network.TIMEOUT), FailureClass.TRANSIENT),
    (Failure(network=Network.READ), FailureClass.TRANSIENT),
    *[(Failure(status=s), FailureClass.TRANSIENT) for s in (408, 429, 500, 502, 503, 504)],
    (Failure(status=401, code="token_expired"), FailureClass.AUTH),
    (Failure(status=401, code="invalid_token"), FailureClass.AUTH),
    (Failure(status=403, signed_url=True), FailureClass.EXPIRED),
    (Failure(status=410, signed_url=True), FailureClass.EXPIRED),
    (Failure(status=403, code="url_expired"), FailureClass.EXPIRED),
    (Failure(network=Network.PREMATURE_EOF), FailureClass.EXPIRED),
    (Failure(status=404, code="unknown_session"), FailureClass.EXPIRED),
    (Failure(status=400), FailureClass.DETERMINISTIC),
    (Failure(status=403, code="stream_limit", signed_url=True), FailureClass.DETERMINISTIC),
    (Failure(status=403), FailureClass.DETERMINISTIC),
    (Failure(status=404), FailureClass.DETERMINISTIC),
    (Failure(status=404, code="unknown_media"), FailureClass.DETERMINISTIC),
    (Failure(status=400, code="invalid_grant"), FailureClass.DETERMINISTIC),
    (Failure(status=400, code="invalid_client"), FailureClass.DETERMINISTIC),
    (Failure(status=422), FailureClass.DETERMINISTIC),
])
def test_every_row_of_the_failure_table(failure: Failure, cls: FailureClass) -> None:
    assert classify(failure) is cls
    assert cls.retryable is (cls is not FailureClass.DETERMINISTIC)


def test_refresh_rule_windows() -> None:
    from tui.core.leases import RefreshRule

    rule = RefreshRule()
    assert rule.window(3600) == 720          # 20 % of an hour
    assert rule.window(300) == 60            # at least a minute
    assert rule.window(60) == 30             # never more than half the lifetime
    assert rule.window(5) == 2.5
    # jitter only moves the refresh earlier, by at most 10 % of the window
    assert rule.refresh_at(0, 3600, 0.0) == 3600 - 720
    assert 3600 - 720 * 1.1 <= rule.refresh_at(0, 3600, 0.999) < 3600 - 720


def test_deadline_heap_orders_replaces_and_cancels() -> None:
    from tui.core.schedule import DeadlineHeap

    h: DeadlineHeap[str] = DeadlineHeap()
    h.push("a", 10)
    h.push("b", 5)
    h.push("c", 7)
    h.push("a", 1)       # rescheduled earlier
    h.cancel("c")
    assert h.next_deadline() == 1 and len(h) == 2
    assert h.pop_due(4) == ["a"]
    assert h.pop_due(4) == []
    assert h.next_deadline() == 5
    assert h.pop_due(100) == ["b"]
    assert h.next_deadline() is None and len(h) == 0


def test_deadline_heap_memory_stays_proportional_to_live_keys() -> None:
    from tui.core.schedule import DeadlineHeap

    h: DeadlineHeap[int] = DeadlineHeap()
    for round_ in range(50):
        for k in range(100):
            h.push(k, round_ * 1000 + k)
    assert len(h) == 100 and len(h._heap) <= 2 * 100 + 64
