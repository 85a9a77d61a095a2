"""The wire format of bus records: `{"v": <version>, "type": <topic>, "data": {...}}` in JSON.

Generic over the records' type hints (nested dataclasses, enums, tuples, unions): a field
added to a record needs no codec change. orjson writes; a pydantic TypeAdapter per record
type reads, strictly (JSON types only: no "5" for 5). Anything unreadable raises `CodecError`
with one line naming the record, its version and the first problem."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Generic

import orjson
import pydantic

from monitor.bus.records import BY_CLASS, BY_TOPIC, R, Record


class CodecError(ValueError):
    """A record that cannot be encoded or decoded; `str()` is one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope(Generic[R]):
    v: int
    type: str
    data: R


@functools.cache
def _adapter(topic: str) -> pydantic.TypeAdapter[Envelope[Any]]:
    envelope: Any = Envelope[BY_TOPIC[topic].cls]  # type: ignore[misc]
    return pydantic.TypeAdapter(envelope)


def encode(record: Record) -> bytes:
    kind = BY_CLASS[type(record)]
    try:
        return orjson.dumps({"v": kind.version, "type": kind.topic, "data": record})
    except orjson.JSONEncodeError as exc:
        raise CodecError(f"cannot encode {kind.topic}: {exc}") from exc


def _header(raw: bytes) -> tuple[str, Any]:
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"cannot decode record: not JSON ({exc})") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
        raise CodecError('cannot decode record: not a {"v", "type", "data"} envelope')
    return envelope["type"], envelope.get("v")


def _problem(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    more = exc.error_count() - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more)" if more else "")


def decode(raw: bytes | str) -> Record:
    """The record `raw` holds, of whichever registered type it names."""
    data = raw.encode() if isinstance(raw, str) else raw
    topic, version = _header(data)
    kind = BY_TOPIC.get(topic)
    if kind is None:
        raise CodecError(f"cannot decode record: unknown type {topic!r}")
    if version != kind.version:
        raise CodecError(
            f"cannot decode {topic}: unsupported version {version!r} (this build reads"
            f" v{kind.version})"
        )
    try:
        record: Record = _adapter(topic).validate_json(data, strict=True).data
        return record
    except pydantic.ValidationError as exc:
        raise CodecError(f"cannot decode {topic} v{version}: {_problem(exc)}") from None


def decode_as(raw: bytes | str, cls: type[R]) -> R:
    """Like `decode`, and the record must be a `cls`."""
    record = decode(raw)
    if not isinstance(record, cls):
        raise CodecError(f"expected {BY_CLASS[cls].topic}, got {BY_CLASS[type(record)].topic}")
    return record
