"""Settings -> the list of probes to run. Pure: no I/O, no loop.

`assemble_plan` joins the entries of every probe kind (see monitor/probes/base.py); the rest
of this module is the `http` kind's entries: each venue's public endpoints, its signed account
endpoint when it has credentials, and each generic HTTP target."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from monitor.exchanges import EXCHANGES, EndpointKind, ExchangeProfile, Interpretation
from monitor.exchanges.http_target import HttpCheck, interpret_http
from monitor.exchanges.signing import KeyMaterial, SignedRequest
from monitor.secrets import secret_values
from monitor.settings import ConfigError, ProbeOptions, Settings, TargetSettings

if TYPE_CHECKING:
    from monitor.probes.base import ProbeKind

Interpreter = Callable[[int, Mapping[str, str], bytes, float], Interpretation]

_GOLDEN = (math.sqrt(5) - 1) / 2


@dataclasses.dataclass(frozen=True, slots=True)
class ProbePlan:
    """Everything one endpoint task needs. `headers` may hold secrets: never printed."""

    endpoint_id: str
    venue: str
    endpoint: str
    url: str
    method: str
    interval_s: float
    timeout_s: float
    fresh_connection: bool
    weight: int
    offset_s: float
    kind: EndpointKind
    interpret: Interpreter = dataclasses.field(repr=False, compare=False)
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    body: bytes | None = dataclasses.field(default=None, repr=False)
    # Signed probes: builds the request at send time from a timestamp in ms.
    sign: Callable[[int], SignedRequest] | None = dataclasses.field(default=None, repr=False)
    use_server_time: bool = False  # sign with our clock corrected by the venue's offset
    # Every configured secret, scrubbed from anything the target says back (an echoed key).
    scrub: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    probe_kind: str = "http"  # the kind (in PROBE_KINDS) that planned and runs it


@dataclasses.dataclass(frozen=True, slots=True)
class KindPlan:
    """One probe kind's share of the plan."""

    probes: tuple[ProbePlan, ...]
    budgets_per_min: Mapping[str, int]  # venue -> request budget (weight units) per minute


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    probes: tuple[ProbePlan, ...]
    budgets_per_min: Mapping[str, int]  # venue -> request budget (weight units) per minute

    def entries(self, kind: str) -> tuple[ProbePlan, ...]:
        """The probes of one kind, in plan order."""
        return tuple(p for p in self.probes if p.probe_kind == kind)


def _pick(layers: tuple[ProbeOptions, ...], field: str, default: float | bool) -> float | bool:
    for layer in layers:
        value = getattr(layer, field)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return default


def spread_offset(index: int, interval_s: float) -> float:
    """Start offsets from the golden-ratio sequence: evenly spread for any endpoint count."""
    return (index * _GOLDEN) % 1.0 * interval_s


def _exchange_probes(settings: Settings, profile: ExchangeProfile) -> list[ProbePlan]:
    table = settings.exchange(profile.name)
    base_url = table.base_url or profile.base_url
    probes = []
    for ep in profile.endpoints:
        override = table.endpoints.get(ep.name)
        if override is not None and not override.enabled:
            continue
        layers = (override, table) if override is not None else (table,)
        probes.append(
            ProbePlan(
                endpoint_id=f"{profile.name}.{ep.name}",
                venue=profile.name,
                endpoint=ep.name,
                url=base_url + ep.path,
                method=ep.method,
                interval_s=float(_pick(layers, "interval_s", settings.interval_s)),
                timeout_s=float(_pick(layers, "timeout_s", settings.timeout_s)),
                fresh_connection=bool(_pick(layers, "fresh_connection", settings.fresh_connection)),
                weight=ep.weight,
                offset_s=0.0,
                kind=ep.kind,
                interpret=functools.partial(profile.interpret, ep),
            )
        )
    return probes


def _symbol_probes(settings: Settings, profile: ExchangeProfile) -> list[ProbePlan]:
    """One probe per configured symbol, reading its trading status (SYMBOL_HALTED)."""
    table = settings.exchange(profile.name)
    if profile.symbol is None:
        return []
    base_url = table.base_url or profile.base_url
    timeout_s = float(_pick((table,), "timeout_s", settings.timeout_s))
    timeout_s = min(timeout_s, table.symbols_interval_s)
    return [
        ProbePlan(
            endpoint_id=f"{profile.name}.{ep.name}",
            venue=profile.name,
            endpoint=ep.name,
            url=base_url + ep.path,
            method=ep.method,
            interval_s=table.symbols_interval_s,
            timeout_s=timeout_s,
            fresh_connection=bool(_pick((table,), "fresh_connection", settings.fresh_connection)),
            weight=ep.weight,
            offset_s=0.0,
            kind=ep.kind,
            interpret=functools.partial(profile.interpret, ep),
        )
        for ep in map(profile.symbol, table.symbols)
    ]


def _account_probe(settings: Settings, profile: ExchangeProfile) -> ProbePlan | None:
    """The venue's signed, read-only probe, when the venue has credentials."""
    table = settings.exchange(profile.name)
    creds = table.credentials
    access = profile.access(creds.scheme) if creds is not None else None
    if creds is None or access is None:
        return None
    endpoint = access.endpoint
    base = creds.base_url or access.base_url or table.base_url or profile.base_url
    assert creds.api_key is not None and creds.api_secret is not None  # the model ensures it
    passphrase = creds.passphrase.get_secret_value() if creds.passphrase else ""
    keys = KeyMaterial(
        creds.api_key.get_secret_value(),
        creds.api_secret.get_secret_value(),
        passphrase,
        creds.recv_window_ms,
    )
    signer = access.signer(keys)
    return ProbePlan(
        endpoint_id=f"{profile.name}.{endpoint.name}",
        venue=profile.name,
        endpoint=endpoint.name,
        url=base + endpoint.path,
        method=endpoint.method,
        interval_s=creds.interval_s,
        timeout_s=creds.timeout_s or table.timeout_s or settings.timeout_s,
        fresh_connection=False,
        weight=endpoint.weight,
        offset_s=0.0,
        kind=endpoint.kind,
        interpret=functools.partial(profile.interpret, endpoint),
        sign=functools.partial(signer.sign, endpoint.method, base, endpoint.path),
        use_server_time=creds.use_server_time,
    )


def _target_probe(settings: Settings, target: TargetSettings) -> ProbePlan:
    check = HttpCheck(frozenset(target.expect_status), target.json_field, target.json_equals)
    return ProbePlan(
        endpoint_id=f"{target.name}.http",
        venue=target.name,
        endpoint="http",
        url=target.url,
        method=target.method,
        interval_s=float(_pick((target,), "interval_s", settings.interval_s)),
        timeout_s=float(_pick((target,), "timeout_s", settings.timeout_s)),
        fresh_connection=bool(_pick((target,), "fresh_connection", settings.fresh_connection)),
        weight=1,
        offset_s=0.0,
        kind=EndpointKind.HTTP,
        interpret=functools.partial(interpret_http, check),
        headers={k: v.get_secret_value() for k, v in target.headers.items()},
        body=target.body.encode() if target.body is not None else None,
    )


def _check_timeouts(probes: list[ProbePlan]) -> None:
    """A timeout longer than the interval lets a hanging target hold its schedule hostage."""
    for p in probes:
        if p.timeout_s > p.interval_s:
            raise ConfigError(
                f"invalid setting timeout_s for {p.endpoint_id}: {p.timeout_s:g} s is longer"
                f" than its interval_s {p.interval_s:g} s (MONITOR_TIMEOUT_S or its override)"
            )


def http_entries(settings: Settings) -> KindPlan:
    """The `http` kind's probes, venue by venue, then the targets."""
    probes: list[ProbePlan] = []
    budgets: dict[str, int] = {}
    for venue in settings.enabled_exchanges:
        profile = EXCHANGES[venue]
        probes.extend(_exchange_probes(settings, profile))
        probes.extend(_symbol_probes(settings, profile))
        account = _account_probe(settings, profile)
        if account is not None:
            probes.append(account)
        budgets[venue] = settings.exchange(venue).budget_per_min or profile.budget_per_min
    for target in settings.targets:
        probes.append(_target_probe(settings, target))
        if target.budget_per_min is not None:
            budgets[target.name] = target.budget_per_min
    return KindPlan(tuple(probes), budgets)


def assemble_plan(settings: Settings, kinds: Mapping[str, ProbeKind]) -> Plan:
    """Every kind's entries, each stamped with its kind, spread in time and told every secret
    to scrub. Raises ConfigError for a probe whose effective timeout exceeds its interval."""
    probes: list[ProbePlan] = []
    budgets: dict[str, int] = {}
    for name, kind in kinds.items():
        part = kind.plan(settings)
        probes.extend(dataclasses.replace(p, probe_kind=name) for p in part.probes)
        budgets.update(part.budgets_per_min)
    _check_timeouts(probes)
    secrets = secret_values(settings)
    spread = tuple(
        dataclasses.replace(p, offset_s=spread_offset(i, p.interval_s), scrub=secrets)
        for i, p in enumerate(probes)
    )
    return Plan(spread, budgets)


def budget_overruns(plan: Plan) -> dict[str, tuple[float, int]]:
    """Venues whose schedule asks for more weight per minute than their budget allows."""
    demand: dict[str, float] = {}
    for probe in plan.probes:
        demand[probe.venue] = demand.get(probe.venue, 0.0) + probe.weight * 60.0 / probe.interval_s
    return {
        venue: (wanted, plan.budgets_per_min[venue])
        for venue, wanted in demand.items()
        if venue in plan.budgets_per_min and wanted > plan.budgets_per_min[venue]
    }
