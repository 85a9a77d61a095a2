"""The contract over the `SINKS` registry: every member is complete, the settings union is
derived from the same members, and a new channel type is one module plus one registry line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pydantic
import pytest

from monitor.clock import SystemClock
from monitor.notify import _MEMBERS, SINKS, channel_union
from monitor.notify.base import (
    ChannelKind,
    ChannelSpec,
    Notification,
    SinkBase,
    SinkContext,
    SinkMember,
)
from monitor.settings import NotifySettings
from tests.notify import sink_contract
from tests.notify.test_secret_leaks import CANARY, channels

README = (Path(__file__).parents[2] / "README.md").read_text()
ROWS = channels(1, Path("alerts"))


@pytest.fixture
async def ctx() -> AsyncIterator[SinkContext]:
    async with aiohttp.ClientSession() as session:
        yield SinkContext(session, SystemClock())


@pytest.mark.parametrize("name", SINKS)
async def test_every_registered_sink_is_complete(name: str, ctx: SinkContext) -> None:
    member = SINKS[name]
    assert member.type == name
    assert sink_contract.problems(member, ROWS, README, ctx) == []


def test_types_are_unique_and_every_leak_row_is_registered() -> None:
    assert len(SINKS) == len(_MEMBERS)
    assert {row["type"] for row in ROWS} == set(SINKS)


@pytest.mark.parametrize("row", ROWS, ids=[str(row["type"]) for row in ROWS])
def test_the_settings_union_is_the_registry(row: dict[str, object]) -> None:
    spec = NotifySettings.model_validate({"channels": [row]}).channels[0]
    assert type(spec) is SINKS[spec.type].spec


# --- a toy seventh channel type: what `monitor/notify/pager.py` would hold ------------------


class PagerSpec(ChannelSpec):
    type: Literal["pager"] = "pager"
    token: pydantic.SecretStr


class PagerSink(SinkBase[PagerSpec]):
    async def send(self, notification: Notification) -> None:
        del notification


class UntypedSpec(ChannelSpec):
    token: pydantic.SecretStr


class UntypedSink(SinkBase[UntypedSpec]):
    async def send(self, notification: Notification) -> None:
        del notification


PAGER = SinkMember(PagerSpec, PagerSink, ChannelKind.SMS)
PAGER_ROW = {"type": "pager", "name": "pager", "token": CANARY}
PAGER_README = README + '\ntype = "pager"\n'


async def test_a_new_sink_is_one_module_and_one_registry_line(ctx: SinkContext) -> None:
    members = (*_MEMBERS, PAGER)  # the line it adds to `_MEMBERS`
    assert sink_contract.problems(PAGER, [*ROWS, PAGER_ROW], PAGER_README, ctx) == []
    parsed = pydantic.TypeAdapter(channel_union(members)).validate_python(PAGER_ROW)
    assert isinstance(parsed, PagerSpec)
    assert "token" in sink_contract.secret_fields(PagerSpec)


NO_BUILD: Any = None

INCOMPLETE = [
    (SinkMember(UntypedSpec, UntypedSink, ChannelKind.SMS), [PAGER_ROW], "no `type` Literal"),
    (SinkMember(PagerSpec, NO_BUILD, ChannelKind.SMS), [PAGER_ROW], "no build function"),
    (PAGER, [], "no row in the secret-leak table"),
    (PAGER, [{**PAGER_ROW, "token": "plain"}], "secret field 'token' is not set"),
    (PAGER, [{"type": "pager", "name": "pager"}], "not a valid spec"),
]


@pytest.mark.parametrize(("member", "rows", "want"), INCOMPLETE, ids=[w for *_, w in INCOMPLETE])
async def test_the_contract_fails_on_an_incomplete_sink(
    member: SinkMember[Any], rows: list[dict[str, object]], want: str, ctx: SinkContext
) -> None:
    found = sink_contract.problems(member, rows, PAGER_README, ctx)
    assert any(want in problem for problem in found), found


async def test_the_contract_fails_on_a_sink_missing_from_the_readme(ctx: SinkContext) -> None:
    found = sink_contract.problems(PAGER, [PAGER_ROW], README, ctx)
    assert found == ['pager: README.md has no `type = "pager"` example']
