"""Per-endpoint sliding windows, bounded by count and by age.

Samples live in flat arrays (about 20 bytes each, no object per sample) and served latencies
are also kept sorted incrementally (bisect insert/remove), so percentiles cost O(1) to read
and O(window) memmove to maintain: cheap with thousands of endpoints.
"""

from __future__ import annotations

import bisect
import dataclasses
from array import array

from monitor.models import Outcome

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
CODE = {outcome: i for i, outcome in enumerate(OUTCOMES)}
# Failures that count in the error rate; rate limits and maintenance have their own rules.
ERROR_OUTCOMES = frozenset(
    {
        Outcome.HTTP_ERROR,
        Outcome.TIMEOUT,
        Outcome.CONNECT_ERROR,
        Outcome.EXCHANGE_ERROR,
        Outcome.BAD_PAYLOAD,
        Outcome.ACCESS_DENIED,
    }
)
_ERROR_CODES = frozenset(CODE[o] for o in ERROR_OUTCOMES)
_NO_LATENCY = -1.0


@dataclasses.dataclass(frozen=True, slots=True)
class WindowStats:
    """A snapshot of one window; latencies in seconds over served, trusted samples."""

    samples: int
    latency_samples: int
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_s: float | None
    mean_s: float | None
    error_rate: float
    availability: float
    outcomes: tuple[tuple[str, int], ...]


def quantile(ordered: array[float] | list[float], q: float) -> float:
    """Nearest-rank quantile of a sorted, non-empty sequence."""
    rank = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
    return float(ordered[rank])


class Window:
    """Ring buffer of (time, latency, outcome, counted) with running aggregates.

    `counted` is cleared for samples that belong to an outage streak: an outage is reported
    by its own rules, so its samples must not keep the error rate high after recovery."""

    __slots__ = (
        "_codes",
        "_counted",
        "_errors",
        "_head",
        "_lat",
        "_lat_sum",
        "_max_age_s",
        "_max_samples",
        "_outcome_counts",
        "_size",
        "_sorted",
        "_times",
        "_total",
    )

    def __init__(self, max_samples: int, max_age_s: float) -> None:
        self._max_samples = max_samples
        self._max_age_s = max_age_s
        self._times: array[float] = array("d")
        self._lat: array[float] = array("f")
        self._codes = array("b")
        self._counted = array("b")
        self._sorted: array[float] = array("f")
        self._head = 0  # index of the oldest sample
        self._size = 0
        self._total = 0  # counted samples
        self._errors = 0  # counted error samples
        self._lat_sum = 0.0
        self._outcome_counts = [0] * len(OUTCOMES)

    def __len__(self) -> int:
        return self._size

    def add(
        self, t: float, outcome: Outcome, latency_s: float | None, counted: bool = True
    ) -> None:
        """Append a sample; `latency_s` None = not a trusted served latency; `counted`
        False = kept out of the error rate from the start."""
        self.expire(t)
        if self._size == self._max_samples:
            self._drop_oldest()
        code = CODE[outcome]
        lat = _NO_LATENCY if latency_s is None else latency_s
        if len(self._times) < self._max_samples:
            self._times.append(t)
            self._lat.append(lat)
            self._codes.append(code)
            self._counted.append(counted)
            slot = len(self._times) - 1
        else:
            slot = (self._head + self._size) % self._max_samples
            self._times[slot], self._lat[slot] = t, lat
            self._codes[slot], self._counted[slot] = code, counted
        self._size += 1
        if counted:
            self._total += 1
            self._errors += code in _ERROR_CODES
        self._outcome_counts[code] += 1
        if latency_s is not None:
            bisect.insort(self._sorted, self._lat[slot])
            self._lat_sum += self._lat[slot]

    def expire(self, now: float) -> None:
        horizon = now - self._max_age_s
        while self._size and self._times[self._head] < horizon:
            self._drop_oldest()

    def uncount_last(self, n: int) -> None:
        """Take the newest `n` samples out of the error rate (they form an outage streak)."""
        for back in range(min(n, self._size)):
            slot = (self._head + self._size - 1 - back) % len(self._times)
            if self._counted[slot]:
                self._counted[slot] = 0
                self._total -= 1
                self._errors -= self._codes[slot] in _ERROR_CODES

    def recent_latencies(self, n: int) -> list[float]:
        """The newest `n` trusted latencies, newest first (fewer if the window lacks them)."""
        out: list[float] = []
        for back in range(self._size):
            lat = self._lat[(self._head + self._size - 1 - back) % len(self._times)]
            if lat >= 0:
                out.append(lat)
                if len(out) == n:
                    break
        return out

    def recent_outcomes(self, n: int) -> tuple[str, ...]:
        size = len(self._times)
        take = min(n, self._size)
        return tuple(
            OUTCOMES[self._codes[(self._head + self._size - 1 - b) % size]].value
            for b in range(take)
        )

    def latency_quantile(self, q: float) -> float | None:
        return quantile(self._sorted, q) if self._sorted else None

    @property
    def latency_count(self) -> int:
        return len(self._sorted)

    @property
    def counted(self) -> int:
        return self._total

    @property
    def error_rate(self) -> float:
        return self._errors / self._total if self._total else 0.0

    def stats(self) -> WindowStats:
        served = (
            self._outcome_counts[CODE[Outcome.OK]] + self._outcome_counts[CODE[Outcome.DEGRADED]]
        )
        ordered = self._sorted
        has = bool(ordered)
        return WindowStats(
            samples=self._size,
            latency_samples=len(ordered),
            p50_s=quantile(ordered, 0.50) if has else None,
            p95_s=quantile(ordered, 0.95) if has else None,
            p99_s=quantile(ordered, 0.99) if has else None,
            max_s=float(ordered[-1]) if has else None,
            mean_s=self._lat_sum / len(ordered) if has else None,
            error_rate=self.error_rate,
            availability=served / self._size if self._size else 1.0,
            outcomes=tuple((OUTCOMES[i].value, n) for i, n in enumerate(self._outcome_counts) if n),
        )

    def sorted_latencies(self) -> array[float]:
        return self._sorted

    def _drop_oldest(self) -> None:
        slot = self._head
        code = self._codes[slot]
        if self._counted[slot]:
            self._total -= 1
            self._errors -= code in _ERROR_CODES
        self._outcome_counts[code] -= 1
        lat = self._lat[slot]
        if lat >= 0:
            del self._sorted[bisect.bisect_left(self._sorted, lat)]
            self._lat_sum -= lat
        self._size -= 1
        if self._size == 0:
            # Empty: restart the ring at slot 0, so that while the arrays are still growing
            # the newest sample always sits at the end of them.
            for column in (self._times, self._lat, self._codes, self._counted):
                del column[:]
            self._head = 0
        else:
            self._head = (self._head + 1) % len(self._times)
