"""A storm for people is one summary; machines get every event (fake clock, recording sinks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import escape
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.notify.base import ChannelKind, ChannelSpec, Notification
from monitor.notify.render import body_lines, short_text, title
from tests.fakes import FakeClock
from tests.notify.helpers import ScriptedSink, event, notification
from tests.notify.test_notifier import running

KINDS = {"chat": ChannelKind.CHAT, "hook": ChannelKind.MACHINE}


def storm(n: int, start: int = 0) -> list[AlertEvent]:
    """`n` endpoint alerts over three venues and two rules, the criticals on okx."""
    shapes = [
        ("okx", "CONSECUTIVE_FAILURES", Severity.CRITICAL),
        ("kraken", "HIGH_LATENCY", Severity.MEDIUM),
        ("bybit", "HIGH_LATENCY", Severity.MEDIUM),
        ("kraken", "ERROR_RATE", Severity.HIGH),
    ]
    picked = ((i, shapes[i % len(shapes)]) for i in range(start, start + n))
    return [event(rule, venue, f"e{i}", severity) for i, (venue, rule, severity) in picked]


def warnings(n: int) -> list[AlertEvent]:
    return [e for e in storm(n) if e.severity is not Severity.CRITICAL]


def delivered_events(sink: ScriptedSink) -> list[str]:
    return [e.fingerprint for _, n in sink.delivered for e in n.events]


async def test_a_storm_is_one_summary_for_chat_and_every_event_for_machines(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    chat, hook = ScriptedSink("chat", clock), ScriptedSink("hook", clock)
    specs = [(ChannelSpec(name="chat"), chat), (ChannelSpec(name="hook"), hook)]
    async with running(tmp_path, clock, specs, kinds=KINDS, storm_threshold=10) as (notifier, _):
        first = storm(400)
        await notifier.accept(*first)  # 400 alerts announced at once
        await clock.run_for(2.1, sleepers=2)
        alone, summary = (n for _, n in chat.delivered)
        assert len(alone.events) == 1 and not alone.storm  # the first critical, at once
        assert summary.storm and len(summary.events) == 399
        for step in range(10):  # the storm goes on for 30 s more
            await notifier.accept(*storm(20, start=400 + 20 * step))
            await clock.run_for(3, sleepers=2)
        assert len(chat.delivered) == 2  # held: one more summary when the minute is over
        await clock.run_for(30, sleepers=2)
        assert len(chat.delivered) == 3 and chat.delivered[2][1].storm
        assert len(chat.delivered[2][1].events) == 200
    every = [e.fingerprint for e in [*first, *storm(200, start=400)]]
    assert sorted(delivered_events(hook)) == sorted(every)  # each once
    assert not any(n.storm for _, n in hook.delivered)
    assert sorted(delivered_events(chat)) == sorted(every)  # counted, none lost


async def test_a_small_group_is_not_a_storm_and_the_storm_ends(tmp_path: Path) -> None:
    clock = FakeClock()
    chat = ScriptedSink("chat", clock)
    async with running(
        tmp_path, clock, [(ChannelSpec(name="chat"), chat)], kinds=KINDS, storm_threshold=10
    ) as (notifier, _):
        await notifier.accept(*warnings(12))  # nine alerts: not a storm
        await clock.run_for(2.1, sleepers=1)
        ((_, group),) = chat.delivered
        assert not group.storm and len(group.events) == 9
        await notifier.accept(*warnings(40))
        await clock.run_for(2.1, sleepers=1)
        assert chat.delivered[1][1].storm
        await clock.run_for(120, sleepers=1)  # quiet: the storm is over
        await notifier.accept(event(venue="coinbase", severity=Severity.HIGH))
        await clock.run_for(2.1, sleepers=1)
        assert len(chat.delivered) == 3 and not chat.delivered[2][1].storm


def test_storm_summary_counts_per_venue_and_rule_worst_first() -> None:
    events = [
        *storm(12),
        event("HIGH_LATENCY", "bybit", "e99", Severity.MEDIUM, AlertKind.RESOLVED),
    ]
    summary = Notification("k", "chat", tuple(events), 0.0, storm=True)
    assert title(summary) == (
        "🔴 STORM 13 alerts: 3 critical, 9 warning, 1 resolved across 3 venue(s)"
    )
    assert body_lines(summary, escape.markdown) == [
        "🔴 CRITICAL CONSECUTIVE_FAILURES okx: 3 firing",
        "🟠 HIGH ERROR_RATE kraken: 3 firing",
        "🟡 MEDIUM HIGH_LATENCY bybit: 3 firing, 1 resolved",
        "🟡 MEDIUM HIGH_LATENCY kraken: 3 firing",
    ]
    sms = short_text(summary)
    assert sms.startswith("STORM 13 alerts") and len(sms) <= 160


@pytest.mark.parametrize("storm_flag", [False, True])
def test_a_long_summary_is_cut(storm_flag: bool) -> None:
    venues = [event("HIGH_LATENCY", f"v{i}", None, Severity.MEDIUM) for i in range(30)]
    lines = body_lines(notification(*venues), escape.clean)
    if storm_flag:
        lines = body_lines(Notification("k", "c", tuple(venues), 0.0, storm=True), escape.clean)
    assert len(lines) == 21 and lines[-1] == "… and 10 more"
