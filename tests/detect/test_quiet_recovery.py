"""Quiet recoveries and positive evidence for LOCAL_NETWORK, on the fake clock.

The measured faults (issue 13): three venues timing out together raised LOCAL_NETWORK although
two venues on the same host answered; when it resolved, the alerts it had muted were announced
as new critical alerts after every venue was healthy again (results of probes sent during the
incident, arriving after it), then resolved 1-3 s later."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.exchanges import EXCHANGES
from monitor.models import Outcome
from monitor.settings import Settings
from tests.detect.test_detector_rules import Scenario
from tests.fakes import FakeClock

TIMEOUT = {"outcome": Outcome.TIMEOUT, "detail": "deadline exceeded", "latency_s": 1.0}
REFUSED = {"outcome": Outcome.CONNECT_ERROR, "detail": "refused", "latency_s": 0.001}


def one_host(**extra: Any) -> Settings:
    """Every venue behind one address (as an emulator serves them), each on its own port."""
    tables = {v: {"base_url": f"http://127.0.0.1:{9100 + i}"} for i, v in enumerate(EXCHANGES)}
    return Settings(interval_s=1.0, timeout_s=1.0, exchanges=tables, **extra)


def failing(s: Scenario, venues: tuple[str, ...], how: dict[str, Any]) -> dict[str, Any]:
    return {eid: how for eid, p in s.probes.items() if p.venue in venues}


def fired(s: Scenario) -> list[str]:
    return [f for kind, f, _ in s.events() if kind == "firing"]


@pytest.mark.parametrize("how", [TIMEOUT, REFUSED], ids=["timeout", "refused"])
def test_venues_failing_on_one_host_while_others_answer_are_their_own_incidents(
    fake_clock: FakeClock, how: dict[str, Any]
) -> None:
    s = Scenario(fake_clock, one_host())
    s.rounds(3)
    s.rounds(5, failing(s, ("okx", "bybit", "kraken"), how))
    assert sorted(fired(s)) == ["EXCHANGE_DOWN/bybit", "EXCHANGE_DOWN/kraken", "EXCHANGE_DOWN/okx"]


def test_connect_failures_spread_over_distinct_hosts_are_our_network(
    fake_clock: FakeClock,
) -> None:
    s = Scenario(fake_clock)  # the venues' own hosts
    s.rounds(3)
    s.rounds(5, failing(s, ("okx", "bybit", "kraken"), REFUSED))
    assert fired(s) == ["LOCAL_NETWORK/monitor"]


def test_timeouts_on_some_venues_while_others_answer_are_not_our_network(
    fake_clock: FakeClock,
) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.rounds(5, failing(s, ("okx", "bybit", "kraken"), TIMEOUT))
    assert "LOCAL_NETWORK/monitor" not in fired(s)


def test_no_venue_answering_over_distinct_hosts_is_our_network(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.rounds(5, failing(s, tuple(EXCHANGES), TIMEOUT))
    assert fired(s) == ["LOCAL_NETWORK/monitor"]


def test_a_failing_control_target_is_positive_evidence(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock, one_host(control_target="127.0.0.1:9"))
    s.rounds(3)
    change = failing(s, ("okx", "bybit", "kraken"), TIMEOUT)
    change["monitor.control"] = REFUSED
    s.rounds(5, change)
    assert fired(s) == ["LOCAL_NETWORK/monitor"]


def test_a_failing_control_target_alone_raises_nothing(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock, one_host(control_target="127.0.0.1:9"))
    s.rounds(8, {"monitor.control": REFUSED})
    assert s.events() == []


def late(s: Scenario, endpoint_id: str, how: dict[str, Any], age_s: float) -> None:
    """The result of a probe started `age_s` ago (during the incident), arriving now."""
    started = s.clock.wall() - age_s
    s.detector.ingest(s.model.result(s.probes[endpoint_id], started_wall_s=started, **how))


def test_muted_alerts_resolve_silently_after_local_network(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.rounds(5, failing(s, tuple(EXCHANGES), TIMEOUT))
    assert fired(s) == ["LOCAL_NETWORK/monitor"]
    for _, p in s.probes.items():
        if p.endpoint_id != "kraken.depth":
            s.detector.ingest(s.model.result(p))
    late(s, "kraken.depth", TIMEOUT, 1.5)
    s.rounds(6)
    assert [e[:2] for e in s.events()] == [("resolved", "LOCAL_NETWORK/monitor")]


def test_muted_alerts_resolve_silently_after_exchange_down(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.rounds(5, failing(s, ("okx",), TIMEOUT))
    assert fired(s) == ["EXCHANGE_DOWN/okx"]
    for eid in ("okx.time", "okx.status"):
        s.detector.ingest(s.model.result(s.probes[eid]))
    late(s, "okx.ticker", TIMEOUT, 1.5)
    s.rounds(6)
    assert [e[:2] for e in s.events()] == [("resolved", "EXCHANGE_DOWN/okx")]


def test_a_condition_still_true_is_announced(fake_clock: FakeClock) -> None:
    s = Scenario(fake_clock)
    s.rounds(3)
    s.rounds(5, failing(s, tuple(EXCHANGES), TIMEOUT))
    assert fired(s) == ["LOCAL_NETWORK/monitor"]
    s.rounds(4, failing(s, ("kraken",), TIMEOUT))  # every venue but kraken is back
    assert [e[:2] for e in s.events()] == [
        ("resolved", "LOCAL_NETWORK/monitor"),
        ("firing", "EXCHANGE_DOWN/kraken"),
    ]
