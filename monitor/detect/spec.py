"""What a rule is, as data: `RuleSpec`, and the `RuleBook` that derives from a table of them
everything the rest of the monitor needs (scopes, inhibition, incident types, shown facts).

A rule's `evaluate` is a pure function of what the detector saw (`ResultInput` when a result
arrives, `TickInput` on the detector's tick) returning a `Symptom` or None; the detector
names the finding, applies the rule's severity source and steps the alert. Nothing outside
the table keys rules by name: a new rule is one `RuleSpec` in `monitor.detect.ruleset`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Iterator, Sequence

from monitor.detect.thresholds import DetectSettings, Thresholds
from monitor.detect.tracker import EndpointTracker, VenueTracker
from monitor.exchanges import EndpointKind
from monitor.facts import Facts, Shown
from monitor.models import ProbeResult, Severity

MONITOR = "monitor"  # the venue label of global alerts (the monitor's own, our network)


class Scope(enum.Enum):
    """Where one alert of the rule lives: one for the monitor, per venue, or per endpoint."""

    GLOBAL = "global"
    VENUE = "venue"
    ENDPOINT = "endpoint"


class Incident(enum.StrEnum):
    """Triage's incident types (the LLM's answer schema and webhook-v1.json list the same)."""

    NETWORK_LATENCY = "network_latency"
    OUTAGE = "outage"
    RATE_LIMIT = "rate_limit"
    DATA_ANOMALY = "data_anomaly"
    CLOCK_DRIFT = "clock_drift"
    AUTH = "auth"
    MAINTENANCE = "maintenance"
    LOCAL_NETWORK = "local_network"
    ACCESS_DENIED = "access_denied"
    UNKNOWN = "unknown"


@dataclasses.dataclass(frozen=True, slots=True)
class Symptom:
    """What a rule found. `severity` None: the rule's severity source decides."""

    summary: str
    facts: Facts = dataclasses.field(default_factory=Facts)
    severity: Severity | None = None
    for_count: int = 1  # consecutive evaluations before pending becomes firing


@dataclasses.dataclass(slots=True)  # not frozen: one is built per result, frozen costs 2x
class ResultInput:
    """What a rule reads when a result arrives (read only)."""

    result: ProbeResult
    endpoint: EndpointTracker
    venue: VenueTracker
    venue_thresholds: Thresholds
    global_thresholds: Thresholds
    exchanges: Sequence[VenueTracker]
    settings: DetectSettings
    now_s: float  # monotonic
    degraded: bool  # MONITOR_DEGRADED is firing: measured latencies are ours, not theirs
    control: EndpointTracker | None = None  # the control target (MONITOR_CONTROL_TARGET)

    def thresholds(self, scope: Scope) -> Thresholds:
        if scope is Scope.ENDPOINT:
            return self.endpoint.thresholds
        return self.venue_thresholds if scope is Scope.VENUE else self.global_thresholds


@dataclasses.dataclass(frozen=True, slots=True)
class TickInput:
    """What a rule reads on the detector's tick: the monitor's own health since the last."""

    lag_s: float  # worst event-loop lag
    dropped_results: int
    settings: DetectSettings
    global_thresholds: Thresholds


@dataclasses.dataclass(frozen=True, slots=True)
class OnResult:
    """Evaluated when a result of its scope arrives.

    `trigger`: whether this result shows the symptom; a rule whose alert is not active is
    evaluated only on such results (the common case costs nothing). `ready`: whether the rule
    can judge at all now; when not, its alert stays as it is. `kinds`: the endpoint kinds
    whose results it reads (None: all)."""

    judge: Callable[[ResultInput], Symptom | None]
    trigger: Callable[[ResultInput], bool] | None = None  # None: every result
    ready: Callable[[ResultInput], bool] | None = None  # None: always
    kinds: frozenset[EndpointKind] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OnTick:
    """Evaluated on every detector tick (rules about the monitor itself)."""

    judge: Callable[[TickInput], Symptom | None]


@dataclasses.dataclass(frozen=True, slots=True)
class Mutes:
    """The rules a firing alert mutes (inhibition): those named, and every rule of `scopes`
    whose incident type is in `incidents` (any type when `incidents` is None). The muted
    alert must share the muting one's scope key: same venue for a venue rule, same endpoint
    for an endpoint rule, anywhere for a global one. `when`: mute only while it holds for the
    muting alert's facts and the wall clock (e.g. inside an announced window)."""

    names: frozenset[str] = frozenset()
    scopes: frozenset[Scope] = frozenset()
    incidents: frozenset[Incident] | None = None
    when: Callable[[Facts, float], bool] | None = None

    def covers(self, spec: RuleSpec) -> bool:
        if spec.name in self.names:
            return True
        in_scope = spec.scope in self.scopes
        return in_scope and (self.incidents is None or spec.incident in self.incidents)


NOTHING = Mutes()
_SCOPE_ORDER = (Scope.GLOBAL, Scope.VENUE, Scope.ENDPOINT)


def fixed(severity: Severity) -> Callable[[Thresholds], Severity]:
    """A severity source that is not configurable."""
    return lambda _: severity


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule: its name, where its alerts live, when and how it is evaluated, its
    severity (unless a symptom escalates it), triage's incident type, the rules its firing
    alert mutes, and the facts its alerts show people and the triage model.

    `decides_after`: how many fresh results of each endpoint of its scope (ticks, for a tick
    rule) the rule needs after a start before its judgement means something; an alert
    restored from before the start and not re-confirmed by then is resolved
    (`monitor.detect.restore`)."""

    name: str
    scope: Scope
    evaluate: OnResult | OnTick
    severity: Callable[[Thresholds], Severity]
    incident: Incident
    shows: tuple[Shown, ...]
    inhibits: Mutes = NOTHING
    doc: str = ""
    decides_after: Callable[[Thresholds], int] = lambda _: 1


AlertKey = tuple[str, str, str | None]  # rule, venue, endpoint


def incomplete(spec: RuleSpec) -> list[str]:
    """What a RuleSpec lacks to be a rule the whole monitor can run, triage and show."""
    found = []
    if not spec.name or not spec.name.isupper() or not spec.name.isidentifier():
        found.append("name must be an UPPER_CASE identifier")
    if not isinstance(spec.scope, Scope):
        found.append("no scope")
    if not isinstance(spec.evaluate, OnResult | OnTick) or not callable(spec.evaluate.judge):
        found.append("no evaluate function")
    elif isinstance(spec.evaluate, OnTick) and spec.scope is not Scope.GLOBAL:
        found.append("a rule evaluated on ticks has no venue or endpoint: scope must be GLOBAL")
    if not isinstance(spec.severity(Thresholds()), Severity):
        found.append("severity source gives no Severity")
    if not isinstance(spec.incident, Incident) or spec.incident is Incident.UNKNOWN:
        found.append("no incident type")
    if not spec.shows or not all(isinstance(s, Shown) for s in spec.shows):
        found.append("shows no facts")
    if not isinstance(spec.inhibits, Mutes):
        found.append("inhibits must be a Mutes")
    if not spec.doc:
        found.append("no doc")
    decides = spec.decides_after(Thresholds())
    if not isinstance(decides, int) or decides < 1:
        found.append("decides_after must give a count of results >= 1")
    return found


class RuleBook:
    """A table of RuleSpecs and what derives from it, computed once."""

    def __init__(self, specs: Iterable[RuleSpec]) -> None:
        self.specs: tuple[RuleSpec, ...] = tuple(specs)
        self._by_name = {s.name: s for s in self.specs}
        if len(self._by_name) != len(self.specs):
            raise ValueError("two RuleSpecs share a name")
        for spec in self.specs:
            if problems := incomplete(spec):
                raise ValueError(f"RuleSpec {spec.name!r} is incomplete: {'; '.join(problems)}")
        self.on_result = tuple(s for s in self.specs if isinstance(s.evaluate, OnResult))
        self.on_tick = tuple(s for s in self.specs if isinstance(s.evaluate, OnTick))
        self.inhibitors: dict[str, tuple[RuleSpec, ...]] = {
            target.name: tuple(
                s for s in self.specs if s is not target and s.inhibits.covers(target)
            )
            for target in self.specs
        }

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self.specs)

    def get(self, name: str) -> RuleSpec | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> RuleSpec:
        return self._by_name[name]

    def inhibits(self) -> dict[str, frozenset[str]]:
        """Which rules each rule's firing alert mutes, by name (for docs and tests)."""
        muted: dict[str, set[str]] = {}
        for target, sources in self.inhibitors.items():
            for source in sources:
                muted.setdefault(source.name, set()).add(target)
        return {name: frozenset(targets) for name, targets in muted.items()}

    def extended(self, *specs: RuleSpec) -> RuleBook:
        return RuleBook((*self.specs, *specs))

    def key(self, spec: RuleSpec, venue: str, endpoint: str | None) -> AlertKey:
        if spec.scope is Scope.GLOBAL:
            return (spec.name, MONITOR, None)
        if spec.scope is Scope.VENUE:
            return (spec.name, venue, None)
        return (spec.name, venue, endpoint)

    def for_endpoint(self, kind: EndpointKind) -> tuple[RuleSpec, ...]:
        """The result-driven rules that read results of this endpoint kind: global rules
        first, then venue rules, then endpoint rules (an inhibiting alert is firing before
        the alerts it mutes are looked at), each in table order. The control target is a
        witness for global rules only: it raises no alert of its own."""
        chosen = [
            s
            for s in self.on_result
            if isinstance(s.evaluate, OnResult)
            and (s.evaluate.kinds is None or kind in s.evaluate.kinds)
            and (kind is not EndpointKind.CONTROL or s.scope is Scope.GLOBAL)
        ]
        return tuple(sorted(chosen, key=lambda s: _SCOPE_ORDER.index(s.scope)))
