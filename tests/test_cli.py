"""The CLI as a user runs it: a real process, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from monitor.exchanges import EXCHANGES

ROOT = Path(__file__).parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(extra)
    return environ


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_invalid_config_exits_2_with_one_line() -> None:
    code, _, err = await run_cli("check-config", env=clean_env(MONITOR_TIMEOUT_S="0"))
    assert code == 2
    assert err.strip().splitlines() == [
        "invalid setting timeout_s (MONITOR_TIMEOUT_S): Input should be greater than 0"
    ]


async def test_invalid_config_stops_run_too() -> None:
    code, _, err = await run_cli("run", env=clean_env(MONITOR_ENABLED_EXCHANGES="mtgox"))
    assert code == 2
    assert "unknown exchange 'mtgox'" in err


async def test_check_config_prints_the_plan() -> None:
    code, out, _ = await run_cli("check-config", env=clean_env())
    assert code == 0
    assert "binance.time" in out and "ok: 16 endpoints" in out


async def test_demo_shows_all_venues_then_stops_cleanly_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-X",
        "dev",
        "-m",
        "monitor",
        "demo",
        "--every",
        "0.5",
        env=clean_env(MONITOR_LOG_FORMAT="json"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    venues = set(EXCHANGES)
    seen: set[str] = set()
    async with asyncio.timeout(15):
        while seen != venues:
            line = (await proc.stdout.readline()).decode()
            assert line, "demo exited early"
            seen |= {v for v in venues if line.strip().startswith(v + ".") and " ok " in line}
    proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(10):
        _, err = await proc.communicate()
    text = err.decode()
    assert proc.returncode == 0, text
    for bad in ("Unclosed", "Task was destroyed", "Traceback", "never awaited"):
        assert bad not in text
