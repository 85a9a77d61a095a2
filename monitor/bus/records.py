"""Which records may travel on the bus: each a topic, with the version of its wire format.

Bump a record's version when a field is renamed, removed or changes type, and teach the
codec to read the old one if such records may still be in flight or stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar

from monitor.models import AlertEvent, ProbeResult, SelfHealth

Record = ProbeResult | AlertEvent | SelfHealth
R = TypeVar("R", bound=Record)


@dataclasses.dataclass(frozen=True, slots=True)
class RecordType:
    topic: str
    cls: type
    version: int


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType("probe_result", ProbeResult, 1),
    RecordType("alert_event", AlertEvent, 1),
    RecordType("self_health", SelfHealth, 1),
)
BY_TOPIC: Mapping[str, RecordType] = {t.topic: t for t in RECORD_TYPES}
BY_CLASS: Mapping[type, RecordType] = {t.cls: t for t in RECORD_TYPES}


def topic_of(cls: type) -> str:
    try:
        return BY_CLASS[cls].topic
    except KeyError:
        raise TypeError(f"{cls.__name__} is not a bus record") from None
