"""The simulator: one aiohttp server per venue (each on its own loopback port, so that a
venue-wide outage can really refuse connections), answering on the venue's own paths."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import socket
import struct
from collections.abc import Callable

import orjson
from aiohttp import web

from monitor.clock import Clock
from monitor.exchanges import EXCHANGES, Endpoint, EndpointKind, ExchangeProfile
from monitor.exchanges.sim_wire import Answer, Incoming, Market, SimKeys, VenueWire, make_keys
from monitor.sim import blocks
from monitor.sim.chaos import ActiveRule, ChaosBoard, ChaosKind, ChaosRule, scheduled_answer

_SEQ_EPOCH_S = 1_700_000_000.0
# Chaos that leaves a signed request to be judged by its signature (the rest answer as usual).
_SIGNED_AS_USUAL = frozenset(
    {
        ChaosKind.HEALTHY,
        ChaosKind.AUTH_FAILURE,
        ChaosKind.KEY_CAN_TRADE,
        ChaosKind.CLOCK_DRIFT,
        ChaosKind.LATENCY_SPIKE,
        ChaosKind.LATENCY_DRIFT,
        ChaosKind.STALE_DATA,
        ChaosKind.CANCEL_ONLY,
    }
)
_STREAM_CHUNK = 64 * 1024
_BLOCKS: dict[ChaosKind, Callable[[VenueWire, Market], Answer]] = {
    ChaosKind.GEO_BLOCK: lambda wire, m: blocks.GEO_BLOCK,
    ChaosKind.WAF_BLOCK: lambda wire, m: blocks.WAF_BLOCK,
    ChaosKind.LEGAL_BLOCK: lambda wire, m: wire.restricted_location(m),
}
# the scenarios under which a symbol status endpoint still answers with the symbol's status
_SYMBOL = frozenset(
    {
        ChaosKind.SYMBOL_HALT,
        ChaosKind.LATENCY_SPIKE,
        ChaosKind.LATENCY_DRIFT,
        ChaosKind.CLOCK_DRIFT,
        ChaosKind.STALE_DATA,
        ChaosKind.AUTH_FAILURE,
        ChaosKind.KEY_CAN_TRADE,
    }
)


def market_at(wall_s: float, server_offset_s: float, frozen_at_s: float | None) -> Market:
    """Market data that moves with time, or stays frozen from `frozen_at_s` on."""
    data_s = frozen_at_s if frozen_at_s is not None else wall_s - 0.02
    price = 65_000 + 250 * math.sin(data_s / 60) + 20 * math.sin(data_s / 7)
    return Market(wall_s + server_offset_s, data_s, int((data_s - _SEQ_EPOCH_S) * 10), price)


def _abort_with_reset(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class SimVenue:
    """One simulated exchange: its routes, chaos handling and listening socket."""

    def __init__(
        self,
        profile: ExchangeProfile,
        board: ChaosBoard,
        clock: Clock,
        rng: random.Random,
        base_latency_ms: float,
        jitter_ms: float,
        closing: asyncio.Event,
        keys: SimKeys,
    ) -> None:
        self.profile = profile
        self._verify = profile.sim.verifier(keys)
        self._wire = profile.sim.wire
        self._board = board
        self._clock = clock
        self._rng = rng
        self._base_s = base_latency_ms / 1000
        self._jitter_s = jitter_ms / 1000
        self._closing = closing
        self._weight_minute = 0
        self._weight_used = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0
        app = web.Application()
        for ep in (*profile.endpoints, *(access.endpoint for access in profile.signed)):
            app.router.add_route(ep.method, ep.path.split("?", 1)[0], self._handler(ep))
        if profile.symbol is not None:  # one route answers for every configured symbol
            ep = dataclasses.replace(profile.symbol("{symbol}"), name="symbol")
            app.router.add_route(ep.method, ep.path.split("?", 1)[0], self._handler(ep))
        self._app = app

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._site is not None

    async def start(self, host: str, port: int) -> None:
        self.host = host
        self._runner = web.AppRunner(
            self._app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        self.port = port
        await self.listen()

    async def listen(self) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._site = site
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    async def refuse(self) -> None:
        """Close the listening socket and every open connection: clients get ECONNREFUSED."""
        if self._site is None or self._runner is None:
            return
        await self._site.stop()
        self._site = None
        for conn in list(self._runner.server.connections if self._runner.server else ()):
            conn.force_close()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    def _handler(self, ep: Endpoint):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._answer(request, ep)

        return handle

    def _delay_s(self, active: ActiveRule | None) -> float:
        delay = self._base_s + (self._rng.random() * self._jitter_s if self._jitter_s else 0.0)
        if active is None:
            return delay
        rule = active.rule
        if rule.kind is ChaosKind.LATENCY_SPIKE:
            delay += rule.latency_ms / 1000
        elif rule.kind is ChaosKind.LATENCY_DRIFT:
            elapsed = self._clock.monotonic() - active.since_mono_s
            delay += rule.drift_ms_per_s * elapsed / 1000
        return delay

    def _market(self, active: ActiveRule | None) -> Market:
        kind = active.rule.kind if active else ChaosKind.HEALTHY
        offset = active.rule.clock_ms / 1000 if active and kind is ChaosKind.CLOCK_DRIFT else 0.0
        frozen = active.since_wall_s if active and kind is ChaosKind.STALE_DATA else None
        return market_at(self._clock.wall(), offset, frozen)

    def _count_weight(self, ep: Endpoint, wall_s: float) -> int:
        minute = int(wall_s // 60)
        if minute != self._weight_minute:
            self._weight_minute, self._weight_used = minute, 0
        self._weight_used += ep.weight
        return self._weight_used

    async def _answer(self, request: web.Request, ep: Endpoint) -> web.StreamResponse:
        active = self._board.active(self.profile.name, ep.name)
        kind = active.rule.kind if active else ChaosKind.HEALTHY
        if kind is ChaosKind.OUTAGE:
            _abort_with_reset(request)
            return web.Response(status=500)  # never sent: the connection is gone
        if kind is ChaosKind.HANG:
            await self._closing.wait()
            return web.Response(status=503)
        # Half the delay before the server reads its clock and half after: a symmetric path,
        # so the midpoint estimate of clock offset holds as it does on a real network.
        half = self._delay_s(active) / 2
        if half > 0:
            await self._clock.sleep(half)
        market = self._market(active)
        if half > 0:
            await self._clock.sleep(half)
        if kind is ChaosKind.OVERSIZED:
            assert active is not None
            return await self._stream_oversized(request, active.rule.size_bytes)
        if ep.kind is EndpointKind.ACCOUNT and kind in _SIGNED_AS_USUAL:
            answer = await self._signed(request, ep, active, market)
        else:
            answer = self._render(ep, active, market)
        if kind is ChaosKind.MALFORMED_JSON:
            raw = orjson.dumps(answer.body)
            return web.Response(body=raw[: max(len(raw) // 2, 1)], content_type="application/json")
        headers = self._wire.usage_headers(self._count_weight(ep, market.server_s))
        headers.update(answer.headers)
        if isinstance(answer.body, str):
            return web.Response(status=answer.status, text=answer.body, headers=headers)
        return web.Response(
            status=answer.status,
            body=orjson.dumps(answer.body),
            headers=headers,
            content_type="application/json",
        )

    def _render(self, ep: Endpoint, active: ActiveRule | None, m: Market) -> Answer:
        wire = self._wire
        if ep.kind is EndpointKind.SYMBOL and (active is None or active.rule.kind in _SYMBOL):
            halted = active is not None and active.rule.kind is ChaosKind.SYMBOL_HALT
            return wire.instrument(not halted, m)
        if active is None:
            return wire.ok(ep.kind, m)
        rule: ChaosRule = active.rule
        kind = rule.kind
        if kind in (ChaosKind.MAINTENANCE, ChaosKind.CANCEL_ONLY):
            if ep.kind is EndpointKind.STATUS:
                return wire.restricted_status(kind.value, m)
            return wire.unavailable(m) if kind is ChaosKind.MAINTENANCE else wire.ok(ep.kind, m)
        if kind is ChaosKind.SCHEDULED_MAINTENANCE:
            return scheduled_answer(wire, ep.kind, active, m)
        if kind is ChaosKind.HTTP_5XX and self._rng.random() < rule.ratio:
            return wire.server_error(rule.status, m)
        if kind is ChaosKind.RATE_LIMIT:
            return wire.rate_limited(rule.retry_after_s, m)
        if kind is ChaosKind.THROTTLED:  # the venue's own rules (Bybit's reset header) remain
            limited = wire.rate_limited(rule.retry_after_s, m)
            headers = {k: v for k, v in limited.headers.items() if k != "Retry-After"}
            return dataclasses.replace(limited, headers=headers)
        if kind is ChaosKind.BAN:
            return wire.banned(rule.retry_after_s, m)
        if kind is ChaosKind.ERROR_200:
            return wire.error_200(m)
        return _BLOCKS[kind](wire, m) if kind in _BLOCKS else wire.ok(ep.kind, m)

    async def _signed(
        self, request: web.Request, ep: Endpoint, active: ActiveRule | None, m: Market
    ) -> Answer:
        """Verify the signature as the venue does; answer its error or the account."""
        rule = active.rule if active else None
        if rule is not None and rule.kind is ChaosKind.AUTH_FAILURE:
            return self._wire.auth_error(rule.problem, m)
        incoming = Incoming(
            request.method, request.raw_path, request.host, request.headers, await request.read()
        )
        problem = self._verify(incoming, int(m.server_s * 1000))
        if problem is not None:
            return self._wire.auth_error(problem, m)
        can_trade = rule is not None and rule.kind is ChaosKind.KEY_CAN_TRADE
        return self._wire.account(ep, can_trade, m)

    async def _stream_oversized(self, request: web.Request, size: int) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b" " * _STREAM_CHUNK
        sent = 0
        try:
            while sent < size:
                await response.write(chunk[: min(_STREAM_CHUNK, size - sent)])
                sent += _STREAM_CHUNK
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading at its cap and closed: expected
        return response


class SimCluster:
    """Every simulated venue plus the chaos board. `apply`/`clear` change scenarios live."""

    def __init__(
        self,
        clock: Clock,
        *,
        venues: tuple[str, ...] | None = None,  # None: every registered venue
        seed: int = 0,
        base_latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        keys: SimKeys | None = None,
    ) -> None:
        self.clock = clock
        self.keys = keys or make_keys()
        self.board = ChaosBoard()
        self._closing = asyncio.Event()
        rng = random.Random(seed)
        self.venues = {
            name: SimVenue(
                EXCHANGES[name],
                self.board,
                clock,
                rng,
                base_latency_ms,
                jitter_ms,
                self._closing,
                self.keys,
            )
            for name in (tuple(EXCHANGES) if venues is None else venues)
        }

    @property
    def urls(self) -> dict[str, str]:
        return {name: venue.url for name, venue in self.venues.items()}

    async def start(self, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> None:
        for name, venue in self.venues.items():
            await venue.start(host, (ports or {}).get(name, 0))

    async def stop(self) -> None:
        self._closing.set()
        for venue in self.venues.values():
            await venue.stop()

    async def apply(self, rule: ChaosRule) -> None:
        if rule.venue not in self.venues:
            raise ValueError(f"unknown venue {rule.venue!r}")
        if rule.endpoint is not None:
            self.venues[rule.venue].profile.endpoint(rule.endpoint)  # KeyError if unknown
        self.board.apply(rule, self.clock.wall(), self.clock.monotonic())
        await self._sync_listening(rule.venue)

    async def clear(self, venue: str | None = None, endpoint: str | None = None) -> None:
        self.board.clear(venue, endpoint)
        for name in self.venues if venue is None else (venue,):
            await self._sync_listening(name)

    async def _sync_listening(self, name: str) -> None:
        venue = self.venues[name]
        active = self.board.venue_rule(name)
        refusing = (
            active is not None
            and active.rule.kind is ChaosKind.OUTAGE
            and active.rule.mode == "refused"
        )
        if refusing and venue.listening:
            await venue.refuse()
        elif not refusing and not venue.listening:
            await venue.listen()
