"""The CLI as a user runs it: a real process, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from monitor.exchanges import EXCHANGES

ROOT = Path(__file__).parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment (conftest removed every MONITOR_* variable) plus `extra`."""
    return {**os.environ, **extra}


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
        "invalid setting timeout_s (MONITOR_TIMEOUT_S): Input should be greater than or equal to"
        " 0.01"
    ]


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({"MONITOR_WEB__TOKEN": ""}, "invalid setting web.token (MONITOR_WEB__TOKEN): empty;"),
        ({"MONITOR_WEB__TOKEN": "guessme"}, "invalid setting web.token (MONITOR_WEB__TOKEN): too"),
        ({"MONITOR_TIMEOUT_S": "inf"}, "invalid setting timeout_s (MONITOR_TIMEOUT_S): Input"),
        ({"MONITOR_INTERVAL_S": "1e-9"}, "invalid setting interval_s (MONITOR_INTERVAL_S): Inp"),
        ({"MONITOR_INTERVAL_S": "inf"}, "invalid setting interval_s (MONITOR_INTERVAL_S): Inp"),
        ({"MONITOR_INTERVAL_S": "2"}, "invalid setting timeout_s for binance.ping: 3 s is lon"),
        ({"MONITOR_NOTIFY__CHANNELS": "[{"}, "invalid setting MONITOR_NOTIFY__CHANNELS: not val"),
    ],
)
async def test_refused_settings_exit_2_with_one_line(variables: dict[str, str], line: str) -> None:
    code, _, err = await run_cli("run", env=clean_env(**variables))
    assert (code, len(err.strip().splitlines())) == (2, 1), err
    assert err.startswith(line)


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
