"""What every channel shares: the Notification record, the Sink protocol, DeliveryError, and
the options every channel spec has."""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from monitor.bounds import Count, RequestTimeoutS, Seconds
from monitor.clock import Clock
from monitor.models import AlertEvent, AlertKind, Severity


class ChannelKind(enum.StrEnum):
    """Decides the default routing: which severities reach the channel."""

    MACHINE = "machine"  # webhooks, Alertmanager, files: everything
    CHAT = "chat"  # medium and up
    EMAIL = "email"  # high and up
    SMS = "sms"  # critical only
    LOG = "log"  # everything


HUMAN_KINDS = frozenset({ChannelKind.CHAT, ChannelKind.EMAIL, ChannelKind.SMS})  # storm summaries

DEFAULT_MIN_SEVERITY = {
    ChannelKind.MACHINE: Severity.LOW,
    ChannelKind.CHAT: Severity.MEDIUM,
    ChannelKind.EMAIL: Severity.HIGH,
    ChannelKind.SMS: Severity.CRITICAL,
    ChannelKind.LOG: Severity.LOW,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Notification:
    """One message for one channel: a group of alert events under one idempotency key."""

    key: str
    channel: str
    events: tuple[AlertEvent, ...]
    created_at_s: float
    storm: bool = False  # for people: rendered as one summary (counts per venue and rule)

    @property
    def firing(self) -> tuple[AlertEvent, ...]:
        return tuple(e for e in self.events if e.kind is not AlertKind.RESOLVED)

    @property
    def resolved(self) -> tuple[AlertEvent, ...]:
        return tuple(e for e in self.events if e.kind is AlertKind.RESOLVED)


class DeliveryError(Exception):
    """A failed delivery. The message never holds a secret (URLs with tokens included)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after_s: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.status = status


class Sink(Protocol):
    """A channel adapter: `send` delivers one notification or raises DeliveryError."""

    @property
    def name(self) -> str: ...

    async def send(self, notification: Notification) -> None: ...


@typing.runtime_checkable
class Background(Protocol):
    """A sink with work of its own between deliveries (Alertmanager's re-push loop): the
    notifier runs `background` as a task of its own, beside the channel's worker."""

    async def background(self) -> None: ...


class ChannelSpec(BaseModel):
    """Options every channel has. Each sink's own spec adds `type` and its fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    if TYPE_CHECKING:  # each member's spec declares it as a Literal field (the discriminator)

        @property
        def type(self) -> str: ...

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    min_severity: Severity | None = None  # None: the default for the channel's kind
    venues: list[str] | None = None  # only these venues (None: all)
    rules: list[str] | None = None  # only these rules (None: all)
    exclude_rules: list[str] = Field(default_factory=list)
    send_resolved: bool = True
    fallback: str | None = None  # channel that gets what this one dead-letters
    timeout_s: RequestTimeoutS = 10.0  # deadline of one delivery attempt
    max_per_minute: Count = 20  # storm guard: beyond this, one summary message
    group_window_s: Seconds | None = None  # None: notify.group_window_s


@dataclasses.dataclass(frozen=True, slots=True)
class SinkContext:
    """What sinks are built with: the notifier's HTTP session and the clock."""

    session: aiohttp.ClientSession
    clock: Clock


SpecT = TypeVar("SpecT", bound=ChannelSpec)


class SinkBase(Generic[SpecT]):
    """What every sink holds: its spec and the shared context."""

    def __init__(self, spec: SpecT, ctx: SinkContext) -> None:
        self._spec = spec
        self._ctx = ctx

    @property
    def name(self) -> str:
        return self._spec.name


@dataclasses.dataclass(frozen=True, slots=True)
class SinkMember(Generic[SpecT]):
    """One channel type, declared beside its code: its settings model (whose `type` Literal
    names it in settings), how a sink is built from a spec, and its kind (default routing)."""

    spec: type[SpecT]
    build: Callable[[SpecT, SinkContext], Sink]
    kind: ChannelKind

    @property
    def type(self) -> str:
        """The value of the spec's `type` Literal ("" when it declares none)."""
        field = self.spec.model_fields.get("type")
        values = typing.get_args(field.annotation) if field is not None else ()
        return values[0] if len(values) == 1 and isinstance(values[0], str) else ""
