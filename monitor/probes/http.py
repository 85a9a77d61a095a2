"""The `http` probe kind: one HTTP probe is a request under a deadline, a capped body read,
secrets scrubbed, the venue's interpretation; each planned endpoint runs in its own
fixed-rate `probe_loop`."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence

import aiohttp

from monitor.clock import Clock
from monitor.exchanges import Interpretation
from monitor.models import UNKNOWN_ORIGIN, Origin, Outcome, ProbeResult
from monitor.probes.base import ProbeContext
from monitor.probes.body import Body, BodyLimits, read_body
from monitor.probes.failures import classify_failure
from monitor.probes.feedback import ClockOffsets
from monitor.probes.plan import KindPlan, ProbePlan, http_entries
from monitor.probes.runner import scheduled_tasks
from monitor.probes.tracing import PhaseTimer
from monitor.secrets import Scrubber
from monitor.settings import Settings
from monitor.tasks import Task


class HttpProbe:
    """Measures one endpoint. `run()` never raises for a target failure (style rule 10)."""

    __slots__ = (
        "_clock",
        "_limits",
        "_offsets",
        "_origin",
        "_plan",
        "_scrubber",
        "_session",
        "_timer",
    )

    def __init__(
        self,
        plan: ProbePlan,
        session: aiohttp.ClientSession,
        clock: Clock,
        limits: BodyLimits,
        offsets: ClockOffsets | None = None,
        origin: Origin = UNKNOWN_ORIGIN,
    ) -> None:
        self._plan = plan
        self._session = session
        self._clock = clock
        self._limits = limits
        self._scrubber = Scrubber(plan.scrub)
        self._timer = PhaseTimer()
        self._offsets = offsets
        self._origin = origin

    def _request(self, wall_s: float) -> tuple[str, str, Mapping[str, str] | None, bytes | None]:
        plan = self._plan
        if plan.sign is None:
            return plan.method, plan.url, plan.headers or None, plan.body
        offsets = self._offsets if plan.use_server_time else None
        offset = offsets.offset_s(plan.venue) if offsets is not None else 0.0
        signed = plan.sign(int((wall_s + offset) * 1000))
        return signed.method, signed.url, signed.headers, signed.body

    @property
    def plan(self) -> ProbePlan:
        return self._plan

    def _interpret(
        self, status: int, headers: Mapping[str, str], data: bytes, now_s: float
    ) -> Interpretation:
        """The venue's verdict on a body scrubbed of every secret, so that no text taken
        from it (then shortened) can carry one; its texts are scrubbed again on the way out."""
        scrub = self._scrubber
        verdict = self._plan.interpret(status, headers, scrub.body(data), now_s)
        return dataclasses.replace(
            verdict,
            detail=scrub.text(verdict.detail),
            data_seq=scrub.text(verdict.data_seq),
            venue_status=scrub.text(verdict.venue_status),
            symbol_status=scrub.text(verdict.symbol_status),
            permissions=scrub.text(verdict.permissions),
            block=scrub.text(verdict.block),
        )

    async def run(self, scheduled_s: float, sched_lag_s: float, loop_lag_s: float) -> ProbeResult:
        plan, clock, timer = self._plan, self._clock, self._timer
        timer.reset()
        wall0, t0 = clock.wall(), clock.monotonic()
        method, url, request_headers, request_body = self._request(wall0)
        status: int | None = None
        headers: Mapping[str, str] = {}
        body: Body | None = None
        try:
            async with asyncio.timeout(plan.timeout_s):
                async with self._session.request(
                    method,
                    url,
                    headers=request_headers,
                    data=request_body,
                    allow_redirects=False,
                    trace_request_ctx=timer,
                ) as response:
                    status = response.status
                    headers = response.headers
                    body = await read_body(response, self._limits)
        except Exception as exc:
            mapped = classify_failure(exc)
            if mapped is None:
                raise
            t1 = clock.monotonic()
            return ProbeResult(
                plan.endpoint_id,
                plan.venue,
                plan.endpoint,
                mapped[0],
                scheduled_s,
                wall0,
                t1 - t0,
                sched_lag_s,
                loop_lag_s,
                status=status,
                detail=mapped[1],
                phases=timer.phases(t0, t1, complete=False),
                fresh_connection=plan.fresh_connection,
                origin=self._origin,
            )
        t1 = clock.monotonic()
        phases = timer.phases(t0, t1, complete=True)
        assert body is not None  # the request completed
        if body.data is None:
            return ProbeResult(
                plan.endpoint_id,
                plan.venue,
                plan.endpoint,
                Outcome.BAD_PAYLOAD,
                scheduled_s,
                wall0,
                t1 - t0,
                sched_lag_s,
                loop_lag_s,
                status=status,
                detail=body.refusal,
                phases=phases,
                body_bytes=body.read_bytes,
                fresh_connection=plan.fresh_connection,
                origin=self._origin,
            )
        verdict = self._interpret(status or 0, headers, body.data, wall0 + (t1 - t0))
        offset = uncertainty = None
        if verdict.server_time_s is not None:
            # The server stamped its time between our headers going out and its headers
            # coming back: compare with the midpoint; half that window is the uncertainty.
            sent = timer.sent_at or t0
            got = timer.headers_at or t1
            midpoint_wall = wall0 + ((sent + got) / 2 - t0)
            offset = verdict.server_time_s - midpoint_wall
            uncertainty = (got - sent) / 2 + verdict.time_resolution_s / 2
        return ProbeResult(
            plan.endpoint_id,
            plan.venue,
            plan.endpoint,
            verdict.outcome,
            scheduled_s,
            wall0,
            t1 - t0,
            sched_lag_s,
            loop_lag_s,
            status=status,
            detail=verdict.detail,
            phases=phases,
            body_bytes=body.read_bytes,
            fresh_connection=plan.fresh_connection,
            server_time_s=verdict.server_time_s,
            clock_offset_s=offset,
            clock_uncertainty_s=uncertainty,
            data_time_s=verdict.data_time_s,
            data_seq=verdict.data_seq,
            rate_used_ratio=verdict.rate_used_ratio,
            retry_after_s=verdict.retry_after_s,
            ban_until_s=verdict.ban_until_s,
            venue_status=verdict.venue_status,
            auth_problem=verdict.auth_problem,
            key_permissions=verdict.permissions,
            maintenance_begin_s=verdict.maintenance_begin_s,
            maintenance_end_s=verdict.maintenance_end_s,
            symbol_status=verdict.symbol_status,
            symbol_trading=verdict.symbol_trading,
            block=verdict.block,
            backoff_s=verdict.backoff_s,
            origin=self._origin,
        )


class HttpKind:
    """Requests on a fixed schedule: one `HttpProbe` in one `probe_loop` per endpoint, on the
    warm session or, for `fresh_connection` endpoints, the cold one."""

    name = "http"
    records: tuple[type, ...] = (ProbeResult,)

    def plan(self, settings: Settings) -> KindPlan:
        return http_entries(settings)

    def tasks(self, entries: Sequence[ProbePlan], ctx: ProbeContext) -> list[Task]:
        def probe(plan: ProbePlan) -> HttpProbe:
            session = ctx.cold if plan.fresh_connection else ctx.warm
            return HttpProbe(plan, session, ctx.clock, ctx.limits, ctx.feedback, ctx.origin)

        return scheduled_tasks(entries, ctx, probe)


HTTP = HttpKind()
