"""Per-partner rate limits: the token bucket on a fake clock, and the 429 over HTTP."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from credo.api import create_app
from credo.api.ratelimit import RateLimiter
from credo.errors import InvalidInputError, RateLimitedError
from credo.home import Home


class FakeMonotonic:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.seconds = 1_000.0

    def __call__(self) -> float:
        return self.seconds


def test_a_burst_is_accepted_then_the_next_request_waits_for_a_token() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate=4.0, burst=3, clock=clock)
    assert [limiter.check("acme") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("acme") == pytest.approx(0.25)


def test_tokens_refill_at_the_rate() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate=4.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.check("acme")
    clock.seconds += 0.125
    assert limiter.check("acme") == pytest.approx(0.125)  # half a token is not enough
    clock.seconds += 0.125
    assert limiter.check("acme") == 0.0
    assert limiter.check("acme") > 0


def test_a_quiet_spell_refills_no_more_than_the_burst() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate=10.0, burst=2, clock=clock)
    limiter.check("acme")
    clock.seconds += 3_600
    assert [limiter.check("acme") == 0.0 for _ in range(3)] == [True, True, False]


def test_a_clock_running_backwards_mints_no_tokens() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    limiter.check("acme")
    clock.seconds -= 100
    assert limiter.check("acme") > 0
    clock.seconds += 100
    assert limiter.check("acme") > 0
    clock.seconds += 1
    assert limiter.check("acme") == 0.0


def test_each_partner_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=FakeMonotonic())
    assert limiter.check(1) == 0.0
    assert limiter.check(1) > 0
    assert limiter.check(2) == 0.0


def test_acquire_raises_with_the_wait() -> None:
    limiter = RateLimiter(rate=2.0, burst=1, clock=FakeMonotonic())
    limiter.acquire(1, who="partner 'acme'")
    with pytest.raises(RateLimitedError, match="partner 'acme' exceeded its rate limit") as info:
        limiter.acquire(1, who="partner 'acme'")
    assert info.value.retry_after_seconds == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limit_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(InvalidInputError, match="rate limit needs"):
        RateLimiter(rate=rate, burst=burst)


def test_concurrent_requests_never_take_more_than_the_burst() -> None:
    limiter = RateLimiter(rate=1.0, burst=100, clock=FakeMonotonic())
    granted: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        mine = sum(1 for _ in range(50) if limiter.check("acme") == 0.0)
        granted.append(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 100


# --- over HTTP --------------------------------------------------------------------------------


def test_the_app_limits_partners_as_configured(api_home: Home) -> None:
    limiter = create_app(api_home).state.partner_limiter
    assert isinstance(limiter, RateLimiter)
    assert (limiter.rate, limiter.burst) == (
        api_home.settings.api.partner_rate,
        api_home.settings.api.partner_burst,
    )


def test_a_burst_beyond_the_limit_gets_429_with_retry_after(api_home: Home) -> None:
    _acme, key = api_home.partners.add("acme", ["lending"])
    _bikes, other_key = api_home.partners.add("bikes", ["rental"])
    app = create_app(api_home)
    clock = FakeMonotonic()
    app.state.partner_limiter = RateLimiter(rate=0.5, burst=3, clock=clock)
    url = "/v1/partner/authorizations/1"
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert [client.get(url, headers=headers).status_code for _ in range(3)] == [404] * 3
        refused = client.get(url, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited"
        assert refused.headers["Retry-After"] == "2"
        assert set(refused.json()) == {"error", "detail", "request_id"}
        other = client.get(url, headers={"Authorization": f"Bearer {other_key}"})
        assert other.status_code == 404
        assert client.get(url).status_code == 401  # no key: refused before any bucket
        clock.seconds += 2
        assert client.get(url, headers=headers).status_code == 404
