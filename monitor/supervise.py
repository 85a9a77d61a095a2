"""Surfaces under supervision: a fault in the web server, the history writer or the InfluxDB
exporter is logged, counted and the surface restarted after a backoff (the one retry policy,
on the injected clock), while probing and alerting go on. A surface that has run for
`HEALTHY_AFTER_S` since its last start counts as healthy again: its backoff starts over.
"""

from __future__ import annotations

import collections
import logging
import random
from collections.abc import Awaitable, Callable

from monitor.clock import Clock
from monitor.retry import RetryPolicy, RetrySettings

log = logging.getLogger("monitor.supervise")
HEALTHY_AFTER_S = 60.0
SURFACE_RETRY = RetrySettings(base_s=0.5, cap_s=30.0)


class Faults:
    """How many times each surface failed (and was restarted) since the start."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()


class Supervisor:
    def __init__(self, clock: Clock, faults: Faults, rng: random.Random | None = None) -> None:
        self._clock = clock
        self._faults = faults
        self._policy = RetryPolicy(SURFACE_RETRY, rng or random.Random())

    async def run(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        """Run `factory()` until it returns; restart it after each fault (never a
        cancellation: the TaskGroup's stop goes through)."""
        clock, attempt = self._clock, 0
        while True:
            started = clock.monotonic()
            try:
                await factory()
                return
            except Exception as exc:
                healthy = clock.monotonic() - started >= HEALTHY_AFTER_S
                attempt = 1 if healthy else attempt + 1
                self._faults.counts[name] += 1
                delay_s = self._policy.delay_s(attempt, None)
                log.error(  # the type and message only: a traceback may quote a URL's token
                    "surface_failed",
                    extra={
                        "surface": name,
                        "error": f"{type(exc).__name__}: {exc}"[:300],
                        "faults": self._faults.counts[name],
                        "restart_in_s": round(delay_s, 3),
                    },
                )
            await clock.sleep(delay_s)
