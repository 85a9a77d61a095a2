"""Auth failure modes raise the right alert through the whole pipeline; a canary secret never
shows up in logs, alerts, prompts or errors."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import orjson
import pytest
from pydantic import SecretStr

from monitor import app, logs
from monitor.clock import SystemClock
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.jsonl import JsonlSpec
from monitor.settings import NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim, sim_credentials, with_credentials
from monitor.store.history import StoreSettings
from monitor.triage import prompts


async def first_firing(
    tmp_path: Path, venue: str, rule: ChaosRule | None, *, secret: str | None = None,
    use_server_time: bool = True,
) -> tuple[AlertEvent, Path]:  # fmt: skip
    clock = SystemClock()
    cluster = SimCluster(clock)
    await cluster.start()
    if rule is not None:
        await cluster.apply(rule)
    changes: dict[str, object] = {"interval_s": 0.1}
    if secret is not None:
        changes["api_secret"] = SecretStr(secret)
    creds = sim_credentials(
        cluster.keys, venue, cluster.urls[venue], use_server_time=use_server_time
    ).model_copy(update=changes)
    alerts_file = tmp_path / "alerts.jsonl"
    notify = NotifySettings(outbox_path=tmp_path / "outbox.sqlite3",
                            channels=[JsonlSpec(name="file", path=alerts_file)])  # fmt: skip
    settings = with_credentials(
        point_at_sim(
            Settings(
                interval_s=0.1,
                notify=notify,
                store=StoreSettings(path=tmp_path / "history.sqlite3"),
            ),
            {venue: cluster.urls[venue]},
        ),
        {venue: creds},
    )
    stop = asyncio.Event()
    fired: list[AlertEvent] = []

    async def watch(runtime: app.Runtime) -> None:
        while True:
            event = await runtime.feed.get()
            if event.kind is AlertKind.FIRING:
                fired.append(event)
                while not alerts_file.exists():  # the file channel has written it
                    await clock.sleep(0.01)
                stop.set()
                return

    try:
        async with asyncio.timeout(10):
            await app.run(settings, clock, stop, watch)
    finally:
        await cluster.stop()
    return fired[0], alerts_file


@pytest.mark.parametrize(("venue", "problem"), [
    ("binance", "key"), ("okx", "ip"), ("bybit", "signature"), ("kraken", "nonce"),
    ("coinbase", "permission"),
])  # fmt: skip
async def test_auth_failure_alert(tmp_path: Path, venue: str, problem: str) -> None:
    rule = ChaosRule(venue=venue, endpoint="account", kind=ChaosKind.AUTH_FAILURE, problem=problem)
    event, _ = await first_firing(tmp_path, venue, rule)
    assert event.fingerprint == f"AUTH_FAILURE/{venue}/account"
    assert event.severity is Severity.CRITICAL
    assert event.evidence.facts["auth_problem"] == problem


async def test_rejected_timestamp_is_critical_clock_drift(tmp_path: Path) -> None:
    rule = ChaosRule(venue="bybit", endpoint="account", kind=ChaosKind.CLOCK_DRIFT, clock_ms=9000)
    event, _ = await first_firing(tmp_path, "bybit", rule, use_server_time=False)
    assert event.fingerprint == "CLOCK_DRIFT/bybit/account"
    assert event.severity is Severity.CRITICAL


async def test_key_that_can_trade_is_flagged(tmp_path: Path) -> None:
    rule = ChaosRule(venue="okx", endpoint="account", kind=ChaosKind.KEY_CAN_TRADE)
    event, _ = await first_firing(tmp_path, "okx", rule)
    assert event.fingerprint == "KEY_PERMISSIONS/okx/account"
    assert event.severity is Severity.HIGH


async def test_canary_secret_never_leaks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    canary = "Y2FuYXJ5LXNlY3JldC0xMjM0NTY3ODkw"  # base64, a valid secret shape for any venue
    caplog.set_level(logging.DEBUG)
    formatted = io.StringIO()
    handler = logging.StreamHandler(formatted)
    handler.setFormatter(logs.JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        event, alerts_file = await first_firing(tmp_path, "kraken", None, secret=canary)
    finally:
        logging.getLogger().removeHandler(handler)
    assert event.fingerprint == "AUTH_FAILURE/kraken/account"  # the wrong secret was refused
    prompt = orjson.dumps(prompts.messages("x", prompts.incident_data(event, {}))).decode()
    for text in (caplog.text, formatted.getvalue(), alerts_file.read_text(), prompt,
                 str(event.as_dict())):  # fmt: skip
        assert canary not in text
