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
from monitor.notify.webhook import WebhookSpec
from monitor.settings import Credentials, NotifySettings, Settings
from monitor.sim.chaos import ChaosKind, ChaosRule
from monitor.sim.server import SimCluster
from monitor.sim.wiring import point_at_sim, sim_credentials, with_credentials
from monitor.store.history import StoreSettings
from monitor.triage import prompts
from monitor.web.config import WebSettings
from tests.notify.helpers import Captured, receiver


async def first_firing(
    tmp_path: Path,
    venue: str,
    rule: ChaosRule | None,
    *,
    secret: str | None = None,
    use_server_time: bool = True,
) -> tuple[AlertEvent, str]:
    """The first alert that fires, and the text of its webhook delivery."""
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
    async with receiver() as (url, seen):
        channel = WebhookSpec(name="hook", url=url, min_severity=Severity.LOW)
        notify = NotifySettings(outbox_path=tmp_path / "outbox.sqlite3", channels=[channel])
        return await _run(tmp_path, venue, cluster, creds, notify, seen)


async def _run(
    tmp_path: Path,
    venue: str,
    cluster: SimCluster,
    creds: Credentials,
    notify: NotifySettings,
    seen: asyncio.Queue[Captured],
) -> tuple[AlertEvent, str]:
    clock = cluster.clock
    settings = with_credentials(
        point_at_sim(
            Settings(
                interval_s=0.1,
                timeout_s=0.1,
                notify=notify,
                store=StoreSettings(path=tmp_path / "history.sqlite3"),
                web=WebSettings(port=0),
            ),
            {venue: cluster.urls[venue]},
        ),
        {venue: creds},
    )
    stop = asyncio.Event()
    fired: list[tuple[AlertEvent, str]] = []

    async def watch(runtime: app.Runtime) -> None:
        event = await runtime.feed.get()
        while event.kind is not AlertKind.FIRING:
            event = await runtime.feed.get()
        delivered = (await seen.get()).body.decode()  # the webhook channel delivered it
        while event.fingerprint not in delivered:
            delivered = (await seen.get()).body.decode()
        fired.append((event, delivered))
        stop.set()

    try:
        async with asyncio.timeout(10):
            await app.run(settings, clock, stop, watch)
    finally:
        await cluster.stop()
    return fired[0]


@pytest.mark.parametrize(
    ("venue", "problem"),
    [
        ("binance", "key"),
        ("okx", "permission"),
        ("bybit", "signature"),
        ("kraken", "nonce"),
        ("coinbase", "permission"),
    ],
)
async def test_auth_failure_alert(tmp_path: Path, venue: str, problem: str) -> None:
    rule = ChaosRule(venue=venue, endpoint="account", kind=ChaosKind.AUTH_FAILURE, problem=problem)
    event, _ = await first_firing(tmp_path, venue, rule)
    assert event.fingerprint == f"AUTH_FAILURE/{venue}/account"
    assert event.severity is Severity.CRITICAL
    assert event.evidence.facts.auth_problem == problem


async def test_a_key_refused_for_this_hosts_ip_is_access_denied(tmp_path: Path) -> None:
    rule = ChaosRule(venue="okx", endpoint="account", kind=ChaosKind.AUTH_FAILURE, problem="ip")
    event, _ = await first_firing(tmp_path, "okx", rule)
    assert event.fingerprint == "ACCESS_DENIED/okx"
    assert event.severity is Severity.CRITICAL
    assert event.evidence.facts.block == "IP not whitelisted for the API key"
    assert "signed requests refused from this host" in event.summary
    assert "50110 Your IP is not included" in event.summary


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
        event, delivered = await first_firing(tmp_path, "kraken", None, secret=canary)
    finally:
        logging.getLogger().removeHandler(handler)
    assert event.fingerprint == "AUTH_FAILURE/kraken/account"  # the wrong secret was refused
    prompt = orjson.dumps(prompts.messages("x", prompts.incident_data(event, {}))).decode()
    for text in (caplog.text, formatted.getvalue(), delivered, prompt, str(event.as_dict())):
        assert canary not in text
