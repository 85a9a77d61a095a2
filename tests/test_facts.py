"""Evidence facts as a typed record stay plain data: the outbox stores them and reads them back
unchanged, and the webhook payload carries the measured ones, valid under webhook-v1.json."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import jsonschema

from monitor.facts import Facts, Shown, probe_facts
from monitor.models import Outcome, ProbeResult
from monitor.notify.outbox import decode, encode
from monitor.notify.payload import build_payload
from tests.notify.helpers import event, notification

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "monitor/notify/schema/webhook-v1.json").read_text()
)


def every_fact() -> Facts:
    """A value of its type in every field."""
    values: dict[str, typing.Any] = {}
    hints = typing.get_type_hints(Facts)
    for field in dataclasses.fields(Facts):
        hint = str(hints[field.name])
        if hint.startswith("dict"):
            values[field.name] = {"ticker": "refused", "time": None}
        elif hint.startswith("tuple"):
            values[field.name] = ("okx", "bybit")
        elif hint.startswith("int"):
            values[field.name] = 3
        elif hint.startswith("float"):
            values[field.name] = 12.5
        else:
            values[field.name] = "maintenance"
    return Facts(**values)


def test_every_fact_survives_the_outbox() -> None:
    stored = notification(event(facts=every_fact()))
    assert decode(encode(stored)) == stored


def test_payload_carries_only_measured_facts_and_validates() -> None:
    payload = build_payload(notification(event(facts=every_fact()), event()), 1_760_000_000.0)
    jsonschema.validate(payload, SCHEMA)
    assert payload["alerts"][0]["evidence"]["facts"]["venues_down"] == ["okx", "bybit"]
    assert payload["alerts"][1]["evidence"]["facts"] == {"streak": 3}  # no nulls for the rest


def test_newer_facts_replace_only_what_they_measured() -> None:
    last = ProbeResult("okx.time", "okx", "time", Outcome.HTTP_ERROR, 1.0, 2.0, 0.0125, 0, 0, 502)
    merged = probe_facts(last).merged(Facts(streak=3, status=503))
    assert (merged.status, merged.streak, merged.latency_ms) == (503, 3, 12.5)
    assert merged.last_outcome == "http_error" and merged.ban_until_s is None


def test_a_shown_fact_reads_its_field() -> None:
    assert Shown("streak", "{} in a row").value(Facts(streak=4)) == 4
