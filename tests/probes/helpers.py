"""Building single probes against a URL, for tests."""

from __future__ import annotations

import functools

import aiohttp

from monitor.clock import SystemClock
from monitor.exchanges import EndpointKind
from monitor.exchanges.http_target import HttpCheck, interpret_http
from monitor.probes.body import BodyLimits
from monitor.probes.http import HttpProbe
from monitor.probes.plan import ProbePlan


def http_plan(url: str, *, timeout_s: float = 1.0, check: HttpCheck | None = None) -> ProbePlan:
    return ProbePlan(
        endpoint_id="target.http",
        venue="target",
        endpoint="http",
        url=url,
        method="GET",
        interval_s=1.0,
        timeout_s=timeout_s,
        fresh_connection=False,
        weight=1,
        offset_s=0.0,
        kind=EndpointKind.HTTP,
        interpret=functools.partial(interpret_http, check or HttpCheck()),
    )


def http_probe(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout_s: float = 1.0,
    cap: int = 1 << 20,
    check: HttpCheck | None = None,
) -> HttpProbe:
    plan = http_plan(url, timeout_s=timeout_s, check=check)
    return HttpProbe(plan, session, SystemClock(), BodyLimits(cap))
