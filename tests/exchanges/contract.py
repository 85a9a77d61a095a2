"""The exchange contract: what every member of `EXCHANGES` must carry, checked without a
network. `problems(profile)` lists what is missing or inconsistent (empty when complete):

- identity and budget: a settings-safe name, an https base URL, a positive budget, docs text;
- endpoints: at least one, unique names, paths from "/";
- rules: every `VenueRules` method;
- simulator: every `VenueWire` method, and each answer read by the venue's own rules as the
  outcome the chaos scenario stands for (healthy -> OK, rate limit -> RATE_LIMITED, ...);
- signing: at least one signed account endpoint; its signer's request accepted by the
  simulator's verifier, and the same request under a wrong secret refused for its signature.
"""

from __future__ import annotations

import inspect
import re
import urllib.parse
from collections.abc import Callable
from functools import partial

import orjson

from monitor.exchanges.base import (
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    SignedAccess,
    VenueRules,
)
from monitor.exchanges.signing import KeyMaterial
from monitor.exchanges.sim_wire import Answer, Incoming, Market, SimKeys, VenueWire, make_keys
from monitor.models import Outcome
from monitor.settings import NAME_PATTERN

NOW_S = 1_700_000_000.0
MARKET = Market(NOW_S, NOW_S - 0.02, 42, 65_000.0)
AUTH_PROBLEMS = ("key", "signature", "ip", "permission", "timestamp", "nonce")
KEYS = make_keys()
OTHER_KEYS = make_keys()  # a second EC key: a JWT signed with it must fail verification
WRONG_SECRET = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="  # base64, as some venues issue them


def protocol_methods(protocol: type) -> list[str]:
    return [n for n, v in vars(protocol).items() if inspect.isfunction(v) and n[0] != "_"]


def missing(obj: object, protocol: type) -> list[str]:
    return [n for n in protocol_methods(protocol) if not callable(getattr(obj, n, None))]


def key_material(keys: SimKeys, scheme: str, *, wrong: bool = False) -> KeyMaterial:
    """The simulator's keys as a signer takes them (as `sim.wiring.sim_credentials` does)."""
    if scheme == "jwt":
        pem = (OTHER_KEYS if wrong else keys).ec_private_pem
        return KeyMaterial(keys.jwt_key_name, pem)
    return KeyMaterial(keys.key, WRONG_SECRET if wrong else keys.secret, keys.passphrase)


def _read(profile: ExchangeProfile, ep: Endpoint, answer: Answer) -> Outcome:
    raw = answer.body.encode() if isinstance(answer.body, str) else orjson.dumps(answer.body)
    headers = {**profile.sim.wire.usage_headers(1), **answer.headers}
    return profile.interpret(ep, answer.status, headers, raw, NOW_S).outcome


Case = tuple[str, Endpoint, Callable[[], Answer], Outcome]


def _refused(problem: str) -> Outcome:
    """A key refused for this host's IP is access denied from here (where the venue has a
    code that says so: a venue with one code for key, IP and permission says auth error)."""
    return Outcome.ACCESS_DENIED if problem == "ip" else Outcome.AUTH_ERROR


def _cases(wire: VenueWire, profile: ExchangeProfile) -> list[Case]:
    """Each chaos scenario's answer on each endpoint, with the outcome it stands for."""
    m = MARKET
    cases: list[Case] = []
    for ep in profile.endpoints:
        cases += [
            ("ok", ep, partial(wire.ok, ep.kind, m), Outcome.OK),
            ("5xx", ep, partial(wire.server_error, 502, m), Outcome.HTTP_ERROR),
            ("rate_limit", ep, partial(wire.rate_limited, 30, m), Outcome.RATE_LIMITED),
            ("ban", ep, partial(wire.banned, 120, m), Outcome.RATE_LIMITED),
            ("legal_block", ep, partial(wire.restricted_location, m), Outcome.ACCESS_DENIED),
            ("error_200", ep, partial(wire.error_200, m), Outcome.EXCHANGE_ERROR),
        ]
        if ep.kind is EndpointKind.STATUS:
            restricted = partial(wire.restricted_status, "maintenance", m)
            cases.append(("maintenance", ep, restricted, Outcome.MAINTENANCE))
        else:
            cases.append(("maintenance", ep, partial(wire.unavailable, m), Outcome.MAINTENANCE))
    for access in profile.signed:
        ep = access.endpoint
        cases.append(("account", ep, partial(wire.account, ep, False, m), Outcome.OK))
        cases += [
            (f"auth_error {p}", ep, partial(wire.auth_error, p, m), _refused(p))
            for p in AUTH_PROBLEMS
        ]
    return cases


def _wire_problems(profile: ExchangeProfile) -> list[str]:
    wire = profile.sim.wire
    found = [f"sim wire lacks {name}()" for name in missing(wire, VenueWire)]
    if found:
        return found
    for scenario, ep, answer, want in _cases(wire, profile):
        try:
            got = _read(profile, ep, answer())
        except Exception as exc:  # a wire that cannot answer is a finding, not a crash
            found.append(f"sim {scenario} on {ep.name}: {type(exc).__name__}: {exc}")
            continue
        ambiguous_ip = want is Outcome.ACCESS_DENIED and got is Outcome.AUTH_ERROR
        if got is not want and not ambiguous_ip:
            found.append(f"sim {scenario} on {ep.name}: read as {got}, not {want}")
    return found


def _verdict(profile: ExchangeProfile, access: SignedAccess, keys: KeyMaterial) -> str | None:
    base = access.base_url or profile.base_url
    ep = access.endpoint
    now_ms = int(NOW_S * 1000)
    request = access.signer(keys).sign(ep.method, base, ep.path, now_ms)
    url = urllib.parse.urlsplit(request.url)
    path_qs = url.path + (f"?{url.query}" if url.query else "")
    incoming = Incoming(request.method, path_qs, url.netloc, request.headers, request.body or b"")
    return profile.sim.verifier(KEYS)(incoming, now_ms)


def _signing_problems(profile: ExchangeProfile) -> list[str]:
    if not profile.signed:
        return ["no signed account endpoint (ExchangeProfile.signed)"]
    found = []
    for access in profile.signed:
        where = f"{access.scheme} signing"
        if access.endpoint.kind is not EndpointKind.ACCOUNT:
            found.append(f"{where}: endpoint kind {access.endpoint.kind}, not account")
        try:
            accepted = _verdict(profile, access, key_material(KEYS, access.scheme))
            refused = _verdict(profile, access, key_material(KEYS, access.scheme, wrong=True))
        except Exception as exc:  # a signer or verifier that raises is a finding
            found.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        if accepted is not None:
            found.append(f"{where}: the simulator refuses our signature ({accepted})")
        if refused != "signature":
            found.append(f"{where}: a wrong secret is not refused for its signature ({refused})")
    return found


def _identity_problems(profile: ExchangeProfile) -> list[str]:
    found = []
    if not re.fullmatch(NAME_PATTERN, profile.name):
        found.append(f"name {profile.name!r} does not match {NAME_PATTERN}")
    if not profile.base_url.startswith("https://"):
        found.append(f"base_url {profile.base_url!r} is not https")
    if profile.budget_per_min <= 0:
        found.append("budget_per_min must be positive")
    if not (profile.published_limit and profile.staleness):
        found.append("published_limit and staleness must say something")
    if profile.signing_window_ms is not None and min(profile.signing_window_ms) <= 0:
        found.append("signing_window_ms must be positive")
    if not profile.endpoints:
        found.append("no endpoints")
    for ep in profile.endpoints:
        if not ep.path.startswith("/"):
            found.append(f"endpoint {ep.name}: path must start with /")
    public = [ep.name for ep in profile.endpoints]
    clashes = {n for n in public if public.count(n) > 1}
    clashes |= set(public) & {a.endpoint.name for a in profile.signed}
    found += [f"endpoint name {n!r} is not unique" for n in sorted(clashes)]
    found += [f"rules lack {name}()" for name in missing(profile.rules, VenueRules)]
    return found


def problems(profile: ExchangeProfile) -> list[str]:
    found = _identity_problems(profile)
    if not found:
        found += _wire_problems(profile) + _signing_problems(profile)
    return found
