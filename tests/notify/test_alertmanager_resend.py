"""The `alertmanager` push as Prometheus does it, against a recording receiver on the fake
clock: endsAt four resends ahead, a severity change resolves the old label set, the re-push
loop with the Watchdog, severity mapping, runbook and generator URLs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pydantic
import pytest
from aiohttp import web

from monitor.models import AlertKind, Severity
from monitor.notify import build_channels
from monitor.notify.alertmanager import AlertmanagerSink, AlertmanagerSpec
from monitor.notify.am_active import TOMBSTONE_S
from monitor.notify.base import SinkContext
from monitor.notify.notifier import Notifier
from monitor.notify.outbox import Outbox
from monitor.notify.payload import rfc3339
from monitor.retry import BreakerSettings, RetrySettings
from tests.fakes import FakeClock
from tests.notify.helpers import T0, Captured, event, notification, receiver

Posted = asyncio.Queue[Captured]


@pytest.fixture
async def am() -> AsyncIterator[tuple[str, Posted]]:
    async with receiver() as served:
        yield served


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def make_sink(
    url: str, session: aiohttp.ClientSession, clock: FakeClock, **options: Any
) -> AlertmanagerSink:
    spec = AlertmanagerSpec(name="am", url=url, resend_s=60, **options)
    return AlertmanagerSink(spec, SinkContext(session, clock))


async def pushed(posted: Posted) -> list[dict[str, Any]]:
    async with asyncio.timeout(2):
        captured = await posted.get()
    assert captured.path == "/api/v2/alerts"
    alerts: list[dict[str, Any]] = orjson.loads(captured.body)
    return alerts


def by_severity(alerts: list[dict[str, Any]]) -> dict[str, str]:
    return {a["labels"]["severity"]: a["endsAt"] for a in alerts}


async def test_firing_ends_four_resends_ahead_and_escalation_resolves_the_old_labels(
    am: tuple[str, Posted], session: aiohttp.ClientSession
) -> None:
    # Fails before: the old label set stayed firing (endsAt 24 h ahead) beside the new one.
    url, posted = am
    clock = FakeClock(wall_start_s=T0 + 10)
    sink = make_sink(url, session, clock)
    medium = event(rule="CLOCK_DRIFT", severity=Severity.MEDIUM)
    await sink.send(notification(medium))
    assert by_severity(await pushed(posted)) == {"medium": rfc3339(T0 + 10 + 240)}
    critical = dataclasses.replace(
        medium,
        kind=AlertKind.UPDATED,
        severity=Severity.CRITICAL,
        previous_severity=Severity.MEDIUM,
        at_s=T0 + 20,
    )
    clock.shift(5)
    await sink.send(notification(critical))
    assert by_severity(await pushed(posted)) == {
        "medium": rfc3339(T0 + 15),
        "critical": rfc3339(T0 + 15 + 240),
    }


async def test_an_event_older_than_the_last_seen_changes_nothing(
    am: tuple[str, Posted], session: aiohttp.ClientSession
) -> None:
    url, posted = am
    clock = FakeClock(wall_start_s=T0 + 10)
    sink = make_sink(url, session, clock, watchdog=False)
    firing = event()
    resolved = dataclasses.replace(firing, kind=AlertKind.RESOLVED, at_s=T0 + 9)
    await sink.send(notification(resolved))
    await pushed(posted)
    await sink.send(notification(firing))  # a retry delivered after the resolution
    await sink.push_active()
    assert posted.empty()


async def test_background_repushes_firing_alerts_and_the_watchdog_every_resend(
    am: tuple[str, Posted], session: aiohttp.ClientSession
) -> None:
    url, posted = am
    clock = FakeClock(wall_start_s=T0 + 10)
    sink = make_sink(url, session, clock)
    await sink.send(notification(event()))
    await pushed(posted)
    task = asyncio.create_task(sink.background())
    try:
        first = await pushed(posted)  # at once: the Watchdog is up from the start
        assert [a["labels"]["alertname"] for a in first] == ["EXCHANGE_DOWN", "Watchdog"]
        await sink.send(notification(event(kind=AlertKind.RESOLVED)))
        await pushed(posted)
        await clock.run_for(60.5, sleepers=1)
        again = await pushed(posted)
        assert [a["labels"]["alertname"] for a in again] == ["Watchdog"]
        assert again[0]["labels"] == {
            "alertname": "Watchdog",
            "severity": "none",
            "source": "exchange-monitor",
        }
        assert again[0]["endsAt"] == rfc3339(T0 + 10 + 60 + 240)
    finally:
        task.cancel()


async def test_a_failing_resend_round_is_logged_and_the_loop_goes_on(
    session: aiohttp.ClientSession,
) -> None:
    answers = iter([503, 200])

    async def reply(_: Captured) -> web.StreamResponse:
        return web.json_response({}, status=next(answers))

    async with receiver(reply) as (url, posted):
        clock = FakeClock()
        task = asyncio.create_task(make_sink(url, session, clock).background())
        try:
            await pushed(posted)
            await clock.run_for(61, sleepers=1)
            assert [a["labels"]["alertname"] for a in await pushed(posted)] == ["Watchdog"]
        finally:
            task.cancel()


async def test_severity_map_runbooks_and_generator_url(
    am: tuple[str, Posted], session: aiohttp.ClientSession
) -> None:
    url, posted = am
    sink = make_sink(
        url,
        session,
        FakeClock(wall_start_s=T0 + 10),
        severity_map={"critical": "critical", "medium": "warning"},
        runbook_url="https://runbooks.example/{rule}",
        runbooks={"CLOCK_DRIFT": "https://wiki.example/ntp"},
        generator_url="https://status.example/",
    )
    await sink.send(notification(event(), event(rule="CLOCK_DRIFT", severity=Severity.MEDIUM)))
    down, drift = await pushed(posted)
    assert (down["labels"]["severity"], drift["labels"]["severity"]) == ("critical", "warning")
    assert down["annotations"]["runbook_url"] == "https://runbooks.example/EXCHANGE_DOWN"
    assert drift["annotations"]["runbook_url"] == "https://wiki.example/ntp"
    assert down["generatorURL"] == drift["generatorURL"] == "https://status.example/"


async def test_resolutions_are_forgotten_after_a_day(
    am: tuple[str, Posted], session: aiohttp.ClientSession
) -> None:
    url, posted = am
    clock = FakeClock(wall_start_s=T0 + 10)
    sink = make_sink(url, session, clock, watchdog=False)
    resolved = dataclasses.replace(event(), kind=AlertKind.RESOLVED, at_s=T0 + 9)
    await sink.send(notification(resolved))
    await pushed(posted)
    clock.shift(TOMBSTONE_S + 10)
    await sink.push_active()
    await sink.send(notification(event()))  # no longer outranked by the forgotten resolution
    assert len(await pushed(posted)) == 1


def test_send_resolved_must_stay_on() -> None:
    with pytest.raises(pydantic.ValidationError, match="send_resolved must stay true"):
        AlertmanagerSpec(name="am", url="http://127.0.0.1:9093", send_resolved=False)


async def test_the_notifier_runs_the_resend_loop_as_a_task_of_its_own(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    spec = AlertmanagerSpec(name="am", url="http://127.0.0.1:9")
    clock = FakeClock()
    notifier = Notifier(
        build_channels([spec], SinkContext(session, clock)),
        Outbox(tmp_path / "outbox.db"),
        clock,
        group_window_s=1.0,
        retry=RetrySettings(),
        breaker=BreakerSettings(),
    )
    names = [name for name, _ in notifier.tasks(asyncio.Queue())]
    assert "notify:am" in names and "notify:am:background" in names
