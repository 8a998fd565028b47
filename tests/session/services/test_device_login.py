"""The device login's polling (RFC 8628) against a scripted token endpoint: the interval,
slow_down, and every way it ends. The same flow against a real server is in test_oauth2.py
beside it; the dialog and `ytplay login` are there and in tests/test_login_cli.py."""

from __future__ import annotations

import pytest

from tui.core.errors import ServiceError
from tui.core.failures import Failure, Network
from tui.session.services import DeviceLoginFailed, TokenSet, device_login
from tui.session.services._oauth2_client import DeviceCode, _device_code

TOKENS = TokenSet("access", 2e9, "refresh")


def refused(code: str) -> ServiceError:
    return ServiceError(f"400 {code}", Failure(400, code))


class ScriptedServer:
    """Answers each poll with the next outcome; time moves only when the flow sleeps."""

    def __init__(self, *outcomes: ServiceError | TokenSet, expires_in: float = 600,
                 interval: float = 5) -> None:
        self.outcomes = list(outcomes)
        self.code = DeviceCode("dev-code", "ABCD-EFGH", "https://auth.example/device",
                               None, expires_in, interval)
        self.now = 0.0
        self.sleeps: list[float] = []
        self.polls = 0

    async def device_authorization(self) -> DeviceCode:
        return self.code

    async def device_token(self, device_code: str) -> TokenSet:
        assert device_code == "dev-code"
        self.polls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, ServiceError):
            raise outcome
        return outcome

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def run(self) -> TokenSet:
        shown: list[DeviceCode] = []
        try:
            return await device_login(self, "files", shown.append,  # type: ignore[arg-type]
                                      sleep=self.sleep, clock=lambda: self.now)
        finally:
            assert shown == [self.code]  # shown once, before the first poll


async def test_polls_at_the_interval_until_approved() -> None:
    server = ScriptedServer(refused("authorization_pending"), refused("authorization_pending"),
                            TOKENS)
    assert await server.run() == TOKENS
    assert server.sleeps == [5, 5, 5]


async def test_slow_down_adds_five_seconds_for_good() -> None:
    server = ScriptedServer(refused("slow_down"), refused("authorization_pending"),
                            refused("slow_down"), TOKENS)
    await server.run()
    assert server.sleeps == [5, 10, 10, 15]


@pytest.mark.parametrize("code, says", [("access_denied", "refused"),
                                         ("expired_token", "expired")])
async def test_denial_and_expiry_end_it_with_a_clear_message(code: str, says: str) -> None:
    server = ScriptedServer(refused("authorization_pending"), refused(code))
    with pytest.raises(DeviceLoginFailed, match=says):
        await server.run()
    assert server.polls == 2


async def test_gives_up_when_the_code_runs_out_without_asking_again() -> None:
    server = ScriptedServer(*[refused("authorization_pending")] * 10, expires_in=12)
    with pytest.raises(DeviceLoginFailed, match="ABCD-EFGH expired"):
        await server.run()
    assert server.polls == 2  # at 5 s and 10 s; at 15 s the code is dead


async def test_network_trouble_backs_off_and_carries_on() -> None:
    server = ScriptedServer(ServiceError("timeout", Failure(network=Network.TIMEOUT)), TOKENS)
    assert await server.run() == TOKENS
    assert server.sleeps == [5, 10]


async def test_another_error_ends_it() -> None:
    server = ScriptedServer(refused("invalid_client"))
    with pytest.raises(DeviceLoginFailed, match="invalid_client"):
        await server.run()


@pytest.mark.parametrize("body, problem", [
    ({"device_code": "d", "user_code": "U", "expires_in": 600}, TypeError),  # no URI
    ({"device_code": "d", "user_code": "U", "verification_uri": "https://a",
      "expires_in": -3}, ValueError),
])
def test_a_device_answer_that_makes_no_sense_is_refused(body: dict, problem: type) -> None:
    with pytest.raises(problem):
        _device_code(body)


def test_a_device_answer_fills_in_what_it_leaves_out() -> None:
    code = _device_code({"device_code": "d", "user_code": "U", "expires_in": 600,
                         "verification_url": "https://a/device", "interval": 0})
    assert (code.verification_uri, code.verification_uri_complete, code.interval) == \
        ("https://a/device", None, 5.0)


async def test_an_interval_of_a_day_is_not_waited_out() -> None:
    """A server naming `interval: 86400` (hostile, or a typo) would have the user approve
    and then wait a day, past the code's life: polls come at most a minute apart."""
    server = ScriptedServer(refused("authorization_pending"), TOKENS, interval=86400)
    assert await server.run() == TOKENS
    assert server.sleeps == [60, 60]


async def test_no_sleep_runs_past_the_code_s_life() -> None:
    server = ScriptedServer(*[refused("slow_down")] * 10, expires_in=40, interval=5)
    with pytest.raises(DeviceLoginFailed, match="expired"):
        await server.run()
    assert server.now == 40  # 5, 10, 15, then the 10 s left: not 20
