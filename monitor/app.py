"""Composition root: opens resources, builds the stages from settings and runs them in ONE
TaskGroup. Stopping = setting `stop`; the TaskGroup ends through `TerminateTaskGroup`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import urllib.parse
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from monitor import __version__
from monitor.bus.base import Subscription
from monitor.bus.local import LocalBus
from monitor.bus.subscriber import consume
from monitor.clock import Clock
from monitor.detect.catalogue import EndpointInfo, ThresholdsLookup
from monitor.detect.detector import Detector, detector_loop, detector_ticker
from monitor.detect.health import health
from monitor.detect.restore import RestoredAlert
from monitor.detect.ruleset import RULES
from monitor.detect.spec import RuleBook
from monitor.detect.thresholds import Thresholds
from monitor.exchanges import EXCHANGES
from monitor.live_view import LiveView
from monitor.models import AlertEvent, ProbeResult, SelfHealth
from monitor.notify import build_channels
from monitor.notify.base import SinkContext
from monitor.notify.notifier import RECENT_EVENTS, Notifier
from monitor.notify.outbox import Outbox
from monitor.probes.base import ProbeContext
from monitor.probes.body import BodyLimits
from monitor.probes.feedback import VenueFeedback
from monitor.probes.health import LoopLag, SelfHealthReporter, loop_lag_ticker
from monitor.probes.kinds import build_plan, probe_tasks
from monitor.probes.plan import Plan, budget_overruns
from monitor.probes.runner import Gate, ScheduleStats
from monitor.probes.tracing import phase_trace_config
from monitor.queues import DropOldestQueue
from monitor.settings import Settings
from monitor.startup import bind_web, open_database
from monitor.store.alert_state import AlertStateStore, SavedState, alert_state_writer, flush
from monitor.store.history import History, history_writer
from monitor.store.influx import InfluxExporter, influx_writer
from monitor.store.rollups import Rollups
from monitor.store.series import ProbeSeries
from monitor.supervise import Faults, Supervisor
from monitor.tasks import Task
from monitor.triage.client import LlmClient
from monitor.triage.service import Triage
from monitor.view import MonitorView
from monitor.web.server import WebServer

log = logging.getLogger("monitor.app")

USER_AGENT = f"exchange-monitor/{__version__}"
MIN_KEEPALIVE_S = 30.0
HEALTH_QUEUE = 1000  # SelfHealth records awaiting the detector's next tick


class TerminateTaskGroup(Exception):
    """Raised inside the TaskGroup to end it (Python 3.11 has no TaskGroup.cancel())."""


@dataclasses.dataclass(frozen=True, slots=True)
class Runtime:
    """What the stages share, visible to consumers and tests."""

    plan: Plan
    bus: LocalBus
    results: Subscription[ProbeResult]  # the detector's subscription
    stats: ScheduleStats
    lag: LoopLag
    detector: Detector
    series: ProbeSeries  # the probes' Prometheus series, fed by their own subscriber
    rollups: Rollups  # the open per-minute rollups, fed by their own subscriber
    notifier: Notifier
    feed: DropOldestQueue[AlertEvent]  # a copy of every alert event, for tests
    view: MonitorView  # what the surfaces read
    listening: dict[str, int]  # surface -> port
    state_feed: DropOldestQueue[AlertEvent]  # the durable events the alert state store keeps
    web_up: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # port known
    faults: Faults = dataclasses.field(default_factory=Faults)  # surfaces' faults (restarts)


Consumer = Callable[[Runtime], Coroutine[Any, Any, None]]


def keepalive_s(plan: Plan) -> float:
    """Idle connections must outlive the longest interval, or they reopen in bursts."""
    longest = max((p.interval_s for p in plan.probes), default=0.0)
    return max(MIN_KEEPALIVE_S, 2 * longest + 1)


def _session(connector: aiohttp.TCPConnector, clock: Clock | None) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=connector,
        # Deadlines belong to the caller (asyncio.timeout): disable aiohttp's 300 s default.
        timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None),
        trace_configs=[phase_trace_config(clock)] if clock is not None else None,
        headers={"User-Agent": USER_AGENT},
        cookie_jar=aiohttp.DummyCookieJar(),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Sessions:
    warm: aiohttp.ClientSession  # probes on reused connections: what a trading bot sees
    cold: aiohttp.ClientSession  # probes on a new connection each time (DNS + TCP + TLS)
    notify: aiohttp.ClientSession  # channels: never shares a pool with the probes


@contextlib.asynccontextmanager
async def sessions(settings: Settings, clock: Clock, plan: Plan) -> AsyncIterator[Sessions]:
    limit = settings.max_in_flight
    warm = aiohttp.TCPConnector(
        limit=limit, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=keepalive_s(plan)
    )
    cold = aiohttp.TCPConnector(
        limit=limit, limit_per_host=0, force_close=True, use_dns_cache=False
    )
    async with (
        _session(warm, clock) as warm_session,
        _session(cold, clock) as cold_session,
        _session(aiohttp.TCPConnector(limit=100), None) as notify_session,
    ):
        yield Sessions(warm_session, cold_session, notify_session)


def make_gate(settings: Settings, plan: Plan) -> Gate:
    return Gate(
        AsyncLimiter(settings.global_rate_per_s, 1.0),
        {venue: AsyncLimiter(budget, 60.0) for venue, budget in plan.budgets_per_min.items()},
        asyncio.Semaphore(settings.max_in_flight),
    )


def probe_context(
    settings: Settings, runtime: Runtime, clock: Clock, http: Sessions
) -> ProbeContext:
    """What every probe kind's tasks share."""
    return ProbeContext(
        clock=clock,
        origin=settings.origin,
        gate=make_gate(settings, runtime.plan),
        bus=runtime.bus,
        lag=runtime.lag,
        stats=runtime.stats,
        feedback=VenueFeedback(),
        warm=http.warm,
        cold=http.cold,
        limits=BodyLimits(settings.body_max_bytes, settings.body_max_ratio),
    )


def endpoint_catalogue(settings: Settings, plan: Plan) -> list[EndpointInfo]:
    """What the detector is told of each planned endpoint."""
    out = []
    for p in plan.probes:
        profile = EXCHANGES.get(p.venue)
        creds = settings.exchange(p.venue).credentials
        recv_window_ms = creds.recv_window_ms if creds else None
        signing = profile.receive_window_ms(recv_window_ms) if profile else None
        host = urllib.parse.urlsplit(p.url).hostname or ""
        is_exchange = profile is not None
        out.append(
            EndpointInfo(p.endpoint_id, p.venue, p.endpoint, p.kind, is_exchange, signing, host)
        )
    return out


def thresholds_lookup(settings: Settings) -> ThresholdsLookup:
    targets = {target.name: target for target in settings.targets}

    def lookup(venue: str | None, endpoint: str | None) -> Thresholds:
        if venue is None:
            return settings.rules
        return settings.thresholds(venue, endpoint, targets.get(venue))

    return lookup


def make_detector(
    settings: Settings,
    plan: Plan,
    clock: Clock,
    bus: LocalBus,
    rules: RuleBook = RULES,
    restored: Sequence[RestoredAlert] = (),
) -> Detector:
    catalogue = endpoint_catalogue(settings, plan)
    lookup = thresholds_lookup(settings)
    return Detector(
        settings.detect, catalogue, lookup, clock, bus, settings.origin, rules, restored
    )


def alert_state_store(settings: Settings) -> AlertStateStore:
    return AlertStateStore(settings.store.path, RECENT_EVENTS, settings.detect.flap_window_s)


def restore(saved: SavedState, detector: Detector, notifier: Notifier) -> None:
    """Put back what the alert state store kept (the firing alerts went to the detector)."""
    for silence in saved.silences:
        detector.silences.add(silence)
    notifier.recent.extend(saved.incidents)
    if saved.alerts or saved.silences:
        log.info(
            "alert_state_restored",
            extra={"alerts": len(saved.alerts), "silences": len(saved.silences)},
        )


def make_triage(
    settings: Settings, clock: Clock, session: aiohttp.ClientSession, detector: Detector
) -> Triage:
    """Rule-based triage always; the LLM when enabled. Its context: every venue's state."""
    config = settings.triage
    client = LlmClient(config.llm, session, clock) if config.enabled else None

    def venue_states() -> dict[str, str]:
        return {venue.venue: venue.state for venue in health(detector)}

    return Triage(config, client, clock, venue_states)


def make_notifier(
    settings: Settings,
    clock: Clock,
    outbox: Outbox,
    session: aiohttp.ClientSession,
    triage: Triage,
) -> Notifier:
    notify = settings.notify
    return Notifier(
        build_channels(notify.channels, SinkContext(session, clock)),
        outbox,
        clock,
        group_window_s=notify.group_window_s,
        retry=notify.retry,
        breaker=notify.breaker,
        fallback_after_s=notify.fallback_after_s,
        storm_threshold=notify.storm_threshold,
        triage=triage,
    )


async def _terminate_when(stop: asyncio.Event) -> None:
    await stop.wait()
    raise TerminateTaskGroup


def _warn_overruns(plan: Plan) -> None:
    for venue, (wanted, budget) in budget_overruns(plan).items():
        log.warning(
            "schedule_exceeds_budget",
            extra={"venue": venue, "weight_per_min": round(wanted), "budget_per_min": budget},
        )


def _start_stages(
    tg: asyncio.TaskGroup,
    runtime: Runtime,
    settings: Settings,
    clock: Clock,
    http: Sessions,
    history: History,
    state: AlertStateStore,
) -> list[Task]:
    """Start the stages; return the surfaces (history, InfluxDB, alert state) to supervise."""
    bus = runtime.bus
    reporter = SelfHealthReporter(settings.origin, clock, runtime.stats, bus)
    ticker = loop_lag_ticker(clock, runtime.lag, settings.loop_lag_tick_s, reporter)
    tg.create_task(ticker, name="loop-lag")
    for name, factory in probe_tasks(runtime.plan, probe_context(settings, runtime, clock, http)):
        tg.create_task(factory(), name=name)
    tg.create_task(detector_loop(runtime.detector, runtime.results, clock), name="detector")
    health_feed = bus.subscribe(SelfHealth, "detector-health", HEALTH_QUEUE)
    tick = detector_ticker(runtime.detector, health_feed, clock, settings.detect.tick_s)
    tg.create_task(tick, name="detector-tick")
    # Alerts are transitions, few and precious: inhibition and flap damping keep their number
    # small, so a queue this long never drops one in practice (and a drop would be counted).
    alerts = bus.subscribe(AlertEvent, "notifier", settings.queue_size)
    for name, factory in runtime.notifier.tasks(alerts):
        tg.create_task(factory(), name=name)
    surfaces = _start_subscribers(tg, runtime, settings, clock, http, history)
    surfaces.append(("alert-state", lambda: alert_state_writer(state, runtime.state_feed)))
    return surfaces


def _start_subscribers(
    tg: asyncio.TaskGroup,
    runtime: Runtime,
    settings: Settings,
    clock: Clock,
    http: Sessions,
    history: History,
) -> list[Task]:
    """The stages that only take results in, each on its own bus subscription: a slow one
    drops (and counts) its own oldest results, never the detector's. Returns the surfaces
    among them (history, InfluxDB) to run under supervision."""
    bus, size = runtime.bus, settings.queue_size
    series = bus.subscribe(ProbeResult, "series", size)
    tg.create_task(consume(series, runtime.series.add), name="series")
    rollups = bus.subscribe(ProbeResult, "rollups", size)
    tg.create_task(consume(rollups, runtime.rollups.add), name="rollups")
    exporter = None
    surfaces: list[Task] = []
    influx = settings.store.influx
    if influx.enabled:
        exporter = InfluxExporter(influx, http.notify)
        if influx.raw_points:
            points = bus.subscribe(ProbeResult, "influx", size)
            tg.create_task(consume(points, exporter.add_result), name="influx-points")
        surfaces.append(("influx", lambda: influx_writer(exporter, clock, influx.flush_s)))
    feed, minutes, flush_s = runtime.notifier.subscribe(), runtime.rollups, settings.store.flush_s
    surfaces.append(
        ("history", lambda: history_writer(history, minutes, feed, clock, flush_s, exporter))
    )
    return surfaces


def web_server(runtime: Runtime, settings: Settings, clock: Clock) -> WebServer:
    def listening(port: int) -> None:
        runtime.listening["web"] = port
        runtime.web_up.set()
        log.info("web_listening", extra={"host": settings.web.host, "port": port})

    return WebServer(runtime.view, settings.web, clock, listening)


async def run(
    settings: Settings,
    clock: Clock,
    stop: asyncio.Event,
    consumer: Consumer | None = None,
    extras: Sequence[Task] = (),
) -> Runtime:
    """Run every stage until `stop` is set; return the shared state for inspection."""
    plan = build_plan(settings)
    _warn_overruns(plan)
    outbox = Outbox(settings.notify.outbox_path)
    history = History(settings.store)
    state = alert_state_store(settings)
    try:
        await open_database(("notify", "outbox_path"), settings.notify.outbox_path, outbox.open)
        await open_database(("store", "path"), settings.store.path, history.open)
        await open_database(("store", "path"), settings.store.path, state.open)
        async with sessions(settings, clock, plan) as http:
            bus = LocalBus()
            results = bus.subscribe(ProbeResult, "detector", settings.queue_size)
            saved = await state.load(clock.wall())
            detector = make_detector(settings, plan, clock, bus, restored=saved.alerts)
            series = ProbeSeries(endpoint_catalogue(settings, plan))
            triage = make_triage(settings, clock, http.notify, detector)
            notifier = make_notifier(settings, clock, outbox, http.notify, triage)
            restore(saved, detector, notifier)
            stats, lag, listening, faults = ScheduleStats(), LoopLag(), dict[str, int](), Faults()
            view = LiveView(
                detector,
                series,
                notifier,
                stats,
                lag,
                results,
                history,
                clock,
                listening,
                faults,
                state,
            )
            runtime = Runtime(
                plan,
                bus,
                results,
                stats,
                lag,
                detector,
                series,
                Rollups(),
                notifier,
                notifier.subscribe(),
                view,
                listening,
                notifier.subscribe(settings.queue_size),
                faults=faults,
            )
            web = web_server(runtime, settings, clock) if settings.web.enabled else None
            if web is not None:  # first: the surfaces answer while the probes start
                await bind_web(web, settings)
            log.info(
                "monitor_started", extra={"endpoints": len(plan.probes), "version": __version__}
            )
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(_terminate_when(stop), name="stop-watch")
                    surfaces = _start_stages(tg, runtime, settings, clock, http, history, state)
                    if web is not None:
                        surfaces.append(("web", web.run))
                    if consumer is not None:
                        tg.create_task(consumer(runtime), name="consumer")
                    supervisor = Supervisor(clock, faults)
                    for name, factory in [*surfaces, *extras]:
                        tg.create_task(supervisor.run(name, factory), name=name)
            except* TerminateTaskGroup:
                pass
            finally:
                if web is not None:
                    await web.close()
            await notifier.drain()  # SIGTERM mid-storm: every queued alert is kept
            await flush(state, runtime.state_feed)
    finally:
        await outbox.close()
        await history.close()
        await state.close()
    log.info("monitor_stopped", extra={"probes": runtime.stats.probes, "dropped": results.dropped})
    return runtime
