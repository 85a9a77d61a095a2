"""The sink contract: what every member of `SINKS` must carry, checked without a network.
`problems(member, rows, readme, ctx)` lists what is missing (empty when complete):

- a spec that is a `ChannelSpec` with a `type` Literal (the settings union's discriminator);
- a build function that turns a spec into a `Sink` of that name;
- a row in the secret-leak table (tests/notify/test_secret_leaks.py `channels()`) that the
  spec accepts, with every secret field of the spec set to the canary;
- its `type = "<name>"` example in README.md.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from monitor.notify.base import ChannelKind, ChannelSpec, SinkContext, SinkMember
from tests.notify.test_secret_leaks import CANARY

Row = Mapping[str, object]


def _holds_secret(annotation: object) -> bool:
    if annotation is pydantic.SecretStr:
        return True
    return any(_holds_secret(arg) for arg in typing.get_args(annotation))


def secret_fields(spec: type[ChannelSpec]) -> list[str]:
    return [name for name, f in spec.model_fields.items() if _holds_secret(f.annotation)]


def _canary_in(value: object) -> bool:
    if isinstance(value, Mapping):
        return bool(value) and all(_canary_in(v) for v in value.values())
    return isinstance(value, str) and CANARY in value


def _identity_problems(member: SinkMember[Any]) -> list[str]:
    if not (isinstance(member.spec, type) and issubclass(member.spec, ChannelSpec)):
        return [f"spec {member.spec!r} is not a ChannelSpec"]
    found = []
    if not member.type:
        found.append(f"{member.spec.__name__} declares no `type` Literal")
    elif member.spec.model_fields["type"].default != member.type:
        found.append(f"{member.spec.__name__}.type must default to {member.type!r}")
    if not callable(member.build):
        found.append(f"{member.spec.__name__} has no build function")
    if not isinstance(member.kind, ChannelKind):
        found.append(f"{member.spec.__name__}: kind {member.kind!r} is not a ChannelKind")
    return found


def _row_problems(member: SinkMember[Any], rows: Sequence[Row], ctx: SinkContext) -> list[str]:
    mine = [row for row in rows if row.get("type") == member.type]
    if not mine:
        return [f"{member.type}: no row in the secret-leak table (test_secret_leaks.channels)"]
    row = mine[0]
    try:
        spec = member.spec.model_validate(row)
    except pydantic.ValidationError as exc:
        return [f"{member.type}: its leak row is not a valid spec: {exc.errors()[0]['msg']}"]
    found = [
        f"{member.type}: secret field {name!r} is not set to the canary in its leak row"
        for name in secret_fields(member.spec)
        if not _canary_in(row.get(name))
    ]
    sink = member.build(spec, ctx)
    if getattr(sink, "name", None) != spec.name or not callable(getattr(sink, "send", None)):
        found.append(f"{member.type}: build() does not give a Sink named after its spec")
    return found


def problems(
    member: SinkMember[Any], rows: Sequence[Row], readme: str, ctx: SinkContext
) -> list[str]:
    found = _identity_problems(member)
    if found:
        return found
    found += _row_problems(member, rows, ctx)
    if f'type = "{member.type}"' not in readme:
        found.append(f'{member.type}: README.md has no `type = "{member.type}"` example')
    return found
