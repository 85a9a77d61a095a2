"""The alert state store: firing alerts, flap history, silences and incidents read back
as they were written; a RESOLVED ends an alert and a late copy of an older event cannot
bring it back."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path

from monitor.clock import pass_turn
from monitor.detect.silences import Silence
from monitor.models import AlertEvent, AlertKind, Severity
from monitor.queues import DropOldestQueue
from monitor.store.alert_state import AlertStateStore, alert_state_writer, flush
from tests.notify.helpers import T0, event

FLAP_WINDOW_S = 900.0


async def opened(path: Path, keep: int = 200) -> AlertStateStore:
    store = AlertStateStore(path, keep, FLAP_WINDOW_S)
    await store.open()
    return store


async def test_firing_alert_round_trips_with_its_flap_history(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    firing = event(severity=Severity.HIGH)
    updated = dataclasses.replace(
        firing, kind=AlertKind.UPDATED, severity=Severity.CRITICAL, at_s=T0 + 60, flapping=True
    )
    store = await opened(path)
    await store.save_events([firing, updated])
    await store.close()
    store = await opened(path)
    saved = await store.load(T0 + 120)
    await store.close()
    [restored] = saved.alerts
    assert restored.event == updated
    assert restored.key == ("EXCHANGE_DOWN", "okx", None)
    assert restored.fires_at_s == (firing.started_at_s,)
    assert saved.incidents == (firing, updated)


async def test_resolved_alert_is_not_restored_and_late_copies_do_not_revive_it(
    tmp_path: Path,
) -> None:
    store = await opened(tmp_path / "state.sqlite3")
    firing = event()
    resolved = dataclasses.replace(firing, kind=AlertKind.RESOLVED, at_s=T0 + 30)
    await store.save_events([firing, resolved])
    await store.save_events([firing])  # the triaged copy of the FIRING, announced later
    saved = await store.load(T0 + 60)
    await store.close()
    assert saved.alerts == ()


async def test_old_fires_leave_the_flap_history(tmp_path: Path) -> None:
    store = await opened(tmp_path / "state.sqlite3")
    await store.save_events([event()])
    saved = await store.load(T0 + FLAP_WINDOW_S + 1)
    await store.close()
    assert saved.alerts[0].fires_at_s == ()


async def test_silences_round_trip_until_they_end_or_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    kept = Silence("EXCHANGE_DOWN", "okx", None, T0, T0 + 3600, "upgrade", id="a")
    removed = Silence(None, "kraken", None, None, T0 + 3600, "", id="b")
    ended = Silence(None, "bybit", "ticker", None, T0 + 10, "", id="c")
    store = await opened(path)
    for silence in (kept, removed, ended):
        await store.add_silence(silence)
    await store.remove_silence("b")
    await store.close()
    store = await opened(path)
    saved = await store.load(T0 + 60)
    await store.close()
    assert saved.silences == (kept,)


async def test_incident_list_keeps_the_latest(tmp_path: Path) -> None:
    store = await opened(tmp_path / "state.sqlite3", keep=3)
    events = [event(venue=f"v{i}") for i in range(5)]
    await store.save_events(events[:2])
    await store.save_events(events[2:])
    saved = await store.load(T0)
    await store.close()
    assert saved.incidents == tuple(events[2:])


async def test_writer_stopped_keeps_what_waits_in_its_feed(tmp_path: Path) -> None:
    store = await opened(tmp_path / "state.sqlite3")
    feed: DropOldestQueue[AlertEvent] = DropOldestQueue(100)
    writer = asyncio.create_task(alert_state_writer(store, feed))
    await pass_turn()  # the writer waits on its feed
    for i in range(3):
        feed.put(event(venue=f"v{i}"))
    writer.cancel()  # stopped before it took them: its last flush writes them
    with contextlib.suppress(asyncio.CancelledError):
        await writer
    assert feed.qsize() == 0
    feed.put(event(venue="v3"))
    await flush(store, feed)  # what the notifier drained after the tasks stopped
    saved = await store.load(T0)
    await store.close()
    assert [a.event.venue for a in saved.alerts] == ["v0", "v1", "v2", "v3"]
