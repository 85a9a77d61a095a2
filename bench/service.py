"""Running the real service (`python -m monitor`) for a benchmark, and reading it back."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from monitor.histogram import Histogram

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class Service:
    proc: asyncio.subprocess.Process
    url: str
    session: aiohttp.ClientSession

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def self_stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/api/v1/self") as response:
            data: dict[str, Any] = await response.json()
            return data


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return str(value)


def write_config(
    path: Path,
    settings: dict[str, Any],
    targets: list[dict[str, Any]],
    channels: list[dict[str, Any]],
) -> None:
    lines = []
    for key, value in settings.items():
        if isinstance(value, dict):
            continue
        lines.append(f"{key} = {toml_value(value)}")
    for table, values in settings.items():
        if isinstance(values, dict):
            lines.append(f"[{table}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
    for target in targets:
        lines.append("[[targets]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in target.items()]
    for channel in channels:
        lines.append("[[notify.channels]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in channel.items()]
    path.write_text("\n".join(lines) + "\n")


@contextlib.asynccontextmanager
async def service(config: Path, env: dict[str, str], core: int | None) -> AsyncIterator[Service]:
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "MONITOR_CONFIG": str(config),
        "MONITOR_WEB__PORT": str(port),
        "MONITOR_LOG_LEVEL": "WARNING",
    }
    pin = ["taskset", "-c", str(core)] if core is not None else []
    proc = await asyncio.create_subprocess_exec(
        *pin,
        sys.executable,
        "-m",
        "monitor",
        env=full_env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        try:
            for _ in range(600):
                try:
                    async with session.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)  # noqa: TID251 - waiting for an external process
            yield Service(proc, url, session)
        finally:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await proc.wait()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def diff_quantile(before: dict[str, Any], after: dict[str, Any], q: float) -> float | None:
    """A quantile of what a service's histogram recorded between two snapshots of it."""
    between = Histogram(tuple(after["bounds"]))
    between.counts = [b - a for a, b in zip(before["counts"], after["counts"], strict=True)]
    between.count = sum(between.counts)
    return between.quantile(q)


@contextlib.asynccontextmanager
async def serving(proc: asyncio.subprocess.Process, port: int, tries: int) -> AsyncIterator[str]:
    """The URL of a server process on 127.0.0.1:`port` once it accepts connections (polled
    every 50 ms, `tries` times: it is an external process); the process is stopped on exit."""
    try:
        for _ in range(tries):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.05)  # noqa: TID251 - waiting for an external process
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()


@contextlib.asynccontextmanager
async def http_app(routes: web.RouteTableDef, max_body: int = 1 << 20) -> AsyncIterator[str]:
    """A local aiohttp app for a bench's receivers (webhooks, a hanging LLM); yields its URL."""
    app = web.Application(client_max_size=max_body)
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
