from __future__ import annotations

import random

import pytest

from monitor.histogram import Histogram


def test_quantiles_within_bucket_precision() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(-7, 1) for _ in range(20_000)]
    histogram = Histogram()
    for v in values:
        histogram.record(v)
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.99):
        truth = ordered[int(q * len(ordered))]
        assert histogram.quantile(q) == pytest.approx(truth, rel=0.006)
    assert histogram.count == len(values)


def test_empty_and_overflow() -> None:
    histogram = Histogram((1.0, 2.0))
    assert histogram.quantile(0.5) is None
    histogram.record(5.0)
    assert histogram.quantile(0.5) == float("inf")
