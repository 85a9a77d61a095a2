"""Windows against a naive model (a plain list re-sorted every time)."""

from __future__ import annotations

import random

import pytest

from monitor.detect.window import ERROR_OUTCOMES, Window, quantile
from monitor.models import Outcome


def naive_stats(samples: list[tuple[float, Outcome, float | None]]) -> dict[str, object]:
    lats = sorted(lat for _, _, lat in samples if lat is not None)
    errors = sum(1 for _, o, _ in samples if o in ERROR_OUTCOMES)
    return {
        "n": len(samples),
        "p95": quantile(lats, 0.95) if lats else None,
        "p50": quantile(lats, 0.50) if lats else None,
        "error_rate": errors / len(samples) if samples else 0.0,
    }


@pytest.mark.parametrize("seed", range(5))
def test_window_matches_naive_model(seed: int) -> None:
    rng = random.Random(seed)
    window = Window(max_samples=50, max_age_s=30.0)
    model: list[tuple[float, Outcome, float | None]] = []
    t = 0.0
    for _ in range(2000):
        t += rng.choice([0.1, 0.5, 1.0, 7.0])
        outcome = rng.choice(
            [
                Outcome.OK,
                Outcome.OK,
                Outcome.OK,
                Outcome.TIMEOUT,
                Outcome.HTTP_ERROR,
                Outcome.RATE_LIMITED,
            ]
        )
        latency = rng.uniform(0.001, 0.5) if outcome is Outcome.OK else None
        window.add(t, outcome, latency)
        model.append((t, outcome, latency))
        model = [s for s in model if s[0] >= t - 30.0][-50:]
        expected = naive_stats(model)
        stats = window.stats()
        assert stats.samples == expected["n"]
        assert stats.error_rate == pytest.approx(expected["error_rate"])
        for got, want in ((stats.p95_s, expected["p95"]), (stats.p50_s, expected["p50"])):
            assert (got is None) == (want is None)
            if got is not None and isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-6)


def test_uncounted_streak_leaves_error_rate() -> None:
    window = Window(100, 300.0)
    for i in range(20):
        window.add(float(i), Outcome.OK, 0.01)
    for i in range(20, 25):
        window.add(float(i), Outcome.TIMEOUT, None)
    assert window.error_rate == pytest.approx(5 / 25)
    window.uncount_last(5)
    assert window.error_rate == 0.0
    assert window.counted == 20
    assert window.stats().samples == 25


def test_recent_latencies_skip_failures() -> None:
    window = Window(10, 300.0)
    window.add(1.0, Outcome.OK, 0.1)
    window.add(2.0, Outcome.TIMEOUT, None)
    window.add(3.0, Outcome.OK, 0.3)
    assert window.recent_latencies(5) == pytest.approx([0.3, 0.1])
    assert window.recent_outcomes(2) == ("ok", "timeout")
