"""The versioned wire format of bus records: round trips, and one clear error otherwise."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import given

from monitor.bus.codec import CodecError, decode, decode_as, encode
from monitor.bus.records import RECORD_TYPES
from monitor.models import AlertEvent, Origin, Outcome, ProbeResult, SelfHealth, SubscriberDrops
from tests.bus.strategies import records

HEALTH = SelfHealth(
    Origin("edge-1", "eu"), 1.75e9, 0.002, 10, 1, 0, (SubscriberDrops("d", "probe_result", 3),)
)


@given(records(ProbeResult))
def test_probe_result_round_trips(record: ProbeResult) -> None:
    assert decode_as(encode(record), ProbeResult) == record


@given(records(AlertEvent))
def test_alert_event_round_trips(record: AlertEvent) -> None:
    assert decode_as(encode(record), AlertEvent) == record


@given(records(SelfHealth))
def test_self_health_round_trips(record: SelfHealth) -> None:
    assert decode_as(encode(record), SelfHealth) == record


def test_envelope_names_type_and_version() -> None:
    envelope = orjson.loads(encode(HEALTH))
    assert (envelope["v"], envelope["type"]) == (1, "self_health")
    assert envelope["data"]["origin"] == {"instance": "edge-1", "region": "eu"}
    assert {t.topic for t in RECORD_TYPES} == {"probe_result", "alert_event", "self_health"}


def _with(**changes: Any) -> bytes:
    envelope = orjson.loads(encode(HEALTH))
    data = envelope.pop("data")
    data.update(changes.pop("data", {}))
    return orjson.dumps({**envelope, "data": data, **changes})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "cannot decode record: not JSON"),
        (b"[1, 2]", "cannot decode record: not a"),
        (_with(type="trade"), "cannot decode record: unknown type 'trade'"),
        (_with(v=2), "cannot decode self_health: unsupported version 2 (this build reads v1)"),
        (_with(v=None), "cannot decode self_health: unsupported version None"),
        (_with(data={"loop_lag_s": "0.5"}), "cannot decode self_health v1: data.loop_lag_s:"),
        (_with(data={"origin": {"instance": "x"}}), "data.origin.region: Field required"),
        (_with(data={"drops": [{"subscriber": 1}]}), "data.drops.0.subscriber:"),
    ],
)
def test_bad_input_is_one_clear_error(raw: bytes, message: str) -> None:
    with pytest.raises(CodecError) as caught:
        decode(raw)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_enum_value_is_refused() -> None:
    result = ProbeResult("a.b", "a", "b", Outcome.OK, 0.0, 0.0, 0.1, 0.0, 0.0)
    raw = encode(result).replace(b'"ok"', b'"sideways"')
    with pytest.raises(CodecError, match=r"data\.outcome"):
        decode(raw)


def test_wrong_record_type_is_refused() -> None:
    with pytest.raises(CodecError, match="expected probe_result, got self_health"):
        decode_as(encode(HEALTH), ProbeResult)


def test_unencodable_value_is_a_codec_error() -> None:
    huge = dataclasses.replace(HEALTH, probes=2**70)
    with pytest.raises(CodecError, match="cannot encode self_health"):
        encode(huge)
