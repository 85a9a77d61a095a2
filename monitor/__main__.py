"""CLI: `python -m monitor [run|demo|sim|check-config]`.

Exit codes: 0 clean stop, 1 unexpected error or forced stop, 2 invalid configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.resources
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console

from monitor import app, console, dashboard, logs
from monitor.clock import Clock, SystemClock
from monitor.probes.kinds import build_plan
from monitor.probes.plan import budget_overruns
from monitor.settings import ConfigError, Settings, load_settings
from monitor.sim.control import control_app
from monitor.sim.server import SimCluster
from monitor.sim.timeline import Timeline, load_timeline, play
from monitor.sim.wiring import point_at_sim
from monitor.tasks import Task
from monitor.web.snapshots import dashboard_snapshot

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2
DISPLAYS = ("demo", "dashboard")  # commands that draw on the terminal
LOG_FILE_HELP = "log here (default on a terminal: exchange-monitor-<command>.log in the temp dir)"
log = logging.getLogger("monitor")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitor", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="probe the configured exchanges (default)")
    demo = sub.add_parser("demo", help="run against the built-in simulated exchanges")
    demo.add_argument("--duration", type=float, default=None, help="stop after N seconds")
    demo.add_argument("--timeline", type=Path, default=None, help="chaos timeline (TOML)")
    demo.add_argument("--every", type=float, default=2.0, help="table refresh period, s")
    demo.add_argument("--log-file", type=Path, default=None, help=LOG_FILE_HELP)
    sim = sub.add_parser("sim", help="serve the simulated exchanges for another monitor")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--base-port", type=int, default=8701, help="first venue port")
    sim.add_argument("--control-port", type=int, default=8700)
    sim.add_argument("--timeline", type=Path, default=None)
    sim.add_argument("--latency-ms", type=float, default=20.0)
    sim.add_argument("--jitter-ms", type=float, default=30.0)
    sub.add_parser("check-config", help="validate settings and print the probe plan")
    board = sub.add_parser("dashboard", help="terminal dashboard of a running monitor")
    board.add_argument("--url", default=None, help="the monitor's web URL (default: settings)")
    board.add_argument("--demo", action="store_true", help="run the demo in-process and show it")
    board.add_argument("--duration", type=float, default=None, help="with --demo: stop after N s")
    board.add_argument("--timeline", type=Path, default=None, help="with --demo: chaos timeline")
    board.add_argument("--log-file", type=Path, default=None, help=LOG_FILE_HELP)
    return parser


def _install_signals(stop: asyncio.Event, grace_s: float) -> None:
    """First SIGINT/SIGTERM: stop gracefully within `grace_s`. Second: exit at once."""
    loop = asyncio.get_running_loop()

    def forced() -> None:
        log.error("shutdown_forced", extra={"grace_s": grace_s})
        os._exit(EXIT_ERROR)

    def on_signal() -> None:
        if stop.is_set():
            forced()
        stop.set()
        loop.call_later(grace_s, forced)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


def _run_loop(main: Coroutine[Any, Any, None], use_uvloop: bool) -> None:
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if use_uvloop:
        try:
            import uvloop  # noqa: PLC0415 - optional speed-up

            factory = uvloop.new_event_loop
        except ImportError:
            factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


GC_FREEZE_AFTER_S = 5.0


def _tune_gc(settings: Settings, clock: Clock) -> list[Task]:
    """The garbage collector's pauses dominate the probes' latency tail: collect the young
    generation less often, and freeze what start-up built once the stages are running."""
    gc.set_threshold(settings.gc_threshold0, 20, 100)
    if not settings.gc_freeze:
        return []

    async def freeze() -> None:
        await clock.sleep(GC_FREEZE_AFTER_S)
        gc.freeze()

    return [("gc-freeze", freeze)]


async def _run(settings: Settings, clock: Clock) -> None:
    stop = asyncio.Event()
    _install_signals(stop, settings.shutdown_grace_s)
    await app.run(settings, clock, stop, extras=_tune_gc(settings, clock))


def builtin_timeline() -> Timeline:
    resource = importlib.resources.files("monitor.sim") / "demo_timeline.toml"
    with importlib.resources.as_file(resource) as path:
        return load_timeline(path)


async def _demo(
    settings: Settings, clock: Clock, args: argparse.Namespace, consumer: app.Consumer | None = None
) -> None:
    stop = asyncio.Event()
    _install_signals(stop, settings.shutdown_grace_s)
    if args.duration is not None:
        asyncio.get_running_loop().call_later(args.duration, stop.set)
    timeline = load_timeline(args.timeline) if args.timeline else builtin_timeline()
    cluster = SimCluster(clock, base_latency_ms=15, jitter_ms=20, seed=7)
    await cluster.start()
    scratch = tempfile.TemporaryDirectory(prefix="exchange-monitor-demo-")
    try:
        demo = point_at_sim(settings, cluster.urls)
        if "outbox_path" not in settings.notify.model_fields_set:  # a demo leaves nothing behind
            notify = settings.notify.model_copy(
                update={"outbox_path": Path(scratch.name) / "outbox.sqlite3"}
            )
            demo = demo.model_copy(update={"notify": notify})
        if "port" not in settings.web.model_fields_set:  # never collide with a busy port
            demo = demo.model_copy(update={"web": settings.web.model_copy(update={"port": 0})})
        if "path" not in settings.store.model_fields_set:
            history = Path(scratch.name) / "history.sqlite3"
            demo = demo.model_copy(
                update={"store": settings.store.model_copy(update={"path": history})}
            )

        async def consume(runtime: app.Runtime) -> None:
            await console.live_table(runtime.view, clock, console.terminal(), args.every)

        chaos: Task = ("chaos-timeline", lambda: play(timeline, cluster, clock))
        await app.run(
            demo, clock, stop, consumer or consume, extras=[chaos, *_tune_gc(demo, clock)]
        )
    finally:
        await cluster.stop()
        scratch.cleanup()


async def _sim(settings: Settings, clock: Clock, args: argparse.Namespace) -> None:
    from aiohttp import web  # noqa: PLC0415 - only the sim command serves HTTP here

    stop = asyncio.Event()
    _install_signals(stop, settings.shutdown_grace_s)
    cluster = SimCluster(clock, base_latency_ms=args.latency_ms, jitter_ms=args.jitter_ms)
    ports = {name: args.base_port + i for i, name in enumerate(cluster.venues)}
    await cluster.start(args.host, ports)
    runner = web.AppRunner(control_app(cluster), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.control_port).start()
    for venue, url in cluster.urls.items():
        print(f"MONITOR_EXCHANGES__{venue.upper()}__BASE_URL={url}", flush=True)
    print(f"# control API: http://{args.host}:{args.control_port}/chaos", flush=True)
    try:
        if args.timeline is not None:
            player = asyncio.create_task(play(load_timeline(args.timeline), cluster, clock))
            await stop.wait()
            player.cancel()
        else:
            await stop.wait()
    finally:
        await runner.cleanup()
        await cluster.stop()


async def _dashboard(settings: Settings, clock: Clock, args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    _install_signals(stop, settings.shutdown_grace_s)
    terminal = Console(width=None if sys.stdout.isatty() else dashboard.WIDTH)
    if args.demo:

        async def show(runtime: app.Runtime) -> None:
            def address() -> str:
                port = runtime.listening.get("web")
                return "starting" if port is None else f"http://127.0.0.1:{port}/"

            view = runtime.view
            await dashboard.live(lambda: dashboard_snapshot(view), address, clock, terminal)

        await _demo(settings, clock, args, consumer=show)
        return
    token = settings.web.token.get_secret_value() if settings.web.token else None
    url = args.url or f"http://{settings.web.host}:{settings.web.port}"
    async with aiohttp.ClientSession() as session:
        viewer = asyncio.create_task(
            dashboard.live(
                lambda: dashboard.fetch(session, url, token), lambda: url, clock, terminal
            )
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait((viewer, stopping), return_when=asyncio.FIRST_COMPLETED)
        for task in (viewer, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # the viewer's TokenRefused goes up from here


def _log_file(command: str, args: argparse.Namespace) -> Path | None:
    """Where a display's logs go: never into the drawing (a terminal gets a file)."""
    if command not in DISPLAYS:
        return None
    if args.log_file is not None:
        return Path(args.log_file)
    if not sys.stdout.isatty():
        return None
    return Path(tempfile.gettempdir()) / f"exchange-monitor-{command}.log"


def _check_config(settings: Settings) -> int:
    plan = build_plan(settings)
    for probe in plan.probes:
        print(
            f"{probe.endpoint_id:<24} every {probe.interval_s:g}s timeout {probe.timeout_s:g}s"
            f"{' fresh-connection' if probe.fresh_connection else ''}  {probe.method} {probe.url}"
        )
    for venue, (wanted, budget) in budget_overruns(plan).items():
        print(f"warning: {venue} schedule needs {wanted:.0f} weight/min, budget is {budget}")
    print(f"ok: {len(plan.probes)} endpoints")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        # The demo probes every second and keeps one-minute windows, so that a newcomer sees
        # alerts fire and resolve within its 90 s timeline; the environment still overrides.
        overrides: dict[str, Any] = {}
        if command == "demo":
            overrides = {
                "interval_s": 1.0,
                "timeout_s": 1.0,  # never longer than the interval
                "rules": {"high_latency_ms": 500.0},  # the timeline's spike stays under 1 s
                "detect": {"window_max_age_s": 60.0},
                "log_format": "text",
            }
        settings = load_settings(os.environ, **overrides)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    logs.configure(settings.log_level, settings.log_format, path=_log_file(command, args))
    clock = SystemClock()
    runners = {
        "run": lambda: _run(settings, clock),
        "demo": lambda: _demo(settings, clock, args),
        "sim": lambda: _sim(settings, clock, args),
        "dashboard": lambda: _dashboard(settings, clock, args),
    }
    try:  # the plan and the start-up (ports, files) can still refuse the configuration
        if command == "check-config":
            return _check_config(settings)
        _run_loop(runners[command](), settings.uvloop)
    except (ConfigError, dashboard.TokenRefused) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
